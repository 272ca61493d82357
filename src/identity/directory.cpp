#include "entente/identity/directory.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "entente/base/bytes.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/crypto/symmetric.h"

namespace entente::identity {
namespace {

constexpr std::string_view kTokenPrefix = "ent1_";
constexpr std::size_t kIdHex = 16;
constexpr std::size_t kSecretHex = 64;
constexpr std::size_t kTokenChars = kTokenPrefix.size() + kIdHex + 1 + kSecretHex;
constexpr std::string_view kHashDomain = "entente-token-v1";
constexpr std::string_view kBadToken = "invalid or expired token";

bool IsLowerHex(std::string_view s) noexcept {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The hash stored for a token: SHA-256(domain || id || secret-hex). One fetched EVP_MD for the
// process and one context per thread, so the hot path allocates nothing.
void TokenHash(std::string_view id, std::string_view secret_hex, std::uint8_t out[32]) {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kHashDomain.data(), kHashDomain.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), id.data(), id.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret_hex.data(), secret_hex.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    // Cannot happen with a working OpenSSL; a hash no stored entry can equal fails closed.
    std::fill(out, out + 32, 0xff);
  }
}

struct Split {
  std::string_view id;
  std::string_view secret;
};
std::optional<Split> SplitToken(std::string_view token) noexcept {
  if (token.size() != kTokenChars || token.substr(0, kTokenPrefix.size()) != kTokenPrefix ||
      token[kTokenPrefix.size() + kIdHex] != '_') {
    return std::nullopt;
  }
  Split s{token.substr(kTokenPrefix.size(), kIdHex), token.substr(kTokenChars - kSecretHex)};
  if (!IsLowerHex(s.id) || !IsLowerHex(s.secret)) return std::nullopt;
  return s;
}

bool IsValidName(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidScope(std::string_view s) noexcept {
  if (s == kAllScopes) return true;
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsIdentityId(std::string_view s) noexcept {
  constexpr std::string_view kPrefix = "identity--";
  return s.size() == kPrefix.size() + 36 && s.substr(0, kPrefix.size()) == kPrefix &&
         IsUuid(s.substr(kPrefix.size()));
}

bool IsMemberState(std::string_view s) noexcept {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

std::string JoinRoles(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ',';
    out += RoleName(r);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::vector<Role>> ParseRoles(std::string_view text) {
  std::vector<Role> roles;
  for (const std::string& name : SplitList(text)) {
    ENTENTE_ASSIGN_OR_RETURN(Role r, ParseRole(name));
    roles.push_back(r);
  }
  return roles;
}

// Sorted, without duplicates: stored lists compare and print the same whatever the input order.
std::vector<Role> Normalise(std::vector<Role> roles) {
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

Status SqlError(sqlite3* db, std::string_view what) {
  return Status::IoError("identity database: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// One prepared statement, finalised on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  Stmt& Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Int(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Blob(int i, const void* p, int n) {
    sqlite3_bind_blob(s_, i, p, n, SQLITE_TRANSIENT);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string ColText(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string();
  }
  std::int64_t ColInt(int i) { return sqlite3_column_int64(s_, i); }
  ByteView ColBlob(int i) {
    const void* p = sqlite3_column_blob(s_, i);
    return {static_cast<const std::uint8_t*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(s_, i))};
  }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IoError("identity database: " + msg);
  }
  return Status::Ok();
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS identity_users(
  name TEXT PRIMARY KEY, identity_ref TEXT NOT NULL, organization_ref TEXT NOT NULL,
  member_state TEXT NOT NULL, roles TEXT NOT NULL, created_us INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS identity_tokens(
  id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES identity_users(name), hash BLOB NOT NULL,
  roles TEXT NOT NULL, scopes TEXT NOT NULL, created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
)sql";

}  // namespace

Result<std::string> TokenIdOf(std::string_view token) {
  std::optional<Split> s = SplitToken(token);
  if (!s) return Status::Unauthenticated(std::string(kBadToken));
  return std::string(s->id);
}

Result<std::unique_ptr<Directory>> Directory::Open(const std::string& path) {
  std::unique_ptr<Directory> dir(new Directory());
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (sqlite3_open_v2(path.c_str(), &dir->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Status s = Status::IoError("cannot open identity database " + path + ": " +
                               (dir->db_ ? sqlite3_errmsg(dir->db_) : "out of memory"));
    return s;
  }
  if (!existed) ::chmod(path.c_str(), 0600);  // token hashes and user records: owner only
  sqlite3_busy_timeout(dir->db_, 5000);
  ENTENTE_RETURN_IF_ERROR(Exec(dir->db_, "PRAGMA journal_mode=WAL"));
  ENTENTE_RETURN_IF_ERROR(Exec(dir->db_, "PRAGMA synchronous=FULL"));
  ENTENTE_RETURN_IF_ERROR(Exec(dir->db_, kSchema).WithContext(path));
  std::unique_lock lock(dir->mu_);
  ENTENTE_RETURN_IF_ERROR(dir->LoadLocked().WithContext(path));
  return dir;
}

Directory::~Directory() { sqlite3_close_v2(db_); }

Result<std::int64_t> Directory::DataVersionLocked() const {
  Stmt q(db_, "PRAGMA data_version");
  if (!q.ok() || q.Step() != SQLITE_ROW) return SqlError(db_, "data_version");
  return q.ColInt(0);
}

Status Directory::LoadLocked() const {
  ENTENTE_ASSIGN_OR_RETURN(data_version_, DataVersionLocked());
  std::unordered_map<std::string, User> users;
  {
    Stmt q(db_,
           "SELECT name, identity_ref, organization_ref, member_state, roles, created_us, "
           "disabled FROM identity_users");
    if (!q.ok()) return SqlError(db_, "reading users");
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      User u;
      u.name = q.ColText(0);
      u.identity_ref = q.ColText(1);
      u.organization_ref = q.ColText(2);
      u.member_state = q.ColText(3);
      Result<std::vector<Role>> roles = ParseRoles(q.ColText(4));
      if (!roles.ok()) {
        return Status::Corruption("user " + u.name + ": " + roles.status().message());
      }
      u.roles = std::move(*roles);
      u.created_us = q.ColInt(5);
      u.disabled = q.ColInt(6) != 0;
      std::string key = u.name;
      users.emplace(std::move(key), std::move(u));
    }
    if (rc != SQLITE_DONE) return SqlError(db_, "reading users");
  }
  std::unordered_map<std::string, TokenEntry> tokens;
  {
    Stmt q(db_,
           "SELECT id, user, hash, roles, scopes, created_us, expires_us, revoked "
           "FROM identity_tokens");
    if (!q.ok()) return SqlError(db_, "reading tokens");
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      std::string id = q.ColText(0);
      TokenEntry e;
      e.user = q.ColText(1);
      ByteView hash = q.ColBlob(2);
      if (hash.size() != 32 || id.size() != kIdHex) {
        return Status::Corruption("token " + id + ": malformed stored hash or id");
      }
      std::copy(hash.begin(), hash.end(), e.hash);
      Result<std::vector<Role>> roles = ParseRoles(q.ColText(3));
      if (!roles.ok()) return Status::Corruption("token " + id + ": " + roles.status().message());
      e.roles = std::move(*roles);
      e.scopes = SplitList(q.ColText(4));
      e.created_us = q.ColInt(5);
      e.expires_us = q.ColInt(6);
      e.revoked = q.ColInt(7) != 0;
      tokens.emplace(std::move(id), std::move(e));
    }
    if (rc != SQLITE_DONE) return SqlError(db_, "reading tokens");
  }
  users_ = std::move(users);
  tokens_ = std::move(tokens);
  for (auto& [id, e] : tokens_) BindLocked(id, e);
  return Status::Ok();
}

Status Directory::Refresh() const {
  std::unique_lock lock(mu_);
  ENTENTE_ASSIGN_OR_RETURN(std::int64_t version, DataVersionLocked());
  if (version == data_version_) return Status::Ok();
  return LoadLocked();
}

Result<User> Directory::AddUser(User user) {
  if (!IsValidName(user.name)) {
    return Status::InvalidArgument("user name '" + user.name.substr(0, 64) +
                                   "': 1-64 characters of A-Z a-z 0-9 . _ @ -");
  }
  if (user.identity_ref.empty()) user.identity_ref = "identity--" + UuidToString(UuidV4());
  if (!IsIdentityId(user.identity_ref)) {
    return Status::InvalidArgument("user " + user.name + ": identity '" +
                                   user.identity_ref.substr(0, 80) + "' is not identity--<uuid>");
  }
  if (!IsIdentityId(user.organization_ref)) {
    return Status::InvalidArgument("user " + user.name + ": organisation '" +
                                   user.organization_ref.substr(0, 80) +
                                   "' is not identity--<uuid>");
  }
  if (!IsMemberState(user.member_state)) {
    return Status::InvalidArgument("user " + user.name + ": member state '" +
                                   user.member_state.substr(0, 8) +
                                   "' is not two upper-case letters (ISO 3166-1, or EU)");
  }
  user.roles = Normalise(std::move(user.roles));
  if (user.roles.empty()) return Status::InvalidArgument("user " + user.name + ": no role");
  user.created_us = Now().micros();

  std::unique_lock lock(mu_);
  Stmt ins(db_,
           "INSERT INTO identity_users(name, identity_ref, organization_ref, member_state, roles, "
           "created_us, disabled) VALUES(?,?,?,?,?,?,?)");
  if (!ins.ok()) return SqlError(db_, "adding user");
  ins.Text(1, user.name)
      .Text(2, user.identity_ref)
      .Text(3, user.organization_ref)
      .Text(4, user.member_state)
      .Text(5, JoinRoles(user.roles))
      .Int(6, user.created_us)
      .Int(7, user.disabled ? 1 : 0);
  int rc = ins.Step();
  if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("user " + user.name + " exists");
  if (rc != SQLITE_DONE) return SqlError(db_, "adding user " + user.name);
  users_[user.name] = user;
  return user;
}

Status Directory::SetUserDisabled(std::string_view name, bool disabled) {
  std::unique_lock lock(mu_);
  auto it = users_.find(std::string(name));
  if (it == users_.end()) return Status::NotFound("no user " + std::string(name.substr(0, 64)));
  Stmt up(db_, "UPDATE identity_users SET disabled=? WHERE name=?");
  if (!up.ok()) return SqlError(db_, "updating user");
  up.Int(1, disabled ? 1 : 0).Text(2, name);
  if (up.Step() != SQLITE_DONE) return SqlError(db_, "updating user");
  it->second.disabled = disabled;
  for (auto& [id, e] : tokens_) {
    if (e.user == it->first) BindLocked(id, e);
  }
  return Status::Ok();
}

Result<User> Directory::GetUser(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = users_.find(std::string(name));
  if (it == users_.end()) return Status::NotFound("no user " + std::string(name.substr(0, 64)));
  return it->second;
}

std::vector<User> Directory::ListUsers() const {
  std::vector<User> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, u] : users_) out.push_back(u);
  }
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.name < b.name; });
  return out;
}

