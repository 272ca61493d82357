#include "entente/crypto/envelope.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "entente/crypto/sha3.h"
#include "entente/crypto/symmetric.h"

namespace entente::crypto::envelope {
namespace {

constexpr std::uint8_t kMagic[6] = {'E', 'N', 'T', 'E', 'N', 'V'};
constexpr std::string_view kSigContext = "entente-envelope-v1";
constexpr std::uint32_t kFinalBit = 0x80000000u;
constexpr std::size_t kWrappedBytes = 32 + kAeadTagBytes;
constexpr std::size_t kMaxQkdIdBytes = 64;

void PutU8(Bytes& b, std::uint8_t v) { b.push_back(v); }
void PutU16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void PutU32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
void PutBytes(Bytes& b, ByteView v) { b.insert(b.end(), v.begin(), v.end()); }

bool Printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Status CheckMetadata(const Metadata& m) {
  if (m.content_type.empty() || m.content_type.size() > 255 || !Printable(m.content_type)) {
    return Status::InvalidArgument("envelope content type must be 1-255 printable ASCII bytes");
  }
  if (m.tlp.size() > 32 || !Printable(m.tlp)) {
    return Status::InvalidArgument("envelope TLP marking must be 0-32 printable ASCII bytes");
  }
  if (m.object_ids.size() > kMaxObjectIds) {
    return Status::LimitExceeded("envelope carries more than 4096 object ids");
  }
  for (const auto& id : m.object_ids) {
    if (id.empty() || id.size() > 255) {
      return Status::InvalidArgument("envelope object id must be 1-255 bytes");
    }
  }
  return Status::Ok();
}

// Keys derived from the content key under the header context.
struct ContentKeys {
  SecretBytes payload_key;
  SecretBytes manifest_key;
  Bytes nonce_prefix;  // 7 bytes
};
Result<ContentKeys> DeriveContentKeys(ByteView content_key, ByteView context) {
  SecretBytes prk = HkdfExtract(context, content_key);
  ContentKeys k;
  ENTENTE_ASSIGN_OR_RETURN(k.payload_key,
                           HkdfExpand(prk.view(), AsBytes("entente-env-v1 payload"), 32));
  ENTENTE_ASSIGN_OR_RETURN(k.manifest_key,
                           HkdfExpand(prk.view(), AsBytes("entente-env-v1 recipients"), 32));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes n,
                           HkdfExpand(prk.view(), AsBytes("entente-env-v1 nonce"), 7));
  k.nonce_prefix.assign(n.view().begin(), n.view().end());
  return k;
}

// The per-recipient key schedule: secret = HKDF-Extract(context, ss || len(qkd) || qkd),
// wrap key = HKDF-Expand(secret, label || index || recipient key id).
Result<SecretBytes> WrapKey(ByteView context, ByteView ss, ByteView qkd, std::uint16_t index,
                            ByteView recipient_id) {
  SecretBytes ikm(ss.size() + 2 + qkd.size());
  std::memcpy(ikm.data(), ss.data(), ss.size());
  ikm[ss.size()] = static_cast<std::uint8_t>(qkd.size() >> 8);
  ikm[ss.size() + 1] = static_cast<std::uint8_t>(qkd.size());
  if (!qkd.empty()) std::memcpy(ikm.data() + ss.size() + 2, qkd.data(), qkd.size());
  SecretBytes secret = HkdfExtract(context, ikm.view());
  Bytes info;
  PutBytes(info, AsBytes("entente-env-v1 wrap"));
  PutU16(info, index);
  PutBytes(info, recipient_id);
  return HkdfExpand(secret.view(), info, 32);
}

Bytes WrapAd(ByteView context, std::uint16_t index, ByteView kem_ct) {
  Bytes ad(context.begin(), context.end());
  PutU16(ad, index);
  PutBytes(ad, kem_ct);
  return ad;
}

void ChunkNonce(std::uint8_t nonce[12], ByteView prefix, std::uint32_t counter, bool final) {
  std::memcpy(nonce, prefix.data(), 7);
  nonce[7] = static_cast<std::uint8_t>(counter >> 24);
  nonce[8] = static_cast<std::uint8_t>(counter >> 16);
  nonce[9] = static_cast<std::uint8_t>(counter >> 8);
  nonce[10] = static_cast<std::uint8_t>(counter);
  nonce[11] = final ? 1 : 0;
}

class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void Update(ByteView b) { EVP_DigestUpdate(ctx_.get(), b.data(), b.size()); }
  Bytes Final() {
    Bytes out(32);
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &n);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

Bytes SignedMessage(ByteView transcript_digest) {
  Bytes m;
  PutBytes(m, AsBytes(kSigContext));
  PutBytes(m, transcript_digest);
  return m;
}

// Buffered reading from a Source, hashing what it consumes.
class Reader {
 public:
  explicit Reader(const Source& source) : source_(source), buf_(64 * 1024) {}
  // Exactly n bytes or an error naming `what`.
  Status Read(std::span<std::uint8_t> out, const char* what) {
    std::size_t done = 0;
    while (done < out.size()) {
      if (pos_ == len_) {
        ENTENTE_ASSIGN_OR_RETURN(len_, source_(std::span<std::uint8_t>(buf_)));
        pos_ = 0;
        if (len_ == 0) {
          return Status::InvalidArgument(std::string("envelope truncated in ") + what +
                                         " at byte " + std::to_string(offset_ + done));
        }
      }
      const std::size_t n = std::min(out.size() - done, len_ - pos_);
      std::memcpy(out.data() + done, buf_.data() + pos_, n);
      pos_ += n;
      done += n;
    }
    offset_ += out.size();
    hash_.Update(out);
    if (record_) record_->insert(record_->end(), out.begin(), out.end());
    return Status::Ok();
  }
  Result<std::uint32_t> U(int bytes, const char* what) {
    std::uint8_t b[4];
    ENTENTE_RETURN_IF_ERROR(Read(std::span<std::uint8_t>(b, bytes), what));
    std::uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[i];
    return v;
  }
  Result<Bytes> Take(std::size_t n, const char* what) {
    Bytes b(n);
    ENTENTE_RETURN_IF_ERROR(Read(b, what));
    return b;
  }
  Result<bool> AtEnd() {
    if (pos_ < len_) return false;
    ENTENTE_ASSIGN_OR_RETURN(len_, source_(std::span<std::uint8_t>(buf_)));
    pos_ = 0;
    return len_ == 0;
  }
  void Record(Bytes* into) { record_ = into; }
  Bytes Digest() { return hash_.Final(); }
  std::uint64_t offset() const { return offset_; }

