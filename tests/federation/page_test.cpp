#include "entente/federation/page.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace entente::federation {
namespace {

using crypto::hybrid::SigSuite;

using testing::Indicator;
using testing::MakeKeys;

constexpr std::string_view kId1 = "indicator--3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
constexpr std::string_view kId2 = "indicator--4b5c6d7e-8f9a-4b1c-8d2e-3f4a5b6c7d8e";

class PageTest : public ::testing::Test {
 protected:
  testing::NodeKeys fr = MakeKeys("fr");
  testing::NodeKeys de = MakeKeys("de");

  std::string MakePage() {
    PageWriter w("fr", "de", 100);
    w.Add(Indicator(kId1, "2026-01-02T00:00:00.000Z", "c2.example.org"), "fr");
    w.Add(Indicator(kId2, "2026-01-02T00:00:00.000Z", "evil.example.net"), "ee");
    auto text = w.Finish(250, true, *fr.sig);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return *text;
  }
  Status Check(std::string text) {
    auto page = ParsePage(std::move(text));
    if (!page.ok()) return page.status();
    return VerifyPage(*page, SigSuite::kMlDsa65Ed25519, fr.sig->public_key());
  }
};

TEST_F(PageTest, SignedPageRoundTrips) {
  auto page = ParsePage(MakePage());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->header.from, "fr");
  EXPECT_EQ(page->header.to, "de");
  EXPECT_EQ(page->header.added_after, 100);
  EXPECT_EQ(page->header.next, 250);
  EXPECT_TRUE(page->header.more);
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0], Indicator(kId1, "2026-01-02T00:00:00.000Z", "c2.example.org"));
  EXPECT_EQ(page->origins[1], "ee");
  EXPECT_TRUE(VerifyPage(*page, SigSuite::kMlDsa65Ed25519, fr.sig->public_key()).ok());
}

TEST_F(PageTest, AChangedObjectFailsVerification) {
  std::string text = MakePage();
  auto at = text.find("c2.example.org");
  ASSERT_NE(at, std::string::npos);
  text[at + 1] = '3';
  EXPECT_EQ(Check(text).code(), ErrorCode::kCryptoError);
}

TEST_F(PageTest, AChangedOriginOrCursorFailsVerification) {
  std::string text = MakePage();
  std::string origin = text;
  origin.replace(origin.find("\"origins\":[\"fr\",\"ee\"]"), 21, "\"origins\":[\"fr\",\"fr\"]");
  EXPECT_EQ(Check(origin).code(), ErrorCode::kCryptoError);
  std::string cursor = text;
  cursor.replace(cursor.find("\"added_after\":\"100\""), 19, "\"added_after\":\"101\"");
  EXPECT_EQ(Check(cursor).code(), ErrorCode::kCryptoError);
  std::string to = text;
  to.replace(to.find("\"to\":\"de\""), 9, "\"to\":\"ee\"");
  EXPECT_EQ(Check(to).code(), ErrorCode::kCryptoError);
}

TEST_F(PageTest, ADroppedObjectFailsVerification) {
  PageWriter w("fr", "de", 100);
  w.Add(Indicator(kId1, "2026-01-02T00:00:00.000Z", "c2.example.org"), "fr");
  auto one = w.Finish(250, true, *fr.sig);
  ASSERT_TRUE(one.ok());
  // Same header and signature, but with the other page's objects.
  std::string two = MakePage();
  std::string forged =
      two.substr(0, two.find("\"x_entente_page\"")) + one->substr(one->find("\"x_entente_page\""));
  EXPECT_FALSE(Check(forged).ok());
}

TEST_F(PageTest, AnotherNodesKeyIsRefused) {
  auto page = ParsePage(MakePage());
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(VerifyPage(*page, SigSuite::kMlDsa65Ed25519, de.sig->public_key()).code(),
            ErrorCode::kCryptoError);
  EXPECT_EQ(VerifyPage(*page, SigSuite::kMlDsa87Ed25519, fr.sig->public_key()).code(),
            ErrorCode::kCryptoError);
}

TEST_F(PageTest, MalformedPagesAreRefusedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[]", "not a JSON object"},
      {"{\"objects\":[]}", "unsigned"},
      {"{\"objects\":[],\"x_entente_page\":{\"v\":2}}", "v is not 1"},
      {"{\"objects\":[{}],\"x_entente_page\":{\"v\":1,\"from\":\"fr\",\"to\":\"de\","
       "\"added_after\":\"0\",\"next\":\"1\",\"more\":false,\"origins\":[],"
       "\"sig_suite\":\"x\",\"signature\":\"AA==\"}}",
       "one node per object"},
      {"{\"objects\":[],\"x_entente_page\":{\"v\":1,\"from\":\"FR\",\"to\":\"de\"}}", "from"},
      {"{\"objects\":[],\"x_entente_page\":{\"v\":1,\"from\":\"fr\",\"to\":\"de\","
       "\"added_after\":\"-1\",\"next\":\"1\"}}",
       "cursor"},
      {"{\"objects\":[],\"x_entente_page\":{\"v\":1,\"from\":\"fr\",\"to\":\"de\","
       "\"added_after\":\"9\",\"next\":\"1\",\"more\":false,\"origins\":[]}}",
       "before added_after"},
      {"{\"more\":true,\"objects\":[],\"x_entente_page\":{\"v\":1,\"from\":\"fr\",\"to\":\"de\","
       "\"added_after\":\"0\",\"next\":\"1\",\"more\":false,\"origins\":[]}}",
       "differs"},
  };
  for (const auto& [text, why] : bad) {
    auto page = ParsePage(text);
    ASSERT_FALSE(page.ok()) << text;
    EXPECT_NE(page.status().message().find(why), std::string::npos)
        << text << " -> " << page.status().message();
  }
  EXPECT_EQ(ParsePage(std::string(kMaxPageBytes + 1, ' ')).status().code(),
            ErrorCode::kLimitExceeded);
}

TEST(NodeIdTest, FollowsTheTrustListRule) {
  EXPECT_TRUE(ValidNodeId("fr-anssi.1_a"));
  EXPECT_FALSE(ValidNodeId(""));
  EXPECT_FALSE(ValidNodeId("FR"));
  EXPECT_FALSE(ValidNodeId("a b"));
  EXPECT_FALSE(ValidNodeId(std::string(65, 'a')));
}

}  // namespace
}  // namespace entente::federation
