#include "entente/federation/federation.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <sys/statvfs.h>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/symmetric.h"
#include "entente/federation/client.h"
#include "entente/federation/distribution.h"
#include "entente/federation/page.h"
#include "entente/identity/access.h"
#include "entente/ledger/merkle.h"
#include "entente/ledger/sth.h"
#include "entente/stix/markings.h"
#include "entente/stix/validate.h"

namespace entente::federation {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  json::AppendQuoted(out, s);
  return out;
}

std::string PayloadHash(std::string_view text) {
  return "sha256:" + HexEncode(crypto::Sha256(AsBytes(text)));
}

// One verified trust list and this node's entry in it; operations hold the snapshot they began
// with.
struct TrustView {
  identity::TrustList list;
  const identity::TrustMember* self = nullptr;

  bool Expired() const { return Now().nanos >= list.next_update.nanos; }
};

Result<std::shared_ptr<const TrustView>> MakeView(identity::TrustList list,
                                                  const LocalNode& local) {
  auto view = std::make_shared<TrustView>();
  view->list = std::move(list);
  view->self = view->list.FindNode(local.node_id);
  if (view->self == nullptr) {
    return Status::NotFound("this node ('" + local.node_id +
                            "') is not a member of the trust list");
  }
  if (view->self->sig_public_key != local.sig_key->public_key()) {
    return Status::PermissionDenied("the node key is not the one the trust list names for '" +
                                    local.node_id + "'");
  }
  return std::shared_ptr<const TrustView>(std::move(view));
}

}  // namespace

struct Federation::Impl {
  store::Store& store;
  StateDb& state;
  LocalNode local;
  FederationOptions options;
  Counters counters;
  stix::Validator validator;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::set<std::string> woken;             // peers that notified us
  std::set<std::string> pending_notifies;  // peers to notify
  bool sync_pending = false;
  std::thread sync_thread, notify_thread;

  mutable std::mutex trust_mu;
  std::shared_ptr<const TrustView> trust_view;         // never null after Create
  std::string last_reload_error;                       // logged once per distinct error
  std::map<std::string, std::string> last_room_error;  // per peer, under mu

  Impl(store::Store& s, StateDb& st, LocalNode l, FederationOptions o)
      : store(s), state(st), local(std::move(l)), options(std::move(o)) {}

  std::shared_ptr<const TrustView> Trust() const {
    std::lock_guard lock(trust_mu);
    return trust_view;
  }

  // The current list, or an error while it is expired (federation suspended).
  Result<std::shared_ptr<const TrustView>> LiveTrust() const {
    auto t = Trust();
    if (t->Expired()) {
      return Status::PermissionDenied("the federation trust list (sequence " +
                                      std::to_string(t->list.sequence) + ") expired at " +
                                      FormatTimestamp(t->list.next_update, 0) +
                                      ": federation is suspended until a newer list is loaded");
    }
    return t;
  }

  Status ReplaceTrust(identity::TrustList list) {
    auto current = Trust();
    if (list.sequence < current->list.sequence) {
      return Status::PermissionDenied("trust list sequence " + std::to_string(list.sequence) +
                                      " is older than the current " +
                                      std::to_string(current->list.sequence));
    }
    ENTENTE_ASSIGN_OR_RETURN(auto view, MakeView(std::move(list), local));
    std::size_t members = view->list.members.size();
    std::uint64_t sequence = view->list.sequence;
    {
      std::lock_guard lock(trust_mu);
      trust_view = std::move(view);
    }
    Log("info", "trust list replaced", "",
        "sequence " + std::to_string(sequence) + ", " + std::to_string(members) + " members");
    return Status::Ok();
  }

  // Objects stored by another process on the same store (`entente ingest` while the node
  // serves) did not pass through Changed(): the sync thread looks for versions added after the
  // last one it saw, once a second (one probe of the date_added index), and notifies the peers.
  std::int64_t seen_added = -1;  // sync thread only
  void NoticeLocalWrites() {
    // date_added is the store's clock in µs: what is added from now on comes after this.
    if (seen_added < 0) seen_added = Now().micros();
    store::Query q;
    q.added_after_us = seen_added;
    q.versions = store::Versions::kAll;
    q.include_revoked = true;
    q.limit = 1000;
    auto page = store.Find(q);
    if (!page.ok() || page->objects.empty()) return;
    // A long ingest: skip to now rather than walk it (the peers pull from their own cursors).
    seen_added = page->more ? std::max(page->objects.back().date_added_us, Now().micros())
                            : page->objects.back().date_added_us;
    Changed({});
  }

