#include "entente/store/store.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "entente/store/backup.h"
#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::FreshDir;
using testing::Indicator;
using testing::PgExec;
using testing::SqliteExec;
using testing::SqliteValue;
using testing::StoreFixture;

using StoreTest = StoreFixture;

constexpr const char* kTlpAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";

TEST_P(StoreTest, LatestVersionIsGreatestModifiedNotLastAdded) {
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

TEST_P(StoreTest, ObjectTextIsKeptExactly) {
  std::string text = Indicator(
      2, "2024-01-01T00:00:00.000Z", "n",
      R"(,"x_custom":{"big":123456789012345678901234567890,"f":1.50},"extensions":{"x-ext":{"a":[1,2]}})");
  IngestText(text);
  auto got = store_->Get("indicator--00000002-0000-4000-8000-000000000000");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->json, text);
}

TEST_P(StoreTest, DuplicatesAndConflicts) {
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
  // The same for a version that is no longer the greatest (decided by another path).
  EXPECT_EQ(IngestText(Indicator(3, "2024-02-01T00:00:00.000Z")).added, 1u);
  EXPECT_EQ(IngestText(reordered).duplicates, 1u);
  auto r4 = IngestText(Indicator(3, "2024-01-01T00:00:00.000Z", "other name"));
  EXPECT_EQ(r4.rejected, 1u);
  ASSERT_EQ(r4.errors.size(), 1u);
  EXPECT_NE(r4.errors[0].find("already stored with different content"), std::string::npos);
  auto versions = store_->GetVersions("indicator--00000003-0000-4000-8000-000000000000");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);
}