Result<std::string> Directory::IssueToken(std::string_view user, const std::vector<Role>& roles,
                                          const std::vector<std::string>& scopes,
                                          std::chrono::seconds ttl) {
  if (ttl.count() < 1 || ttl.count() > kMaxTokenTtlSeconds) {
    return Status::InvalidArgument("token lifetime must be 1 s to 732 days");
  }
  if (scopes.empty() || scopes.size() > kMaxScopes) {
    return Status::InvalidArgument("a token needs 1 to 64 scopes ('*' for all)");
  }
  for (const std::string& s : scopes) {
    if (!IsValidScope(s)) {
      return Status::InvalidArgument("scope '" + s.substr(0, 64) +
                                     "': 1-128 characters of A-Z a-z 0-9 . _ : - or '*'");
    }
  }
  std::vector<Role> token_roles = Normalise(roles);
  if (token_roles.empty()) return Status::InvalidArgument("a token needs at least one role");

  std::uint8_t raw[8 + 32];
  ENTENTE_RETURN_IF_ERROR(crypto::RandomBytes(raw));
  std::string id = HexEncode(ByteView(raw, 8));
  std::string secret = HexEncode(ByteView(raw + 8, 32));
  SecureWipe(raw, sizeof raw);
  std::string token = std::string(kTokenPrefix) + id + "_" + secret;
  TokenEntry e;
  TokenHash(id, secret, e.hash);
  SecureWipe(secret.data(), secret.size());
  e.user = std::string(user);
  e.roles = token_roles;
  e.scopes = scopes;
  std::sort(e.scopes.begin(), e.scopes.end());
  e.scopes.erase(std::unique(e.scopes.begin(), e.scopes.end()), e.scopes.end());
  e.created_us = Now().micros();
  e.expires_us = e.created_us + ttl.count() * 1'000'000;

  std::unique_lock lock(mu_);
  auto u = users_.find(e.user);
  if (u == users_.end()) {
    SecureWipe(token.data(), token.size());
    return Status::NotFound("no user " + e.user.substr(0, 64));
  }
  for (Role r : token_roles) {
    if (std::find(u->second.roles.begin(), u->second.roles.end(), r) == u->second.roles.end()) {
      SecureWipe(token.data(), token.size());
      return Status::PermissionDenied("user " + e.user + " does not hold the role " +
                                      std::string(RoleName(r)));
    }
  }
  Stmt ins(db_,
           "INSERT INTO identity_tokens(id, user, hash, roles, scopes, created_us, expires_us, "
           "revoked) VALUES(?,?,?,?,?,?,?,0)");
  if (!ins.ok()) return SqlError(db_, "issuing token");
  ins.Text(1, id)
      .Text(2, e.user)
      .Blob(3, e.hash, 32)
      .Text(4, JoinRoles(e.roles))
      .Text(5, Join(e.scopes))
      .Int(6, e.created_us)
      .Int(7, e.expires_us);
  if (ins.Step() != SQLITE_DONE) {
    SecureWipe(token.data(), token.size());
    return SqlError(db_, "issuing token");
  }
  BindLocked(id, e);
  tokens_.emplace(std::move(id), std::move(e));
  return token;
}

