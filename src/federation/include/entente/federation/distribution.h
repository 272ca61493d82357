// Distribution by marking: which peer receives an object, and in what form (docs/FEDERATION.md).
//
//   TLP:CLEAR, TLP:GREEN (and unmarked, the node default GREEN)   plain, to every peer
//   TLP:AMBER, TLP:AMBER+STRICT, TLP:RED                           plain only to the nodes of
//       the named recipients (trust-list members whose organization_ref is in
//       x_entente_recipients); to any other peer sealed (crypto envelope to the recipient
//       nodes' KEM keys), so a relay stores it but cannot read it; withheld if no member node is
//       a recipient
//   x_entente_scope other than "community"                         never leaves the node
//   markings that do not parse                                     never leave the node
//
// A sealed object is a STIX custom object that carries the marking and recipients of the
// object inside it (so local readers of a relay cannot see even the envelope):
//   {"type":"x-entente-sealed","spec_version":"2.1","id":"x-entente-sealed--<v5 of id|version>",
//    "created":V,"modified":V,"object_marking_refs":[<TLP marking>],
//    "x_entente_recipients":[...],"x_entente_sealed_ref":"<inner id>","x_entente_sealed_by":
//    "<node id>","x_entente_envelope":"<base64 envelope>"}
// where V is the inner object's version. Its id depends only on the inner id and version, so
// the same version sealed twice (by two relays, or twice by one) is one object.
// Functions are reentrant.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"
#include "entente/identity/access.h"
#include "entente/identity/trust_list.h"

namespace entente::federation {

inline constexpr std::string_view kSealedType = "x-entente-sealed";
// Largest object sealed or opened (the envelope streams, the store keeps objects whole).
inline constexpr std::size_t kMaxSealedObjectBytes = 16u << 20;

// How far an object travels, after MISP's distribution levels (x_entente_distribution):
//   "organisation", "community"  this node only (MISP 0 and 1)
//   "connected"                  the origin node's direct peers only: one hop (MISP 2)
//   "all" or absent              every entitled node, relayed (MISP 3; the default)
// Sharing groups (MISP 4) are the recipients of restricted markings, below.
enum class Reach { kLocal, kOneHop, kAllHops };
// kInvalidArgument for another value or type (the caller withholds the object: fail closed).
Result<Reach> ReachOf(std::string_view object_json);

enum class Route { kPlain, kSealed, kWithhold };

struct Decision {
  Route route = Route::kWithhold;
  std::vector<const identity::TrustMember*> recipients;  // recipient nodes (for sealing)
};

// How an object with `label` goes to `peer`. Pointers refer into `trust`.
Decision Decide(const identity::AccessLabel& label, const identity::TrustList& trust,
                const identity::TrustMember& peer);

// Whether this node may hold `label`'s object in plaintext (a receiver's own check).
bool MayHoldPlain(const identity::AccessLabel& label, const identity::TrustMember& self);

// The sealed wrapper of one object version. `object_json` must be a valid STIX object with a
// version; `label` its access label; `reach` its distribution, which the wrapper repeats so that
// relays honour it.
Result<std::string> SealObject(std::string_view object_json, std::string_view id,
                               std::string_view version, const identity::AccessLabel& label,
                               const std::vector<const identity::TrustMember*>& recipients,
                               std::string_view sealed_by,
                               const crypto::hybrid::SigPrivateKey& sender,
                               Reach reach = Reach::kAllHops);

struct SealedObject {
  std::string id;          // x-entente-sealed--...
  std::string sealed_ref;  // inner object id
  std::string version;     // inner version
  std::string sealed_by;   // node id whose key signed the envelope
  Bytes envelope;
};
// Reads the wrapper (not the envelope). kInvalidArgument naming the member.
Result<SealedObject> ParseSealed(json::Node object);

// Opens the envelope with this node's KEM key; the envelope must be signed by `sealed_by`'s
// trust-list key. kNotFound if this node is not a recipient; kCryptoError if it does not
// authenticate; kInvalidArgument if the content is not the object the wrapper names.
Result<std::string> OpenSealed(const SealedObject& sealed, const crypto::hybrid::KemPrivateKey& key,
                               const identity::TrustMember& sealed_by);

}  // namespace entente::federation
