// Users and API tokens of a node, persisted in a SQLite file in the node home (identity.db).
//
// Tokens: "ent1_<16 hex id>_<64 hex secret>", the secret 256 random bits from OpenSSL's DRBG.
// Only SHA-256("entente-token-v1" || id || secret) is stored; the secret is shown once by
// IssueToken and never stored, logged or returned again. Authentication looks the token up by
// its id and compares hashes in constant time; an unknown id is hashed and compared against a
// dummy so that unknown, revoked and wrong tokens cost the same. Tokens carry no user name, so
// there is no oracle on user names. A token's roles must be a subset of its user's roles.
//
// Cost: Authenticate is one hash-map lookup and one SHA-256 of ~60 bytes under a shared lock
// (docs/BENCHMARKS.md). Users and token hashes are held in memory; mutations write SQLite first,
// then memory. Another process (the `entente` command) may change the file while a server holds
// it open: Authenticate re-reads the tables at most once per second when SQLite's data_version
// says the file changed, so a revocation takes effect within a second; a token it does not know
// triggers a re-read at once (at most every 50 ms), so a token issued while a server runs works
// on its first request.
//
// Threads: every method is safe to call concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "entente/base/status.h"
#include "entente/identity/access.h"

struct sqlite3;

namespace entente::identity {

struct User {
  std::string name;              // 1-64 bytes of [A-Za-z0-9._@-]
  std::string identity_ref;      // identity--<uuid>; AddUser makes one when empty
  std::string organization_ref;  // identity--<uuid> of the organisation (required)
  std::string member_state;      // two upper-case letters (ISO 3166-1 alpha-2) or "EU"
  std::vector<Role> roles;       // at least one
  std::int64_t created_us = 0;   // set by AddUser
  bool disabled = false;         // a disabled user's tokens no longer authenticate
};

// A token as listed: never the secret.
struct TokenInfo {
  std::string id;  // 16 hex digits
  std::string user;
  std::vector<Role> roles;
  std::vector<std::string> scopes;
  std::int64_t created_us = 0;
  std::int64_t expires_us = 0;
  bool revoked = false;
};

// The id part of a token ("ent1_<id>_<secret>"); kUnauthenticated if the text is not shaped
// like a token. Safe to log.
Result<std::string> TokenIdOf(std::string_view token);

inline constexpr std::int64_t kMaxTokenTtlSeconds = 2LL * 366 * 24 * 3600;
inline constexpr std::size_t kMaxScopes = 64;

class Directory {
 public:
  // Opens or creates the SQLite file and loads users and token hashes into memory.
  // kIoError if the file cannot be opened or is not a SQLite database; kCorruption if a stored
  // row is malformed (an unknown role, a hash of the wrong length).
  static Result<std::unique_ptr<Directory>> Open(const std::string& path);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // Adds a user (the returned copy has identity_ref and created_us filled in).
  // kAlreadyExists if the name is taken; kInvalidArgument on a bad field (named).
  Result<User> AddUser(User user);
  // Disables or re-enables a user (their tokens stop / start authenticating). kNotFound.
  Status SetUserDisabled(std::string_view name, bool disabled);
  Result<User> GetUser(std::string_view name) const;
  std::vector<User> ListUsers() const;

  // Issues a token for `user` with `roles` (⊆ the user's roles, at least one) and `scopes`
  // (1..kMaxScopes names, "*" for all), valid for ttl (1 s .. kMaxTokenTtlSeconds) from now.
  // Returns the secret token text, shown once. kNotFound (user), kPermissionDenied (a role the
  // user does not hold), kInvalidArgument (bad scope or ttl).
  Result<std::string> IssueToken(std::string_view user, const std::vector<Role>& roles,
                                 const std::vector<std::string>& scopes, std::chrono::seconds ttl);
  // Revokes by token id (or by the whole token text). kNotFound if no such token.
  Status RevokeToken(std::string_view token_id);
  // Tokens of `user` (all users if empty), newest first.
  std::vector<TokenInfo> ListTokens(std::string_view user = {}) const;

  // Bearer token -> principal. kUnauthenticated for malformed, unknown, expired or revoked
  // tokens and for disabled users, with the same message for all ("invalid or expired token")
  // so a caller learns nothing; constant-time comparison.
  Result<Principal> Authenticate(std::string_view bearer_token, std::int64_t now_us) const;
  // The same, returning the principal the directory keeps for the token (immutable, shared):
  // no allocation on the hot path. The server's per-request call.
  Result<std::shared_ptr<const Principal>> AuthenticateShared(std::string_view bearer_token,
                                                              std::int64_t now_us) const;

  // Re-reads users and tokens from the file if another connection changed it. Authenticate
  // calls this at most once per second; tests and tools may call it directly.
  Status Refresh() const;

 private:
  struct TokenEntry {
    std::uint8_t hash[32];
    std::string user;
    std::vector<Role> roles;
    std::vector<std::string> scopes;
    std::int64_t created_us = 0;
    std::int64_t expires_us = 0;
    bool revoked = false;
    // Built from the token and its user whenever either changes; null if the user is missing
    // or disabled or no longer holds any of the token's roles.
    std::shared_ptr<const Principal> principal;
  };
  Directory() = default;
  // Rebuilds entry.principal from users_ (caller holds mu_ exclusively).
  void BindLocked(const std::string& id, TokenEntry& entry) const;
  Status LoadLocked() const;  // caller holds mu_ exclusively
  Result<std::int64_t> DataVersionLocked() const;

  mutable std::shared_mutex mu_;
  sqlite3* db_ = nullptr;
  mutable std::unordered_map<std::string, User> users_;
  mutable std::unordered_map<std::string, TokenEntry> tokens_;  // by token id
  mutable std::int64_t data_version_ = -1;
  mutable std::atomic<std::int64_t> last_refresh_us_{0};
  mutable std::atomic<std::int64_t> last_miss_refresh_us_{0};  // refresh on an unknown token
};

}  // namespace entente::identity
