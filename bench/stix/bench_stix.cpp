// STIX ingest benchmarks: parse + validate on one core, end-to-end ingest into SQLite, the
// ATT&CK bundle, and raw SQLite inserts of the same rows as the ceiling.
//   build/bench/stix/bench_stix --benchmark_filter=. --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "corpus.h"
#include "entente/stix/reader.h"
#include "entente/stix/validate.h"
#include "entente/store/ingest.h"

namespace {

using namespace entente;

const std::vector<std::string>& Corpus() {
  static const auto objects = bench::MakeIndicators(200000);
  return objects;
}

std::size_t TotalBytes(const std::vector<std::string>& v) {
  std::size_t n = 0;
  for (const auto& s : v) n += s.size();
  return n;
}

// One object at a time: JSON parse (strict) + STIX validation.
void BM_ParseValidate(benchmark::State& state) {
  const auto& objects = Corpus();
  json::Document doc;
  stix::Validator validator;
  std::size_t i = 0, valid = 0;
  for (auto _ : state) {
    const std::string& text = objects[i++ % objects.size()];
    if (!doc.Parse(text).ok()) state.SkipWithError("parse failed");
    stix::ObjectHeader h;
    valid += validator.Check(doc.root(), &h).ok();
  }
  if (valid != static_cast<std::size_t>(state.iterations())) state.SkipWithError("invalid object");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * TotalBytes(objects) / objects.size()));
}
BENCHMARK(BM_ParseValidate);

// The same through the streaming bundle reader (what `entente ingest` does before storing).
void BM_ReadParseValidateBundle(benchmark::State& state) {
  static const std::string bundle = bench::MakeBundle(Corpus());
  json::Document doc;
  stix::Validator validator;
  std::size_t n = 0;
  for (auto _ : state) {
    auto reader = stix::ObjectReader::FromText(bundle);
    std::string_view text;
    while (*reader.Next(&text)) {
      (void)doc.Parse(text);
      n += validator.Check(doc.root()).ok();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bundle.size()));
}
BENCHMARK(BM_ReadParseValidateBundle)->Unit(benchmark::kMillisecond);

std::string TempStore(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("entente-bench-" + std::string(name));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "store.db").string();
}

// End to end: reader + parse + validate + SQLite (WAL, synchronous=FULL, batches of 20k).
void BM_IngestSqlite(benchmark::State& state) {
  static const std::string bundle = bench::MakeBundle(Corpus());
  std::uint64_t added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = store::Store::Open(TempStore("ingest"));
    state.ResumeTiming();
    auto reader = stix::ObjectReader::FromText(bundle);
    auto report = store::Ingest(**store, reader);
    if (!report.ok() || report->rejected != 0) state.SkipWithError("ingest failed");
    added += report->added;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(added));
}
BENCHMARK(BM_IngestSqlite)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_IngestAttack(benchmark::State& state) {
  std::ifstream in(std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json");
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  std::uint64_t added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto store = store::Store::Open(TempStore("attack"));
    state.ResumeTiming();
    auto reader = stix::ObjectReader::FromText(text);
    auto report = store::Ingest(**store, reader);
    added += report->added;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(added));
}
BENCHMARK(BM_IngestAttack)->Unit(benchmark::kMillisecond)->Iterations(5);

// The ceiling: the same (id, json) rows inserted into one plain SQLite table with one
// prepared statement, same pragmas, one transaction per 20k rows; no parsing, no indexes
// beyond the rowid, no validation.
void BM_RawSqliteInsert(benchmark::State& state) {
  const auto& objects = Corpus();
  std::uint64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = TempStore("raw");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
                 "CREATE TABLE t(k INTEGER PRIMARY KEY, id TEXT, json TEXT)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO t(id, json) VALUES(?1, ?2)", -1, &stmt, nullptr);
    state.ResumeTiming();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const std::string& o = objects[i];
      sqlite3_bind_text(stmt, 1, o.data() + 40, 47, SQLITE_STATIC);
      sqlite3_bind_text(stmt, 2, o.data(), static_cast<int>(o.size()), SQLITE_STATIC);
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
      if ((i + 1) % 20000 == 0) {
        sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
      }
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    rows += objects.size();
    state.PauseTiming();
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows));
}
BENCHMARK(BM_RawSqliteInsert)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
