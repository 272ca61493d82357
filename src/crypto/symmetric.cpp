#include "entente/crypto/symmetric.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstring>

namespace entente::crypto {

namespace {
void HmacSha256(ByteView key, ByteView a, ByteView b, std::uint8_t out[32]) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        &EVP_MAC_free);
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac.get()),
                                                                &EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  static const std::uint8_t kEmpty[1] = {0};
  std::size_t len = 0;
  EVP_MAC_init(ctx.get(), key.empty() ? kEmpty : key.data(), key.size(), params);
  EVP_MAC_update(ctx.get(), a.data(), a.size());
  EVP_MAC_update(ctx.get(), b.data(), b.size());
  EVP_MAC_final(ctx.get(), out, &len, 32);
}
}  // namespace

SecretBytes HkdfExtract(ByteView salt, ByteView ikm) {
  SecretBytes prk(32);
  std::uint8_t zero[32] = {};
  HmacSha256(salt.empty() ? ByteView(zero, 32) : salt, ikm, {}, prk.data());
  return prk;
}

Result<SecretBytes> HkdfExpand(ByteView prk, ByteView info, std::size_t length) {
  if (length > 255 * 32) return Status::InvalidArgument("HKDF output longer than 8160 bytes");
  SecretBytes out(length);
  std::uint8_t t[32];
  std::size_t t_len = 0;
  Bytes buf;
  for (std::size_t done = 0, i = 1; done < length; ++i) {
    buf.assign(t, t + t_len);
    buf.insert(buf.end(), info.begin(), info.end());
    buf.push_back(static_cast<std::uint8_t>(i));
    HmacSha256(prk, buf, {}, t);
    t_len = 32;
    const std::size_t n = std::min<std::size_t>(32, length - done);
    std::memcpy(out.data() + done, t, n);
    done += n;
  }
  SecureWipe(t, sizeof(t));
  SecureWipe(buf.data(), buf.size());
  return out;
}

Bytes Sha256(ByteView data) {
  Bytes out(32);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

Status RandomBytes(std::span<std::uint8_t> out) {
  if (out.empty()) return Status::Ok();
  if (RAND_priv_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  }
  return Status::Ok();
}

Result<SecretBytes> Scrypt(ByteView passphrase, ByteView salt, std::uint64_t n, std::uint32_t r,
                           std::uint32_t p, std::size_t length) {
  SecretBytes out(length);
  const std::uint64_t maxmem = 128 * static_cast<std::uint64_t>(r) * (n + p + 2) + (64u << 20);
  if (EVP_PBE_scrypt(reinterpret_cast<const char*>(passphrase.data()), passphrase.size(),
                     salt.data(), salt.size(), n, r, p, maxmem, out.data(), length) != 1) {
    return Status::InvalidArgument("scrypt failed (bad parameters N=" + std::to_string(n) +
                                   " r=" + std::to_string(r) + " p=" + std::to_string(p) + ")");
  }
  return out;
}

struct AeadContext::Impl {
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
  ~Impl() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

AeadContext::~AeadContext() = default;

Result<std::unique_ptr<AeadContext>> AeadContext::Create(Aead aead, ByteView key) {
  if (key.size() != kAeadKeyBytes) return Status::InvalidArgument("AEAD key must be 32 bytes");
  const EVP_CIPHER* cipher = aead == Aead::kAes256Gcm ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
  std::unique_ptr<AeadContext> c(new AeadContext());
  c->impl_ = std::make_unique<Impl>();
  c->impl_->enc = EVP_CIPHER_CTX_new();
  c->impl_->dec = EVP_CIPHER_CTX_new();
  if (!c->impl_->enc || !c->impl_->dec ||
      EVP_EncryptInit_ex(c->impl_->enc, cipher, nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(c->impl_->dec, cipher, nullptr, key.data(), nullptr) != 1) {
    return Status::Internal("OpenSSL AEAD initialisation failed");
  }
  return c;
}

Status AeadContext::Seal(ByteView nonce, ByteView ad, ByteView in, std::span<std::uint8_t> out) {
  if (nonce.size() != kAeadNonceBytes || out.size() != in.size() + kAeadTagBytes) {
    return Status::InvalidArgument("AEAD seal: bad nonce or output size");
  }
  EVP_CIPHER_CTX* ctx = impl_->enc;
  int len = 0;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      (!ad.empty() &&
       EVP_EncryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) ||
      (!in.empty() &&
       EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx, out.data() + in.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagBytes, out.data() + in.size()) != 1) {
    return Status::Internal("OpenSSL AEAD seal failed");
  }
  return Status::Ok();
}

Status AeadContext::Open(ByteView nonce, ByteView ad, ByteView in, std::span<std::uint8_t> out) {
  if (nonce.size() != kAeadNonceBytes || in.size() < kAeadTagBytes ||
      out.size() != in.size() - kAeadTagBytes) {
    return Status::InvalidArgument("AEAD open: bad nonce or sizes");
  }
  EVP_CIPHER_CTX* ctx = impl_->dec;
  const std::size_t n = in.size() - kAeadTagBytes;
  std::uint8_t tag[kAeadTagBytes];
  std::memcpy(tag, in.data() + n, kAeadTagBytes);
  int len = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      (!ad.empty() &&
       EVP_DecryptUpdate(ctx, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) ||
      (n > 0 && EVP_DecryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(n)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagBytes, tag) != 1) {
    return Status::Internal("OpenSSL AEAD open failed");
  }
  if (EVP_DecryptFinal_ex(ctx, out.data() + n, &len) != 1) {
    SecureWipe(out.data(), out.size());
    return Status::CryptoError("AEAD authentication failed");
  }
  return Status::Ok();
}

}  // namespace entente::crypto
