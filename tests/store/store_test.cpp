#include "entente/store/store.h"

#include <set>
#include <thread>

#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::Indicator;
using testing::StoreFixture;

using StoreTest = StoreFixture;

TEST_F(StoreTest, LatestVersionIsGreatestModifiedNotLastAdded) {
  IngestText(Indicator(1, "2024-03-01T00:00:00.000Z", "v3"));
  IngestText(Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  IngestText(Indicator(1, "2024-02-01T00:00:00.000Z", "v2"));
  auto latest = store_->Get("indicator--00000001-0000-4000-8000-000000000000");
  ASSERT_TRUE(latest.ok());
  EXPECT_NE(latest->json.find("\"v3\""), std::string::npos);
  auto first = store_->Get("indicator--00000001-0000-4000-8000-000000000000", Versions::kFirst);
  EXPECT_NE(first->json.find("\"v1\""), std::string::npos);
  auto exact = store_->Get("indicator--00000001-0000-4000-8000-000000000000", Versions::kLast,
                           "2024-02-01T00:00:00Z");  // same instant, other precision
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_NE(exact->json.find("\"v2\""), std::string::npos);
  auto all = store_->GetVersions("indicator--00000001-0000-4000-8000-000000000000");
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version, "2024-01-01T00:00:00.000Z");
  auto counts = store_->Count();
  EXPECT_EQ(counts->objects, 1u);
  EXPECT_EQ(counts->versions, 3u);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST_F(StoreTest, ObjectTextIsKeptExactly) {
  std::string text = Indicator(
      2, "2024-01-01T00:00:00.000Z", "n",
      R"(,"x_custom":{"big":123456789012345678901234567890,"f":1.50},"extensions":{"x-ext":{"a":[1,2]}})");
  IngestText(text);
  auto got = store_->Get("indicator--00000002-0000-4000-8000-000000000000");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->json, text);
}

TEST_F(StoreTest, DuplicatesAndConflicts) {
  auto r1 = IngestText(Indicator(3, "2024-01-01T00:00:00.000Z"));
  EXPECT_EQ(r1.added, 1u);
  // Same content with other whitespace and member order: a duplicate, not a conflict.
  std::string reordered =
      R"({ "id":"indicator--00000003-0000-4000-8000-000000000000", "type":"indicator","spec_version":"2.1",
    "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"bad ip",
    "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"})";
  auto r2 = IngestText(reordered);
  EXPECT_EQ(r2.duplicates, 1u);
  EXPECT_EQ(r2.added, 0u);
  auto r3 = IngestText(Indicator(3, "2024-01-01T00:00:00.000Z", "other name"));
  EXPECT_EQ(r3.rejected, 1u);
  ASSERT_EQ(r3.errors.size(), 1u);
  EXPECT_NE(r3.errors[0].find("already stored with different content"), std::string::npos);
  EXPECT_NE(store_->Get("indicator--00000003-0000-4000-8000-000000000000")->json.find("bad ip"),
            std::string::npos);
}

