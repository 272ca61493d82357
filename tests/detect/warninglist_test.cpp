#include "entente/detect/warninglist.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace entente::detect {
namespace {

TEST(Warninglists, LoadsTheSharedFormatAndMatchesPerType) {
  std::vector<std::string> warnings;
  auto wl = Warninglists::Load(testing::DataDir() + "/warninglists", &warnings);
  ASSERT_TRUE(wl.ok()) << wl.status().ToString();
  // hostname: the name and its subdomains.
  EXPECT_EQ(wl->Check(ObservableType::kDomain, "global.asazure.windows.net"), "alexa,tranco10k");
  EXPECT_EQ(wl->Check(ObservableType::kDomain, "windows.net"), "alexa,tranco10k");
  EXPECT_EQ(wl->Check(ObservableType::kDomain, "notwindows.net"), "");
  // cidr, v4 and v6.
  EXPECT_EQ(wl->Check(ObservableType::kIpv4, "192.168.1.116"), "rfc1918,rfc5735");
  EXPECT_EQ(wl->Check(ObservableType::kIpv4, "8.8.8.8"), "public-dns-v4");
  EXPECT_EQ(wl->Check(ObservableType::kIpv4, "8.8.8.9"), "");
  EXPECT_EQ(wl->Check(ObservableType::kIpv6, "2001:4860:4860::8888"), "public-dns-v6");
  // URL by host; email by domain.
  EXPECT_EQ(wl->Check(ObservableType::kUrl, "8.8.8.8/x"), "public-dns-v4");
  EXPECT_EQ(wl->Check(ObservableType::kUrl, "a.windows.net:8080/x"), "alexa,tranco10k");
  // substring.
  EXPECT_EQ(wl->Check(ObservableType::kEmail, "bob@x0-mail.com"), "disposable-email");
  // regex (/.../i from the MISP list).
  EXPECT_EQ(wl->Check(ObservableType::kEmail, "abuse@evil.example"), "common-contact-emails");
  EXPECT_EQ(wl->Check(ObservableType::kEmail, "bob@evil.example"), "");
}

TEST(Warninglists, StringEntriesWithALeadingDotMatchSubdomains) {
  Warninglists wl;
  ASSERT_TRUE(wl.Add("string", ".msedge.net", "microsoft").ok());
  ASSERT_TRUE(wl.Add("string", "exact.example", "x").ok());
  wl.Finish();
  EXPECT_EQ(wl.Check(ObservableType::kDomain, "a-0001.a-msedge.net"), "");
  EXPECT_EQ(wl.Check(ObservableType::kDomain, "a.msedge.net"), "microsoft");
  EXPECT_EQ(wl.Check(ObservableType::kDomain, "exact.example"), "x");
  EXPECT_EQ(wl.Check(ObservableType::kDomain, "sub.exact.example"), "");
}

// All regexes run as one RE2::Set; the answer must stay the loop's: the first regex that
// matches names the list, each with its own case rule.
TEST(Warninglists, RegexesKeepTheirOrderAndCaseRules) {
  Warninglists wl;
  ASSERT_TRUE(wl.Add("regex", "/abc/", "first").ok());
  ASSERT_TRUE(wl.Add("regex", "/ABC/i", "second").ok());
  ASSERT_TRUE(wl.Add("regex", "/b/", "third").ok());
  ASSERT_TRUE(wl.Add("regex", "^x+$", "fourth").ok());
  wl.Finish();
  EXPECT_EQ(wl.Check(ObservableType::kOther, "zzabczz"), "first");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "zzABCzz"), "second");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "zzAbCzz"), "second");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "b"), "third");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "B"), "");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "xxx"), "fourth");
  EXPECT_EQ(wl.Check(ObservableType::kOther, "xxxy"), "");
}

TEST(Warninglists, BadEntriesAreRejectedWithReasons) {
  Warninglists wl;
  EXPECT_FALSE(wl.Add("cidr", "10.0.0.0/40", "x").ok());
  Status s = wl.Add("regex", "/(unclosed/", "x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("RE2"), std::string::npos);
  EXPECT_EQ(wl.Add("nosuchtype", "x", "x").code(), ErrorCode::kUnsupported);
  EXPECT_EQ(Warninglists::Load("/nonexistent-dir").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace entente::detect
