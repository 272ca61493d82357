// ML-DSA (FIPS 204): lattice signatures at security categories 2, 3 and 5.
//
// Portable, constant-time C++: no branch or memory index depends on the private key except the
// rejection decision of the signing loop, which FIPS 204 makes public by design (tests/crypto's
// ct test checks this under valgrind). Keys and signatures are the FIPS 204 byte encodings; the
// private key also exists as its 32-byte seed ξ (what key files store). Reentrant, no state.
// Costs on one Zen 5 core for ML-DSA-65: keygen ~0.1 ms, sign ~0.3 ms, verify ~0.1 ms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::crypto::mldsa {

enum class Param : std::uint8_t { kMlDsa44, kMlDsa65, kMlDsa87 };

struct Sizes {
  std::size_t pk;   // 1312 / 1952 / 2592
  std::size_t sk;   // 2560 / 4032 / 4896
  std::size_t sig;  // 2420 / 3309 / 4627
};
constexpr std::size_t kSeedBytes = 32;
constexpr std::size_t kMaxContext = 255;
Sizes SizesOf(Param param) noexcept;
std::string_view Name(Param param) noexcept;  // "ML-DSA-65"
// Parses "44", "65", "87" or "ML-DSA-65".
Result<Param> ParseParam(std::string_view text);

struct KeyPair {
  Bytes pk;
  SecretBytes sk;  // expanded form
};
// ML-DSA.KeyGen_internal(ξ) (Alg. 6); ξ is 32 bytes.
Result<KeyPair> KeyGenFromSeed(Param param, ByteView seed);
// Random ξ from OpenSSL's DRBG; `seed_out`, if given, receives it.
Result<KeyPair> KeyGen(Param param, SecretBytes* seed_out = nullptr);

// The pre-hash functions HashML-DSA accepts (FIPS 204 §5.4), named as in ACVP ("SHA2-256",
// "SHA3-512", "SHAKE-128", ...).
enum class PreHash : std::uint8_t {
  kSha2_224,
  kSha2_256,
  kSha2_384,
  kSha2_512,
  kSha2_512_224,
  kSha2_512_256,
  kSha3_224,
  kSha3_256,
  kSha3_384,
  kSha3_512,
  kShake128,
  kShake256,
};
Result<PreHash> ParsePreHash(std::string_view name);

// How randomness enters signing: hedged (fresh 32 bytes from the DRBG, the default),
// deterministic (rnd = 0^32), or a caller-given rnd (tests, interop).
struct SignOptions {
  bool deterministic = false;
  std::optional<Bytes> rnd;  // 32 bytes if set; overrides `deterministic`
};

// ML-DSA.Sign (Alg. 2): pure signature of `message` under context `ctx` (≤ 255 bytes).
// Fails with kInvalidArgument on a malformed sk, long ctx or bad rnd length.
Result<Bytes> Sign(Param param, ByteView sk, ByteView message, ByteView ctx = {},
                   const SignOptions& options = {});
// ML-DSA.Verify (Alg. 3). False on any malformed input; never an error.
bool Verify(Param param, ByteView pk, ByteView message, ByteView sig, ByteView ctx = {}) noexcept;

// HashML-DSA.Sign / Verify (Alg. 4 and 5): `message` is hashed with `ph` and signed with the
// hash's OID in the domain-separated message.
Result<Bytes> HashSign(Param param, ByteView sk, ByteView message, PreHash ph, ByteView ctx = {},
                       const SignOptions& options = {});
bool HashVerify(Param param, ByteView pk, ByteView message, ByteView sig, PreHash ph,
                ByteView ctx = {}) noexcept;

// The internal interface ACVP tests (Alg. 7 and 8): M' is signed as given, with no domain prefix.
// If `mu` is given (64 bytes) it replaces H(tr || M') ("external mu") and `message` is ignored.
Result<Bytes> SignInternal(Param param, ByteView sk, ByteView message, ByteView rnd,
                           std::optional<ByteView> mu = std::nullopt);
bool VerifyInternal(Param param, ByteView pk, ByteView message, ByteView sig,
                    std::optional<ByteView> mu = std::nullopt) noexcept;

// Whether pk/sk decode (lengths, and for sk the range of s1, s2 and its tr = H(pk) binding is
// not checked; the encoding bounds are).
bool CheckPublicKey(Param param, ByteView pk) noexcept;

}  // namespace entente::crypto::mldsa