  // The sync thread's check at the start of a round.
  void ReloadTrust() {
    if (!options.reload_trust) return;
    auto list = options.reload_trust();
    if (!list.ok()) {
      std::string why = list.status().ToString();
      if (why != last_reload_error) {
        Log("error", "trust list not reloaded: the current one stays", "", why);
        last_reload_error = why;
      }
      return;
    }
    last_reload_error.clear();
    if (list->sequence == Trust()->list.sequence) return;
    if (Status s = ReplaceTrust(std::move(*list)); !s.ok()) {
      Log("error", "trust list not replaced: the current one stays", "", s.message());
    }
  }

  void Log(std::string_view level, std::string_view msg, std::string_view peer,
           std::string_view why = {}) {
    std::string line = "{\"level\":" + Quoted(level) + ",\"msg\":" + Quoted(msg) +
                       ",\"node\":" + Quoted(local.node_id) + ",\"peer\":" + Quoted(peer);
    if (!why.empty()) line += ",\"why\":" + Quoted(why);
    line += "}";
    if (options.log) {
      options.log(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

  Result<std::unique_ptr<HttpClient>> ClientFor(const identity::TrustMember& member,
                                                const PeerRecord& peer) {
    ClientOptions co;
    co.ca_pem = peer.ca_pem;
    co.timeout = options.timeout;
    co.max_body_bytes = kMaxPageBytes;
    return HttpClient::Create(peer.endpoint.empty() ? member.endpoint : peer.endpoint, co);
  }

  static Result<const identity::TrustMember*> PeerMember(const TrustView& trust,
                                                         std::string_view node_id) {
    const identity::TrustMember* m = trust.list.FindNode(node_id);
    if (m == nullptr) {
      return Status::PermissionDenied("peer '" + std::string(node_id) +
                                      "' is not in the verified trust list");
    }
    if (m == trust.self) return Status::InvalidArgument("a node does not peer with itself");
    return m;
  }

  // ---- serving ----------------------------------------------------------------------------

  Result<std::string> ServePage(const identity::TrustMember& peer, std::int64_t added_after,
                                std::size_t limit) {
    ENTENTE_ASSIGN_OR_RETURN(auto trust, LiveTrust());
    if (peer.node_id == local.node_id) {
      return Status::InvalidArgument("a node does not serve itself");
    }
    if (trust->list.FindNode(peer.node_id) == nullptr) {
      return Status::PermissionDenied("'" + peer.node_id + "' is no longer in the trust list");
    }
    limit = std::clamp<std::size_t>(limit == 0 ? options.page_limit : limit, 1, kMaxPageObjects);
    store::Query q;
    q.added_after_us = added_after;
    q.versions = store::Versions::kAll;
    q.include_revoked = true;
    q.limit = limit;
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(q));
    std::vector<std::pair<std::string_view, std::string_view>> keys;
    keys.reserve(page.objects.size());
    for (const auto& o : page.objects) keys.emplace_back(o.id, o.version);
    ENTENTE_ASSIGN_OR_RETURN(auto prov, state.ProvenanceOf(keys));
    PageWriter writer(local.node_id, peer.node_id, added_after);
    std::size_t total = 0;
    for (const auto& o : page.objects) total += o.json.size();
    writer.Reserve(page.objects.size(), std::min(total, options.max_page_bytes));
    std::int64_t next = added_after;
    bool cut = false;
    std::uint64_t withheld = 0, sealed = 0;
    for (std::size_t i = 0; i < page.objects.size(); ++i) {
      const store::StoredObject& o = page.objects[i];
      if (writer.count() > 0 && writer.bytes() + o.json.size() > options.max_page_bytes) {
        cut = true;
        break;
      }
      next = o.date_added_us;
      const std::string& origin = prov[i].origin.empty() ? local.node_id : prov[i].origin;
      if (prov[i].from == peer.node_id || origin == peer.node_id) continue;  // no loops
      auto reach = ReachOf(o.json);
      if (!reach.ok() || *reach == Reach::kLocal ||
          (*reach == Reach::kOneHop && origin != local.node_id)) {
        ++withheld;
        continue;
      }
      if (o.type == kSealedType) {
        writer.Add(o.json, origin);  // forwarded as it is: relays cannot open it anyway
        continue;
      }
      auto label = identity::LabelOf(std::string_view(o.json));
      if (!label.ok()) {
        ++withheld;  // markings that do not parse never leave the node
        continue;
      }
      Decision d = Decide(*label, trust->list, peer);
      if (d.route == Route::kPlain) {
        writer.Add(o.json, origin);
      } else if (d.route == Route::kSealed && !o.version.empty()) {
        auto wrapped = SealObject(o.json, o.id, o.version, *label, d.recipients, local.node_id,
                                  *local.sig_key, *reach);
        if (!wrapped.ok()) {
          Log("warn", "cannot seal object for a relay", peer.node_id,
              o.id + ": " + wrapped.status().message());
          ++withheld;
          continue;
        }
        writer.Add(*wrapped, origin);
        ++sealed;
      } else {
        ++withheld;
      }
    }
    bool more = cut || page.more;
    counters.pages_served++;
    counters.objects_served += writer.count();
    counters.objects_sealed_out += sealed;
    counters.objects_withheld += withheld;
    return writer.Finish(next, more, *local.sig_key);
  }

  // ---- receiving --------------------------------------------------------------------------

  struct PageOutcome {
    std::uint64_t added = 0, duplicates = 0, rejected = 0, sealed = 0, opened = 0, bytes = 0;
    std::vector<ReceivedOrigin> origins;
    std::vector<ledger::Entry> receipts;
  };

  // Puts one object (already known to be allowed here) into the batch.
  Status PutOne(const TrustView& trust, store::WriteBatch& batch, std::string_view text,
                std::string_view origin, const identity::TrustMember& peer, PageOutcome& out,
                json::Document& doc, bool* stored_sealed) {
    *stored_sealed = false;
    ENTENTE_RETURN_IF_ERROR(doc.Parse(text));
    stix::ObjectHeader header;
    ENTENTE_RETURN_IF_ERROR(validator.Check(doc.root(), &header));
    std::string plain;  // an opened sealed object's text
    if (header.type == kSealedType) {
      ENTENTE_ASSIGN_OR_RETURN(SealedObject sealed, ParseSealed(doc.root()));
      const identity::TrustMember* by = trust.list.FindNode(sealed.sealed_by);
      if (by == nullptr) {
        return Status::PermissionDenied("sealed by '" + sealed.sealed_by +
                                        "', not in the trust list");
      }
      Result<std::string> opened = Status::NotFound("no KEM key");
      if (local.kem_key) opened = OpenSealed(sealed, *local.kem_key, *by);
      if (opened.ok()) {
        plain = std::move(*opened);
        ENTENTE_RETURN_IF_ERROR(doc.Parse(std::string_view(plain)));
        ENTENTE_RETURN_IF_ERROR(validator.Check(doc.root(), &header));
        if (header.id != sealed.sealed_ref || store::VersionOf(header) != sealed.version) {
          return Status::InvalidArgument(sealed.id + ": opened object is not " + sealed.sealed_ref +
                                         " at " + sealed.version);
        }
        text = plain;
        ++out.opened;
      } else if (opened.status().code() == ErrorCode::kNotFound) {
        *stored_sealed = true;  // relay: keep it sealed
      } else {
        return opened.status();
      }
    } else {
      ENTENTE_ASSIGN_OR_RETURN(identity::AccessLabel label, identity::LabelOf(doc.root()));
      if (!MayHoldPlain(label, *trust.self)) {
        return Status::PermissionDenied(std::string(header.id) + ": " +
                                        std::string(stix::TlpName(label.tlp)) +
                                        " sent in plaintext to a node that is not a recipient");
      }
    }
    auto put = batch.Put(header, text);
    std::string id(header.id), version(store::VersionOf(header));
    if (!put.ok()) {
      if (put.status().code() == ErrorCode::kConflict && *stored_sealed) {
        ++out.duplicates;  // the same version sealed again (fresh randomness): one is enough
        out.origins.push_back({id, version, std::string(origin)});
        return Status::Ok();
      }
      return put.status();
    }
    if (*put == store::PutOutcome::kAdded) {
      ++out.added;
      out.bytes += text.size();
      if (*stored_sealed) ++out.sealed;
      out.receipts.push_back({"receipt", FormatTimestamp(Now(), 3), peer.organization_ref, id,
                              version, PayloadHash(text)});
    } else {
      ++out.duplicates;
    }
    out.origins.push_back({id, version, std::string(origin)});
    return Status::Ok();
  }

  Status Refuse(const identity::TrustMember& peer, const Status& why) {
    counters.pages_refused++;
    Log("error", "federation page refused: nothing of it stored", peer.node_id, why.message());
    (void)state.RecordError(peer.node_id, "page refused: " + why.message(), true);
    return why;
  }

  // Whether a page of `page_bytes` may be stored from `peer`, which has `stored` bytes here.
  Status Room(const PeerRecord& peer, std::uint64_t stored, std::uint64_t page_bytes) {
    std::uint64_t quota = peer.quota != 0 ? peer.quota : options.peer_quota_bytes;
    if (quota != 0 && stored + page_bytes > quota) {
      counters.pages_over_quota++;
      return Status::LimitExceeded("quota: " + std::to_string(stored) + " bytes stored from " +
                                   peer.node_id + ", a page of " + std::to_string(page_bytes) +
                                   " would pass its quota of " + std::to_string(quota) +
                                   " (raise it with `entente peer add " + peer.node_id +
                                   " --quota SIZE`)");
    }
    if (!options.data_dir.empty()) {
      struct statvfs fs {};
      if (statvfs(options.data_dir.c_str(), &fs) == 0) {
        std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        // Twice the page: the store's write-ahead log holds it before the checkpoint.
        if (free < options.min_free_bytes + 2 * page_bytes) {
          counters.pages_no_space++;
          return Status::LimitExceeded(
              "disk: " + std::to_string(free) + " bytes free, the node keeps " +
              std::to_string(options.min_free_bytes) + " for itself; pages from peers wait");
        }
      }
    }
    return Status::Ok();
  }

  Result<SyncReport> SyncPeer(std::string_view node_id, std::size_t max_pages) {
    ENTENTE_ASSIGN_OR_RETURN(auto trust, LiveTrust());
    ENTENTE_ASSIGN_OR_RETURN(const identity::TrustMember* member, PeerMember(*trust, node_id));
    ENTENTE_ASSIGN_OR_RETURN(PeerRecord peer, state.Peer(node_id));
    ENTENTE_ASSIGN_OR_RETURN(auto client, ClientFor(*member, peer));
    SyncReport report;
    // The next page is fetched, parsed and its signature checked (on a helper thread, with the
    // same client) while this one is stored: the peer signs page k+1 and we verify it while we
    // commit page k. At most one page ahead.
    struct Fetched {
      Result<HttpResult> got = Status::Internal("not fetched");
      Result<ParsedPage> page = Status::Internal("not parsed");  // when got answered 200
    };
    auto fetch = [&client, &peer, member](std::int64_t after, std::size_t limit,
                                          std::unique_ptr<json::Document> reuse) {
      Fetched f;
      f.got = client->Get("api/v1/federation/objects?added_after=" + std::to_string(after) +
                              "&limit=" + std::to_string(limit),
                          peer.token);
      if (!f.got.ok() || f.got->status != 200) return f;
      f.page = ParsePage(std::move(f.got->body), std::move(reuse));
      if (f.page.ok()) {
        Status v = VerifyPage(*f.page, member->sig_suite, member->sig_public_key);
        if (!v.ok()) f.page = v;
      }
      return f;
    };
    std::future<Fetched> ahead;
    std::unique_ptr<json::Document> spare;  // the last page's node table, parsed into again
    std::int64_t ahead_cursor = -1;
    struct Join {  // never leave the helper running with the client
      std::future<Fetched>& f;
      ~Join() {
        if (f.valid()) f.wait();
      }
    } join{ahead};
    for (std::size_t n = 0; max_pages == 0 || n < max_pages; ++n) {
      {
        std::lock_guard lock(mu);
        if (stopping) return Status::Cancelled("stopping");
      }
      ENTENTE_ASSIGN_OR_RETURN(std::int64_t cursor, state.Cursor(node_id, kFeed));
      Fetched fetched;
      if (ahead.valid()) {
        fetched = ahead.get();
        if (ahead_cursor != cursor) {  // state moved
          fetched = fetch(cursor, options.page_limit, std::move(spare));
        }
      } else {
        fetched = fetch(cursor, options.page_limit, std::move(spare));
      }
      Result<HttpResult>& got = fetched.got;
      if (!got.ok()) {
        counters.sync_errors++;
        (void)state.RecordError(node_id, got.status().message(), false);
        return got.status();
      }
      report.bytes = client->bytes_received();
      if (got->status != 200) {
        counters.sync_errors++;
        Status st =
            Status::Unavailable("peer " + std::string(node_id) + " answered HTTP " +
                                std::to_string(got->status) + ": " + got->body.substr(0, 300));
        (void)state.RecordError(node_id, st.message(), false);
        return st;
      }
      if (!fetched.page.ok()) return Refuse(*member, fetched.page.status());  // parse, signature
      ParsedPage& page = *fetched.page;
      if (page.header.from != member->node_id || page.header.to != local.node_id ||
          page.header.added_after != cursor) {
        return Refuse(*member, Status::CryptoError("page is for " + page.header.to + " from " +
                                                   page.header.from + " after " +
                                                   std::to_string(page.header.added_after) +
                                                   ", not this request (replayed?)"));
      }
      if (page.header.more && (max_pages == 0 || n + 1 < max_pages)) {
        ahead_cursor = page.header.next;
        ahead = std::async(std::launch::async, fetch, ahead_cursor, options.page_limit,
                           std::move(spare));
      }
      PageOutcome out;
      std::uint64_t page_bytes = 0;
      for (const auto& o : page.objects) page_bytes += o.size();
      if (Status room = Room(peer, peer.bytes + report.bytes_stored, page_bytes); !room.ok()) {
        (void)state.RecordError(node_id, room.message(), false);
        bool first_time;
        {
          std::lock_guard lock(mu);
          std::string& last = last_room_error[peer.node_id];
          first_time = last != room.message();
          last = room.message();
        }
        if (first_time) Log("warn", "federation page not stored: no room", node_id, room.message());
        return room;
      }
      if (!page.objects.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(auto batch, store.BeginBatch());
        json::Document doc;
        for (std::size_t i = 0; i < page.objects.size(); ++i) {
          bool sealed = false;
          Status st =
              PutOne(*trust, *batch, page.objects[i], page.origins[i], *member, out, doc, &sealed);
          if (!st.ok()) {
            ++out.rejected;
            Log("warn", "object from peer rejected", node_id, st.message());
          }
        }
        ENTENTE_RETURN_IF_ERROR(batch->Commit());
      }
      ENTENTE_RETURN_IF_ERROR(state.CommitPage(node_id, kFeed, page.header.next, out.origins,
                                               out.added, out.rejected, out.bytes));
      report.bytes_stored += out.bytes;
      {
        std::lock_guard lock(mu);
        last_room_error.erase(peer.node_id);
      }
      if (!out.receipts.empty() && options.on_receipts) options.on_receipts(out.receipts);
      counters.pages_accepted++;
      counters.objects_added += out.added;
      counters.objects_rejected += out.rejected;
      counters.objects_sealed_in += out.sealed;
      counters.objects_opened += out.opened;
      report.pages++;
      report.received += page.objects.size();
      report.added += out.added;
      report.duplicates += out.duplicates;
      report.rejected += out.rejected;
      report.sealed_stored += out.sealed;
      report.opened += out.opened;
      if (out.added > 0) Changed(node_id);
      report.more = page.header.more;
      spare = std::move(page).ReleaseDocument();
      if (!report.more) break;
    }
    (void)state.RecordSynced(node_id);
    return report;
  }

  Status CheckHead(std::string_view node_id) {
    ENTENTE_ASSIGN_OR_RETURN(auto trust, LiveTrust());
    ENTENTE_ASSIGN_OR_RETURN(const identity::TrustMember* member, PeerMember(*trust, node_id));
    ENTENTE_ASSIGN_OR_RETURN(PeerRecord peer, state.Peer(node_id));
    ENTENTE_ASSIGN_OR_RETURN(auto client, ClientFor(*member, peer));
    counters.head_checks++;
    auto fail = [&](const Status& st) {
      counters.head_failures++;
      Log("error", "peer transparency log check failed", node_id, st.message());
      (void)state.RecordError(node_id, "tree head: " + st.message(), false);
      return st;
    };
    ENTENTE_ASSIGN_OR_RETURN(HttpResult got, client->Get("api/v1/ledger/head", peer.token));
    if (got.status != 200) {
      return Status::Unavailable("peer head: HTTP " + std::to_string(got.status));
    }
    if (got.body.find("\"signature\"") == std::string::npos) {
      return Status::Unavailable("peer " + std::string(node_id) + " serves unsigned tree heads");
    }
    auto sth = ledger::ParseSignedTreeHead(got.body);
    if (!sth.ok()) return fail(sth.status());
    if (Status v = ledger::VerifyTreeHead(*sth, member->sig_suite, member->sig_public_key);
        !v.ok()) {
      return fail(v);
    }
    ENTENTE_ASSIGN_OR_RETURN(auto old, state.Head(node_id));
    std::string root_hex = ledger::HashToHex(sth->head.root_hash);
    if (old && old->tree_size > 0) {
      if (sth->head.tree_size < old->tree_size) {
        return fail(Status::Corruption("log shrank from " + std::to_string(old->tree_size) +
                                       " to " + std::to_string(sth->head.tree_size) +
                                       " entries: history rewritten"));
      }
      ENTENTE_ASSIGN_OR_RETURN(ledger::Hash old_root, ledger::HashFromHex(old->root_hex));
      if (sth->head.tree_size == old->tree_size) {
        if (old_root != sth->head.root_hash) {
          return fail(Status::Corruption("same size, different root: history rewritten"));
        }
      } else {
        ENTENTE_ASSIGN_OR_RETURN(
            HttpResult proof_text,
            client->Get("api/v1/ledger/consistency?first=" + std::to_string(old->tree_size) +
                            "&second=" + std::to_string(sth->head.tree_size),
                        peer.token));
        auto proof = ledger::ParseConsistencyProof(proof_text.body);
        if (!proof.ok()) return fail(proof.status());
        if (!ledger::VerifyConsistency(old->tree_size, sth->head.tree_size, old_root,
                                       sth->head.root_hash, proof->path)) {
          return fail(Status::Corruption(
              "consistency proof from " + std::to_string(old->tree_size) + " to " +
              std::to_string(sth->head.tree_size) + " does not verify: history rewritten"));
        }
      }
    }
    return state.SetHead(node_id, {sth->head.tree_size, root_hex, got.body});
  }

  void Changed(std::string_view except) {
    auto peers = state.Peers();
    if (!peers.ok()) return;
    auto trust = Trust();
    {
      std::lock_guard lock(mu);
      for (const auto& p : *peers) {
        if (p.node_id != except && trust->list.FindNode(p.node_id) != nullptr) {
          pending_notifies.insert(p.node_id);
        }
      }
    }
    cv.notify_all();
  }

  // ---- background -------------------------------------------------------------------------

  void SyncLoop() {
    auto last_heads = std::chrono::steady_clock::time_point{};
    auto next_round = std::chrono::steady_clock::now();
    for (;;) {
      std::set<std::string> first;
      {
        // Between rounds, the trust list is looked at every second (a stat when unchanged), so
        // a member removed from it is refused within a second, whatever the interval.
        std::unique_lock lock(mu);
        auto work = [this] { return stopping || !woken.empty() || sync_pending; };
        auto now = std::chrono::steady_clock::now();
        if (!cv.wait_until(lock, std::min(next_round, now + std::chrono::seconds(1)), work) &&
            std::chrono::steady_clock::now() < next_round) {
          lock.unlock();
          ReloadTrust();
          NoticeLocalWrites();
          continue;
        }
        if (stopping) return;
        first.swap(woken);
        sync_pending = false;
      }
      next_round = std::chrono::steady_clock::now() + options.interval;
      ReloadTrust();
      if (auto live = LiveTrust(); !live.ok()) {
        if (live.status().message() != last_reload_error) {
          Log("error", "federation suspended", "", live.status().message());
          last_reload_error = live.status().message();
        }
        continue;
      }
      auto peers = state.Peers();
      if (!peers.ok()) {
        Log("error", "federation state unreadable", "", peers.status().message());
        continue;
      }
      std::vector<std::string> order(first.begin(), first.end());
      for (const auto& p : *peers) {
        if (!first.count(p.node_id)) order.push_back(p.node_id);
      }
      bool heads_due =
          options.check_heads && std::chrono::steady_clock::now() - last_heads >= options.interval;
      for (const auto& id : order) {
        bool configured = false;
        for (const auto& p : *peers) configured |= p.node_id == id;
        if (!configured) continue;
        auto r = SyncPeer(id, options.max_pages_per_round);
        if (r.ok() && r->more) {
          std::lock_guard lock(mu);
          sync_pending = true;  // come back at once, after the other peers had their turn
        }
        if (!r.ok() && r.status().code() == ErrorCode::kCancelled) return;
        if (!r.ok() && r.status().code() != ErrorCode::kCryptoError &&
            r.status().code() != ErrorCode::kInvalidArgument &&
            r.status().code() != ErrorCode::kLimitExceeded) {  // logged once, by Room
          Log("warn", "sync with peer failed", id, r.status().message());
        }
        if (heads_due) {
          Status h = CheckHead(id);
          if (!h.ok() && h.code() == ErrorCode::kUnavailable) {
            Log("info", "peer tree head not checked", id, h.message());
          }
        }
      }
      if (heads_due) last_heads = std::chrono::steady_clock::now();
    }
  }

  // A notify that fails (peer down, link cut) is retried with a doubling delay from 1 s up to
  // the sync interval, so a peer converges soon after the link returns rather than at its next
  // periodic pull. A peer in back-off is not tried sooner because more changes arrive.
  void NotifyLoop() {
    using Clock = std::chrono::steady_clock;
    struct Backoff {
      Clock::time_point next;
      std::chrono::milliseconds delay;
    };
    std::map<std::string, std::unique_ptr<HttpClient>> clients;
    std::map<std::string, Backoff> retry;
    for (;;) {
      std::set<std::string> to_notify;
      {
        std::unique_lock lock(mu);
        auto work = [this] { return stopping || !pending_notifies.empty(); };
        if (retry.empty()) {
          cv.wait(lock, work);
        } else {
          auto earliest = Clock::time_point::max();
          for (const auto& [id, b] : retry) earliest = std::min(earliest, b.next);
          cv.wait_until(lock, earliest, work);
        }
        if (stopping) return;
        to_notify.swap(pending_notifies);
      }
      auto now = Clock::now();
      for (const auto& [id, b] : retry) {
        if (b.next <= now) to_notify.insert(id);
      }
      auto trust = LiveTrust();
      if (!trust.ok()) continue;
      for (const auto& id : to_notify) {
        auto backoff = retry.find(id);
        if (backoff != retry.end() && backoff->second.next > now) continue;  // not yet
        auto member = PeerMember(**trust, id);
        auto peer = state.Peer(id);
        if (!member.ok() || !peer.ok()) {
          retry.erase(id);  // no longer a peer: nothing to retry
          continue;
        }
        auto& client = clients[id];
        if (!client) {
          auto c = ClientFor(**member, *peer);
          if (!c.ok()) continue;
          client = std::move(*c);
        }
        std::string body = "{\"from\":" + Quoted(local.node_id) + "}";
        auto r = client->Post("api/v1/federation/notify", peer->token, body);
        if (r.ok() && r->status / 100 == 2) {
          counters.notifies_sent++;
          retry.erase(id);
        } else {
          client.reset();  // the peer may be down or restarted: a fresh connection next time
          auto delay = backoff == retry.end()
                           ? std::chrono::milliseconds(1000)
                           : std::min(backoff->second.delay * 2,
                                      std::max(options.interval, std::chrono::milliseconds(1000)));
          retry[id] = {Clock::now() + delay, delay};
        }
      }
    }
  }
};

Federation::Federation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Federation::~Federation() { Stop(); }

Result<std::unique_ptr<Federation>> Federation::Create(store::Store& store, StateDb& state,
                                                       LocalNode local, FederationOptions options) {
  if (!local.sig_key) return Status::InvalidArgument("federation needs the node's signing key");
  auto impl = std::make_unique<Impl>(store, state, std::move(local), std::move(options));
  ENTENTE_ASSIGN_OR_RETURN(impl->trust_view, MakeView(impl->local.trust, impl->local));
  if (impl->options.page_limit == 0 || impl->options.page_limit > kMaxPageObjects) {
    return Status::InvalidArgument("page_limit must be 1.." + std::to_string(kMaxPageObjects));
  }
  return std::unique_ptr<Federation>(new Federation(std::move(impl)));
}

const LocalNode& Federation::local() const noexcept { return impl_->local; }

std::shared_ptr<const identity::TrustList> Federation::trust() const {
  auto view = impl_->Trust();
  return std::shared_ptr<const identity::TrustList>(view, &view->list);
}

Status Federation::ReplaceTrust(identity::TrustList list) {
  return impl_->ReplaceTrust(std::move(list));
}

std::shared_ptr<const identity::TrustMember> Federation::MemberByOrganization(
    std::string_view organization_ref) const {
  if (organization_ref.empty()) return nullptr;
  auto view = impl_->LiveTrust();
  if (!view.ok()) return nullptr;
  for (const auto& m : (*view)->list.members) {
    if (m.organization_ref == organization_ref) {
      return std::shared_ptr<const identity::TrustMember>(*view, &m);
    }
  }
  return nullptr;
}

Result<std::string> Federation::ServePage(const identity::TrustMember& peer,
                                          std::int64_t added_after, std::size_t limit) {
  return impl_->ServePage(peer, added_after, limit);
}

Result<SyncReport> Federation::SyncPeer(std::string_view node_id, std::size_t max_pages) {
  return impl_->SyncPeer(node_id, max_pages);
}

Status Federation::CheckHead(std::string_view node_id) { return impl_->CheckHead(node_id); }

void Federation::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->sync_thread.joinable()) return;
  impl_->stopping = false;
  impl_->sync_pending = true;  // a first round at once
  impl_->sync_thread = std::thread([this] { impl_->SyncLoop(); });
  impl_->notify_thread = std::thread([this] { impl_->NotifyLoop(); });
}

