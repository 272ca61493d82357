// PostgreSQL backend of the Store.
//
// Schema (migration steps below; schema_version records each applied step):
//   objects(date_added bigint PRIMARY KEY, id, type, version, version_ns bigint, revoked,
//           created_by_ref, content_hash bigint, labels text[], markings text[],
//           search_text, search tsvector GENERATED from search_text, json)
//           UNIQUE(id, version_ns); GIN indexes on labels, markings and search
//   latest(id PRIMARY KEY, date_added, type, version_ns, first_added)   one row per id
//   clock(last_date_added)   one row; its row lock serialises writers (see pg_store.h)
// Labels and markings are arrays with GIN indexes rather than side tables: one row per
// version keeps COPY a single stream and Delete a single statement.
#include "postgres/pg_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "postgres/text_search.h"
#include "store_internal.h"

namespace entente::store {

// Text parameters for PQexecParams ($1, $2, ... in the order added).
class PgParams {
 public:
  std::string Add(std::string value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  std::string Add(std::int64_t value) { return Add(std::to_string(value)); }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> p;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      p.push_back(values_[i].c_str());
    }
    return p;
  }

 private:
  std::vector<std::string> values_;
};

namespace {

using internal::ContentHash;
using internal::VersionNs;

const internal::MigrationStep kSteps[] = {
    {1, "objects, latest, clock", R"sql(
CREATE TABLE objects(
  date_added bigint PRIMARY KEY,
  id text NOT NULL,
  type text NOT NULL,
  version text NOT NULL,
  version_ns bigint NOT NULL,
  revoked boolean NOT NULL,
  created_by_ref text,
  content_hash bigint NOT NULL,
  labels text[],
  markings text[],
  search_text text,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_text, ''))) STORED,
  json text NOT NULL,
  UNIQUE (id, version_ns));
CREATE INDEX objects_labels ON objects USING gin(labels);
CREATE INDEX objects_markings ON objects USING gin(markings);
CREATE INDEX objects_search ON objects USING gin(search);
CREATE TABLE latest(
  id text PRIMARY KEY,
  date_added bigint NOT NULL,
  type text NOT NULL,
  version_ns bigint NOT NULL,
  first_added bigint NOT NULL);
CREATE INDEX latest_type ON latest(type, date_added);
CREATE INDEX latest_added ON latest(date_added);
CREATE TABLE clock(one boolean PRIMARY KEY DEFAULT true CHECK (one), last_date_added bigint NOT NULL);
INSERT INTO clock(last_date_added) VALUES (0);
)sql"},
    {2, "index created_by_ref for the created_by filter",
     "CREATE INDEX objects_created_by ON objects(created_by_ref) WHERE created_by_ref IS NOT "
     "NULL"},
};
constexpr int kSchemaVersion = 2;

constexpr const char* kColumns = "o.id, o.type, o.version, o.date_added, o.revoked, o.json";

}  // namespace

// ---- libpq helpers -----------------------------------------------------------------------------

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(r_); }

  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  std::string_view Text(int row, int col) const {
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
  }
  bool Null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::int64_t Int(int row, int col) const {
    std::int64_t v = 0;
    std::string_view t = Text(row, col);
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
  }

 private:
  PGresult* r_ = nullptr;
};

namespace {

Status PgError(PGconn* conn, const PGresult* r, std::string_view what) {
  std::string message = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  if (message.empty()) message = "no answer from the server";
  std::string m = "PostgreSQL " + std::string(what) + ": " + message;
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view s = state != nullptr ? state : "";
  if (s.empty() || PQstatus(conn) == CONNECTION_BAD || s.starts_with("08") || s == "57P01" ||
      s == "57P02" || s == "57P03") {
    return Status::Unavailable(m);  // connection lost or server shutting down: retry may work
  }
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "57014") return Status::Unavailable(m);
  if (s.starts_with("53") || s.starts_with("58")) return Status::IoError(m);
  if (s == "XX001" || s == "XX002") return Status::Corruption(m);
  if (s == "42501" || s == "25006") return Status::PermissionDenied(m);
  if (s.starts_with("28")) return Status::Unauthenticated(m);
  if (s == "22P02" || s == "42601" || s == "0A000") return Status::InvalidArgument(m);
  return Status::Internal(m);
}

