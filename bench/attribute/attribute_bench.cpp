// Latency of attribution: ranking one incident against every profile (target < 1 ms), with
// explanations, and rebuilding every profile from the ATT&CK base (target < 1 s).
//   build/bench/attribute/attribute_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "entente/attribute/engine.h"

namespace entente::attribute {
namespace {

const std::string& KbText() {
  static const std::string text = [] {
    std::ifstream in(std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json",
                     std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

const KnowledgeBase& Kb() {
  static const KnowledgeBase* kb = [] {
    json::Document doc;
    if (!doc.Parse(KbText()).ok()) std::abort();
    auto r = KnowledgeBase::FromBundle(doc.root());
    if (!r.ok()) std::abort();
    return new KnowledgeBase(std::move(*r));
  }();
  return *kb;
}

Evidence Apt29Like() {
  const KnowledgeBase& kb = Kb();
  Evidence ev;
  for (const char* t : {"T1566.001", "T1059.001", "T1078", "T1021.001", "T1105", "T1027"}) {
    ev.Add({EvidenceKind::kTechnique, *kb.FindTechnique(t), t, "bench", std::nullopt});
  }
  for (const char* s : {"GoldMax", "Sibot", "Mimikatz", "Cobalt Strike"}) {
    ev.Add({EvidenceKind::kSoftware, *kb.FindSoftware(s), s, "bench", std::nullopt});
  }
  return ev;
}

void BM_RankIncident(benchmark::State& state) {
  ProfileSet ps = ProfileSet::Build(Kb());
  Evidence ev = Apt29Like();
  for (auto _ : state) benchmark::DoNotOptimize(ps.Rank(ev));
  state.SetLabel("10 evidence items x 172 groups");
}
BENCHMARK(BM_RankIncident)->Unit(benchmark::kMicrosecond);

void BM_AssessIncidentTop5(benchmark::State& state) {
  ProfileSet ps = ProfileSet::Build(Kb());
  Evidence ev = Apt29Like();
  for (auto _ : state) benchmark::DoNotOptimize(ps.Assess(ev, Calibration{}, 5));
  state.SetLabel("rank + explanations of 5 candidates");
}
BENCHMARK(BM_AssessIncidentTop5)->Unit(benchmark::kMicrosecond);

void BM_BuildProfiles(benchmark::State& state) {
  const KnowledgeBase& kb = Kb();
  for (auto _ : state) benchmark::DoNotOptimize(ProfileSet::Build(kb));
  state.SetLabel("172 groups, with versions");
}
BENCHMARK(BM_BuildProfiles)->Unit(benchmark::kMillisecond);

void BM_RebuildFromBundle(benchmark::State& state) {
  const std::string& text = KbText();
  for (auto _ : state) {
    json::Document doc;
    if (!doc.Parse(text).ok()) std::abort();
    auto kb = KnowledgeBase::FromBundle(doc.root());
    benchmark::DoNotOptimize(ProfileSet::Build(*kb));
  }
  state.SetLabel("parse 6.4 MB bundle + knowledge base + profiles");
}
BENCHMARK(BM_RebuildFromBundle)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace entente::attribute

BENCHMARK_MAIN();
