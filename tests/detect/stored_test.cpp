// The node's stored indicators in the index, sightings back into the store, correlation.
#include "entente/detect/stored.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "entente/store/ingest.h"
#include "test_util.h"

namespace entente::detect {
namespace {

class StoredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entente-stored-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(store::Store::Open((dir_ / "store.db").string())).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Ingest(const std::string& text) {
    auto reader = stix::ObjectReader::FromText(text);
    auto r = store::Ingest(*store_, reader);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->rejected, 0u) << (r->errors.empty() ? "" : r->errors[0]);
  }
  static std::string Indicator(int n, const std::string& pattern, const std::string& creator,
                               const std::string& extra = "") {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
    return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
           R"(","created_by_ref":")" + creator +
           R"(","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","pattern":")" +
           pattern + R"(","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z")" + extra + "}";
  }
  static std::string Report(int n, const std::vector<std::string>& refs,
                            const std::string& creator) {
    char id[64];
    std::snprintf(id, sizeof id, "report--%08d-0000-4000-8000-000000000000", n);
    std::string r =
        std::string(R"({"type":"report","spec_version":"2.1","id":")") + id +
        R"(","created_by_ref":")" + creator +
        R"(","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","name":"r","published":"2025-01-01T00:00:00Z","object_refs":[)";
    for (std::size_t i = 0; i < refs.size(); ++i) r += (i ? ",\"" : "\"") + refs[i] + "\"";
    return r + "]}";
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

const std::string kFr = "identity--0f000000-0000-4000-8000-000000000001";
const std::string kDe = "identity--0d000000-0000-4000-8000-000000000002";

TEST_F(StoredTest, StoredIndicatorsFindSimdaAndBecomeSightings) {
  // gacyzuz.com and gadyniw.com are Simda DGA domains seen in the stratosphere 005 DNS log.
  Ingest(Indicator(
      1, "[domain-name:value = 'gacyzuz.com']", kFr,
      R"(,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"confidence":80)"));
  Ingest(Indicator(2, "[domain-name:value = 'gadyniw.com'] OR [ipv4-addr:value = '203.0.113.0/24']",
                   kDe));
  Ingest(Indicator(3, "[file:name MATCHES '^evil']", kDe));  // not indexable
  Ingest(Indicator(4, "[domain-name:value = 'gacyzuz.com']", kDe, R"(,"revoked":true)"));

  IndexBuilder builder;
  StoredIndicatorStats stats;
  ASSERT_TRUE(AddStoredIndicators(*store_, builder, &stats).ok());
  EXPECT_EQ(stats.indicators, 4u);
  EXPECT_EQ(stats.anchored, 3u);
  EXPECT_EQ(stats.unanchored, 1u);
  auto index = builder.Build(testing::SystemPsl());
  ASSERT_TRUE(index.ok());
  IndexHandle handle(*index);
  // The sample log's times are relative (not wall-clock): its hits are placed at `now`.
  const Timestamp now = Now();
  SightingRecorder recorder(kFr, now);
  std::vector<Hit> hits;
  Scanner scanner(handle, nullptr, ScanOptions{}, [&](const Hit& h) {
    hits.push_back(h);
    recorder.Add(h);
  });
  ASSERT_TRUE(scanner.ScanPath(testing::DataDir() + "/zeek_dns_simda.log").ok());
  scanner.Finish();
  ASSERT_FALSE(hits.empty());
  std::set<std::string> refs;
  for (const auto& h : hits) {
    for (const auto* m : h.indicators) refs.insert(m->ref);
    if (h.value == "gacyzuz.com") {
      ASSERT_EQ(h.indicators.size(), 1u);  // the revoked one is not reported
      EXPECT_EQ(h.indicators[0]->tlp, "green");
      EXPECT_EQ(h.indicators[0]->confidence, 80);
    }
  }
  EXPECT_TRUE(refs.contains("indicator--00000001-0000-4000-8000-000000000000"));
  EXPECT_TRUE(refs.contains("indicator--00000002-0000-4000-8000-000000000000"));
  EXPECT_FALSE(refs.contains("indicator--00000004-0000-4000-8000-000000000000"));

  auto written = recorder.Write(*store_);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 2u);
  store::Query q;
  q.types = {"sighting"};
  auto page = store_->Find(q);
  ASSERT_EQ(page->objects.size(), 2u);
  json::Document doc;
  for (const auto& s : page->objects) {
    ASSERT_TRUE(doc.Parse(s.json).ok());
    EXPECT_EQ(doc.root()["where_sighted_refs"].at(0).str(), kFr);
    EXPECT_GE(*doc.root()["count"].as_int64(), 1);
    std::string od(doc.root()["observed_data_refs"].at(0).str());
    auto observed = store_->Get(od);
    ASSERT_TRUE(observed.ok());
    EXPECT_NE(observed->json.find("domain-name--"), std::string::npos);
  }
  EXPECT_TRUE(store_->CheckIntegrity().ok());

  // The same log scanned again: the same observations, nothing new recorded.
  SightingRecorder again(kFr, now);
  for (const auto& h : hits) again.Add(h);
  auto rewritten = again.Write(*store_);
  ASSERT_TRUE(rewritten.ok());
  EXPECT_EQ(*rewritten, 0u);
  EXPECT_EQ(store_->Find(q)->objects.size(), 2u);
  // Seen by another member, the same hits are that member's sightings.
  SightingRecorder by_de(kDe, now);
  for (const auto& h : hits) by_de.Add(h);
  EXPECT_EQ(*by_de.Write(*store_), 2u);
}