void Federation::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->sync_thread.joinable()) impl_->sync_thread.join();
  if (impl_->notify_thread.joinable()) impl_->notify_thread.join();
}

void Federation::WakePeer(std::string_view node_id) {
  impl_->counters.notifies_received++;
  {
    std::lock_guard lock(impl_->mu);
    impl_->woken.insert(std::string(node_id));
  }
  impl_->cv.notify_all();
}

void Federation::Changed(std::string_view except) { impl_->Changed(except); }

const Counters& Federation::counters() const noexcept { return impl_->counters; }

std::string Federation::MetricsText() const {
  const Counters& c = impl_->counters;
  std::string out;
  auto line = [&out](std::string_view name, std::string_view help, std::uint64_t v) {
    out += "# HELP entente_federation_" + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE entente_federation_" + std::string(name) + " counter\n";
    out += "entente_federation_" + std::string(name) + " " + std::to_string(v) + "\n";
  };
  line("pages_served_total", "Signed pages served to peers", c.pages_served);
  line("objects_served_total", "Objects served to peers (plain or sealed)", c.objects_served);
  line("objects_sealed_out_total", "Objects served sealed to relays", c.objects_sealed_out);
  line("objects_withheld_total", "Objects not sent to a peer by their marking", c.objects_withheld);
  line("pages_accepted_total", "Peer pages verified and stored", c.pages_accepted);
  line("pages_refused_total", "Peer pages refused (forged, corrupted, replayed, malformed)",
       c.pages_refused);
  line("objects_added_total", "New object versions stored from peers", c.objects_added);
  line("objects_rejected_total", "Objects refused inside accepted pages", c.objects_rejected);
  line("objects_sealed_in_total", "Sealed objects stored for relaying", c.objects_sealed_in);
  line("objects_opened_total", "Sealed objects opened (this node a recipient)", c.objects_opened);
  line("head_checks_total", "Peer tree head checks", c.head_checks);
  line("head_failures_total", "Peer tree heads that failed (bad signature, rewritten history)",
       c.head_failures);
  line("notifies_sent_total", "Push notifications sent to peers", c.notifies_sent);
  line("notifies_received_total", "Push notifications received from peers", c.notifies_received);
  line("sync_errors_total", "Pulls that failed (peer down, HTTP errors)", c.sync_errors);
  line("pages_over_quota_total", "Peer pages not stored: the peer's quota is reached",
       c.pages_over_quota);
  line("pages_no_space_total", "Peer pages not stored: the disk reserve is reached",
       c.pages_no_space);
  return out;
}

}  // namespace entente::federation
