// `entente peer trust|add|list|remove|sync`: the federation peers of this node, and the
// federation part of `entente serve` (serve_federation.h). docs/FEDERATION.md.
//
// HOME/federation/trust-list.json   the signed trust list (verified on every load)
// HOME/federation/issuer.pub        the pinned public key of the list's issuer
// HOME/federation/state.db          node id, peers and their tokens (mode 0600), cursors,
//                                   origins, peers' tree heads (federation/state.h)
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "command.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/keys.h"
#include "entente/federation/federation.h"
#include "entente/federation/page.h"
#include "entente/federation/state.h"
#include "entente/identity/trust_list.h"
#include "entente/ledger/ledger.h"
#include "node_home.h"
#include "serve_federation.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;
namespace fed = entente::federation;

std::string FedDir(const std::string& home) { return home + "/federation"; }

Result<std::unique_ptr<fed::StateDb>> OpenState(const std::string& home) {
  std::error_code ec;
  fs::create_directories(FedDir(home), ec);
  if (ec) return Status::IoError("cannot create " + FedDir(home) + ": " + ec.message());
  fs::permissions(FedDir(home), fs::perms::owner_all, ec);
  return fed::StateDb::Open(FedDir(home) + "/state.db");
}

std::uint64_t ParseU64(const std::string& s) {
  return s.empty() ? 0 : std::strtoull(s.c_str(), nullptr, 10);
}

// The trust list in the node home, verified against the pinned issuer key and the last
// accepted sequence (a rollback is refused).
Result<identity::TrustList> LoadTrust(const std::string& home, fed::StateDb& db,
                                      const std::string& list_path = {},
                                      const std::string& issuer_path = {}) {
  std::string lp = list_path.empty() ? FedDir(home) + "/trust-list.json" : list_path;
  std::string ip = issuer_path.empty() ? FedDir(home) + "/issuer.pub" : issuer_path;
  if (!fs::exists(lp)) {
    return Status::NotFound(
        "no trust list: run `entente peer trust LIST --issuer KEY.pub "
        "--node-id ID` first");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::string text,
                           crypto::keys::ReadSmallFile(lp, identity::kMaxTrustListBytes));
  ENTENTE_ASSIGN_OR_RETURN(crypto::keys::PublicIdentity issuer, LoadPublicKey(ip));
  ENTENTE_ASSIGN_OR_RETURN(std::string seq, db.Setting("trust_sequence"));
  identity::TrustVerifyOptions vo;
  vo.now = Now();
  vo.min_sequence = ParseU64(seq);
  auto list = identity::VerifyTrustList(text, issuer.sig_suite, issuer.sig_public_key, vo);
  if (!list.ok()) return list.status().WithContext(lp);
  return list;
}

// The node's key pair (HOME/keys/node.key), unlocked with $ENTENTE_PASSPHRASE or the file
// named by $ENTENTE_PASSPHRASE_FILE, as `entente serve` does for its tree heads.
Result<crypto::keys::Identity> LoadNodeKeys(const std::string& home) {
  std::string path = home + "/keys/node.key";
  if (!fs::exists(path)) return Status::NotFound("no node key " + path + " (entente keygen)");
  const char* file = std::getenv("ENTENTE_PASSPHRASE_FILE");
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass,
                           Passphrase(std::getenv("ENTENTE_PASSPHRASE") || !file ? "" : file));
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
  return crypto::keys::DecryptKeyFile(text, pass.view());
}

Result<fed::LocalNode> LoadLocal(const std::string& home, fed::StateDb& db) {
  fed::LocalNode local;
  ENTENTE_ASSIGN_OR_RETURN(local.node_id, db.Setting("node_id"));
  ENTENTE_ASSIGN_OR_RETURN(local.trust, LoadTrust(home, db));
  ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity keys, LoadNodeKeys(home));
  ENTENTE_ASSIGN_OR_RETURN(auto sig, keys.SigKey());
  ENTENTE_ASSIGN_OR_RETURN(auto kem, keys.KemKey());
  local.sig_key = std::move(sig);
  local.kem_key = std::move(kem);
  ENTENTE_RETURN_IF_ERROR(db.SetSetting("trust_sequence", std::to_string(local.trust.sequence)));
  return local;
}

Status CopyFile(const std::string& from, const std::string& to, std::size_t limit) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(from, limit));
  std::string tmp = to + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, to, ec);
  if (ec) return Status::IoError("cannot replace " + to + ": " + ec.message());
  return Status::Ok();
}

