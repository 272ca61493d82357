// Token authentication and the read rule, the two identity calls on every request the server
// handles. Figures and the command that runs them: docs/BENCHMARKS.md ("## Identity").
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "entente/base/time.h"
#include "entente/identity/identity.h"

namespace entente::identity {
namespace {

// A directory with 1000 users, one token each, in a temporary file.
struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Directory> db;
  std::vector<std::string> tokens;

  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("entente-identity-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = Directory::Open((dir / "identity.db").string()).value();
    for (int i = 0; i < 1000; ++i) {
      User u;
      u.name = "user" + std::to_string(i);
      u.organization_ref = "identity--11111111-1111-4111-8111-111111111111";
      u.member_state = "FR";
      u.roles = {Role::kReader, Role::kAnalyst};
      (void)db->AddUser(u).value();
      tokens.push_back(db->IssueToken(u.name, {Role::kAnalyst}, {"community", "incident-x"},
                                      std::chrono::hours(24))
                           .value());
    }
  }
  ~Fixture() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_Authenticate(benchmark::State& state) {
  Fixture& f = Shared();
  const std::int64_t now = Now().micros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto p = f.db->Authenticate(f.tokens[i++ % f.tokens.size()], now);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Authenticate)->ThreadRange(1, 2)->UseRealTime();

void BM_AuthenticateShared(benchmark::State& state) {
  Fixture& f = Shared();
  const std::int64_t now = Now().micros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto p = f.db->AuthenticateShared(f.tokens[i++ % f.tokens.size()], now);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticateShared)->ThreadRange(1, 2)->UseRealTime();

// One token again and again: the difference from the 1000-token run is cache misses.
void BM_AuthenticateSharedOneToken(benchmark::State& state) {
  Fixture& f = Shared();
  const std::int64_t now = Now().micros();
  for (auto _ : state) {
    auto p = f.db->AuthenticateShared(f.tokens[0], now);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticateSharedOneToken);

void BM_AuthenticateRefused(benchmark::State& state) {
  Fixture& f = Shared();
  const std::int64_t now = Now().micros();
  std::string bad = f.tokens[0];
  bad[bad.size() - 1] = bad.back() == '0' ? '1' : '0';
  for (auto _ : state) {
    auto p = f.db->Authenticate(bad, now);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticateRefused);

void BM_CanRead(benchmark::State& state) {
  // A mix of labels: every level, with and without recipients, across three scopes.
  std::mt19937_64 rng(1);
  const std::string orgs[] = {"identity--11111111-1111-4111-8111-111111111111",
                              "identity--22222222-2222-4222-8222-222222222222"};
  std::vector<AccessLabel> labels(1024);
  for (AccessLabel& l : labels) {
    l.tlp = static_cast<stix::Tlp>(rng() % 5);
    l.creator = orgs[rng() % 2];
    for (std::uint64_t r = rng() % 4; r > 0; --r) l.recipients.push_back(orgs[rng() % 2]);
    l.scope = rng() % 2 ? "community" : "incident-x";
  }
  Principal p;
  p.organization_ref = orgs[1];
  p.identity_ref = "identity--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
  p.member_state = "DE";
  p.roles = {Role::kReader};
  p.scopes = {"community", "bilateral-fr-de"};
  std::size_t i = 0, granted = 0;
  for (auto _ : state) {
    granted += CanRead(p, labels[i++ & 1023]);
  }
  benchmark::DoNotOptimize(granted);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CanRead);

void BM_LabelOf(benchmark::State& state) {
  const std::string object =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","created_by_ref":"identity--11111111-1111-4111-8111-111111111111","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"x_entente_recipients":["identity--22222222-2222-4222-8222-222222222222"]})";
  json::Document doc;
  for (auto _ : state) {
    if (!doc.Parse(object).ok()) state.SkipWithError("parse");
    auto label = LabelOf(doc.root());
    benchmark::DoNotOptimize(label);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LabelOf);

}  // namespace
}  // namespace entente::identity

BENCHMARK_MAIN();