 private:
  const Source& source_;
  Bytes buf_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t offset_ = 0;
  Sha256Stream hash_;
  Bytes* record_ = nullptr;
};

struct Entry {
  Bytes kem_ct;
  std::string qkd_id;
  Bytes wrapped;
};

struct ParsedHeader {
  Info info;
  Bytes context;      // SHA-256 of the core
  Bytes header_hash;  // SHA-256 of the whole header
  Bytes salt;
  std::vector<Entry> entries;
  Bytes manifest;
};

Result<ParsedHeader> ParseHeader(Reader& r) {
  ParsedHeader h;
  Bytes core;
  r.Record(&core);
  ENTENTE_ASSIGN_OR_RETURN(Bytes magic, r.Take(6, "magic"));
  if (!std::equal(magic.begin(), magic.end(), kMagic)) {
    return Status::InvalidArgument("not an Entente envelope (bad magic)");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t version, r.U(1, "version"));
  if (version != kVersion) {
    return Status::Unsupported("envelope version " + std::to_string(version) +
                               " (this build reads 1)");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t reserved, r.U(1, "header"));
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t kem, r.U(1, "header"));
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t sig, r.U(1, "header"));
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t aead, r.U(1, "header"));
  if (reserved != 0) return Status::InvalidArgument("envelope reserved byte is not zero");
  if (kem != 1 && kem != 2) return Status::Unsupported("envelope KEM suite " + std::to_string(kem));
  if (sig != 1 && sig != 2)
    return Status::Unsupported("envelope signature suite " + std::to_string(sig));
  if (aead != static_cast<std::uint32_t>(Aead::kAes256Gcm)) {
    return Status::Unsupported("envelope AEAD " + std::to_string(aead));
  }
  h.info.kem_suite = static_cast<hybrid::KemSuite>(kem);
  h.info.sig_suite = static_cast<hybrid::SigSuite>(sig);
  ENTENTE_ASSIGN_OR_RETURN(h.info.chunk_size, r.U(4, "chunk size"));
  if (h.info.chunk_size < kMinChunkSize || h.info.chunk_size > kMaxChunkSize) {
    return Status::LimitExceeded("envelope chunk size " + std::to_string(h.info.chunk_size) +
                                 " outside 1 KiB - 16 MiB");
  }
  ENTENTE_ASSIGN_OR_RETURN(h.salt, r.Take(32, "salt"));
  ENTENTE_ASSIGN_OR_RETURN(h.info.sender_key_id, r.Take(32, "sender key id"));
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t pk_len, r.U(2, "sender key"));
  if (pk_len != hybrid::SizesOf(h.info.sig_suite).pk) {
    return Status::InvalidArgument("envelope sender public key has the wrong length");
  }
  ENTENTE_ASSIGN_OR_RETURN(h.info.sender_public_key, r.Take(pk_len, "sender key"));
  if (SigKeyId(h.info.sig_suite, h.info.sender_public_key) != h.info.sender_key_id) {
    return Status::CryptoError("envelope sender key id does not match the sender public key");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t ct_len, r.U(1, "content type"));
  ENTENTE_ASSIGN_OR_RETURN(Bytes ct_bytes, r.Take(ct_len, "content type"));
  h.info.metadata.content_type.assign(ct_bytes.begin(), ct_bytes.end());
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t tlp_len, r.U(1, "TLP"));
  ENTENTE_ASSIGN_OR_RETURN(Bytes tlp, r.Take(tlp_len, "TLP"));
  h.info.metadata.tlp.assign(tlp.begin(), tlp.end());
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t n_ids, r.U(2, "object ids"));
  if (n_ids > kMaxObjectIds)
    return Status::LimitExceeded("envelope carries more than 4096 object ids");
  for (std::uint32_t i = 0; i < n_ids; ++i) {
    ENTENTE_ASSIGN_OR_RETURN(std::uint32_t len, r.U(1, "object id"));
    ENTENTE_ASSIGN_OR_RETURN(Bytes id, r.Take(len, "object id"));
    h.info.metadata.object_ids.emplace_back(id.begin(), id.end());
  }
  ENTENTE_RETURN_IF_ERROR(CheckMetadata(h.info.metadata).WithContext("envelope header"));
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t n_rcpt, r.U(2, "recipient count"));
  if (n_rcpt == 0 || n_rcpt > kMaxRecipients) {
    return Status::LimitExceeded("envelope recipient count " + std::to_string(n_rcpt) +
                                 " outside 1-1024");
  }
  h.info.recipient_count = n_rcpt;
  h.context = Sha256(core);
  const std::size_t kem_ct = hybrid::SizesOf(h.info.kem_suite).ct;
  for (std::uint32_t i = 0; i < n_rcpt; ++i) {
    Entry e;
    ENTENTE_ASSIGN_OR_RETURN(e.kem_ct, r.Take(kem_ct, "recipient entry"));
    ENTENTE_ASSIGN_OR_RETURN(std::uint32_t qlen, r.U(1, "recipient entry"));
    if (qlen > kMaxQkdIdBytes) return Status::LimitExceeded("envelope QKD key id over 64 bytes");
    ENTENTE_ASSIGN_OR_RETURN(Bytes qid, r.Take(qlen, "recipient entry"));
    e.qkd_id.assign(qid.begin(), qid.end());
    ENTENTE_ASSIGN_OR_RETURN(e.wrapped, r.Take(kWrappedBytes, "recipient entry"));
    h.entries.push_back(std::move(e));
  }
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t mlen, r.U(4, "recipient list"));
  if (mlen != 32 * n_rcpt + kAeadTagBytes) {
    return Status::InvalidArgument("envelope recipient list has the wrong length");
  }
  ENTENTE_ASSIGN_OR_RETURN(h.manifest, r.Take(mlen, "recipient list"));
  r.Record(nullptr);
  h.header_hash = Sha256(core);  // `core` recorded the whole header by now
  return h;
}

