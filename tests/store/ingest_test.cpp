#include "entente/store/ingest.h"

#include <sys/resource.h>

#include <cstring>

#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::Indicator;
using testing::StoreFixture;

using IngestTest = StoreFixture;

std::string Bundle(const std::vector<std::string>& objects) {
  std::string b =
      R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
  for (std::size_t i = 0; i < objects.size(); ++i) b += (i ? "," : "") + objects[i];
  return b + "]}";
}

TEST_P(IngestTest, InvalidObjectsAreRejectedOneByOneAndNamed) {
  std::string wrong_type = Indicator(2, "2024-01-01T00:00:00.000Z");
  wrong_type.replace(wrong_type.find(R"("created":"2024-01-01T00:00:00.000Z")"), 36,
                     R"("created":5)");
  std::string bad_utf8 = Indicator(3, "2024-01-01T00:00:00.000Z", "bad \xC3\x28 name");
  std::string deep =
      R"({"type":"x-deep","id":"x-deep--00000000-0000-4000-8000-000000000000","x_n":)" +
      std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = IngestText(Bundle({Indicator(1, "2024-01-01T00:00:00.000Z"), wrong_type, bad_utf8, deep,
                              Indicator(4, "2024-01-01T00:00:00.000Z")}));
  EXPECT_EQ(r.read, 5u);
  EXPECT_EQ(r.added, 2u);
  EXPECT_EQ(r.rejected, 3u);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].find("objects[1]"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[0].find("indicator--00000002-0000-4000-8000-000000000000: created: timestamp"),
            std::string::npos)
      << r.errors[0];
  EXPECT_NE(r.errors[1].find("invalid UTF-8"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[2].find("nesting deeper than the limit"), std::string::npos) << r.errors[2];
  EXPECT_EQ(store_->Count()->objects, 2u);
}

TEST_P(IngestTest, StrictModeKeepsNothingOfAFailedInput) {
  std::string bad = Indicator(2, "2024-01-01T00:00:00.000Z");
  bad.replace(bad.find("\"pattern_type\":\"stix\","), 22, "");
  const std::string text = Bundle({Indicator(1, "2024-01-01T00:00:00.000Z"), bad});
  auto reader = stix::ObjectReader::FromText(text);
  IngestOptions options;
  options.strict = true;
  options.batch_size = 1;  // strict ignores intermediate commits
  auto r = Ingest(*store_, reader, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pattern_type: required"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(store_->Count()->versions, 0u);
}

TEST_P(IngestTest, TruncatedInputKeepsWhatCameBefore) {
  std::string text =
      Bundle({Indicator(1, "2024-01-01T00:00:00.000Z"), Indicator(2, "2024-01-01T00:00:00.000Z")});
  text.resize(text.size() - 40);
  auto r = IngestText(text);
  EXPECT_EQ(r.added, 1u);
  EXPECT_NE(r.stopped.find("truncated"), std::string::npos) << r.stopped;
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST_P(IngestTest, HundredMegabyteStringIsRefusedWithoutHarm) {
  IngestText(Indicator(1, "2024-01-01T00:00:00.000Z"));
  std::string huge = Indicator(2, "2024-01-01T00:00:00.000Z", std::string(100u << 20, 'a'));
  auto r = IngestText(Bundle({huge, Indicator(3, "2024-01-01T00:00:00.000Z")}));
  EXPECT_EQ(r.added, 0u);
  EXPECT_NE(r.stopped.find("larger than the limit"), std::string::npos) << r.stopped;
  EXPECT_EQ(store_->Count()->objects, 1u);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST_P(IngestTest, DanglingReferencesAreAcceptedAsTheSpecAllows) {
  std::string rel =
      R"({"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-000000000001",
    "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"uses",
    "source_ref":"intrusion-set--00000000-0000-4000-8000-000000000002","target_ref":"malware--00000000-0000-4000-8000-000000000003"})";
  auto r = IngestText(rel);
  EXPECT_EQ(r.added, 1u);
}

TEST_P(IngestTest, ConflictingDuplicatesInOneInput) {
  auto r = IngestText(Bundle({Indicator(1, "2024-01-01T00:00:00.000Z", "a"),
                              Indicator(1, "2024-01-01T00:00:00.000Z", "b"),
                              Indicator(1, "2024-01-01T00:00:00.000Z", "a")}));
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.duplicates, 1u);
}

