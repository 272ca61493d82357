// SHA-3 and SHAKE (FIPS 202).
//
// Two implementations with one meaning: `Keccak` is this module's own Keccak-f[1600] sponge,
// used on the hot paths of ML-KEM and ML-DSA because it squeezes incrementally with no per-call
// overhead (OpenSSL 3.0 has no incremental squeeze, and each EVP call costs more than a
// permutation). The `Evp*` functions go through OpenSSL and are what the tests check `Keccak`
// against. All functions are thread-compatible (one object per thread); none allocate except
// where a Bytes is returned. Time depends only on the lengths, never on the data.
#pragma once

#include <cstddef>
#include <cstdint>

#include "entente/base/bytes.h"

namespace entente::crypto {

// An incremental Keccak sponge: Absorb any number of times, then Squeeze any number of times.
// Absorbing after the first Squeeze is a programming error (it restarts nothing; don't).
class Keccak {
 public:
  enum class Kind : std::uint8_t { kSha3_256, kSha3_512, kShake128, kShake256 };
  explicit Keccak(Kind kind) noexcept;
  ~Keccak();  // wipes the state
  Keccak(const Keccak&) = default;
  Keccak& operator=(const Keccak&) = default;

  void Absorb(const std::uint8_t* data, std::size_t size) noexcept;
  void Absorb(ByteView data) noexcept { Absorb(data.data(), data.size()); }
  void AbsorbByte(std::uint8_t b) noexcept { Absorb(&b, 1); }
  // Any length, any number of calls; the first call pads the input.
  void Squeeze(std::uint8_t* out, std::size_t size) noexcept;
  // Fixed-output hashes: pads and writes the digest (32 or 64 bytes).
  void Digest(std::uint8_t* out) noexcept;
  std::size_t rate() const noexcept { return rate_; }

 private:
  void Finalize() noexcept;
  std::uint64_t state_[25];
  std::uint32_t rate_;
  std::uint32_t pos_ = 0;
  std::uint8_t domain_;
  bool squeezing_ = false;
};

// Keccak-f[1600] on a 25-lane state (exposed for benchmarks and tests).
void KeccakF1600(std::uint64_t state[25]) noexcept;

// One-shot conveniences on `Keccak`.
void Sha3_256(ByteView in, std::uint8_t out[32]) noexcept;
void Sha3_512(ByteView in, std::uint8_t out[64]) noexcept;
void Shake128(ByteView in, std::uint8_t* out, std::size_t out_len) noexcept;
void Shake256(ByteView in, std::uint8_t* out, std::size_t out_len) noexcept;

// The same functions through OpenSSL EVP ("SHA3-256", "SHAKE256", "SHA512", ...). Fails only if
// OpenSSL lacks the algorithm. `out_len` is used for XOFs and must equal the digest size
// otherwise.
Result<Bytes> EvpDigest(const char* name, ByteView in, std::size_t out_len);

}  // namespace entente::crypto
