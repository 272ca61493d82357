// Hybrid post-quantum schemes: a KEM that stays secure while either ML-KEM or X25519 holds, and
// composite signatures that stay unforgeable while either ML-DSA or Ed25519 holds.
//
// KEM suites:
//   kXWing            X-Wing (draft-connolly-cfrg-xwing-kem-10), ML-KEM-768 + X25519, exactly as
//                     specified: pk 1216 B, ct 1120 B, sk = 32-byte seed, ss 32 B.
//   kMlKem1024X25519  Level-V profile: the X-Wing construction with ML-KEM-1024 and its own label
//                     (docs/CRYPTO.md): ss = SHA3-256(ss_M || ss_X || ct_X || pk_X ||
//                     "Entente-MLKEM1024-X25519-v1"); pk 1600 B, ct 1600 B, sk 32-byte seed.
// Signature suites (draft-ietf-lamps-pq-composite-sigs-19 construction):
//   kMlDsa65Ed25519   id-MLDSA65-Ed25519-SHA512, label "COMPSIG-MLDSA65-Ed25519-SHA512".
//   kMlDsa44Ed25519   id-MLDSA44-Ed25519-SHA512 (for the draft's vectors and small devices).
//   kMlDsa87Ed25519   Level-V profile, same construction, label
//                     "Entente-COMPSIG-MLDSA87-Ed25519-SHA512" (not in the draft; docs/CRYPTO.md).
// Composite private keys are ML-DSA seed (32) || Ed25519 private key (32); public keys
// ML-DSA pk || Ed25519 pk; signatures ML-DSA sig || Ed25519 sig (64).
// All functions are reentrant. X25519 and Ed25519 are OpenSSL's.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "entente/base/bytes.h"
#include "entente/base/status.h"
#include "entente/crypto/mldsa.h"
#include "entente/crypto/mlkem.h"

namespace entente::crypto::hybrid {

enum class KemSuite : std::uint8_t { kXWing = 1, kMlKem1024X25519 = 2 };
struct KemSizes {
  std::size_t pk, ct;
};
KemSizes SizesOf(KemSuite suite) noexcept;
std::string_view Name(KemSuite suite) noexcept;
constexpr std::size_t kKemSeedBytes = 32;

struct KemKeyPair {
  Bytes pk;
  SecretBytes sk;  // 32-byte seed
};
// Key pair from a 32-byte seed (X-Wing's expandDecapsulationKey), or a random one.
Result<KemKeyPair> KemKeyFromSeed(KemSuite suite, ByteView seed);
Result<KemKeyPair> KemKeyGen(KemSuite suite);

struct KemEncapsulation {
  Bytes ct;
  SecretBytes ss;
};
// Encapsulate to pk with fresh randomness, or with a given 64-byte eseed (ML-KEM m = eseed[0:32],
// X25519 ephemeral = eseed[32:64]), as the draft's EncapsulateDerand.
Result<KemEncapsulation> KemEncaps(KemSuite suite, ByteView pk);
Result<KemEncapsulation> KemEncapsDerand(KemSuite suite, ByteView pk, ByteView eseed);

// A decapsulation key expanded once (ML-KEM dk, X25519 key and pk_X), for opening many
// ciphertexts. Holds secrets; wiped on destruction. Immutable after creation: thread-safe.
class KemPrivateKey {
 public:
  static Result<std::unique_ptr<KemPrivateKey>> FromSeed(KemSuite suite, ByteView seed);
  ~KemPrivateKey();
  KemSuite suite() const noexcept { return suite_; }
  const Bytes& public_key() const noexcept { return pk_; }
  // Fails (kInvalidArgument) on a wrong length or an X25519 share that yields the zero point.
  Result<SecretBytes> Decaps(ByteView ct) const;

 private:
  KemPrivateKey() = default;
  KemSuite suite_ = KemSuite::kXWing;
  Bytes pk_;
  SecretBytes dk_m_;
  SecretBytes sk_x_;
  std::shared_ptr<void> x_key_;  // the X25519 key imported into OpenSSL once
};
Result<SecretBytes> KemDecaps(KemSuite suite, ByteView seed, ByteView ct);

enum class SigSuite : std::uint8_t {
  kMlDsa65Ed25519 = 1,
  kMlDsa87Ed25519 = 2,
  kMlDsa44Ed25519 = 3
};
struct SigSizes {
  std::size_t pk, sig;
};
SigSizes SizesOf(SigSuite suite) noexcept;
std::string_view Name(SigSuite suite) noexcept;
std::string_view Label(SigSuite suite) noexcept;
mldsa::Param MlDsaParamOf(SigSuite suite) noexcept;
constexpr std::size_t kSigPrivateBytes = 64;

struct SigKeyPair {
  Bytes pk;
  SecretBytes sk;  // ML-DSA seed || Ed25519 private key
};
Result<SigKeyPair> SigKeyFromPrivate(SigSuite suite, ByteView sk);
Result<SigKeyPair> SigKeyGen(SigSuite suite);

// A composite signing key expanded once. Immutable after creation: thread-safe.
class SigPrivateKey {
 public:
  static Result<std::unique_ptr<SigPrivateKey>> FromPrivate(SigSuite suite, ByteView sk);
  ~SigPrivateKey();
  SigSuite suite() const noexcept { return suite_; }
  const Bytes& public_key() const noexcept { return pk_; }
  // Composite Sign with context ctx (≤ 255 bytes); ML-DSA part hedged unless `deterministic`.
  Result<Bytes> Sign(ByteView message, ByteView ctx = {}, bool deterministic = false) const;

 private:
  SigPrivateKey() = default;
  SigSuite suite_ = SigSuite::kMlDsa65Ed25519;
  Bytes pk_;
  SecretBytes mldsa_sk_;
  SecretBytes ed_sk_;
};

Result<Bytes> SigSign(SigSuite suite, ByteView sk, ByteView message, ByteView ctx = {});
// True only if both component signatures verify. False on any malformed input.
bool SigVerify(SigSuite suite, ByteView pk, ByteView message, ByteView sig,
               ByteView ctx = {}) noexcept;

// Classical building blocks (OpenSSL), exposed for the envelope and tests.
Result<Bytes> X25519Public(ByteView sk);
Result<SecretBytes> X25519(ByteView sk, ByteView peer_pk);
Result<Bytes> Ed25519Public(ByteView sk);
Result<Bytes> Ed25519Sign(ByteView sk, ByteView message);
bool Ed25519Verify(ByteView pk, ByteView message, ByteView sig) noexcept;

}  // namespace entente::crypto::hybrid
