// Signed tree heads and the JSON forms of heads and proofs (docs/LEDGER.md).
//
// A tree head commits to the whole log at one size. The node signs it with its composite
// signature key (ML-DSA-65 + Ed25519 by default), so a peer holding the head and the node's
// public key can check any copy of the log, or any proof, offline.
//
// Signed bytes: the JCS canonical JSON of
//   {"log_id":"<hex>","root_hash":"<hex>","timestamp":"<RFC 3339>","tree_size":<n>}
// under the composite signature context kSthContext. log_id is the hex signature key id of the
// signing key (crypto::envelope::SigKeyId), so a head names the key that must verify it.
//
// JSON forms (every member required, no others accepted):
//   head        {"log_id","root_hash","sig_suite","signature"(base64),"timestamp","tree_size"}
//   inclusion   {"type":"inclusion","leaf_index","tree_size","leaf_hash","audit_path":[hex]}
//   consistency {"type":"consistency","first_size","second_size","path":[hex]}
// Parsing is strict and bounded (kMaxJsonBytes, at most 64 hashes per proof, sizes < 2^63).
// Functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"
#include "entente/ledger/merkle.h"

namespace entente::ledger {

inline constexpr std::string_view kSthContext = "entente-ledger-sth-v1";
constexpr std::size_t kMaxJsonBytes = 64 * 1024;
constexpr std::size_t kMaxProofHashes = 64;

struct TreeHead {
  std::uint64_t tree_size = 0;
  Hash root_hash{};
  std::string timestamp;  // RFC 3339
  std::string log_id;     // hex signature key id of the log's key

  // The exact bytes that are signed.
  std::string SignedBytes() const;
};

struct SignedTreeHead {
  TreeHead head;
  crypto::hybrid::SigSuite sig_suite = crypto::hybrid::SigSuite::kMlDsa65Ed25519;
  Bytes signature;
};

struct InclusionProof {
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  Hash leaf_hash{};
  std::vector<Hash> audit_path;
};

struct ConsistencyProof {
  std::uint64_t first_size = 0;
  std::uint64_t second_size = 0;
  std::vector<Hash> path;
};

// The log id for a signature public key: hex of crypto::envelope::SigKeyId.
std::string LogIdFor(crypto::hybrid::SigSuite suite, ByteView public_key);

// Signs `head` (whose log_id must be LogIdFor(key)); kInvalidArgument on a log id mismatch.
Result<SignedTreeHead> SignTreeHead(const TreeHead& head, const crypto::hybrid::SigPrivateKey& key);
// Checks the signature with `public_key` and that log_id names that key. kCryptoError
// ("signature does not verify", "log id ... is not the key's") otherwise.
Status VerifyTreeHead(const SignedTreeHead& sth, crypto::hybrid::SigSuite suite,
                      ByteView public_key);

std::string ToJson(const SignedTreeHead& sth);
std::string ToJson(const InclusionProof& proof);
std::string ToJson(const ConsistencyProof& proof);
// kInvalidArgument / kLimitExceeded naming the member at fault.
Result<SignedTreeHead> ParseSignedTreeHead(std::string_view json);
Result<InclusionProof> ParseInclusionProof(std::string_view json);
Result<ConsistencyProof> ParseConsistencyProof(std::string_view json);

}  // namespace entente::ledger
