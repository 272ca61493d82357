#include "entente/crypto/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/envelope.h"
#include "entente/crypto/symmetric.h"

namespace entente::crypto::keys {
namespace {

constexpr std::string_view kFormat = "entente-key-v1";

std::string KemSuiteName(hybrid::KemSuite s) {
  return s == hybrid::KemSuite::kXWing ? "X-Wing" : "ML-KEM-1024+X25519";
}
std::string SigSuiteName(hybrid::SigSuite s) {
  return s == hybrid::SigSuite::kMlDsa87Ed25519 ? "ML-DSA-87+Ed25519" : "ML-DSA-65+Ed25519";
}

json::Value PublicJson(const PublicIdentity& p) {
  json::Value::Object o;
  o.emplace_back("format", std::string(kFormat));
  o.emplace_back("kind", p.kind);
  o.emplace_back("label", p.label);
  o.emplace_back("created", p.created);
  o.emplace_back("status", p.status);
  o.emplace_back("rotated_from", p.rotated_from);
  json::Value::Object kem;
  kem.emplace_back("suite", KemSuiteName(p.kem_suite));
  kem.emplace_back("key_id", HexEncode(p.kem_key_id()));
  kem.emplace_back("public_key", HexEncode(p.kem_public_key));
  o.emplace_back("kem", json::Value::MakeObject(std::move(kem)));
  json::Value::Object sig;
  sig.emplace_back("suite", SigSuiteName(p.sig_suite));
  sig.emplace_back("key_id", HexEncode(p.sig_key_id()));
  sig.emplace_back("public_key", HexEncode(p.sig_public_key));
  o.emplace_back("sig", json::Value::MakeObject(std::move(sig)));
  return json::Value::MakeObject(std::move(o));
}

// Associated data for the private part: everything that identifies the key pair.
Bytes PrivateAd(const PublicIdentity& p) {
  Bytes ad(kFormat.begin(), kFormat.end());
  const Bytes k = p.kem_key_id(), s = p.sig_key_id();
  ad.insert(ad.end(), k.begin(), k.end());
  ad.insert(ad.end(), s.begin(), s.end());
  return ad;
}

Result<std::string> Field(const json::Node& n, std::string_view name, std::size_t max) {
  const json::Node v = n[name];
  if (!v.is_string())
    return Status::InvalidArgument("key file: missing string field '" + std::string(name) + "'");
  if (v.str().size() > max)
    return Status::LimitExceeded("key file: field '" + std::string(name) + "' too long");
  return std::string(v.str());
}

Result<Bytes> HexField(const json::Node& n, std::string_view name, std::size_t max) {
  ENTENTE_ASSIGN_OR_RETURN(std::string s, Field(n, name, 2 * max));
  auto b = HexDecode(s);
  if (!b.ok()) return b.status().WithContext("key file field '" + std::string(name) + "'");
  return b;
}

}  // namespace

Bytes PublicIdentity::kem_key_id() const { return envelope::KemKeyId(kem_suite, kem_public_key); }
Bytes PublicIdentity::sig_key_id() const { return envelope::SigKeyId(sig_suite, sig_public_key); }

Result<std::unique_ptr<hybrid::KemPrivateKey>> Identity::KemKey() const {
  return hybrid::KemPrivateKey::FromSeed(pub.kem_suite, kem_seed.view());
}
Result<std::unique_ptr<hybrid::SigPrivateKey>> Identity::SigKey() const {
  return hybrid::SigPrivateKey::FromPrivate(pub.sig_suite, sig_key.view());
}

Result<Identity> Generate(Profile profile, std::string kind, std::string label) {
  if (kind != "node" && kind != "user")
    return Status::InvalidArgument("identity kind must be node or user");
  if (label.size() > 256) return Status::InvalidArgument("identity label over 256 bytes");
  Identity id;
  id.pub.kind = std::move(kind);
  id.pub.label = std::move(label);
  id.pub.created = FormatTimestamp(Now());
  id.pub.kem_suite =
      profile == Profile::kLevel5 ? hybrid::KemSuite::kMlKem1024X25519 : hybrid::KemSuite::kXWing;
  id.pub.sig_suite = profile == Profile::kLevel5 ? hybrid::SigSuite::kMlDsa87Ed25519
                                                 : hybrid::SigSuite::kMlDsa65Ed25519;
  ENTENTE_ASSIGN_OR_RETURN(auto kem, hybrid::KemKeyGen(id.pub.kem_suite));
  ENTENTE_ASSIGN_OR_RETURN(auto sig, hybrid::SigKeyGen(id.pub.sig_suite));
  id.pub.kem_public_key = std::move(kem.pk);
  id.kem_seed = std::move(kem.sk);
  id.pub.sig_public_key = std::move(sig.pk);
  id.sig_key = std::move(sig.sk);
  return id;
}

std::string EncodePublicKeyFile(const PublicIdentity& pub) {
  return PublicJson(pub).Pretty() + "\n";
}

Result<std::string> EncodeKeyFile(const Identity& id, ByteView passphrase,
                                  const ScryptParams& params) {
  if (passphrase.size() < 8)
    return Status::InvalidArgument("key file passphrase must be at least 8 bytes");
  Bytes salt(32), nonce(kAeadNonceBytes);
  ENTENTE_RETURN_IF_ERROR(RandomBytes(salt));
  ENTENTE_RETURN_IF_ERROR(RandomBytes(nonce));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes kek,
                           Scrypt(passphrase, salt, params.n, params.r, params.p, 32));
  SecretBytes plain(id.kem_seed.size() + id.sig_key.size());
  std::memcpy(plain.data(), id.kem_seed.data(), id.kem_seed.size());
  std::memcpy(plain.data() + id.kem_seed.size(), id.sig_key.data(), id.sig_key.size());
  ENTENTE_ASSIGN_OR_RETURN(auto aead, AeadContext::Create(Aead::kAes256Gcm, kek.view()));
  Bytes ct(plain.size() + kAeadTagBytes);
  ENTENTE_RETURN_IF_ERROR(aead->Seal(nonce, PrivateAd(id.pub), plain.view(), ct));
  json::Value v = PublicJson(id.pub);
  json::Value::Object priv;
  priv.emplace_back("kdf", "scrypt");
  priv.emplace_back("n", static_cast<std::uint64_t>(params.n));
  priv.emplace_back("r", static_cast<std::uint64_t>(params.r));
  priv.emplace_back("p", static_cast<std::uint64_t>(params.p));
  priv.emplace_back("salt", HexEncode(salt));
  priv.emplace_back("aead", "AES-256-GCM");
  priv.emplace_back("nonce", HexEncode(nonce));
  priv.emplace_back("ciphertext", HexEncode(ct));
  v.object().emplace_back("private", json::Value::MakeObject(std::move(priv)));
  return v.Pretty() + "\n";
}

