#include "entente/attribute/evaluation.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace entente::attribute {

namespace {

// splitmix64: small, fast and specified, so the cases are the same on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(Next() % n); }
  double Uniform() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::uint64_t state_;
};

std::uint64_t HashString(std::string_view s, std::uint64_t key) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ key;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

bool Eligible(const Group& g, const HoldoutOptions& o) {
  return g.techniques.size() + g.software.size() >= o.min_features && g.techniques.size() >= 2;
}

std::size_t RankOf(const std::vector<RankedGroup>& ranked, std::uint32_t truth) {
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    if (ranked[i].group == truth) return i + 1;
  }
  return ranked.size() + 1;
}

}  // namespace

std::vector<HoldoutCase> MakeHoldoutCases(const KnowledgeBase& kb, const HoldoutOptions& o,
                                          std::uint64_t seed,
                                          const std::vector<std::uint32_t>* only) {
  std::vector<HoldoutCase> cases;
  std::vector<std::uint32_t> all;
  if (only == nullptr) {
    for (std::uint32_t g = 0; g < kb.groups().size(); ++g) all.push_back(g);
    only = &all;
  }
  for (std::uint32_t g : *only) {
    const Group& group = kb.groups()[g];
    if (!Eligible(group, o)) continue;
    Rng rng(HashString(group.stix_id, seed));
    std::vector<std::uint32_t> t = group.techniques, s = group.software;
    rng.Shuffle(t);
    rng.Shuffle(s);
    std::size_t ht = std::max<std::size_t>(
        1,
        static_cast<std::size_t>(std::lround(o.holdout_fraction * static_cast<double>(t.size()))));
    std::size_t hs =
        static_cast<std::size_t>(std::lround(o.holdout_fraction * static_cast<double>(s.size())));
    std::vector<std::uint32_t> held_t(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(ht));
    std::vector<std::uint32_t> kept_t(t.begin() + static_cast<std::ptrdiff_t>(ht), t.end());
    std::vector<std::uint32_t> held_s(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(hs));
    std::vector<std::uint32_t> kept_s(s.begin() + static_cast<std::ptrdiff_t>(hs), s.end());

    HoldoutCase c;
    c.group = g;
    c.evidence.incident_id = "holdout:" + group.external_id;
    auto add = [&](EvidenceKind kind, std::uint32_t index) {
      std::string label = kind == EvidenceKind::kTechnique ? kb.techniques()[index].external_id
                                                           : kb.software()[index].external_id;
      c.evidence.Add(EvidenceItem{kind, index, label, "holdout", std::nullopt});
    };
    std::size_t mt = std::min(o.max_techniques, t.size());
    std::size_t from_kept =
        o.strict ? 0
                 : std::min(kept_t.size(), static_cast<std::size_t>(std::lround(
                                               o.technique_overlap * static_cast<double>(mt))));
    std::size_t rest = mt - from_kept;
    std::size_t noise =
        static_cast<std::size_t>(std::lround(o.noise_share * static_cast<double>(rest)));
    std::size_t from_held = std::min(held_t.size(), rest - noise);
    if (o.strict) from_held = std::min(held_t.size(), mt), noise = 0;
    for (std::size_t i = 0; i < from_kept; ++i) add(EvidenceKind::kTechnique, kept_t[i]);
    for (std::size_t i = 0; i < from_held; ++i) add(EvidenceKind::kTechnique, held_t[i]);
    for (std::size_t i = 0, tries = 0; i < noise && tries < 100; ++tries) {
      const Group& other = kb.groups()[rng.Below(kb.groups().size())];
      if (&other == &group || other.techniques.empty()) continue;
      std::uint32_t pick = other.techniques[rng.Below(other.techniques.size())];
      if (std::binary_search(group.techniques.begin(), group.techniques.end(), pick)) continue;
      add(EvidenceKind::kTechnique, pick);
      ++i;
    }
    std::size_t ms = std::min(o.max_software, s.size());
    if (o.random_software_count) ms = std::min(rng.Below(o.max_software + 1), s.size());
    std::size_t ik = 0, ih = 0;
    for (std::size_t i = 0; i < ms; ++i) {
      bool kept = !o.strict && ik < kept_s.size() &&
                  (ih >= held_s.size() || rng.Uniform() < o.software_overlap);
      if (kept) {
        add(EvidenceKind::kSoftware, kept_s[ik++]);
      } else if (ih < held_s.size()) {
        add(EvidenceKind::kSoftware, held_s[ih++]);
      }
    }
    if (o.shared_tool_chance > 0 && rng.Uniform() < o.shared_tool_chance) {
      std::vector<std::uint32_t> shared;
      for (std::uint32_t i = 0; i < kb.software().size(); ++i) {
        if (kb.software()[i].groups.size() >= 5 &&
            !std::binary_search(group.software.begin(), group.software.end(), i)) {
          shared.push_back(i);
        }
      }
      if (!shared.empty()) add(EvidenceKind::kSoftware, shared[rng.Below(shared.size())]);
    }
    if (c.evidence.items.empty()) continue;
    std::sort(kept_t.begin(), kept_t.end());
    std::sort(kept_s.begin(), kept_s.end());
    c.reduced = {std::move(kept_t), std::move(kept_s)};
    cases.push_back(std::move(c));
  }
  return cases;
}

