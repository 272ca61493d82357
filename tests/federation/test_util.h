// Nodes for the federation tests: keys, a trust list naming them, stores, state databases.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/crypto/hybrid.h"
#include "entente/federation/federation.h"
#include "entente/federation/state.h"
#include "entente/identity/trust_list.h"
#include "entente/stix/markings.h"
#include "entente/store/store.h"

namespace entente::federation::testing {

using crypto::hybrid::KemSuite;
using crypto::hybrid::SigSuite;

class TempDir {
 public:
  explicit TempDir(std::string_view tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("entente-fed-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct NodeKeys {
  std::string node_id;
  std::string org;
  std::shared_ptr<const crypto::hybrid::SigPrivateKey> sig;
  std::shared_ptr<const crypto::hybrid::KemPrivateKey> kem;
};

inline NodeKeys MakeKeys(std::string node_id) {
  NodeKeys k;
  k.node_id = std::move(node_id);
  k.org = "identity--" + UuidToString(UuidV4());
  auto s = crypto::hybrid::SigKeyGen(SigSuite::kMlDsa65Ed25519);
  EXPECT_TRUE(s.ok());
  auto sig = crypto::hybrid::SigPrivateKey::FromPrivate(SigSuite::kMlDsa65Ed25519, s->sk.view());
  EXPECT_TRUE(sig.ok());
  k.sig = std::shared_ptr<const crypto::hybrid::SigPrivateKey>(std::move(*sig));
  auto kk = crypto::hybrid::KemKeyGen(KemSuite::kXWing);
  EXPECT_TRUE(kk.ok());
  auto kem = crypto::hybrid::KemPrivateKey::FromSeed(KemSuite::kXWing, kk->sk.view());
  EXPECT_TRUE(kem.ok());
  k.kem = std::shared_ptr<const crypto::hybrid::KemPrivateKey>(std::move(*kem));
  return k;
}

inline identity::TrustMember MemberOf(const NodeKeys& k, std::string endpoint,
                                      std::string state = "FR") {
  identity::TrustMember m;
  m.member_state = std::move(state);
  m.organization_ref = k.org;
  m.node_id = k.node_id;
  m.endpoint = std::move(endpoint);
  m.sig_public_key = k.sig->public_key();
  m.kem_public_key = k.kem->public_key();
  return m;
}

inline identity::TrustList MakeTrust(const std::vector<identity::TrustMember>& members) {
  identity::TrustList l;
  l.sequence = 1;
  l.issued = Now();
  l.next_update = Timestamp{l.issued.nanos + 86'400'000'000'000LL};
  l.issuer.member_state = "EU";
  l.issuer.organization_ref = "identity--" + UuidToString(UuidV4());
  l.issuer.node_id = "issuer";
  l.members = members;
  return l;
}

// A STIX indicator; `marking` a TLP level or none; recipients as identity ids.
inline std::string Indicator(std::string_view id, std::string_view modified, std::string_view value,
                             const std::string& marking = {},
                             const std::vector<std::string>& recipients = {},
                             bool revoked = false) {
  std::string out = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" + std::string(id) +
                    "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"" +
                    std::string(modified) + "\",\"pattern\":\"[domain-name:value = '" +
                    std::string(value) +
                    "']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"";
  if (!marking.empty()) out += ",\"object_marking_refs\":[\"" + marking + "\"]";
  if (!recipients.empty()) {
    out += ",\"x_entente_recipients\":[";
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      out += (i ? ",\"" : "\"") + recipients[i] + "\"";
    }
    out += "]";
  }
  if (revoked) out += ",\"revoked\":true";
  return out + "}";
}

inline std::string Tlp(stix::Tlp t) { return std::string(stix::Tlp2MarkingId(t)); }

}  // namespace entente::federation::testing
