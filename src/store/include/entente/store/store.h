// The node's object store: every version of every STIX object it holds, with TAXII semantics.
//
// Versions are keyed by (id, modified); an object's latest version is the one with the
// greatest `modified` (STIX rules), not the one added last. Marking definitions version by
// `created`; SCOs have a single version. Each stored version gets a server-side `date_added`
// (microseconds since the epoch, strictly increasing per store), which orders TAXII reads
// and makes paging cursors stable under concurrent writes: a new version always sorts after
// every cursor handed out before it.
//
// Backends implement the private Do*() hooks; the public methods validate arguments once.
// Backends: SQLite (embedded, WAL; a committed batch is durable) and PostgreSQL (libpq; one
// store per schema; see src/store/postgres/pg_store.h for how date_added stays ordered under
// concurrent transactions). Open() chooses by URL. Both keep their schema version in a
// schema_version table, migrate an older store on open and refuse a newer one (Unsupported).
// Full-text queries use FTS5 syntax on both; docs/STORE.md lists the few differences.
//
// Threading: a Store may be used from several threads; each WriteBatch belongs to one thread.
// Writers are serialised by the backend (one writer at a time per store, across processes
// too; readers never block).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/stix/validate.h"

namespace entente::store {

struct StoredObject {
  std::string id;
  std::string type;
  std::string version;  // `modified` (or `created`, or "" for SCOs) exactly as written
  std::int64_t date_added_us = 0;
  bool revoked = false;
  std::string json;  // the object's exact source text
};

enum class PutOutcome {
  kAdded,      // a new version
  kDuplicate,  // this (id, version) is stored with the same content: nothing changed
};

// Adds object versions atomically: nothing is visible or durable before Commit() returns ok.
// Destroying an uncommitted batch rolls it back.
class WriteBatch {
 public:
  virtual ~WriteBatch() = default;
  // Adds one validated object. `json` is its text (stored as is). Fails with kConflict if the
  // same (id, version) is stored with a different content (compared by meaning), leaving the
  // stored version untouched.
  virtual Result<PutOutcome> Put(const stix::ObjectHeader& header, std::string_view json) = 0;
  // Makes the batch durable. After a failure the batch is rolled back.
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  virtual std::size_t size() const = 0;  // objects put since begin
};

enum class Versions { kLast, kFirst, kAll };

struct Query {
  std::vector<std::string> ids;                // any of these ids (empty: all)
  std::vector<std::string> types;              // any of these types (empty: all)
  std::optional<std::int64_t> added_after_us;  // date_added strictly after
  std::optional<std::string> modified_from;    // version >= (timestamp)
  std::optional<std::string> modified_to;      // version <= (timestamp)
  std::string label;                           // has this label
  std::string marking;     // carries this marking-definition id in object_marking_refs
  std::string created_by;  // created_by_ref
  std::string text;        // full-text search on name/description (FTS5 syntax)
  Versions versions = Versions::kLast;
  std::vector<std::string> exact_versions;  // only these `modified` values (TAXII match[version])
  bool include_revoked = true;
  std::size_t limit = 100;  // page size, 1..10000
  std::string cursor;       // from a previous Page::next; must be used with the same query
};

struct Page {
  std::vector<StoredObject> objects;  // ordered by date_added ascending
  bool more = false;
  std::string next;  // cursor for the next page when `more`
};

struct Counts {
  std::map<std::string, std::uint64_t> latest_by_type;  // objects (latest versions) per type
  std::uint64_t objects = 0;                            // distinct ids
  std::uint64_t versions = 0;                           // stored versions
};

struct StoreOptions {
  bool read_only = false;
  // Bytes of memory for a cache of latest versions served by Get (0: none). SQLite stores
  // opened for writing only: each write by any process that opens the store moves a shared
  // change counter, and a cached version is served only while the counter has not moved since
  // it was read (docs/STORE.md, "Object cache"). Ignored by PostgreSQL.
  std::size_t cache_bytes = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed, and migrating the schema) the store at `url`: a file path or
  // "sqlite:PATH" for SQLite, "postgresql://..." for PostgreSQL.
  static Result<std::unique_ptr<Store>> Open(const std::string& url, StoreOptions options = {});

  Result<std::unique_ptr<WriteBatch>> BeginBatch() { return DoBeginBatch(); }

  // One version of an object: the latest, the first, or the one with `version`.
  Result<StoredObject> Get(std::string_view id, Versions which = Versions::kLast,
                           std::string_view version = {});
  // All versions, oldest `modified` first.
  Result<std::vector<StoredObject>> GetVersions(std::string_view id);
  // A page of objects matching the query. InvalidArgument for a malformed query or a cursor
  // from another query.
  Result<Page> Find(const Query& query);
  // Deletes the versions of `id` selected (all when `versions` is empty). NotFound if none.
  Result<std::size_t> Delete(std::string_view id, const std::vector<std::string>& versions = {});
  Result<Counts> Count() { return DoCount(); }
  // Checks the backend's own integrity and our invariants (every id has exactly one latest
  // version, which is its greatest). Corruption if not.
  Status CheckIntegrity() { return DoCheckIntegrity(); }

  // The object cache's figures since open (all zero without a cache).
  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, bytes = 0;
  };
  virtual CacheStats cache_stats() const { return {}; }

  virtual std::string_view backend() const = 0;

 private:
  virtual Result<std::unique_ptr<WriteBatch>> DoBeginBatch() = 0;
  virtual Result<StoredObject> DoGet(std::string_view id, Versions which,
                                     std::string_view version) = 0;
  virtual Result<std::vector<StoredObject>> DoGetVersions(std::string_view id) = 0;
  virtual Result<Page> DoFind(const Query& query) = 0;
  virtual Result<std::size_t> DoDelete(std::string_view id,
                                       const std::vector<std::string>& versions) = 0;
  virtual Result<Counts> DoCount() = 0;
  virtual Status DoCheckIntegrity() = 0;
};

// A store URL fit for messages and output: a password in it is replaced by "***".
std::string RedactStoreUrl(std::string_view url);

// The version key of an object: `modified`, else `created`, else "" (SCOs).
std::string_view VersionOf(const stix::ObjectHeader& header) noexcept;

}  // namespace entente::store
