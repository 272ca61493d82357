// Identities (a node's or a user's hybrid key pairs) and their key files.
//
// An identity is a KEM key (X-Wing, or ML-KEM-1024+X25519 at Level V) for receiving envelopes
// and a composite signature key (ML-DSA-65+Ed25519, or ML-DSA-87+Ed25519) for signing. Private
// parts are the seeds only (32 + 64 bytes), held in SecretBytes. Key ids are fingerprints of the
// public keys (envelope::KemKeyId / SigKeyId).
//
// Key file (JSON, docs/CRYPTO.md): public part in the clear; the private seeds encrypted with
// AES-256-GCM under a key from scrypt(passphrase) (N = 2^17, r = 8, p = 1 by default: ~128 MiB
// and a few hundred ms per unlock, on purpose), with the public part as associated data. A
// public key file is the same JSON without "private". Rotation keeps the old file (status
// "retired") so old envelopes still open; the new file names its predecessor.
// Functions are reentrant; parsing enforces size limits (64 KiB per file).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"

namespace entente::crypto::keys {

enum class Profile : std::uint8_t { kLevel3, kLevel5 };

struct PublicIdentity {
  std::string kind = "node";  // "node" or "user"
  std::string label;
  std::string created;            // RFC 3339
  std::string status = "active";  // "active" or "retired"
  std::string rotated_from;       // hex signature key id of the predecessor, or empty
  hybrid::KemSuite kem_suite = hybrid::KemSuite::kXWing;
  Bytes kem_public_key;
  hybrid::SigSuite sig_suite = hybrid::SigSuite::kMlDsa65Ed25519;
  Bytes sig_public_key;

  Bytes kem_key_id() const;
  Bytes sig_key_id() const;
};

struct Identity {
  PublicIdentity pub;
  SecretBytes kem_seed;  // 32 bytes
  SecretBytes sig_key;   // 64 bytes: ML-DSA seed || Ed25519 key

  Result<std::unique_ptr<hybrid::KemPrivateKey>> KemKey() const;
  Result<std::unique_ptr<hybrid::SigPrivateKey>> SigKey() const;
};

struct ScryptParams {
  std::uint64_t n = 1u << 17;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};

// Fresh identity from the DRBG.
Result<Identity> Generate(Profile profile, std::string kind, std::string label);

// Key file text with the private part sealed under `passphrase` (must be ≥ 8 bytes).
Result<std::string> EncodeKeyFile(const Identity& id, ByteView passphrase,
                                  const ScryptParams& params = {});
// Public key file text (no secrets).
std::string EncodePublicKeyFile(const PublicIdentity& pub);
// Reads the public part of either kind of file; checks that key ids match the keys.
Result<PublicIdentity> ParsePublic(std::string_view text);
// Decrypts a key file: kCryptoError on a wrong passphrase or a modified file.
Result<Identity> DecryptKeyFile(std::string_view text, ByteView passphrase);

// New identity with the same profile, kind and label whose rotated_from names `old`; `old`'s
// status becomes "retired". Both must be written back by the caller.
Result<Identity> Rotate(Identity& old);

// File helpers: private key files are created with mode 0600 and never overwritten.
Status WriteNewFile(const std::string& path, std::string_view text, bool private_file);
Result<std::string> ReadSmallFile(const std::string& path, std::size_t limit = 64 * 1024);

}  // namespace entente::crypto::keys
