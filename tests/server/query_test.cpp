#include <gtest/gtest.h>

#include "../../src/server/query.h"

namespace entente::server {
namespace {

TEST(QueryTest, DecodesParameters) {
  auto q = ParseQuery(
      "/x/"
      "?match%5Btype%5D=indicator,malware&q=poison+ivy&added_after=2024-01-01T00%3A00%3A00Z&flag");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->at("match[type]"), "indicator,malware");
  EXPECT_EQ(q->at("q"), "poison ivy");
  EXPECT_EQ(q->at("added_after"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(SplitList(q->at("match[type]")), (std::vector<std::string>{"indicator", "malware"}));
}

TEST(QueryTest, RefusesHostileParameters) {
  EXPECT_FALSE(ParseQuery("/?a=%").ok());
  EXPECT_FALSE(ParseQuery("/?a=%4").ok());
  EXPECT_FALSE(ParseQuery("/?a=%g1").ok());
  EXPECT_FALSE(ParseQuery("/?a=%00").ok());
  EXPECT_FALSE(ParseQuery("/?a=%ff%fe").ok());
  EXPECT_FALSE(ParseQuery("/?a=1&a=2").ok());
  std::string many = "/?";
  for (int i = 0; i < 65; ++i) many += "p" + std::to_string(i) + "=1&";
  auto r = ParseQuery(many);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("64"), std::string::npos);
  EXPECT_FALSE(ParseQuery("/?a=" + std::string(9000, 'x')).ok());
}

TEST(QueryTest, PathsAndIntegers) {
  EXPECT_EQ(SplitPath("/api/collections/x/"),
            (std::vector<std::string_view>{"api", "collections", "x"}));
  EXPECT_EQ(ParseInt("42"), 42);
  EXPECT_EQ(ParseInt("-20"), -20);
  EXPECT_FALSE(ParseInt("4x").has_value());
  EXPECT_FALSE(ParseInt("").has_value());
  EXPECT_FALSE(ParseInt("99999999999999999999").has_value());
}

}  // namespace
}  // namespace entente::server
