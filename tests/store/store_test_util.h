#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "entente/store/ingest.h"
#include "entente/store/store.h"

namespace entente::store::testing {

// Runs SQL on the SQLite store file at `path` (to rewind or damage it); empty string when it
// worked, else SQLite's message.
inline std::string SqliteExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    error = db ? sqlite3_errmsg(db) : "out of memory";
  } else {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      error = err ? err : "error";
    }
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return error;
}

// The first column of the first row of `sql` on the SQLite store at `path`, as text; "" when
// there is none.
inline std::string SqliteValue(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  std::string v =
      st != nullptr && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr
          ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
          : "";
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// An empty directory of the test's own (`entente-NAME-PID` in the temp dir).
inline std::filesystem::path FreshDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("entente-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The PostgreSQL server the suite runs against: ENTENTE_TEST_PG_URL, which ctest sets after
// starting a throw-away cluster (tests/store/CMakeLists.txt). Never skipped: without it the
// PostgreSQL cases fail and say why.
inline const char* PgUrl() { return std::getenv("ENTENTE_TEST_PG_URL"); }

// Runs one SQL command on the test server (schema setup); empty string when it worked.
inline std::string PgExec(const std::string& sql) {
  PGconn* c = PQconnectdb(PgUrl());
  std::string error;
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

// A fresh store for each test, on the backend the test is instantiated with: SQLite in a
// temporary directory, or PostgreSQL in a schema of its own (tests run in parallel against
// one server), removed afterwards.
class StoreFixture : public ::testing::TestWithParam<std::string> {
 protected:
  bool postgres() const { return GetParam() == "postgresql"; }

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    std::string tag = std::to_string(::getpid()) + "_" + std::to_string(h % 1000000007ull);
    if (postgres()) {
      ASSERT_NE(PgUrl(), nullptr)
          << "ENTENTE_TEST_PG_URL is not set: run the suite through ctest, which starts a "
             "throw-away PostgreSQL cluster (scripts/pg-test-cluster), or point it at a server";
      schema_ = "t" + tag;
      std::string error =
          PgExec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
      ASSERT_EQ(error, "") << "cannot prepare the test schema on " << PgUrl();
      url_ = StoreUrl(schema_);
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("entente-store-test-" + tag);
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = (dir_ / "store.db").string();
    }
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    if (!schema_.empty()) (void)PgExec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // The URL of a store held in `schema` on the test server.
  static std::string StoreUrl(const std::string& schema) {
    std::string base = PgUrl();
    return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  }
  void Reopen(StoreOptions options = {}) {
    store_.reset();
    auto s = Store::Open(url_, options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    ASSERT_EQ(store_->backend(), GetParam());
  }
  IngestReport IngestText(std::string_view text, IngestOptions options = {}) {
    auto reader = stix::ObjectReader::FromText(text);
    auto r = Ingest(*store_, reader, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestReport{};
  }
  std::filesystem::path dir_;
  std::string schema_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// Instantiates a suite of TEST_P cases on both backends.
#define ENTENTE_STORE_BACKENDS(suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgresql"), \
                           ::entente::store::testing::BackendName)

// An indicator with the given id suffix digit and modified time.
inline std::string Indicator(int n, std::string_view modified, std::string_view name = "bad ip",
                             std::string_view extra = "") {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
         R"(","created":"2024-01-01T00:00:00.000Z","modified":")" + std::string(modified) +
         R"(","name":")" + std::string(name) +
         R"(","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z")" +
         std::string(extra) + "}";
}

}  // namespace entente::store::testing
