#include "entente/base/bytes.h"

#include <gtest/gtest.h>

namespace entente {
namespace {

TEST(Hex, RoundTripAndErrors) {
  Bytes b = {0x00, 0xAB, 0xFF, 0x10};
  EXPECT_EQ(HexEncode(b), "00abff10");
  EXPECT_EQ(*HexDecode("00ABff10"), b);
  EXPECT_FALSE(HexDecode("abc").ok());
  auto bad = HexDecode("00zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset 2"), std::string::npos);
}

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(AsChars(*d), plain);
  }
  EXPECT_FALSE(Base64Decode("Zg=").ok());
  EXPECT_FALSE(Base64Decode("Z=g=").ok());
  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());
  EXPECT_FALSE(Base64Decode("-_8=").ok());
  EXPECT_TRUE(Base64Decode("-_8=", true).ok());
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a(ByteView(Bytes{1, 2, 3}));
  SecretBytes b = std::move(a);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  SecretBytes c = b.Clone();
  EXPECT_TRUE(ConstantTimeEqual(b.view(), c.view()));
}

TEST(ConstantTimeEqual, LengthAndContent) {
  Bytes a = {1, 2, 3}, b = {1, 2, 4}, c = {1, 2};
  EXPECT_TRUE(ConstantTimeEqual(a, a));
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, c));
}

}  // namespace
}  // namespace entente
