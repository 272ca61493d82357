#include "entente/base/uuid.h"

#include <gtest/gtest.h>

namespace entente {
namespace {

TEST(Uuid, V4IsRfc4122Random) {
  Uuid a = UuidV4(), b = UuidV4();
  EXPECT_NE(a, b);
  std::string s = UuidToString(a);
  EXPECT_EQ(s.size(), 36u);
  EXPECT_EQ(s[14], '4');
  EXPECT_TRUE(IsUuid(s));
}

TEST(Uuid, V5MatchesKnownValue) {
  // uuid5(NAMESPACE_DNS, "www.example.com") as Python's uuid module computes it.
  Uuid dns;
  ASSERT_TRUE(ParseUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", dns));
  EXPECT_EQ(UuidToString(UuidV5(dns, "www.example.com")), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(Uuid, ParseRejectsOtherShapes) {
  Uuid u;
  EXPECT_FALSE(ParseUuid("6ba7b8109dad11d180b400c04fd430c8", u));
  EXPECT_FALSE(ParseUuid("6ba7b810-9dad-11d1-80b4-00c04fd430cg", u));
  EXPECT_FALSE(IsUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000", false));
}

}  // namespace
}  // namespace entente
