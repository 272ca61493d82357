// SQLite backend of the Store.
//
// Schema (migration steps in kSteps; schema_version records each applied step; stores made
// before schema_version existed kept their version in meta and are migrated from there):
//   objects(date_added INTEGER PRIMARY KEY, id, type, version TEXT, version_ns INTEGER,
//           revoked, created_by_ref, content_hash INTEGER, json,
//           json_at, json_len, id_key, superseded)                 one row per version;
//                                            superseded is NULL for the id's greatest version
//                                            (its latest), 1 for the others (schema 9)
//   objects(type, date_added) WHERE superseded IS NULL: the latest versions by type
//   objects(id_key, version_ns): the versions of an id; id_key is a keyed hash of the id
//                                (id_key.h), and every lookup also compares the id text
//   meta('id_key_secret'): the store's key for id_key (random, 128 bits, hex)
//   meta('json_end'): the committed end of the object text file
//   latest(date_added INTEGER PRIMARY KEY, type)    before schema 9 (read-only opens): one
//                                                  row per id, its greatest version's row
//   terms(term, kind, text), postings(term, last_added, list)    label, marking, creator filters:
//                                                  each term's date_added keys as blobs
//                                                  (postings.h)
//   search: FTS5 over name (or SCO value) and description, rowid = date_added, contentless,
//           no column sizes (schema 8)
// date_added is the rowid: strictly increasing microseconds, so "added after" is a range
// scan of the primary key and cursors are plain integers.
//
// Object texts: versions written since schema 4 keep their text in the store's text file
// (text_file.h) at [json_at, json_at + json_len), with json = ''; older rows (json_at NULL)
// keep it in the json column. Both read the same way.
#include "sqlite/sqlite_store.h"

#include "sqlite/id_key.h"
#include "sqlite/postings.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "store_internal.h"

