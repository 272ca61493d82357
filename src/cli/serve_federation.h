// What `entente serve` adds for federation (implemented in cmd_peer.cpp, beside the `entente
// peer` commands that configure it): the federation feed and notify routes, the background
// sync and push threads, the receipts in the transparency log and the /metrics counters.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "entente/base/status.h"
#include "entente/identity/trust_list.h"
#include "entente/server/service.h"
#include "entente/store/store.h"

namespace entente::cli {

struct NodeFederation {
  struct State;
  std::shared_ptr<State> state;  // null when the node is not federated (no trust list yet)
  void Start();                  // after the server listens
  void Stop();                   // before the server stops: ends the sync and push threads
};

// Loads HOME/federation (trust list verified against the pinned issuer key, this node's id,
// peers) and the node key. A node without a trust list is not federated: the result is empty
// and serving goes on. So is a node whose list does not verify (expired, rolled back, another
// issuer) or whose key does not unlock: it logs "federation off" with the reason and serves its
// own users. Wraps options.on_events (after the ledger hook is set) so that local
// shares are pushed to peers and received objects are logged as receipts.
Result<NodeFederation> AttachFederation(const std::string& home, store::Store& store,
                                        server::ServiceOptions& options,
                                        std::chrono::milliseconds interval);

// The node's trust list, verified as federation verifies it (pinned issuer, dates, no
// rollback); kNotFound when the node is not federated. Other modules take member states' keys
// from it (proposals and votes).
Result<identity::TrustList> FederationTrustList(const std::string& home);

// Adds GET /api/v1/federation/objects, POST /api/v1/federation/notify and
// GET /api/v1/federation/status.
void AddFederationRoutes(NodeFederation& federation, server::NodeService& service);

}  // namespace entente::cli