TEST_P(IngestTest, Stix20BundleIsUpgraded) {
  std::string v20 =
      R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","spec_version":"2.0","objects":[
    {"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09.000Z",
     "modified":"2016-04-06T20:07:09.000Z","name":"Poison Ivy","labels":["remote-access-trojan"]}]})";
  auto r = IngestText(v20);
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.upgraded, 1u);
  auto m = store_->Get("malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b");
  EXPECT_NE(m->json.find("\"malware_types\":[\"remote-access-trojan\"]"), std::string::npos)
      << m->json;
  EXPECT_NE(m->json.find("\"is_family\":true"), std::string::npos);
}

TEST_P(IngestTest, AttackBundleLoadsWithExpectedCounts) {
  auto reader = stix::ObjectReader::OpenFile(std::string(ENTENTE_DATA_DIR) +
                                             "/attack/attack-enterprise-kb.json");
  ASSERT_TRUE(reader.ok());
  auto r = Ingest(*store_, *reader);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rejected, 0u);
  auto c = store_->Count();
  EXPECT_EQ(c->latest_by_type["intrusion-set"], 172u);
  EXPECT_EQ(c->latest_by_type["attack-pattern"], 691u);
  EXPECT_EQ(c->latest_by_type["malware"], 693u);
  EXPECT_EQ(c->latest_by_type["tool"], 91u);
  EXPECT_EQ(c->latest_by_type["relationship"], 16102u);
  // Re-ingesting is idempotent.
  auto again = stix::ObjectReader::OpenFile(std::string(ENTENTE_DATA_DIR) +
                                            "/attack/attack-enterprise-kb.json");
  auto r2 = Ingest(*store_, *again);
  EXPECT_EQ(r2->duplicates, 17765u);
  EXPECT_EQ(store_->Count()->versions, 17765u);
  Query text;
  text.text = "Sandworm";
  text.types = {"intrusion-set"};
  EXPECT_EQ(store_->Find(text)->objects.size(), 1u);
}

ENTENTE_STORE_BACKENDS(IngestTest);

// A bundle of one million objects streams through the reader and validator with memory
// bounded by one object, not by the bundle.
TEST(IngestMemory, MillionObjectBundleStreamsInBoundedMemory) {
#ifdef ENTENTE_SANITIZED
  GTEST_SKIP() << "resident memory is not a measure of the program under ASan (shadow, quarantine)";
#endif
  constexpr int kObjects = 1'000'000;
  int produced = -1;  // -1: bundle head not yet written
  std::string pending;
  auto read = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
    while (pending.size() < cap && produced < kObjects) {
      if (produced < 0) {
        pending +=
            R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
      } else {
        pending += (produced ? "," : "") + Indicator(produced, "2024-01-01T00:00:00.000Z");
      }
      ++produced;
      if (produced == kObjects) pending += "]}";
    }
    std::size_t n = std::min(cap, pending.size());
    std::memcpy(buf, pending.data(), n);
    pending.erase(0, n);
    return n;
  };
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  stix::ObjectReader reader(read);
  stix::Validator validator;
  json::Document doc;
  std::string_view text;
  std::uint64_t valid = 0;
  while (*reader.Next(&text)) {
    ASSERT_TRUE(doc.Parse(text).ok());
    if (validator.Check(doc.root()).ok()) ++valid;
  }
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_EQ(valid, static_cast<std::uint64_t>(kObjects));
  EXPECT_GT(reader.bytes_read(), 250u << 20);                // the input was over 250 MB
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024);  // grew by under 64 MB (kB units)
}

}  // namespace
}  // namespace entente::store
