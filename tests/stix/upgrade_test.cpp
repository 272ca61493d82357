#include "entente/stix/upgrade.h"

#include <gtest/gtest.h>

#include "entente/stix/validate.h"

namespace entente::stix {
namespace {

TEST(Upgrade, Stix20IndicatorBecomesValid21) {
  // The STIX 2.0 specification's indicator example.
  std::string text = R"({"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48Z",
    "labels":["malicious-activity"],"name":"Poison Ivy Malware",
    "pattern":"[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
    "valid_from":"2016-01-01T00:00:00Z"})";
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  EXPECT_TRUE(IsStix20(doc.root()));
  EXPECT_FALSE(Validator().Check(doc.root()).ok());
  std::string upgraded = UpgradeToStix21(doc.root()).Serialize();
  json::Document up;
  ASSERT_TRUE(up.Parse(upgraded).ok());
  Status s = Validator().Check(up.root());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(up.root()["spec_version"].str(), "2.1");
  EXPECT_EQ(up.root()["indicator_types"].at(0).str(), "malicious-activity");
  EXPECT_TRUE(up.root()["labels"].missing());
  EXPECT_EQ(up.root()["pattern_type"].str(), "stix");
  EXPECT_EQ(up.root()["modified"].str(), "2016-04-06T20:03:48.000Z");
  EXPECT_FALSE(IsStix20(up.root()));
}

TEST(Upgrade, ScosAreNot20) {
  json::Document doc;
  ASSERT_TRUE(doc.Parse(R"({"type":"ipv4-addr","id":"ipv4-addr--x","value":"1.2.3.4"})").ok());
  EXPECT_FALSE(IsStix20(doc.root()));
}

}  // namespace
}  // namespace entente::stix
