// Held-out evaluation of attribution on the knowledge base itself, and the TF-IDF baseline.
//
// A case is built from one group without leaking it into the profiles: a random part of the
// group's techniques and software is removed from its profile ("held out"); the incident mixes
// held-out items (new behaviour the profile has never seen) with items that stay in the profile
// (behaviour repeated from earlier reports), in proportions taken from the published overlap of
// real ATT&CK campaigns with their group's profile (about 41 % of techniques, 75 % of software;
// docs/ATTRIBUTION.md). `strict` cases draw only held-out items: nothing in the incident is in
// the profile, so only sub-technique back-off and software links can help.
// The other groups' profiles are unchanged. Randomness is a fixed splitmix64 stream, so a seed
// gives the same cases on every platform.
//
// Costs: each case rebuilds the profiles (about a millisecond); EvaluateEngine over a few
// hundred cases takes well under a second on one core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "entente/attribute/engine.h"

namespace entente::attribute {

struct HoldoutOptions {
  double holdout_fraction = 0.3;    // of a group's techniques and software
  double technique_overlap = 0.41;  // share of incident techniques still in the profile
  double software_overlap = 0.75;   // chance an incident software is still in the profile
  std::size_t max_techniques = 12;  // per incident
  std::size_t max_software = 3;
  std::size_t min_features = 8;  // groups with fewer techniques + software are not queried
  bool strict = false;           // incident drawn only from held-out items
  // Realism: of the incident techniques not taken from the profile, this share is noise (a
  // technique other groups use, drawn by popularity, that the group is not known for) instead
  // of a held-out one. Software per incident is then drawn uniformly from 0..max_software, and
  // with chance `shared_tool_chance` a widely shared tool (>= 5 groups) the group is not known
  // to use is added.
  double noise_share = 0.0;
  bool random_software_count = false;
  double shared_tool_chance = 0.0;

  static HoldoutOptions Clean() { return {}; }
  static HoldoutOptions Strict() {
    HoldoutOptions o;
    o.strict = true;
    return o;
  }
  static HoldoutOptions Noisy() {
    HoldoutOptions o;
    o.max_techniques = 15;
    o.noise_share = 0.5;
    o.random_software_count = true;
    o.shared_tool_chance = 0.3;
    return o;
  }
};

struct HoldoutCase {
  std::uint32_t group = kNone;
  GroupFeatures reduced;  // the group's profile input without the held-out items
  Evidence evidence;
};

// Cases for every eligible group (or only `groups` if given) with one seed.
std::vector<HoldoutCase> MakeHoldoutCases(const KnowledgeBase& kb, const HoldoutOptions& options,
                                          std::uint64_t seed,
                                          const std::vector<std::uint32_t>* groups = nullptr);

// Splits the groups eligible under `options` into two disjoint halves by a keyed hash of their
// STIX id: tuning queries come from one half, test queries from the other.
void SplitGroups(const KnowledgeBase& kb, const HoldoutOptions& options,
                 std::vector<std::uint32_t>& tune, std::vector<std::uint32_t>& test);

struct ScoredCase {
  std::uint32_t truth = kNone;
  std::size_t rank = 0;        // 1-based rank of the true group
  double top_posterior = 0;    // the engine's posterior of its first candidate
  double truth_posterior = 0;  // posterior of the true group
  Confidence confidence = Confidence::kLow;
};

struct EvalMetrics {
  std::size_t cases = 0;
  double top1 = 0, top5 = 0, top10 = 0, mrr = 0;
  std::size_t high = 0, high_correct = 0;
  std::size_t moderate = 0, moderate_correct = 0;
  std::size_t low = 0, low_correct = 0;
};
// Rates over the cases; with `weight_by`, each case counts in proportion to how documented its
// group is (techniques + software in the KB), the way reported incidents skew toward
// well-documented groups. Confidence counts are always plain counts.
EvalMetrics Summarise(const std::vector<ScoredCase>& scored,
                      const KnowledgeBase* weight_by = nullptr);

// The engine on each case (profiles rebuilt without the held-out items).
std::vector<ScoredCase> EvaluateEngine(const KnowledgeBase& kb, const Model& model,
                                       const std::vector<HoldoutCase>& cases);

// TF-IDF cosine over techniques + software (binary term frequency, idf = ln(G / df)) on the same
// reduced profiles: the published baseline. Confidence is not defined for it (always low).
std::vector<ScoredCase> EvaluateTfIdf(const KnowledgeBase& kb,
                                      const std::vector<HoldoutCase>& cases);

// Confidence thresholds from scored tuning cases: `high` is the lowest top posterior above
// which the first candidate was right at least `high_precision` of the time (with at least
// `min_support` cases); `moderate` is the lowest posterior where the band [moderate, high) is
// right at least `moderate_precision` of the time (else equal to high: no moderate band).
// Returns `fallback.high` where no threshold meets the high target.
Calibration CalibrateThresholds(const std::vector<ScoredCase>& scored, double high_precision,
                                double moderate_precision, std::size_t min_support,
                                const Calibration& fallback);

}  // namespace entente::attribute