TEST_P(StoreTest, FindFiltersAndStablePaging) {
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

TEST_P(StoreTest, AddedAfterAndVersionsSelection) {
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

TEST_P(StoreTest, RevocationAndDelete) {
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

// The latest versions by type, page after page: one type (SQLite reads its partial index),
// several types (the date_added scan), after new versions, a late older version and deletes.
TEST_P(StoreTest, LatestVersionsByTypeAcrossPages) {
  auto malware = [](int n, std::string_view modified) {
    char id[64];
    std::snprintf(id, sizeof id, "malware--%08d-0000-4000-8000-000000000000", n);
    return std::string(R"({"type":"malware","spec_version":"2.1","id":")") + id +
           R"(","created":"2023-01-01T00:00:00.000Z","modified":")" + std::string(modified) +
           R"(","name":"m)" + std::to_string(n) + R"(","is_family":false})";
  };
  for (int i = 0; i < 9; ++i) {
    IngestText(Indicator(300 + i, "2024-01-01T00:00:00.000Z"));
    if (i % 3 == 0) IngestText(malware(400 + i, "2024-01-01T00:00:00.000Z"));
  }
  // New versions of 300 and 400, then a late older version of 403: still one latest each.
  IngestText(Indicator(300, "2024-05-01T00:00:00.000Z"));
  IngestText(malware(400, "2024-05-01T00:00:00.000Z"));
  IngestText(malware(403, "2023-06-01T00:00:00.000Z"));
  auto pages = [&](std::vector<std::string> types, std::size_t limit) {
    Query q;
    q.types = std::move(types);
    q.limit = limit;
    std::string ids;
    std::int64_t last_added = 0;
    for (int guard = 0; guard < 50; ++guard) {
      auto page = store_->Find(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& o : page->objects) {
        EXPECT_GT(o.date_added_us, last_added) << o.id;  // page order is date_added order
        last_added = o.date_added_us;
        ids += o.id.substr(0, 1) + o.id.substr(o.id.find("--") + 7, 3) + " ";
      }
      if (!page->more) break;
      q.cursor = page->next;
    }
    return ids;
  };
  EXPECT_EQ(pages({"malware"}, 2), "m403 m406 m400 ");
  EXPECT_EQ(pages({"indicator", "malware"}, 4),
            "i301 i302 i303 m403 i304 i305 i306 m406 i307 i308 i300 m400 ");
  EXPECT_EQ(pages({"tool"}, 3), "");
  auto counts = store_->Count();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->latest_by_type["indicator"], 9u);
  EXPECT_EQ(counts->latest_by_type["malware"], 3u);
  EXPECT_EQ(counts->versions, 15u);
  // Deleting 400's greatest version makes its first one the latest again, in its old place.
  ASSERT_TRUE(
      store_->Delete("malware--00000400-0000-4000-8000-000000000000", {"2024-05-01T00:00:00.000Z"})
          .ok());
  EXPECT_EQ(pages({"malware"}, 2), "m400 m403 m406 ");
  // Deleting all of 403's versions takes it out of every list.
  EXPECT_EQ(*store_->Delete("malware--00000403-0000-4000-8000-000000000000"), 2u);
  EXPECT_EQ(pages({"malware", "indicator"}, 5),
            "m400 i301 i302 i303 i304 i305 i306 m406 i307 i308 i300 ");
  EXPECT_EQ(store_->Count()->latest_by_type["malware"], 2u);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

TEST_P(StoreTest, DurableAcrossReopenAndRollbackLeavesNothing) {
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

TEST_P(StoreTest, ReadersSeeCommittedStateWhileABatchIsOpen) {
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

// Reads from several threads at once (the server's I/O threads) while a writer commits: every
// read answers, and what it answers is exactly what was committed, never a torn or foreign row.
TEST_P(StoreTest, ConcurrentReadersSeeExactlyWhatWasCommitted) {
  constexpr int kReaders = 4, kObjects = 200;
  std::vector<std::string> texts;
  for (int i = 0; i < kObjects; ++i)
    texts.push_back(Indicator(20000 + i, "2024-01-01T00:00:00.000Z"));
  auto id_of = [](int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "indicator--%08d-0000-4000-8000-000000000000", 20000 + i);
    return std::string(buf);
  };
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, found{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      for (int n = 0; !done.load() || n < 50; ++n) {
        const int i = (n * 7 + r * 13) % kObjects;
        auto o = store_->Get(id_of(i));
        if (o.ok()) {
          ++found;
          if (o->json != texts[static_cast<std::size_t>(i)]) ++bad;
        } else if (o.status().code() != ErrorCode::kNotFound) {
          ++bad;
        }
        if (n % 16 == 0) {
          Query q;
          q.types = {"indicator"};
          q.limit = 50;
          if (!store_->Find(q).ok() || !store_->Count().ok()) ++bad;
        }
      }
    });
  }
  for (int i = 0; i < kObjects; i += 20) {
    auto batch = store_->BeginBatch();
    ASSERT_TRUE(batch.ok());
    for (int j = i; j < i + 20; ++j) {
      json::Document doc;
      stix::ObjectHeader h;
      ASSERT_TRUE(doc.Parse(texts[static_cast<std::size_t>(j)]).ok());
      ASSERT_TRUE(stix::Validator().Check(doc.root(), &h).ok());
      ASSERT_TRUE((*batch)->Put(h, texts[static_cast<std::size_t>(j)]).ok());
    }
    ASSERT_TRUE((*batch)->Commit().ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(found.load(), 0);
  for (int i = 0; i < kObjects; ++i) {
    auto o = store_->Get(id_of(i));
    ASSERT_TRUE(o.ok()) << id_of(i);
    EXPECT_EQ(o->json, texts[static_cast<std::size_t>(i)]);
  }
}

TEST_P(StoreTest, ScosHaveOneVersionAndAreStored) {
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

ENTENTE_STORE_BACKENDS(StoreTest);

TEST(StoreOpen, RejectsUnopenable) {
  EXPECT_EQ(Store::Open("/nonexistent-dir/x/store.db").status().code(), ErrorCode::kIoError);
  // Nothing listens on port 1; the message names the store without its password.
  auto s = Store::Open("postgresql://who:secret@127.0.0.1:1/x?connect_timeout=5");
  EXPECT_EQ(s.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(s.status().message().find("secret"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("who:***@127.0.0.1:1"), std::string::npos)
      << s.status().message();
}

// Full-text search means the same on both backends (FTS5 syntax, unicode61-like tokens).
TEST_P(StoreTest, TextSearchSyntax) {
  std::string bundle =
      R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
  const char* names[] = {"phishing domain", "c2 server", "phishing c2 relay",
                         "Beacon to evil.example.com", "wiper"};
  for (int i = 0; i < 5; ++i) {
    bundle += (i ? "," : "") + Indicator(200 + i, "2024-01-01T00:00:00.000Z", names[i],
                                         i == 4 ? R"(,"description":"Destroys MBR_sectors")" : "");
  }
  IngestText(bundle + "]}");
  auto count = [&](const std::string& text) -> int {
    Query q;
    q.text = text;
    auto page = store_->Find(q);
    EXPECT_TRUE(page.ok()) << text << ": " << page.status().ToString();
    return page.ok() ? static_cast<int>(page->objects.size()) : -1;
  };
  EXPECT_EQ(count("phishing"), 2);
  EXPECT_EQ(count("PHISHING"), 2);     // case-insensitive
  EXPECT_EQ(count("phishing c2"), 1);  // implicit AND
  EXPECT_EQ(count("phishing AND c2"), 1);
  EXPECT_EQ(count("phishing OR wiper"), 3);
  EXPECT_EQ(count("c2 NOT relay"), 1);   // binary NOT
  EXPECT_EQ(count("\"c2 server\""), 1);  // phrase
  EXPECT_EQ(count("\"server c2\""), 0);  // phrase order matters
  EXPECT_EQ(count("phish*"), 2);         // prefix
  EXPECT_EQ(count("(wiper OR relay) AND c2"), 1);
  EXPECT_EQ(count("example"), 1);  // punctuation separates tokens
  EXPECT_EQ(count("\"evil.example.com\""), 1);
  EXPECT_EQ(count("mbr"), 1);  // descriptions are indexed; _ separates
  EXPECT_EQ(count("sectors"), 1);
  EXPECT_EQ(count("nothing"), 0);
  for (const char* bad : {"\"unbalanced", "(wiper", "wiper)", "AND", "wiper OR", "a $ b"}) {
    Query q;
    q.text = bad;
    EXPECT_EQ(store_->Find(q).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

// Writers in two Store instances (as two processes would be) and a reader paging by cursor
// while they write: every object is seen exactly once, date_added is strictly increasing
// and unique. On PostgreSQL this is what the writers' lock guarantees: without it a batch
// that commits late with smaller date_added values would be skipped by the reader.
TEST_P(StoreTest, ConcurrentWritersNeverMakeAPagingReaderSkip) {
  auto other = Store::Open(url_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  constexpr int kWriters = 4, kBatches = 20, kPerBatch = 10;
  std::atomic<int> writers_done{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Store& target = w % 2 ? **other : *store_;
      for (int b = 0; b < kBatches; ++b) {
        auto batch = target.BeginBatch();
        if (!batch.ok()) {
          ++failures;
          continue;
        }
        for (int i = 0; i < kPerBatch; ++i) {
          std::string text =
              Indicator(10000 + (w * kBatches + b) * kPerBatch + i, "2024-01-01T00:00:00.000Z");
          json::Document doc;
          stix::ObjectHeader h;
          if (!doc.Parse(text).ok() || !stix::Validator().Check(doc.root(), &h).ok() ||
              !(*batch)->Put(h, text).ok()) {
            ++failures;
          }
        }
        if (!(*batch)->Commit().ok()) ++failures;
      }
      ++writers_done;
    });
  }
  std::vector<std::string> seen;
  Query q;
  q.types = {"indicator"};
  q.limit = 7;
  for (;;) {
    bool finished = writers_done.load() == kWriters;  // read before the page
    auto page = store_->Find(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (auto& o : page->objects) seen.push_back(o.id);
    if (page->more) {
      q.cursor = page->next;
    } else if (!page->objects.empty()) {
      // The end for now: poll for what is added later, as a TAXII client does.
      q.cursor.clear();
      q.added_after_us = page->objects.back().date_added_us;
    } else if (finished) {
      break;
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters * kBatches * kPerBatch));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  Query all;
  all.versions = Versions::kAll;
  all.limit = 10000;
  auto everything = store_->Find(all);
  ASSERT_TRUE(everything.ok());
  for (std::size_t i = 1; i < everything->objects.size(); ++i) {
    ASSERT_LT(everything->objects[i - 1].date_added_us, everything->objects[i].date_added_us);
  }
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

// A version another process stored after this one last wrote is still known as stored:
// a duplicate, or a conflict, never a second copy or a failed batch.
TEST_P(StoreTest, VersionsStoredByAnotherWriterAreRecognised) {
  IngestText(Indicator(50, "2024-01-01T00:00:00.000Z"));  // this store has written once
  auto other = Store::Open(url_);
  ASSERT_TRUE(other.ok());
  const std::string text = Indicator(51, "2024-01-01T00:00:00.000Z");
  auto reader = stix::ObjectReader::FromText(text);
  ASSERT_EQ(Ingest(**other, reader)->added, 1u);
  auto again = IngestText(text);
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.added, 0u);
  auto conflict = IngestText(Indicator(51, "2024-01-01T00:00:00.000Z", "changed"));
  EXPECT_EQ(conflict.rejected, 1u);
  EXPECT_EQ(store_->Count()->versions, 2u);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

// Hostile but valid JSON: a NUL (\u0000) in a label, name and description is stored (the
// text exactly as sent) and does not fail the batch it is in.
TEST_P(StoreTest, EscapedNulInIndexedStringsIsStored) {
  std::string text = Indicator(60, "2024-01-01T00:00:00.000Z", "nul\\u0000name",
                               R"(,"labels":["a\u0000b"],"description":"x\u0000y")");
  auto r = IngestText(text + "\n" + Indicator(61, "2024-01-01T00:00:00.000Z"));
  EXPECT_EQ(r.added, 2u);
  EXPECT_EQ(r.rejected, 0u);
  auto got = store_->Get("indicator--00000060-0000-4000-8000-000000000000");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->json, text);
  Query q;
  q.text = "nul";
  EXPECT_EQ(store_->Find(q)->objects.size(), 1u);
}

// Undoes migration 9 on an SQLite store: the latest table as schema 5 made it, from the
// superseded column.
constexpr const char* kUndoSchema9 =
    "CREATE TABLE latest(date_added INTEGER PRIMARY KEY, type TEXT NOT NULL); "
    "INSERT INTO latest SELECT date_added, type FROM objects WHERE superseded IS NULL; "
    "DROP INDEX objects_latest; "
    "ALTER TABLE objects DROP COLUMN superseded; ";

// Turns the closed SQLite store at `path` into what schema 3 wrote: every text in the json
// column and no text file. Its backup is exactly that, plus the two columns schema 4 added.
void RewindSqliteToSchema3(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string dir = path + ".rewind";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto backup = BackupStore(path, dir);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  for (const char* suffix : {"", "-wal", "-shm", "-json"}) fs::remove(path + suffix);
  fs::rename(dir + "/store.db", path);
  fs::remove_all(dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db,
                        (std::string(kUndoSchema9) +
                         // the (id, version) index as it was before schema 7
                         "DROP INDEX objects_id_key; "
                         "ALTER TABLE objects DROP COLUMN id_key; "
                         "DELETE FROM meta WHERE key = 'id_key_secret'; "
                         "CREATE UNIQUE INDEX objects_id_version ON objects(id, version_ns); "
                         "ALTER TABLE objects DROP COLUMN json_at; "
                         "ALTER TABLE objects DROP COLUMN json_len; "
                         // latest as schema 1 made it: keyed by id
                         "CREATE TABLE latest_v1(id TEXT PRIMARY KEY, date_added INTEGER NOT NULL, "
                         "type TEXT NOT NULL, version_ns INTEGER NOT NULL, first_added INTEGER NOT "
                         "NULL) WITHOUT ROWID; "
                         "INSERT INTO latest_v1 SELECT o.id, o.date_added, o.type, o.version_ns, "
                         "(SELECT MIN(date_added) FROM objects f WHERE f.id = o.id) FROM latest l "
                         "JOIN objects o ON o.date_added = l.date_added; "
                         "DROP TABLE latest; "
                         "ALTER TABLE latest_v1 RENAME TO latest; "
                         "CREATE INDEX latest_type ON latest(type, date_added); "
                         "CREATE INDEX latest_added ON latest(date_added); "
                         // labels and markings as rows (before schema 6), from the texts
                         "CREATE TABLE labels(label TEXT NOT NULL, date_added INTEGER NOT NULL); "
                         "CREATE INDEX labels_label ON labels(label, date_added); "
                         "CREATE TABLE markings(marking TEXT NOT NULL, date_added INTEGER NOT "
                         "NULL); "
                         "CREATE INDEX markings_marking ON markings(marking, date_added); "
                         "INSERT INTO labels SELECT j.value, o.date_added FROM objects o, "
                         "json_each(o.json, '$.labels') j; "
                         "INSERT INTO markings SELECT j.value, o.date_added FROM objects o, "
                         "json_each(o.json, '$.object_marking_refs') j; "
                         "CREATE INDEX objects_created_by ON objects(created_by_ref) WHERE "
                         "created_by_ref IS NOT NULL; "
                         "DROP TABLE postings; DROP TABLE terms; "
                         // search as schema 1 made it, and empty: the migration refills it
                         "DROP TABLE search; "
                         "CREATE VIRTUAL TABLE search USING fts5(name, description, content=''); "
                         "DELETE FROM schema_version WHERE version IN (4, 5, 6, 7, 8, 9)")
                            .c_str(),
                        nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// The schema is versioned: an older store is migrated on open, a newer one refused.
TEST_P(StoreTest, SchemaMigratesOlderAndRefusesNewer) {
  const std::string apt = R"(,"labels":["apt","apt28","apt"],"object_marking_refs":[")" +
                          std::string(kTlpAmber) +
                          R"("],"created_by_ref":"identity--00000000-0000-4000-8000-000000000000")";
  IngestText(Indicator(20, "2024-01-01T00:00:00.000Z", "bad ip", apt));
  // An id with two versions, the older one added last: its latest row must survive the
  // migration pointing at the greater version.
  IngestText(Indicator(22, "2024-03-01T00:00:00.000Z", "bad ip", R"(,"labels":["apt"])"));
  IngestText(Indicator(22, "2024-02-01T00:00:00.000Z", "bad ip", R"(,"labels":["old"])"));
  // Label and marking filters: the ids of the latest versions that match, in date_added order.
  auto matching = [&](std::string label, std::string marking) {
    Query q;
    q.label = std::move(label);
    q.marking = std::move(marking);
    auto page = store_->Find(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::string ids;
    if (page.ok()) {
      for (const auto& o : page->objects) ids += o.id.substr(11, 8) + " ";
    }
    return ids;
  };
  auto by_creator = [&]() {
    Query q;
    q.created_by = "identity--00000000-0000-4000-8000-000000000000";
    auto page = store_->Find(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && page->objects.size() == 1 ? page->objects[0].id.substr(11, 8) + " "
                                                  : std::string("?");
  };
  auto exec = [&](const std::string& sql) {
    if (postgres()) {
      ASSERT_EQ(PgExec("SET search_path = " + schema_ + "; " + sql), "");
    } else {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(url_.c_str(), &db), SQLITE_OK);
      char* err = nullptr;
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
      std::string message = err ? err : "";
      sqlite3_free(err);
      sqlite3_close(db);
      ASSERT_EQ(rc, SQLITE_OK) << message;
    }
  };
  auto version = [&]() -> std::string {
    if (postgres()) {
      PGconn* c = PQconnectdb(StoreUrl(schema_).c_str());
      PGresult* r = PQexec(c, "SELECT MAX(version)::text || ':' || COUNT(*) FROM schema_version");
      std::string v = PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "";
      PQclear(r);
      PQfinish(c);
      return v;
    }
    sqlite3* db = nullptr;
    sqlite3_open(url_.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT MAX(version) || ':' || COUNT(*) FROM schema_version", -1, &st,
                       nullptr);
    std::string v = sqlite3_step(st) == SQLITE_ROW
                        ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
                        : "";
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  };
  const std::string current = version();
  ASSERT_EQ(current, postgres() ? "2:2" : "9:9");
  int last = postgres() ? 2 : 9;
  EXPECT_EQ(matching("apt", ""), "00000020 00000022 ");
  EXPECT_EQ(matching("apt28", kTlpAmber), "00000020 ");
  EXPECT_EQ(by_creator(), "00000020 ");
  store_.reset();

  // Undo the last step by hand: the store is now one version older.
  if (postgres()) {
    exec("DROP INDEX objects_created_by; DELETE FROM schema_version WHERE version = 2");
  } else {
    RewindSqliteToSchema3(url_);
    // Read-only: an older schema is read as it is, texts in the json column.
    StoreOptions read_only;
    read_only.read_only = true;
    Reopen(read_only);
    auto old = store_->Get("indicator--00000020-0000-4000-8000-000000000000");
    ASSERT_TRUE(old.ok()) << old.status().ToString();
    EXPECT_EQ(old->json, Indicator(20, "2024-01-01T00:00:00.000Z", "bad ip", apt));
    EXPECT_EQ(matching("apt", ""), "00000020 00000022 ");  // through the rows of schema 3
    EXPECT_EQ(matching("apt28", kTlpAmber), "00000020 ");
    EXPECT_EQ(by_creator(), "00000020 ");
    store_.reset();
    EXPECT_EQ(version(), "3:3");
  }
  Reopen();
  EXPECT_EQ(version(), current);
  // The rows became posting lists: the same answers.
  EXPECT_EQ(matching("apt", ""), "00000020 00000022 ");
  EXPECT_EQ(matching("apt28", kTlpAmber), "00000020 ");
  EXPECT_EQ(matching("old", ""), "");  // only an older version has it
  EXPECT_EQ(matching("", kTlpAmber), "00000020 ");
  EXPECT_EQ(by_creator(), "00000020 ");
  // Full-text search finds what was stored before (SQLite: indexed again from the json column
  // by migration 8).
  Query bad;
  bad.text = "bad";
  auto found = store_->Find(bad);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::string bad_ids;
  for (const auto& o : found->objects) bad_ids += o.id.substr(11, 8) + " ";
  EXPECT_EQ(bad_ids, "00000020 00000022 ");
  // Texts stored before the migration and after it read alike.
  IngestText(Indicator(21, "2024-01-01T00:00:00.000Z"));
  for (const char* id : {"indicator--00000020-0000-4000-8000-000000000000",
                         "indicator--00000021-0000-4000-8000-000000000000"}) {
    int n = id[18] == '0' ? 20 : 21;
    auto got = store_->Get(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->json, Indicator(n, "2024-01-01T00:00:00.000Z", "bad ip", n == 20 ? apt : ""));
  }
  auto two = store_->Get("indicator--00000022-0000-4000-8000-000000000000");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->json, Indicator(22, "2024-03-01T00:00:00.000Z", "bad ip", R"(,"labels":["apt"])"));
  Query indicators;
  indicators.types = {"indicator"};
  auto latest = store_->Find(indicators);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->objects.size(), 3u);  // 20, 21 and 22, once each
  auto counts = store_->Count();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->latest_by_type["indicator"], 3u);
  EXPECT_TRUE(store_->CheckIntegrity().ok());
  store_.reset();

  // A store from a future build is refused, read-write and read-only, and left untouched.
  exec("INSERT INTO schema_version(version, description, applied_at) VALUES(99, 'future', " +
       std::string(postgres() ? "now()" : "'2030-01-01T00:00:00Z'") + ")");
  for (bool read_only : {false, true}) {
    StoreOptions options;
    options.read_only = read_only;
    auto s = Store::Open(url_, options);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), ErrorCode::kUnsupported);
    EXPECT_NE(s.status().message().find("schema version 99 is newer than this build supports"),
              std::string::npos)
        << s.status().message();
  }
  EXPECT_EQ(version(), "99:" + std::to_string(last + 1));
  exec("DELETE FROM schema_version WHERE version = 99");
  Reopen();
}

// Stores written before schema_version existed kept their version in a meta row.
TEST(SqliteMigration, LegacyMetaVersionIsMigrated) {
  auto dir = std::filesystem::temp_directory_path() /
             ("entente-store-legacy-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "store.db").string();
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    const std::string text = Indicator(30, "2024-01-01T00:00:00.000Z");
    auto reader = stix::ObjectReader::FromText(text);
    ASSERT_TRUE(Ingest(**s, reader).ok());
  }
  RewindSqliteToSchema3(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE schema_version; DROP INDEX objects_created_by; "
                         "INSERT INTO meta(key, value) VALUES('schema_version', '1')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE((*s)->Get("indicator--00000030-0000-4000-8000-000000000000").ok());
    EXPECT_TRUE((*s)->CheckIntegrity().ok());
  }
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT group_concat(version), (SELECT COUNT(*) FROM meta WHERE "
                               "key = 'schema_version'), (SELECT COUNT(*) FROM sqlite_master "
                               "WHERE name = 'objects_created_by') FROM schema_version",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "1,2,3,4,5,6,7,8,9");
  EXPECT_EQ(sqlite3_column_int(st, 1), 0);
  EXPECT_EQ(sqlite3_column_int(st, 2), 0);  // made by step 3, replaced by postings in step 6
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

// A PostgreSQL restart or a killed connection costs one failed call at most; reads retry.
TEST(PgStore, RecoversFromALostConnection) {
  ASSERT_NE(testing::PgUrl(), nullptr) << "ENTENTE_TEST_PG_URL is not set";
  std::string schema = "tlost" + std::to_string(::getpid());
  ASSERT_EQ(
      testing::PgExec("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema), "");
  std::string url = std::string(testing::PgUrl()) + "?options=-csearch_path%3D" + schema +
                    "&application_name=" + schema;
  {
    auto store = Store::Open(url);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const std::string first = Indicator(40, "2024-01-01T00:00:00.000Z");
    auto reader = stix::ObjectReader::FromText(first);
    ASSERT_TRUE(Ingest(**store, reader).ok());
    ASSERT_EQ(testing::PgExec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                              "application_name = '" +
                              schema + "'"),
              "");
    auto got = (*store)->Get("indicator--00000040-0000-4000-8000-000000000000");
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    // The writer's connection was lost too: the next batch starts on a new one.
    const std::string second = Indicator(41, "2024-01-01T00:00:00.000Z");
    auto again = stix::ObjectReader::FromText(second);
    auto r = Ingest(**store, again);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable) << r.status().ToString();
      auto retry = stix::ObjectReader::FromText(second);
      r = Ingest(**store, retry);
    }
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->added, 1u);
    EXPECT_TRUE((*store)->CheckIntegrity().ok());
  }
  EXPECT_EQ(testing::PgExec("DROP SCHEMA " + schema + " CASCADE"), "");
}

TEST(PgStore, SchemaMustExist) {
  ASSERT_NE(testing::PgUrl(), nullptr) << "ENTENTE_TEST_PG_URL is not set";
  auto s = Store::Open(std::string(testing::PgUrl()) + "?options=-csearch_path%3Dno_such_schema");
  EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("no existing schema"), std::string::npos)
      << s.status().message();
}

// A fresh SQLite store in its own directory, removed at the end.
class SqliteTextFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entente-text-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
    texts_ = path_ + "-json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  IngestReport Put(Store& store, const std::string& text, bool strict = false) {
    auto reader = stix::ObjectReader::FromText(text);
    IngestOptions options;
    options.strict = strict;
    auto r = Ingest(store, reader, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestReport();
  }
  // Indicators 1..n, all of version 2024-01-01, in one input; returns how many were added.
  std::uint64_t PutIndicators(Store& store, int n) {
    std::string all;
    for (int i = 1; i <= n; ++i) all += Indicator(i, "2024-01-01T00:00:00.000Z") + "\n";
    return Put(store, all).added;
  }
  static std::string Id(int n) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
    return id;
  }
  std::filesystem::path dir_;
  std::string path_, texts_;
};

