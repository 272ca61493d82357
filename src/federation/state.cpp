#include "entente/federation/state.h"

#include <cstring>

#include <sqlite3.h>
#include <sys/stat.h>

#include "entente/base/time.h"

namespace entente::federation {
namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  }
  std::int64_t Int(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

Status DbError(sqlite3* db, std::string_view what) {
  std::string msg = "federation.db: " + std::string(what) + ": " + sqlite3_errmsg(db);
  int code = sqlite3_errcode(db);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Status::Unavailable(msg);
  return Status::IoError(msg);
}

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS peers(node_id TEXT PRIMARY KEY, token TEXT NOT NULL, ca_pem TEXT NOT NULL,
  added TEXT NOT NULL, last_sync TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',
  last_error_at TEXT NOT NULL DEFAULT '', pages INTEGER NOT NULL DEFAULT 0,
  objects INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
  quota INTEGER NOT NULL DEFAULT 0, endpoint TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS cursors(peer TEXT NOT NULL, feed TEXT NOT NULL, added_after INTEGER NOT NULL,
  PRIMARY KEY(peer, feed)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS origins(id TEXT NOT NULL, version TEXT NOT NULL, from_node TEXT NOT NULL,
  origin TEXT NOT NULL, PRIMARY KEY(id, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads(peer TEXT PRIMARY KEY, tree_size INTEGER NOT NULL, root TEXT NOT NULL,
  sth TEXT NOT NULL);
)";

}  // namespace

Result<std::unique_ptr<StateDb>> StateDb::Open(const std::string& path) {
  std::unique_ptr<StateDb> db(new StateDb());
  mode_t old = umask(077);
  int rc =
      sqlite3_open_v2(path.c_str(), &db->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  umask(old);
  if (rc != SQLITE_OK) {
    return Status::IoError("cannot open " + path + ": " +
                           (db->db_ ? sqlite3_errmsg(db->db_) : "out of memory"));
  }
  chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(db->db_, 10000);
  ENTENTE_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  ENTENTE_RETURN_IF_ERROR(db->Exec(kSchema));
  // State files made before peer quotas and endpoint overrides: add the columns (existing
  // peers: 0 bytes counted, the node's default quota, the trust list's endpoint).
  for (const char* column : {"bytes INTEGER NOT NULL DEFAULT 0", "quota INTEGER NOT NULL DEFAULT 0",
                             "endpoint TEXT NOT NULL DEFAULT ''"}) {
    std::string name(column, std::strchr(column, ' '));
    Stmt has(db->db_, "SELECT 1 FROM pragma_table_info('peers') WHERE name=?");
    if (!has.ok()) return DbError(db->db_, "peers");
    has.Bind(1, name);
    if (has.Step() == SQLITE_DONE) {
      ENTENTE_RETURN_IF_ERROR(
          db->Exec(("ALTER TABLE peers ADD COLUMN " + std::string(column)).c_str()));
    }
  }
  return db;
}

StateDb::~StateDb() { sqlite3_close(db_); }

Status StateDb::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    return DbError(db_, msg);
  }
  return Status::Ok();
}

Result<std::string> StateDb::Setting(std::string_view key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT value FROM settings WHERE key=?");
  if (!s.ok()) return DbError(db_, "settings");
  s.Bind(1, key);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return s.Text(0);
  if (rc == SQLITE_DONE) return std::string();
  return DbError(db_, "settings");
}

Status StateDb::SetSetting(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO settings(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
         "value=excluded.value");
  if (!s.ok()) return DbError(db_, "settings");
  s.Bind(1, key).Bind(2, value);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "settings");
  return Status::Ok();
}

Status StateDb::PutPeer(const PeerRecord& p) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO peers(node_id,token,ca_pem,added,quota,endpoint) VALUES(?,?,?,?,?,?) ON "
         "CONFLICT(node_id) DO UPDATE SET token=excluded.token, ca_pem=excluded.ca_pem, "
         "quota=excluded.quota, endpoint=excluded.endpoint");
  if (!s.ok()) return DbError(db_, "peers");
  s.Bind(1, p.node_id).Bind(2, p.token).Bind(3, p.ca_pem).Bind(4, FormatTimestamp(Now(), 3));
  s.Bind(5, static_cast<std::int64_t>(p.quota)).Bind(6, p.endpoint);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "peers");
  return Status::Ok();
}

