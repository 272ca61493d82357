#include "entente/store/backup.h"

#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <filesystem>
#include <vector>

#include "entente/store/store.h"
#include "sqlite/text_file.h"

extern char** environ;

namespace entente::store {
namespace {

bool IsPostgres(const std::string& url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string SqlitePath(const std::string& url) {
  return url.starts_with("sqlite:") ? url.substr(7) : url;
}

// Runs a program with arguments (no shell); its output goes to ours.
Status Run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    return Status::Unsupported(args[0] + " is not installed (PostgreSQL client tools)");
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return Status::IoError("waiting for " + args[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::IoError(args[0] + " failed (exit status " +
                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return Status::Ok();
}

// The schema the store at `url` lives in.
Result<std::string> PgSchema(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = PQerrorMessage(c);
    PQfinish(c);
    return Status::Unavailable("cannot connect to " + RedactStoreUrl(url) + ": " + m);
  }
  PGresult* r = PQexec(c, "SELECT current_schema()");
  std::string schema;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
    schema = PQgetvalue(r, 0, 0);
  }
  PQclear(r);
  PQfinish(c);
  if (schema.empty()) {
    return Status::InvalidArgument(RedactStoreUrl(url) + ": the search_path names no schema");
  }
  return schema;
}

Status SqliteCopy(const std::string& from, const std::string& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  Status s = Status::Ok();
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
          SQLITE_OK) {
    s = Status::IoError("cannot open " + from + " or " + to);
  } else {
    sqlite3_busy_timeout(src, 5000);
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == nullptr) {
      s = Status::IoError("backup of " + from + ": " + sqlite3_errmsg(dst));
    } else {
      int rc = SQLITE_OK;
      // Steps of 1024 pages; a writer in between makes the copy restart, which is correct.
      while ((rc = sqlite3_backup_step(b, 1024)) == SQLITE_OK || rc == SQLITE_BUSY ||
             rc == SQLITE_LOCKED) {
        if (rc != SQLITE_OK) sqlite3_sleep(50);
      }
      sqlite3_backup_finish(b);
      if (rc != SQLITE_DONE) {
        s = Status::IoError("backup of " + from + " to " + to + ": " + sqlite3_errstr(rc));
      }
    }
  }
  sqlite3_close(src);
  sqlite3_close(dst);
  return s;
}

// Moves the texts a copied store keeps in its source's text file (`texts_path`) into the
// copy's json column, so the backup is one self-contained file. Texts are never rewritten once
// committed, so those the copied snapshot refers to are still in the file.
Status InlineTexts(const std::string& copy, const std::string& texts_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(copy.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status::IoError("cannot open the copy " + copy);
  }
  auto fail = [&](std::string_view what) {
    Status s = Status::IoError(std::string(what) + " in " + copy + ": " + sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return s;
  };
  struct Ref {
    std::int64_t rowid, at, length;
  };
  std::vector<Ref> refs;
  sqlite3_stmt* q = nullptr;
  // A store from before schema 4 has no json_at column: nothing to move.
  if (sqlite3_prepare_v2(
          db, "SELECT date_added, json_at, json_len FROM objects WHERE json_at IS NOT NULL", -1, &q,
          nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status::Ok();
  }
  while (sqlite3_step(q) == SQLITE_ROW) {
    refs.push_back(
        {sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2)});
  }
  sqlite3_finalize(q);
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  if (!refs.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(auto texts, ObjectTextFile::Open(texts_path, /*read_only=*/true));
    sqlite3_stmt* u = nullptr;
    if (sqlite3_prepare_v2(db,
                           "UPDATE objects SET json = ?2, json_at = NULL, json_len = NULL "
                           "WHERE date_added = ?1",
                           -1, &u, nullptr) != SQLITE_OK) {
      return fail("prepare");
    }
    std::string text;
    for (const Ref& r : refs) {
      Status read = texts->Read(r.at, r.length, &text);
      if (!read.ok()) {
        sqlite3_finalize(u);
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        return read;
      }
      sqlite3_bind_int64(u, 1, r.rowid);
      sqlite3_bind_text(u, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      int rc = sqlite3_step(u);
      sqlite3_reset(u);
      if (rc != SQLITE_DONE) {
        sqlite3_finalize(u);
        return fail("moving a text");
      }
    }
    sqlite3_finalize(u);
  }
  if (sqlite3_exec(db, "DELETE FROM meta WHERE key = 'json_end'; COMMIT", nullptr, nullptr,
                   nullptr) != SQLITE_OK) {
    return fail("commit");
  }
  sqlite3_close(db);
  return Status::Ok();
}

}  // namespace

Result<std::string> BackupStore(const std::string& url, const std::string& dest_dir) {
  if (IsPostgres(url)) {
    ENTENTE_ASSIGN_OR_RETURN(std::string schema, PgSchema(url));
    std::string file = dest_dir + "/store.pgdump";
    ENTENTE_RETURN_IF_ERROR(Run({"pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                 "--schema=" + schema, "--file=" + file, "--dbname=" + url}));
    return std::string("store.pgdump");
  }
  std::string path = SqlitePath(url);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("no store at " + path);
  ENTENTE_RETURN_IF_ERROR(SqliteCopy(path, dest_dir + "/store.db"));
  ENTENTE_RETURN_IF_ERROR(InlineTexts(dest_dir + "/store.db", path + "-json"));
  return std::string("store.db");
}

Status RestoreStore(const std::string& backup_file, const std::string& url) {
  std::error_code ec;
  if (!std::filesystem::exists(backup_file, ec)) {
    return Status::NotFound("no backup file " + backup_file);
  }
  if (IsPostgres(url)) {
    if (!backup_file.ends_with(".pgdump")) {
      return Status::InvalidArgument(backup_file + " is not a PostgreSQL store backup");
    }
    ENTENTE_RETURN_IF_ERROR(Run({"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                 "--single-transaction", "--dbname=" + url, backup_file}));
  } else {
    if (!backup_file.ends_with(".db")) {
      return Status::InvalidArgument(backup_file + " is not an SQLite store backup");
    }
    std::string path = SqlitePath(url);
    if (std::filesystem::exists(path, ec)) {
      return Status::AlreadyExists(path + " exists; restore into a new location");
    }
    ENTENTE_RETURN_IF_ERROR(SqliteCopy(backup_file, path));
  }
  ENTENTE_ASSIGN_OR_RETURN(auto store, Store::Open(url));
  return store->CheckIntegrity().WithContext("the restored store");
}

}  // namespace entente::store