// "512M", "20G", "1048576": bytes, with an optional K/M/G/T suffix (powers of 1024).
Result<std::uint64_t> ParseByteSize(const std::string& text, std::string_view what) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = std::string_view(text).substr(digits);
  int shift = unit.empty()                 ? 0
              : unit == "K" || unit == "k" ? 10
              : unit == "M" || unit == "m" ? 20
              : unit == "G" || unit == "g" ? 30
              : unit == "T" || unit == "t" ? 40
                                           : -1;
  if (digits == 0 || digits > 15 || shift < 0) {
    return Status::InvalidArgument(std::string(what) + ": '" + text +
                                   "' is not a size (digits, then K, M, G or T)");
  }
  std::uint64_t n = std::strtoull(text.substr(0, digits).c_str(), nullptr, 10);
  if (n > (UINT64_MAX >> shift)) return Status::InvalidArgument(std::string(what) + ": too large");
  return n << shift;
}

struct PeerOptions {
  std::string list, issuer, node_id, token, token_file, ca, quota, endpoint;
  std::vector<std::string> peers;
};

void SetupTrust(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<PeerOptions>();
  CLI::App* app = parent.add_subcommand(
      "trust", "Install the signed trust list and this node's id in it (verified first)");
  app->add_option("list", o->list, "Trust list file (signed)")->required();
  app->add_option("--issuer", o->issuer, "The issuer's public key (.pub), pinned")->required();
  app->add_option("--node-id", o->node_id, "This node's id in the list")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(global.home));
      ENTENTE_ASSIGN_OR_RETURN(identity::TrustList list,
                               LoadTrust(global.home, *db, o->list, o->issuer));
      if (list.FindNode(o->node_id) == nullptr) {
        return Status::NotFound("node '" + o->node_id + "' is not a member of " + o->list);
      }
      ENTENTE_RETURN_IF_ERROR(CopyFile(o->issuer, FedDir(global.home) + "/issuer.pub", 64 * 1024));
      ENTENTE_RETURN_IF_ERROR(CopyFile(o->list, FedDir(global.home) + "/trust-list.json",
                                       identity::kMaxTrustListBytes));
      ENTENTE_RETURN_IF_ERROR(db->SetSetting("node_id", o->node_id));
      ENTENTE_RETURN_IF_ERROR(db->SetSetting("trust_sequence", std::to_string(list.sequence)));
      if (global.json) {
        std::printf("{\"node_id\":\"%s\",\"sequence\":%llu,\"members\":%zu}\n", o->node_id.c_str(),
                    static_cast<unsigned long long>(list.sequence), list.members.size());
      } else {
        std::printf("trust list #%llu installed: %zu members; this node is %s\n",
                    static_cast<unsigned long long>(list.sequence), list.members.size(),
                    o->node_id.c_str());
      }
      return Status::Ok();
    });
  });
}