Status StateDb::RemovePeer(std::string_view node_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "DELETE FROM peers WHERE node_id=?");
  s.Bind(1, node_id);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "peers");
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("no peer '" + std::string(node_id) + "'");
  }
  Stmt c(db_, "DELETE FROM cursors WHERE peer=?");
  c.Bind(1, node_id);
  c.Step();
  Stmt h(db_, "DELETE FROM heads WHERE peer=?");
  h.Bind(1, node_id);
  h.Step();
  return Status::Ok();
}

namespace {
constexpr const char* kPeerColumns =
    "SELECT node_id,token,ca_pem,added,last_sync,last_error,last_error_at,pages,objects,refused,"
    "rejected,bytes,quota,endpoint FROM peers";
PeerRecord ReadPeer(Stmt& s) {
  PeerRecord p;
  p.node_id = s.Text(0);
  p.token = s.Text(1);
  p.ca_pem = s.Text(2);
  p.added = s.Text(3);
  p.last_sync = s.Text(4);
  p.last_error = s.Text(5);
  p.last_error_at = s.Text(6);
  p.pages = static_cast<std::uint64_t>(s.Int(7));
  p.objects = static_cast<std::uint64_t>(s.Int(8));
  p.refused = static_cast<std::uint64_t>(s.Int(9));
  p.rejected = static_cast<std::uint64_t>(s.Int(10));
  p.bytes = static_cast<std::uint64_t>(s.Int(11));
  p.quota = static_cast<std::uint64_t>(s.Int(12));
  p.endpoint = s.Text(13);
  return p;
}
}  // namespace

Result<std::vector<PeerRecord>> StateDb::Peers() {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string(kPeerColumns) + " ORDER BY node_id").c_str());
  if (!s.ok()) return DbError(db_, "peers");
  std::vector<PeerRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadPeer(s));
  if (rc != SQLITE_DONE) return DbError(db_, "peers");
  return out;
}

Result<PeerRecord> StateDb::Peer(std::string_view node_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string(kPeerColumns) + " WHERE node_id=?").c_str());
  if (!s.ok()) return DbError(db_, "peers");
  s.Bind(1, node_id);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadPeer(s);
  if (rc == SQLITE_DONE) return Status::NotFound("no peer '" + std::string(node_id) + "'");
  return DbError(db_, "peers");
}

Result<std::int64_t> StateDb::Cursor(std::string_view peer, std::string_view feed) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT added_after FROM cursors WHERE peer=? AND feed=?");
  if (!s.ok()) return DbError(db_, "cursors");
  s.Bind(1, peer).Bind(2, feed);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return s.Int(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return DbError(db_, "cursors");
}

