// The node home directory: where a node keeps its store and configuration.
//   HOME/node.json    node configuration written by `entente init`; its "store" names the
//                     store: "sqlite:store.db" (relative to HOME; the default) or a
//                     "postgresql://..." URL (docs/STORE.md)
//   HOME/store.db     the SQLite store (WAL files beside it), when that is the store
#pragma once

#include <memory>
#include <string>

#include "entente/base/bytes.h"
#include "entente/base/status.h"
#include "entente/crypto/keys.h"
#include "entente/store/store.h"

namespace entente::cli {

// The store URL of a home: node.json's "store" (a relative SQLite path resolved against
// HOME), or HOME/store.db when node.json has none.
std::string StorePath(const std::string& home);

// Opens the store of an initialised home; NotFound with a hint to run `entente init` if the
// home has not been initialised. `cache_bytes`: see store::StoreOptions (the server's).
Result<std::unique_ptr<store::Store>> OpenNodeStore(const std::string& home, bool read_only = false,
                                                    std::size_t cache_bytes = 0);

// Creates the home (directories, store, node.json, the node's STIX identity) if needed.
// Idempotent. `store_url` (default: HOME/store.db, SQLite) is where a new node keeps its
// store, e.g. a postgresql:// URL; AlreadyExists if the home names another store already.
Status InitNodeHome(const std::string& home, const std::string& node_name,
                    const std::string& store_url = {});

// The node's key (HOME/keys/node.key), unlocked with $ENTENTE_PASSPHRASE or the first line of
// the file named by $ENTENTE_PASSPHRASE_FILE. kNotFound (saying which) without key or
// passphrase; kCryptoError for a wrong passphrase.
Result<crypto::keys::Identity> NodeKey(const std::string& home);

// A key file passphrase: the first line of `file` if given, else $ENTENTE_PASSPHRASE;
// kInvalidArgument naming both if neither is there.
Result<SecretBytes> Passphrase(const std::string& file);

// The directory of the running `entente` binary ("" if unknown): where installed data is looked
// for beside it.
std::string ExeDir();

// A public identity file (`entente crypto keygen`'s .pub); errors name the path.
Result<crypto::keys::PublicIdentity> LoadPublicKey(const std::string& path);

// The node's STIX identity id (identity--...), from node.json; "" if the home has none.
std::string NodeIdentity(const std::string& home);

// The member state this node speaks for (ISO 3166-1 alpha-2, or "EU" for the coordination
// node), from node.json's "member_state"; "" if it was never set. Proposals and votes made
// through this node's API are signed for that state with the node key.
std::string NodeMemberState(const std::string& home);
// Sets node.json's "member_state" (replacing the file atomically). kInvalidArgument unless
// `state` is two upper-case letters.
Status SetNodeMemberState(const std::string& home, const std::string& state);

}  // namespace entente::cli
