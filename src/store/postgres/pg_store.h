// PostgreSQL backend of the Store (see store.h for the contract, pg_store.cpp for the schema).
//
// Selected by a "postgresql://" (or "postgres://") URL, passed to libpq as is: host, port,
// database, user, sslmode and `options=-csearch_path%3D<schema>` (one store per schema) all
// work. The store's tables live in the connection's current schema, which must exist.
//
// date_added under concurrency. PostgreSQL commits concurrent transactions in any order, so
// a value taken from a clock or a plain sequence when a row is written can become visible
// after a greater one: a reader paging by date_added would then skip it for ever. This backend
// therefore serialises writers: a batch first locks the one row of the `clock` table
// (SELECT ... FOR UPDATE, held until commit or rollback), reads the last date_added handed
// out, assigns max(now_us, last + 1) to each new version, and writes the new last value
// back before committing. The next writer can only lock the row once the previous commit is
// visible, so every row with a smaller date_added is visible before any greater one: a
// cursor never passes over a row that commits later. The row lock (rather than an advisory
// lock) is scoped to the store's schema by construction, works through any pooler, and is
// released by the server if the client dies. Cost: one writer at a time per store, as on
// SQLite; COPY keeps that writer fast (docs/SCALING.md has the figures and what to do past
// them).
//
// Writing: Put decides new / duplicate / conflict, then buffers the row; rows go to the
// server by COPY in blocks (kCopyRows rows or kCopyBytes bytes) and at Commit, after which
// the `latest` rows of the block are upserted by one statement. To decide without a round
// trip per object, the store keeps a Bloom filter of the stored (id, version) keys (10 bits
// per key, built at the first batch by scanning the keys, then brought up to date at each
// batch from the rows with a greater date_added, which the writers' lock makes exact): a
// key the filter has never seen is new; only a possible match costs an indexed lookup.
// Above kFilterMaxRows stored versions the filter is not built and every Put looks up.
//
// Threading: two connections, one for the writer (guarded for a batch's whole life) and one
// for readers (guarded per call); a broken connection is re-established on the next call.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "entente/store/store.h"

// Forward declaration keeps libpq-fe.h out of this header.
struct pg_conn;

namespace entente::store {

class PgResult;
class PgParams;

class PgStore final : public Store {
 public:
  static constexpr std::size_t kCopyRows = 5000;
  static constexpr std::size_t kCopyBytes = 16u << 20;

  static Result<std::unique_ptr<Store>> Open(const std::string& url, StoreOptions options);
  ~PgStore() override;
  std::string_view backend() const override { return "postgresql"; }

  // The URL without its password, for messages.
  static std::string Redact(std::string_view url);

 private:
  friend class PgWriteBatch;
  PgStore() = default;

  Status Migrate();
  Status CheckVersion();
  Result<std::unique_ptr<WriteBatch>> DoBeginBatch() override;
  Result<StoredObject> DoGet(std::string_view id, Versions which,
                             std::string_view version) override;
  Result<std::vector<StoredObject>> DoGetVersions(std::string_view id) override;
  Result<Page> DoFind(const Query& query) override;
  Result<std::size_t> DoDelete(std::string_view id,
                               const std::vector<std::string>& versions) override;
  Result<Counts> DoCount() override;
  Status DoCheckIntegrity() override;

  Status Reconnect(pg_conn*& conn);
  struct ResultDeleter {
    void operator()(PgResult* r) const;
  };
  using ReadResult = std::unique_ptr<PgResult, ResultDeleter>;
  // A read on read_ (caller holds read_mutex_), retried once on a new connection when the
  // server dropped the old one.
  Result<ReadResult> ReadExec(const std::string& sql, const PgParams& params);

  // The Bloom filter of stored (id, version_ns) keys; guarded by write_mutex_.
  static constexpr std::size_t kFilterMaxRows = 5'000'000;
  struct KeyFilter {
    std::vector<std::uint64_t> bits;
    std::size_t entries = 0;
    std::size_t capacity = 0;
    std::int64_t upto = -1;  // keys of rows with date_added <= upto are in; -1: not built
    bool disabled = false;   // too many rows: always look up
    void Reset(std::size_t capacity);
    void Add(std::uint64_t key);
    bool MayContain(std::uint64_t key) const;
  };
  Status RefreshFilter(std::int64_t clock);

  std::string url_;
  KeyFilter filter_;
  bool read_only_ = false;
  pg_conn* write_ = nullptr;     // guarded by write_mutex_
  bool write_prepared_ = false;  // write_ has the batch's prepared statement
  pg_conn* read_ = nullptr;      // guarded by read_mutex_
  std::mutex write_mutex_;
  std::mutex read_mutex_;
};

}  // namespace entente::store