namespace {
Result<PublicIdentity> ParsePublicNode(const json::Node& root) {
  ENTENTE_ASSIGN_OR_RETURN(std::string format, Field(root, "format", 64));
  if (format != kFormat) return Status::Unsupported("key file format '" + format + "'");
  PublicIdentity p;
  ENTENTE_ASSIGN_OR_RETURN(p.kind, Field(root, "kind", 16));
  ENTENTE_ASSIGN_OR_RETURN(p.label, Field(root, "label", 256));
  ENTENTE_ASSIGN_OR_RETURN(p.created, Field(root, "created", 64));
  ENTENTE_ASSIGN_OR_RETURN(p.status, Field(root, "status", 16));
  ENTENTE_ASSIGN_OR_RETURN(p.rotated_from, Field(root, "rotated_from", 64));
  if (p.status != "active" && p.status != "retired")
    return Status::InvalidArgument("key file: bad status");
  const json::Node kem = root["kem"], sig = root["sig"];
  ENTENTE_ASSIGN_OR_RETURN(std::string ks, Field(kem, "suite", 64));
  ENTENTE_ASSIGN_OR_RETURN(std::string ss, Field(sig, "suite", 64));
  if (ks == "X-Wing") {
    p.kem_suite = hybrid::KemSuite::kXWing;
  } else if (ks == "ML-KEM-1024+X25519") {
    p.kem_suite = hybrid::KemSuite::kMlKem1024X25519;
  } else {
    return Status::Unsupported("key file KEM suite '" + ks + "'");
  }
  if (ss == "ML-DSA-65+Ed25519") {
    p.sig_suite = hybrid::SigSuite::kMlDsa65Ed25519;
  } else if (ss == "ML-DSA-87+Ed25519") {
    p.sig_suite = hybrid::SigSuite::kMlDsa87Ed25519;
  } else {
    return Status::Unsupported("key file signature suite '" + ss + "'");
  }
  ENTENTE_ASSIGN_OR_RETURN(p.kem_public_key, HexField(kem, "public_key", 4096));
  ENTENTE_ASSIGN_OR_RETURN(p.sig_public_key, HexField(sig, "public_key", 4096));
  if (p.kem_public_key.size() != hybrid::SizesOf(p.kem_suite).pk ||
      p.sig_public_key.size() != hybrid::SizesOf(p.sig_suite).pk) {
    return Status::InvalidArgument("key file: public key has the wrong length for its suite");
  }
  if (!mlkem::CheckEncapsulationKey(
          p.kem_suite == hybrid::KemSuite::kXWing ? mlkem::Param::kMlKem768
                                                  : mlkem::Param::kMlKem1024,
          ByteView(p.kem_public_key).first(p.kem_public_key.size() - 32))) {
    return Status::InvalidArgument("key file: KEM public key fails the FIPS 203 check");
  }
  ENTENTE_ASSIGN_OR_RETURN(Bytes kid, HexField(kem, "key_id", 32));
  ENTENTE_ASSIGN_OR_RETURN(Bytes sid, HexField(sig, "key_id", 32));
  if (kid != p.kem_key_id() || sid != p.sig_key_id()) {
    return Status::Corruption("key file: key id does not match the public key");
  }
  return p;
}
}  // namespace

