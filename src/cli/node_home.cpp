#include "node_home.h"

#include <filesystem>
#include <fstream>

#include "entente/base/json.h"
#include "entente/base/time.h"

namespace entente::cli {

std::string StorePath(const std::string& home) { return home + "/store.db"; }

Result<std::unique_ptr<store::Store>> OpenNodeStore(const std::string& home, bool read_only) {
  std::error_code ec;
  if (!std::filesystem::exists(StorePath(home), ec)) {
    return Status::NotFound("no node at '" + home + "': run `entente --home " + home + " init` first");
  }
  store::StoreOptions options;
  options.read_only = read_only;
  return store::Store::Open(StorePath(home), options);
}

Status InitNodeHome(const std::string& home, const std::string& node_name) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return Status::IoError("cannot create " + home + ": " + ec.message());
  std::filesystem::permissions(home, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  std::string config = home + "/node.json";
  if (!std::filesystem::exists(config, ec)) {
    json::Value v = json::Value::MakeObject();
    v.set("name", node_name);
    v.set("created", FormatTimestamp(Now(), 3));
    v.set("store", "sqlite:store.db");
    std::ofstream out(config);
    out << v.Pretty() << "\n";
    if (!out) return Status::IoError("cannot write " + config);
  }
  ENTENTE_ASSIGN_OR_RETURN(auto store, store::Store::Open(StorePath(home)));
  return Status::Ok();
}

}  // namespace entente::cli