// The text file is a JSON-lines copy of what was stored, and a duplicate adds nothing to it.
TEST_F(SqliteTextFileTest, TextsAreAppendedOnceAsJsonLines) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  const std::string a = Indicator(1, "2024-01-01T00:00:00.000Z");
  const std::string b = Indicator(2, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(Put(**store, a + "\n" + b).added, 2u);
  EXPECT_EQ(Put(**store, a).duplicates, 1u);
  std::ifstream in(texts_);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), a + "\n" + b + "\n");
}

// A batch that never committed (a crash after its texts were written) leaves bytes past the
// committed end: nothing refers to them, and the next batch writes over them.
TEST_F(SqliteTextFileTest, BytesOfABatchThatNeverCommittedAreDropped) {
  const std::string a = Indicator(1, "2024-01-01T00:00:00.000Z");
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok());
    Put(**store, a);
    auto batch = (*store)->BeginBatch();
    ASSERT_TRUE(batch.ok());
    // Written, never committed: a rolled-back batch over the spill size writes to the file.
    std::string big;
    for (int i = 100; i < 100 + 70000; ++i) {  // about 20 MB
      std::string text = Indicator(i, "2024-01-01T00:00:00.000Z");
      stix::ObjectHeader h;
      json::Document d;
      ASSERT_TRUE(d.Parse(text).ok());
      ASSERT_TRUE(stix::Validator().Check(d.root(), &h).ok());
      ASSERT_TRUE((*batch)->Put(h, text).ok());
    }
    EXPECT_GT(std::filesystem::file_size(texts_), a.size() + 1 + 16u * 1024 * 1024 / 2);
    (*batch)->Rollback();
  }
  {
    std::ofstream garbage(texts_, std::ios::app);
    garbage << "{\"torn\":";  // and a torn write after it
  }
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Count()->versions, 1u);
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
  const std::string b = Indicator(2, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(Put(**store, b).added, 1u);
  EXPECT_EQ(std::filesystem::file_size(texts_), a.size() + b.size() + 2);
  EXPECT_EQ((*store)->Get(Id(1))->json, a);
  EXPECT_EQ((*store)->Get(Id(2))->json, b);
}

