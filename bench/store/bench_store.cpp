// Store ingest, SQLite next to PostgreSQL: objects/s through the Store (reader + parse +
// validate + store, batches of 20 k), the ATT&CK enterprise bundle, and the raw bulk path of
// each engine (SQLite: one prepared INSERT; PostgreSQL: COPY) of the same rows as the ceiling.
//   ENTENTE_BENCH_PG_URL=postgresql://... build/bench/store/bench_store
// PostgreSQL cases fail with a message when ENTENTE_BENCH_PG_URL is not set. Each iteration
// writes into a fresh schema (PostgreSQL) or file (SQLite), removed afterwards.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "corpus.h"
#include "entente/stix/reader.h"
#include "entente/store/ingest.h"

namespace {

using namespace entente;

constexpr std::size_t kObjects = 200000;

const std::vector<std::string>& Corpus() {
  static const auto objects = bench::MakeIndicators(kObjects);
  return objects;
}

const char* PgUrl() { return std::getenv("ENTENTE_BENCH_PG_URL"); }

bool PgExec(const std::string& sql) {
  PGconn* c = PQconnectdb(PgUrl());
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  PQfinish(c);
  return ok;
}

// A fresh, empty store location for `backend` ("sqlite" or "postgresql"); "" on failure.
std::string FreshStore(const std::string& backend, const char* name) {
  if (backend == "postgresql") {
    std::string schema = std::string("bench_") + name;
    if (!PgExec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema)) {
      return {};
    }
    std::string base = PgUrl();
    return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  }
  auto dir = std::filesystem::temp_directory_path() / ("entente-bench-store-" + std::string(name));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "store.db").string();
}

bool Ready(benchmark::State& state, const std::string& backend) {
  if (backend == "postgresql" && PgUrl() == nullptr) {
    state.SkipWithError("ENTENTE_BENCH_PG_URL is not set (docs/BENCHMARKS.md, PostgreSQL)");
    return false;
  }
  return true;
}

const std::string kBackends[] = {"sqlite", "postgresql"};

// End to end through the Store: reader + parse + validate + store, 20 k objects per commit.
void BM_IngestStore(benchmark::State& state) {
  const std::string& backend = kBackends[state.range(0)];
  if (!Ready(state, backend)) return;
  static const std::string bundle = bench::MakeBundle(Corpus());
  std::uint64_t added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string url = FreshStore(backend, "ingest");
    auto store = store::Store::Open(url);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    auto reader = stix::ObjectReader::FromText(bundle);
    auto report = store::Ingest(**store, reader);
    if (!report.ok() || report->rejected != 0) {
      state.SkipWithError("ingest failed");
      return;
    }
    added += report->added;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(added));
  state.SetLabel(backend);
}
BENCHMARK(BM_IngestStore)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

// Re-ingesting the same objects: every Put is an identical duplicate (lookup only).
void BM_ReingestDuplicates(benchmark::State& state) {
  const std::string& backend = kBackends[state.range(0)];
  if (!Ready(state, backend)) return;
  static const std::string bundle =
      bench::MakeBundle(std::vector<std::string>(Corpus().begin(), Corpus().begin() + 50000));
  std::string url = FreshStore(backend, "dups");
  auto store = store::Store::Open(url);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  {
    auto reader = stix::ObjectReader::FromText(bundle);
    (void)store::Ingest(**store, reader);
  }
  std::uint64_t duplicates = 0;
  for (auto _ : state) {
    auto reader = stix::ObjectReader::FromText(bundle);
    auto report = store::Ingest(**store, reader);
    if (!report.ok()) {
      state.SkipWithError("ingest failed");
      return;
    }
    duplicates += report->duplicates;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(duplicates));
  state.SetLabel(backend);
}
BENCHMARK(BM_ReingestDuplicates)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

