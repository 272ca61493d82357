// Who may do what and read which object: roles, the authenticated principal, the operation
// table the server checks on every request, and the TLP 2.0 + sharing-scope read rule.
//
// The rules are written out in docs/ACCESS.md; that file and this header say the same thing.
// Summary:
//   Roles: reader, analyst (writes intelligence), authority (votes for its state), admin (users,
//   tokens, peers). Every role reads; no role implies another otherwise (an admin does not write
//   intelligence or vote: separation of duties; give a person both roles if they need both).
//   Reading an object (CanRead) needs BOTH the object's scope in the principal's scopes AND:
//     CLEAR         any authenticated principal
//     GREEN         any principal of the community (member_state set); every level below
//                   also requires this
//     AMBER         principal's organisation or identity among the recipients or the creator
//     AMBER+STRICT  as AMBER, but the object names at most one recipient (one organisation)
//     RED           principal's own identity among the recipients or is the creator
//   So each level reads a subset of the level before it (RED ⊆ STRICT ⊆ AMBER ⊆ GREEN ⊆ CLEAR).
//   Unmarked objects are GREEN (the node default, like MISP's "this community"). Several TLP
//   markings (object_marking_refs and granular_markings): the most restrictive wins.
//   Recipients are the custom property "x_entente_recipients": a list of identity ids.
//
// Everything here is a pure function of its arguments: reentrant, no allocation in CanRead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/stix/markings.h"

namespace entente::identity {

enum class Role : std::uint8_t { kReader, kAnalyst, kAuthority, kAdmin };
inline constexpr Role kAllRoles[] = {Role::kReader, Role::kAnalyst, Role::kAuthority, Role::kAdmin};

// "reader", "analyst", "authority", "admin".
std::string_view RoleName(Role role) noexcept;
// Exact lower-case names above; kInvalidArgument naming the text otherwise.
Result<Role> ParseRole(std::string_view text);

// The scope an object belongs to when nothing else says (the community-wide collection).
inline constexpr std::string_view kCommunityScope = "community";
// A token scope that stands for every scope.
inline constexpr std::string_view kAllScopes = "*";

// Who is calling, after authentication. Plain data: copy freely.
struct Principal {
  std::string user;              // user name
  std::string identity_ref;      // the user's STIX identity id (identity--...), may be empty
  std::string organization_ref;  // the user's organisation's STIX identity id
  std::string member_state;      // ISO 3166-1 alpha-2, e.g. "FR"; "EU" for the coordination node
  std::vector<Role> roles;
  std::vector<std::string> scopes;  // collection/scope ids the token may use; "*" = all
  std::string token_id;             // the token that authenticated this call (for audit logs)

  // Every role implies kReader; otherwise only roles held explicitly count (admin does not
  // imply analyst or authority).
  bool HasRole(Role r) const noexcept;
  // True iff scopes holds "*" or exactly `scope`.
  bool InScope(std::string_view scope) const noexcept;
};

// Operations the server authorises; one per kind of endpoint.
enum class Operation : std::uint8_t {
  kRead,        // GET objects, manifests, versions, TAXII discovery and collections
  kSearch,      // search and correlation queries, exports
  kReadLog,     // transparency log tree heads and proofs
  kWriteIntel,  // POST objects / ingest / scans that store sightings
  kDelete,      // DELETE an object
  kPropose,     // propose a joint response
  kVote,        // vote for the principal's state on a proposal
  kAdminUsers,  // manage users and tokens
  kPeerAdmin,   // manage the trust list and federation peers
  kMetrics,     // /metrics and node internals
};
inline constexpr Operation kAllOperations[] = {
    Operation::kRead,      Operation::kSearch,  Operation::kReadLog, Operation::kWriteIntel,
    Operation::kDelete,    Operation::kPropose, Operation::kVote,    Operation::kAdminUsers,
    Operation::kPeerAdmin, Operation::kMetrics};

// "read", "search", "read_log", "write_intel", "delete", "propose", "vote", "admin_users",
// "peer_admin", "metrics".
std::string_view OperationName(Operation op) noexcept;

// The role an operation needs (docs/ACCESS.md has the table):
//   read, search, read_log          reader (so: everyone)
//   write_intel, delete             analyst
//   propose                         analyst or authority
//   vote                            authority
//   admin_users, peer_admin, metrics admin
bool Allowed(const Principal& principal, Operation op) noexcept;

// What the access policy needs to know about one object, parsed from its JSON once.
struct AccessLabel {
  stix::Tlp tlp = stix::Tlp::kGreen;    // effective level (the most restrictive marking)
  bool marked = false;                  // false: no TLP marking, tlp is the node default
  std::vector<std::string> recipients;  // x_entente_recipients: identity ids
  std::string creator;                  // created_by_ref, may be empty
  // The sharing scope: x_entente_scope if the object names one, else "community". A server
  // reading through a collection sets this to the collection's scope before calling CanRead.
  std::string scope = std::string(kCommunityScope);
};

// Limits on what LabelOf accepts.
inline constexpr std::size_t kMaxRecipients = 1024;
inline constexpr std::size_t kMaxRefBytes = 256;

// Reads object_marking_refs, granular_markings[*].marking_ref, created_by_ref,
// x_entente_recipients and x_entente_scope. Fails with kInvalidArgument (naming the property and
// the object id) on a wrong type, a recipient that is not an identity id, more than one
// recipient on an AMBER+STRICT object, or more than kMaxRecipients; a caller that gets an error
// must treat the object as unreadable (fail closed). Marking refs that are not TLP marking
// definitions (statements, PAP) are ignored.
Result<AccessLabel> LabelOf(const json::Node& object);
Result<AccessLabel> LabelOf(std::string_view object_json);

// The one read rule every read path uses (see the top of this file). No allocation.
bool CanRead(const Principal& principal, const AccessLabel& label) noexcept;

}  // namespace entente::identity