// One batch larger than what is kept in memory: texts spill to the file before the commit, and
// a duplicate of a spilled text (same meaning, other bytes) is still recognised.
TEST_F(SqliteTextFileTest, LargeBatchSpillsAndStillFindsItsOwnDuplicates) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  std::string text;
  constexpr int kObjects = 70000;  // about 20 MB of texts
  for (int i = 0; i < kObjects; ++i) text += Indicator(i, "2024-01-01T00:00:00.000Z") + "\n";
  std::string first = Indicator(0, "2024-01-01T00:00:00.000Z");
  text += " " + first.substr(0, first.size() - 1) + " }\n";  // other bytes, same meaning
  auto r = Put(**store, text, /*strict=*/true);              // strict: one batch
  EXPECT_GT(std::filesystem::file_size(texts_), 16u << 20);
  EXPECT_EQ(r.added, static_cast<std::uint64_t>(kObjects));
  EXPECT_EQ(r.duplicates, 1u);
  for (int i : {0, kObjects / 2, kObjects - 1}) {
    EXPECT_EQ((*store)->Get(Id(i))->json, Indicator(i, "2024-01-01T00:00:00.000Z"));
  }
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
}

// A text file that lost committed bytes is reported, names the file, and is never written to.
TEST_F(SqliteTextFileTest, TruncatedTextFileIsCorruptionNotSilence) {
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok());
    Put(**store,
        Indicator(1, "2024-01-01T00:00:00.000Z") + "\n" + Indicator(2, "2024-01-01T00:00:00.000Z"));
  }
  auto size = std::filesystem::file_size(texts_);
  std::filesystem::resize_file(texts_, size - 10);
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Get(Id(1)).ok());
  auto lost = (*store)->Get(Id(2));
  ASSERT_EQ(lost.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(lost.status().message().find(texts_), std::string::npos) << lost.status().message();
  EXPECT_EQ((*store)->CheckIntegrity().code(), ErrorCode::kCorruption);
  auto batch = (*store)->BeginBatch();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(std::filesystem::file_size(texts_), size - 10);
  store->reset();

  // A damaged row asking for a terabyte is refused before anything is allocated.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE objects SET json_len = 1099511627776", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get(Id(1)).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ((*store)->Find(Query()).status().code(), ErrorCode::kCorruption);
}