namespace entente::store {
namespace {

constexpr int kSchemaVersion = 9;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects(
  date_added INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  version TEXT NOT NULL,
  version_ns INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  created_by_ref TEXT,
  content_hash INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS objects_id_version ON objects(id, version_ns);
CREATE TABLE IF NOT EXISTS latest(
  id TEXT PRIMARY KEY,
  date_added INTEGER NOT NULL,
  type TEXT NOT NULL,
  version_ns INTEGER NOT NULL,
  first_added INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS latest_type ON latest(type, date_added);
CREATE INDEX IF NOT EXISTS latest_added ON latest(date_added);
CREATE TABLE IF NOT EXISTS labels(label TEXT NOT NULL, date_added INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS labels_label ON labels(label, date_added);
CREATE TABLE IF NOT EXISTS markings(marking TEXT NOT NULL, date_added INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS markings_marking ON markings(marking, date_added);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(name, description, content='');
)sql";

// Released steps are never edited; a change is a new step at the end.
const internal::MigrationStep kSteps[] = {
    {1, "objects, latest, labels, markings, search", kSchemaV1},
    {2, "schema versions move from meta to schema_version",
     "DELETE FROM meta WHERE key = 'schema_version'"},
    {3, "index created_by_ref for the created_by filter",
     "CREATE INDEX objects_created_by ON objects(created_by_ref) WHERE created_by_ref IS NOT "
     "NULL"},
    {4, "object texts move to the text file beside the database",
     "ALTER TABLE objects ADD COLUMN json_at INTEGER; "
     "ALTER TABLE objects ADD COLUMN json_len INTEGER"},
    // The old latest table was keyed by the id text: every new object was a random insert into
    // it and into its two indexes, each entry carrying the 46-byte id. Keyed by date_added,
    // inserts append; the id's versions are found through objects(id, version_ns) instead.
    {5, "latest is keyed by date_added",
     "CREATE TABLE latest_v5(date_added INTEGER PRIMARY KEY, type TEXT NOT NULL); "
     "INSERT INTO latest_v5(date_added, type) SELECT date_added, type FROM latest "
     "ORDER BY date_added; "
     "DROP TABLE latest; "
     "ALTER TABLE latest_v5 RENAME TO latest; "
     "CREATE INDEX latest_type ON latest(type, date_added)"},
    // A row per (label, version) and per (marking, version), each with an index, were over a
    // quarter of the database and a third of the ingest time; a batch now writes one blob of
    // keys per distinct term (postings.h).
    {6, "labels, markings and creators become posting lists",
     "CREATE TABLE terms(term INTEGER PRIMARY KEY, kind INTEGER NOT NULL, text TEXT NOT NULL, "
     "UNIQUE(kind, text)); "
     "CREATE TABLE postings(term INTEGER NOT NULL, last_added INTEGER NOT NULL, "
     "list BLOB NOT NULL, PRIMARY KEY(term, last_added)) WITHOUT ROWID; "
     "INSERT INTO terms(kind, text) SELECT DISTINCT 1, label FROM labels ORDER BY 2; "
     "INSERT INTO terms(kind, text) SELECT DISTINCT 2, marking FROM markings ORDER BY 2; "
     "INSERT INTO terms(kind, text) SELECT DISTINCT 3, created_by_ref FROM objects "
     "WHERE created_by_ref IS NOT NULL ORDER BY 2; "
     "INSERT INTO postings(term, last_added, list) SELECT t.term, MAX(l.date_added), "
     "entente_postings(l.date_added) FROM labels l JOIN terms t ON t.kind = 1 AND t.text = "
     "l.label GROUP BY t.term; "
     "INSERT INTO postings(term, last_added, list) SELECT t.term, MAX(m.date_added), "
     "entente_postings(m.date_added) FROM markings m JOIN terms t ON t.kind = 2 AND t.text = "
     "m.marking GROUP BY t.term; "
     "INSERT INTO postings(term, last_added, list) SELECT t.term, MAX(o.date_added), "
     "entente_postings(o.date_added) FROM objects o JOIN terms t ON t.kind = 3 AND t.text = "
     "o.created_by_ref GROUP BY t.term; "
     "DROP TABLE labels; "
     "DROP TABLE markings; "
     "DROP INDEX objects_created_by"},
    // The unique (id, version_ns) index held the 46-byte id text in every entry: each new
    // version was a random insert of a long key, and each lookup compared id texts all the way
    // down. Keyed by a 64-bit hash of the id under a secret of the store, entries are a third
    // as large; uniqueness of (id, version) is kept by the write path, which looks before it
    // inserts (it always did, for duplicates), and checked by CheckIntegrity.
    {7, "objects are found by a keyed hash of their id",
     "INSERT INTO meta(key, value) VALUES('id_key_secret', lower(hex(randomblob(16)))); "
     "ALTER TABLE objects ADD COLUMN id_key INTEGER; "
     "UPDATE objects SET id_key = entente_id_key((SELECT value FROM meta WHERE key = "
     "'id_key_secret'), id); "
     "DROP INDEX objects_id_version; "
     "CREATE INDEX objects_id_key ON objects(id_key, version_ns)"},
    // Full-text search was about 40 % of the ingest time. columnsize=0 drops the per-row
    // column sizes, which only ranking (bm25) reads and searches here do not rank; automerge 8
    // (FTS5's default is 4) lets twice as many segments gather before they merge, so each
    // token is rewritten less often. Contentless tables cannot be rebuilt from themselves:
    // SqliteStore::RefillSearch indexes every stored version's text again after this step.
    {8, "full-text search keeps no column sizes and merges less often",
     "DROP TABLE search; "
     "CREATE VIRTUAL TABLE search USING fts5(name, description, content='', columnsize=0); "
     "INSERT INTO search(search, rank) VALUES('automerge', 8)"},
    // A latest row per id cost every new object a second insert statement and a second
    // B-tree (about a tenth of the ingest time). The objects row itself now says whether a
    // greater version of its id exists; the partial index holds only the latest versions, by
    // type, for type filters and counts. Paging through latest versions is a range scan of
    // objects that skips superseded rows.
    {9, "objects say whether they are superseded; the latest table goes",
     "ALTER TABLE objects ADD COLUMN superseded INTEGER; "
     "UPDATE objects SET superseded = 1 WHERE date_added NOT IN (SELECT date_added FROM latest); "
     "DROP TABLE latest; "
     "CREATE INDEX objects_latest ON objects(type, date_added) WHERE superseded IS NULL"},
};

// The columns RowToObject reads, after an optional table prefix.
std::string ObjectColumns(std::string_view p, bool text_file) {
  std::string c;
  for (const char* name : {"id", "type", "version", "date_added", "revoked", "json"}) {
    c += (c.empty() ? "" : ", ") + std::string(p) + name;
  }
  if (text_file) return c + ", " + std::string(p) + "json_at, " + std::string(p) + "json_len";
  return c + ", NULL, NULL";  // a store read before its migration to schema 4
}

using internal::ContentHash;
using internal::VersionNs;

Status SqliteError(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string m = std::string(what) + ": " + sqlite3_errmsg(db);
  int primary = code & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(m);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(m);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
      primary == SQLITE_CANTOPEN) {
    return Status::IoError(m);
  }
  return Status::Internal(m);
}

}  // namespace

// ---- statements --------------------------------------------------------------------------------

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Status Stmt::Prepare(sqlite3* db, const char* sql) {
  db_ = db;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
    return SqliteError(db, std::string("prepare ") + sql);
  }
  return Status::Ok();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Stmt::Bind(int i, std::string_view s) {
  // A default string_view has a null data(): bind "" (SQLite would bind NULL for it).
  sqlite3_bind_text(stmt_, i, s.data() != nullptr ? s.data() : "", static_cast<int>(s.size()),
                    SQLITE_STATIC);
}
void Stmt::Bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void Stmt::BindNull(int i) { sqlite3_bind_null(stmt_, i); }
void Stmt::BindBlob(int i, std::string_view b) {
  sqlite3_bind_blob64(stmt_, i, b.data() != nullptr ? b.data() : "", b.size(), SQLITE_STATIC);
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, "step");
}

std::string_view Stmt::Text(int col) {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}
std::string_view Stmt::Blob(int col) {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}
std::int64_t Stmt::Int(int col) { return sqlite3_column_int64(stmt_, col); }
bool Stmt::IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

// ---- the store ---------------------------------------------------------------------------------

SqliteStore::~SqliteStore() {
  statements_.reset();
  posting_writer_.reset();
  idle_readers_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

// close_v2 defers the close until the statements (members, destroyed after this body) are
// finalised.
SqliteStore::Reader::~Reader() {
  if (db != nullptr) sqlite3_close_v2(db);
}

SqliteStore::ReaderLease::~ReaderLease() {
  if (reader_ == nullptr) return;  // moved from
  // A statement left mid-result (an early error return) would hold its read transaction open
  // while the reader sits idle: a stale snapshot that also keeps checkpoints from finishing.
  reader_->get_latest.Reset();
  reader_->get_versions.Reset();
  std::lock_guard<std::mutex> lock(store_->readers_mutex_);
  if (store_->idle_readers_.size() < kMaxIdleReaders) {
    store_->idle_readers_.push_back(std::move(reader_));
  }
}

Result<std::unique_ptr<SqliteStore::Reader>> SqliteStore::OpenReader() const {
  auto r = std::make_unique<Reader>();
  if (sqlite3_open_v2(path_.c_str(), &r->db, SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    return Status::IoError("cannot open store " + path_ + " for reading" +
                           (r->db != nullptr ? std::string(": ") + sqlite3_errmsg(r->db) : ""));
  }
  sqlite3_extended_result_codes(r->db, 1);
  sqlite3_busy_timeout(r->db, 5000);
  ENTENTE_RETURN_IF_ERROR(RegisterPostings(r->db));
  ENTENTE_RETURN_IF_ERROR(RegisterIdKey(r->db));
  ENTENTE_RETURN_IF_ERROR(Exec(r->db, "PRAGMA cache_size=-65536"));
  ENTENTE_RETURN_IF_ERROR(Exec(r->db, "PRAGMA mmap_size=4294967296"));
  // The greatest version through the id's index; the same query reads stores made before
  // schema 5, whose latest table was keyed by id.
  std::string latest = "SELECT " + ObjectColumns("", text_columns_) + " FROM objects WHERE " +
                       IdIs() + " ORDER BY version_ns DESC LIMIT 1";
  ENTENTE_RETURN_IF_ERROR(r->get_latest.Prepare(r->db, latest.c_str()));
  std::string versions = "SELECT " + ObjectColumns("", text_columns_) + " FROM objects WHERE " +
                         IdIs() + " ORDER BY version_ns";
  ENTENTE_RETURN_IF_ERROR(r->get_versions.Prepare(r->db, versions.c_str()));
  return r;
}

Result<SqliteStore::ReaderLease> SqliteStore::LeaseReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      ReaderLease lease(this, std::move(idle_readers_.back()));
      idle_readers_.pop_back();
      return lease;
    }
  }
  ENTENTE_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, OpenReader());
  return ReaderLease(this, std::move(r));
}

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, StoreOptions options) {
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore());
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &store->db_, flags, nullptr) != SQLITE_OK) {
    Status s = Status::IoError("cannot open store " + path + ": " +
                               (store->db_ ? sqlite3_errmsg(store->db_) : "out of memory"));
    return s;
  }
  sqlite3_extended_result_codes(store->db_, 1);
  sqlite3_busy_timeout(store->db_, 5000);
  ENTENTE_RETURN_IF_ERROR(RegisterPostings(store->db_));  // migration 6 uses it
  ENTENTE_RETURN_IF_ERROR(RegisterIdKey(store->db_));     // migration 7 uses it
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk when it returns.
  // page_size only takes effect on a new database (before the first table is created).
  for (const char* pragma :
       {"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=OFF", "PRAGMA cache_size=-262144", "PRAGMA mmap_size=4294967296",
        "PRAGMA temp_store=MEMORY", "PRAGMA wal_autocheckpoint=4000"}) {
    if (options.read_only && std::strstr(pragma, "journal_mode") != nullptr) continue;
    ENTENTE_RETURN_IF_ERROR(store->Exec(pragma));
  }
  if (!options.read_only) {
    // Before the migration, which is a write like any other.
    ENTENTE_ASSIGN_OR_RETURN(store->changes_, ChangeCounter::Open(path + "-changes"));
    if (options.cache_bytes > 0) store->cache_ = std::make_unique<ObjectCache>(options.cache_bytes);
  }
  // Before the migration, which may read texts.
  ENTENTE_ASSIGN_OR_RETURN(store->texts_, ObjectTextFile::Open(path + "-json", options.read_only));
  if (options.read_only) {
    ENTENTE_RETURN_IF_ERROR(store->CheckVersion());
    ENTENTE_ASSIGN_OR_RETURN(int version, SchemaVersion(store->db_));
    store->text_columns_ = version >= 4;
    store->postings_ = version >= 6;
    store->latest_column_ = version >= 9;
    ENTENTE_ASSIGN_OR_RETURN(store->id_key_, ReadIdKeySecret(store->db_, version));
  } else {
    ENTENTE_RETURN_IF_ERROR(store->Migrate());
    store->text_columns_ = true;
    store->postings_ = true;
    store->latest_column_ = true;
    ENTENTE_ASSIGN_OR_RETURN(store->id_key_, ReadIdKeySecret(store->db_, kSchemaVersion));
  }
  store->path_ = path;
  {
    // The first reader now, so a store that cannot be read fails to open.
    ENTENTE_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, store->OpenReader());
    store->idle_readers_.push_back(std::move(reader));
  }
  store->read_only_ = options.read_only;
  if (options.read_only) return std::unique_ptr<Store>(std::move(store));
  ENTENTE_RETURN_IF_ERROR(store->PrepareStatements());
  // Continue the date_added sequence after what is stored.
  Stmt max;
  ENTENTE_RETURN_IF_ERROR(
      max.Prepare(store->db_, "SELECT COALESCE(MAX(date_added), 0) FROM objects"));
  ENTENTE_ASSIGN_OR_RETURN(bool row, max.Step());
  store->last_date_added_ = row ? max.Int(0) : 0;
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);  // the same text as sqlite3_errmsg, which SqliteError adds
    return SqliteError(db, std::string(sql).substr(0, 60));
  }
  return Status::Ok();
}

