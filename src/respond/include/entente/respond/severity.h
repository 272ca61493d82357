// Incident severity: the NCISS-shaped score and level, the "significant effect" and
// external-origin tests of the EU cyber sanctions regime, and the RSIT class.
//
// The model (data/respond/severity.json, docs/RESPOND.md) is data: eight weighted categories
// whose options score 0-100, the score is the weighted mean (0-100), and levels 0-5 start at
// configured minimum scores. The weights are Entente's own (CISA's are not public).
// A SeverityModel is immutable after loading and may be shared between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/respond/common.h"

namespace entente::respond {

struct SeverityCategory {
  std::string id, name;
  int weight = 0;                      // 1-1000
  std::string default_option;          // used when an incident does not set the category
  std::map<std::string, int> options;  // option id -> score 0-100
};

struct SeverityLevel {
  int level = 0;  // 0-5
  std::string name;
  int min_score = 0;
};

struct SignificanceFactor {
  enum class Type : std::uint8_t { kCount, kFlag, kLevel };
  std::string id, name;
  Type type = Type::kFlag;
  std::int64_t threshold = 0;  // count: value >= threshold; level: severity level >= threshold
};

// The party the attribution names as responsible.
struct ResponsibleParty {
  std::string name;
  std::string ref;  // STIX id (identity--, threat-actor--, intrusion-set--) or ""
};

// What an incident bundle says about an incident (see ParseIncident for the JSON).
struct IncidentFacts {
  std::string id;  // STIX id of the incident, or the id given in the plain form
  std::string name;
  std::map<std::string, std::string> nciss;     // category -> option
  std::map<std::string, std::int64_t> counts;   // significance count factors
  std::map<std::string, bool> flags;            // significance flag factors
  std::map<std::string, bool> external_origin;  // criterion id -> met
  bool attempt = false;                         // attempted attack (potentially significant)
  std::string rsit_class, rsit_type;            // "" when not classified
  Confidence confidence = Confidence::kNone;
  std::string attribution_case_ref;
  std::vector<ResponsibleParty> responsible;
};

struct Assessment {
  std::string incident_id, incident_name;
  int score = 0;  // 0-100, floor of the weighted mean
  int level = 0;
  std::string level_name;
  bool significant = false;
  std::vector<std::string> significance_met;  // factor ids
  bool external = false;
  std::vector<std::string> external_met;  // criterion ids
  std::string rsit_class, rsit_type;
  Confidence confidence = Confidence::kNone;
  std::vector<ResponsibleParty> responsible;
  std::string attribution_case_ref;

  json::Value ToJson() const;
};

class SeverityModel {
 public:
  // Parses and validates severity.json: weights 1-1000, option scores 0-100, default options
  // present, six levels 0-5 with strictly increasing min_score starting at 0, known factor
  // types, RSIT classes. Errors name the category/level/factor and field. 1 MiB limit.
  static Result<SeverityModel> Parse(std::string_view text);
  static Result<SeverityModel> Load(const std::string& path);

  // Scores an incident. Fails (kInvalidArgument) when the incident names an unknown category,
  // option, factor, external criterion or RSIT class/type.
  Result<Assessment> Assess(const IncidentFacts& facts) const;

  const std::vector<SeverityCategory>& categories() const noexcept { return categories_; }
  const std::vector<SeverityLevel>& levels() const noexcept { return levels_; }
  const std::vector<SignificanceFactor>& factors() const noexcept { return factors_; }
  std::string_view LevelName(int level) const noexcept;

 private:
  std::vector<SeverityCategory> categories_;
  std::vector<SeverityLevel> levels_;
  std::vector<SignificanceFactor> factors_;
  int min_factors_ = 1;
  std::vector<std::pair<std::string, std::string>> external_;  // id, name
  std::map<std::string, std::vector<std::string>> rsit_;
};

// Reads an incident: either a plain object {"id", "name", "nciss": {category: option},
// "significance": {factor: number|bool}, "external_origin": {criterion: bool}, "attempt",
// "rsit": "class/type", "attribution": {"confidence", "case_ref", "responsible": [{"name",
// "ref"}]}} or a STIX bundle whose `incident` object carries that object as
// "x_entente_assessment" (the incident's id and name come from the STIX object then).
// `incident_id` picks one incident of a bundle holding several. Limits: 4 MiB, depth 64.
Result<IncidentFacts> ParseIncident(std::string_view text, std::string_view incident_id = {});

}  // namespace entente::respond
