// The federation trust list: a signed JSON document, like a small eIDAS trusted list, that names
// the member nodes, their keys and endpoints. A node trusts a peer only if a verified list names
// it. Format (docs/IDENTITY.md):
//   {"type":"entente-trust-list","version":1,"sequence":7,
//    "issued":"2026-11-23T00:00:00.000Z","next_update":"2026-12-23T00:00:00.000Z",
//    "issuer":{"member_state":"EU","organization_ref":"identity--...","node_id":"eu-coord",
//              "sig_suite":"MLDSA65-Ed25519","sig_public_key":"<base64>"},
//    "members":[{"member_state":"FR","organization_ref":"identity--...","node_id":"fr-anssi",
//                "endpoint":"https://...","sig_suite":"MLDSA65-Ed25519",
//                "sig_public_key":"<base64>","kem_suite":"X-Wing","kem_public_key":"<base64>"}],
//    "signature":{"suite":"MLDSA65-Ed25519","value":"<base64>"}}
// The signature is the issuer's composite signature (crypto::hybrid) with context
// "entente-trust-list-v1" over the RFC 8785 (JCS) form of the document without "signature".
//
// Parsing enforces limits (kMaxTrustListBytes, kMaxMembers, string lengths); every function is
// reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/crypto/hybrid.h"

namespace entente::identity {

inline constexpr std::size_t kMaxTrustListBytes = 4u << 20;
inline constexpr std::size_t kMaxMembers = 512;
inline constexpr std::string_view kTrustListContext = "entente-trust-list-v1";

struct TrustIssuer {
  std::string member_state;      // "EU" for the coordination node
  std::string organization_ref;  // identity--<uuid>
  std::string node_id;
  crypto::hybrid::SigSuite sig_suite = crypto::hybrid::SigSuite::kMlDsa65Ed25519;
  Bytes sig_public_key;
};

struct TrustMember {
  std::string member_state;      // ISO 3166-1 alpha-2
  std::string organization_ref;  // identity--<uuid>
  std::string node_id;           // 1-64 of [a-z0-9._-]
  std::string endpoint;          // https:// URL
  crypto::hybrid::SigSuite sig_suite = crypto::hybrid::SigSuite::kMlDsa65Ed25519;
  Bytes sig_public_key;
  crypto::hybrid::KemSuite kem_suite = crypto::hybrid::KemSuite::kXWing;
  Bytes kem_public_key;
};

struct TrustList {
  std::uint64_t sequence = 0;
  Timestamp issued;
  Timestamp next_update;
  TrustIssuer issuer;
  std::vector<TrustMember> members;
  Bytes signature;  // empty until signed

  // The member with this node id, or nullptr.
  const TrustMember* FindNode(std::string_view node_id) const noexcept;
};

// Checks the fields of a list (names, sizes, key lengths for their suites, dates in order,
// no two members with the same node id, signature key or endpoint). kInvalidArgument naming
// the member and field.
Status CheckTrustList(const TrustList& list);

// The document as JSON text; with the signature if the list has one. Fails on CheckTrustList.
Result<std::string> EncodeTrustList(const TrustList& list);
// Parses the document (signed or not) with limits; checks fields but not the signature.
Result<TrustList> ParseTrustList(std::string_view text);

// The bytes that are signed: JCS of the document without "signature".
Result<std::string> TrustListSigningInput(const TrustList& list);

// Signs in place with the issuer's composite key; the key's public half must equal
// list.issuer.sig_public_key (kInvalidArgument otherwise).
Status SignTrustList(TrustList& list, const crypto::hybrid::SigPrivateKey& key);

struct TrustVerifyOptions {
  Timestamp now;                          // the verifier's clock
  std::uint64_t min_sequence = 0;         // the sequence of the last accepted list (rollback check)
  std::int64_t clock_skew_seconds = 300;  // an "issued" up to this far in the future is accepted
};

// Verifies a trust list document against the issuer's pinned public key: parses it, checks
// fields, refuses (kCryptoError) a missing or bad signature or an issuer key other than the
// pinned one, refuses (kPermissionDenied) an expired list (now >= next_update), a list issued in
// the future, and a rollback (sequence < min_sequence), and (kInvalidArgument) duplicate members.
Result<TrustList> VerifyTrustList(std::string_view document, crypto::hybrid::SigSuite suite,
                                  ByteView issuer_public_key, const TrustVerifyOptions& options);

}  // namespace entente::identity
