#include <gtest/gtest.h>

#include "entente/base/json.h"
#include "entente/ledger/entry.h"
#include "entente/stix/validate.h"

namespace entente::ledger {
namespace {

Entry Sample() {
  Entry e;
  e.kind = "share";
  e.time = "2026-11-23T01:02:04.123Z";
  e.actor = "identity--5f0c3c36-1d7c-4d4b-9a52-0c3f5f8f4f11";
  e.subject = "indicator--1c2e4a8e-9a3b-4b4c-8f6e-2d3c4b5a6f70";
  e.subject_version = "2026-11-23T01:02:03.000Z";
  e.payload_hash = "sha256:" + std::string(64, 'a');
  return e;
}

TEST(Entry, EncodingIsTheJcsCanonicalForm) {
  Entry e = Sample();
  e.actor = "node \"é\" \\ \x7f tab\there";  // rejected below: only checks escaping here
  std::string out;
  AppendCanonicalEntry(e, out);
  auto v = json::Value::Parse(out);
  ASSERT_TRUE(v.ok()) << v.status().message();
  // The stix module's RFC 8785 canonicaliser is the independent reference.
  EXPECT_EQ(stix::CanonicalJson(*v), out);
  auto enc = EncodeEntry(Sample());
  ASSERT_TRUE(enc.ok());
  auto v2 = json::Value::Parse(*enc);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(stix::CanonicalJson(*v2), *enc);
  EXPECT_EQ(*enc,
            "{\"actor\":\"identity--5f0c3c36-1d7c-4d4b-9a52-0c3f5f8f4f11\",\"kind\":\"share\","
            "\"payload_hash\":\"sha256:" +
                std::string(64, 'a') +
                "\",\"subject\":\"indicator--1c2e4a8e-9a3b-4b4c-8f6e-2d3c4b5a6f70\","
                "\"subject_version\":\"2026-11-23T01:02:03.000Z\","
                "\"time\":\"2026-11-23T01:02:04.123Z\",\"v\":1}");
}

TEST(Entry, RoundTripsAndOmitsEmptyOptionals) {
  Entry e = Sample();
  auto enc = EncodeEntry(e);
  ASSERT_TRUE(enc.ok());
  auto dec = DecodeEntry(*enc);
  ASSERT_TRUE(dec.ok()) << dec.status().message();
  EXPECT_EQ(*dec, e);
  e.subject_version.clear();
  e.payload_hash.clear();
  enc = EncodeEntry(e);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->find("payload_hash"), std::string::npos);
  EXPECT_EQ(*DecodeEntry(*enc), e);
}

TEST(Entry, ValidationNamesTheMember) {
  auto expect_bad = [](Entry e, const char* member) {
    Status s = ValidateEntry(e);
    EXPECT_FALSE(s.ok()) << member;
    EXPECT_NE(s.message().find(member), std::string::npos) << s.message();
  };
  Entry e = Sample();
  e.kind = "Share";
  expect_bad(e, "kind");
  e = Sample();
  e.kind = "";
  expect_bad(e, "kind");
  e = Sample();
  e.time = "yesterday";
  expect_bad(e, "time");
  e = Sample();
  e.actor = "";
  expect_bad(e, "actor");
  e = Sample();
  e.subject = std::string(300, 'x');
  expect_bad(e, "subject");
  e = Sample();
  e.subject = "a\nb";
  expect_bad(e, "subject");
  e = Sample();
  e.actor = "node-\xff\xfe";  // would encode to a leaf no verifier can decode
  expect_bad(e, "actor");
  e = Sample();
  e.payload_hash = "sha256:ABCD";
  expect_bad(e, "payload_hash");
  e = Sample();
  e.payload_hash = std::string(64, 'a');
  expect_bad(e, "payload_hash");
  e = Sample();
  e.subject_version = "v2";
  expect_bad(e, "subject_version");
  EXPECT_TRUE(ValidateEntry(Sample()).ok());
}

TEST(Entry, DecodeRejectsNonCanonicalAndUnknown) {
  const std::string good = *EncodeEntry(Sample());
  EXPECT_TRUE(DecodeEntry(good).ok());
  std::string spaced = good;
  spaced.insert(1, " ");
  EXPECT_FALSE(DecodeEntry(spaced).ok());
  EXPECT_FALSE(DecodeEntry(good + " ").ok());
  const std::string reordered =
      "{\"kind\":\"share\",\"actor\":\"a\",\"subject\":\"s\",\"time\":\"2026-11-23T01:02:04Z\","
      "\"v\":1}";
  auto r = DecodeEntry(reordered);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("canonical"), std::string::npos);
  EXPECT_TRUE(DecodeEntry("{\"actor\":\"a\",\"kind\":\"share\",\"subject\":\"s\",\"time\":"
                          "\"2026-11-23T01:02:04Z\",\"v\":1}")
                  .ok());
  EXPECT_FALSE(DecodeEntry("{\"actor\":\"a\",\"extra\":\"x\",\"kind\":\"share\",\"subject\":"
                           "\"s\",\"time\":\"2026-11-23T01:02:04Z\",\"v\":1}")
                   .ok());
  EXPECT_FALSE(DecodeEntry("{\"actor\":\"a\",\"kind\":\"share\",\"subject\":\"s\",\"time\":"
                           "\"2026-11-23T01:02:04Z\",\"v\":2}")
                   .ok());
  EXPECT_FALSE(DecodeEntry("{\"actor\":\"a\",\"kind\":\"share\",\"subject\":\"s\",\"time\":"
                           "\"2026-11-23T01:02:04Z\"}")
                   .ok());
  EXPECT_FALSE(DecodeEntry("[]").ok());
  EXPECT_FALSE(DecodeEntry(std::string(kMaxEntryBytes + 1, ' ')).ok());
}

}  // namespace
}  // namespace entente::ledger
