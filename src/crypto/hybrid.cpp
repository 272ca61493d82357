#include "entente/crypto/hybrid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "entente/crypto/sha3.h"

namespace entente::crypto::hybrid {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

constexpr std::uint8_t kXWingLabel[6] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};  // "\.//^\"
constexpr std::string_view kLevel5KemLabel = "Entente-MLKEM1024-X25519-v1";
constexpr std::string_view kCompositePrefix = "CompositeAlgorithmSignatures2025";

mlkem::Param MlKemOf(KemSuite s) noexcept {
  return s == KemSuite::kXWing ? mlkem::Param::kMlKem768 : mlkem::Param::kMlKem1024;
}
ByteView KemLabel(KemSuite s) noexcept {
  return s == KemSuite::kXWing ? ByteView(kXWingLabel, 6) : AsBytes(kLevel5KemLabel);
}

PkeyPtr RawPrivate(int type, ByteView sk) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(type, nullptr, sk.data(), sk.size()), &EVP_PKEY_free);
}

Result<Bytes> RawPublicOf(int type, ByteView sk, const char* what) {
  if (sk.size() != 32)
    return Status::InvalidArgument(std::string(what) + " private key must be 32 bytes");
  PkeyPtr key = RawPrivate(type, sk);
  Bytes pk(32);
  std::size_t len = pk.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pk.data(), &len) != 1 || len != 32) {
    return Status::Internal(std::string("OpenSSL ") + what + " public key derivation failed");
  }
  return pk;
}

// ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || label).
SecretBytes Combine(KemSuite suite, ByteView ss_m, ByteView ss_x, ByteView ct_x, ByteView pk_x) {
  Keccak h(Keccak::Kind::kSha3_256);
  h.Absorb(ss_m);
  h.Absorb(ss_x);
  h.Absorb(ct_x);
  h.Absorb(pk_x);
  h.Absorb(KemLabel(suite));
  SecretBytes ss(32);
  h.Digest(ss.data());
  return ss;
}

// M' = Prefix || Label || len(ctx) || ctx || SHA-512(M).
Result<Bytes> CompositeMessage(SigSuite suite, ByteView message, ByteView ctx) {
  if (ctx.size() > 255)
    return Status::InvalidArgument("composite signature context over 255 bytes");
  ENTENTE_ASSIGN_OR_RETURN(Bytes ph, EvpDigest("SHA512", message, 64));
  Bytes m;
  const std::string_view label = Label(suite);
  m.reserve(kCompositePrefix.size() + label.size() + 1 + ctx.size() + 64);
  m.insert(m.end(), kCompositePrefix.begin(), kCompositePrefix.end());
  m.insert(m.end(), label.begin(), label.end());
  m.push_back(static_cast<std::uint8_t>(ctx.size()));
  m.insert(m.end(), ctx.begin(), ctx.end());
  m.insert(m.end(), ph.begin(), ph.end());
  return m;
}

}  // namespace

// --- classical ---------------------------------------------------------------------------------

Result<Bytes> X25519Public(ByteView sk) { return RawPublicOf(EVP_PKEY_X25519, sk, "X25519"); }

namespace {
// X25519 with an imported private key (importing computes the public key: one scalar
// multiplication, so callers import once and reuse).
Result<SecretBytes> DeriveWith(EVP_PKEY* key, ByteView peer_pk) {
  if (peer_pk.size() != 32) return Status::InvalidArgument("X25519 public key must be 32 bytes");
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_pk.data(), 32),
               &EVP_PKEY_free);
  if (!key || !peer) return Status::Internal("OpenSSL X25519 key import failed");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr), &EVP_PKEY_CTX_free);
  SecretBytes out(32);
  std::size_t len = 32;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32) {
    return Status::InvalidArgument("X25519 failed (low-order peer share?)");
  }
  return out;
}
}  // namespace