Status Directory::RevokeToken(std::string_view token_id) {
  std::string id(token_id);
  if (std::optional<Split> s = SplitToken(token_id)) id = std::string(s->id);
  if (id.size() != kIdHex || !IsLowerHex(id)) {
    return Status::InvalidArgument("token id '" + id.substr(0, 32) + "': 16 lower-case hex digits");
  }
  std::unique_lock lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) return Status::NotFound("no token " + id);
  Stmt up(db_, "UPDATE identity_tokens SET revoked=1 WHERE id=?");
  if (!up.ok()) return SqlError(db_, "revoking token");
  up.Text(1, id);
  if (up.Step() != SQLITE_DONE) return SqlError(db_, "revoking token " + id);
  it->second.revoked = true;
  return Status::Ok();
}

std::vector<TokenInfo> Directory::ListTokens(std::string_view user) const {
  std::vector<TokenInfo> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, e] : tokens_) {
      if (!user.empty() && e.user != user) continue;
      out.push_back({id, e.user, e.roles, e.scopes, e.created_us, e.expires_us, e.revoked});
    }
  }
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return a.created_us != b.created_us ? a.created_us > b.created_us : a.id < b.id;
  });
  return out;
}

void Directory::BindLocked(const std::string& id, TokenEntry& e) const {
  e.principal.reset();
  auto u = users_.find(e.user);
  if (u == users_.end() || u->second.disabled) return;
  auto p = std::make_shared<Principal>();
  p->user = u->second.name;
  p->identity_ref = u->second.identity_ref;
  p->organization_ref = u->second.organization_ref;
  p->member_state = u->second.member_state;
  // A token keeps only the roles its user still holds (roles may have been narrowed since).
  for (Role r : e.roles) {
    if (std::find(u->second.roles.begin(), u->second.roles.end(), r) != u->second.roles.end()) {
      p->roles.push_back(r);
    }
  }
  if (p->roles.empty()) return;
  p->scopes = e.scopes;
  p->token_id = id;
  e.principal = std::move(p);
}

