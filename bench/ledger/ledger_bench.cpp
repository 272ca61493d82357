// Ledger throughput: batched appends (in memory and to the file with one fdatasync per batch),
// proof generation and verification, signed heads, reopening. Figures and commands:
// docs/BENCHMARKS.md ("## Ledger"). File benchmarks write under $ENTENTE_BENCH_DIR (default: the
// system temporary directory); put it on the disk you mean to measure.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "entente/crypto/hybrid.h"
#include "entente/ledger/ledger.h"

namespace entente::ledger {
namespace {

Entry MakeEntry(std::uint64_t i) {
  Entry e;
  e.kind = "share";
  e.time = "2026-11-23T01:02:03.000Z";
  e.actor = "identity--5f0c3c36-1d7c-4d4b-9a52-0c3f5f8f4f11";
  e.subject = "indicator--00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
  e.payload_hash = "sha256:" + std::string(64, 'a');
  return e;
}

std::vector<std::string> Leaves(std::size_t n, std::uint64_t start = 0) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(*EncodeEntry(MakeEntry(start + i)));
  return out;
}

std::unique_ptr<Ledger> OpenOrDie(const std::string& path, LedgerOptions o = {}) {
  auto l = Ledger::Open(path, std::move(o));
  if (!l.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(),
                 std::string(l.status().message()).c_str());
    std::abort();
  }
  std::unique_ptr<Ledger> out = std::move(*l);
  return out;
}

std::string BenchPath(const char* name) {
  const char* dir = std::getenv("ENTENTE_BENCH_DIR");
  std::filesystem::path p = dir != nullptr ? dir : std::filesystem::temp_directory_path();
  return (p / (std::string("entente_ledger_bench_") + name + ".log")).string();
}