void SetupAdd(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<PeerOptions>();
  CLI::App* app = parent.add_subcommand(
      "add", "Add (or update) a peer named in the trust list, with the token it issued us");
  app->add_option("node_id", o->node_id, "The peer's node id in the trust list")->required();
  app->add_option("--token-file", o->token_file,
                  "File whose first line is the bearer token the peer issued to this node "
                  "(else $ENTENTE_PEER_TOKEN)");
  app->add_option("--ca", o->ca, "The peer's TLS certificate or CA (PEM); default: system roots");
  app->add_option("--endpoint", o->endpoint,
                  "Reach the peer here instead of the trust list's endpoint (https URL: a "
                  "private link, a forwarding proxy); TLS and signatures are checked the same");
  app->add_option("--quota", o->quota,
                  "Most bytes of objects stored from this peer (e.g. 20G; suffixes K M G T, "
                  "powers of 1024); default: $ENTENTE_FEDERATION_PEER_QUOTA, else none");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(global.home));
      ENTENTE_ASSIGN_OR_RETURN(identity::TrustList list, LoadTrust(global.home, *db));
      ENTENTE_ASSIGN_OR_RETURN(std::string self, db->Setting("node_id"));
      const identity::TrustMember* m = list.FindNode(o->node_id);
      if (m == nullptr) {
        return Status::PermissionDenied("'" + o->node_id +
                                        "' is not in the verified trust list: not trusted");
      }
      if (o->node_id == self) return Status::InvalidArgument("a node does not peer with itself");
      fed::PeerRecord p;
      p.node_id = o->node_id;
      if (!o->quota.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(p.quota, ParseByteSize(o->quota, "--quota"));
      }
      if (!o->endpoint.empty()) {
        if (o->endpoint.rfind("https://", 0) != 0 || o->endpoint.back() != '/' ||
            o->endpoint.size() > 2048) {
          return Status::InvalidArgument("--endpoint: an https:// URL ending in '/'");
        }
        p.endpoint = o->endpoint;
      }
      if (!o->token_file.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(p.token, crypto::keys::ReadSmallFile(o->token_file, 4096));
        while (!p.token.empty() && (p.token.back() == '\n' || p.token.back() == '\r')) {
          p.token.pop_back();
        }
      } else if (const char* env = std::getenv("ENTENTE_PEER_TOKEN")) {
        p.token = env;
      }
      if (p.token.empty()) {
        return Status::InvalidArgument(
            "a token is needed: --token-file FILE or "
            "$ENTENTE_PEER_TOKEN");
      }
      if (!o->ca.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(p.ca_pem, crypto::keys::ReadSmallFile(o->ca, 256 * 1024));
      }
      ENTENTE_RETURN_IF_ERROR(db->PutPeer(p));
      SecureWipe(p.token.data(), p.token.size());
      std::printf(global.json ? "{\"added\":\"%s\",\"endpoint\":\"%s\"}\n" : "peer %s added (%s)\n",
                  o->node_id.c_str(),
                  p.endpoint.empty() ? m->endpoint.c_str() : p.endpoint.c_str());
      return Status::Ok();
    });
  });
}

void SetupRemove(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<PeerOptions>();
  CLI::App* app = parent.add_subcommand("remove", "Forget a peer (its token, cursor and head)");
  app->add_option("node_id", o->node_id, "The peer's node id")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(global.home));
      ENTENTE_RETURN_IF_ERROR(db->RemovePeer(o->node_id));
      std::printf(global.json ? "{\"removed\":\"%s\"}\n" : "peer %s removed\n", o->node_id.c_str());
      return Status::Ok();
    });
  });
}

void SetupList(CLI::App& parent, GlobalOptions& global, auto run) {
  CLI::App* app = parent.add_subcommand("list", "Peers: trust, cursor, last sync, last error");
  app->callback([&global, run] {
    run([&global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(global.home));
      ENTENTE_ASSIGN_OR_RETURN(auto peers, db->Peers());
      auto list = LoadTrust(global.home, *db);
      json::Value out = json::Value::MakeArray();
      for (const auto& p : peers) {
        const identity::TrustMember* m = list.ok() ? list->FindNode(p.node_id) : nullptr;
        ENTENTE_ASSIGN_OR_RETURN(std::int64_t cursor, db->Cursor(p.node_id, fed::kFeed));
        json::Value v = json::Value::MakeObject();
        v.set("node_id", p.node_id);
        v.set("trusted", m != nullptr);
        // Where this node reaches the peer: its override, else the trust list's endpoint.
        v.set("endpoint", !p.endpoint.empty() ? p.endpoint : m ? m->endpoint : std::string());
        v.set("member_state", m ? m->member_state : std::string());
        v.set("cursor", cursor);
        v.set("pages", p.pages);
        v.set("objects", p.objects);
        v.set("refused_pages", p.refused);
        v.set("rejected_objects", p.rejected);
        v.set("bytes", p.bytes);
        v.set("quota", p.quota);
        v.set("last_sync", p.last_sync);
        v.set("last_error", p.last_error);
        v.set("last_error_at", p.last_error_at);
        out.push_back(std::move(v));
      }
      if (global.json) {
        std::printf("%s\n", out.Serialize().c_str());
        return Status::Ok();
      }
      if (!list.ok()) std::printf("trust list: %s\n", list.status().message().c_str());
      for (const auto& v : out.array()) {
        std::printf(
            "%-20s %-8s %s  objects %s (%s bytes, quota %s), pages %s, refused %s, last sync "
            "%s\n",
            v.find("node_id")->str().c_str(),
            v.find("trusted")->boolean() ? "trusted" : "UNTRUSTED",
            v.find("endpoint")->str().c_str(), v.find("objects")->Serialize().c_str(),
            v.find("bytes")->Serialize().c_str(),
            v.find("quota")->Serialize() == "0" ? "default" : v.find("quota")->Serialize().c_str(),
            v.find("pages")->Serialize().c_str(), v.find("refused_pages")->Serialize().c_str(),
            v.find("last_sync")->str().empty() ? "never" : v.find("last_sync")->str().c_str());
        if (!v.find("last_error")->str().empty()) {
          std::printf("%20s last error at %s: %s\n", "", v.find("last_error_at")->str().c_str(),
                      v.find("last_error")->str().c_str());
        }
      }
      return Status::Ok();
    });
  });
}

