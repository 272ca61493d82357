// SQLite backend of the Store (see store.h for the contract, sqlite_store.cpp for the schema).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/store/store.h"
#include "object_cache.h"
#include "sqlite/change_counter.h"
#include "sqlite/id_key.h"
#include "sqlite/postings.h"
#include "sqlite/text_file.h"

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
  void BindBlob(int index, std::string_view bytes);
  // true: a row is ready; false: done.
  Result<bool> Step();
  std::string_view Text(int column);
  std::string_view Blob(int column);
  std::int64_t Int(int column);
  bool IsNull(int column);

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options);
  ~SqliteStore() override;
  std::string_view backend() const override { return "sqlite"; }
  CacheStats cache_stats() const override {
    if (!cache_) return {};
    return {cache_->hits(), cache_->misses(), cache_->bytes()};
  }

 private:
  friend class SqliteWriteBatch;
  struct Statements {
    Stmt insert_object, find_version, find_latest, supersede, insert_search, read_json_end,
        write_json_end;
  };
  // A read-only connection and its prepared statements. Readers are pooled: each read takes an
  // idle one (opening another when none is idle) and gives it back, so concurrent reads (the
  // server's I/O threads) run side by side instead of queueing on one connection.
  struct Reader {
    sqlite3* db = nullptr;
    Stmt get_latest, get_versions;
    Reader() = default;
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader();
  };
  // Returns its reader to the pool when it goes out of scope. Declare it before any Stmt on
  // its connection, so those are finalised first.
  class ReaderLease {
   public:
    ReaderLease(SqliteStore* store, std::unique_ptr<Reader> reader)
        : store_(store), reader_(std::move(reader)) {}
    ReaderLease(ReaderLease&& other) noexcept = default;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease();
    Reader* operator->() const { return reader_.get(); }

   private:
    SqliteStore* store_;
    std::unique_ptr<Reader> reader_;
  };

  SqliteStore() = default;
  Status Exec(const char* sql) { return Exec(db_, sql); }
  static Status Exec(sqlite3* db, const char* sql);
  Status Migrate();
  // Migration 8: fills the new search table from every stored version's text.
  Status RefillSearch();
  Status CheckVersion();
  static Result<int> SchemaVersion(sqlite3* db);
  Status PrepareStatements();
  Result<std::unique_ptr<Reader>> OpenReader() const;
  Result<ReaderLease> LeaseReader();
  // The latest version of `id` from the database, on `reader`.
  Result<StoredObject> ReadLatest(std::string_view id, ReaderLease& reader);
  // The same through the object cache (cache_ set).
  Result<StoredObject> CachedLatest(std::string_view id);
  // Moves the change counter around a write transaction (both with the write lock held).
  void BeginWrite() {
    if (changes_) changes_->BeginWrite();
  }
  void EndWrite() {
    if (changes_) changes_->EndWrite();
  }
  std::int64_t NextDateAdded();
  // The condition that selects the rows of one id (bound with BindId): through the
  // (id_key, version_ns) index from schema 7 on, through (id, version_ns) before it.
  // `p` prefixes the columns ("o." in joins).
  std::string IdIs(std::string_view p = "") const;
  void BindId(Stmt& s, std::string_view id) const;
  // What a correlated subquery on `objects f` needs to find the versions of `o`'s id.
  std::string SameIdAs(std::string_view f, std::string_view o) const;
  // The store's id-key secret from meta (schema 7 or later; nullopt before).
  static Result<std::optional<IdKeySecret>> ReadIdKeySecret(sqlite3* db, int schema_version);
  // A row of ObjectColumns() (sqlite_store.cpp) as an object, its text read from wherever it is.
  Result<StoredObject> RowToObject(Stmt& row) const;
  // Reads the file texts of several objects: (*objects)[index].json from [at, at + length).
  struct TextRef {
    std::size_t index;
    std::int64_t at, length;
  };
  Status ReadTexts(const std::vector<TextRef>& refs, std::vector<StoredObject>* objects) const;

  Result<std::unique_ptr<WriteBatch>> DoBeginBatch() override;
  Result<StoredObject> DoGet(std::string_view id, Versions which,
                             std::string_view version) override;
  Result<std::vector<StoredObject>> DoGetVersions(std::string_view id) override;
  Result<Page> DoFind(const Query& query) override;
  Result<std::size_t> DoDelete(std::string_view id,
                               const std::vector<std::string>& versions) override;
  Result<Counts> DoCount() override;
  Status DoCheckIntegrity() override;

  // One writer connection and a pool of readers: WAL lets readers see the last commit while a
  // batch is open on the writer. Each connection is used by one thread at a time.
  static constexpr std::size_t kMaxIdleReaders = 8;  // more are closed when given back
  std::string path_;
  sqlite3* db_ = nullptr;  // writer, guarded by write_mutex_
  std::mutex write_mutex_;
  std::unique_ptr<Statements> statements_;         // on db_
  std::unique_ptr<PostingWriter> posting_writer_;  // on db_
  std::unique_ptr<ObjectTextFile> texts_;          // writer side guarded by write_mutex_
  bool text_columns_ = false;               // schema 4 or later: objects has json_at, json_len
  bool postings_ = false;                   // schema 6 or later: terms and postings
  bool latest_column_ = false;              // schema 9 or later: objects.superseded, no latest
  std::optional<IdKeySecret> id_key_;       // schema 7 or later: objects keyed by id_key
  bool read_only_ = false;                  // no writer statements, writes refused
  std::int64_t last_date_added_ = 0;        // guarded by write_mutex_
  std::unique_ptr<ChangeCounter> changes_;  // every writable open; none when read-only
  std::unique_ptr<ObjectCache> cache_;      // when StoreOptions::cache_bytes asks for one
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Reader>> idle_readers_;  // guarded by readers_mutex_
};

}  // namespace entente::store