// Reads chunk records; calls `chunk(counter, final, ciphertext)`; then the signature.
template <typename F>
Status ReadChunksAndSignature(Reader& r, const ParsedHeader& h, F&& chunk, Info& info) {
  Bytes ct;
  for (std::uint32_t counter = 0;; ++counter) {
    ENTENTE_ASSIGN_OR_RETURN(std::uint32_t word, r.U(4, "chunk header"));
    const bool final = (word & kFinalBit) != 0;
    const std::uint32_t len = word & ~kFinalBit;
    if (len < kAeadTagBytes || len > h.info.chunk_size + kAeadTagBytes ||
        (!final && len != h.info.chunk_size + kAeadTagBytes)) {
      return Status::InvalidArgument("envelope chunk " + std::to_string(counter) +
                                     " has an invalid length " + std::to_string(len));
    }
    ct.resize(len);
    ENTENTE_RETURN_IF_ERROR(r.Read(ct, "chunk"));
    ENTENTE_RETURN_IF_ERROR(chunk(counter, final, ByteView(ct)));
    info.payload_bytes += len - kAeadTagBytes;
    if (final) break;
    if (counter == 0xffffffffu) return Status::LimitExceeded("envelope has too many chunks");
  }
  const Bytes digest = r.Digest();
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t sig_len, r.U(2, "signature"));
  if (sig_len != hybrid::SizesOf(h.info.sig_suite).sig) {
    return Status::InvalidArgument("envelope signature has the wrong length");
  }
  ENTENTE_ASSIGN_OR_RETURN(Bytes sig, r.Take(sig_len, "signature"));
  ENTENTE_ASSIGN_OR_RETURN(bool end, r.AtEnd());
  if (!end) return Status::InvalidArgument("envelope has trailing bytes after the signature");
  if (!hybrid::SigVerify(h.info.sig_suite, h.info.sender_public_key, SignedMessage(digest), sig,
                         AsBytes(kSigContext))) {
    return Status::CryptoError("envelope signature does not verify");
  }
  return Status::Ok();
}

}  // namespace

