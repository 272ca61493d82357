// The node home directory: where a node keeps its store and configuration.
//   HOME/store.db     the SQLite store (WAL files beside it)
//   HOME/node.json    node configuration written by `entente init`
#pragma once

#include <memory>
#include <string>

#include "entente/base/bytes.h"
#include "entente/base/status.h"
#include "entente/store/store.h"

namespace entente::cli {

std::string StorePath(const std::string& home);

// Opens the store of an initialised home; NotFound with a hint to run `entente init` if the
// home has not been initialised.
Result<std::unique_ptr<store::Store>> OpenNodeStore(const std::string& home,
                                                    bool read_only = false);

// Creates the home (directories, store, node.json, the node's STIX identity) if needed.
// Idempotent.
Status InitNodeHome(const std::string& home, const std::string& node_name);

// A key file passphrase: the first line of `file` if given, else $ENTENTE_PASSPHRASE;
// kInvalidArgument naming both if neither is there.
Result<SecretBytes> Passphrase(const std::string& file);

// The node's STIX identity id (identity--...), from node.json; "" if the home has none.
std::string NodeIdentity(const std::string& home);

}  // namespace entente::cli
