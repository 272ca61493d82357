// The SQLite store's posting lists (src/store/sqlite/postings.h): the blob coding on its own,
// and label and marking filters through the Store interface on both backends, across blobs.
#include "sqlite/postings.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::Indicator;
using testing::StoreFixture;

std::vector<std::int64_t> Decoded(std::string_view blob) {
  std::vector<std::int64_t> keys;
  Status s = DecodePostings(blob, &keys);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return keys;
}

TEST(PostingsCoding, RoundTripsKeysOfEverySize) {
  const std::vector<std::int64_t> keys = {0,
                                          1,
                                          127,
                                          128,
                                          16383,
                                          16384,
                                          1732400000000000,
                                          1732400000000001,
                                          std::numeric_limits<std::int64_t>::max() - 1,
                                          std::numeric_limits<std::int64_t>::max()};
  std::string blob = EncodePostings(keys);
  EXPECT_EQ(Decoded(blob), keys);
  // Deltas, not keys: microsecond keys a few apart take a byte each after the first.
  std::vector<std::int64_t> dense;
  for (int i = 0; i < 1000; ++i) dense.push_back(1732400000000000 + 3 * i);
  EXPECT_EQ(EncodePostings(dense).size(), 8u + 999u);
  EXPECT_EQ(Decoded(EncodePostings(dense)), dense);
  EXPECT_TRUE(EncodePostings({}).empty());
  EXPECT_TRUE(Decoded("").empty());
}

TEST(PostingsCoding, CorruptBlobsAreRefused) {
  auto refused = [](std::string blob, std::string_view why) {
    std::vector<std::int64_t> keys;
    Status s = DecodePostings(blob, &keys);
    EXPECT_EQ(s.code(), ErrorCode::kCorruption) << why;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  refused("\x85", "truncated");                                // continuation, then nothing
  refused(std::string(11, '\xff') + '\x01', "over 10 bytes");  // a varint past 64 bits
  refused(std::string("\x05\x00", 2), "not increasing");       // a repeated key
  std::string max = EncodePostings({std::numeric_limits<std::int64_t>::max()});
  refused(max + '\x01', "out of range");  // past INT64_MAX
}

using PostingsTest = StoreFixture;

// Many small batches extend a term's last blob until it is kExtendBelow bytes, then start
// another; the filter reads them all, in order, and deletions take keys out of any of them.
TEST_P(PostingsTest, LabelFiltersSpanBlobsAndForgetDeletedVersions) {
  constexpr int kObjects = 10000;
  auto id_of = [](int n) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
    return std::string(id);
  };
  auto labelled = [&](int n) {
    std::string labels =
        n % 3 == 0 ? R"(,"labels":["every","third","every"])" : R"(,"labels":["every"])";
    if (n % 5 == 0)
      labels += R"(,"created_by_ref":"identity--00000005-0000-4000-8000-000000000000")";
    return Indicator(n, "2024-01-01T00:00:00.000Z", "x",
                     labels + R"(,"object_marking_refs":["marking-definition--)" +
                         (n % 2 ? std::string("f88d31f6-486f-44da-b317-01333bde0b82")
                                : std::string("94868c89-83c2-464b-929b-a1a8aa3c8487")) +
                         R"("])");
  };
  IngestOptions small;
  small.batch_size = 7;  // hundreds of commits, each extending the blobs
  std::string text;
  for (int n = 1; n <= kObjects / 2; ++n) text += labelled(n) + "\n";
  EXPECT_EQ(IngestText(text, small).added, static_cast<std::uint64_t>(kObjects / 2));
  text.clear();
  for (int n = kObjects / 2 + 1; n <= kObjects; ++n) text += labelled(n) + "\n";
  EXPECT_EQ(IngestText(text).added, static_cast<std::uint64_t>(kObjects / 2));  // one batch

  // All pages of a filter, as the numbers of the ids.
  auto numbers = [&](Query q) {
    std::vector<int> out;
    q.limit = 700;
    for (;;) {
      auto page = store_->Find(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& o : page->objects) out.push_back(std::stoi(o.id.substr(11, 8)));
      if (page->next.empty()) break;
      q.cursor = page->next;
    }
    return out;
  };
  auto expect = [&](auto keep) {
    std::vector<int> v;
    for (int n = 1; n <= kObjects; ++n) {
      if (keep(n)) v.push_back(n);
    }
    return v;
  };
  std::set<int> deleted;
  auto alive = [&](int n) { return deleted.count(n) == 0; };
  Query every, third, amber, both, fifth;
  fifth.created_by = "identity--00000005-0000-4000-8000-000000000000";
  every.label = "every";
  third.label = "third";
  amber.marking = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
  both.label = "third";
  both.marking = amber.marking;
  auto check = [&]() {
    EXPECT_EQ(numbers(every), expect(alive));
    EXPECT_EQ(numbers(third), expect([&](int n) { return alive(n) && n % 3 == 0; }));
    EXPECT_EQ(numbers(amber), expect([&](int n) { return alive(n) && n % 2 == 1; }));
    EXPECT_EQ(numbers(both), expect([&](int n) { return alive(n) && n % 6 == 3; }));
    EXPECT_EQ(numbers(fifth), expect([&](int n) { return alive(n) && n % 5 == 0; }));
  };
  check();

  // The first, a middle one from the small batches, one from the big batch, and the last
  // (the greatest key of its term's last blob, which names the blob's row).
  // SQLite: an integer the database answers for `sql` (term_postings registered).
  auto sqlite_int = [&](const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(url_.c_str(), &db), SQLITE_OK);
    EXPECT_TRUE(RegisterPostings(db).ok());
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int value = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
  };
  const bool sqlite = GetParam() == std::string("sqlite");
  if (sqlite) {  // the case this test is for: several blobs
    EXPECT_GE(sqlite_int("SELECT COUNT(*) FROM postings p JOIN terms t USING(term) "
                         "WHERE t.text = 'every'"),
              2);
  }
  for (int n : {1, 3, 999, 2001, 7777, kObjects}) {
    auto gone = store_->Delete(id_of(n));
    ASSERT_TRUE(gone.ok()) << gone.status().ToString();
    deleted.insert(n);
  }
  check();
  if (sqlite) {  // the keys are gone from the blobs, not only hidden by the join with objects
    EXPECT_EQ(sqlite_int("SELECT COUNT(*) FROM term_postings(1, 'every')"), kObjects - 6);
    EXPECT_EQ(sqlite_int("SELECT COUNT(*) FROM term_postings(1, 'third')"), kObjects / 3 - 3);
    EXPECT_EQ(sqlite_int("SELECT COUNT(*) FROM term_postings(3, "
                         "'identity--00000005-0000-4000-8000-000000000000')"),
              kObjects / 5 - 1);
  }
  Query none;
  none.label = "no such label";
  EXPECT_TRUE(numbers(none).empty());

  // Stored again, they come back (new keys, after every other).
  text.clear();
  for (int n : {3, kObjects}) text += labelled(n) + "\n";
  EXPECT_EQ(IngestText(text).added, 2u);
  deleted.erase(3);
  deleted.erase(kObjects);
  auto back = numbers(every);
  ASSERT_GE(back.size(), 2u);
  EXPECT_EQ(back[back.size() - 2], 3);  // in date_added order: re-added last
  EXPECT_EQ(back.back(), kObjects);
  Reopen();
  auto reopened = numbers(amber);  // 3 and kObjects now last: compare as sets
  std::sort(reopened.begin(), reopened.end());
  EXPECT_EQ(reopened, expect([&](int n) { return alive(n) && n % 2 == 1; }));
  EXPECT_TRUE(store_->CheckIntegrity().ok());
}