void SetupSync(CLI::App& parent, GlobalOptions& global, auto run) {
  auto o = std::make_shared<PeerOptions>();
  CLI::App* app = parent.add_subcommand(
      "sync", "Pull now from peers (all, or those named) while the node is not serving");
  app->add_option("peers", o->peers, "Peer node ids (default: every peer)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(global.home));
      ENTENTE_ASSIGN_OR_RETURN(fed::LocalNode local, LoadLocal(global.home, *db));
      ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home));
      auto log = ledger::Ledger::Open(global.home + "/ledger.log");
      if (!log.ok() && log.status().code() == ErrorCode::kUnavailable) {
        return Status::Unavailable(
            "the node is serving (its transparency log is locked): the server syncs in the "
            "background; `entente peer sync` is for a stopped node");
      }
      if (!log.ok()) return log.status();
      ledger::Ledger* ledger_ptr = log->get();
      fed::FederationOptions fo;
      fo.on_receipts = [ledger_ptr](const std::vector<ledger::Entry>& entries) {
        if (auto r = ledger_ptr->AppendBatch(entries); !r.ok()) {
          std::fprintf(stderr, "ledger append failed: %s\n", r.status().message().c_str());
        }
      };
      ENTENTE_ASSIGN_OR_RETURN(auto federation,
                               fed::Federation::Create(*store, *db, std::move(local), fo));
      std::vector<std::string> ids = o->peers;
      if (ids.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(auto peers, db->Peers());
        for (const auto& p : peers) ids.push_back(p.node_id);
      }
      Status first = Status::Ok();
      json::Value out = json::Value::MakeArray();
      for (const auto& id : ids) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = federation->SyncPeer(id);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        json::Value v = json::Value::MakeObject();
        v.set("peer", id);
        if (r.ok()) {
          Status head = federation->CheckHead(id);
          v.set("pages", r->pages);
          v.set("received", r->received);
          v.set("added", r->added);
          v.set("duplicates", r->duplicates);
          v.set("rejected", r->rejected);
          v.set("sealed_stored", r->sealed_stored);
          v.set("opened", r->opened);
          v.set("bytes", r->bytes);
          v.set("ms", static_cast<std::int64_t>(ms));
          v.set("head", head.ok() ? std::string("consistent") : head.message());
          if (!head.ok() && head.code() != ErrorCode::kUnavailable && first.ok()) first = head;
        } else {
          v.set("error", r.status().message());
          if (first.ok()) first = r.status();
        }
        out.push_back(std::move(v));
      }
      if (global.json) {
        std::printf("%s\n", out.Serialize().c_str());
      } else {
        for (const auto& v : out.array()) std::printf("%s\n", v.Serialize().c_str());
      }
      return first;
    });
  });
}

const CommandRegistration kPeer("peer",
                                "Federation peers: trust, add, list, remove, sync "
                                "(docs/FEDERATION.md)",
                                [](CLI::App& app, GlobalOptions& global, auto run) {
                                  app.require_subcommand(1);
                                  SetupTrust(app, global, run);
                                  SetupAdd(app, global, run);
                                  SetupList(app, global, run);
                                  SetupRemove(app, global, run);
                                  SetupSync(app, global, run);
                                });

}  // namespace

// ---- inside `entente serve` ----------------------------------------------------------------

struct NodeFederation::State {
  std::unique_ptr<fed::StateDb> db;
  std::unique_ptr<fed::Federation> federation;
};

void NodeFederation::Start() {
  if (state) state->federation->Start();
}

void NodeFederation::Stop() {
  if (state) state->federation->Stop();
}

Result<identity::TrustList> FederationTrustList(const std::string& home) {
  if (!fs::exists(FedDir(home) + "/trust-list.json")) {
    return Status::NotFound("this node is not federated (no trust list)");
  }
  ENTENTE_ASSIGN_OR_RETURN(auto db, OpenState(home));
  return LoadTrust(home, *db);
}

