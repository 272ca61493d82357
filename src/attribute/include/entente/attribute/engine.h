// The attribution engine: actor profiles, ranking, calibrated confidence and explanations.
//
// Model (docs/ATTRIBUTION.md has the derivation): each group is a set of smoothed categorical
// distributions, one per evidence channel (techniques, software, infrastructure, targeted
// sectors, targeted countries, activity hours, artefacts). For an observed item x of channel c,
//     P_c(x | g) = lambda_c (n_g(x) + mu_c B_c(x)) / (N_g + mu_c) + (1 - lambda_c) B_c(x)
// where n_g(x) is the group's (credited) count of x, N_g its total and B_c the background
// distribution over all groups. An item adds w_c * reliability * log(P_c(x | g) / B_c(x)) to the
// group's score: positive when the group explains the item better than an average group would,
// negative when worse. Rare items (small B) move scores most; that is the distinctiveness
// weighting, derived rather than bolted on as IDF. Techniques get partial credit through
// sub-technique -> parent back-off and through the techniques a group's software implies.
// The posterior over groups is softmax(score / temperature); its top value is mapped to
// low / moderate / high with thresholds calibrated on held-out data (data/attribute/model.json).
//
// Costs: ProfileSet::Build is linear in the KB (a few ms for ATT&CK); Rank is
// O(groups x evidence items) with dense lookups (tens of microseconds); Assess adds
// explanations for the top candidates.
// Threads: a built ProfileSet is immutable; Rank and Assess may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "entente/attribute/evidence.h"
#include "entente/attribute/knowledge_base.h"
#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::attribute {

// Weights of the model. Defaults are the values tuned on held-out ATT&CK splits (bench/attribute,
// `attribute_eval --tune`) and recorded in data/attribute/model.json.
struct ModelParams {
  double mu_technique = 16.0;  // Dirichlet smoothing mass of the technique channel
  double mu_software = 0.1;    // ... of the software channel
  // Interpolation with the background: the share of incident items expected to be in the
  // group's documented profile (published campaign overlaps: ~41 % techniques, ~75 % software).
  double lambda_technique = 0.4;
  double lambda_software = 0.3;
  double lambda_history = 0.5;
  double weight_technique = 1.0;  // channel weights
  double weight_software = 1.0;
  double credit_parent = 0.0;   // sub-technique seen, group uses the parent (or the reverse)
  double credit_sibling = 0.0;  // sub-technique seen, group uses another child of its parent
  double credit_implied = 0.1;  // technique seen, only the group's software is known to do it
  // Observed software also stands for its documented techniques at this total weight (spread
  // over them): helps when the software is new to every profile.
  double software_implies = 0.25;
  double prior_size = 0.5;    // log prior = prior_size * log(1 + |profile|)
  double temperature = 0.75;  // posterior = softmax(score / temperature)
  // Tempered profile size (1: plain categorical model; 0: every group counts as average size).
  double size_exponent = 1.0;
  // Score of the "none of these groups" hypothesis in the posterior (it never ranks).
  double unknown_actor = 0.0;
  // Channels fed by the history of attributed incidents.
  double mu_history = 2.0;
  double weight_infrastructure = 1.5;
  double weight_artefact = 1.0;
  double weight_sector = 0.3;
  double weight_country = 0.3;
  double weight_hour = 0.15;
};

// Confidence bands on the top candidate's posterior.
struct Calibration {
  double high = 0.54;              // posterior >= high: "high" (if the other conditions hold)
  double moderate = 0.54;          // posterior >= moderate: "moderate"; else "low"
  std::size_t min_items_high = 2;  // high needs at least this many evidence items
};

// Model parameters and calibration as stored in data/attribute/model.json:
// {"params": {...}, "calibration": {...}, "derivation": {...}}. Missing members keep defaults;
// unknown members are an error (a typo must not silently fall back).
struct Model {
  ModelParams params;
  Calibration calibration;
  static Result<Model> FromJson(json::Node node);
  static Result<Model> FromFile(const std::string& path);
  json::Value ToJson() const;
};

enum class Confidence : std::uint8_t { kLow, kModerate, kHigh };
std::string_view ConfidenceName(Confidence c) noexcept;  // "low", "moderate", "high"

// What one group is known to do: the input of a profile.
struct GroupFeatures {
  std::vector<std::uint32_t> techniques;  // direct (sorted, unique)
  std::vector<std::uint32_t> software;    // (sorted, unique)
};
std::vector<GroupFeatures> FeaturesFromKb(const KnowledgeBase& kb);

struct RankedGroup {
  std::uint32_t group = kNone;
  double score = 0;      // log-likelihood ratio sum + prior
  double posterior = 0;  // softmax over all groups
};

// How one evidence item bears on one candidate.
struct ItemAssessment {
  std::size_t item = 0;  // index in Evidence::items
  double contribution = 0;
  std::string how;          // "used directly", "group uses parent T1566", ...
  std::string cost;         // "cheap" / "moderate" / "costly" to fake
  bool in_profile = false;  // the group's profile holds the item (with any credit)
};