TEST_F(StoreTest, FindFiltersAndStablePaging) {
  std::string bundle =
      R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
  for (int i = 0; i < 25; ++i) {
    if (i) bundle += ",";
    std::string extra =
        i % 5 == 0
            ? R"(,"labels":["apt"],"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"])"
            : "";
    bundle += Indicator(100 + i, "2024-01-01T00:00:00.000Z",
                        i % 2 ? "phishing domain" : "c2 server", extra);
  }
  bundle += "]}";
  IngestText(bundle);

  Query q;
  q.types = {"indicator"};
  q.limit = 10;
  std::vector<std::string> seen;
  for (int pages = 0;; ++pages) {
    auto page = store_->Find(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (auto& o : page->objects) seen.push_back(o.id);
    if (pages == 0) {
      // A write between pages sorts after every cursor handed out.
      IngestText(Indicator(999, "2024-01-01T00:00:00.000Z"));
    }
    if (!page->more) break;
    q.cursor = page->next;
  }
  EXPECT_EQ(seen.size(), 26u);
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), 26u);

  Query labelled;
  labelled.label = "apt";
  EXPECT_EQ(store_->Find(labelled)->objects.size(), 5u);
  Query marked;
  marked.marking = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
  EXPECT_EQ(store_->Find(marked)->objects.size(), 5u);
  Query text;
  text.text = "phishing";
  EXPECT_EQ(store_->Find(text)->objects.size(), 12u);
  Query bad_text;
  bad_text.text = "\"unbalanced";
  EXPECT_EQ(store_->Find(bad_text).status().code(), ErrorCode::kInvalidArgument);

  // A cursor from another query is refused.
  Query other;
  other.types = {"malware"};
  other.cursor = q.cursor.empty() ? "1.2" : q.cursor;
  EXPECT_EQ(store_->Find(other).status().code(), ErrorCode::kInvalidArgument);
  Query zero;
  zero.limit = 0;
  EXPECT_EQ(store_->Find(zero).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(StoreTest, AddedAfterAndVersionsSelection) {
  IngestText(Indicator(7, "2024-01-01T00:00:00.000Z", "old"));
  auto first = store_->Get("indicator--00000007-0000-4000-8000-000000000000");
  IngestText(Indicator(7, "2024-06-01T00:00:00.000Z", "new"));
  Query q;
  q.added_after_us = first->date_added_us;
  auto page = store_->Find(q);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_NE(page->objects[0].json.find("\"new\""), std::string::npos);
  Query all;
  all.versions = Versions::kAll;
  EXPECT_EQ(store_->Find(all)->objects.size(), 2u);
  Query firsts;
  firsts.versions = Versions::kFirst;
  auto f = store_->Find(firsts);
  ASSERT_EQ(f->objects.size(), 1u);
  EXPECT_NE(f->objects[0].json.find("\"old\""), std::string::npos);
  Query exact;
  exact.exact_versions = {"2024-06-01T00:00:00.000Z"};
  EXPECT_EQ(store_->Find(exact)->objects.size(), 1u);
  Query range;
  range.versions = Versions::kAll;
  range.modified_from = "2024-03-01T00:00:00Z";
  EXPECT_EQ(store_->Find(range)->objects.size(), 1u);
}

TEST_F(StoreTest, RevocationAndDelete) {
  IngestText(Indicator(8, "2024-01-01T00:00:00.000Z"));
  IngestText(Indicator(8, "2024-02-01T00:00:00.000Z", "bad ip", R"(,"revoked":true)"));
  auto latest = store_->Get("indicator--00000008-0000-4000-8000-000000000000");
  EXPECT_TRUE(latest->revoked);
  Query q;
  q.include_revoked = false;
  EXPECT_EQ(store_->Find(q)->objects.size(), 0u);
  // Deleting the newest version makes the older one the latest again.
  auto n = store_->Delete("indicator--00000008-0000-4000-8000-000000000000",
                          {"2024-02-01T00:00:00.000Z"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(store_->Get("indicator--00000008-0000-4000-8000-000000000000")->revoked);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
  EXPECT_EQ(*store_->Delete("indicator--00000008-0000-4000-8000-000000000000"), 1u);
  EXPECT_EQ(store_->Get("indicator--00000008-0000-4000-8000-000000000000").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->Delete("indicator--00000008-0000-4000-8000-000000000000").status().code(),
            ErrorCode::kNotFound);
}

TEST_F(StoreTest, DurableAcrossReopenAndRollbackLeavesNothing) {
  {
    auto batch = store_->BeginBatch();
    ASSERT_TRUE(batch.ok());
    json::Document doc;
    std::string text = Indicator(9, "2024-01-01T00:00:00.000Z");
    ASSERT_TRUE(doc.Parse(text).ok());
    stix::ObjectHeader h;
    ASSERT_TRUE(stix::Validator().Check(doc.root(), &h).ok());
    ASSERT_TRUE((*batch)->Put(h, text).ok());
    // destroyed without Commit: rolled back
  }
  EXPECT_EQ(store_->Count()->versions, 0u);
  IngestText(Indicator(10, "2024-01-01T00:00:00.000Z"));
  auto before = store_->Get("indicator--00000010-0000-4000-8000-000000000000");
  Reopen();
  auto after = store_->Get("indicator--00000010-0000-4000-8000-000000000000");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->date_added_us, before->date_added_us);
  // date_added keeps increasing after a reopen.
  IngestText(Indicator(11, "2024-01-01T00:00:00.000Z"));
  EXPECT_GT(store_->Get("indicator--00000011-0000-4000-8000-000000000000")->date_added_us,
            after->date_added_us);
}

TEST_F(StoreTest, ReadersSeeCommittedStateWhileABatchIsOpen) {
  IngestText(Indicator(12, "2024-01-01T00:00:00.000Z"));
  auto batch = store_->BeginBatch();
  ASSERT_TRUE(batch.ok());
  json::Document doc;
  std::string text = Indicator(13, "2024-01-01T00:00:00.000Z");
  ASSERT_TRUE(doc.Parse(text).ok());
  stix::ObjectHeader h;
  ASSERT_TRUE(stix::Validator().Check(doc.root(), &h).ok());
  ASSERT_TRUE((*batch)->Put(h, text).ok());
  std::thread reader([&] {
    EXPECT_EQ(store_->Count()->versions, 1u);  // the open batch is invisible
  });
  reader.join();
  ASSERT_TRUE((*batch)->Commit().ok());
  EXPECT_EQ(store_->Count()->versions, 2u);
}

TEST_F(StoreTest, ScosHaveOneVersionAndAreStored) {
  std::string ip =
      R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"})";
  auto r = IngestText(ip);
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(IngestText(ip).duplicates, 1u);
  auto got = store_->Get("ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->version, "");
  EXPECT_EQ(got->json, ip);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST(StoreOpen, RejectsUnsupportedAndUnopenable) {
  EXPECT_EQ(Store::Open("postgresql://localhost/x").status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(Store::Open("/nonexistent-dir/x/store.db").status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace entente::store
