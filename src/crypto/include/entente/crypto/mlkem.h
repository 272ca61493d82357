// ML-KEM (FIPS 203): key encapsulation at security categories 1, 3 and 5.
//
// Portable, constant-time C++ (no branch or memory index depends on a secret; tests/crypto's ct
// test checks this under valgrind). Keys and ciphertexts are the FIPS 203 byte encodings.
// Private keys exist in two forms: the 64-byte seed d||z (what key files store) and the
// expanded decapsulation key dk. All functions are reentrant; none keep state between calls.
// Costs on one Zen 5 core for ML-KEM-768: about 30 µs per operation (docs/BENCHMARKS.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::crypto::mlkem {

enum class Param : std::uint8_t { kMlKem512, kMlKem768, kMlKem1024 };

struct Sizes {
  std::size_t ek;  // encapsulation (public) key: 800 / 1184 / 1568
  std::size_t dk;  // expanded decapsulation key: 1632 / 2400 / 3168
  std::size_t ct;  // ciphertext: 768 / 1088 / 1568
};
constexpr std::size_t kSeedBytes = 64;    // d || z
constexpr std::size_t kSharedBytes = 32;  // shared secret
Sizes SizesOf(Param param) noexcept;
// "ML-KEM-768" etc.
std::string_view Name(Param param) noexcept;
// Parses "512", "768", "1024" or "ML-KEM-768".
Result<Param> ParseParam(std::string_view text);

struct KeyPair {
  Bytes ek;
  SecretBytes dk;  // expanded form
};

// ML-KEM.KeyGen_internal(d, z) (Alg. 16). d and z are 32 bytes each, else kInvalidArgument.
Result<KeyPair> KeyGenInternal(Param param, ByteView d, ByteView z);
// Expands a 64-byte seed d||z.
Result<KeyPair> KeyGenFromSeed(Param param, ByteView seed);
// Fresh random seed from OpenSSL's DRBG; `seed_out`, if given, receives d||z.
Result<KeyPair> KeyGen(Param param, SecretBytes* seed_out = nullptr);

struct Encapsulation {
  Bytes ct;
  SecretBytes ss;  // 32 bytes
};
// ML-KEM.Encaps_internal(ek, m) (Alg. 17) with the §7.2 input check on ek (kInvalidArgument if
// it fails). m is 32 bytes.
Result<Encapsulation> EncapsInternal(Param param, ByteView ek, ByteView m);
// ML-KEM.Encaps with fresh randomness.
Result<Encapsulation> Encaps(Param param, ByteView ek);

// ML-KEM.Decaps (Alg. 18) with implicit rejection: a well-formed but wrong ciphertext yields the
// pseudorandom rejection key, not an error. Fails (kInvalidArgument) only on wrong lengths or a
// dk that fails the §7.3 hash check.
Result<SecretBytes> Decaps(Param param, ByteView dk, ByteView ct);

// FIPS 203 §7.2 encapsulation-key check (length and modulus) and §7.3 decapsulation-key check
// (length and hash of the embedded ek).
bool CheckEncapsulationKey(Param param, ByteView ek) noexcept;
bool CheckDecapsulationKey(Param param, ByteView dk) noexcept;

}  // namespace entente::crypto::mlkem