// The in-memory tree update alone: leaf hash of a pre-encoded entry (about 220 bytes) and the
// subtree hashes it completes.
void BM_TreeAppend(benchmark::State& state) {
  const auto leaves = Leaves(10000);
  MerkleTree tree;
  std::size_t i = 0;
  for (auto _ : state) {
    if (tree.size() >= 1'000'000) {
      state.PauseTiming();
      tree = MerkleTree();
      state.ResumeTiming();
    }
    tree.AppendLeafHash(LeafHash(AsBytes(leaves[i++ % leaves.size()])));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TreeAppend);

// Pre-encoded leaves (about 220 bytes each) appended in batches: hashing, record framing, tree.
void BM_AppendLeavesInMemory(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto leaves = Leaves(batch);
  auto l = Ledger::InMemory();
  for (auto _ : state) {
    if (l->size() >= 1'000'000) {
      state.PauseTiming();
      l = Ledger::InMemory();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(l->AppendLeaves(leaves, /*trusted=*/true));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch * leaves[0].size()));
}
BENCHMARK(BM_AppendLeavesInMemory)->Arg(1000)->Arg(10000);

// Entries (validated and JCS-encoded here) appended in batches.
void BM_AppendEntriesInMemory(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < batch; ++i) entries.push_back(MakeEntry(i));
  auto l = Ledger::InMemory();
  for (auto _ : state) {
    if (l->size() >= 1'000'000) {
      state.PauseTiming();
      l = Ledger::InMemory();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(l->AppendBatch(entries));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}
BENCHMARK(BM_AppendEntriesInMemory)->Arg(10000);

// To the file: one write and one fdatasync per batch (Arg 1 = one fsync per entry).
void BM_AppendLeavesToFile(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto leaves = Leaves(batch);
  const std::string path = BenchPath("append");
  std::filesystem::remove(path);
  auto l = OpenOrDie(path);
  for (auto _ : state) {
    if (l->size() >= 1'000'000) {
      state.PauseTiming();
      l.reset();
      std::filesystem::remove(path);
      l = OpenOrDie(path);
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(l->AppendLeaves(leaves, /*trusted=*/true));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
  l.reset();
  std::filesystem::remove(path);
}
BENCHMARK(BM_AppendLeavesToFile)->Arg(1)->Arg(1000)->Arg(10000)->UseRealTime();

// 1000-leaf batches appended to a log that already holds range(0) leaves, as on a node that has
// been sharing for months: the cost of a batch must not grow with the log's length. The leaves
// are short (16 bytes) so that a log of millions fits in memory; the per-leaf bookkeeping
// (offsets, tree levels) is what this measures, not hashing.
void BM_AppendToLongLog(benchmark::State& state) {
  const auto prefill = static_cast<std::size_t>(state.range(0));
  std::vector<std::string> leaves(1000);
  for (std::size_t i = 0; i < leaves.size(); ++i) leaves[i] = "leaf-" + std::to_string(1e10 + i);
  auto l = Ledger::InMemory();
  for (std::size_t n = 0; n < prefill; n += leaves.size()) (void)l->AppendLeaves(leaves, true);
  for (auto _ : state) benchmark::DoNotOptimize(l->AppendLeaves(leaves, /*trusted=*/true));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(leaves.size()));
}
BENCHMARK(BM_AppendToLongLog)->Arg(0)->Arg(4'000'000)->Unit(benchmark::kMicrosecond);

// Two producers appending 10 k-leaf batches to one log file, as the server's I/O threads and the
// federation sync thread do: one hashes its batch while the other writes and syncs. 50 batches
// per producer (1 M entries, about 250 MB of log).
void BM_AppendLeavesToFileTwoProducers(benchmark::State& state) {
  static std::unique_ptr<Ledger> shared;
  static const std::string path = BenchPath("two_producers");
  const auto leaves = Leaves(10000, static_cast<std::uint64_t>(state.thread_index()) * 10000);
  if (state.thread_index() == 0) {
    std::filesystem::remove(path);
    shared = OpenOrDie(path);
  }
  for (auto _ : state) benchmark::DoNotOptimize(shared->AppendLeaves(leaves, /*trusted=*/true));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(leaves.size()));
  if (state.thread_index() == 0) {
    shared.reset();
    std::filesystem::remove(path);
  }
}
BENCHMARK(BM_AppendLeavesToFileTwoProducers)->Threads(2)->Iterations(50)->UseRealTime();

// A tree of 2^20 + 12345 leaves for the proof benchmarks.
const MerkleTree& BigTree() {
  static const MerkleTree tree = [] {
    MerkleTree t;
    const std::uint64_t n = (1u << 20) + 12345;
    t.Reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) t.AppendLeafHash(LeafHash(AsBytes(std::to_string(i))));
    return t;
  }();
  return tree;
}

void BM_InclusionProofGenerate(benchmark::State& state) {
  const MerkleTree& t = BigTree();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.InclusionProof(rng() % t.size(), t.size()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofGenerate);

void BM_InclusionProofVerify(benchmark::State& state) {
  const MerkleTree& t = BigTree();
  const Hash root = t.Root();
  std::vector<std::pair<std::uint64_t, std::vector<Hash>>> proofs;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 1024; ++i) {
    const std::uint64_t idx = rng() % t.size();
    proofs.emplace_back(idx, *t.InclusionProof(idx, t.size()));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [idx, path] = proofs[i++ & 1023];
    if (!VerifyInclusion(t.leaf_hash(idx), idx, t.size(), path, root)) state.SkipWithError("bad");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProofVerify);

void BM_ConsistencyProofGenerate(benchmark::State& state) {
  const MerkleTree& t = BigTree();
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.ConsistencyProof(1 + rng() % (t.size() - 1), t.size()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProofGenerate);

void BM_ConsistencyProofVerify(benchmark::State& state) {
  const MerkleTree& t = BigTree();
  const Hash root = t.Root();
  struct P {
    std::uint64_t m;
    Hash root;
    std::vector<Hash> path;
  };
  std::vector<P> proofs;
  std::mt19937_64 rng(4);
  for (int i = 0; i < 256; ++i) {
    const std::uint64_t m = 1 + rng() % (t.size() - 1);
    proofs.push_back({m, *t.Root(m), *t.ConsistencyProof(m, t.size())});
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const P& p = proofs[i++ & 255];
    if (!VerifyConsistency(p.m, t.size(), p.root, root, p.path)) state.SkipWithError("bad");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProofVerify);

void BM_SignedHead(benchmark::State& state) {
  auto pair = crypto::hybrid::SigKeyGen(crypto::hybrid::SigSuite::kMlDsa65Ed25519);
  LedgerOptions o;
  auto key = crypto::hybrid::SigPrivateKey::FromPrivate(crypto::hybrid::SigSuite::kMlDsa65Ed25519,
                                                        pair->sk.view());
  o.signing_key = std::move(*key);
  auto l = Ledger::InMemory(o);
  (void)l->AppendLeaves(Leaves(1000), true);
  for (auto _ : state) benchmark::DoNotOptimize(l->SignedHead());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedHead);

// Open = read, check and hash every record, rebuild the tree (Arg entries).
void BM_OpenExisting(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string path = BenchPath("open");
  std::filesystem::remove(path);
  {
    LedgerOptions o;
    o.sync = false;
    auto l = OpenOrDie(path, o);
    const auto leaves = Leaves(10000);
    for (std::size_t i = 0; i < n; i += leaves.size()) (void)l->AppendLeaves(leaves, true);
  }
  for (auto _ : state) {
    LedgerOptions o;
    o.read_only = true;
    auto l = Ledger::Open(path, o);
    if (!l.ok()) state.SkipWithError("open failed");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  std::filesystem::remove(path);
}
BENCHMARK(BM_OpenExisting)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace entente::ledger
BENCHMARK_MAIN();
