// The measures catalogue (data/respond/measures.json) and the proportionality check.
//
// Each measure belongs to one of the five toolbox categories and carries the conditions under
// which it is proportionate: minimum severity level, minimum attribution confidence, whether a
// named responsible person/entity, a significant effect and an external origin are needed, plus
// its legal basis, decision rule, duration and review period. A Catalogue is immutable after
// loading and may be shared between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/respond/common.h"
#include "entente/respond/decision.h"
#include "entente/respond/severity.h"

namespace entente::respond {

inline constexpr std::string_view kCategories[] = {"preventive", "cooperative", "stability",
                                                   "restrictive", "support"};

struct Measure {
  std::string id, category, name, description, legal_basis;
  int min_severity = 0;
  Confidence min_confidence = Confidence::kNone;
  bool needs_responsible_party = false;
  bool needs_significant_effect = false;
  bool needs_external_origin = false;
  Rule decision_rule = Rule::kUnanimity;
  int duration_days = 0;  // 1-3650
  int review_days = 0;    // 1-duration_days
};

class Catalogue {
 public:
  // Strict: unknown fields, missing fields, wrong types, unknown categories, duplicate ids,
  // review longer than duration are errors of the form
  //   measures.json: measure 'travel-ban' field 'min_confidence': expected one of ...
  // At most 1000 measures, 1 MiB.
  static Result<Catalogue> Parse(std::string_view text);
  static Result<Catalogue> Load(const std::string& path);

  const std::vector<Measure>& measures() const noexcept { return measures_; }
  const Measure* Find(std::string_view id) const noexcept;

 private:
  std::vector<Measure> measures_;
};

struct MeasureOption {
  const Measure* measure = nullptr;
  bool proportionate = false;
  std::vector<std::string> missing;  // one sentence per unmet condition
};

// For every measure of the catalogue (in catalogue order): proportionate now, or what is
// missing, e.g. "attribution confidence is low; restrictive measures need moderate".
std::vector<MeasureOption> Options(const Catalogue& catalogue, const Assessment& assessment);

// {"assessment": {...}, "proportionate": [{id, category, name, legal_basis, decision_rule,
//  duration_days, review_days[, ends, review_by]}], "not_proportionate": [{id, category, name,
//  missing: [...]}]}. With `adopted_on`, each proportionate measure also gets the dates it would
// end and be reviewed by if adopted then (YYYY-MM-DD).
json::Value OptionsToJson(const std::vector<MeasureOption>& options, const Assessment& assessment,
                          std::optional<Timestamp> adopted_on = std::nullopt);

}  // namespace entente::respond