struct CandidateExplanation {
  RankedGroup ranked;
  Confidence confidence = Confidence::kLow;
  std::string profile_version;                   // of this group's profile
  std::vector<ItemAssessment> evidence_for;      // best first
  std::vector<ItemAssessment> evidence_against;  // worst first
  // In the group's profile, but weighing little (common items, or a very broad profile).
  std::vector<ItemAssessment> evidence_consistent;
  std::vector<std::string> against_notes;  // e.g. signature software not observed
  std::vector<std::string> missing;
  std::vector<std::uint32_t> alternatives;  // close competitors (group indices)
  std::vector<std::string> false_flag;      // cheap vs costly reading
};

struct Assessment {
  std::string profile_set_version;
  std::size_t groups_ranked = 0;
  std::vector<CandidateExplanation> candidates;  // best first, top N
};

class ProfileSet {
 public:
  // Builds the profiles of every group in `kb` (or of `features` instead of the KB's own
  // group features, for held-out evaluation; size must equal kb.groups().size()). The KB must
  // outlive the ProfileSet. `with_versions` = false skips hashing (evaluation loops); version()
  // is then empty.
  static ProfileSet Build(const KnowledgeBase& kb, const ModelParams& params = {},
                          const std::vector<GroupFeatures>* features = nullptr,
                          bool with_versions = true);

  // Hash of everything the profiles were built from (features, history, parameters):
  // "ps1-<16 hex>". Equal inputs give equal versions.
  const std::string& version() const noexcept { return version_; }
  const KnowledgeBase& kb() const noexcept { return *kb_; }
  const ModelParams& params() const noexcept { return params_; }
  std::size_t group_count() const noexcept { return groups_; }

  // Every group, best first (ties by group index). Evidence items of unknown indices are
  // ignored.
  std::vector<RankedGroup> Rank(const Evidence& evidence) const;

  // Rank plus confidence and explanation for the best `top` candidates.
  Assessment Assess(const Evidence& evidence, const Calibration& calibration,
                    std::size_t top = 5) const;

  // The contribution of one item to one group's score, and how it was reached.
  ItemAssessment Explain(const Evidence& evidence, std::size_t item, std::uint32_t group) const;

  // The documentation prior included in a group's score (prior_size * log(1 + |profile|)).
  double PriorOf(std::uint32_t g) const { return g < prior_.size() ? prior_[g] : 0.0; }

  // Number of groups whose profile holds technique / software directly (distinctiveness).
  std::uint32_t TechniqueGroupCount(std::uint32_t t) const { return technique_df_[t]; }
  std::uint32_t SoftwareGroupCount(std::uint32_t s) const { return software_df_[s]; }

 private:
  struct StringChannel {  // history channels keyed by value
    std::unordered_map<std::string, std::uint32_t> vocab;
    std::vector<std::vector<std::pair<std::uint32_t, float>>> counts;  // per group, sorted
    std::vector<double> totals;                                        // per group
    std::vector<double> background;                                    // per vocab entry
    double mu = 1, weight = 0;
    double Count(std::uint32_t g, std::uint32_t v) const;
  };
  // `observed`: sorted technique indices of the evidence (computed if null).
  double Contribution(const Evidence& evidence, std::size_t item, std::uint32_t g,
                      const std::vector<std::uint32_t>* observed = nullptr) const;
  double Prior(std::uint32_t g) const;
  const StringChannel* ChannelFor(EvidenceKind kind) const;
  Confidence Grade(const Evidence& ev, const std::vector<RankedGroup>& ranked,
                   const Calibration& cal, std::uint32_t g, double posterior) const;
  std::string CostOf(const EvidenceItem& item) const;

  const KnowledgeBase* kb_ = nullptr;
  ModelParams params_;
  std::size_t groups_ = 0, vt_ = 0, vs_ = 0;
  std::vector<GroupFeatures> features_;
  std::vector<float> tech_n_;  // groups x techniques, credited counts
  std::vector<float> soft_n_;  // groups x software
  std::vector<double> tech_total_, soft_total_, tech_bg_, soft_bg_;
  std::vector<float> tech_llr_, soft_llr_;  // groups x techniques / software log-ratios
  std::vector<std::uint32_t> technique_df_, software_df_;
  std::vector<double> prior_;
  StringChannel infrastructure_, artefact_, sector_, country_, hour_;
  std::vector<std::string> group_versions_;
  std::string version_;
};

// The assessment as JSON for the CLI and REST API: {"profile_set_version", "groups_ranked",
// "candidates": [{id, name, external_id, score, posterior, confidence, evidence_for, ...}]}.
json::Value AssessmentToJson(const Assessment& a, const Evidence& evidence,
                             const ProfileSet& profiles);

}  // namespace entente::attribute
