// The store's cache of latest versions: served only for the generation it was read at, and a
// cached store sees every write made through any other store on the same file, in this
// process or another, committed or crashed half-way.
#include "object_cache.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "entente/store/store.h"
#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::Indicator;

// Puts `text` into an open batch, validated as Ingest would.
bool PutIn(WriteBatch& batch, const std::string& text) {
  json::Document doc;
  if (!doc.Parse(text).ok()) return false;
  stix::ObjectHeader h;
  if (!stix::Validator().Check(doc.root(), &h).ok()) return false;
  return batch.Put(h, text).ok();
}

StoredObject Object(int n, std::size_t text_bytes) {
  StoredObject o;
  o.id = "indicator--" + std::to_string(n);
  o.type = "indicator";
  o.version = "2024-01-01T00:00:00.000Z";
  o.json = std::string(text_bytes, 'x');
  return o;
}

TEST(ObjectCache, ServesAnEntryOnlyForItsGeneration) {
  ObjectCache cache(1 << 20);
  cache.Insert(Object(1, 100), 2);
  StoredObject out;
  EXPECT_TRUE(cache.Find("indicator--1", 2, &out));
  EXPECT_EQ(out.json, std::string(100, 'x'));
  EXPECT_FALSE(cache.Find("indicator--2", 2, &out));
  // A newer generation: the entry is stale and dropped, so the old generation does not revive it.
  EXPECT_FALSE(cache.Find("indicator--1", 4, &out));
  EXPECT_FALSE(cache.Find("indicator--1", 2, &out));
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(ObjectCache, StaysWithinItsBudgetAndEvictsTheLeastRecentlyUsed) {
  constexpr std::size_t kBudget = 256 << 10;
  ObjectCache cache(kBudget);
  StoredObject out;
  for (int i = 0; i < 5000; ++i) {
    cache.Insert(Object(i, 500), 2);
    ASSERT_TRUE(cache.Find("indicator--0", 2, &out)) << "the most used entry was evicted at " << i;
  }
  EXPECT_LE(cache.bytes(), kBudget);
  EXPECT_GT(cache.bytes(), kBudget / 2);
  EXPECT_TRUE(cache.Find("indicator--4999", 2, &out));
  EXPECT_FALSE(cache.Find("indicator--1", 2, &out));
  // Too large for a shard's share: not cached at all.
  cache.Insert(Object(9, kBudget / 8), 2);
  EXPECT_FALSE(cache.Find("indicator--9", 2, &out));
}

class CachedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entente-cached-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
    StoreOptions options;
    options.cache_bytes = 1 << 20;
    auto cached = Store::Open(path_, options);
    ASSERT_TRUE(cached.ok()) << cached.status().ToString();
    cached_ = std::move(*cached);
    auto other = Store::Open(path_);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_ = std::move(*other);
  }
  void TearDown() override {
    cached_.reset();
    other_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void Put(Store& store, const std::string& text) {
    auto reader = stix::ObjectReader::FromText(text);
    auto r = Ingest(store, reader, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->added, 1u) << (r->errors.empty() ? text : r->errors.front());
  }
  // The `name` of the latest version the cached store returns, or "missing".
  std::string CachedName() {
    auto o = cached_->Get(kId);
    if (!o.ok()) return o.status().code() == ErrorCode::kNotFound ? "missing" : "error";
    auto at = o->json.find("\"name\":\"");
    return o->json.substr(at + 8, o->json.find('"', at + 8) - at - 8);
  }
  static constexpr const char* kId = "indicator--00000001-0000-4000-8000-000000000000";
  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Store> cached_, other_;
};

