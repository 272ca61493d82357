// MISP -> STIX conversion speed and memory (docs/BENCHMARKS.md, "Formats (MISP)").
//
//   BM_MispLargestRealEvent   long_event.json (370 attributes, the largest real event by
//                             attribute count), parse + convert, attributes/s
//   BM_MispGenerated150k*     a generated event of 150,000 attributes of the common types,
//                             streaming (sink drops each object) or collected into a bundle;
//                             peak_rss_growth_MB is the growth of the process's peak RSS
//                             during the first iteration (run one filter per process);
//                             of_which_input_dom_MB is the part taken by parsing the input.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "entente/base/json.h"
#include "entente/formats/misp.h"

namespace {

using entente::formats::MispOptions;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

MispOptions Options() {
  MispOptions o;
  o.now = entente::Timestamp{0};
  return o;
}

void BM_MispLargestRealEvent(benchmark::State& state) {
  const std::string text = ReadFile(std::string(ENTENTE_DATA_DIR) + "/misp/pymisp/long_event.json");
  if (text.empty()) {
    state.SkipWithError("data/misp/pymisp/long_event.json missing");
    return;
  }
  entente::json::Document doc;
  std::size_t attributes = 0, objects = 0;
  for (auto _ : state) {
    if (!doc.Parse(text).ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    entente::formats::MispStats stats;
    auto bundle = entente::formats::MispToStix(doc.root(), Options(), &stats);
    benchmark::DoNotOptimize(bundle);
    attributes += stats.attributes;
    objects += stats.stix_objects;
  }
  state.counters["attributes/s"] =
      benchmark::Counter(static_cast<double>(attributes), benchmark::Counter::kIsRate);
  state.counters["stix_objects/s"] =
      benchmark::Counter(static_cast<double>(objects), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MispLargestRealEvent)->Unit(benchmark::kMillisecond);

// A 150k-attribute event like a large feed dump: ip-dst, domain, url, md5, sha256,
// filename|sha256, every other one to_ids, tags on one in ten.
std::string Generate(std::size_t n) {
  std::string s;
  s.reserve(n * 260);
  s +=
      R"({"Event":{"uuid":"8c5e1c3a-8f1e-4c4b-9a52-7d6f3c2a1b00","info":"generated","timestamp":"1700000000","Orgc":{"name":"CERT-EU","uuid":"5cf66e53-b5f8-43e7-be9e-49880a3b4631"},"Tag":[{"name":"tlp:amber"}],"Attribute":[)";
  char uuid[40];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(uuid, sizeof uuid, "6b1f%04zx-1c2d-4e3f-8a9b-%012zx", i % 0xffff, i);
    if (i) s += ',';
    s += R"({"uuid":")";
    s += uuid;
    s += R"(","timestamp":"1700000000","category":"Network activity","to_ids":)";
    s += (i % 2) ? "true" : "false";
    switch (i % 6) {
      case 0:
        s += R"(,"type":"ip-dst","value":"10.)" + std::to_string((i >> 16) & 255) + "." +
             std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + '"';
        break;
      case 1:
        s += R"(,"type":"domain","value":"host)" + std::to_string(i) + R"(.example.org")";
        break;
      case 2:
        s += R"(,"type":"url","value":"https://host)" + std::to_string(i) +
             R"(.example.org/a/b?c=d")";
        break;
      case 3:
        s += R"(,"type":"md5","value":"d41d8cd98f00b204e9800998)" + std::to_string(10000000 + i) +
             '"';
        break;
      case 4:
        s += R"(,"type":"sha256","value":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599)" +
             std::to_string(1000000000 + i) + '"';
        break;
      default:
        s += R"(,"type":"filename|sha256","value":"dropper)" + std::to_string(i) +
             R"(.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599)" +
             std::to_string(1000000000 + i) + '"';
    }
    if (i % 10 == 0) s += R"(,"Tag":[{"name":"osint:source-type=\"block-or-filter-list\""}])";
    s += '}';
  }
  s += "]}}";
  return s;
}

void RunGenerated(benchmark::State& state, bool streaming) {
  const std::size_t n = 150'000;
  const std::string text = Generate(n);
  double growth = -1, dom = -1;
  std::size_t attributes = 0, out_bytes = 0;
  for (auto _ : state) {
    const double before = PeakRssMb();
    entente::json::Document doc;
    if (!doc.Parse(text).ok()) {
      state.SkipWithError("parse failed");
      return;
    }
    if (dom < 0) dom = PeakRssMb() - before;
    entente::formats::MispStats stats;
    if (streaming) {
      std::size_t bytes = 0;
      auto s = entente::formats::MispToStixStream(
          doc.root(), Options(),
          [&](entente::json::Value&& v) {
            bytes += v.Serialize().size();
            return entente::Status::Ok();
          },
          &stats);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
      out_bytes = bytes;
    } else {
      auto bundle = entente::formats::MispToStix(doc.root(), Options(), &stats);
      if (!bundle.ok()) state.SkipWithError(bundle.status().ToString().c_str());
      benchmark::DoNotOptimize(bundle);
    }
    if (growth < 0) growth = PeakRssMb() - before;
    attributes += stats.attributes;
  }
  state.counters["input_MB"] = static_cast<double>(text.size()) / 1e6;
  state.counters["output_MB"] = static_cast<double>(out_bytes) / 1e6;
  state.counters["peak_rss_growth_MB"] = growth;
  state.counters["of_which_input_dom_MB"] = dom;
  state.counters["attributes/s"] =
      benchmark::Counter(static_cast<double>(attributes), benchmark::Counter::kIsRate);
}

void BM_MispGenerated150kStreaming(benchmark::State& state) { RunGenerated(state, true); }
void BM_MispGenerated150kBundle(benchmark::State& state) { RunGenerated(state, false); }
BENCHMARK(BM_MispGenerated150kStreaming)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_MispGenerated150kBundle)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
