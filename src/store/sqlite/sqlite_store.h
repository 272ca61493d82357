// SQLite backend of the Store (see store.h for the contract, sqlite_store.cpp for the schema).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "entente/store/store.h"

// Forward declarations keep sqlite3.h out of this header.
struct sqlite3;
struct sqlite3_stmt;

namespace entente::store {

// A prepared statement. Binds by reference (SQLITE_STATIC): bound text must outlive Step().
class Stmt {
 public:
  Stmt() = default;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(sqlite3* db, const char* sql);
  void Reset();
  void Bind(int index, std::string_view text);
  void Bind(int index, std::int64_t value);
  void BindNull(int index);
  // true: a row is ready; false: done.
  Result<bool> Step();
  std::string_view Text(int column);
  std::int64_t Int(int column);

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options);
  ~SqliteStore() override;
  std::string_view backend() const override { return "sqlite"; }

 private:
  friend class SqliteWriteBatch;
  struct Statements {
    Stmt insert_object, find_version, upsert_latest, insert_label, insert_marking, insert_search;
  };
  struct ReadStatements {
    Stmt get_latest, get_versions;
  };

  SqliteStore() = default;
  Status Exec(const char* sql) { return Exec(db_, sql); }
  static Status Exec(sqlite3* db, const char* sql);
  Status Migrate();
  Status CheckVersion();
  static Result<int> SchemaVersion(sqlite3* db);
  Status PrepareStatements();
  std::int64_t NextDateAdded();

  Result<std::unique_ptr<WriteBatch>> DoBeginBatch() override;
  Result<StoredObject> DoGet(std::string_view id, Versions which,
                             std::string_view version) override;
  Result<std::vector<StoredObject>> DoGetVersions(std::string_view id) override;
  Result<Page> DoFind(const Query& query) override;
  Result<std::size_t> DoDelete(std::string_view id,
                               const std::vector<std::string>& versions) override;
  Result<Counts> DoCount() override;
  Status DoCheckIntegrity() override;

  // Two connections: WAL lets the reader see the last commit while a batch is open on the
  // writer. Each connection is used by one thread at a time, under its mutex.
  sqlite3* db_ = nullptr;       // writer, guarded by write_mutex_
  sqlite3* read_db_ = nullptr;  // reader, guarded by read_mutex_
  std::mutex write_mutex_;
  std::mutex read_mutex_;
  std::unique_ptr<Statements> statements_;           // on db_
  std::unique_ptr<ReadStatements> read_statements_;  // on read_db_
  std::int64_t last_date_added_ = 0;                 // guarded by write_mutex_
};

}  // namespace entente::store