TEST_F(CachedStoreTest, ServesCachedVersionsWithoutReadingTheDatabase) {
  Put(*cached_, Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  EXPECT_EQ(CachedName(), "v1");
  // Rows removed behind the store's back (not through a Store, so the counter does not move):
  // the cached version is still served, which shows reads are answered from memory.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM objects", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(CachedName(), "v1");
  EXPECT_EQ(other_->Get(kId).status().code(), ErrorCode::kNotFound);
}

TEST_F(CachedStoreTest, SeesEveryWriteOfAnotherStoreOnTheSameFile) {
  Put(*cached_, Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  EXPECT_EQ(CachedName(), "v1");
  EXPECT_EQ(CachedName(), "v1");
  Put(*other_, Indicator(1, "2024-02-01T00:00:00.000Z", "v2"));
  EXPECT_EQ(CachedName(), "v2");
  // An older version stored later changes nothing.
  Put(*other_, Indicator(1, "2024-01-15T00:00:00.000Z", "v0"));
  EXPECT_EQ(CachedName(), "v2");
  // Deleting the latest version makes the one before it the latest.
  ASSERT_TRUE(other_->Delete(kId, {"2024-02-01T00:00:00.000Z"}).ok());
  EXPECT_EQ(CachedName(), "v0");
  ASSERT_TRUE(other_->Delete(kId).ok());
  EXPECT_EQ(CachedName(), "missing");
  Put(*cached_, Indicator(1, "2024-03-01T00:00:00.000Z", "v3"));
  EXPECT_EQ(CachedName(), "v3");
}

TEST_F(CachedStoreTest, AnOpenBatchIsNotSeenAndItsCommitIs) {
  Put(*cached_, Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  EXPECT_EQ(CachedName(), "v1");
  auto batch = other_->BeginBatch();
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(PutIn(**batch, Indicator(1, "2024-02-01T00:00:00.000Z", "v2")));
  EXPECT_EQ(CachedName(), "v1");  // read from the database while the batch is open
  EXPECT_EQ(CachedName(), "v1");
  ASSERT_TRUE((*batch)->Commit().ok());
  EXPECT_EQ(CachedName(), "v2");
  // A batch rolled back leaves the cached version current.
  auto rolled = other_->BeginBatch();
  ASSERT_TRUE(rolled.ok());
  ASSERT_TRUE(PutIn(**rolled, Indicator(1, "2024-03-01T00:00:00.000Z", "v3")));
  (*rolled)->Rollback();
  EXPECT_EQ(CachedName(), "v2");
}

// A counter file that is not one (overwritten, or another file under that name): the store
// refuses to open for writing and says which file, and what it holds stays readable.
TEST_F(CachedStoreTest, ForeignCounterFileIsRefusedByName) {
  Put(*cached_, Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  cached_.reset();
  other_.reset();
  {
    std::FILE* f = std::fopen((path_ + "-changes").c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fputs("not a counter", f);
    std::fclose(f);
  }
  auto refused = Store::Open(path_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(refused.status().ToString().find(path_ + "-changes"), std::string::npos)
      << refused.status().ToString();
  StoreOptions read_only;
  read_only.read_only = true;
  auto reader = Store::Open(path_, read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->Get(kId).ok());
}

// Readers on several threads (the server's I/O threads) while another store commits newer
// versions: no reader ever sees a version older than one it saw before, and once the writer
// is done every reader sees the last one.
TEST_F(CachedStoreTest, ConcurrentReadersNeverGoBackInTime) {
  auto version = [](int v) {
    char m[32];
    std::snprintf(m, sizeof m, "2024-01-01T00:%02d:00.000Z", v);
    return std::string(m);
  };
  Put(*other_, Indicator(1, version(0), "v0"));
  constexpr int kVersions = 40;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      std::string seen = version(0);
      auto check = [&] {
        auto o = cached_->Get(kId);
        if (!o.ok() || o->version < seen) ++failures;
        if (o.ok()) seen = o->version;
      };
      while (!done.load()) check();
      check();
      if (seen != version(kVersions)) ++failures;
    });
  }
  for (int v = 1; v <= kVersions; ++v) Put(*other_, Indicator(1, version(v), "v"));
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
}

// Another process: one that writes and exits, and one killed inside its write transaction
// (the counter stays odd until the next writer moves it on).
TEST_F(CachedStoreTest, SeesWritesOfOtherProcessesAndSurvivesOneDyingMidWrite) {
  Put(*cached_, Indicator(1, "2024-01-01T00:00:00.000Z", "v1"));
  EXPECT_EQ(CachedName(), "v1");
  auto in_child = [&](auto body) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::Open(path_);
      if (!store.ok()) ::_exit(2);
      ::_exit(body(**store));
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
  };
  in_child([](Store& store) {
    std::string v2 = Indicator(1, "2024-02-01T00:00:00.000Z", "v2");
    auto reader = stix::ObjectReader::FromText(v2);
    auto r = Ingest(store, reader, {});
    return r.ok() && r->added == 1 ? 0 : 1;
  });
  EXPECT_EQ(CachedName(), "v2");
  in_child([](Store& store) {
    auto batch = store.BeginBatch();
    if (!batch.ok()) return 1;
    if (!PutIn(**batch, Indicator(1, "2024-03-01T00:00:00.000Z", "v3"))) return 1;
    ::_exit(0);  // dies holding the write transaction: SQLite rolls it back
    return 0;
  });
  EXPECT_EQ(CachedName(), "v2");
  EXPECT_EQ(CachedName(), "v2");
  Put(*other_, Indicator(1, "2024-04-01T00:00:00.000Z", "v4"));
  EXPECT_EQ(CachedName(), "v4");
  EXPECT_EQ(CachedName(), "v4");
  EXPECT_TRUE(cached_->CheckIntegrity().ok());
}

}  // namespace
}  // namespace entente::store