Result<PublicIdentity> ParsePublic(std::string_view text) {
  if (text.size() > 64 * 1024) return Status::LimitExceeded("key file over 64 KiB");
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text).WithContext("key file"));
  return ParsePublicNode(doc.root());
}

Result<Identity> DecryptKeyFile(std::string_view text, ByteView passphrase) {
  if (text.size() > 64 * 1024) return Status::LimitExceeded("key file over 64 KiB");
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text).WithContext("key file"));
  Identity id;
  ENTENTE_ASSIGN_OR_RETURN(id.pub, ParsePublicNode(doc.root()));
  const json::Node priv = doc.root()["private"];
  if (!priv.is_object())
    return Status::InvalidArgument("key file has no private part (a public key file?)");
  ENTENTE_ASSIGN_OR_RETURN(std::string kdf, Field(priv, "kdf", 16));
  ENTENTE_ASSIGN_OR_RETURN(std::string aead_name, Field(priv, "aead", 32));
  if (kdf != "scrypt" || aead_name != "AES-256-GCM")
    return Status::Unsupported("key file KDF or AEAD");
  const auto n = priv["n"].as_int64(), r = priv["r"].as_int64(), p = priv["p"].as_int64();
  // Bounds: strong enough to mean something, small enough not to be a memory bomb.
  if (!n || !r || !p || *n < (1 << 14) || *n > (1 << 22) || (*n & (*n - 1)) != 0 || *r < 1 ||
      *r > 32 || *p < 1 || *p > 16) {
    return Status::InvalidArgument(
        "key file scrypt parameters out of range (N 2^14..2^22, r 1..32, p 1..16)");
  }
  ENTENTE_ASSIGN_OR_RETURN(Bytes salt, HexField(priv, "salt", 64));
  ENTENTE_ASSIGN_OR_RETURN(Bytes nonce, HexField(priv, "nonce", kAeadNonceBytes));
  ENTENTE_ASSIGN_OR_RETURN(Bytes ct, HexField(priv, "ciphertext", 256));
  if (salt.size() < 16 || nonce.size() != kAeadNonceBytes || ct.size() != 96 + kAeadTagBytes) {
    return Status::InvalidArgument("key file private part has wrong sizes");
  }
  ENTENTE_ASSIGN_OR_RETURN(
      SecretBytes kek, Scrypt(passphrase, salt, static_cast<std::uint64_t>(*n),
                              static_cast<std::uint32_t>(*r), static_cast<std::uint32_t>(*p), 32));
  ENTENTE_ASSIGN_OR_RETURN(auto aead, AeadContext::Create(Aead::kAes256Gcm, kek.view()));
  SecretBytes plain(96);
  if (!aead->Open(nonce, PrivateAd(id.pub), ct, plain.span()).ok()) {
    return Status::CryptoError("key file: wrong passphrase or modified file");
  }
  id.kem_seed = SecretBytes(plain.view().first(32));
  id.sig_key = SecretBytes(plain.view().subspan(32, 64));
  // The seeds must reproduce the public keys.
  ENTENTE_ASSIGN_OR_RETURN(auto kem, id.KemKey());
  ENTENTE_ASSIGN_OR_RETURN(auto sig, id.SigKey());
  if (kem->public_key() != id.pub.kem_public_key || sig->public_key() != id.pub.sig_public_key) {
    return Status::Corruption("key file: private seeds do not match the public keys");
  }
  return id;
}

Result<Identity> Rotate(Identity& old) {
  const Profile profile =
      old.pub.kem_suite == hybrid::KemSuite::kXWing ? Profile::kLevel3 : Profile::kLevel5;
  ENTENTE_ASSIGN_OR_RETURN(Identity next, Generate(profile, old.pub.kind, old.pub.label));
  next.pub.rotated_from = HexEncode(old.pub.sig_key_id());
  old.pub.status = "retired";
  return next;
}

Status WriteNewFile(const std::string& path, std::string_view text, bool private_file) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_file ? 0600 : 0644);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IoError("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::IoError("cannot sync " + path);
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::string text;
  text.resize(limit + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limit)
    return Status::LimitExceeded(path + " is larger than " + std::to_string(limit) + " bytes");
  return text;
}

}  // namespace entente::crypto::keys