// The schema version of the store on `db`: MAX(schema_version.version), else the legacy
// meta row, else 0 (a new file).
Result<int> SqliteStore::SchemaVersion(sqlite3* db) {
  Stmt table;
  ENTENTE_RETURN_IF_ERROR(table.Prepare(
      db,
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('schema_version', "
      "'meta') ORDER BY name DESC"));
  ENTENTE_ASSIGN_OR_RETURN(bool row, table.Step());
  if (!row) return 0;
  Stmt get;
  if (table.Text(0) == "schema_version") {
    ENTENTE_RETURN_IF_ERROR(
        get.Prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  } else {
    ENTENTE_RETURN_IF_ERROR(
        get.Prepare(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'"));
  }
  ENTENTE_ASSIGN_OR_RETURN(row, get.Step());
  return row ? static_cast<int>(get.Int(0)) : 0;
}

Status SqliteStore::CheckVersion() {
  // Read-only: no migration. Every step so far only adds, so an older schema reads fine.
  ENTENTE_ASSIGN_OR_RETURN(int found, SchemaVersion(db_));
  if (found > kSchemaVersion) return internal::NewerSchema("SQLite", found, kSchemaVersion);
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  ENTENTE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  BeginWrite();
  auto body = [&]() -> Status {
    ENTENTE_ASSIGN_OR_RETURN(int found, SchemaVersion(db_));
    if (found > kSchemaVersion) return internal::NewerSchema("SQLite", found, kSchemaVersion);
    if (found == kSchemaVersion) return Status::Ok();
    ENTENTE_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, "
             "description TEXT NOT NULL, applied_at TEXT NOT NULL)"));
    Stmt record;
    ENTENTE_RETURN_IF_ERROR(
        record.Prepare(db_,
                       "INSERT OR IGNORE INTO schema_version(version, description, applied_at) "
                       "VALUES(?1, ?2, ?3)"));
    std::string now = FormatTimestamp(Now(), 3);
    for (const auto& step : kSteps) {
      if (step.version > found) {
        const std::string context = "migration to version " + std::to_string(step.version);
        ENTENTE_RETURN_IF_ERROR(Exec(step.sql).WithContext(context));
        if (step.version == 8) ENTENTE_RETURN_IF_ERROR(RefillSearch().WithContext(context));
      }
      // Steps a legacy store had applied are recorded too, so the table tells the history.
      record.Reset();
      record.Bind(1, std::int64_t{step.version});
      record.Bind(2, std::string_view(step.description));
      record.Bind(3, std::string_view(now));
      ENTENTE_RETURN_IF_ERROR(record.Step().status());
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    EndWrite();
    return s;
  }
  s = Exec("COMMIT");
  EndWrite();
  return s;
}

// What Put indexes, taken from each stored text the way the validator's header takes it: the
// top-level "name" string, else "value" (SCOs), and "description". Texts are read as committed
// (no batch is open during a migration).
Status SqliteStore::RefillSearch() {
  Stmt rows, insert;
  ENTENTE_RETURN_IF_ERROR(rows.Prepare(
      db_, "SELECT date_added, json, json_at, json_len FROM objects ORDER BY date_added"));
  ENTENTE_RETURN_IF_ERROR(
      insert.Prepare(db_, "INSERT INTO search(rowid, name, description) VALUES(?1, ?2, ?3)"));
  json::Document doc;
  std::string text;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    const std::int64_t added = rows.Int(0);
    if (rows.IsNull(2)) {
      text = rows.Text(1);
    } else {
      ENTENTE_RETURN_IF_ERROR(texts_->Read(rows.Int(2), rows.Int(3), &text));
    }
    // A stored text that does not parse is damage, not bad input: Corruption, naming the row.
    if (Status parsed = doc.Parse(text); !parsed.ok())
      return Status::Corruption("the stored text of date_added " + std::to_string(added) +
                                " is not valid JSON: " + parsed.message());
    const json::Node root = doc.root();
    std::string_view name = root["name"].str();
    if (name.empty()) name = root["value"].str();
    const std::string_view description = root["description"].str();
    if (name.empty() && description.empty()) continue;
    insert.Reset();
    insert.Bind(1, added);
    insert.Bind(2, name);
    insert.Bind(3, description);
    ENTENTE_RETURN_IF_ERROR(insert.Step().status());
  }
  return Status::Ok();
}

Status SqliteStore::PrepareStatements() {
  statements_ = std::make_unique<Statements>();
  Statements& st = *statements_;
  ENTENTE_RETURN_IF_ERROR(st.insert_object.Prepare(
      db_,
      "INSERT INTO objects(date_added, id, type, version, version_ns, revoked, created_by_ref, "
      "content_hash, json, json_at, json_len, id_key, superseded) VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
      "?7, ?8, '', ?9, ?10, ?11, ?12)"));
  ENTENTE_RETURN_IF_ERROR(st.find_version.Prepare(
      db_, ("SELECT content_hash, json, json_at, json_len FROM objects WHERE " + IdIs() +
            " AND version_ns = ?2")
               .c_str()));
  ENTENTE_RETURN_IF_ERROR(st.read_json_end.Prepare(
      db_, "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'json_end'), 0)"));
  ENTENTE_RETURN_IF_ERROR(
      st.write_json_end.Prepare(db_,
                                "INSERT INTO meta(key, value) VALUES('json_end', ?1) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  ENTENTE_RETURN_IF_ERROR(st.find_latest.Prepare(
      db_, ("SELECT version_ns, date_added, content_hash FROM objects WHERE " + IdIs() +
            " ORDER BY version_ns DESC LIMIT 1")
               .c_str()));
  ENTENTE_RETURN_IF_ERROR(
      st.supersede.Prepare(db_, "UPDATE objects SET superseded = 1 WHERE date_added = ?1"));
  ENTENTE_ASSIGN_OR_RETURN(posting_writer_, PostingWriter::Prepare(db_));
  ENTENTE_RETURN_IF_ERROR(st.insert_search.Prepare(
      db_, "INSERT INTO search(rowid, name, description) VALUES(?1, ?2, ?3)"));
  return Status::Ok();
}

// The id is always ?1; its key, when the schema has one, ?9 (statements keyed by id bind
// nothing else there).
constexpr int kIdKeyParam = 9;

std::string SqliteStore::IdIs(std::string_view p) const {
  std::string id = std::string(p) + "id = ?1";
  if (!id_key_) return id;
  return std::string(p) + "id_key = ?" + std::to_string(kIdKeyParam) + " AND " + id;
}

void SqliteStore::BindId(Stmt& s, std::string_view id) const {
  s.Bind(1, id);
  if (id_key_) s.Bind(kIdKeyParam, IdKey(*id_key_, id));
}

std::string SqliteStore::SameIdAs(std::string_view f, std::string_view o) const {
  std::string same = std::string(f) + ".id = " + std::string(o) + ".id";
  if (!id_key_) return same;
  return std::string(f) + ".id_key = " + std::string(o) + ".id_key AND " + same;
}

Result<std::optional<IdKeySecret>> SqliteStore::ReadIdKeySecret(sqlite3* db, int schema_version) {
  if (schema_version < 7) return std::optional<IdKeySecret>();
  Stmt get;
  ENTENTE_RETURN_IF_ERROR(get.Prepare(db, "SELECT value FROM meta WHERE key = 'id_key_secret'"));
  ENTENTE_ASSIGN_OR_RETURN(bool row, get.Step());
  if (!row) return Status::Corruption("the store has no id_key_secret in meta (schema 7)");
  ENTENTE_ASSIGN_OR_RETURN(IdKeySecret secret, ParseIdKeySecret(get.Text(0)));
  return std::optional<IdKeySecret>(secret);
}

std::int64_t SqliteStore::NextDateAdded() {
  std::int64_t now = Now().micros();
  last_date_added_ = std::max(now, last_date_added_ + 1);
  return last_date_added_;
}

// ---- writing
// -------------------------------------------------------------------------------------

class SqliteWriteBatch final : public WriteBatch {
 public:
  explicit SqliteWriteBatch(SqliteStore& store) : store_(store) {}
  ~SqliteWriteBatch() override {
    if (open_) Rollback();
  }

  Status Begin() {
    store_.write_mutex_.lock();
    Status s = store_.Exec("BEGIN IMMEDIATE");
    if (!s.ok()) {
      store_.write_mutex_.unlock();
      return s;
    }
    store_.BeginWrite();
    open_ = true;
    // Another process (or Store) on the same file may have written since: continue after the
    // greatest stored date_added, read under the write lock (a rowid MAX is one B-tree probe).
    Stmt max;
    Status s2 = max.Prepare(store_.db_, "SELECT COALESCE(MAX(date_added), 0) FROM objects");
    auto row = s2.ok() ? max.Step() : Result<bool>(s2);
    if (!row.ok()) {
      Rollback();
      return row.status();
    }
    if (*row) store_.last_date_added_ = std::max(store_.last_date_added_, max.Int(0));
    saved_last_ = store_.last_date_added_;
    // The text file continues after the last committed batch, whichever process wrote it.
    auto& end = store_.statements_->read_json_end;
    end.Reset();
    auto end_row = end.Step();
    Status texts = end_row.ok() ? store_.texts_->BeginBatch(end.Int(0)) : end_row.status();
    end.Reset();
    if (!texts.ok()) {
      Rollback();
      return texts;
    }
    return Status::Ok();
  }

  Result<PutOutcome> Put(const stix::ObjectHeader& h, std::string_view json) override {
    if (!open_) return Status::Internal("Put on a finished batch");
    auto& st = *store_.statements_;
    std::string_view version = VersionOf(h);
    std::int64_t version_ns = VersionNs(version);
    std::int64_t hash = ContentHash(json);

    // The id's greatest stored version, if any (read before this one is inserted).
    const std::int64_t id_key = IdKey(*store_.id_key_, h.id);
    st.find_latest.Reset();
    st.find_latest.Bind(1, h.id);
    st.find_latest.Bind(kIdKeyParam, id_key);
    ENTENTE_ASSIGN_OR_RETURN(bool had_version, st.find_latest.Step());
    const std::int64_t prev_version_ns = had_version ? st.find_latest.Int(0) : 0;
    const std::int64_t prev_added = had_version ? st.find_latest.Int(1) : 0;
    const bool same_hash = had_version && st.find_latest.Int(2) == hash;
    st.find_latest.Reset();
    // The greatest version again (a re-delivery, the common duplicate): decided here, without
    // writing its text or trying the insert.
    if (had_version && version_ns == prev_version_ns) {
      if (same_hash) return PutOutcome::kDuplicate;
      ENTENTE_ASSIGN_OR_RETURN(auto outcome, CompareWithStored(h, json, version, version_ns, hash));
      if (outcome) return *outcome;
      return Status::Internal(std::string(h.id) + ": its greatest version vanished in the batch");
    }
    // An older version arriving late: stored already, or new (nothing but this lookup keeps
    // (id, version) unique).
    if (had_version && version_ns < prev_version_ns) {
      ENTENTE_ASSIGN_OR_RETURN(auto outcome, CompareWithStored(h, json, version, version_ns, hash));
      if (outcome) return *outcome;
    }

    ENTENTE_ASSIGN_OR_RETURN(std::int64_t text_at, store_.texts_->Append(json));
    std::int64_t added = store_.NextDateAdded();
    st.insert_object.Reset();
    st.insert_object.Bind(1, added);
    st.insert_object.Bind(2, h.id);
    st.insert_object.Bind(3, h.type);
    st.insert_object.Bind(4, version);
    st.insert_object.Bind(5, version_ns);
    st.insert_object.Bind(6, std::int64_t{h.revoked ? 1 : 0});
    if (h.created_by_ref.empty()) {
      st.insert_object.BindNull(7);
    } else {
      st.insert_object.Bind(7, h.created_by_ref);
    }
    st.insert_object.Bind(8, hash);
    st.insert_object.Bind(9, text_at);
    st.insert_object.Bind(10, static_cast<std::int64_t>(json.size()));
    st.insert_object.Bind(11, id_key);
    // An older version arriving late is superseded from the start; a newer one supersedes the
    // id's previous greatest version.
    const bool newest = !had_version || version_ns > prev_version_ns;
    if (newest) {
      st.insert_object.BindNull(12);
    } else {
      st.insert_object.Bind(12, std::int64_t{1});
    }
    ENTENTE_RETURN_IF_ERROR(st.insert_object.Step().status());
    if (had_version && newest) {
      st.supersede.Reset();
      st.supersede.Bind(1, prev_added);
      ENTENTE_RETURN_IF_ERROR(st.supersede.Step().status());
    }

    if (h.labels.is_array()) {
      for (auto [k, label] : h.labels) postings_.Add(TermKind::kLabel, label.str(), added);
    }
    if (h.object_marking_refs.is_array()) {
      for (auto [k, marking] : h.object_marking_refs) {
        postings_.Add(TermKind::kMarking, marking.str(), added);
      }
    }
    if (!h.created_by_ref.empty()) postings_.Add(TermKind::kCreator, h.created_by_ref, added);
    if (!h.name.empty() || !h.description.empty()) {
      st.insert_search.Reset();
      st.insert_search.Bind(1, added);
      st.insert_search.Bind(2, h.name);
      st.insert_search.Bind(3, h.description);
      ENTENTE_RETURN_IF_ERROR(st.insert_search.Step().status());
    }
    ++size_;
    return PutOutcome::kAdded;
  }

  // When (id, version) is stored: a duplicate if equal in meaning, else a conflict; nullopt
  // when it is not stored. The hashes decide in the common case; the texts are compared only
  // when they differ.
  Result<std::optional<PutOutcome>> CompareWithStored(const stix::ObjectHeader& h,
                                                      std::string_view json,
                                                      std::string_view version,
                                                      std::int64_t version_ns, std::int64_t hash) {
    auto& st = *store_.statements_;
    st.find_version.Reset();
    store_.BindId(st.find_version, h.id);
    st.find_version.Bind(2, version_ns);
    ENTENTE_ASSIGN_OR_RETURN(bool exists, st.find_version.Step());
    if (!exists) {
      st.find_version.Reset();
      return std::optional<PutOutcome>();
    }
    bool same = st.find_version.Int(0) == hash;
    if (!same) {
      std::string stored_text;
      Status read = Status::Ok();
      if (st.find_version.IsNull(2)) {
        stored_text = st.find_version.Text(1);
      } else {
        read = store_.texts_->ReadInBatch(st.find_version.Int(2), st.find_version.Int(3),
                                          &stored_text);
      }
      if (!read.ok()) {
        st.find_version.Reset();
        return read;
      }
      auto stored = json::Value::Parse(stored_text);
      auto incoming = json::Value::Parse(json);
      same = stored.ok() && incoming.ok() && *stored == *incoming;
    }
    st.find_version.Reset();
    if (same) return std::optional<PutOutcome>(PutOutcome::kDuplicate);
    return Status::Conflict(std::string(h.id) + " version " +
                            (version.empty() ? std::string("(single)") : std::string(version)) +
                            " is already stored with different content");
  }

  Status Commit() override {
    if (!open_) return Status::Internal("Commit on a finished batch");
    // The batch's label and marking keys, one blob per term; then the texts on disk; the
    // commit that refers to them also records their end.
    Status s = store_.posting_writer_->Flush(postings_);
    if (s.ok() && size_ > 0) {
      auto end = store_.texts_->Sync();
      s = end.status();
      if (s.ok()) {
        auto& w = store_.statements_->write_json_end;
        w.Reset();
        w.Bind(1, *end);
        s = w.Step().status();
        w.Reset();
      }
    }
    if (s.ok()) s = store_.Exec("COMMIT");
    if (!s.ok()) {
      Rollback();
      return s;
    }
    open_ = false;
    store_.EndWrite();
    store_.write_mutex_.unlock();
    return Status::Ok();
  }

  void Rollback() override {
    if (!open_) return;
    (void)store_.Exec("ROLLBACK");
    postings_.Clear();
    store_.texts_->AbandonBatch();
    store_.last_date_added_ = std::max(store_.last_date_added_, saved_last_);
    open_ = false;
    store_.EndWrite();
    store_.write_mutex_.unlock();
  }

  std::size_t size() const override { return size_; }

 private:
  SqliteStore& store_;
  PostingsBuffer postings_;
  bool open_ = false;
  std::size_t size_ = 0;
  std::int64_t saved_last_ = 0;
};

Result<std::unique_ptr<WriteBatch>> SqliteStore::DoBeginBatch() {
  if (read_only_) return Status::PermissionDenied("the store is open read-only");
  auto batch = std::make_unique<SqliteWriteBatch>(*this);
  ENTENTE_RETURN_IF_ERROR(batch->Begin());
  return std::unique_ptr<WriteBatch>(std::move(batch));
}

// ---- reading
// -------------------------------------------------------------------------------------

namespace {

// The fields of a row of ObjectColumns(), and its text when the row holds it; false when the
// text is in the text file at (column 6, column 7).
bool RowFields(Stmt& s, StoredObject* o) {
  o->id = s.Text(0);
  o->type = s.Text(1);
  o->version = s.Text(2);
  o->date_added_us = s.Int(3);
  o->revoked = s.Int(4) != 0;
  if (!s.IsNull(6)) return false;
  o->json = s.Text(5);
  return true;
}

}  // namespace

Result<StoredObject> SqliteStore::RowToObject(Stmt& s) const {
  StoredObject o;
  if (!RowFields(s, &o)) {
    ENTENTE_RETURN_IF_ERROR(texts_->Read(s.Int(6), s.Int(7), &o.json).WithContext(o.id));
  }
  return o;
}

// Pages are in date_added order, which is the order texts were appended in: runs of adjacent
// texts (each followed by its newline) are read with one pread, not one per object.
Status SqliteStore::ReadTexts(const std::vector<TextRef>& refs,
                              std::vector<StoredObject>* objects) const {
  constexpr std::int64_t kMaxRun = std::int64_t{4} << 20;
  std::string run;
  for (std::size_t i = 0; i < refs.size();) {
    std::size_t j = i + 1;
    std::int64_t end = refs[i].at + refs[i].length;
    while (j < refs.size() && refs[j].at == end + 1 &&
           refs[j].at + refs[j].length - refs[i].at <= kMaxRun) {
      end = refs[j].at + refs[j].length;
      ++j;
    }
    StoredObject& first = (*objects)[refs[i].index];
    if (j == i + 1) {
      ENTENTE_RETURN_IF_ERROR(
          texts_->Read(refs[i].at, refs[i].length, &first.json).WithContext(first.id));
    } else {
      ENTENTE_RETURN_IF_ERROR(
          texts_->Read(refs[i].at, end - refs[i].at, &run).WithContext(first.id));
      for (std::size_t k = i; k < j; ++k) {
        (*objects)[refs[k].index].json.assign(run,
                                              static_cast<std::size_t>(refs[k].at - refs[i].at),
                                              static_cast<std::size_t>(refs[k].length));
      }
    }
    i = j;
  }
  return Status::Ok();
}

Result<StoredObject> SqliteStore::DoGet(std::string_view id, Versions which,
                                        std::string_view version) {
  if (cache_ && version.empty() && which == Versions::kLast) return CachedLatest(id);
  ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
  if (!version.empty()) {
    Stmt s;
    std::string sql = "SELECT " + ObjectColumns("", text_columns_) + " FROM objects WHERE " +
                      IdIs() + " AND version_ns = ?2";
    ENTENTE_RETURN_IF_ERROR(s.Prepare(reader->db, sql.c_str()));
    BindId(s, id);
    s.Bind(2, VersionNs(version));
    ENTENTE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound(std::string(id) + " version " + std::string(version));
    return RowToObject(s);
  }
  if (which == Versions::kFirst) {
    Stmt s;
    std::string sql = "SELECT " + ObjectColumns("", text_columns_) + " FROM objects WHERE " +
                      IdIs() + " ORDER BY version_ns LIMIT 1";
    ENTENTE_RETURN_IF_ERROR(s.Prepare(reader->db, sql.c_str()));
    BindId(s, id);
    ENTENTE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound(std::string(id));
    return RowToObject(s);
  }
  return ReadLatest(id, reader);
}

Result<StoredObject> SqliteStore::ReadLatest(std::string_view id, ReaderLease& reader) {
  Stmt& s = reader->get_latest;
  s.Reset();
  BindId(s, id);
  auto row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    s.Reset();
    return Status::NotFound(std::string(id));
  }
  auto o = RowToObject(s);
  s.Reset();  // ends the read transaction
  return o;
}

Result<StoredObject> SqliteStore::CachedLatest(std::string_view id) {
  // The counter before the read: an entry is valid for the generation its read started in,
  // and only if no write began before the read ended (ChangeCounter's protocol).
  const std::uint64_t generation = changes_->Load();
  const bool stable = ChangeCounter::Stable(generation);
  StoredObject cached;
  if (stable && cache_->Find(id, generation, &cached)) return cached;
  Result<StoredObject> read = [&]() -> Result<StoredObject> {
    ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
    return ReadLatest(id, reader);
  }();
  if (read.ok() && stable && changes_->Load() == generation) cache_->Insert(*read, generation);
  return read;
}

Result<std::vector<StoredObject>> SqliteStore::DoGetVersions(std::string_view id) {
  ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
  Stmt& s = reader->get_versions;
  s.Reset();
  BindId(s, id);
  std::vector<StoredObject> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) {
      s.Reset();
      return row.status();
    }
    if (!*row) break;
    auto o = RowToObject(s);
    if (!o.ok()) {
      s.Reset();
      return o.status();
    }
    out.push_back(std::move(*o));
  }
  s.Reset();
  if (out.empty()) return Status::NotFound(std::string(id));
  return out;
}