Result<PgResult> Exec(PGconn* conn, const std::string& sql, const PgParams& params = {}) {
  auto pointers = params.Pointers();
  PgResult r(PQexecParams(conn, sql.c_str(), params.size(), nullptr, pointers.data(), nullptr,
                          nullptr, 0));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn, r.get(), sql.substr(0, 60));
  }
  return r;
}

Status ExecSimple(PGconn* conn, const char* sql) {
  PgResult r(PQexec(conn, sql));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(conn, r.get(), std::string(sql).substr(0, 60));
  }
  return Status::Ok();
}

void IgnoreNotice(void*, const char*) {}

Result<PGconn*> Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (conn == nullptr) return Status::Internal("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL store " + PgStore::Redact(url) + ": " +
                               m);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  if (PQsetClientEncoding(conn, "UTF8") != 0) {
    PQfinish(conn);
    return Status::Unsupported("PostgreSQL store " + PgStore::Redact(url) +
                               ": the server cannot speak UTF-8");
  }
  // A writer waiting for another process's batch gives up after a minute with Unavailable.
  Status s = ExecSimple(conn, "SET lock_timeout = '60s'");
  if (!s.ok()) {
    PQfinish(conn);
    return s;
  }
  return conn;
}

// COPY text format: backslash escapes for the separators; \N is NULL.
void CopyField(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

// A text[] literal ({"a","b"}) of a JSON array of strings; "" when absent or empty.
std::string ArrayLiteral(const json::Node& array) {
  if (!array.is_array()) return {};
  std::string out = "{";
  bool any = false;
  for (auto [k, v] : array) {
    if (!v.is_string()) continue;
    if (any) out += ',';
    any = true;
    out += '"';
    for (char c : v.str()) {
      if (c == '\0') continue;  // PostgreSQL text cannot hold NUL (a label with \u0000)
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return any ? out + "}" : std::string();
}

// The filter key of (id, version_ns).
std::uint64_t FilterKey(std::string_view id, std::int64_t version_ns) {
  std::uint64_t h = static_cast<std::uint64_t>(ContentHash(id)) ^
                    (static_cast<std::uint64_t>(version_ns) * 0x9E3779B97F4A7C15ull);
  h ^= h >> 30;  // splitmix64 finaliser
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

StoredObject RowToObject(const PgResult& r, int row) {
  StoredObject o;
  o.id = r.Text(row, 0);
  o.type = r.Text(row, 1);
  o.version = r.Text(row, 2);
  o.date_added_us = r.Int(row, 3);
  o.revoked = r.Text(row, 4) == "t";
  o.json = r.Text(row, 5);
  return o;
}

}  // namespace

void PgStore::ResultDeleter::operator()(PgResult* r) const { delete r; }

// ---- the store ---------------------------------------------------------------------------------

std::string PgStore::Redact(std::string_view url) {
  // postgresql://user:password@host/... -> postgresql://user:***@host/...
  std::string out(url);
  std::size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  std::size_t at = out.find('@', scheme + 3);
  std::size_t slash = out.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return out;
  std::size_t colon = out.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  // A password given as a parameter is cut as well.
  std::size_t p = out.find("password=");
  if (p != std::string::npos) {
    std::size_t end = out.find('&', p);
    out.replace(p + 9, end == std::string::npos ? std::string::npos : end - p - 9, "***");
  }
  return out;
}

PgStore::~PgStore() {
  if (read_ != nullptr) PQfinish(read_);
  if (write_ != nullptr) PQfinish(write_);
}

Result<std::unique_ptr<Store>> PgStore::Open(const std::string& url, StoreOptions options) {
  auto store = std::unique_ptr<PgStore>(new PgStore());
  store->url_ = url;
  store->read_only_ = options.read_only;
  ENTENTE_ASSIGN_OR_RETURN(store->read_, Connect(url));
  if (options.read_only) {
    ENTENTE_RETURN_IF_ERROR(store->CheckVersion());
  } else {
    ENTENTE_ASSIGN_OR_RETURN(store->write_, Connect(url));
    ENTENTE_RETURN_IF_ERROR(store->Migrate());
  }
  return std::unique_ptr<Store>(std::move(store));
}

Status PgStore::Reconnect(pg_conn*& conn) {
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) return Status::Ok();
  if (conn != nullptr) PQfinish(conn);
  conn = nullptr;
  if (&conn == &write_) write_prepared_ = false;  // prepared statements die with a session
  ENTENTE_ASSIGN_OR_RETURN(conn, Connect(url_));
  return Status::Ok();
}

Result<PgStore::ReadResult> PgStore::ReadExec(const std::string& sql, const PgParams& p) {
  // Reads are idempotent: when the server dropped the connection (restart, failover), the
  // read is retried once on a new one.
  ENTENTE_RETURN_IF_ERROR(Reconnect(read_));
  auto r = Exec(read_, sql, p);
  if (!r.ok() && PQstatus(read_) == CONNECTION_BAD) {
    ENTENTE_RETURN_IF_ERROR(Reconnect(read_));
    r = Exec(read_, sql, p);
  }
  if (!r.ok()) return r.status();
  return ReadResult(new PgResult(std::move(*r)));
}

void PgStore::KeyFilter::Reset(std::size_t n) {
  capacity = std::max<std::size_t>(n, 1u << 16);
  bits.assign((capacity * 10 + 63) / 64, 0);  // 10 bits per key: under 1% false positives
  entries = 0;
}

void PgStore::KeyFilter::Add(std::uint64_t key) {
  std::uint64_t n = bits.size() * 64, h2 = (key >> 32) | 1;
  for (int i = 0; i < 7; ++i) {
    std::uint64_t b = (key + static_cast<std::uint64_t>(i) * h2) % n;
    bits[b / 64] |= 1ull << (b % 64);
  }
  ++entries;
}

bool PgStore::KeyFilter::MayContain(std::uint64_t key) const {
  std::uint64_t n = bits.size() * 64, h2 = (key >> 32) | 1;
  for (int i = 0; i < 7; ++i) {
    std::uint64_t b = (key + static_cast<std::uint64_t>(i) * h2) % n;
    if ((bits[b / 64] & (1ull << (b % 64))) == 0) return false;
  }
  return true;
}

// Called under the writers' lock with the clock value read under it: every stored row has
// date_added <= clock, and no other writer can add one until the lock is released.
Status PgStore::RefreshFilter(std::int64_t clock) {
  if (filter_.disabled) return Status::Ok();
  if (filter_.upto < 0 || filter_.entries > filter_.capacity) {
    ENTENTE_ASSIGN_OR_RETURN(PgResult n, Exec(write_, "SELECT COUNT(*) FROM objects"));
    auto rows = static_cast<std::size_t>(n.Int(0, 0));
    if (rows > kFilterMaxRows) {
      filter_.disabled = true;
      filter_.bits.clear();
      return Status::Ok();
    }
    filter_.Reset(std::max<std::size_t>(rows * 2, 1u << 20));
    filter_.upto = INT64_MIN;
  }
  // Keyset pages of the rows added since the last refresh (by any process).
  for (;;) {
    PgParams p;
    std::string sql = "SELECT id, version_ns, date_added FROM objects WHERE date_added > " +
                      p.Add(filter_.upto) + " AND date_added <= " + p.Add(clock) +
                      " ORDER BY date_added LIMIT 100000";
    ENTENTE_ASSIGN_OR_RETURN(PgResult r, Exec(write_, sql, p));
    for (int i = 0; i < r.rows(); ++i) filter_.Add(FilterKey(r.Text(i, 0), r.Int(i, 1)));
    if (r.rows() < 100000) break;
    filter_.upto = r.Int(r.rows() - 1, 2);
  }
  filter_.upto = clock;
  return Status::Ok();
}

Status PgStore::CheckVersion() {
  // Read-only: no migration. Every step so far only adds, so an older schema reads fine; a
  // newer one may not.
  ENTENTE_ASSIGN_OR_RETURN(PgResult t,
                           Exec(read_, "SELECT to_regclass('schema_version') IS NOT NULL"));
  if (t.Text(0, 0) != "t") {
    return Status::NotFound("no store at " + Redact(url_) + " (open it read-write to create it)");
  }
  ENTENTE_ASSIGN_OR_RETURN(PgResult v,
                           Exec(read_, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  int found = static_cast<int>(v.Int(0, 0));
  if (found > kSchemaVersion) return internal::NewerSchema("PostgreSQL", found, kSchemaVersion);
  return Status::Ok();
}

Status PgStore::Migrate() {
  PGconn* c = write_;
  ENTENTE_RETURN_IF_ERROR(ExecSimple(c, "BEGIN"));
  auto body = [&]() -> Status {
    ENTENTE_ASSIGN_OR_RETURN(PgResult schema, Exec(c, "SELECT current_schema()"));
    if (schema.rows() != 1 || schema.Null(0, 0)) {
      return Status::InvalidArgument("PostgreSQL store " + Redact(url_) +
                                     ": the search_path names no existing schema to hold it");
    }
    // Concurrent opens of one store migrate one at a time.
    ENTENTE_RETURN_IF_ERROR(
        Exec(c, "SELECT pg_advisory_xact_lock(1162761285, hashtext(current_schema()))").status());
    ENTENTE_RETURN_IF_ERROR(ExecSimple(c,
                                       "CREATE TABLE IF NOT EXISTS schema_version("
                                       "version integer PRIMARY KEY, description text NOT NULL, "
                                       "applied_at timestamptz NOT NULL DEFAULT now())"));
    ENTENTE_ASSIGN_OR_RETURN(PgResult v,
                             Exec(c, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    int found = static_cast<int>(v.Int(0, 0));
    if (found > kSchemaVersion) return internal::NewerSchema("PostgreSQL", found, kSchemaVersion);
    for (const auto& step : kSteps) {
      if (step.version <= found) continue;
      ENTENTE_RETURN_IF_ERROR(
          ExecSimple(c, step.sql)
              .WithContext("migration to version " + std::to_string(step.version)));
      PgParams p;
      std::string sql = "INSERT INTO schema_version(version, description) VALUES(" +
                        p.Add(std::int64_t{step.version}) + ", " + p.Add(step.description) + ")";
      ENTENTE_RETURN_IF_ERROR(Exec(c, sql, p).status());
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) {
    (void)ExecSimple(c, "ROLLBACK");
    return s;
  }
  return ExecSimple(c, "COMMIT");
}

// ---- writing -----------------------------------------------------------------------------------

class PgWriteBatch final : public WriteBatch {
 public:
  static constexpr const char* kFindVersion = "entente_find_version";

  explicit PgWriteBatch(PgStore& store) : store_(store), lock_(store.write_mutex_) {}
  ~PgWriteBatch() override {
    if (open_) Rollback();
  }

  Status Begin() {
    if (store_.read_only_) return Status::PermissionDenied("the store is open read-only");
    ENTENTE_RETURN_IF_ERROR(store_.Reconnect(store_.write_));
    conn_ = store_.write_;
    ENTENTE_RETURN_IF_ERROR(ExecSimple(conn_, "BEGIN"));
    open_ = true;
    // The writers' lock: held until COMMIT or ROLLBACK (see pg_store.h).
    auto clock = Exec(conn_, "SELECT last_date_added FROM clock FOR UPDATE");
    if (!clock.ok() || clock->rows() != 1) {
      Rollback();
      return clock.ok() ? Status::Corruption("PostgreSQL store: the clock row is missing")
                        : clock.status();
    }
    last_ = clock->Int(0, 0);
    flushed_ = last_;
    if (Status f = store_.RefreshFilter(last_); !f.ok()) {
      Rollback();
      return f;
    }
    if (!store_.write_prepared_) {
      PgResult prepared(PQprepare(
          conn_, kFindVersion,
          "SELECT content_hash, json FROM objects WHERE id = $1 AND version_ns = $2", 2, nullptr));
      if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
        Status s = PgError(conn_, prepared.get(), "prepare");
        Rollback();
        return s;
      }
      store_.write_prepared_ = true;
    }
    return Status::Ok();
  }

  Result<PutOutcome> Put(const stix::ObjectHeader& h, std::string_view json) override {
    if (!open_) return Status::Internal("Put on a finished batch");
    std::string_view version = VersionOf(h);
    std::int64_t version_ns = VersionNs(version);
    std::int64_t hash = ContentHash(json);

    // Already stored (this batch's unsent rows first, then the table)?
    std::string key = std::string(h.id) + '\0' + std::to_string(version_ns);
    bool exists = false;
    bool same = false;
    std::uint64_t filter_key = FilterKey(h.id, version_ns);
    bool known = store_.filter_.disabled || store_.filter_.MayContain(filter_key);
    if (auto it = pending_.find(key); it != pending_.end()) {
      exists = true;
      same = Same(it->second.first, it->second.second, hash, json);
    } else if (known) {
      std::string ns = std::to_string(version_ns);
      std::string id(h.id);
      const char* values[2] = {id.c_str(), ns.c_str()};
      PgResult r(PQexecPrepared(conn_, kFindVersion, 2, values, nullptr, nullptr, 0));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) return PgError(conn_, r.get(), "lookup");
      if (r.rows() > 0) {
        exists = true;
        same = Same(r.Int(0, 0), std::string(r.Text(0, 1)), hash, json);
      }
    }
    if (exists) {
      if (same) return PutOutcome::kDuplicate;
      return Status::Conflict(std::string(h.id) + " version " +
                              (version.empty() ? std::string("(single)") : std::string(version)) +
                              " is already stored with different content");
    }

    last_ = std::max(Now().micros(), last_ + 1);
    std::string& b = buffer_;
    b += std::to_string(last_);
    b += '\t';
    CopyField(b, h.id);
    b += '\t';
    CopyField(b, h.type);
    b += '\t';
    CopyField(b, version);
    b += '\t';
    b += std::to_string(version_ns);
    b += h.revoked ? "\tt\t" : "\tf\t";
    if (h.created_by_ref.empty()) {
      b += "\\N";
    } else {
      CopyField(b, h.created_by_ref);
    }
    b += '\t';
    b += std::to_string(hash);
    for (const json::Node* array : {&h.labels, &h.object_marking_refs}) {
      b += '\t';
      std::string literal = ArrayLiteral(*array);
      if (literal.empty()) {
        b += "\\N";
      } else {
        CopyField(b, literal);
      }
    }
    b += '\t';
    std::string search = pg::SearchText(h.name, h.description);
    if (search.empty()) {
      b += "\\N";
    } else {
      CopyField(b, search);
    }
    b += '\t';
    CopyField(b, json);
    b += '\n';
    pending_.emplace(std::move(key), std::make_pair(hash, std::string(json)));
    if (!store_.filter_.disabled) store_.filter_.Add(filter_key);
    ++size_;
    if (pending_.size() >= PgStore::kCopyRows || buffer_.size() >= PgStore::kCopyBytes) {
      Status s = Flush();
      if (!s.ok()) return s;
    }
    return PutOutcome::kAdded;
  }

  Status Commit() override {
    if (!open_) return Status::Internal("Commit on a finished batch");
    Status s = Flush();
    if (s.ok()) {
      PgParams p;
      s = Exec(conn_, "UPDATE clock SET last_date_added = " + p.Add(last_), p).status();
    }
    if (s.ok()) s = ExecSimple(conn_, "COMMIT");
    if (!s.ok()) {
      Rollback();
      return s;
    }
    open_ = false;
    if (store_.filter_.upto >= 0) store_.filter_.upto = last_;
    RefreshStatistics();
    lock_.unlock();
    return Status::Ok();
  }

  void Rollback() override {
    if (!open_) return;
    if (PQstatus(conn_) == CONNECTION_OK) (void)ExecSimple(conn_, "ROLLBACK");
    open_ = false;
    buffer_.clear();
    pending_.clear();
    lock_.unlock();
  }

  std::size_t size() const override { return size_; }

 private:
  static bool Same(std::int64_t stored_hash, const std::string& stored, std::int64_t hash,
                   std::string_view json) {
    if (stored_hash == hash && stored == json) return true;
    auto a = json::Value::Parse(stored);
    auto b = json::Value::Parse(json);
    return a.ok() && b.ok() && *a == *b;
  }

  // After a batch that grew the tables by a fifth or more, refresh the planner's statistics
  // now rather than at autovacuum's next pass: a fresh store queried right after its first
  // ingest otherwise gets plans for empty tables (seconds per page instead of a millisecond).
  // Best effort: a failure here changes no data.
  void RefreshStatistics() {
    if (size_ < 1000) return;
    auto tuples = Exec(conn_, "SELECT reltuples FROM pg_class WHERE oid = 'objects'::regclass");
    if (!tuples.ok() || tuples->rows() != 1) return;
    double known = std::atof(std::string(tuples->Text(0, 0)).c_str());
    if (known >= 0 && static_cast<double>(size_) * 5 < known) return;
    (void)ExecSimple(conn_, "ANALYZE objects, latest");
  }

  // Sends the buffered rows by COPY, then brings `latest` up to date for them.
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    PgResult start(
        PQexec(conn_,
               "COPY objects(date_added, id, type, version, version_ns, revoked, created_by_ref, "
               "content_hash, labels, markings, search_text, json) FROM STDIN"));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) return PgError(conn_, start.get(), "COPY");
    if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1 ||
        PQputCopyEnd(conn_, nullptr) != 1) {
      return PgError(conn_, nullptr, "COPY data");
    }
    Status copied = Status::Ok();
    while (PGresult* r = PQgetResult(conn_)) {
      PgResult end(r);
      if (PQresultStatus(r) != PGRES_COMMAND_OK && copied.ok()) {
        copied = PgError(conn_, r, "COPY objects");
      }
    }
    ENTENTE_RETURN_IF_ERROR(copied);
    PgParams p;
    std::string sql =
        "INSERT INTO latest(id, date_added, type, version_ns, first_added) "
        "SELECT id, date_added, type, version_ns, first_added FROM ("
        "SELECT DISTINCT ON (id) id, date_added, type, version_ns, "
        "MIN(date_added) OVER (PARTITION BY id) AS first_added FROM objects WHERE date_added > " +
        p.Add(flushed_) +
        " ORDER BY id, version_ns DESC) s "
        "ON CONFLICT (id) DO UPDATE SET date_added = excluded.date_added, "
        "version_ns = excluded.version_ns WHERE excluded.version_ns > latest.version_ns";
    ENTENTE_RETURN_IF_ERROR(Exec(conn_, sql, p).status());
    flushed_ = last_;
    buffer_.clear();
    pending_.clear();
    return Status::Ok();
  }

  PgStore& store_;
  std::unique_lock<std::mutex> lock_;
  PGconn* conn_ = nullptr;
  bool open_ = false;
  std::size_t size_ = 0;
  std::int64_t last_ = 0;     // the last date_added handed out
  std::int64_t flushed_ = 0;  // rows up to this date_added are on the server
  std::string buffer_;        // COPY text of the rows not yet sent
  // (id, version_ns) of the rows not yet sent -> (content hash, text), for duplicates.
  std::unordered_map<std::string, std::pair<std::int64_t, std::string>> pending_;
};

Result<std::unique_ptr<WriteBatch>> PgStore::DoBeginBatch() {
  auto batch = std::make_unique<PgWriteBatch>(*this);
  ENTENTE_RETURN_IF_ERROR(batch->Begin());
  return std::unique_ptr<WriteBatch>(std::move(batch));
}

// ---- reading -----------------------------------------------------------------------------------

Result<StoredObject> PgStore::DoGet(std::string_view id, Versions which, std::string_view version) {
  std::lock_guard<std::mutex> lock(read_mutex_);
  PgParams p;
  std::string sql = "SELECT " + std::string(kColumns);
  if (!version.empty()) {
    sql += " FROM objects o WHERE o.id = " + p.Add(std::string(id)) +
           " AND o.version_ns = " + p.Add(VersionNs(version));
  } else if (which == Versions::kFirst) {
    sql +=
        " FROM objects o WHERE o.id = " + p.Add(std::string(id)) + " ORDER BY o.version_ns LIMIT 1";
  } else {
    sql += " FROM latest l JOIN objects o ON o.date_added = l.date_added WHERE l.id = " +
           p.Add(std::string(id));
  }
  ENTENTE_ASSIGN_OR_RETURN(ReadResult rr, ReadExec(sql, p));
  const PgResult& r = *rr;
  if (r.rows() == 0) {
    return Status::NotFound(std::string(id) +
                            (version.empty() ? "" : " version " + std::string(version)));
  }
  return RowToObject(r, 0);
}

Result<std::vector<StoredObject>> PgStore::DoGetVersions(std::string_view id) {
  std::lock_guard<std::mutex> lock(read_mutex_);
  PgParams p;
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM objects o WHERE o.id = " + p.Add(std::string(id)) +
                    " ORDER BY o.version_ns";
  ENTENTE_ASSIGN_OR_RETURN(ReadResult rr, ReadExec(sql, p));
  const PgResult& r = *rr;
  if (r.rows() == 0) return Status::NotFound(std::string(id));
  std::vector<StoredObject> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(RowToObject(r, i));
  return out;
}

Result<Page> PgStore::DoFind(const Query& q) {
  ENTENTE_ASSIGN_OR_RETURN(std::int64_t after, internal::AddedAfter(q));
  PgParams p;
  std::string sql = "SELECT " + std::string(kColumns) + " FROM ";
  bool exact = !q.exact_versions.empty();
  if (q.versions == Versions::kLast && !exact) {
    sql += "latest l JOIN objects o ON o.date_added = l.date_added";
  } else {
    sql += "objects o";
  }
  std::vector<std::string> where;
  where.push_back("o.date_added > " + p.Add(after));
  auto in_list = [&](const std::string& column, const std::vector<std::string>& values) {
    std::string clause = column + " IN (";
    for (std::size_t i = 0; i < values.size(); ++i) clause += (i ? "," : "") + p.Add(values[i]);
    return clause + ")";
  };
  if (!q.ids.empty()) where.push_back(in_list("o.id", q.ids));
  if (!q.types.empty()) where.push_back(in_list("o.type", q.types));
  if (q.versions == Versions::kFirst && !exact) {
    where.push_back("o.version_ns = (SELECT MIN(version_ns) FROM objects f WHERE f.id = o.id)");
  }
  if (exact) {
    std::string clause = "o.version_ns IN (";
    for (std::size_t i = 0; i < q.exact_versions.size(); ++i) {
      ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(q.exact_versions[i], "version"));
      clause += (i ? "," : "") + p.Add(t.nanos);
    }
    where.push_back(clause + ")");
  }
  auto timestamp = [&](const std::optional<std::string>& v, const char* op) -> Status {
    if (!v) return Status::Ok();
    ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(*v, "modified filter"));
    where.push_back("o.version_ns " + std::string(op) + " " + p.Add(t.nanos));
    return Status::Ok();
  };
  ENTENTE_RETURN_IF_ERROR(timestamp(q.modified_from, ">="));
  ENTENTE_RETURN_IF_ERROR(timestamp(q.modified_to, "<="));
  if (!q.label.empty()) where.push_back("o.labels @> ARRAY[" + p.Add(q.label) + "]");
  if (!q.marking.empty()) where.push_back("o.markings @> ARRAY[" + p.Add(q.marking) + "]");
  if (!q.created_by.empty()) where.push_back("o.created_by_ref = " + p.Add(q.created_by));
  if (!q.text.empty()) {
    auto tsquery = pg::Fts5ToTsquery(q.text);
    if (!tsquery.ok()) {
      return Status(tsquery.status().code(),
                    "full-text query '" + q.text + "': " + tsquery.status().message());
    }
    where.push_back("o.search @@ to_tsquery('simple', " + p.Add(*tsquery) + ")");
  }
  if (!q.include_revoked) where.push_back("NOT o.revoked");
  sql += " WHERE ";
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : "") + where[i];
  std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 10000);
  sql += " ORDER BY o.date_added LIMIT " + std::to_string(limit + 1);

  std::lock_guard<std::mutex> lock(read_mutex_);
  ENTENTE_ASSIGN_OR_RETURN(ReadResult rr, ReadExec(sql, p));
  const PgResult& r = *rr;
  Page page;
  std::size_t rows = static_cast<std::size_t>(r.rows());
  page.more = rows > limit;
  for (std::size_t i = 0; i < std::min(rows, limit); ++i) {
    page.objects.push_back(RowToObject(r, static_cast<int>(i)));
  }
  if (page.more) page.next = internal::MakeCursor(page.objects.back().date_added_us, q);
  return page;
}