void SplitGroups(const KnowledgeBase& kb, const HoldoutOptions& o, std::vector<std::uint32_t>& tune,
                 std::vector<std::uint32_t>& test) {
  tune.clear();
  test.clear();
  for (std::uint32_t g = 0; g < kb.groups().size(); ++g) {
    if (!Eligible(kb.groups()[g], o)) continue;
    (HashString(kb.groups()[g].stix_id, 0x5eed) & 1 ? tune : test).push_back(g);
  }
}

EvalMetrics Summarise(const std::vector<ScoredCase>& scored, const KnowledgeBase* weight_by) {
  EvalMetrics m;
  m.cases = scored.size();
  if (scored.empty()) return m;
  double total = 0;
  for (const auto& s : scored) {
    double w = 1.0;
    if (weight_by != nullptr && s.truth < weight_by->groups().size()) {
      const Group& g = weight_by->groups()[s.truth];
      w = static_cast<double>(g.techniques.size() + g.software.size());
    }
    total += w;
    m.top1 += w * (s.rank == 1);
    m.top5 += w * (s.rank <= 5);
    m.top10 += w * (s.rank <= 10);
    m.mrr += w / static_cast<double>(s.rank);
    bool right = s.rank == 1;
    switch (s.confidence) {
      case Confidence::kHigh:
        ++m.high, m.high_correct += right;
        break;
      case Confidence::kModerate:
        ++m.moderate, m.moderate_correct += right;
        break;
      case Confidence::kLow:
        ++m.low, m.low_correct += right;
        break;
    }
  }
  m.top1 /= total, m.top5 /= total, m.top10 /= total, m.mrr /= total;
  return m;
}

std::vector<ScoredCase> EvaluateEngine(const KnowledgeBase& kb, const Model& model,
                                       const std::vector<HoldoutCase>& cases) {
  std::vector<ScoredCase> out;
  std::vector<GroupFeatures> features = FeaturesFromKb(kb);
  for (const auto& c : cases) {
    GroupFeatures saved = std::move(features[c.group]);
    features[c.group] = c.reduced;
    ProfileSet ps = ProfileSet::Build(kb, model.params, &features, /*with_versions=*/false);
    features[c.group] = std::move(saved);
    Assessment a = ps.Assess(c.evidence, model.calibration, 1);
    std::vector<RankedGroup> ranked = ps.Rank(c.evidence);
    ScoredCase s;
    s.truth = c.group;
    s.rank = RankOf(ranked, c.group);
    s.top_posterior = ranked.front().posterior;
    s.truth_posterior = ranked[s.rank - 1].posterior;
    s.confidence = a.candidates.front().confidence;
    out.push_back(s);
  }
  return out;
}