ENTENTE_STORE_BACKENDS(PostingsTest);

// A damaged blob (a torn write, a disk error, a hand edit) is named, not silently read as
// other keys: the filter fails with Corruption, CheckIntegrity names the term, a write that
// would extend the blob is refused whole, and every stored object stays readable.
TEST(PostingsCorruption, ADamagedBlobIsReportedAndNothingIsLost) {
  auto dir = std::filesystem::temp_directory_path() /
             ("entente-postings-corrupt-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "store.db").string();
  auto ingest = [&](Store& store, int n) {
    std::string text = Indicator(n, "2024-01-01T00:00:00.000Z", "x", R"(,"labels":["apt"])");
    auto reader = stix::ObjectReader::FromText(text);
    return Ingest(store, reader);
  };
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    for (int n = 1; n <= 3; ++n) ASSERT_TRUE(ingest(**store, n).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE postings SET list = x'0185'", nullptr, nullptr, nullptr),
            SQLITE_OK);  // one key, then a varint cut short
  sqlite3_close(db);

  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Query apt;
  apt.label = "apt";
  auto page = (*store)->Find(apt);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), ErrorCode::kCorruption) << page.status().ToString();
  EXPECT_NE(page.status().message().find("posting list: truncated key"), std::string::npos)
      << page.status().message();
  Status check = (*store)->CheckIntegrity();
  EXPECT_EQ(check.code(), ErrorCode::kCorruption);
  EXPECT_NE(check.message().find("postings of term"), std::string::npos) << check.message();

  auto more = ingest(**store, 4);  // would extend the damaged blob
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), ErrorCode::kCorruption) << more.status().ToString();
  for (const char* id : {"indicator--00000001-0000-4000-8000-000000000000",
                         "indicator--00000002-0000-4000-8000-000000000000",
                         "indicator--00000003-0000-4000-8000-000000000000"}) {
    auto got = (*store)->Get(id);
    EXPECT_TRUE(got.ok()) << id << ": " << got.status().ToString();
  }
  EXPECT_FALSE((*store)->Get("indicator--00000004-0000-4000-8000-000000000000").ok());
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace entente::store