Result<std::size_t> PgStore::DoDelete(std::string_view id,
                                      const std::vector<std::string>& versions) {
  if (read_only_) return Status::PermissionDenied("the store is open read-only");
  std::lock_guard<std::mutex> write(write_mutex_);
  ENTENTE_RETURN_IF_ERROR(Reconnect(write_));
  PGconn* c = write_;
  ENTENTE_RETURN_IF_ERROR(ExecSimple(c, "BEGIN"));
  auto body = [&]() -> Result<std::size_t> {
    // Deletes take the writers' lock too, so `latest` is recomputed against a stable set.
    ENTENTE_RETURN_IF_ERROR(Exec(c, "SELECT 1 FROM clock FOR UPDATE").status());
    PgParams p;
    std::string sql = "DELETE FROM objects WHERE id = " + p.Add(std::string(id));
    if (!versions.empty()) {
      sql += " AND version_ns IN (";
      for (std::size_t i = 0; i < versions.size(); ++i) {
        ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(versions[i], "version"));
        sql += (i ? "," : "") + p.Add(t.nanos);
      }
      sql += ")";
    }
    ENTENTE_ASSIGN_OR_RETURN(PgResult gone, Exec(c, sql + " RETURNING date_added", p));
    if (gone.rows() == 0) return Status::NotFound(std::string(id));
    PgParams q;
    std::string idp = q.Add(std::string(id));
    ENTENTE_RETURN_IF_ERROR(
        Exec(c,
             "WITH best AS (SELECT date_added, version_ns, "
             "(SELECT MIN(date_added) FROM objects WHERE id = " +
                 idp + ") AS first_added FROM objects WHERE id = " + idp +
                 " ORDER BY version_ns DESC LIMIT 1), "
                 "fixed AS (UPDATE latest SET date_added = best.date_added, version_ns = "
                 "best.version_ns, first_added = best.first_added FROM best WHERE latest.id = " +
                 idp +
                 " RETURNING 1) "
                 "DELETE FROM latest WHERE id = " +
                 idp + " AND NOT EXISTS (SELECT 1 FROM best)",
             q)
            .status());
    return static_cast<std::size_t>(gone.rows());
  };
  auto result = body();
  if (!result.ok()) {
    (void)ExecSimple(c, "ROLLBACK");
    return result;
  }
  ENTENTE_RETURN_IF_ERROR(ExecSimple(c, "COMMIT"));
  return result;
}