Result<NodeFederation> AttachFederation(const std::string& home, store::Store& store,
                                        server::ServiceOptions& options,
                                        std::chrono::milliseconds interval) {
  NodeFederation out;
  if (!fs::exists(FedDir(home) + "/trust-list.json")) return out;  // not federated
  auto state = std::make_shared<NodeFederation::State>();
  ENTENTE_ASSIGN_OR_RETURN(state->db, OpenState(home));
  auto local = LoadLocal(home, *state->db);
  if (!local.ok()) {
    // The node still serves its own users; it just does not federate until this is fixed
    // (an expired or rolled-back trust list, a node key that does not unlock).
    std::string why;
    json::AppendQuoted(why, local.status().ToString());
    std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"federation off\",\"why\":%s}\n",
                 why.c_str());
    return out;
  }
  fed::FederationOptions fo;
  fo.interval = interval;
  // Objects per page asked from peers: smaller pages commit more often (less redone after a
  // crash, less memory), larger ones go faster.
  if (const char* limit = std::getenv("ENTENTE_FEDERATION_PAGE_LIMIT")) {
    long n = std::strtol(limit, nullptr, 10);
    if (n < 1 || n > static_cast<long>(fed::kMaxPageObjects)) {
      return Status::InvalidArgument("ENTENTE_FEDERATION_PAGE_LIMIT must be 1..10000");
    }
    fo.page_limit = static_cast<std::size_t>(n);
  }
  // Disk: the node's default quota per peer, and the free space peers may never take.
  fo.data_dir = home;
  if (const char* q = std::getenv("ENTENTE_FEDERATION_PEER_QUOTA"); q && *q) {
    ENTENTE_ASSIGN_OR_RETURN(fo.peer_quota_bytes,
                             ParseByteSize(q, "ENTENTE_FEDERATION_PEER_QUOTA"));
  }
  if (const char* m = std::getenv("ENTENTE_FEDERATION_MIN_FREE"); m && *m) {
    ENTENTE_ASSIGN_OR_RETURN(fo.min_free_bytes, ParseByteSize(m, "ENTENTE_FEDERATION_MIN_FREE"));
  }
  // The list is re-read and re-verified every sync round, so `entente peer trust NEW-LIST`
  // takes effect on a serving node without a restart (and an expired list suspends federation).
  // The file is verified again when it changes, and at least once a minute (expiry).
  struct Seen {
    fs::file_time_type mtime{};
    std::uintmax_t size = 0;
    std::chrono::steady_clock::time_point verified{};
    std::optional<identity::TrustList> list;
  };
  fo.reload_trust = [home, db = state->db.get(),
                     seen = std::make_shared<Seen>()]() -> Result<identity::TrustList> {
    std::error_code ec;
    const std::string path = FedDir(home) + "/trust-list.json";
    auto mtime = fs::last_write_time(path, ec);
    auto size = ec ? 0 : fs::file_size(path, ec);
    auto now = std::chrono::steady_clock::now();
    if (!ec && seen->list && mtime == seen->mtime && size == seen->size &&
        now - seen->verified < std::chrono::minutes(1)) {
      return *seen->list;
    }
    seen->list.reset();
    ENTENTE_ASSIGN_OR_RETURN(identity::TrustList list, LoadTrust(home, *db));
    *seen = {mtime, size, now, list};
    ENTENTE_ASSIGN_OR_RETURN(std::string seq, db->Setting("trust_sequence"));
    if (ParseU64(seq) != list.sequence) {  // no rollback below it from now on
      ENTENTE_RETURN_IF_ERROR(db->SetSetting("trust_sequence", std::to_string(list.sequence)));
    }
    return list;
  };
  auto ledger_hook = options.on_events;  // appends to the transparency log
  fo.on_receipts = [ledger_hook](const std::vector<ledger::Entry>& entries) {
    if (!ledger_hook) return;
    std::vector<server::Event> events;
    events.reserve(entries.size());
    for (const auto& e : entries) {
      events.push_back({e.kind, e.actor, e.subject, e.subject_version, e.payload_hash});
    }
    ledger_hook(events);
  };
  ENTENTE_ASSIGN_OR_RETURN(state->federation,
                           fed::Federation::Create(store, *state->db, std::move(*local), fo));
  std::weak_ptr<NodeFederation::State> weak = state;
  options.on_events = [weak, ledger_hook](const std::vector<server::Event>& events) {
    if (ledger_hook) ledger_hook(events);
    if (auto s = weak.lock()) {
      for (const auto& e : events) {
        if (e.kind == "share") {
          s->federation->Changed();
          break;
        }
      }
    }
  };
  auto previous_metrics = options.extra_metrics;
  options.extra_metrics = [weak, previous_metrics] {
    std::string text = previous_metrics ? previous_metrics() : std::string();
    if (auto s = weak.lock()) text += s->federation->MetricsText();
    return text;
  };
  std::fprintf(
      stderr, "{\"level\":\"info\",\"msg\":\"federation on\",\"node\":\"%s\",\"members\":%zu}\n",
      state->federation->local().node_id.c_str(), state->federation->trust()->members.size());
  out.state = std::move(state);
  return out;
}

