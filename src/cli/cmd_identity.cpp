// `entente user ...`, `entente token ...`, `entente trust ...`: the node's users and API tokens
// (HOME/identity.db) and the federation trust list (a signed JSON file). docs/IDENTITY.md.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/keys.h"
#include "entente/identity/identity.h"
#include "node_home.h"

namespace entente::cli {
namespace {

namespace id = identity;

std::string DirectoryPath(const std::string& home) { return home + "/identity.db"; }

Result<std::unique_ptr<id::Directory>> OpenDirectory(const std::string& home) {
  std::error_code ec;
  if (!std::filesystem::is_directory(home, ec)) {
    return Status::NotFound("no node at '" + home + "': run `entente --home " + home +
                            " init` first");
  }
  return id::Directory::Open(DirectoryPath(home));
}

Result<std::vector<id::Role>> ParseRoles(const std::vector<std::string>& names) {
  std::vector<id::Role> roles;
  for (const std::string& n : names) {
    ENTENTE_ASSIGN_OR_RETURN(id::Role r, id::ParseRole(n));
    roles.push_back(r);
  }
  return roles;
}

std::string RoleList(const std::vector<id::Role>& roles) {
  std::string out;
  for (id::Role r : roles) out += (out.empty() ? "" : ",") + std::string(id::RoleName(r));
  return out;
}

json::Value JsonList(const std::vector<std::string>& items) {
  json::Value a = json::Value::MakeArray();
  for (const std::string& s : items) a.push_back(s);
  return a;
}

json::Value JsonRoles(const std::vector<id::Role>& roles) {
  json::Value a = json::Value::MakeArray();
  for (id::Role r : roles) a.push_back(id::RoleName(r));
  return a;
}

// "30d", "12h", "15m", "90s" or a plain number of seconds.
Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  if (text.empty() || text.size() > 12) {
    return Status::InvalidArgument("duration '" + text + "': expected e.g. 30d, 12h, 15m, 90s");
  }
  std::int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 's':
      digits.pop_back();
      break;
    default:
      break;
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("duration '" + text + "': expected e.g. 30d, 12h, 15m, 90s");
  }
  return std::chrono::seconds(std::stoll(digits) * unit);
}

std::string FormatMicros(std::int64_t us) { return FormatTimestamp(Timestamp::FromMicros(us), 0); }

// --- users ---------------------------------------------------------------------------------

struct UserOptions {
  std::string name, org, state, identity;
  std::vector<std::string> roles;
  bool disable = false, enable = false;
};

void SetupUserAdd(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<UserOptions>();
  CLI::App* app = parent.add_subcommand("add", "Add a user of this node");
  app->add_option("name", o->name, "User name (A-Z a-z 0-9 . _ @ -)")->required();
  app->add_option("--role", o->roles, "reader, analyst, authority or admin (repeatable)")
      ->required();
  app->add_option("--org", o->org, "STIX identity id of the user's organisation")->required();
  app->add_option("--state", o->state, "ISO 3166-1 alpha-2 member state, or EU")->required();
  app->add_option("--identity", o->identity, "The user's STIX identity id (made if absent)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      id::User u;
      u.name = o->name;
      u.organization_ref = o->org;
      u.member_state = o->state;
      u.identity_ref = o->identity;
      ENTENTE_ASSIGN_OR_RETURN(u.roles, ParseRoles(o->roles));
      ENTENTE_ASSIGN_OR_RETURN(id::User added, dir->AddUser(std::move(u)));
      if (global.json) {
        json::Value v = json::Value::MakeObject();
        v.set("name", added.name);
        v.set("identity_ref", added.identity_ref);
        v.set("organization_ref", added.organization_ref);
        v.set("member_state", added.member_state);
        v.set("roles", JsonRoles(added.roles));
        std::printf("%s\n", v.Serialize().c_str());
      } else {
        std::printf("added user %s (%s, %s, roles %s)\n", added.name.c_str(),
                    added.identity_ref.c_str(), added.member_state.c_str(),
                    RoleList(added.roles).c_str());
      }
      return Status::Ok();
    });
  });
}