Result<Page> SqliteStore::DoFind(const Query& q) {
  ENTENTE_ASSIGN_OR_RETURN(std::int64_t after, internal::AddedAfter(q));

  // Build the SQL. Objects are selected as versions (o) joined to their id's latest row (l)
  // when only the latest (or first) version is wanted.
  std::string sql = "SELECT " + ObjectColumns("o.", text_columns_) + " FROM ";
  std::vector<std::pair<int, std::string>> text_binds;
  std::vector<std::pair<int, std::int64_t>> int_binds;
  int n = 0;
  auto text_param = [&](std::string v) {
    text_binds.emplace_back(++n, std::move(v));
    return "?" + std::to_string(n);
  };
  auto int_param = [&](std::int64_t v) {
    int_binds.emplace_back(++n, v);
    return "?" + std::to_string(n);
  };
  bool exact = !q.exact_versions.empty();
  const bool latest = q.versions == Versions::kLast && !exact;
  std::vector<std::string> where;
  if (latest && !latest_column_) {
    sql += "latest l JOIN objects o ON o.date_added = l.date_added";  // before schema 9
  } else {
    sql += "objects o";
    if (latest) where.push_back("o.superseded IS NULL");
  }
  where.push_back("o.date_added > " + int_param(after));
  auto in_list = [&](const std::string& column, const std::vector<std::string>& values) {
    std::string clause = column + " IN (";
    for (std::size_t i = 0; i < values.size(); ++i)
      clause += (i ? "," : "") + text_param(values[i]);
    return clause + ")";
  };
  if (!q.ids.empty()) {
    if (id_key_) {
      std::string keys = "o.id_key IN (";
      for (std::size_t i = 0; i < q.ids.size(); ++i) {
        keys += (i ? "," : "") + int_param(IdKey(*id_key_, q.ids[i]));
      }
      where.push_back(keys + ")");
    }
    where.push_back(in_list("o.id", q.ids));
  }
  // One type: the latest versions' (type, date_added) index gives its rows in page order.
  // Several: that index would yield every matching row after the cursor, to be sorted for
  // each page; the unary + keeps SQLite on the date_added scan, which stops at the page's end.
  if (q.types.size() == 1) where.push_back(in_list("o.type", q.types));
  if (q.types.size() > 1) where.push_back(in_list("+o.type", q.types));
  if (q.versions == Versions::kFirst && !exact) {
    where.push_back("o.version_ns = (SELECT MIN(version_ns) FROM objects f WHERE " +
                    SameIdAs("f", "o") + ")");
  }
  if (exact) {
    std::string clause = "o.version_ns IN (";
    for (std::size_t i = 0; i < q.exact_versions.size(); ++i) {
      auto t = ParseTimestamp(q.exact_versions[i], "version");
      if (!t.ok()) return t.status();
      clause += (i ? "," : "") + int_param(t->nanos);
    }
    where.push_back(clause + ")");
  }
  auto timestamp = [&](const std::optional<std::string>& v, const char* op) -> Status {
    if (!v) return Status::Ok();
    ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(*v, "modified filter"));
    where.push_back("o.version_ns " + std::string(op) + " " + int_param(t.nanos));
    return Status::Ok();
  };
  ENTENTE_RETURN_IF_ERROR(timestamp(q.modified_from, ">="));
  ENTENTE_RETURN_IF_ERROR(timestamp(q.modified_to, "<="));
  // Stores before schema 6 (opened read-only, so not migrated) keep a row per term and version.
  auto term_filter = [&](TermKind kind, const std::string& text) {
    if (postings_) {
      where.push_back("o.date_added IN (SELECT value FROM term_postings(" +
                      std::to_string(static_cast<int>(kind)) + ", " + text_param(text) + "))");
    } else if (kind == TermKind::kLabel) {
      where.push_back(
          "o.date_added IN (SELECT date_added FROM labels WHERE label = " + text_param(text) + ")");
    } else {
      where.push_back("o.date_added IN (SELECT date_added FROM markings WHERE marking = " +
                      text_param(text) + ")");
    }
  };
  if (!q.label.empty()) term_filter(TermKind::kLabel, q.label);
  if (!q.marking.empty()) term_filter(TermKind::kMarking, q.marking);
  if (!q.created_by.empty()) {
    if (postings_) {
      term_filter(TermKind::kCreator, q.created_by);
    } else {
      where.push_back("o.created_by_ref = " + text_param(q.created_by));
    }
  }
  if (!q.text.empty()) {
    where.push_back("o.date_added IN (SELECT rowid FROM search WHERE search MATCH " +
                    text_param(q.text) + ")");
  }
  if (!q.include_revoked) where.push_back("o.revoked = 0");
  sql += " WHERE ";
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : "") + where[i];
  std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 10000);
  sql += " ORDER BY o.date_added LIMIT " + std::to_string(limit + 1);

  ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
  Stmt s;
  ENTENTE_RETURN_IF_ERROR(s.Prepare(reader->db, sql.c_str()));
  for (const auto& [i, v] : text_binds) s.Bind(i, std::string_view(v));
  for (const auto& [i, v] : int_binds) s.Bind(i, v);
  Page page;
  std::vector<TextRef> texts;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) {
      if (!q.text.empty()) {
        return Status::InvalidArgument("full-text query '" + q.text +
                                       "': " + row.status().message());
      }
      return row.status();
    }
    if (!*row) break;
    if (page.objects.size() == limit) {
      page.more = true;
      break;
    }
    // Texts in the file are read after the loop, neighbours in one pread.
    StoredObject o;
    if (!RowFields(s, &o)) texts.push_back({page.objects.size(), s.Int(6), s.Int(7)});
    page.objects.push_back(std::move(o));
  }
  ENTENTE_RETURN_IF_ERROR(ReadTexts(texts, &page.objects));
  if (page.more) page.next = internal::MakeCursor(page.objects.back().date_added_us, q);
  return page;
}