namespace {

std::optional<std::int64_t> IntParam(const server::RestRequest& r, std::string_view key,
                                     std::int64_t fallback) {
  auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return fallback;
  const std::string& s = it->second;
  if (s.size() > 19) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(s);
}

}  // namespace

void AddFederationRoutes(NodeFederation& federation, server::NodeService& service) {
  if (!federation.state) return;
  using server::http::verb;
  std::shared_ptr<NodeFederation::State> state = federation.state;
  auto member_of =
      [state](
          const server::RestRequest& r) -> Result<std::shared_ptr<const identity::TrustMember>> {
    auto m = state->federation->MemberByOrganization(r.caller.organization_ref);
    if (m == nullptr || m->node_id == state->federation->local().node_id) {
      return Status::PermissionDenied(
          "the caller does not speak for a member node of the "
          "federation trust list");
    }
    return m;
  };
  // GET /api/v1/federation/objects?added_after=US&limit=N: a signed page for the calling node.
  service.AddRoute(
      verb::get, "/federation/objects", server::Operation::kRead,
      [state, member_of](const server::RestRequest& r) {
        const unsigned v = r.http.version();
        auto m = member_of(r);
        if (!m.ok()) return server::RestError(m.status(), v);
        auto after = IntParam(r, "added_after", 0);
        auto limit = IntParam(r, "limit", 0);
        if (!after || !limit || *limit > 10000) {
          return server::RestError(
              Status::InvalidArgument("added_after (µs) and limit (0..10000) must "
                                      "be integers"),
              v);
        }
        auto page = state->federation->ServePage(**m, *after, static_cast<std::size_t>(*limit));
        if (!page.ok()) return server::RestError(page.status(), v);
        auto res = server::RestJson(server::http::status::ok, std::move(*page), v);
        res.set(server::http::field::content_type, "application/taxii+json;version=2.1");
        return res;
      });
  // POST /api/v1/federation/notify: the calling node has news; pull from it now.
  service.AddRoute(verb::post, "/federation/notify", server::Operation::kRead,
                   [state, member_of](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     auto m = member_of(r);
                     if (!m.ok()) return server::RestError(m.status(), v);
                     state->federation->WakePeer((*m)->node_id);
                     return server::RestJson(server::http::status::accepted, "{\"ok\":true}", v);
                   });
  // GET /api/v1/federation/status: counters and peers (no tokens), for operators.
  service.AddRoute(verb::get, "/federation/status", server::Operation::kPeerAdmin,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     json::Value out = json::Value::MakeObject();
                     out.set("node_id", state->federation->local().node_id);
                     out.set("trust_sequence", state->federation->trust()->sequence);
                     json::Value peers = json::Value::MakeArray();
                     if (auto list = state->db->Peers(); list.ok()) {
                       for (const auto& p : *list) {
                         json::Value pv = json::Value::MakeObject();
                         pv.set("node_id", p.node_id);
                         pv.set("objects", p.objects);
                         pv.set("pages", p.pages);
                         pv.set("refused_pages", p.refused);
                         pv.set("bytes", p.bytes);
                         pv.set("quota", p.quota);
                         pv.set("last_sync", p.last_sync);
                         pv.set("last_error", p.last_error);
                         peers.push_back(std::move(pv));
                       }
                     }
                     out.set("peers", std::move(peers));
                     out.set("metrics", state->federation->MetricsText());
                     return server::RestJson(server::http::status::ok, out.Serialize(), v);
                   });
}

}  // namespace entente::cli