void SetupUserList(CLI::App& parent, GlobalOptions& global, auto run) {
  CLI::App* app = parent.add_subcommand("list", "List the users of this node");
  app->callback([&global, run] {
    run([&global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      json::Value all = json::Value::MakeArray();
      for (const id::User& u : dir->ListUsers()) {
        if (global.json) {
          json::Value v = json::Value::MakeObject();
          v.set("name", u.name);
          v.set("identity_ref", u.identity_ref);
          v.set("organization_ref", u.organization_ref);
          v.set("member_state", u.member_state);
          v.set("roles", JsonRoles(u.roles));
          v.set("created", FormatMicros(u.created_us));
          v.set("disabled", u.disabled);
          all.push_back(std::move(v));
        } else {
          std::printf("%-20s %-2s %-28s %s %s%s\n", u.name.c_str(), u.member_state.c_str(),
                      RoleList(u.roles).c_str(), u.organization_ref.c_str(), u.identity_ref.c_str(),
                      u.disabled ? " (disabled)" : "");
        }
      }
      if (global.json) std::printf("%s\n", all.Serialize().c_str());
      return Status::Ok();
    });
  });
}

void SetupUserDisable(CLI::App& parent, GlobalOptions& global, auto run, bool disable) {
  auto o = std::make_shared<UserOptions>();
  CLI::App* app = parent.add_subcommand(
      disable ? "disable" : "enable",
      disable ? "Disable a user: their tokens stop working" : "Re-enable a disabled user");
  app->add_option("name", o->name, "User name")->required();
  app->callback([o, &global, run, disable] {
    run([o, &global, disable]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      ENTENTE_RETURN_IF_ERROR(dir->SetUserDisabled(o->name, disable));
      if (!global.json) {
        std::printf("%s user %s\n", disable ? "disabled" : "enabled", o->name.c_str());
      }
      return Status::Ok();
    });
  });
}

const CommandRegistration kUser("user", "Users of this node: add, list, disable, enable",
                                [](CLI::App& app, GlobalOptions& global, auto run) {
                                  app.require_subcommand(1);
                                  SetupUserAdd(app, global, run);
                                  SetupUserList(app, global, run);
                                  SetupUserDisable(app, global, run, true);
                                  SetupUserDisable(app, global, run, false);
                                });

// --- tokens --------------------------------------------------------------------------------

struct TokenOptions {
  std::string user, id, ttl = "30d";
  std::vector<std::string> roles, scopes;
};

void SetupTokenIssue(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* app = parent.add_subcommand("issue", "Issue an API token (the secret is shown once)");
  app->add_option("user", o->user, "User name")->required();
  app->add_option("--role", o->roles, "Role the token carries (repeatable; ⊆ the user's)")
      ->required();
  app->add_option("--scope", o->scopes, "Collection scope (repeatable; '*' for all)")->required();
  app->add_option("--ttl", o->ttl, "Lifetime: 30d, 12h, 15m, 90s (default 30d)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      ENTENTE_ASSIGN_OR_RETURN(std::vector<id::Role> roles, ParseRoles(o->roles));
      ENTENTE_ASSIGN_OR_RETURN(std::chrono::seconds ttl, ParseDuration(o->ttl));
      ENTENTE_ASSIGN_OR_RETURN(std::string token, dir->IssueToken(o->user, roles, o->scopes, ttl));
      std::string token_id = id::TokenIdOf(token).value();
      if (global.json) {
        json::Value v = json::Value::MakeObject();
        v.set("id", token_id);
        v.set("token", token);
        v.set("user", o->user);
        v.set("expires",
              FormatTimestamp(Timestamp::FromMicros(Now().micros() + ttl.count() * 1'000'000), 0));
        std::string text = v.Serialize();
        std::printf("%s\n", text.c_str());
        SecureWipe(text.data(), text.size());
      } else {
        std::printf("token id %s for %s, valid %s\n%s\n", token_id.c_str(), o->user.c_str(),
                    o->ttl.c_str(), token.c_str());
        std::fprintf(stderr, "the token is shown once; it is stored only as a hash\n");
      }
      SecureWipe(token.data(), token.size());
      return Status::Ok();
    });
  });
}

void SetupTokenRevoke(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* app = parent.add_subcommand("revoke", "Revoke a token by its id");
  app->add_option("id", o->id, "Token id (16 hex digits)")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      ENTENTE_RETURN_IF_ERROR(dir->RevokeToken(o->id));
      if (!global.json) std::printf("revoked token %s\n", o->id.c_str());
      return Status::Ok();
    });
  });
}

