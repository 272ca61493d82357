// The federation's own state, in HOME/federation.db (SQLite, WAL, file mode 0600 because it
// holds the bearer tokens peers issued to this node):
//   settings  this node's id in the trust list, the last accepted trust-list sequence
//   peers     node id, bearer token, the peer's TLS certificate (PEM), last sync, last error,
//             counters
//   cursors   per peer and feed: the peer's date_added cursor after the last committed page
//   origins   per received object version: the peer it came from and its origin node
//             (loop prevention: never sent back to either)
//   heads     per peer: the last signed tree head verified (size, root, JSON)
//
// Crash safety: a page's objects are committed to the store first, then CommitPage records
// origins and moves the cursor in one transaction; a crash between the two re-fetches the page,
// whose objects are then identical duplicates (no-ops).
//
// Threads: one connection behind a mutex; every method is thread-safe. Several processes may
// open the file (`entente peer ...` while `entente serve` runs): SQLite serialises writers.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"

struct sqlite3;

namespace entente::federation {

struct PeerRecord {
  std::string node_id;
  std::string token;   // bearer token the peer issued to this node (never printed)
  std::string ca_pem;  // the peer's certificate or CA (PEM); empty: system roots
  // Where this node reaches the peer when not at the trust list's endpoint (a private link, a
  // forwarding proxy); empty: the trust list's. TLS and page signatures are checked the same.
  std::string endpoint;
  std::string added;  // RFC 3339
  std::string last_sync;
  std::string last_error;
  std::string last_error_at;
  std::uint64_t pages = 0;     // pages accepted
  std::uint64_t objects = 0;   // new object versions stored from this peer
  std::uint64_t refused = 0;   // pages refused (bad signature, malformed, wrong cursor)
  std::uint64_t rejected = 0;  // objects refused inside accepted pages
  std::uint64_t bytes = 0;     // bytes of the new object versions stored from this peer
  std::uint64_t quota = 0;     // most bytes this node stores from the peer; 0: the node default
};

struct ReceivedOrigin {
  std::string id;
  std::string version;
  std::string origin;  // the node where the object entered the federation
};

struct PeerHead {
  std::uint64_t tree_size = 0;
  std::string root_hex;
  std::string sth_json;
};

class StateDb {
 public:
  // Opens or creates the database (mode 0600). kIoError naming the path.
  static Result<std::unique_ptr<StateDb>> Open(const std::string& path);
  ~StateDb();

  Result<std::string> Setting(std::string_view key);  // "" if unset
  Status SetSetting(std::string_view key, std::string_view value);

  // Adds or replaces a peer's credentials and quota (keeps its cursors and counters).
  Status PutPeer(const PeerRecord& peer);
  // Removes the peer, its cursors and head. kNotFound if unknown.
  Status RemovePeer(std::string_view node_id);
  Result<std::vector<PeerRecord>> Peers();
  Result<PeerRecord> Peer(std::string_view node_id);

  Result<std::int64_t> Cursor(std::string_view peer, std::string_view feed);
  // After the page's objects are committed to the store: records where each came from and moves
  // the cursor, in one transaction; bumps the peer's page, object and byte counters.
  Status CommitPage(std::string_view peer, std::string_view feed, std::int64_t next,
                    const std::vector<ReceivedOrigin>& origins, std::uint64_t added,
                    std::uint64_t rejected, std::uint64_t added_bytes = 0);
  Status RecordError(std::string_view peer, std::string_view message, bool page_refused);
  Status RecordSynced(std::string_view peer);

  // Where each (id, version) came from: (from_node, origin) or empty strings if it was not
  // received from a peer. One lookup per item under one lock.
  struct Provenance {
    std::string from;
    std::string origin;
  };
  Result<std::vector<Provenance>> ProvenanceOf(
      const std::vector<std::pair<std::string_view, std::string_view>>& versions);

  Result<std::optional<PeerHead>> Head(std::string_view peer);
  Status SetHead(std::string_view peer, const PeerHead& head);

 private:
  StateDb() = default;
  Status Exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace entente::federation