Result<SecretBytes> X25519(ByteView sk, ByteView peer_pk) {
  if (sk.size() != 32) return Status::InvalidArgument("X25519 private key must be 32 bytes");
  PkeyPtr key = RawPrivate(EVP_PKEY_X25519, sk);
  return DeriveWith(key.get(), peer_pk);
}

Result<Bytes> Ed25519Public(ByteView sk) { return RawPublicOf(EVP_PKEY_ED25519, sk, "Ed25519"); }

Result<Bytes> Ed25519Sign(ByteView sk, ByteView message) {
  if (sk.size() != 32) return Status::InvalidArgument("Ed25519 private key must be 32 bytes");
  PkeyPtr key = RawPrivate(EVP_PKEY_ED25519, sk);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  Bytes sig(64);
  std::size_t len = 64;
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return Status::Internal("OpenSSL Ed25519 signing failed");
  }
  return sig;
}

bool Ed25519Verify(ByteView pk, ByteView message, ByteView sig) noexcept {
  if (pk.size() != 32 || sig.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk.data(), 32),
              &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), 64, message.data(), message.size()) == 1;
}

// --- KEM -----------------------------------------------------------------------------------------

KemSizes SizesOf(KemSuite suite) noexcept {
  const auto s = mlkem::SizesOf(MlKemOf(suite));
  return {s.ek + 32, s.ct + 32};
}

std::string_view Name(KemSuite suite) noexcept {
  return suite == KemSuite::kXWing ? "X-Wing" : "ML-KEM-1024+X25519";
}

Result<std::unique_ptr<KemPrivateKey>> KemPrivateKey::FromSeed(KemSuite suite, ByteView seed) {
  if (seed.size() != kKemSeedBytes) {
    return Status::InvalidArgument(std::string(Name(suite)) + " private key seed must be 32 bytes");
  }
  SecretBytes e(96);
  Shake256(seed, e.data(), 96);
  ENTENTE_ASSIGN_OR_RETURN(auto kp, mlkem::KeyGenInternal(MlKemOf(suite), e.view().subspan(0, 32),
                                                          e.view().subspan(32, 32)));
  std::unique_ptr<KemPrivateKey> key(new KemPrivateKey());
  key->suite_ = suite;
  key->sk_x_ = SecretBytes(e.view().subspan(64, 32));
  key->x_key_ = std::shared_ptr<void>(RawPrivate(EVP_PKEY_X25519, key->sk_x_.view()).release(),
                                      [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
  Bytes pk_x(32);
  std::size_t pk_x_len = 32;
  if (!key->x_key_ || EVP_PKEY_get_raw_public_key(static_cast<EVP_PKEY*>(key->x_key_.get()),
                                                  pk_x.data(), &pk_x_len) != 1) {
    return Status::Internal("OpenSSL X25519 key import failed");
  }
  key->pk_ = std::move(kp.ek);
  key->pk_.insert(key->pk_.end(), pk_x.begin(), pk_x.end());
  key->dk_m_ = std::move(kp.dk);
  return key;
}

KemPrivateKey::~KemPrivateKey() = default;

Result<SecretBytes> KemPrivateKey::Decaps(ByteView ct) const {
  const KemSizes sizes = SizesOf(suite_);
  if (ct.size() != sizes.ct) {
    return Status::InvalidArgument(std::string(Name(suite_)) + " ciphertext must be " +
                                   std::to_string(sizes.ct) + " bytes");
  }
  const std::size_t ctm = sizes.ct - 32;
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes ss_m,
                           mlkem::Decaps(MlKemOf(suite_), dk_m_.view(), ct.subspan(0, ctm)));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes ss_x,
                           DeriveWith(static_cast<EVP_PKEY*>(x_key_.get()), ct.subspan(ctm, 32)));
  return Combine(suite_, ss_m.view(), ss_x.view(), ct.subspan(ctm, 32),
                 ByteView(pk_).subspan(pk_.size() - 32, 32));
}

