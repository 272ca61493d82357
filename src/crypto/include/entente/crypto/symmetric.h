// Symmetric building blocks from OpenSSL: HKDF-SHA256, AES-256-GCM, ChaCha20-Poly1305, SHA-256,
// scrypt, and the DRBG. Thin wrappers that return Status values instead of OpenSSL error codes.
// Reentrant; AeadContext is one object per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::crypto {

// RFC 5869 with SHA-256.
SecretBytes HkdfExtract(ByteView salt, ByteView ikm);
Result<SecretBytes> HkdfExpand(ByteView prk, ByteView info, std::size_t length);
Bytes Sha256(ByteView data);

// Fills `out` from OpenSSL's private DRBG; fails only if the DRBG cannot seed.
Status RandomBytes(std::span<std::uint8_t> out);

// scrypt (RFC 7914) through EVP_PBE_scrypt. N a power of two.
Result<SecretBytes> Scrypt(ByteView passphrase, ByteView salt, std::uint64_t n, std::uint32_t r,
                           std::uint32_t p, std::size_t length);

enum class Aead : std::uint8_t { kAes256Gcm = 1, kChaCha20Poly1305 = 2 };
constexpr std::size_t kAeadKeyBytes = 32;
constexpr std::size_t kAeadNonceBytes = 12;
constexpr std::size_t kAeadTagBytes = 16;

// A keyed AEAD, reused across messages (one EVP context; the key schedule runs once).
class AeadContext {
 public:
  static Result<std::unique_ptr<AeadContext>> Create(Aead aead, ByteView key);
  ~AeadContext();
  // out = ciphertext || tag; out.size() must be in.size() + 16. `out` may alias `in`.
  Status Seal(ByteView nonce, ByteView ad, ByteView in, std::span<std::uint8_t> out);
  // in = ciphertext || tag; out.size() = in.size() - 16. kCryptoError if the tag is wrong.
  Status Open(ByteView nonce, ByteView ad, ByteView in, std::span<std::uint8_t> out);

 private:
  AeadContext() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::crypto
