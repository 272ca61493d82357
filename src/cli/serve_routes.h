// What `entente serve` adds to the node service beyond TAXII and the core REST API: the
// REST routes of the detection, attribution and ledger modules, and the hooks that record
// every accepted share in the transparency log.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "entente/base/status.h"
#include "entente/server/service.h"
#include "entente/store/store.h"

namespace entente::cli {

// State the routes share for the life of the server.
struct NodeExtras {
  struct State;
  std::shared_ptr<State> state;
  void Close();  // flushes what needs flushing before exit
};

// Opens what the extras need (e.g. the ledger) and sets the service's event hook.
Result<NodeExtras> AttachNodeExtras(const std::string& home, store::Store& store,
                                    server::ServiceOptions& options);

// Adds the extra REST routes to `service`.
Status AddNodeRoutes(const std::string& home, store::Store& store, NodeExtras& extras,
                     server::NodeService& service);

// Proposals and votes (serve_proposals.cpp): GET/POST /api/v1/proposals, GET
// /api/v1/proposals/{id}, POST /api/v1/proposals/{id}/votes. Called by AddNodeRoutes.
Status AddProposalRoutes(const std::string& home, store::Store& store,
                         server::NodeService& service);

}  // namespace entente::cli