Result<std::shared_ptr<const Principal>> Directory::AuthenticateShared(
    std::string_view bearer_token, std::int64_t now_us) const {
  std::int64_t last = last_refresh_us_.load(std::memory_order_relaxed);
  if (now_us - last >= 1'000'000 || now_us < last) {
    if (last_refresh_us_.compare_exchange_strong(last, now_us)) {
      // A failed refresh keeps the last good tables; authentication goes on with them.
      (void)Refresh();
    }
  }

  // Malformed tokens are hashed too, so every refusal costs about the same.
  std::optional<Split> split = SplitToken(bearer_token);
  std::string_view id = split ? split->id : std::string_view("0000000000000000");
  std::string_view secret = split ? split->secret : bearer_token.substr(0, kSecretHex);
  std::uint8_t hash[32];
  TokenHash(id, secret, hash);
  static const std::uint8_t kDummy[32] = {0};

  auto lookup = [&]() -> Result<std::shared_ptr<const Principal>> {
    std::shared_lock lock(mu_);
    auto it = split ? tokens_.find(std::string(id)) : tokens_.end();
    const TokenEntry* e = it == tokens_.end() ? nullptr : &it->second;
    bool match = ConstantTimeEqual(ByteView(hash, 32), ByteView(e ? e->hash : kDummy, 32));
    if (!match || e == nullptr || e->revoked || now_us >= e->expires_us || !e->principal) {
      return Status::Unauthenticated(std::string(kBadToken));
    }
    return e->principal;
  };
  auto found = lookup();
  if (found.ok() || !split) return found;
  // A token issued since the last refresh (a user added while the node serves) must work at
  // once, not a second later: on a miss the tables are refreshed and the lookup repeated. At
  // most every 50 ms, so that a flood of unknown tokens costs one cheap version check per
  // interval, not a reload per request.
  std::int64_t last_miss = last_miss_refresh_us_.load(std::memory_order_relaxed);
  if ((now_us - last_miss >= 50'000 || now_us < last_miss) &&
      last_miss_refresh_us_.compare_exchange_strong(last_miss, now_us)) {
    if (Refresh().ok()) return lookup();
  }
  return found;
}

Result<Principal> Directory::Authenticate(std::string_view bearer_token,
                                          std::int64_t now_us) const {
  ENTENTE_ASSIGN_OR_RETURN(std::shared_ptr<const Principal> p,
                           AuthenticateShared(bearer_token, now_us));
  return *p;
}

}  // namespace entente::identity