// The ATT&CK enterprise bundle (17,765 objects, 6.2 MB) into a fresh store.
void BM_IngestAttack(benchmark::State& state) {
  const std::string& backend = kBackends[state.range(0)];
  if (!Ready(state, backend)) return;
  std::ifstream in(std::string(ENTENTE_SHARED_DIR) + "/data/attack/attack-enterprise-kb.json");
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  if (text.empty()) {
    state.SkipWithError("the ATT&CK bundle is missing from ENTENTE_SHARED_DIR/data/attack");
    return;
  }
  std::uint64_t added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = store::Store::Open(FreshStore(backend, "attack"));
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    auto reader = stix::ObjectReader::FromText(text);
    auto report = store::Ingest(**store, reader);
    if (!report.ok()) {
      state.SkipWithError("ingest failed");
      return;
    }
    added += report->added;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(added));
  state.SetLabel(backend);
}
BENCHMARK(BM_IngestAttack)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

// TAXII-style reads: pages of 100 latest indicators by cursor over a 50 k-object store
// (one reader thread; the cursor wraps around at the end).
void BM_FindPages(benchmark::State& state) {
  const std::string& backend = kBackends[state.range(0)];
  if (!Ready(state, backend)) return;
  static const std::string bundle =
      bench::MakeBundle(std::vector<std::string>(Corpus().begin(), Corpus().begin() + 50000));
  auto store = store::Store::Open(FreshStore(backend, "find"));
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  {
    auto reader = stix::ObjectReader::FromText(bundle);
    (void)store::Ingest(**store, reader);
  }
  store::Query q;
  q.types = {"indicator"};
  q.limit = 100;
  std::uint64_t objects = 0;
  for (auto _ : state) {
    auto page = (*store)->Find(q);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      return;
    }
    objects += page->objects.size();
    q.cursor = page->more ? page->next : std::string();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(objects));
  state.SetLabel(backend);
}
BENCHMARK(BM_FindPages)->Arg(0)->Arg(1)->UseRealTime();

// The ceiling on PostgreSQL: the same (id, json) rows by COPY into one plain table with a
// bigint primary key, 20 k rows per transaction; no parsing, no lookups, no other indexes.
// Same shape as BM_RawSqliteInsert (bench_stix), whose figure is the SQLite ceiling.
void BM_RawPgCopy(benchmark::State& state) {
  if (!Ready(state, "postgresql")) return;
  const auto& objects = Corpus();
  std::uint64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string url = FreshStore("postgresql", "raw");
    PGconn* c = PQconnectdb(url.c_str());
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    PQclear(PQexec(c, "CREATE TABLE t(k bigint PRIMARY KEY, id text, json text)"));
    std::string block;
    state.ResumeTiming();
    bool ok = true;
    for (std::size_t start = 0; start < objects.size() && ok; start += 20000) {
      PQclear(PQexec(c, "BEGIN"));
      PGresult* r = PQexec(c, "COPY t(k, id, json) FROM STDIN");
      ok = PQresultStatus(r) == PGRES_COPY_IN;
      PQclear(r);
      block.clear();
      for (std::size_t i = start; i < std::min(objects.size(), start + 20000); ++i) {
        const std::string& o = objects[i];
        block += std::to_string(i);
        block += '\t';
        block.append(o, 40, 47);
        block += '\t';
        for (char ch : o) {
          if (ch == '\\') block += '\\';
          block += ch;
        }
        block += '\n';
        if (block.size() > (1u << 20)) {
          ok = ok && PQputCopyData(c, block.data(), static_cast<int>(block.size())) == 1;
          block.clear();
        }
      }
      ok = ok && PQputCopyData(c, block.data(), static_cast<int>(block.size())) == 1 &&
           PQputCopyEnd(c, nullptr) == 1;
      while (PGresult* e = PQgetResult(c)) {
        ok = ok && PQresultStatus(e) == PGRES_COMMAND_OK;
        PQclear(e);
      }
      PQclear(PQexec(c, "COMMIT"));
    }
    rows += objects.size();
    state.PauseTiming();
    PQfinish(c);
    if (!ok) state.SkipWithError("COPY failed");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_RawPgCopy)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
