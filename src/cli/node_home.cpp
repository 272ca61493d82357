#include "node_home.h"

#include <unistd.h>
#include <climits>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/crypto/keys.h"
#include "entente/stix/validate.h"

#include <sstream>

namespace entente::cli {

namespace {

// The "store" member of HOME/node.json, or "" when there is none.
std::string ConfiguredStore(const std::string& home) {
  std::ifstream in(home + "/node.json");
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  auto v = json::Value::Parse(text.str());
  if (!v.ok()) return {};
  const json::Value* store = v->find("store");
  return store != nullptr && store->is_string() ? store->str() : std::string();
}

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

}  // namespace

std::string StorePath(const std::string& home) {
  std::string configured = ConfiguredStore(home);
  if (IsPostgresUrl(configured)) return configured;
  if (configured.starts_with("sqlite:")) configured = configured.substr(7);
  if (configured.empty()) return home + "/store.db";
  return configured.starts_with("/") ? configured : home + "/" + configured;
}

Result<std::unique_ptr<store::Store>> OpenNodeStore(const std::string& home, bool read_only,
                                                    std::size_t cache_bytes) {
  std::error_code ec;
  std::string url = StorePath(home);
  if (!std::filesystem::exists(home + "/node.json", ec) && !std::filesystem::exists(url, ec)) {
    return Status::NotFound("no node at '" + home + "': run `entente --home " + home +
                            " init` first");
  }
  if (!IsPostgresUrl(url) && !std::filesystem::exists(url, ec)) {
    return Status::NotFound("the store of node '" + home + "' is missing: " + url);
  }
  store::StoreOptions options;
  options.read_only = read_only;
  options.cache_bytes = cache_bytes;
  return store::Store::Open(url, options);
}

Status InitNodeHome(const std::string& home, const std::string& node_name,
                    const std::string& store_url) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return Status::IoError("cannot create " + home + ": " + ec.message());
  std::filesystem::permissions(home, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  std::string config = home + "/node.json";
  bool configured = std::filesystem::exists(config, ec);
  if (configured && !store_url.empty() && ConfiguredStore(home) != store_url) {
    return Status::AlreadyExists("node '" + home + "' already has a store (" +
                                 store::RedactStoreUrl(StorePath(home)) +
                                 "); moving it is a backup and restore, not an init");
  }
  std::string url = configured || store_url.empty() ? StorePath(home) : store_url;
  ENTENTE_ASSIGN_OR_RETURN(auto store, store::Store::Open(url));
  if (configured) return Status::Ok();
  // The node's own identity: who created what it shares, where it sighted what it saw.
  std::string now = FormatTimestamp(Now(), 3);
  std::string identity_id = "identity--" + UuidToString(UuidV4());
  json::Value identity = json::Value::MakeObject();
  identity.set("type", "identity");
  identity.set("spec_version", "2.1");
  identity.set("id", identity_id);
  identity.set("created", now);
  identity.set("modified", now);
  identity.set("name", node_name);
  identity.set("identity_class", "organization");
  std::string text = identity.Serialize();
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text));
  stix::ObjectHeader header;
  ENTENTE_RETURN_IF_ERROR(stix::Validator().Check(doc.root(), &header));
  ENTENTE_ASSIGN_OR_RETURN(auto batch, store->BeginBatch());
  ENTENTE_RETURN_IF_ERROR(batch->Put(header, text).status());
  ENTENTE_RETURN_IF_ERROR(batch->Commit());
  json::Value v = json::Value::MakeObject();
  v.set("name", node_name);
  v.set("created", now);
  v.set("store", store_url.empty() ? std::string("sqlite:store.db") : store_url);
  v.set("identity", identity_id);
  std::ofstream out(config);
  out << v.Pretty() << "\n";
  if (!out) return Status::IoError("cannot write " + config);
  return Status::Ok();
}

}  // namespace entente::cli

namespace entente::cli {

std::string NodeIdentity(const std::string& home) {
  std::ifstream in(home + "/node.json");
  std::stringstream text;
  text << in.rdbuf();
  auto v = json::Value::Parse(text.str());
  if (!v.ok()) return {};
  const json::Value* id = v->find("identity");
  return id != nullptr && id->is_string() ? id->str() : std::string();
}

std::string NodeMemberState(const std::string& home) {
  std::ifstream in(home + "/node.json");
  std::stringstream text;
  text << in.rdbuf();
  auto v = json::Value::Parse(text.str());
  if (!v.ok()) return {};
  const json::Value* state = v->find("member_state");
  return state != nullptr && state->is_string() ? state->str() : std::string();
}

Status SetNodeMemberState(const std::string& home, const std::string& state) {
  bool iso2 = state.size() == 2 && std::isupper(static_cast<unsigned char>(state[0])) &&
              std::isupper(static_cast<unsigned char>(state[1]));
  if (!iso2) {
    return Status::InvalidArgument("member state '" + state +
                                   "': expected an ISO 3166-1 alpha-2 code (e.g. FR) or EU");
  }
  std::string config = home + "/node.json";
  std::ifstream in(config);
  std::stringstream text;
  text << in.rdbuf();
  ENTENTE_ASSIGN_OR_RETURN(json::Value v, json::Value::Parse(text.str()));
  if (const json::Value* old = v.find("member_state");
      old != nullptr && old->is_string() && old->str() == state) {
    return Status::Ok();
  }
  v.set("member_state", state);
  // Written beside and renamed, so that a crash leaves the old or the new file, never half.
  std::string tmp = config + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << v.Pretty() << "\n";
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, config, ec);
  if (ec) return Status::IoError("cannot replace " + config + ": " + ec.message());
  return Status::Ok();
}

Result<crypto::keys::Identity> NodeKey(const std::string& home) {
  std::string path = home + "/keys/node.key";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("no node key (entente keygen --out " + home + "/keys/node)");
  }
  SecretBytes pass;
  if (const char* env = std::getenv("ENTENTE_PASSPHRASE")) {
    pass = SecretBytes(AsBytes(env));
  } else if (const char* file = std::getenv("ENTENTE_PASSPHRASE_FILE")) {
    ENTENTE_ASSIGN_OR_RETURN(pass, Passphrase(file));
  } else {
    return Status::NotFound("no passphrase for the node key ($ENTENTE_PASSPHRASE[_FILE])");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
  return crypto::keys::DecryptKeyFile(text, pass.view());
}

std::string ExeDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<std::size_t>(n));
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

Result<SecretBytes> Passphrase(const std::string& file) {
  if (!file.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(file, 4096));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    SecretBytes s(AsBytes(text));
    SecureWipe(text.data(), text.size());
    return s;
  }
  if (const char* env = std::getenv("ENTENTE_PASSPHRASE")) return SecretBytes(AsBytes(env));
  return Status::InvalidArgument(
      "a passphrase is needed: --passphrase-file FILE or $ENTENTE_PASSPHRASE");
}

Result<crypto::keys::PublicIdentity> LoadPublicKey(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
  auto pub = crypto::keys::ParsePublic(text);
  if (!pub.ok()) return pub.status().WithContext(path);
  return pub;
}

}  // namespace entente::cli