Result<std::size_t> SqliteStore::DoDelete(std::string_view id,
                                          const std::vector<std::string>& versions) {
  if (read_only_) return Status::PermissionDenied("the store is open read-only");
  std::lock_guard<std::mutex> write(write_mutex_);
  ENTENTE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  BeginWrite();
  auto body = [&]() -> Result<std::size_t> {
    std::string sql = "DELETE FROM objects WHERE " + IdIs();
    if (!versions.empty()) {
      sql += " AND version_ns IN (";
      for (std::size_t i = 0; i < versions.size(); ++i) {
        ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(versions[i], "version"));
        sql += (i ? "," : "") + std::to_string(t.nanos);
      }
      sql += ")";
    }
    sql += " RETURNING date_added, json, json_at, json_len";
    Stmt del;
    ENTENTE_RETURN_IF_ERROR(del.Prepare(db_, sql.c_str()));
    BindId(del, id);
    struct Gone {
      std::int64_t added;
      std::string text;
    };
    std::vector<Gone> gone;
    for (;;) {
      ENTENTE_ASSIGN_OR_RETURN(bool row, del.Step());
      if (!row) break;
      Gone g{del.Int(0), std::string(del.Text(1))};
      if (!del.IsNull(2)) {
        ENTENTE_RETURN_IF_ERROR(texts_->Read(del.Int(2), del.Int(3), &g.text).WithContext(id));
      }
      gone.push_back(std::move(g));
    }
    if (gone.empty()) return Status::NotFound(std::string(id));
    for (const Gone& g : gone) {
      // The version's labels and markings come from its text; a text that no longer parses
      // leaves its keys behind, which filters never return (they join objects).
      if (auto object = json::Value::Parse(g.text); object.ok()) {
        for (auto [kind, member] : {std::pair{TermKind::kLabel, "labels"},
                                    std::pair{TermKind::kMarking, "object_marking_refs"}}) {
          const json::Value* terms = object->find(member);
          if (terms == nullptr || !terms->is_array()) continue;
          for (const json::Value& term : terms->array()) {
            if (!term.is_string()) continue;
            ENTENTE_RETURN_IF_ERROR(posting_writer_->Remove(kind, term.str(), g.added));
          }
        }
        const json::Value* creator = object->find("created_by_ref");
        if (creator != nullptr && creator->is_string()) {
          ENTENTE_RETURN_IF_ERROR(
              posting_writer_->Remove(TermKind::kCreator, creator->str(), g.added));
        }
      }
    }
    // Contentless FTS rows cannot be deleted by rowid without their text; searches join
    // objects, so orphaned search rows never surface. The greatest remaining version (if any)
    // becomes the latest, or already is.
    Stmt fix;
    ENTENTE_RETURN_IF_ERROR(fix.Prepare(
        db_, ("UPDATE objects SET superseded = NULL WHERE date_added = (SELECT date_added FROM "
              "objects WHERE " +
              IdIs() + " ORDER BY version_ns DESC LIMIT 1) AND superseded IS NOT NULL")
                 .c_str()));
    BindId(fix, id);
    ENTENTE_RETURN_IF_ERROR(fix.Step().status());
    return gone.size();
  };
  auto result = body();
  if (!result.ok()) {
    (void)Exec("ROLLBACK");
    EndWrite();
    return result;
  }
  Status committed = Exec("COMMIT");
  EndWrite();
  ENTENTE_RETURN_IF_ERROR(committed);
  return result;
}

