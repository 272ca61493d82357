// Federation: national nodes pull from and push to the peers named in the signed trust list
// (docs/FEDERATION.md).
//
// Pull. For each configured peer that the verified trust list names, SyncPeer asks the peer's
// federation feed (GET {endpoint}api/v1/federation/objects?added_after=C&limit=N) for pages
// after the cursor C it committed last, verifies each page's signature with the peer's
// trust-list key before looking at its objects, validates every object, applies the receiving
// rules (a restricted object in plaintext must be for this node; a sealed one is opened if this
// node is a recipient, else stored sealed), stores the page in one store batch (versions by
// STIX rules: the latest `modified` wins, revocation is just a newer version, re-delivery is an
// identical duplicate), then records origins and moves the cursor (StateDb::CommitPage), then
// reports the new versions as ledger receipts. A kill -9 anywhere resumes from the last
// committed cursor without loss or duplicates. A refused page stores nothing and is reported
// (log line, counter, StateDb last_error for `entente peer list`).
//
// Serve. ServePage builds the page for one peer: the store's versions after the cursor, in
// date_added order, each sent plain, sealed or not at all (distribution.h), never back to the
// peer it came from or to its origin node (loop prevention), signed (page.h).
//
// Heads. CheckHead fetches the peer's signed tree head, verifies it with the peer's trust-list
// key and, against the last head kept for that peer, the RFC 9162 consistency proof: a peer
// whose log shrank or forked (rewrote history) is reported.
//
// Push. Start() runs a sync thread (every `interval`, or at once when WakePeer is called, e.g.
// by a peer's notify) and a notifier thread that, after local changes (Changed()), POSTs a
// notify to every peer so that it pulls at once. Stop() ends both within one request timeout.
//
// Trust. The verified trust list can be replaced while the node runs (ReplaceTrust, or the
// `reload_trust` hook that the sync thread calls every round): a member that is removed is
// refused at once, on both sides (its page requests and notifies; pulls from it). Every
// operation works on one snapshot of the list, so a swap never changes a list under a request.
// A list that has expired (now >= next_update) suspends federation until a newer one arrives:
// no page is served or pulled on the trust of an expired list.
//
// Threads: ServePage, WakePeer, Changed, ReplaceTrust, trust, counters and Status are
// thread-safe; SyncPeer and CheckHead may run concurrently for different peers (each has its
// own client).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"
#include "entente/federation/state.h"
#include "entente/identity/trust_list.h"
#include "entente/ledger/entry.h"
#include "entente/store/store.h"

namespace entente::federation {

inline constexpr std::string_view kFeed = "federation";

// This node as the federation knows it.
struct LocalNode {
  std::string node_id;        // its id in the trust list
  identity::TrustList trust;  // the first list, verified by the caller (VerifyTrustList)
  std::shared_ptr<const crypto::hybrid::SigPrivateKey> sig_key;  // signs pages and envelopes
  std::shared_ptr<const crypto::hybrid::KemPrivateKey> kem_key;  // opens envelopes; may be null
};

struct FederationOptions {
  std::size_t page_limit = 5000;           // objects per page (asked for and served, ≤ 10000)
  std::size_t max_page_bytes = 32u << 20;  // a served page stops growing past this
  std::size_t max_pages_per_round = 50;    // per peer per sync round: no peer starves the others
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{15'000};
  bool check_heads = true;
  // Disk. A page is not stored (and the cursor does not move) when the bytes stored from its
  // peer would pass the peer's quota (PeerRecord::quota, else this; 0: no quota), or when the
  // file system of `data_dir` would keep less than `min_free_bytes` free: a peer that floods
  // valid objects fills at most its quota, and peers together never fill the disk the node's
  // own writes need. The pull resumes by itself once there is room (quota raised, space freed).
  std::uint64_t peer_quota_bytes = 0;
  std::uint64_t min_free_bytes = 512ull << 20;
  std::string data_dir;  // empty: no free-space check
  // New versions stored from peers, as ledger entries of kind "receipt" (append them to the
  // transparency log). Called from the syncing thread after each committed page.
  std::function<void(const std::vector<ledger::Entry>&)> on_receipts;
  // Called by the sync thread at the start of every round: a newer verified list (a higher
  // sequence) replaces the current one; an error keeps the current one (logged once per
  // distinct error). Unset: the list never changes while running.
  std::function<Result<identity::TrustList>()> reload_trust;
  // One JSON line per notable event (default: stderr).
  std::function<void(const std::string&)> log;
};

struct SyncReport {
  std::uint64_t pages = 0;
  std::uint64_t received = 0;       // objects in accepted pages
  std::uint64_t added = 0;          // new versions stored
  std::uint64_t duplicates = 0;     // already held
  std::uint64_t rejected = 0;       // invalid, or not for this node
  std::uint64_t sealed_stored = 0;  // stored sealed (relay)
  std::uint64_t opened = 0;         // sealed objects opened (this node is a recipient)
  std::uint64_t bytes = 0;          // response bytes read
  std::uint64_t bytes_stored = 0;   // bytes of the new versions stored (counted in the quota)
  bool more = false;                // stopped at max_pages with more to fetch
};

struct Counters {
  std::atomic<std::uint64_t> pages_served{0}, objects_served{0}, objects_sealed_out{0},
      objects_withheld{0}, pages_accepted{0}, pages_refused{0}, objects_added{0},
      objects_rejected{0}, objects_sealed_in{0}, objects_opened{0}, head_checks{0},
      head_failures{0}, notifies_sent{0}, notifies_received{0}, sync_errors{0}, pages_over_quota{0},
      pages_no_space{0};
};

class Federation {
 public:
  static Result<std::unique_ptr<Federation>> Create(store::Store& store, StateDb& state,
                                                    LocalNode local, FederationOptions options);
  ~Federation();  // Stop()

  // node_id and keys; `trust` there is the list the federation started with (see trust()).
  const LocalNode& local() const noexcept;
  // The current verified trust list (a snapshot: it stays valid while held).
  std::shared_ptr<const identity::TrustList> trust() const;
  // Replaces the trust list (already verified by the caller). Refused (the current list stays)
  // when this node is no longer in it or its key changed, or the sequence is lower.
  Status ReplaceTrust(identity::TrustList list);
  // The trust-list member of this organisation (identity id), or null. How the serving side
  // knows which node an authenticated caller speaks for. Null as well while the list is
  // expired.
  std::shared_ptr<const identity::TrustMember> MemberByOrganization(
      std::string_view organization_ref) const;

  // The signed page for `peer` after `added_after` (at most `limit` objects). `peer` must be a
  // member of the trust list other than this node.
  Result<std::string> ServePage(const identity::TrustMember& peer, std::int64_t added_after,
                                std::size_t limit);

  // Pulls up to `max_pages` pages from a configured peer (0: until it has no more). Errors are
  // also recorded in the state (last_error) and counted.
  Result<SyncReport> SyncPeer(std::string_view node_id, std::size_t max_pages = 0);
  // Checks the peer's signed tree head and its consistency with the last one kept.
  Status CheckHead(std::string_view node_id);

  void Start();
  void Stop();
  void WakePeer(std::string_view node_id);
  // Local objects were stored (or received from `except`): tell the other peers.
  void Changed(std::string_view except = {});

  const Counters& counters() const noexcept;
  // Prometheus text lines (entente_federation_*).
  std::string MetricsText() const;

 private:
  struct Impl;
  explicit Federation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::federation