Result<Counts> PgStore::DoCount() {
  std::lock_guard<std::mutex> lock(read_mutex_);
  // One statement: both figures come from the same snapshot.
  PgParams none;
  ENTENTE_ASSIGN_OR_RETURN(ReadResult rr,
                           ReadExec("SELECT type, COUNT(*), (SELECT COUNT(*) FROM objects) FROM "
                                    "latest GROUP BY type ORDER BY type",
                                    none));
  const PgResult& r = *rr;
  Counts c;
  for (int i = 0; i < r.rows(); ++i) {
    auto n = static_cast<std::uint64_t>(r.Int(i, 1));
    c.latest_by_type[std::string(r.Text(i, 0))] = n;
    c.objects += n;
    c.versions = static_cast<std::uint64_t>(r.Int(i, 2));
  }
  if (r.rows() == 0) {
    ENTENTE_ASSIGN_OR_RETURN(PgResult v, Exec(read_, "SELECT COUNT(*) FROM objects"));
    c.versions = static_cast<std::uint64_t>(v.Int(0, 0));
  }
  return c;
}

Status PgStore::DoCheckIntegrity() {
  std::lock_guard<std::mutex> lock(read_mutex_);
  ENTENTE_RETURN_IF_ERROR(Reconnect(read_));
  // PostgreSQL checks its pages itself (checksums when the cluster has them; amcheck is an
  // optional extension); these are our invariants, in one snapshot.
  ENTENTE_RETURN_IF_ERROR(ExecSimple(read_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  struct Check {
    const char* sql;
    const char* what;
  };
  const Check checks[] = {
      {"SELECT COUNT(*) FROM (SELECT DISTINCT id FROM objects) d WHERE NOT EXISTS "
       "(SELECT 1 FROM latest l WHERE l.id = d.id)",
       "ids without a latest row"},
      {"SELECT COUNT(*) FROM latest l WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE "
       "o.date_added = l.date_added AND o.id = l.id)",
       "latest rows pointing at no version"},
      {"SELECT COUNT(*) FROM latest l WHERE l.version_ns < (SELECT MAX(version_ns) FROM objects o "
       "WHERE o.id = l.id)",
       "latest rows that are not the greatest version"},
      {"SELECT COUNT(*) FROM clock WHERE last_date_added < (SELECT COALESCE(MAX(date_added), 0) "
       "FROM objects)",
       "clock rows behind the greatest date_added"},
      {"SELECT 1 - COUNT(*) FROM clock", "clock rows missing"},
  };
  Status s = Status::Ok();
  for (const Check& c : checks) {
    auto r = Exec(read_, c.sql);
    if (!r.ok()) {
      s = r.status();
      break;
    }
    if (r->Int(0, 0) != 0) {
      s = Status::Corruption("PostgreSQL store: " + std::to_string(r->Int(0, 0)) + " " + c.what);
      break;
    }
  }
  (void)ExecSimple(read_, "COMMIT");
  return s;
}

}  // namespace entente::store
