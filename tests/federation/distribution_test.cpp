#include "entente/federation/distribution.h"

#include <gtest/gtest.h>

#include "entente/base/json.h"
#include "test_util.h"

namespace entente::federation {
namespace {

using testing::Indicator;
using testing::MakeKeys;
using testing::Tlp;

constexpr std::string_view kId = "indicator--3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
constexpr std::string_view kV = "2026-01-02T00:00:00.000Z";

class DistributionTest : public ::testing::Test {
 protected:
  testing::NodeKeys fr = MakeKeys("fr"), de = MakeKeys("de"), ee = MakeKeys("ee"),
                    eu = MakeKeys("eu");
  identity::TrustList trust =
      testing::MakeTrust({testing::MemberOf(fr, "https://127.0.0.1:1/", "FR"),
                          testing::MemberOf(de, "https://127.0.0.1:2/", "DE"),
                          testing::MemberOf(ee, "https://127.0.0.1:3/", "EE"),
                          testing::MemberOf(eu, "https://127.0.0.1:4/", "EU")});
  const identity::TrustMember& M(std::string_view id) { return *trust.FindNode(id); }

  Decision DecideFor(const std::string& object, std::string_view peer) {
    auto label = identity::LabelOf(std::string_view(object));
    EXPECT_TRUE(label.ok()) << label.status().ToString();
    return Decide(*label, trust, M(peer));
  }
};

TEST_F(DistributionTest, GreenAndClearGoEverywhereInPlaintext) {
  for (auto peer : {"de", "ee", "eu"}) {
    EXPECT_EQ(DecideFor(Indicator(kId, kV, "a.example"), peer).route, Route::kPlain);
    EXPECT_EQ(DecideFor(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kGreen)), peer).route,
              Route::kPlain);
    EXPECT_EQ(DecideFor(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kClear)), peer).route,
              Route::kPlain);
  }
}

TEST_F(DistributionTest, RestrictedGoesPlainToRecipientsSealedToOthers) {
  for (auto tlp : {stix::Tlp::kAmber, stix::Tlp::kAmberStrict, stix::Tlp::kRed}) {
    std::string o = Indicator(kId, kV, "a.example", Tlp(tlp), {de.org});
    EXPECT_EQ(DecideFor(o, "de").route, Route::kPlain);
    Decision relay = DecideFor(o, "eu");
    EXPECT_EQ(relay.route, Route::kSealed);
    ASSERT_EQ(relay.recipients.size(), 1u);
    EXPECT_EQ(relay.recipients[0]->node_id, "de");
  }
  // Two recipient organisations (AMBER): both nodes are recipients of the envelope.
  Decision two =
      DecideFor(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kAmber), {de.org, ee.org}), "eu");
  EXPECT_EQ(two.route, Route::kSealed);
  EXPECT_EQ(two.recipients.size(), 2u);
}

TEST_F(DistributionTest, RestrictedWithoutMemberRecipientsOrOutsideCommunityStays) {
  EXPECT_EQ(DecideFor(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kRed)), "de").route,
            Route::kWithhold);
  EXPECT_EQ(DecideFor(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kRed),
                                {"identity--00000000-0000-4000-8000-000000000001"}),
                      "eu")
                .route,
            Route::kWithhold);
  std::string scoped = Indicator(kId, kV, "a.example");
  scoped.insert(scoped.size() - 1, ",\"x_entente_scope\":\"incident-x\"");
  EXPECT_EQ(DecideFor(scoped, "de").route, Route::kWithhold);
}

TEST(ReachTest, FollowsMispDistributionLevels) {
  auto with = [](std::string_view value) {
    std::string o = Indicator(kId, kV, "a.example");
    o.insert(o.size() - 1, ",\"x_entente_distribution\":" + std::string(value));
    return o;
  };
  EXPECT_EQ(*ReachOf(Indicator(kId, kV, "a.example")), Reach::kAllHops);
  EXPECT_EQ(*ReachOf(with("\"all\"")), Reach::kAllHops);
  EXPECT_EQ(*ReachOf(with("\"connected\"")), Reach::kOneHop);
  EXPECT_EQ(*ReachOf(with("\"organisation\"")), Reach::kLocal);
  EXPECT_EQ(*ReachOf(with("\"community\"")), Reach::kLocal);
  EXPECT_FALSE(ReachOf(with("\"everyone\"")).ok());
  EXPECT_FALSE(ReachOf(with("3")).ok());
  // The name inside a value is not the property.
  std::string quoted = Indicator(kId, kV, "a.example");
  quoted.insert(quoted.size() - 1, ",\"description\":\"\\\"x_entente_distribution\\\"\"");
  EXPECT_EQ(*ReachOf(quoted), Reach::kAllHops);
}

TEST_F(DistributionTest, ReceiversHoldPlaintextOnlyWhenEntitled) {
  auto red = identity::LabelOf(
      std::string_view(Indicator(kId, kV, "a.example", Tlp(stix::Tlp::kRed), {de.org})));
  ASSERT_TRUE(red.ok());
  EXPECT_TRUE(MayHoldPlain(*red, M("de")));
  EXPECT_FALSE(MayHoldPlain(*red, M("eu")));
  auto green = identity::LabelOf(std::string_view(Indicator(kId, kV, "a.example")));
  EXPECT_TRUE(MayHoldPlain(*green, M("eu")));
}

TEST_F(DistributionTest, SealedObjectsOpenOnlyAtRecipients) {
  std::string object = Indicator(kId, kV, "secret.example", Tlp(stix::Tlp::kRed), {de.org});
  auto label = identity::LabelOf(std::string_view(object));
  ASSERT_TRUE(label.ok());
  Decision d = Decide(*label, trust, M("eu"));
  auto sealed = SealObject(object, kId, kV, *label, d.recipients, "fr", *fr.sig);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->find("secret.example"), std::string::npos);
  // The wrapper keeps the marking and recipients, so local readers of a relay cannot see it.
  auto wrapper_label = identity::LabelOf(std::string_view(*sealed));
  ASSERT_TRUE(wrapper_label.ok());
  EXPECT_EQ(wrapper_label->tlp, stix::Tlp::kRed);
  EXPECT_EQ(wrapper_label->recipients, std::vector<std::string>{de.org});

  json::Document doc;
  ASSERT_TRUE(doc.Parse(std::string_view(*sealed)).ok());
  auto parsed = ParseSealed(doc.root());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->sealed_ref, kId);
  EXPECT_EQ(parsed->version, kV);
  auto opened = OpenSealed(*parsed, *de.kem, M("fr"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, object);
  EXPECT_EQ(OpenSealed(*parsed, *eu.kem, M("fr")).status().code(), ErrorCode::kNotFound);
  // Claimed to be sealed by another node: the envelope's signature says otherwise.
  EXPECT_FALSE(OpenSealed(*parsed, *de.kem, M("ee")).ok());
  SealedObject tampered = *parsed;
  tampered.envelope[tampered.envelope.size() / 2] ^= 1;
  EXPECT_FALSE(OpenSealed(tampered, *de.kem, M("fr")).ok());

  // Sealing the same version twice gives the same wrapper id (one object at a relay).
  auto again = SealObject(object, kId, kV, *label, d.recipients, "de", *de.sig);
  ASSERT_TRUE(again.ok());
  json::Document doc2;
  ASSERT_TRUE(doc2.Parse(std::string_view(*again)).ok());
  EXPECT_EQ(doc2.root()["id"].str(), doc.root()["id"].str());
}

}  // namespace
}  // namespace entente::federation