Sink BytesSink(Bytes& out) {
  return [&out](ByteView b) {
    out.insert(out.end(), b.begin(), b.end());
    return Status::Ok();
  };
}

Source BytesSource(ByteView in) {
  auto pos = std::make_shared<std::size_t>(0);
  return [in, pos](std::span<std::uint8_t> buf) -> Result<std::size_t> {
    const std::size_t n = std::min(buf.size(), in.size() - *pos);
    std::memcpy(buf.data(), in.data() + *pos, n);
    *pos += n;
    return n;
  };
}

namespace {
Bytes KeyId(std::uint8_t kind, std::uint8_t suite, ByteView pk) {
  Keccak h(Keccak::Kind::kSha3_256);
  h.Absorb(AsBytes("entente-key-id-v1"));
  h.AbsorbByte(kind);
  h.AbsorbByte(suite);
  h.Absorb(pk);
  Bytes out(32);
  h.Digest(out.data());
  return out;
}
}  // namespace

Bytes KemKeyId(hybrid::KemSuite suite, ByteView public_key) {
  return KeyId(1, static_cast<std::uint8_t>(suite), public_key);
}
Bytes SigKeyId(hybrid::SigSuite suite, ByteView public_key) {
  return KeyId(2, static_cast<std::uint8_t>(suite), public_key);
}

struct Writer::Impl {
  Sink sink;
  const hybrid::SigPrivateKey* sender = nullptr;
  std::uint32_t chunk_size = 0;
  std::unique_ptr<AeadContext> aead;
  Bytes nonce_prefix;
  Bytes header_hash;
  Sha256Stream transcript;
  Bytes buf;  // pending plaintext, at most chunk_size
  Bytes out;  // one chunk record
  std::uint32_t counter = 0;
  bool finished = false;

  Status Emit(ByteView b) {
    transcript.Update(b);
    return sink(b);
  }
  Status Flush(bool final) {
    if (!final && counter == 0xffffffffu)
      return Status::LimitExceeded("envelope payload too large");
    const std::size_t n = buf.size();
    out.resize(4 + n + kAeadTagBytes);
    const std::uint32_t word =
        static_cast<std::uint32_t>(n + kAeadTagBytes) | (final ? kFinalBit : 0);
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(word >> (24 - 8 * i));
    std::uint8_t nonce[12];
    ChunkNonce(nonce, nonce_prefix, counter, final);
    ENTENTE_RETURN_IF_ERROR(
        aead->Seal(ByteView(nonce, 12), header_hash, buf, std::span<std::uint8_t>(out).subspan(4)));
    ++counter;
    SecureWipe(buf.data(), buf.size());
    buf.clear();
    return Emit(out);
  }
};

