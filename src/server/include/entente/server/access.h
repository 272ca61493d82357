// Who is calling and what they may do: the server's view of authentication and authorisation.
//
// The server asks three questions on every request and never answers them itself:
//   Authenticate: the Authorization header -> a Caller (or 401);
//   Allowed:      may this caller perform this operation (role check; 403 if not);
//   CanRead:      may this caller see this stored object (TLP 2.0 and sharing scopes).
// Every read path (TAXII, REST, search, correlation, exports) filters through CanRead, so
// there is one rule and no second path to data. The node wires the identity module's
// directory and policy in (IdentityAccess in the CLI's serve command); tests wire their own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::server {

enum class Operation : std::uint8_t {
  kRead,        // read objects, manifests, search, statistics
  kWriteIntel,  // add objects (TAXII POST, REST ingest), record sightings, run scans
  kDelete,      // delete object versions
  kPropose,     // open a response proposal
  kVote,        // cast a vote for the caller's member state
  kAdmin,       // users, tokens, peers, node configuration
};
std::string_view OperationName(Operation op) noexcept;

struct Caller {
  std::string user;
  std::string identity_ref;      // the user's own STIX identity (individual), may be empty
  std::string organization_ref;  // the user's organisation's STIX identity
  std::string member_state;      // ISO 3166-1 alpha-2 ("EU" for the coordination node)
  std::vector<std::string> roles;
  std::vector<std::string> scopes;  // sharing scopes / collection ids; "*" = all
  bool InScope(std::string_view scope) const;
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // `authorization` is the raw header value ("Bearer ...", "Basic ..."), possibly empty.
  // kUnauthenticated for missing, unknown, expired or revoked credentials.
  virtual Result<Caller> Authenticate(std::string_view authorization, std::int64_t now_us) = 0;
  virtual bool Allowed(const Caller& caller, Operation op) = 0;
  // `object` is a parsed STIX object (its markings, recipients and creator are read from it).
  virtual bool CanRead(const Caller& caller, json::Node object) = 0;
};

}  // namespace entente::server
