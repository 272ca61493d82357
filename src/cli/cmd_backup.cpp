// `entente backup DEST` and `entente restore SRC`: a node home (store, node.json, keys and
// every other file in it) to a backup directory and back. docs/CLI.md describes the layout.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "command.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/store/backup.h"
#include "node_home.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "entente-backup/1";

bool EmptyOrAbsent(const std::string& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

Status MakePrivateDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Status::Ok();
}

// Copies the regular files under `from` to `to` (same relative paths and permission bits),
// except those `skip` names; returns the relative paths copied.
Result<std::vector<std::string>> CopyTree(const fs::path& from, const fs::path& to,
                                          const std::function<bool(const fs::path&)>& skip) {
  std::vector<std::string> copied;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(from, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path rel = fs::relative(it->path(), from, ec);
    if (skip(rel)) continue;
    fs::create_directories(to / rel.parent_path(), ec);
    fs::copy_file(it->path(), to / rel, fs::copy_options::none, ec);
    if (ec) return Status::IoError("cannot copy " + it->path().string() + ": " + ec.message());
    fs::permissions(to / rel, it->status().permissions(), fs::perm_options::replace, ec);
    copied.push_back(rel.string());
  }
  if (ec) return Status::IoError("cannot read " + from.string() + ": " + ec.message());
  return copied;
}

Status Backup(const std::string& home, const std::string& dest, bool as_json) {
  std::error_code ec;
  if (!fs::exists(home + "/node.json", ec)) {
    return Status::NotFound("no node at '" + home + "': nothing to back up");
  }
  if (!EmptyOrAbsent(dest)) return Status::AlreadyExists(dest + " exists and is not empty");
  ENTENTE_RETURN_IF_ERROR(MakePrivateDir(dest));
  std::string url = StorePath(home);
  // The store first: files written afterwards (keys, logs) are at least as new as it.
  ENTENTE_ASSIGN_OR_RETURN(std::string store_file, store::BackupStore(url, dest));
  fs::permissions(dest + "/" + store_file, fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace, ec);
  fs::path store_path = fs::weakly_canonical(url, ec);
  auto skip = [&](const fs::path& rel) {
    fs::path full = fs::weakly_canonical(fs::path(home) / rel, ec);
    std::string f = full.string(), s = store_path.string();
    // The store's text file is inlined into the backup's store.db (store/backup.h); the
    // change counter only matters to processes that have the store open.
    return f == s || f == s + "-wal" || f == s + "-shm" || f == s + "-journal" ||
           f == s + "-json" || f == s + "-changes";
  };
  ENTENTE_ASSIGN_OR_RETURN(auto files, CopyTree(home, dest + "/home", skip));
  json::Value manifest = json::Value::MakeObject();
  manifest.set("format", kFormat);
  manifest.set("created", FormatTimestamp(Now(), 3));
  manifest.set("store_file", store_file);
  manifest.set("store", store::RedactStoreUrl(url));
  json::Value list = json::Value::MakeArray();
  for (const auto& f : files) list.push_back(f);
  manifest.set("home_files", std::move(list));
  std::ofstream out(dest + "/backup.json");
  out << manifest.Pretty() << "\n";
  if (!out) return Status::IoError("cannot write " + dest + "/backup.json");
  if (as_json) {
    std::printf("%s\n", manifest.Serialize().c_str());
  } else {
    std::printf("backed up %s to %s: store (%s) and %zu files\n", home.c_str(), dest.c_str(),
                store_file.c_str(), files.size());
  }
  return Status::Ok();
}

Status Restore(const std::string& home, const std::string& src, const std::string& store_url,
               bool as_json) {
  std::ifstream in(src + "/backup.json");
  if (!in) return Status::NotFound("no backup at " + src + " (backup.json missing)");
  std::stringstream text;
  text << in.rdbuf();
  ENTENTE_ASSIGN_OR_RETURN(json::Value manifest, json::Value::Parse(text.str()));
  const json::Value* format = manifest.find("format");
  const json::Value* store_file = manifest.find("store_file");
  if (format == nullptr || !format->is_string() || format->str() != kFormat ||
      store_file == nullptr || !store_file->is_string() ||
      (store_file->str() != "store.db" && store_file->str() != "store.pgdump")) {
    return Status::Unsupported(src + "/backup.json is not an " + kFormat + " manifest");
  }
  if (!EmptyOrAbsent(home)) {
    return Status::AlreadyExists("'" + home + "' exists and is not empty: restore into a new home");
  }
  ENTENTE_RETURN_IF_ERROR(MakePrivateDir(home));
  ENTENTE_ASSIGN_OR_RETURN(auto files,
                           CopyTree(src + "/home", home, [](const fs::path&) { return false; }));
  if (!store_url.empty()) {
    // Restoring to another place: node.json names the new store.
    std::ifstream cin(home + "/node.json");
    std::stringstream ctext;
    ctext << cin.rdbuf();
    ENTENTE_ASSIGN_OR_RETURN(json::Value config, json::Value::Parse(ctext.str()));
    config.set("store", store_url);
    std::ofstream cout(home + "/node.json");
    cout << config.Pretty() << "\n";
    if (!cout) return Status::IoError("cannot write " + home + "/node.json");
  }
  std::string url = StorePath(home);
  bool postgres = url.starts_with("postgresql://") || url.starts_with("postgres://");
  if (postgres != (store_file->str() == "store.pgdump")) {
    return Status::InvalidArgument(
        "the backup holds a " + std::string(postgres ? "SQLite" : "PostgreSQL") +
        " store but the node names a " + (postgres ? "PostgreSQL" : "SQLite") +
        " one: give --store to restore it elsewhere");
  }
  ENTENTE_RETURN_IF_ERROR(store::RestoreStore(src + "/" + store_file->str(), url));
  if (as_json) {
    json::Value v = json::Value::MakeObject();
    v.set("home", home);
    v.set("store", store::RedactStoreUrl(url));
    v.set("files", static_cast<std::int64_t>(files.size()));
    std::printf("%s\n", v.Serialize().c_str());
  } else {
    std::printf("restored %s into %s: store checked, %zu files\n", src.c_str(), home.c_str(),
                files.size());
  }
  return Status::Ok();
}

const CommandRegistration kBackup(
    "backup", "Back up the node home (store, configuration, keys) into a new directory",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto dest = std::make_shared<std::string>();
      app.add_option("DEST", *dest, "Backup directory (created; must be absent or empty)")
          ->required();
      app.callback([&global, run, dest] {
        run([&global, dest]() -> Status { return Backup(global.home, *dest, global.json); });
      });
    });

const CommandRegistration kRestore(
    "restore", "Restore a node home from a backup directory into a new home",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto src = std::make_shared<std::string>();
      auto store_url = std::make_shared<std::string>();
      app.add_option("SRC", *src, "Backup directory written by `entente backup`")->required();
      app.add_option("--store", *store_url,
                     "Restore the store there instead of where node.json names it "
                     "(sqlite:PATH or postgresql://...)");
      app.callback([&global, run, src, store_url] {
        run([&global, src, store_url]() -> Status {
          return Restore(global.home, *src, *store_url, global.json);
        });
      });
    });

}  // namespace
}  // namespace entente::cli