std::vector<ScoredCase> EvaluateTfIdf(const KnowledgeBase& kb,
                                      const std::vector<HoldoutCase>& cases) {
  const std::size_t G = kb.groups().size(), VT = kb.techniques().size();
  std::vector<GroupFeatures> features = FeaturesFromKb(kb);
  std::vector<ScoredCase> out;
  for (const auto& c : cases) {
    GroupFeatures saved = std::move(features[c.group]);
    features[c.group] = c.reduced;
    std::vector<double> df(VT + kb.software().size(), 0.0);
    for (const auto& f : features) {
      for (auto t : f.techniques) df[t] += 1;
      for (auto s : f.software) df[VT + s] += 1;
    }
    auto idf = [&](std::size_t term) {
      return df[term] > 0 ? std::log(static_cast<double>(G) / df[term]) : 0.0;
    };
    std::vector<std::size_t> query;
    for (const auto& e : c.evidence.items) {
      query.push_back(e.kind == EvidenceKind::kTechnique ? e.index : VT + e.index);
    }
    double qnorm = 0;
    for (auto q : query) qnorm += idf(q) * idf(q);
    std::vector<RankedGroup> ranked;
    for (std::uint32_t g = 0; g < G; ++g) {
      const auto& f = features[g];
      double dot = 0, gnorm = 0;
      for (auto t : f.techniques) gnorm += idf(t) * idf(t);
      for (auto s : f.software) gnorm += idf(VT + s) * idf(VT + s);
      for (auto q : query) {
        bool in = q < VT ? std::binary_search(f.techniques.begin(), f.techniques.end(), q)
                         : std::binary_search(f.software.begin(), f.software.end(), q - VT);
        if (in) dot += idf(q) * idf(q);
      }
      double cos = (qnorm > 0 && gnorm > 0) ? dot / std::sqrt(qnorm * gnorm) : 0.0;
      ranked.push_back({g, cos, 0.0});
    }
    features[c.group] = std::move(saved);
    std::sort(ranked.begin(), ranked.end(), [](const RankedGroup& a, const RankedGroup& b) {
      return a.score != b.score ? a.score > b.score : a.group < b.group;
    });
    ScoredCase s;
    s.truth = c.group;
    s.rank = RankOf(ranked, c.group);
    out.push_back(s);
  }
  return out;
}

Calibration CalibrateThresholds(const std::vector<ScoredCase>& scored, double high_precision,
                                double moderate_precision, std::size_t min_support,
                                const Calibration& fallback) {
  Calibration cal = fallback;
  auto lowest_meeting = [&](double target, double fb) {
    // Scan thresholds on a 0.01 grid from low to high; the first whose precision (over cases at
    // or above it) meets the target, with enough support, wins.
    for (int i = 1; i <= 99; ++i) {
      double th = i / 100.0;
      std::size_t n = 0, right = 0;
      for (const auto& s : scored) {
        if (s.top_posterior >= th) ++n, right += s.rank == 1;
      }
      if (n < min_support) break;
      if (static_cast<double>(right) >= target * static_cast<double>(n)) return th;
    }
    return fb;
  };
  cal.high = lowest_meeting(high_precision, fallback.high);
  // Moderate: the band [moderate, high) itself must meet its target, so that cases the model
  // cannot tell apart (low posteriors) do not ride on the precision of the confident ones.
  cal.moderate = cal.high;
  for (int i = 1; i < static_cast<int>(cal.high * 100); ++i) {
    double th = i / 100.0;
    std::size_t n = 0, right = 0;
    for (const auto& s : scored) {
      if (s.top_posterior >= th && s.top_posterior < cal.high) ++n, right += s.rank == 1;
    }
    if (n < min_support) break;
    if (static_cast<double>(right) >= moderate_precision * static_cast<double>(n)) {
      cal.moderate = th;
      break;
    }
  }
  return cal;
}

}  // namespace entente::attribute
