// ETSI GS QKD 014 client against the local KME simulator, over plain HTTP and mutual TLS, and
// QKD keys mixed into a sealed envelope end to end.
#include "entente/crypto/qkd.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "entente/crypto/envelope.h"

namespace entente::crypto::qkd {
namespace {

ClientConfig Plain(const std::string& base, const std::string& sae, const std::string& peer) {
  ClientConfig c;
  c.base_url = base;
  c.sae_id = sae;
  c.peer_sae_id = peer;
  return c;
}

TEST(QkdTest, KeysFlowFromMasterToSlaveOnce) {
  auto kme = KmeSimulator::Start({}).value();
  auto a = Client::Create(Plain(kme->base_url(), "SAE-A", "SAE-B")).value();
  auto b = Client::Create(Plain(kme->base_url(), "SAE-B", "SAE-A")).value();
  auto st = a->GetStatus("SAE-B").value();
  EXPECT_EQ(st.master_sae_id, "SAE-A");
  EXPECT_EQ(st.slave_sae_id, "SAE-B");
  EXPECT_EQ(st.key_size, 256);
  auto keys = a->GetKeys("SAE-B", 2, 256).value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key.size(), 32u);
  EXPECT_EQ(a->GetStatus("SAE-B").value().stored_key_count, 2);
  // Only the slave gets them, and only once.
  EXPECT_FALSE(Client::Create(Plain(kme->base_url(), "SAE-C", "SAE-A"))
                   .value()
                   ->GetKeyWithId(keys[0].key_id)
                   .ok());
  auto k0 = b->GetKeyWithId(keys[0].key_id).value();
  EXPECT_EQ(HexEncode(k0.view()), HexEncode(keys[0].key.view()));
  EXPECT_EQ(b->GetKeyWithId(keys[0].key_id).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a->GetKeys("SAE-B", 1000, 256).status().code(), ErrorCode::kInvalidArgument);
  kme.reset();
  EXPECT_EQ(a->GetStatus("SAE-B").status().code(), ErrorCode::kUnavailable);
}

// --- mutual TLS with a throw-away CA --------------------------------------------------------

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr MakeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                 bool ca) {
  X509Ptr cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints,
                                            ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (!ca) {
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, ("DNS:" + cn).c_str());
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

struct Pki {
  std::string dir;
  std::string Path(const std::string& name) const { return dir + "/" + name; }
  void Write(const std::string& name, X509* cert, EVP_PKEY* key) const {
    FILE* f = std::fopen(Path(name + ".crt").c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    if (key) {
      f = std::fopen(Path(name + ".key").c_str(), "w");
      PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
      std::fclose(f);
    }
  }
  Pki() {
    dir = std::filesystem::temp_directory_path() / ("entente-qkd-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    PkeyPtr ca_key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    X509Ptr ca = MakeCert("Entente test CA", ca_key.get(), nullptr, ca_key.get(), true);
    Write("ca", ca.get(), nullptr);
    for (const char* cn : {"localhost", "SAE-A", "SAE-B"}) {
      PkeyPtr k(EVP_EC_gen("P-256"), &EVP_PKEY_free);
      X509Ptr c = MakeCert(cn, k.get(), ca.get(), ca_key.get(), false);
      Write(cn, c.get(), k.get());
    }
    // A client certificate from another CA.
    PkeyPtr rogue_ca_key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    X509Ptr rogue_ca = MakeCert("Rogue CA", rogue_ca_key.get(), nullptr, rogue_ca_key.get(), true);
    PkeyPtr rk(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    X509Ptr rc = MakeCert("SAE-B", rk.get(), rogue_ca.get(), rogue_ca_key.get(), false);
    Write("rogue", rc.get(), rk.get());
  }
  ~Pki() { std::filesystem::remove_all(dir); }
  ClientConfig Client(const std::string& base, const std::string& sae, const std::string& peer,
                      const std::string& cert_name) const {
    return {base,           sae, peer, Path(cert_name + ".crt"), Path(cert_name + ".key"),
            Path("ca.crt"), 5000};
  }
};

TEST(QkdTest, MutualTlsAndEnvelopeMixing) {
  Pki pki;
  auto kme = KmeSimulator::Start(
                 {pki.Path("localhost.crt"), pki.Path("localhost.key"), pki.Path("ca.crt")})
                 .value();
  auto a = Client::Create(pki.Client(kme->base_url(), "SAE-A", "SAE-B", "SAE-A")).value();
  auto b = Client::Create(pki.Client(kme->base_url(), "SAE-B", "SAE-A", "SAE-B")).value();
  auto rogue = Client::Create(pki.Client(kme->base_url(), "SAE-B", "SAE-A", "rogue")).value();
  EXPECT_EQ(rogue->GetStatus("SAE-A").status().code(),
            ErrorCode::kUnavailable);                                           // handshake refused
  EXPECT_FALSE(Client::Create(Plain(kme->base_url(), "SAE-A", "SAE-B")).ok());  // https needs certs

  // Sender site (SAE-A) gets a QKD key for the recipient site and seals with it mixed in.
  auto q = a->GetKeys("SAE-B", 1, 256).value();
  ASSERT_EQ(q.size(), 1u);
  auto sender_kp = hybrid::SigKeyGen(hybrid::SigSuite::kMlDsa65Ed25519).value();
  auto sender =
      hybrid::SigPrivateKey::FromPrivate(hybrid::SigSuite::kMlDsa65Ed25519, sender_kp.sk.view())
          .value();
  auto rkp = hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value();
  auto rkey = hybrid::KemPrivateKey::FromSeed(hybrid::KemSuite::kXWing, rkp.sk.view()).value();
  std::vector<envelope::Recipient> rcpts;
  rcpts.push_back(
      {hybrid::KemSuite::kXWing, rkp.pk, envelope::QkdKey(q[0].key_id, q[0].key.Clone())});
  auto env = envelope::Seal(*sender, rcpts, {}, AsBytes("joint response plan")).value();
  // The recipient site fetches the same key from its KME by id while opening.
  Bytes out;
  auto info = envelope::Open(*rkey, envelope::BytesSource(env), envelope::BytesSink(out),
                             [&](const std::string& id) { return b->GetKeyWithId(id); });
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(AsChars(out), "joint response plan");
  // The key was handed out once: a replay cannot get it again.
  out.clear();
  EXPECT_FALSE(envelope::Open(*rkey, envelope::BytesSource(env), envelope::BytesSink(out),
                              [&](const std::string& id) { return b->GetKeyWithId(id); })
                   .ok());
}

}  // namespace
}  // namespace entente::crypto::qkd
