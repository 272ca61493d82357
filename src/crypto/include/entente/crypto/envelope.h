// Sealed envelopes: a payload encrypted once and opened by any of N recipients, signed by its
// sender. The binary format (version 1) is specified in docs/ENVELOPE.md; in short:
//   header   suites, chunk size, salt, sender key id + public key, content type, TLP marking,
//            object ids, recipient count, then per recipient a hybrid-KEM ciphertext (X-Wing or
//            ML-KEM-1024+X25519) and the content key wrapped under an HKDF key schedule over the
//            KEM secret (and a QKD key when configured), then the recipient key ids encrypted
//            under the content key (so outsiders learn only the count);
//   chunks   STREAM-style AES-256-GCM: nonce = prefix || counter || last-flag, AD = header hash,
//            so truncation, reordering and chunk swapping fail authentication;
//   trailer  composite ML-DSA+Ed25519 signature over SHA-256 of everything before it.
// Memory is constant in the payload size (one chunk buffer, 64 KiB by default).
//
// Opening streams plaintext to the sink chunk by chunk as each chunk authenticates; the
// sender's signature can only be checked at the end, so callers must treat the output as
// untrusted until Open returns OK (the CLI writes to a temporary file and renames on success).
// Objects are single-threaded; separate envelopes may be sealed concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"

namespace entente::crypto::envelope {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint32_t kDefaultChunkSize = 64 * 1024;
// Parser limits (hostile input): a header is rejected beyond these.
constexpr std::uint32_t kMinChunkSize = 1024;
constexpr std::uint32_t kMaxChunkSize = 16u << 20;
constexpr std::size_t kMaxRecipients = 1024;
constexpr std::size_t kMaxObjectIds = 4096;

// Writes bytes somewhere (a file, a socket, a buffer).
using Sink = std::function<Status(ByteView)>;
// Reads up to `buf.size()` bytes into buf; returns the count, 0 only at the end of input.
using Source = std::function<Result<std::size_t>(std::span<std::uint8_t> buf)>;
Sink BytesSink(Bytes& out);
Source BytesSource(ByteView in);

// An extra key from a QKD link (ETSI GS QKD 014) for one recipient; mixed into that
// recipient's key derivation. The key id travels in the envelope (it is a random UUID).
struct QkdKey {
  QkdKey() = default;
  QkdKey(std::string id, SecretBytes k) : key_id(std::move(id)), key(std::move(k)) {}
  QkdKey(const QkdKey& o) : key_id(o.key_id), key(o.key.Clone()) {}
  QkdKey& operator=(const QkdKey& o) {
    key_id = o.key_id;
    key = o.key.Clone();
    return *this;
  }
  QkdKey(QkdKey&&) = default;
  QkdKey& operator=(QkdKey&&) = default;
  ~QkdKey() = default;

  std::string key_id;  // ≤ 64 bytes
  SecretBytes key;     // ≥ 16 bytes
};

struct Recipient {
  hybrid::KemSuite suite = hybrid::KemSuite::kXWing;
  Bytes public_key;
  std::optional<QkdKey> qkd;
};

struct Metadata {
  std::string content_type = "application/octet-stream";  // 1..255 printable ASCII
  std::string tlp = "TLP:AMBER";                          // 0..32 printable ASCII
  std::vector<std::string> object_ids;                    // each 1..255 bytes
};

// What the header says, plus (after Open) the recipient list and the opener's index.
struct Info {
  std::uint8_t version = kVersion;
  hybrid::KemSuite kem_suite = hybrid::KemSuite::kXWing;
  hybrid::SigSuite sig_suite = hybrid::SigSuite::kMlDsa65Ed25519;
  std::uint32_t chunk_size = 0;
  Bytes sender_key_id;  // 32 bytes
  Bytes sender_public_key;
  Metadata metadata;
  std::size_t recipient_count = 0;
  std::vector<Bytes> recipient_key_ids;  // filled by Open only
  std::uint64_t payload_bytes = 0;
};

// Key id (fingerprint) of a recipient KEM public key or a sender signature public key:
// SHA3-256("entente-key-id-v1" || kind || suite || public key). kind 1 = KEM, 2 = signature.
Bytes KemKeyId(hybrid::KemSuite suite, ByteView public_key);
Bytes SigKeyId(hybrid::SigSuite suite, ByteView public_key);

// Incremental sealing: Create writes the header, Write streams payload, Finish writes the last
// chunk and the signature. The sender key must outlive the writer.
class Writer {
 public:
  static Result<std::unique_ptr<Writer>> Create(const hybrid::SigPrivateKey& sender,
                                                const std::vector<Recipient>& recipients,
                                                const Metadata& metadata, Sink sink,
                                                std::uint32_t chunk_size = kDefaultChunkSize);
  ~Writer();
  Status Write(ByteView data);
  Status Finish();

 private:
  Writer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Looks up a QKD key by id (e.g. dec_keys at the local KME).
using QkdLookup = std::function<Result<SecretBytes>(const std::string& key_id)>;

// Opens with `key`: kNotFound if no recipient entry is for this key, kCryptoError on any
// authentication or signature failure, kInvalidArgument/kLimitExceeded on malformed input.
// If `expected_sender_id` is given, the header's sender must match it.
Result<Info> Open(const hybrid::KemPrivateKey& key, const Source& source, const Sink& sink,
                  const QkdLookup& qkd = {}, std::optional<ByteView> expected_sender_id = {});
// Checks structure and the sender's signature without any private key.
Result<Info> Verify(const Source& source, std::optional<ByteView> expected_sender_id = {});

// One-shot conveniences on memory buffers.
Result<Bytes> Seal(const hybrid::SigPrivateKey& sender, const std::vector<Recipient>& recipients,
                   const Metadata& metadata, ByteView payload,
                   std::uint32_t chunk_size = kDefaultChunkSize);

}  // namespace entente::crypto::envelope