Writer::~Writer() = default;

Result<std::unique_ptr<Writer>> Writer::Create(const hybrid::SigPrivateKey& sender,
                                               const std::vector<Recipient>& recipients,
                                               const Metadata& metadata, Sink sink,
                                               std::uint32_t chunk_size) {
  ENTENTE_RETURN_IF_ERROR(CheckMetadata(metadata));
  if (recipients.empty() || recipients.size() > kMaxRecipients) {
    return Status::InvalidArgument("an envelope needs 1-1024 recipients");
  }
  if (chunk_size < kMinChunkSize || chunk_size > kMaxChunkSize) {
    return Status::InvalidArgument("envelope chunk size must be 1 KiB - 16 MiB");
  }
  if (sender.suite() != hybrid::SigSuite::kMlDsa65Ed25519 &&
      sender.suite() != hybrid::SigSuite::kMlDsa87Ed25519) {
    return Status::Unsupported("envelopes are signed with ML-DSA-65 or ML-DSA-87 composites");
  }
  const hybrid::KemSuite suite = recipients.front().suite;
  for (const auto& rc : recipients) {
    if (rc.suite != suite)
      return Status::InvalidArgument("all recipients of an envelope use one KEM suite");
    if (rc.public_key.size() != hybrid::SizesOf(suite).pk) {
      return Status::InvalidArgument("recipient public key has the wrong length for " +
                                     std::string(hybrid::Name(suite)));
    }
    if (rc.qkd && (rc.qkd->key_id.size() > kMaxQkdIdBytes || rc.qkd->key.size() < 16)) {
      return Status::InvalidArgument("QKD key id over 64 bytes or key under 16 bytes");
    }
  }
  Bytes salt(32);
  ENTENTE_RETURN_IF_ERROR(RandomBytes(salt));
  SecretBytes content_key(32);
  ENTENTE_RETURN_IF_ERROR(RandomBytes(content_key.span()));

  Bytes h;
  PutBytes(h, ByteView(kMagic, 6));
  PutU8(h, kVersion);
  PutU8(h, 0);
  PutU8(h, static_cast<std::uint8_t>(suite));
  PutU8(h, static_cast<std::uint8_t>(sender.suite()));
  PutU8(h, static_cast<std::uint8_t>(Aead::kAes256Gcm));
  PutU32(h, chunk_size);
  PutBytes(h, salt);
  PutBytes(h, SigKeyId(sender.suite(), sender.public_key()));
  PutU16(h, static_cast<std::uint16_t>(sender.public_key().size()));
  PutBytes(h, sender.public_key());
  PutU8(h, static_cast<std::uint8_t>(metadata.content_type.size()));
  PutBytes(h, AsBytes(metadata.content_type));
  PutU8(h, static_cast<std::uint8_t>(metadata.tlp.size()));
  PutBytes(h, AsBytes(metadata.tlp));
  PutU16(h, static_cast<std::uint16_t>(metadata.object_ids.size()));
  for (const auto& id : metadata.object_ids) {
    PutU8(h, static_cast<std::uint8_t>(id.size()));
    PutBytes(h, AsBytes(id));
  }
  PutU16(h, static_cast<std::uint16_t>(recipients.size()));
  const Bytes context = Sha256(h);
  ENTENTE_ASSIGN_OR_RETURN(ContentKeys keys, DeriveContentKeys(content_key.view(), context));

  Bytes manifest;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const Recipient& rc = recipients[i];
    const Bytes rid = KemKeyId(suite, rc.public_key);
    ENTENTE_ASSIGN_OR_RETURN(auto enc, hybrid::KemEncaps(suite, rc.public_key));
    const ByteView qkd = rc.qkd ? rc.qkd->key.view() : ByteView();
    ENTENTE_ASSIGN_OR_RETURN(
        SecretBytes wk, WrapKey(context, enc.ss.view(), qkd, static_cast<std::uint16_t>(i), rid));
    ENTENTE_ASSIGN_OR_RETURN(auto wrap, AeadContext::Create(Aead::kAes256Gcm, wk.view()));
    Bytes wrapped(kWrappedBytes);
    const std::uint8_t zero_nonce[12] = {};
    ENTENTE_RETURN_IF_ERROR(wrap->Seal(ByteView(zero_nonce, 12),
                                       WrapAd(context, static_cast<std::uint16_t>(i), enc.ct),
                                       content_key.view(), wrapped));
    PutBytes(h, enc.ct);
    PutU8(h, static_cast<std::uint8_t>(rc.qkd ? rc.qkd->key_id.size() : 0));
    if (rc.qkd) PutBytes(h, AsBytes(rc.qkd->key_id));
    PutBytes(h, wrapped);
    PutBytes(manifest, rid);
  }
  ENTENTE_ASSIGN_OR_RETURN(auto mk,
                           AeadContext::Create(Aead::kAes256Gcm, keys.manifest_key.view()));
  Bytes sealed_manifest(manifest.size() + kAeadTagBytes);
  const std::uint8_t zero_nonce[12] = {};
  ENTENTE_RETURN_IF_ERROR(mk->Seal(ByteView(zero_nonce, 12), context, manifest, sealed_manifest));
  PutU32(h, static_cast<std::uint32_t>(sealed_manifest.size()));
  PutBytes(h, sealed_manifest);

  std::unique_ptr<Writer> w(new Writer());
  w->impl_ = std::make_unique<Impl>();
  Impl& im = *w->impl_;
  im.sink = std::move(sink);
  im.sender = &sender;
  im.chunk_size = chunk_size;
  ENTENTE_ASSIGN_OR_RETURN(im.aead, AeadContext::Create(Aead::kAes256Gcm, keys.payload_key.view()));
  im.nonce_prefix = keys.nonce_prefix;
  im.header_hash = Sha256(h);
  im.buf.reserve(chunk_size);
  ENTENTE_RETURN_IF_ERROR(im.Emit(h));
  return w;
}