TEST_F(StoredTest, CorrelationAcrossMembersAndSharedInfrastructure) {
  // FR and DE each report an incident; both name evil.example (in different spellings).
  Ingest(Indicator(10, "[domain-name:value = 'evil.example']", kFr));
  Ingest(Indicator(11, "[domain-name:value = 'EVIL.example.']", kDe));
  Ingest(Indicator(12, "[ipv4-addr:value = '198.51.100.7']", kDe));
  Ingest(Report(1, {"indicator--00000010-0000-4000-8000-000000000000"}, kFr));
  Ingest(Report(2,
                {"indicator--00000011-0000-4000-8000-000000000000",
                 "indicator--00000012-0000-4000-8000-000000000000"},
                kDe));
  Ingest(Report(3, {"indicator--00000012-0000-4000-8000-000000000000"}, kDe));

  auto c = Correlator::Build(*store_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto evil = c->Lookup("evil.example");
  ASSERT_TRUE(evil.ok());
  EXPECT_EQ(evil->objects.size(), 2u);
  EXPECT_EQ(evil->containers.size(), 2u);
  EXPECT_EQ(evil->creators, (std::vector<std::string>{kDe, kFr}));
  EXPECT_EQ(c->Lookup("unknown.example").status().code(), ErrorCode::kNotFound);

  auto shared = c->SharedWith("report--00000001-0000-4000-8000-000000000000");
  ASSERT_TRUE(shared.ok());
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_TRUE(shared->contains("report--00000002-0000-4000-8000-000000000000"));
  auto shared2 = c->SharedWith("report--00000002-0000-4000-8000-000000000000");
  EXPECT_EQ(shared2->size(), 2u);  // report 1 by the domain, report 3 by the address
}

TEST_F(StoredTest, OverCorrelatingValuesAreCappedAndReported) {
  for (int i = 0; i < 30; ++i) Ingest(Indicator(100 + i, "[ipv4-addr:value = '8.8.8.8']", kFr));
  auto c = Correlator::Build(*store_, 10);
  ASSERT_TRUE(c.ok());
  auto dns = c->Lookup("8.8.8.8");
  ASSERT_TRUE(dns.ok());
  EXPECT_TRUE(dns->capped);
  EXPECT_EQ(dns->total, 30u);
  EXPECT_EQ(dns->objects.size(), 10u);
  EXPECT_EQ(c->over_correlating().size(), 1u);
}

}  // namespace
}  // namespace entente::detect
