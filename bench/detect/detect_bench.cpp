// Index and scanner benchmarks (docs/BENCHMARKS.md, "Detect (index and scanner)").
//  BM_ExactLookup/10M/B/P  random exact lookups against 10 M synthetic IPv4+domain values,
//                          P % present, in batches of B (Index::FindBatch, pipelined prefetch);
//                          P = 50 is the figure, 0 and 100 show the two paths apart
//  BM_RandomLines/MiB      the memory ceiling: independent random cache-line reads, no lookup work
//  BM_CidrLookupV4/1M      random IPv4 longest-prefix lookups against 1 M random prefixes /8-/32
//  BM_CidrLookupV6/1M      random IPv6 longest-prefix lookups against 1 M random prefixes /8-/64
//  BM_BuildReal            index build for all of data/ioc (reading excluded); bytes/indicator
//  BM_ScanReal             scanner over the real logs (in memory) with the full indicator set
// The real-data benchmarks need ENTENTE_SHARED_DIR/data/{ioc,logs} (or $ENTENTE_SHARED) and
// say so when it is missing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "entente/detect/indicator_list.h"
#include "entente/detect/scanner.h"

namespace entente::detect {
namespace {

std::string SharedDir() {
  if (const char* e = std::getenv("ENTENTE_SHARED")) return e;
  return ENTENTE_SHARED_DIR;
}

std::vector<std::string> IocLists() {
  std::vector<std::string> out;
  std::string dir = SharedDir() + "/data/ioc";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".txt") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

struct Synthetic {
  std::shared_ptr<const Index> index;
  std::vector<std::string> present, absent;
};

Synthetic MakeSynthetic(std::size_t n) {
  Synthetic r;
  std::mt19937_64 rng(42);
  IndexBuilder b;
  IndicatorMeta meta;
  meta.ref = "bench";
  MetaId m = b.AddMeta(meta);
  auto name = [&](std::uint64_t v) {
    std::string d;
    for (int i = 0; i < 10; ++i, v /= 26) d.push_back(static_cast<char>('a' + v % 26));
    return d + ".example";
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t v = rng();
    if (i % 4 == 0) {
      (void)b.Add(ObservableType::kIpv4, FormatIpv4(static_cast<std::uint32_t>(v)), m);
    } else {
      (void)b.Add(ObservableType::kDomain, name(v), m);
    }
    if (i % 10 == 1) r.present.push_back(name(v));  // domains only (i % 4 != 0)
  }
  for (std::size_t i = 0; i < r.present.size(); ++i) r.absent.push_back(name(rng()) + "x");
  r.index = *b.Build(nullptr);
  return r;
}

// One index per size, built on first use (it takes seconds) and kept for the process.
const Synthetic& SyntheticExact(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Synthetic>> built;
  auto& s = built[n];
  if (!s) s = std::make_unique<Synthetic>(MakeSynthetic(n));
  return *s;
}

void BM_ExactLookup(benchmark::State& state) {
  const Synthetic& s = SyntheticExact(static_cast<std::size_t>(state.range(0)));
  // 2^20 keys, range(2) % present, shuffled, in one contiguous arena (as tokens sit in a scan
  // buffer); each batch hashes range(1) of them and looks them up with FindBatch.
  const auto present_pct = static_cast<std::size_t>(state.range(2));
  std::vector<std::string> mixed;
  for (std::size_t i = 0; i < (1u << 20); ++i) {
    const auto& from = i % 100 < present_pct ? s.present : s.absent;
    mixed.push_back(from[i % from.size()]);
  }
  std::shuffle(mixed.begin(), mixed.end(), std::mt19937_64(7));
  std::string arena;
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (const auto& k : mixed) {
    spans.push_back({arena.size(), k.size()});
    arena += k;
  }
  const auto batch = static_cast<std::size_t>(state.range(1));
  std::vector<Index::Probe> probes(batch);
  std::vector<std::uint32_t> out(batch);
  std::size_t pos = 0, found = 0;
  for (auto _ : state) {
    for (auto& p : probes) {
      auto [off, len] = spans[pos++ & (spans.size() - 1)];
      std::string_view k(arena.data() + off, len);
      p = {Index::Hash(ObservableType::kDomain, k), k, ObservableType::kDomain};
    }
    s.index->FindBatch(probes, out.data());
    for (auto v : out) found += v != Index::kNone;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["hit_ratio"] =
      static_cast<double>(found) / static_cast<double>(state.iterations() * batch);
  state.counters["bytes_per_value"] = static_cast<double>(s.index->stats().exact_bytes) /
                                      static_cast<double>(s.index->stats().exact_values);
}
BENCHMARK(BM_ExactLookup)
    ->Args({10'000'000, 256, 50})
    ->Args({10'000'000, 1024, 50})
    ->Args({10'000'000, 4096, 50})
    ->Args({10'000'000, 4096, 0})
    ->Args({10'000'000, 4096, 100})
    ->Unit(benchmark::kMicrosecond);

// The machine's ceiling for the lookups above: independent random 64-byte reads over a table
// of range(0) MiB, prefetched 64 at a time and then read, with no other work.
void BM_RandomLines(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0)) << 20;
  std::vector<std::uint64_t> table(bytes / 8, 1);
  std::mt19937_64 rng(5);
  std::vector<std::uint32_t> line(1u << 20);
  for (auto& l : line) l = static_cast<std::uint32_t>(rng() % (bytes / 64));
  std::size_t pos = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (int g = 0; g < 4096; g += 64, pos += 64) {
      for (std::size_t i = 0; i < 64; ++i)
        __builtin_prefetch(&table[std::size_t{line[(pos + i) & (line.size() - 1)]} * 8]);
      for (std::size_t i = 0; i < 64; ++i)
        sum += table[std::size_t{line[(pos + i) & (line.size() - 1)]} * 8];
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 4096));
}
BENCHMARK(BM_RandomLines)->Arg(128)->Arg(384)->Arg(1024);