void SetupTokenList(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TokenOptions>();
  CLI::App* app = parent.add_subcommand("list", "List tokens (never their secrets)");
  app->add_option("user", o->user, "Only this user's tokens");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto dir, OpenDirectory(global.home));
      json::Value all = json::Value::MakeArray();
      for (const id::TokenInfo& t : dir->ListTokens(o->user)) {
        if (global.json) {
          json::Value v = json::Value::MakeObject();
          v.set("id", t.id);
          v.set("user", t.user);
          v.set("roles", JsonRoles(t.roles));
          v.set("scopes", JsonList(t.scopes));
          v.set("created", FormatMicros(t.created_us));
          v.set("expires", FormatMicros(t.expires_us));
          v.set("revoked", t.revoked);
          all.push_back(std::move(v));
        } else {
          std::string scopes;
          for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
          std::printf("%s %-16s %-24s %-24s expires %s%s\n", t.id.c_str(), t.user.c_str(),
                      RoleList(t.roles).c_str(), scopes.c_str(), FormatMicros(t.expires_us).c_str(),
                      t.revoked ? " (revoked)" : "");
        }
      }
      if (global.json) std::printf("%s\n", all.Serialize().c_str());
      return Status::Ok();
    });
  });
}

const CommandRegistration kToken("token", "API tokens of this node's users: issue, revoke, list",
                                 [](CLI::App& app, GlobalOptions& global, auto run) {
                                   app.require_subcommand(1);
                                   SetupTokenIssue(app, global, run);
                                   SetupTokenRevoke(app, global, run);
                                   SetupTokenList(app, global, run);
                                 });

// --- trust list ----------------------------------------------------------------------------

struct TrustOptions {
  std::string file, org, state = "EU", node_id, endpoint, key, pass_file, valid = "30d";
  std::uint64_t sequence = 1, min_sequence = 0;
};

Result<std::string> ReadText(const std::string& path) {
  return crypto::keys::ReadSmallFile(path, id::kMaxTrustListBytes);
}

Status WriteText(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text << '\n';
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot replace " + path + ": " + ec.message());
  return Status::Ok();
}

Result<id::TrustList> LoadList(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  auto list = id::ParseTrustList(text);
  if (!list.ok()) return list.status().WithContext(path);
  return list;
}

void PrintList(const id::TrustList& l, bool json, bool verified) {
  if (json) {
    json::Value v = json::Value::MakeObject();
    v.set("verified", verified);
    v.set("sequence", static_cast<std::uint64_t>(l.sequence));
    v.set("issued", FormatTimestamp(l.issued, 3));
    v.set("next_update", FormatTimestamp(l.next_update, 3));
    v.set("issuer", l.issuer.node_id);
    v.set("signed", !l.signature.empty());
    json::Value members = json::Value::MakeArray();
    for (const id::TrustMember& m : l.members) {
      json::Value mv = json::Value::MakeObject();
      mv.set("member_state", m.member_state);
      mv.set("node_id", m.node_id);
      mv.set("organization_ref", m.organization_ref);
      mv.set("endpoint", m.endpoint);
      members.push_back(std::move(mv));
    }
    v.set("members", std::move(members));
    std::printf("%s\n", v.Serialize().c_str());
    return;
  }
  std::printf(
      "trust list #%llu by %s (%s), issued %s, next update %s, %s\n",
      static_cast<unsigned long long>(l.sequence), l.issuer.node_id.c_str(),
      l.issuer.member_state.c_str(), FormatTimestamp(l.issued, 0).c_str(),
      FormatTimestamp(l.next_update, 0).c_str(),
      verified ? "signature verified" : (l.signature.empty() ? "unsigned" : "NOT verified"));
  for (const id::TrustMember& m : l.members) {
    std::printf("  %s %-20s %s %s\n", m.member_state.c_str(), m.node_id.c_str(), m.endpoint.c_str(),
                m.organization_ref.c_str());
  }
}

void SetupTrustCreate(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* app = parent.add_subcommand("create", "Start an unsigned trust list (issuer side)");
  app->add_option("file", o->file, "Trust list file to write")->required();
  app->add_option("--key", o->key, "The issuer's public key file (.pub)")->required();
  app->add_option("--org", o->org, "STIX identity id of the issuing organisation")->required();
  app->add_option("--node-id", o->node_id, "Node id of the issuer")->required();
  app->add_option("--state", o->state, "Member state of the issuer (default EU)");
  app->add_option("--sequence", o->sequence, "Sequence number (higher than the last list)")
      ->required();
  app->add_option("--valid", o->valid, "Time until next_update (default 30d)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(crypto::keys::PublicIdentity pub, LoadPublicKey(o->key));
      ENTENTE_ASSIGN_OR_RETURN(std::chrono::seconds valid, ParseDuration(o->valid));
      id::TrustList l;
      l.sequence = o->sequence;
      l.issued = Now();
      l.next_update = {l.issued.nanos + valid.count() * 1'000'000'000};
      l.issuer = {o->state, o->org, o->node_id, pub.sig_suite, pub.sig_public_key};
      ENTENTE_ASSIGN_OR_RETURN(std::string text, id::EncodeTrustList(l));
      ENTENTE_RETURN_IF_ERROR(WriteText(o->file, text));
      PrintList(l, global.json, false);
      return Status::Ok();
    });
  });
}