Status StateDb::CommitPage(std::string_view peer, std::string_view feed, std::int64_t next,
                           const std::vector<ReceivedOrigin>& origins, std::uint64_t added,
                           std::uint64_t rejected, std::uint64_t added_bytes) {
  std::lock_guard lock(mu_);
  ENTENTE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [this](std::string_view what) {
    Status st = DbError(db_, what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  };
  {
    Stmt o(db_, "INSERT OR IGNORE INTO origins(id,version,from_node,origin) VALUES(?,?,?,?)");
    if (!o.ok()) return fail("origins");
    for (const auto& r : origins) {
      o.Bind(1, r.id).Bind(2, r.version).Bind(3, peer).Bind(4, r.origin);
      if (o.Step() != SQLITE_DONE) return fail("origins");
      o.Reset();
    }
    Stmt c(db_,
           "INSERT INTO cursors(peer,feed,added_after) VALUES(?,?,?) ON CONFLICT(peer,feed) "
           "DO UPDATE SET added_after=excluded.added_after");
    c.Bind(1, peer).Bind(2, feed).Bind(3, next);
    if (c.Step() != SQLITE_DONE) return fail("cursors");
    Stmt p(db_,
           "UPDATE peers SET pages=pages+1, objects=objects+?, rejected=rejected+?, "
           "bytes=bytes+? WHERE node_id=?");
    p.Bind(1, static_cast<std::int64_t>(added)).Bind(2, static_cast<std::int64_t>(rejected));
    p.Bind(3, static_cast<std::int64_t>(added_bytes)).Bind(4, peer);
    if (p.Step() != SQLITE_DONE) return fail("peers");
  }
  return Exec("COMMIT");
}

Status StateDb::RecordError(std::string_view peer, std::string_view message, bool page_refused) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE peers SET last_error=?, last_error_at=?, refused=refused+? WHERE node_id=?");
  s.Bind(1, message.substr(0, 1000)).Bind(2, FormatTimestamp(Now(), 3));
  s.Bind(3, std::int64_t{page_refused ? 1 : 0}).Bind(4, peer);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "peers");
  return Status::Ok();
}

Status StateDb::RecordSynced(std::string_view peer) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE peers SET last_sync=? WHERE node_id=?");
  s.Bind(1, FormatTimestamp(Now(), 3)).Bind(2, peer);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "peers");
  return Status::Ok();
}

Result<std::vector<StateDb::Provenance>> StateDb::ProvenanceOf(
    const std::vector<std::pair<std::string_view, std::string_view>>& versions) {
  std::lock_guard lock(mu_);
  // One read transaction for the whole page: autocommit would take and release SQLite's file
  // lock (fcntl) around every lookup.
  ENTENTE_RETURN_IF_ERROR(Exec("BEGIN"));
  struct End {
    sqlite3* db;
    ~End() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end{db_};
  Stmt s(db_, "SELECT from_node, origin FROM origins WHERE id=? AND version=?");
  if (!s.ok()) return DbError(db_, "origins");
  std::vector<Provenance> out(versions.size());
  for (std::size_t i = 0; i < versions.size(); ++i) {
    s.Bind(1, versions[i].first).Bind(2, versions[i].second);
    int rc = s.Step();
    if (rc == SQLITE_ROW) {
      out[i].from = s.Text(0);
      out[i].origin = s.Text(1);
    } else if (rc != SQLITE_DONE) {
      return DbError(db_, "origins");
    }
    s.Reset();
  }
  return out;
}

Result<std::optional<PeerHead>> StateDb::Head(std::string_view peer) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT tree_size, root, sth FROM heads WHERE peer=?");
  if (!s.ok()) return DbError(db_, "heads");
  s.Bind(1, peer);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<PeerHead>();
  if (rc != SQLITE_ROW) return DbError(db_, "heads");
  PeerHead h;
  h.tree_size = static_cast<std::uint64_t>(s.Int(0));
  h.root_hex = s.Text(1);
  h.sth_json = s.Text(2);
  return std::optional<PeerHead>(std::move(h));
}

Status StateDb::SetHead(std::string_view peer, const PeerHead& head) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO heads(peer,tree_size,root,sth) VALUES(?,?,?,?) ON CONFLICT(peer) DO "
         "UPDATE SET tree_size=excluded.tree_size, root=excluded.root, sth=excluded.sth");
  s.Bind(1, peer).Bind(2, static_cast<std::int64_t>(head.tree_size)).Bind(3, head.root_hex);
  s.Bind(4, head.sth_json);
  if (s.Step() != SQLITE_DONE) return DbError(db_, "heads");
  return Status::Ok();
}

}  // namespace entente::federation