Status Writer::Write(ByteView data) {
  Impl& im = *impl_;
  if (im.finished) return Status::InvalidArgument("envelope writer already finished");
  while (!data.empty()) {
    if (im.buf.size() == im.chunk_size) ENTENTE_RETURN_IF_ERROR(im.Flush(false));
    const std::size_t n = std::min<std::size_t>(data.size(), im.chunk_size - im.buf.size());
    im.buf.insert(im.buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
  }
  return Status::Ok();
}

Status Writer::Finish() {
  Impl& im = *impl_;
  if (im.finished) return Status::InvalidArgument("envelope writer already finished");
  im.finished = true;
  ENTENTE_RETURN_IF_ERROR(im.Flush(true));
  const Bytes digest = im.transcript.Final();
  ENTENTE_ASSIGN_OR_RETURN(Bytes sig, im.sender->Sign(SignedMessage(digest), AsBytes(kSigContext)));
  Bytes trailer;
  PutU16(trailer, static_cast<std::uint16_t>(sig.size()));
  PutBytes(trailer, sig);
  return im.sink(trailer);
}

Result<Info> Open(const hybrid::KemPrivateKey& key, const Source& source, const Sink& sink,
                  const QkdLookup& qkd, std::optional<ByteView> expected_sender_id) {
  Reader r(source);
  ENTENTE_ASSIGN_OR_RETURN(ParsedHeader h, ParseHeader(r));
  if (expected_sender_id && !ConstantTimeEqual(*expected_sender_id, h.info.sender_key_id)) {
    return Status::PermissionDenied("envelope is from another sender");
  }
  if (h.info.kem_suite != key.suite()) {
    return Status::NotFound("envelope is sealed to " + std::string(hybrid::Name(h.info.kem_suite)) +
                            " keys, not " + std::string(hybrid::Name(key.suite())));
  }
  const Bytes my_id = KemKeyId(key.suite(), key.public_key());
  SecretBytes content_key(32);
  std::optional<std::size_t> index;
  Status qkd_error;
  for (std::size_t i = 0; i < h.entries.size() && !index; ++i) {
    const Entry& e = h.entries[i];
    auto ss = key.Decaps(e.kem_ct);
    if (!ss.ok()) continue;
    SecretBytes qkey;
    if (!e.qkd_id.empty()) {
      if (!qkd) {
        qkd_error = Status::Unavailable("envelope entry needs QKD key " + e.qkd_id +
                                        " and no KME is configured");
        continue;
      }
      auto k = qkd(e.qkd_id);
      if (!k.ok()) {
        qkd_error = k.status();
        continue;
      }
      qkey = std::move(k).value();
    }
    ENTENTE_ASSIGN_OR_RETURN(SecretBytes wk, WrapKey(h.context, ss.value().view(), qkey.view(),
                                                     static_cast<std::uint16_t>(i), my_id));
    ENTENTE_ASSIGN_OR_RETURN(auto wrap, AeadContext::Create(Aead::kAes256Gcm, wk.view()));
    const std::uint8_t zero_nonce[12] = {};
    if (wrap->Open(ByteView(zero_nonce, 12),
                   WrapAd(h.context, static_cast<std::uint16_t>(i), e.kem_ct), e.wrapped,
                   content_key.span())
            .ok()) {
      index = i;
    }
  }
  if (!index) {
    if (!qkd_error.ok()) return qkd_error;
    return Status::NotFound("envelope has no entry for key " + HexEncode(my_id).substr(0, 16));
  }
  ENTENTE_ASSIGN_OR_RETURN(ContentKeys keys, DeriveContentKeys(content_key.view(), h.context));
  ENTENTE_ASSIGN_OR_RETURN(auto mk,
                           AeadContext::Create(Aead::kAes256Gcm, keys.manifest_key.view()));
  Bytes manifest(h.manifest.size() - kAeadTagBytes);
  const std::uint8_t zero_nonce[12] = {};
  ENTENTE_RETURN_IF_ERROR(mk->Open(ByteView(zero_nonce, 12), h.context, h.manifest, manifest)
                              .WithContext("envelope recipient list"));
  if (!std::equal(my_id.begin(), my_id.end(),
                  manifest.begin() + 32 * static_cast<std::ptrdiff_t>(*index))) {
    return Status::CryptoError("envelope recipient list does not name this key at its entry");
  }
  for (std::size_t i = 0; i < h.info.recipient_count; ++i) {
    h.info.recipient_key_ids.emplace_back(
        manifest.begin() + 32 * static_cast<std::ptrdiff_t>(i),
        manifest.begin() + 32 * static_cast<std::ptrdiff_t>(i + 1));
  }
  ENTENTE_ASSIGN_OR_RETURN(auto aead,
                           AeadContext::Create(Aead::kAes256Gcm, keys.payload_key.view()));
  Bytes pt;
  auto chunk = [&](std::uint32_t counter, bool final, ByteView ct) -> Status {
    std::uint8_t nonce[12];
    ChunkNonce(nonce, keys.nonce_prefix, counter, final);
    pt.resize(ct.size() - kAeadTagBytes);
    ENTENTE_RETURN_IF_ERROR(aead->Open(ByteView(nonce, 12), h.header_hash, ct, pt)
                                .WithContext("envelope chunk " + std::to_string(counter)));
    return sink(pt);
  };
  Status st = ReadChunksAndSignature(r, h, chunk, h.info);
  SecureWipe(pt.data(), pt.size());
  if (!st.ok()) return st;
  return std::move(h.info);
}

Result<Info> Verify(const Source& source, std::optional<ByteView> expected_sender_id) {
  Reader r(source);
  ENTENTE_ASSIGN_OR_RETURN(ParsedHeader h, ParseHeader(r));
  if (expected_sender_id && !ConstantTimeEqual(*expected_sender_id, h.info.sender_key_id)) {
    return Status::PermissionDenied("envelope is from another sender");
  }
  auto chunk = [](std::uint32_t, bool, ByteView) { return Status::Ok(); };
  ENTENTE_RETURN_IF_ERROR(ReadChunksAndSignature(r, h, chunk, h.info));
  return std::move(h.info);
}

Result<Bytes> Seal(const hybrid::SigPrivateKey& sender, const std::vector<Recipient>& recipients,
                   const Metadata& metadata, ByteView payload, std::uint32_t chunk_size) {
  Bytes out;
  ENTENTE_ASSIGN_OR_RETURN(
      auto w, Writer::Create(sender, recipients, metadata, BytesSink(out), chunk_size));
  ENTENTE_RETURN_IF_ERROR(w->Write(payload));
  ENTENTE_RETURN_IF_ERROR(w->Finish());
  return out;
}

}  // namespace entente::crypto::envelope