void SetupTrustAddMember(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* app = parent.add_subcommand(
      "add-member", "Add a member node to a trust list (drops any signature: sign again)");
  app->add_option("file", o->file, "Trust list file")->required();
  app->add_option("--key", o->key, "The member node's public key file (.pub)")->required();
  app->add_option("--org", o->org, "STIX identity id of the member's organisation")->required();
  app->add_option("--node-id", o->node_id, "Node id of the member")->required();
  app->add_option("--state", o->state, "Member state (ISO 3166-1 alpha-2)")->required();
  app->add_option("--endpoint", o->endpoint, "https:// URL of the member node")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(id::TrustList l, LoadList(o->file));
      ENTENTE_ASSIGN_OR_RETURN(crypto::keys::PublicIdentity pub, LoadPublicKey(o->key));
      id::TrustMember m;
      m.member_state = o->state;
      m.organization_ref = o->org;
      m.node_id = o->node_id;
      m.endpoint = o->endpoint;
      m.sig_suite = pub.sig_suite;
      m.sig_public_key = pub.sig_public_key;
      m.kem_suite = pub.kem_suite;
      m.kem_public_key = pub.kem_public_key;
      l.members.push_back(std::move(m));
      l.signature.clear();
      ENTENTE_ASSIGN_OR_RETURN(std::string text, id::EncodeTrustList(l));
      ENTENTE_RETURN_IF_ERROR(WriteText(o->file, text));
      PrintList(l, global.json, false);
      return Status::Ok();
    });
  });
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

void SetupTrustSign(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* app = parent.add_subcommand("sign", "Sign a trust list with the issuer's key");
  app->add_option("file", o->file, "Trust list file (signed in place)")->required();
  app->add_option("--key", o->key, "The issuer's private key file (.key)")->required();
  app->add_option("--passphrase-file", o->pass_file,
                  "File with the passphrase (else $ENTENTE_PASSPHRASE)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(id::TrustList l, LoadList(o->file));
      ENTENTE_ASSIGN_OR_RETURN(std::string key_text, crypto::keys::ReadSmallFile(o->key));
      ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase(o->pass_file));
      auto identity = crypto::keys::DecryptKeyFile(key_text, pass.view());
      if (!identity.ok()) return identity.status().WithContext(o->key);
      ENTENTE_ASSIGN_OR_RETURN(auto sig_key, identity->SigKey());
      ENTENTE_RETURN_IF_ERROR(id::SignTrustList(l, *sig_key));
      ENTENTE_ASSIGN_OR_RETURN(std::string text, id::EncodeTrustList(l));
      ENTENTE_RETURN_IF_ERROR(WriteText(o->file, text));
      PrintList(l, global.json, false);
      return Status::Ok();
    });
  });
}

void SetupTrustVerify(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* app = parent.add_subcommand(
      "verify", "Verify a trust list: issuer signature, dates, sequence, duplicates");
  app->add_option("file", o->file, "Trust list file")->required();
  app->add_option("--issuer", o->key, "The issuer's public key file (.pub), pinned")->required();
  app->add_option("--min-sequence", o->min_sequence,
                  "Sequence of the last accepted list (refuses a rollback below it)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadText(o->file));
      ENTENTE_ASSIGN_OR_RETURN(crypto::keys::PublicIdentity pub, LoadPublicKey(o->key));
      id::TrustVerifyOptions options;
      options.now = Now();
      options.min_sequence = o->min_sequence;
      auto l = id::VerifyTrustList(text, pub.sig_suite, pub.sig_public_key, options);
      if (!l.ok()) return l.status().WithContext(o->file);
      PrintList(*l, global.json, true);
      return Status::Ok();
    });
  });
}

void SetupTrustShow(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<TrustOptions>();
  CLI::App* app = parent.add_subcommand("show", "Print a trust list (without verifying it)");
  app->add_option("file", o->file, "Trust list file")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(id::TrustList l, LoadList(o->file));
      PrintList(l, global.json, false);
      return Status::Ok();
    });
  });
}

const CommandRegistration kTrust("trust",
                                 "Federation trust list: create, add-member, sign, verify, show",
                                 [](CLI::App& app, GlobalOptions& global, auto run) {
                                   app.require_subcommand(1);
                                   SetupTrustCreate(app, global, run);
                                   SetupTrustAddMember(app, global, run);
                                   SetupTrustSign(app, global, run);
                                   SetupTrustVerify(app, global, run);
                                   SetupTrustShow(app, global, run);
                                 });

}  // namespace
}  // namespace entente::cli