Result<Counts> SqliteStore::DoCount() {
  ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
  Counts c;
  Stmt s;
  ENTENTE_RETURN_IF_ERROR(
      s.Prepare(reader->db, latest_column_ ? "SELECT type, COUNT(*) FROM objects WHERE "
                                             "superseded IS NULL GROUP BY type ORDER BY type"
                                           : "SELECT type, COUNT(*) FROM latest GROUP BY type "
                                             "ORDER BY type"));
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    c.latest_by_type[std::string(s.Text(0))] = static_cast<std::uint64_t>(s.Int(1));
    c.objects += static_cast<std::uint64_t>(s.Int(1));
  }
  Stmt v;
  ENTENTE_RETURN_IF_ERROR(v.Prepare(reader->db, "SELECT COUNT(*) FROM objects"));
  ENTENTE_ASSIGN_OR_RETURN(bool row, v.Step());
  if (row) c.versions = static_cast<std::uint64_t>(v.Int(0));
  return c;
}

Status SqliteStore::DoCheckIntegrity() {
  ENTENTE_ASSIGN_OR_RETURN(ReaderLease reader, LeaseReader());
  Stmt s;
  ENTENTE_RETURN_IF_ERROR(s.Prepare(reader->db, "PRAGMA integrity_check"));
  ENTENTE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.Text(0) != "ok") {
    return Status::Corruption("SQLite integrity_check: " +
                              std::string(row ? s.Text(0) : "no answer"));
  }
  struct Check {
    std::string sql;
    const char* what;
  };
  std::vector<Check> checks;
  if (latest_column_) {
    checks = {
        {"SELECT COUNT(*) FROM objects o WHERE o.superseded IS NOT NULL AND o.version_ns = "
         "(SELECT MAX(version_ns) FROM objects f WHERE " +
             SameIdAs("f", "o") + ")",
         "ids whose greatest version is marked superseded"},
        {"SELECT COUNT(*) FROM objects o WHERE o.superseded IS NULL AND o.version_ns < (SELECT "
         "MAX(version_ns) FROM objects f WHERE " +
             SameIdAs("f", "o") + ")",
         "versions marked latest that are not their id's greatest"},
    };
  } else {
    checks = {
        {"SELECT COUNT(*) FROM objects o WHERE o.version_ns = (SELECT MAX(version_ns) FROM "
         "objects f WHERE " +
             SameIdAs("f", "o") +
             ") AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.date_added = o.date_added)",
         "ids whose greatest version has no latest row"},
        {"SELECT COUNT(*) FROM latest l WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE "
         "o.date_added = l.date_added AND o.type = l.type)",
         "latest rows pointing at no version"},
        {"SELECT COUNT(*) FROM latest l JOIN objects o ON o.date_added = l.date_added WHERE "
         "o.version_ns < (SELECT MAX(version_ns) FROM objects f WHERE " +
             SameIdAs("f", "o") + ")",
         "latest rows that are not the greatest version"},
    };
  }
  if (id_key_) {
    // First, as the checks above rely on them. No unique index keeps (id, version) unique
    // since schema 7: the write path does.
    checks.insert(checks.begin(),
                  {{"SELECT COUNT(*) FROM objects WHERE id_key IS NOT entente_id_key((SELECT "
                    "value FROM meta WHERE key = 'id_key_secret'), id)",
                    "versions whose id_key is not their id's"},
                   {"SELECT COUNT(*) FROM (SELECT 1 FROM objects GROUP BY id_key, id, "
                    "version_ns HAVING COUNT(*) > 1)",
                    "versions stored more than once"}});
  }
  for (const Check& c : checks) {
    Stmt q;
    ENTENTE_RETURN_IF_ERROR(q.Prepare(reader->db, c.sql.c_str()));
    ENTENTE_ASSIGN_OR_RETURN(bool r, q.Step());
    if (r && q.Int(0) != 0) return Status::Corruption(std::to_string(q.Int(0)) + " " + c.what);
  }
  if (postings_) {
    // Every posting blob decodes, its keys increase, and its row is named by its last key.
    Stmt blobs;
    ENTENTE_RETURN_IF_ERROR(
        blobs.Prepare(reader->db, "SELECT term, last_added, list FROM postings"));
    std::vector<std::int64_t> keys;
    for (;;) {
      ENTENTE_ASSIGN_OR_RETURN(bool r, blobs.Step());
      if (!r) break;
      keys.clear();
      const std::string where = "postings of term " + std::to_string(blobs.Int(0));
      ENTENTE_RETURN_IF_ERROR(DecodePostings(blobs.Blob(2), &keys).WithContext(where));
      if (keys.empty() || keys.back() != blobs.Int(1)) {
        return Status::Corruption(where + ": a blob whose last key is not its row's last_added");
      }
    }
  }
  if (!text_columns_) return Status::Ok();
  // Every text a row refers to lies before the committed end, which the file reaches.
  Stmt end;
  ENTENTE_RETURN_IF_ERROR(end.Prepare(
      reader->db,
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'json_end'), 0)"));
  ENTENTE_ASSIGN_OR_RETURN(bool has_end, end.Step());
  std::int64_t committed_end = has_end ? end.Int(0) : 0;
  ENTENTE_ASSIGN_OR_RETURN(std::int64_t size, texts_->Size());
  if (size < committed_end) {
    return Status::Corruption(texts_->path() + " holds " + std::to_string(size) +
                              " bytes; the store has committed texts up to " +
                              std::to_string(committed_end));
  }
  Stmt beyond;
  ENTENTE_RETURN_IF_ERROR(beyond.Prepare(
      reader->db,
      "SELECT COUNT(*) FROM objects WHERE json_at IS NOT NULL AND (json_at < 0 OR json_len < 0 "
      "OR json_at + json_len > ?1)"));
  beyond.Bind(1, committed_end);
  ENTENTE_ASSIGN_OR_RETURN(bool r, beyond.Step());
  if (r && beyond.Int(0) != 0) {
    return Status::Corruption(std::to_string(beyond.Int(0)) +
                              " versions whose text lies past the committed end of " +
                              texts_->path());
  }
  return Status::Ok();
}

}  // namespace entente::store
