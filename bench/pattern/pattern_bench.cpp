// Pattern throughput: parsing the real corpus, and evaluating it against realistic observations.
//
// Data (all in the repository, data/stix): the 213 real patterns of pattern-corpus-real.json, and
// the observed-data + SCOs that misp-stix produces for every MISP attribute type and object
// template (misp-stix/*.json; each entry is its own input so ids stay apart). Misses are added
// synthetically: observations of IPs, domains, URLs, files with hashes and network traffic that no
// pattern names, as a sensor mostly sees.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "entente/base/json.h"
#include "entente/pattern/anchors.h"
#include "entente/pattern/evaluator.h"

namespace {

using namespace entente;
using namespace entente::pattern;

std::string ReadData(const std::string& rel) {
  std::ifstream in(std::string(ENTENTE_DATA_DIR) + "/" + rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = [] {
    std::vector<std::string> out;
    std::string text = ReadData("stix/pattern-corpus-real.json");
    auto root = json::Value::Parse(text);
    if (!root.ok()) {
      std::fprintf(stderr, "cannot read data/stix/pattern-corpus-real.json\n");
      std::abort();
    }
    for (const auto& p : root->find("patterns")->array()) out.push_back(p.find("pattern")->str());
    return out;
  }();
  return corpus;
}

// The misp-stix golden entries: each STIX array as one bundle text, and its indicator pattern.
struct Golden {
  std::string bundle;
  std::string pattern;
};
const std::vector<Golden>& GoldenEntries() {
  static const std::vector<Golden> entries = [] {
    std::vector<Golden> out;
    for (const char* f : {"stix/misp-stix/misp_attributes_to_stix21.json",
                          "stix/misp-stix/misp_objects_to_stix21.json"}) {
      std::string text = ReadData(f);
      auto root = json::Value::Parse(text);
      if (!root.ok()) std::abort();
      for (const auto& [name, entry] : root->object()) {
        const json::Value* stix = entry.find("STIX");
        if (!stix || !stix->is_array()) continue;
        Golden g;
        bool observed = false;
        for (const auto& o : stix->array()) {
          const json::Value* t = o.find("type");
          if (t && t->str() == "observed-data") observed = true;
          if (t && t->str() == "indicator") g.pattern = o.find("pattern")->str();
        }
        if (!observed) continue;
        json::Value bundle = json::Value::MakeObject();
        bundle.set("type", "bundle");
        bundle.set("objects", *stix);
        g.bundle = bundle.Serialize();
        out.push_back(std::move(g));
      }
    }
    return out;
  }();
  return entries;
}

// Realistic observations: every misp-stix observed-data (hits for many corpus patterns) plus
// `misses` generated observations that match nothing.
ObservationSet MakeObservations(int misses) {
  ObservationSet set;
  for (const auto& g : GoldenEntries()) {
    if (!set.AddJson(g.bundle).ok()) std::abort();
  }
  std::mt19937_64 rng(42);
  auto hex = [&](int n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(d[rng() % 16]);
    return s;
  };
  Timestamp t0 = *ParseTimestamp("2024-05-01T00:00:00Z");
  for (int i = 0; i < misses; ++i) {
    std::string ip = std::to_string(rng() % 223 + 1) + "." + std::to_string(rng() % 256) + "." +
                     std::to_string(rng() % 256) + "." + std::to_string(rng() % 254 + 1);
    std::string domain = "h" + hex(8) + ".example.net";
    std::vector<json::Value> scos;
    auto obj = [](std::initializer_list<std::pair<const char*, json::Value>> members) {
      json::Value v = json::Value::MakeObject();
      for (const auto& [k, m] : members) v.set(k, m);
      return v;
    };
    scos.push_back(obj({{"type", "ipv4-addr"}, {"id", "ipv4-addr--d"}, {"value", ip}}));
    scos.push_back(obj({{"type", "ipv4-addr"}, {"id", "ipv4-addr--s"}, {"value", "10.1.2.3"}}));
    scos.push_back(obj({{"type", "domain-name"}, {"id", "domain-name--1"}, {"value", domain}}));
    scos.push_back(obj({{"type", "url"}, {"id", "url--1"}, {"value", "https://" + domain + "/x"}}));
    json::Value hashes = json::Value::MakeObject();
    hashes.set("MD5", hex(32));
    hashes.set("SHA-256", hex(64));
    scos.push_back(obj({{"type", "file"},
                        {"id", "file--1"},
                        {"name", "f" + hex(6) + ".exe"},
                        {"size", static_cast<std::int64_t>(rng() % 1000000)},
                        {"hashes", hashes}}));
    json::Value protocols = json::Value::MakeArray();
    protocols.push_back("tcp");
    scos.push_back(obj({{"type", "network-traffic"},
                        {"id", "network-traffic--1"},
                        {"src_ref", "ipv4-addr--s"},
                        {"dst_ref", "ipv4-addr--d"},
                        {"dst_port", 443},
                        {"protocols", protocols}}));
    Timestamp t{t0.nanos + static_cast<std::int64_t>(i) * 1'000'000'000};
    set.AddObservation("observed-data--gen-" + std::to_string(i), t, t, 1, std::move(scos));
  }
  return set;
}

void BM_ParseRealCorpus(benchmark::State& state) {
  const auto& corpus = Corpus();
  std::size_t bytes = 0;
  for (const auto& p : corpus) bytes += p.size();
  for (auto _ : state) {
    for (const auto& p : corpus) {
      auto r = Parse(p);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ParseRealCorpus);

void BM_CompileAnchorsRealCorpus(benchmark::State& state) {
  std::vector<Pattern> parsed;
  for (const auto& p : Corpus()) parsed.push_back(*Parse(p));
  for (auto _ : state) {
    for (const auto& p : parsed) {
      auto a = CompileAnchors(p);
      benchmark::DoNotOptimize(a);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * parsed.size()));
}
BENCHMARK(BM_CompileAnchorsRealCorpus);

// Every corpus pattern against one set of observations (hits and misses): items = patterns.
void BM_MatchRealCorpus(benchmark::State& state) {
  std::vector<CompiledPattern> compiled;
  for (const auto& p : Corpus()) compiled.push_back(*CompiledPattern::Compile(p));
  ObservationSet set = MakeObservations(static_cast<int>(state.range(0)));
  std::size_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const auto& c : compiled) {
      auto r = c.Match(set);
      if (r.ok() && r->matched) ++matched;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * compiled.size()));
  state.counters["observations"] = static_cast<double>(set.size());
  state.counters["patterns_matching"] = static_cast<double>(matched);
  state.counters["pattern_x_observation/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * compiled.size() * set.size()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatchRealCorpus)->Arg(0)->Arg(1000);

// The detector's verification step: one anchored candidate pattern against the one observation
// that produced the candidate (each misp-stix pattern against its own observed-data).
void BM_VerifyCandidate(benchmark::State& state) {
  struct Pair {
    CompiledPattern pattern;
    ObservationSet set;
  };
  std::vector<Pair> pairs;
  for (const auto& g : GoldenEntries()) {
    if (g.pattern.empty()) continue;
    ObservationSet set;
    if (!set.AddJson(g.bundle).ok()) std::abort();
    pairs.push_back({*CompiledPattern::Compile(g.pattern), std::move(set)});
  }
  std::size_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const auto& p : pairs) {
      auto r = p.pattern.Match(p.set);
      if (r.ok() && r->matched) ++matched;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pairs.size()));
  state.counters["pairs"] = static_cast<double>(pairs.size());
  state.counters["matching"] = static_cast<double>(matched);
}
BENCHMARK(BM_VerifyCandidate);

}  // namespace

BENCHMARK_MAIN();
