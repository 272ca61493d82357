// What authenticity costs per object: one composite signature over a page manifest of SHA-256
// object hashes (what federation pages do), against one composite signature per object.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "entente/crypto/hybrid.h"
#include "entente/federation/page.h"

namespace {

using entente::AsBytes;
using entente::crypto::hybrid::SigPrivateKey;
using entente::crypto::hybrid::SigSuite;

std::vector<std::string> Objects(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012zu", i);
    out.push_back(std::string("{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"") + id +
                  "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:"
                  "00.000Z\",\"name\":\"bench indicator\",\"indicator_types\":[\"malicious-"
                  "activity\"],\"pattern\":\"[ipv4-addr:value = '10.0." +
                  std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
                  "']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\","
                  "\"labels\":[\"bench\"]}");
  }
  return out;
}

std::unique_ptr<SigPrivateKey> Key() {
  auto kp = entente::crypto::hybrid::SigKeyGen(SigSuite::kMlDsa65Ed25519);
  auto key = SigPrivateKey::FromPrivate(SigSuite::kMlDsa65Ed25519, kp->sk.view());
  return std::move(*key);
}

// Build and sign one page of state.range(0) objects.
void BM_SignPage(benchmark::State& state) {
  auto objects = Objects(static_cast<std::size_t>(state.range(0)));
  auto key = Key();
  std::size_t bytes = 0;
  for (const auto& o : objects) bytes += o.size();
  for (auto _ : state) {
    entente::federation::PageWriter w("fr", "de", 0);
    w.Reserve(objects.size(), bytes);
    for (const auto& o : objects) w.Add(o, "fr");
    auto page = w.Finish(1, false, *key);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignPage)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);

// Parse and verify one page (what a receiver does before looking at any object).
void BM_VerifyPage(benchmark::State& state) {
  auto objects = Objects(static_cast<std::size_t>(state.range(0)));
  auto key = Key();
  entente::federation::PageWriter w("fr", "de", 0);
  for (const auto& o : objects) w.Add(o, "fr");
  std::string text = *w.Finish(1, false, *key);
  std::unique_ptr<entente::json::Document> spare;  // as the sync loop does
  for (auto _ : state) {
    auto page = entente::federation::ParsePage(text, std::move(spare));
    auto ok = entente::federation::VerifyPage(*page, SigSuite::kMlDsa65Ed25519, key->public_key());
    if (!ok.ok()) state.SkipWithError("does not verify");
    spare = std::move(*page).ReleaseDocument();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_VerifyPage)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);

// The alternative: a composite signature on every object.
void BM_SignEachObject(benchmark::State& state) {
  auto objects = Objects(64);
  auto key = Key();
  std::size_t i = 0;
  for (auto _ : state) {
    auto sig = key->Sign(AsBytes(objects[i++ % objects.size()]));
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEachObject);

void BM_VerifyEachObject(benchmark::State& state) {
  auto objects = Objects(64);
  auto key = Key();
  std::vector<entente::Bytes> sigs;
  for (const auto& o : objects) sigs.push_back(*key->Sign(AsBytes(o)));
  std::size_t i = 0;
  for (auto _ : state) {
    std::size_t k = i++ % objects.size();
    bool ok = entente::crypto::hybrid::SigVerify(SigSuite::kMlDsa65Ed25519, key->public_key(),
                                                 AsBytes(objects[k]), sigs[k]);
    if (!ok) state.SkipWithError("does not verify");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyEachObject);

}  // namespace
BENCHMARK_MAIN();