// Backups are one self-contained file: the texts move into it, and it restores without the
// original text file.
TEST_F(SqliteTextFileTest, BackupCarriesTheTexts) {
  const std::string a = Indicator(1, "2024-01-01T00:00:00.000Z");
  {
    auto store = Store::Open(path_);
    ASSERT_TRUE(store.ok());
    Put(**store, a);
  }
  std::filesystem::create_directories(dir_ / "backup");
  ASSERT_TRUE(BackupStore(path_, (dir_ / "backup").string()).ok());
  for (const char* suffix : {"", "-wal", "-shm", "-json"}) std::filesystem::remove(path_ + suffix);
  const std::string restored = (dir_ / "restored.db").string();
  ASSERT_TRUE(RestoreStore((dir_ / "backup" / "store.db").string(), restored).ok());
  auto store = Store::Open(restored);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Get(Id(1))->json, a);
  const std::string b = Indicator(2, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(Put(**store, b).added, 1u);
  EXPECT_EQ((*store)->Get(Id(2))->json, b);
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
}

// A page reads runs of adjacent texts with one read: gaps (filtered-out objects) and runs of
// any length give every object its own text.
TEST_F(SqliteTextFileTest, PagesWithGapsGetEachObjectsText) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(PutIndicators(**store, 7), 7u);
  Query q;
  q.ids = {Id(1), Id(3), Id(4), Id(5), Id(7)};
  auto page = (*store)->Find(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 5u);
  for (const auto& o : page->objects) {
    int n = std::stoi(o.id.substr(11, 8));
    EXPECT_EQ(o.json, Indicator(n, "2024-01-01T00:00:00.000Z")) << o.id;
  }
}

