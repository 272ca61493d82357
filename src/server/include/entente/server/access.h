// Who is calling and what they may see: the server's questions to the identity layer.
//
// The server asks three questions on every request and never answers them itself:
//   Authenticate: the Authorization header -> a Principal (or 401);
//   Allowed:      may this principal perform this operation (role check; 403 if not);
//   CanRead:      may this principal see this stored object (TLP 2.0 and sharing scope).
// Every read path (TAXII, REST, search, correlation, exports) filters through CanRead, so
// there is one rule and no second path to data. DirectoryAccess is the node's policy (the
// identity module's directory and read rule); tests may substitute their own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/identity/access.h"
#include "entente/identity/directory.h"

namespace entente::server {

using identity::Operation;
using identity::Principal;

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // `authorization` is the raw header value ("Bearer <token>", or "Basic" with the token as
  // password, for TAXII clients that only do basic authentication), possibly empty.
  // kUnauthenticated for missing, unknown, expired or revoked credentials.
  virtual Result<std::shared_ptr<const Principal>> Authenticate(std::string_view authorization,
                                                                std::int64_t now_us) = 0;
  virtual bool Allowed(const Principal& principal, Operation op) {
    return identity::Allowed(principal, op);
  }
  // `object` is a parsed STIX object. `scope` is the sharing scope of the collection it is read
  // through, or empty to use the object's own scope (x_entente_scope, else community).
  virtual bool CanRead(const Principal& principal, json::Node object, std::string_view scope) = 0;
};

// The node's policy: tokens from the identity directory, identity::CanRead on every object
// (an object whose markings cannot be parsed is unreadable: fail closed).
class DirectoryAccess : public AccessPolicy {
 public:
  explicit DirectoryAccess(const identity::Directory& directory) : directory_(directory) {}
  Result<std::shared_ptr<const Principal>> Authenticate(std::string_view authorization,
                                                        std::int64_t now_us) override;
  bool CanRead(const Principal& principal, json::Node object, std::string_view scope) override;

 private:
  const identity::Directory& directory_;
};

// The bearer token in an Authorization header value ("Bearer t" or Basic "user:t"); empty if
// there is none.
std::string BearerToken(std::string_view authorization);

}  // namespace entente::server
