#include "entente/detect/observable.h"

#include <gtest/gtest.h>

namespace entente::detect {
namespace {

TEST(Ipv4, ParsesDottedDecimalOnly) {
  EXPECT_EQ(ParseIpv4("1.2.3.4"), 0x01020304u);
  EXPECT_EQ(ParseIpv4("255.255.255.255"), 0xffffffffu);
  EXPECT_FALSE(ParseIpv4("256.1.1.1"));
  EXPECT_FALSE(ParseIpv4("1.2.3"));
  EXPECT_FALSE(ParseIpv4("1.2.3.4.5"));
  EXPECT_FALSE(ParseIpv4("1.2.3.4 "));
  EXPECT_FALSE(ParseIpv4("1..3.4"));
  EXPECT_FALSE(ParseIpv4("1234.1.1.1"));
  EXPECT_EQ(FormatIpv4(0x0a000001), "10.0.0.1");
}

// FormatIpv4 writes the digits by hand: every octet width, and the round trip through the parser.
TEST(Ipv4, FormatsEveryOctetWidthAndRoundTrips) {
  EXPECT_EQ(FormatIpv4(0), "0.0.0.0");
  EXPECT_EQ(FormatIpv4(0xffffffffu), "255.255.255.255");
  EXPECT_EQ(FormatIpv4(0x090a6400u), "9.10.100.0");
  EXPECT_EQ(FormatIpv4(0xc0a80165u), "192.168.1.101");
  for (std::uint64_t a = 0; a <= 0xffffffffu; a += 0x01010101u * 7 + 13) {
    const auto v = static_cast<std::uint32_t>(a);
    EXPECT_EQ(ParseIpv4(FormatIpv4(v)), v) << FormatIpv4(v);
  }
}

// RFC 5952 section 4 examples.
TEST(Ipv6, CanonicalTextPerRfc5952) {
  auto canon = [](const char* s) { return FormatIpv6(*ParseIpv6(s)); };
  EXPECT_EQ(canon("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  EXPECT_EQ(canon("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1");
  EXPECT_EQ(canon("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // one zero group stays
  EXPECT_EQ(canon("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");           // longest run
  EXPECT_EQ(canon("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");     // first of equal runs
  EXPECT_EQ(canon("2001:DB8::ABCD"), "2001:db8::abcd");
  EXPECT_EQ(canon("::"), "::");
  EXPECT_EQ(canon("::1"), "::1");
  EXPECT_EQ(canon("fe80::28fb:18bd:1770:8699"), "fe80::28fb:18bd:1770:8699");
  EXPECT_EQ(canon("::ffff:1.2.3.4"), "::ffff:102:304");
}

TEST(Ipv6, RejectsMalformed) {
  for (const char* bad : {":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:2:3:4:5:6:7",
                          "g::1", "1:", "1.2.3.4"})
    EXPECT_FALSE(ParseIpv6(bad)) << bad;
}

TEST(Cidr, ParsesAndClearsHostBits) {
  auto c = ParseCidr("10.1.2.3/8");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(FormatCidr(*c), "10.0.0.0/8");
  EXPECT_FALSE(ParseCidr("10.1.2.3/8", false).ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/33").ok());
  auto v6 = ParseCidr("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(FormatCidr(*v6), "2001:db8::/32");
  EXPECT_FALSE(ParseCidr("2001:db8::/129").ok());
  EXPECT_FALSE(ParseCidr("example.com/8").ok());
}

TEST(Domain, Normalises) {
  EXPECT_EQ(NormalizeDomain("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(NormalizeDomain("_ldap._tcp.dc.example"), "_ldap._tcp.dc.example");
  EXPECT_FALSE(NormalizeDomain("a..b"));
  EXPECT_FALSE(NormalizeDomain("localhost"));
  EXPECT_FALSE(NormalizeDomain("ex ample.com"));
  EXPECT_FALSE(NormalizeDomain("b\xc3\xa9.com"));
  EXPECT_FALSE(NormalizeDomain(std::string(64, 'a') + ".com"));
}

TEST(Url, PathEscapesAtEveryPosition) {
  EXPECT_EQ(NormalizeUrlPath("/%41%42c%2f%2F%7e"), "/ABc%2F%2F~");
  EXPECT_EQ(NormalizeUrlPath("/a%"), "/a%");            // stray '%' at the end
  EXPECT_EQ(NormalizeUrlPath("/a%4"), "/a%4");          // truncated escape
  EXPECT_EQ(NormalizeUrlPath("/a%zz%%41"), "/a%zz%A");  // invalid escape, then a valid one
  EXPECT_EQ(NormalizeUrlPath("/%41"), "/A");            // escape in the last three bytes
  EXPECT_EQ(NormalizeUrlPath("/plain/path?x=1"), "/plain/path?x=1");
}

TEST(Url, NormalisesSchemeHostPortEscapes) {
  EXPECT_EQ(NormalizeUrl("HTTP://Evil.COM:80/a%7eb%2fc"), "evil.com/a~b%2Fc");
  EXPECT_EQ(NormalizeUrl("https://x.com:443"), "x.com/");
  EXPECT_EQ(NormalizeUrl("http://x.com:443/"), "x.com:443/");  // 443 is not http's default
  EXPECT_EQ(NormalizeUrl("http://x.com:8080/p?q=%41#frag"), "x.com:8080/p?q=A");
  EXPECT_EQ(NormalizeUrl("http://user:pw@x.com./"), "x.com/");
  EXPECT_EQ(NormalizeUrl("http://[2001:DB8::0001]:80/"), "[2001:db8::1]/");
  EXPECT_EQ(NormalizeUrl("002vt.tk/james/fre.php"), "002vt.tk/james/fre.php");
  EXPECT_EQ(NormalizeUrl("ftp://1.2.3.4:21/x"), "1.2.3.4/x");
  EXPECT_FALSE(NormalizeUrl("http:///path"));
  EXPECT_FALSE(NormalizeUrl("http://x.com:99999/"));
}

TEST(Email, LowerCasesAndChecksDomain) {
  EXPECT_EQ(NormalizeEmail("Abuse@Example.COM"), "abuse@example.com");
  EXPECT_FALSE(NormalizeEmail("@example.com"));
  EXPECT_FALSE(NormalizeEmail("a@b"));
}

TEST(Keys, RoundTripThroughText) {
  EXPECT_EQ(KeyToText(ObservableType::kIpv4, *CanonicalKey(ObservableType::kIpv4, "8.8.4.4")),
            "8.8.4.4");
  EXPECT_EQ(
      KeyToText(ObservableType::kIpv6, *CanonicalKey(ObservableType::kIpv6, "2001:0db8::0:1")),
      "2001:db8::1");
  std::string md5 = "D41D8CD98F00B204E9800998ECF8427E";
  EXPECT_EQ(KeyToText(ObservableType::kMd5, *CanonicalKey(ObservableType::kMd5, md5)),
            "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_FALSE(CanonicalKey(ObservableType::kSha1, md5).ok());
  EXPECT_EQ(*CanonicalKey(ObservableType::kDomainSuffix, ".XYZ"), "xyz");
}

TEST(Infer, TypesOfTheSharedListFormats) {
  struct Case {
    const char* v;
    ObservableType t;
    bool cidr;
  } cases[] = {
      {"1.0.0.5", ObservableType::kIpv4, false},
      {"2.26.74.0/24", ObservableType::kIpv4, true},
      {"2a0e:b107::/32", ObservableType::kIpv6, true},
      {"2001:db8::1", ObservableType::kIpv6, false},
      {"0--0.gq", ObservableType::kDomain, false},
      {".ac.cn", ObservableType::kDomainSuffix, false},
      {"002vt.tk/james/fre.php", ObservableType::kUrl, false},
      {"http://x.example/a", ObservableType::kUrl, false},
      {"evil.example:8080", ObservableType::kUrl, false},
      {"/!help_sos.hta", ObservableType::kUrlPath, false},
      {"00008157c1abe8a7b172b23078e3f705", ObservableType::kMd5, false},
      {"0010ccb822538d1881c61be874af49382c44b6c9cb665081cf0f672cbed5b6a5", ObservableType::kSha256,
       false},
      {"a@example.com", ObservableType::kEmail, false},
      {"justaword", ObservableType::kOther, false},
  };
  for (const auto& c : cases) {
    InferredValue r = InferType(c.v);
    EXPECT_EQ(r.type, c.t) << c.v;
    EXPECT_EQ(r.is_cidr, c.cidr) << c.v;
  }
}

}  // namespace
}  // namespace entente::detect
