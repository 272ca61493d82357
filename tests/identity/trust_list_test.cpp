#include "entente/identity/trust_list.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "entente/stix/validate.h"

namespace entente::identity {
namespace {

namespace hybrid = crypto::hybrid;
constexpr auto kSuite = hybrid::SigSuite::kMlDsa65Ed25519;

Timestamp At(std::string_view text) { return ParseTimestamp(text).value(); }

struct Fixture {
  std::unique_ptr<hybrid::SigPrivateKey> issuer_key;
  TrustList list;
  std::string signed_text;
};

TrustMember Member(std::string state, std::string org, std::string node, std::string endpoint) {
  TrustMember m;
  m.member_state = std::move(state);
  m.organization_ref = std::move(org);
  m.node_id = std::move(node);
  m.endpoint = std::move(endpoint);
  m.sig_public_key = hybrid::SigKeyGen(kSuite).value().pk;
  m.kem_public_key = hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value().pk;
  return m;
}

const Fixture& Shared() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    auto kp = hybrid::SigKeyGen(kSuite).value();
    fx->issuer_key = hybrid::SigPrivateKey::FromPrivate(kSuite, kp.sk.view()).value();
    TrustList& l = fx->list;
    l.sequence = 7;
    l.issued = At("2026-11-01T00:00:00.000Z");
    l.next_update = At("2026-12-01T00:00:00.000Z");
    l.issuer = {"EU", "identity--e0e0e0e0-e0e0-4e0e-8e0e-e0e0e0e0e0e0", "eu-coordination", kSuite,
                kp.pk};
    l.members.push_back(Member("FR", "identity--11111111-1111-4111-8111-111111111111",
                               "fr-national", "https://fr.entente.example:8443/"));
    l.members.push_back(Member("DE", "identity--22222222-2222-4222-8222-222222222222",
                               "de-national", "https://de.entente.example:8443/"));
    EXPECT_TRUE(SignTrustList(l, *fx->issuer_key).ok());
    fx->signed_text = EncodeTrustList(l).value();
    return fx;
  }();
  return *f;
}

TrustVerifyOptions Options(std::string_view now = "2026-11-15T00:00:00.000Z",
                           std::uint64_t min_sequence = 0) {
  TrustVerifyOptions o;
  o.now = At(now);
  o.min_sequence = min_sequence;
  return o;
}

Result<TrustList> Verify(std::string_view text, const TrustVerifyOptions& o = Options()) {
  return VerifyTrustList(text, kSuite, Shared().list.issuer.sig_public_key, o);
}

TEST(TrustListTest, SignedListVerifiesAndRoundTrips) {
  const Fixture& f = Shared();
  auto v = Verify(f.signed_text);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->sequence, 7u);
  ASSERT_EQ(v->members.size(), 2u);
  EXPECT_EQ(v->members[1].member_state, "DE");
  EXPECT_EQ(v->members[0].sig_public_key, f.list.members[0].sig_public_key);
  EXPECT_EQ(v->members[0].kem_public_key, f.list.members[0].kem_public_key);
  ASSERT_NE(v->FindNode("fr-national"), nullptr);
  EXPECT_EQ(v->FindNode("fr-national")->endpoint, "https://fr.entente.example:8443/");
  EXPECT_EQ(v->FindNode("it-national"), nullptr);
  // Encoding is canonical in what is signed: re-encoding the parsed list changes nothing.
  EXPECT_EQ(EncodeTrustList(*v).value(), f.signed_text);
  // Whitespace and member order do not matter to the signature (JCS).
  json::Value compact = json::Value::Parse(f.signed_text).value();
  EXPECT_TRUE(Verify(compact.Serialize()).ok());
}

// Applies `edit` to the parsed signed document and verifies the result.
Result<TrustList> VerifyEdited(const std::function<void(json::Value&)>& edit) {
  json::Value doc = json::Value::Parse(Shared().signed_text).value();
  edit(doc);
  return Verify(doc.Serialize());
}