// An index of n CIDR indicators, each the text cidr(rng) returns (one seed for every run).
template <typename MakeCidr>
std::shared_ptr<const Index> CidrIndex(std::int64_t n, MakeCidr&& cidr) {
  std::mt19937_64 rng(1);
  IndexBuilder b;
  IndicatorMeta meta;
  meta.ref = "bench";
  MetaId m = b.AddMeta(meta);
  for (std::int64_t i = 0; i < n; ++i) (void)b.AddCidr(cidr(rng), m);
  return *b.Build(nullptr);
}

void BM_CidrLookupV6(benchmark::State& state) {
  static std::shared_ptr<const Index> index = CidrIndex(state.range(0), [](auto& rng) {
    Ipv6Bytes a;
    for (auto& byte : a) byte = static_cast<std::uint8_t>(rng());
    int len = 8 + static_cast<int>(rng() % 57);  // /8 to /64, as allocations and hosts' nets
    return FormatIpv6(a) + "/" + std::to_string(len);
  });
  // 2^20 random addresses (16 MiB), walked in order: the reads that count are the index's.
  static const std::vector<Ipv6Bytes> addrs = [] {
    std::mt19937_64 rng(3);
    std::vector<Ipv6Bytes> v(1u << 20);
    for (auto& a : v)
      for (auto& byte : a) byte = static_cast<std::uint8_t>(rng());
    return v;
  }();
  std::vector<std::uint32_t> out(4096);
  std::size_t pos = 0, hits = 0;
  for (auto _ : state) {
    index->LookupV6Batch(std::span(addrs).subspan(pos, 4096), out.data());
    pos = (pos + 4096) & (addrs.size() - 1);
    for (auto v : out) hits += v != Index::kNone;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 4096));
}
BENCHMARK(BM_CidrLookupV6)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

void BM_CidrLookupV4(benchmark::State& state) {
  static std::shared_ptr<const Index> index = CidrIndex(state.range(0), [](auto& rng) {
    int len = 8 + static_cast<int>(rng() % 25);
    return FormatIpv4(static_cast<std::uint32_t>(rng())) + "/" + std::to_string(len);
  });
  std::mt19937 rng(3);
  std::vector<std::uint32_t> addrs(4096);
  for (auto& a : addrs) a = static_cast<std::uint32_t>(rng());
  std::vector<std::uint32_t> out(addrs.size());
  std::size_t hits = 0;
  for (auto _ : state) {
    index->LookupV4Batch(addrs, out.data());
    for (auto v : out) hits += v != Index::kNone;
    for (auto& a : addrs) a = a * 2654435761u + 1;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_CidrLookupV4)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

struct RealLists {
  std::vector<std::string> texts, names;
};
const RealLists& Lists() {
  static RealLists r = [] {
    RealLists l;
    for (const auto& p : IocLists()) {
      auto t = ReadFileMaybeGzip(p, std::size_t{1} << 30);
      if (t.ok()) {
        l.texts.push_back(std::move(*t));
        l.names.push_back(p);
      }
    }
    return l;
  }();
  return r;
}

std::shared_ptr<const Index> BuildReal(const PublicSuffixList* psl) {
  IndexBuilder b;
  for (std::size_t i = 0; i < Lists().texts.size(); ++i)
    (void)ParseIndicatorList(Lists().texts[i], Lists().names[i], b, nullptr);
  return *b.Build(psl);
}

const PublicSuffixList* Psl() {
  static PublicSuffixList p = [] {
    auto r = PublicSuffixList::Load(std::string(kDefaultPublicSuffixPath));
    return r.ok() ? std::move(*r) : PublicSuffixList();
  }();
  return &p;
}

void BM_BuildReal(benchmark::State& state) {
  if (Lists().texts.empty()) {
    state.SkipWithError("no data/ioc under ENTENTE_SHARED_DIR");
    return;
  }
  std::shared_ptr<const Index> idx;
  for (auto _ : state) idx = BuildReal(Psl());
  const auto& st = idx->stats();
  state.counters["exact_values"] = static_cast<double>(st.exact_values);
  state.counters["exact_bytes_per_value"] =
      static_cast<double>(st.exact_bytes) / static_cast<double>(st.exact_values);
  state.counters["total_MB"] = static_cast<double>(st.total_bytes) / 1e6;
}
BENCHMARK(BM_BuildReal)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ScanReal(benchmark::State& state) {
  if (Lists().texts.empty()) {
    state.SkipWithError("no data/ioc under ENTENTE_SHARED_DIR");
    return;
  }
  static std::string corpus = [] {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(SharedDir() + "/data/logs", ec))
      if (e.is_regular_file() && e.path().filename().string().find(".log") != std::string::npos)
        files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    std::string all;
    for (const auto& f : files) all += *ReadFileMaybeGzip(f, std::size_t{1} << 30);
    return all;
  }();
  static IndexHandle handle(BuildReal(Psl()));
  static Warninglists wl = [] {
    auto r = Warninglists::Load(SharedDir() + "/data/ioc/warninglists");
    return r.ok() ? std::move(*r) : Warninglists();
  }();
  std::size_t hits = 0;
  for (auto _ : state) {
    Scanner sc(handle, &wl, {}, [&](const Hit&) { ++hits; });
    (void)sc.ScanBuffer(corpus, "corpus");
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus.size()));
  state.counters["hits"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ScanReal)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace entente::detect

BENCHMARK_MAIN();