Result<KemKeyPair> KemKeyFromSeed(KemSuite suite, ByteView seed) {
  ENTENTE_ASSIGN_OR_RETURN(auto key, KemPrivateKey::FromSeed(suite, seed));
  return KemKeyPair{key->public_key(), SecretBytes(seed)};
}

Result<KemKeyPair> KemKeyGen(KemSuite suite) {
  SecretBytes seed(32);
  if (RAND_priv_bytes(seed.data(), 32) != 1)
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  return KemKeyFromSeed(suite, seed.view());
}

Result<KemEncapsulation> KemEncapsDerand(KemSuite suite, ByteView pk, ByteView eseed) {
  const KemSizes sizes = SizesOf(suite);
  if (pk.size() != sizes.pk) {
    return Status::InvalidArgument(std::string(Name(suite)) + " public key must be " +
                                   std::to_string(sizes.pk) + " bytes");
  }
  if (eseed.size() != 64) return Status::InvalidArgument("encapsulation seed must be 64 bytes");
  const ByteView pk_m = pk.subspan(0, pk.size() - 32);
  const ByteView pk_x = pk.subspan(pk.size() - 32, 32);
  const ByteView ek_x = eseed.subspan(32, 32);
  PkeyPtr eph = RawPrivate(EVP_PKEY_X25519, ek_x);
  Bytes ct_x(32);
  std::size_t ct_x_len = 32;
  if (!eph || EVP_PKEY_get_raw_public_key(eph.get(), ct_x.data(), &ct_x_len) != 1) {
    return Status::Internal("OpenSSL X25519 key generation failed");
  }
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes ss_x, DeriveWith(eph.get(), pk_x));
  ENTENTE_ASSIGN_OR_RETURN(auto m,
                           mlkem::EncapsInternal(MlKemOf(suite), pk_m, eseed.subspan(0, 32)));
  KemEncapsulation out;
  out.ss = Combine(suite, m.ss.view(), ss_x.view(), ct_x, pk_x);
  out.ct = std::move(m.ct);
  out.ct.insert(out.ct.end(), ct_x.begin(), ct_x.end());
  return out;
}

Result<KemEncapsulation> KemEncaps(KemSuite suite, ByteView pk) {
  SecretBytes eseed(64);
  if (RAND_priv_bytes(eseed.data(), 64) != 1)
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  return KemEncapsDerand(suite, pk, eseed.view());
}

Result<SecretBytes> KemDecaps(KemSuite suite, ByteView seed, ByteView ct) {
  ENTENTE_ASSIGN_OR_RETURN(auto key, KemPrivateKey::FromSeed(suite, seed));
  return key->Decaps(ct);
}

// --- composite signatures ------------------------------------------------------------------------

mldsa::Param MlDsaParamOf(SigSuite suite) noexcept {
  switch (suite) {
    case SigSuite::kMlDsa44Ed25519:
      return mldsa::Param::kMlDsa44;
    case SigSuite::kMlDsa87Ed25519:
      return mldsa::Param::kMlDsa87;
    case SigSuite::kMlDsa65Ed25519:
      break;
  }
  return mldsa::Param::kMlDsa65;
}

SigSizes SizesOf(SigSuite suite) noexcept {
  const auto s = mldsa::SizesOf(MlDsaParamOf(suite));
  return {s.pk + 32, s.sig + 64};
}

std::string_view Name(SigSuite suite) noexcept {
  switch (suite) {
    case SigSuite::kMlDsa44Ed25519:
      return "id-MLDSA44-Ed25519-SHA512";
    case SigSuite::kMlDsa87Ed25519:
      return "MLDSA87-Ed25519-SHA512";
    case SigSuite::kMlDsa65Ed25519:
      break;
  }
  return "id-MLDSA65-Ed25519-SHA512";
}