TEST(TrustListTest, TamperingAnySignedFieldBreaksTheSignature) {
  const Fixture& f = Shared();
  const std::string other_key = Base64Encode(hybrid::SigKeyGen(kSuite).value().pk);
  const std::string other_kem =
      Base64Encode(hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value().pk);
  struct Edit {
    const char* what;
    std::function<void(json::Value&)> edit;
  };
  auto member = [](json::Value& d, int i) -> json::Value& {
    return d.find("members")->array()[static_cast<std::size_t>(i)];
  };
  const std::vector<Edit> edits = {
      {"sequence", [](json::Value& d) { d.set("sequence", 8); }},
      {"issued", [](json::Value& d) { d.set("issued", "2026-11-01T00:00:01.000Z"); }},
      {"next_update", [](json::Value& d) { d.set("next_update", "2027-12-01T00:00:00.000Z"); }},
      {"issuer state", [](json::Value& d) { d.find("issuer")->set("member_state", "FR"); }},
      {"issuer org",
       [](json::Value& d) {
         d.find("issuer")->set("organization_ref",
                               "identity--f0f0f0f0-f0f0-4f0f-8f0f-f0f0f0f0f0f0");
       }},
      {"issuer node", [](json::Value& d) { d.find("issuer")->set("node_id", "eu-other"); }},
      {"member state", [&](json::Value& d) { member(d, 0).set("member_state", "IT"); }},
      {"member org",
       [&](json::Value& d) {
         member(d, 1).set("organization_ref", "identity--33333333-3333-4333-8333-333333333333");
       }},
      {"member node", [&](json::Value& d) { member(d, 0).set("node_id", "fr-evil"); }},
      {"member endpoint",
       [&](json::Value& d) { member(d, 1).set("endpoint", "https://attacker.example/"); }},
      {"member sig key", [&](json::Value& d) { member(d, 0).set("sig_public_key", other_key); }},
      {"member kem key", [&](json::Value& d) { member(d, 1).set("kem_public_key", other_kem); }},
      {"member removed", [](json::Value& d) { d.find("members")->array().pop_back(); }},
      {"members reordered",
       [](json::Value& d) {
         auto& a = d.find("members")->array();
         std::swap(a[0], a[1]);
       }},
      {"member added",
       [&](json::Value& d) {
         json::Value m = member(d, 0);
         m.set("node_id", "fr-second");
         m.set("endpoint", "https://fr2.entente.example/");
         m.set("sig_public_key", other_key);
         m.set("kem_public_key", other_kem);
         d.find("members")->push_back(std::move(m));
       }},
      {"signature flipped",
       [&](json::Value& d) {
         Bytes sig = f.list.signature;
         sig[100] ^= 1;
         d.find("signature")->set("value", Base64Encode(sig));
       }},
      {"ed25519 half flipped",
       [&](json::Value& d) {
         Bytes sig = f.list.signature;
         sig.back() ^= 0x80;
         d.find("signature")->set("value", Base64Encode(sig));
       }},
  };
  for (const Edit& e : edits) {
    auto r = VerifyEdited(e.edit);
    ASSERT_FALSE(r.ok()) << e.what;
    EXPECT_EQ(r.status().code(), ErrorCode::kCryptoError)
        << e.what << ": " << r.status().ToString();
  }
  // Malformed edits are refused before the signature is even checked, naming the field.
  auto r = VerifyEdited([&](json::Value& d) { member(d, 0).set("sig_public_key", "AAAA"); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sig_public_key"), std::string::npos);
  r = VerifyEdited([](json::Value& d) { d.set("extra", 1); });
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  r = VerifyEdited([](json::Value& d) { d.erase("signature"); });
  EXPECT_EQ(r.status().code(), ErrorCode::kCryptoError);
  EXPECT_NE(r.status().message().find("not signed"), std::string::npos);
}

TEST(TrustListTest, RefusesAnotherIssuerKey) {
  auto other = hybrid::SigKeyGen(kSuite).value();
  auto r = VerifyTrustList(Shared().signed_text, kSuite, other.pk, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCryptoError);
  // A list re-signed by another key that names itself as issuer is refused too.
  TrustList forged = Shared().list;
  auto key = hybrid::SigPrivateKey::FromPrivate(kSuite, other.sk.view()).value();
  EXPECT_EQ(SignTrustList(forged, *key).code(), ErrorCode::kInvalidArgument);
  forged.issuer.sig_public_key = other.pk;
  ASSERT_TRUE(SignTrustList(forged, *key).ok());
  EXPECT_EQ(Verify(EncodeTrustList(forged).value()).status().code(), ErrorCode::kCryptoError);
}

TEST(TrustListTest, RefusesExpiredFutureAndRolledBackLists) {
  const std::string& text = Shared().signed_text;
  auto expired = Verify(text, Options("2026-12-01T00:00:00.000Z"));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  EXPECT_TRUE(Verify(text, Options("2026-11-30T23:59:59.999Z")).ok());

  auto early = Verify(text, Options("2026-10-31T23:00:00.000Z"));
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.status().message().find("future"), std::string::npos);
  EXPECT_TRUE(Verify(text, Options("2026-10-31T23:56:00.000Z")).ok());  // within 5 min skew

  auto rollback = Verify(text, Options("2026-11-15T00:00:00.000Z", 8));
  ASSERT_FALSE(rollback.ok());
  EXPECT_EQ(rollback.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(rollback.status().message().find("rollback"), std::string::npos);
  EXPECT_TRUE(Verify(text, Options("2026-11-15T00:00:00.000Z", 7)).ok());
}

TEST(TrustListTest, RefusesDuplicateMembersEvenWhenSigned) {
  const Fixture& f = Shared();
  TrustList dup = f.list;
  dup.members.push_back(dup.members[0]);
  EXPECT_EQ(SignTrustList(dup, *f.issuer_key).code(), ErrorCode::kInvalidArgument);

  // A document the issuer signed with a duplicate (signed by hand, bypassing the checks).
  json::Value doc = json::Value::Parse(f.signed_text).value();
  doc.erase("signature");
  auto& members = doc.find("members")->array();
  for (const char* field : {"node_id", "endpoint", "sig_public_key", "kem_public_key"}) {
    json::Value d = doc;
    json::Value copy = d.find("members")->array()[0];
    json::Value& second = d.find("members")->array()[1];
    second.set(field, *copy.find(field));
    std::string input = stix::CanonicalJson(d);
    Bytes sig = f.issuer_key->Sign(AsBytes(input), AsBytes(kTrustListContext)).value();
    json::Value s = json::Value::MakeObject();
    s.set("suite", hybrid::Name(kSuite));
    s.set("value", Base64Encode(sig));
    d.set("signature", std::move(s));
    auto r = Verify(d.Serialize());
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_NE(r.status().message().find("duplicate"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(members.size(), 2u);
}

TEST(TrustListTest, CheckNamesTheBadField) {
  TrustList l = Shared().list;
  l.members[1].endpoint = "http://plain.example/";
  Status s = CheckTrustList(l);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("member 1 (de-national) endpoint"), std::string::npos) << s.message();
  l = Shared().list;
  l.next_update = l.issued;
  EXPECT_FALSE(CheckTrustList(l).ok());
  l = Shared().list;
  l.members[0].kem_public_key.pop_back();
  EXPECT_FALSE(CheckTrustList(l).ok());
}

TEST(TrustListTest, ParserEnforcesLimits) {
  EXPECT_EQ(ParseTrustList(std::string(kMaxTrustListBytes + 1, ' ')).status().code(),
            ErrorCode::kLimitExceeded);
  EXPECT_FALSE(ParseTrustList("[]").ok());
  EXPECT_FALSE(ParseTrustList("{\"type\":\"entente-trust-list\",\"version\":2}").ok());
  std::string deep(100, '[');
  EXPECT_FALSE(ParseTrustList(deep).ok());
}

}  // namespace
}  // namespace entente::identity