// Single reads by id, repeated, and after a new version of one object: each returns exactly
// the text of the version asked for.
TEST_F(SqliteTextFileTest, SingleReadsReturnTheStoredTexts) {
  auto store = Store::Open(path_);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(PutIndicators(**store, 300), 300u);
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= 300; ++i) {
      ASSERT_EQ((*store)->Get(Id(i))->json, Indicator(i, "2024-01-01T00:00:00.000Z"));
    }
  }
  const std::string newer = Indicator(7, "2024-02-01T00:00:00.000Z", "renamed");
  ASSERT_EQ(Put(**store, newer).added, 1u);
  EXPECT_EQ((*store)->Get(Id(7))->json, newer);
  EXPECT_EQ((*store)->Get(Id(7), Versions::kFirst)->json, Indicator(7, "2024-01-01T00:00:00.000Z"));
}

TEST_F(SqliteTextFileTest, ReadOnlyStoreRefusesWrites) {
  { ASSERT_TRUE(Store::Open(path_).ok()); }
  StoreOptions options;
  options.read_only = true;
  auto store = Store::Open(path_, options);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->BeginBatch().status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ((*store)->Delete(Id(1)).status().code(), ErrorCode::kPermissionDenied);
}

}  // namespace

// Migration 8 replaces the search table and indexes every stored version's text again: from
// the text file (versions stored since schema 4), names, SCO values and descriptions alike.
// A text that cannot be read stops the migration and leaves the store as it was.
TEST(SqliteMigration, SearchIsRebuiltFromTheTextFile) {
  namespace fs = std::filesystem;
  const fs::path dir = FreshDir("store-search");
  const std::string path = (dir / "store.db").string();
  const std::string texts =
      Indicator(40, "2024-01-01T00:00:00.000Z", "emotet loader") + "\n" +
      R"({"type":"domain-name","spec_version":"2.1","id":"domain-name--0a1b2c3d-0000-5000-8000-000000000000","value":"evil.example"})" +
      "\n" +
      R"({"type":"note","spec_version":"2.1","id":"note--00000041-0000-4000-8000-000000000000","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","content":"x","abstract":"y","description":"seen at the ministry","object_refs":["indicator--00000040-0000-4000-8000-000000000000"]})";
  auto exec = [&](const char* sql) { ASSERT_EQ(SqliteExec(path, sql), ""); };
  auto query = [&](const char* sql) { return SqliteValue(path, sql); };
  // Back to schema 7: the search table as schema 1 made it, and empty.
  const std::string rewind_sql =
      std::string(kUndoSchema9) +
      "DROP TABLE search; "
      "CREATE VIRTUAL TABLE search USING fts5(name, description, content=''); "
      "DELETE FROM schema_version WHERE version IN (8, 9)";
  const char* rewind = rewind_sql.c_str();
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto reader = stix::ObjectReader::FromText(texts);
    auto report = Ingest(**s, reader);
    ASSERT_TRUE(report.ok() && report->added == 3) << report.status().ToString();
  }
  exec(rewind);
  auto search = [&](Store& s, const char* text) {
    Query q;
    q.text = text;
    auto page = s.Find(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::string ids;
    if (page.ok()) {
      for (const auto& o : page->objects) ids += o.id.substr(0, o.id.find("--")) + " ";
    }
    return ids;
  };
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(search(**s, "emotet"), "indicator ");
    EXPECT_EQ(search(**s, "\"evil.example\""), "domain-name ");
    EXPECT_EQ(search(**s, "ministry"), "note ");
    EXPECT_EQ(search(**s, "nothing"), "");
    EXPECT_TRUE((*s)->CheckIntegrity().ok());
  }
  EXPECT_EQ(query("SELECT MAX(version) || ':' || COUNT(*) FROM schema_version"), "9:9");
  EXPECT_NE(query("SELECT sql FROM sqlite_master WHERE name = 'search'").find("columnsize=0"),
            std::string::npos);
  EXPECT_EQ(query("SELECT v FROM search_config WHERE k = 'automerge'"), "8");

  // A read-write open fails with Corruption naming migration 8 and each of `words`, and the
  // store is left at schema 7 with its three rows.
  auto expect_corruption_at_7 = [&](const std::vector<std::string>& words) {
    auto s = Store::Open(path);
    ASSERT_FALSE(s.ok());
    const std::string why = s.status().ToString();
    EXPECT_EQ(s.status().code(), ErrorCode::kCorruption) << why;
    EXPECT_NE(why.find("migration to version 8"), std::string::npos) << why;
    for (const auto& w : words) EXPECT_NE(why.find(w), std::string::npos) << w << " in " << why;
    EXPECT_EQ(query("SELECT MAX(version) || ':' || COUNT(*) FROM schema_version"), "7:7");
    EXPECT_EQ(query("SELECT COUNT(*) FROM objects"), "3");
  };

  // A text present but damaged (bytes overwritten in place): Corruption naming the row's
  // date_added, and nothing is migrated. A read-only open does not migrate, so it still serves.
  exec(rewind);
  {
    std::fstream f(path + "-json", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.write("\x01\x02garbage", 9);
  }
  expect_corruption_at_7(
      {"is not valid JSON", "date_added " + query("SELECT MIN(date_added) FROM objects")});
  {
    StoreOptions read_only;
    read_only.read_only = true;
    auto s = Store::Open(path, read_only);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE((*s)->Get("note--00000041-0000-4000-8000-000000000000").ok());
  }

  // A text file cut short (the store is still at schema 7): the migration fails naming the
  // step and the missing text, and the store stays at schema 7 with its rows.
  fs::resize_file(path + "-json", 10);
  expect_corruption_at_7({"is missing from"});
  EXPECT_EQ(query("SELECT sql FROM sqlite_master WHERE name = 'search'").find("columnsize=0"),
            std::string::npos);

  fs::remove_all(dir);
}

}  // namespace entente::store