std::string_view Label(SigSuite suite) noexcept {
  switch (suite) {
    case SigSuite::kMlDsa44Ed25519:
      return "COMPSIG-MLDSA44-Ed25519-SHA512";
    case SigSuite::kMlDsa87Ed25519:
      return "Entente-COMPSIG-MLDSA87-Ed25519-SHA512";
    case SigSuite::kMlDsa65Ed25519:
      break;
  }
  return "COMPSIG-MLDSA65-Ed25519-SHA512";
}

Result<std::unique_ptr<SigPrivateKey>> SigPrivateKey::FromPrivate(SigSuite suite, ByteView sk) {
  if (sk.size() != kSigPrivateBytes) {
    return Status::InvalidArgument(std::string(Name(suite)) + " private key must be 64 bytes");
  }
  ENTENTE_ASSIGN_OR_RETURN(auto kp, mldsa::KeyGenFromSeed(MlDsaParamOf(suite), sk.subspan(0, 32)));
  ENTENTE_ASSIGN_OR_RETURN(Bytes ed_pk, Ed25519Public(sk.subspan(32, 32)));
  std::unique_ptr<SigPrivateKey> key(new SigPrivateKey());
  key->suite_ = suite;
  key->pk_ = std::move(kp.pk);
  key->pk_.insert(key->pk_.end(), ed_pk.begin(), ed_pk.end());
  key->mldsa_sk_ = std::move(kp.sk);
  key->ed_sk_ = SecretBytes(sk.subspan(32, 32));
  return key;
}

SigPrivateKey::~SigPrivateKey() = default;

Result<Bytes> SigPrivateKey::Sign(ByteView message, ByteView ctx, bool deterministic) const {
  ENTENTE_ASSIGN_OR_RETURN(Bytes mp, CompositeMessage(suite_, message, ctx));
  mldsa::SignOptions opts;
  opts.deterministic = deterministic;
  ENTENTE_ASSIGN_OR_RETURN(Bytes sig, mldsa::Sign(MlDsaParamOf(suite_), mldsa_sk_.view(), mp,
                                                  AsBytes(Label(suite_)), opts));
  ENTENTE_ASSIGN_OR_RETURN(Bytes ed, Ed25519Sign(ed_sk_.view(), mp));
  sig.insert(sig.end(), ed.begin(), ed.end());
  return sig;
}

Result<SigKeyPair> SigKeyFromPrivate(SigSuite suite, ByteView sk) {
  ENTENTE_ASSIGN_OR_RETURN(auto key, SigPrivateKey::FromPrivate(suite, sk));
  return SigKeyPair{key->public_key(), SecretBytes(sk)};
}

Result<SigKeyPair> SigKeyGen(SigSuite suite) {
  SecretBytes sk(kSigPrivateBytes);
  if (RAND_priv_bytes(sk.data(), 64) != 1)
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  return SigKeyFromPrivate(suite, sk.view());
}

Result<Bytes> SigSign(SigSuite suite, ByteView sk, ByteView message, ByteView ctx) {
  ENTENTE_ASSIGN_OR_RETURN(auto key, SigPrivateKey::FromPrivate(suite, sk));
  return key->Sign(message, ctx);
}

bool SigVerify(SigSuite suite, ByteView pk, ByteView message, ByteView sig, ByteView ctx) noexcept {
  const SigSizes sizes = SizesOf(suite);
  if (pk.size() != sizes.pk || sig.size() != sizes.sig) return false;
  auto mp = CompositeMessage(suite, message, ctx);
  if (!mp.ok()) return false;
  // Both must hold; stopping at the first failure leaks nothing (all inputs are public).
  return mldsa::Verify(MlDsaParamOf(suite), pk.subspan(0, pk.size() - 32), mp.value(),
                       sig.subspan(0, sig.size() - 64), AsBytes(Label(suite))) &&
         Ed25519Verify(pk.subspan(pk.size() - 32), mp.value(), sig.subspan(sig.size() - 64));
}

}  // namespace entente::crypto::hybrid
