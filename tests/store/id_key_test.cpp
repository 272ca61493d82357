#include "sqlite/id_key.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "entente/store/ingest.h"
#include "entente/store/store.h"
#include "store_test_util.h"

namespace entente::store {
namespace {

using testing::Indicator;

// The reference vectors of SipHash-2-4 (Aumasson and Bernstein): key 00 01 .. 0f, message
// 00 01 .. (n-1); n = 15 is the paper's worked example.
TEST(IdKey, SipHashReferenceVectors) {
  IdKeySecret key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  std::string message;
  for (int i = 0; i < 16; ++i) message.push_back(static_cast<char>(i));
  auto sip = [&](std::size_t n) { return SipHash24(key, std::string_view(message).substr(0, n)); };
  EXPECT_EQ(sip(0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(sip(1), 0x74f839c593dc67fdULL);
  EXPECT_EQ(sip(8), 0x93f5f5799a932462ULL);
  EXPECT_EQ(sip(15), 0xa129ca6149be45e5ULL);
  // The key matters: another key, another hash of the same id.
  IdKeySecret other = key;
  other[0] ^= 1;
  const std::string id = "indicator--00000001-0000-4000-8000-000000000000";
  EXPECT_NE(IdKey(key, id), IdKey(other, id));
}

TEST(IdKey, SecretsParseFromHexOnly) {
  auto ok = ParseIdKeySecret("000102030405060708090a0b0c0d0e0f");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[15], 0x0f);
  for (const char* bad :
       {"", "0001", "000102030405060708090a0b0c0d0e0g", "000102030405060708090a0b0c0d0e0f00"}) {
    auto r = ParseIdKeySecret(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  }
}

// Keys cut to two bits: forty ids share four keys, so every lookup finds rows of other ids
// under its key and must tell them apart by the id text. Each store operation must behave as
// if the keys were unique.
TEST(IdKey, IdsSharingAKeyStayApart) {
  struct MaskGuard {
    MaskGuard() { SetIdKeyMaskForTesting(0x3); }
    ~MaskGuard() { SetIdKeyMaskForTesting(~std::uint64_t{0}); }
  } guard;
  auto dir =
      std::filesystem::temp_directory_path() / ("entente-id-key-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "store.db").string();
  auto opened = Store::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  auto ingest = [&](const std::string& text) {
    auto reader = stix::ObjectReader::FromText(text);
    auto r = Ingest(store, reader);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestReport{};
  };
  auto id = [](int n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "indicator--%08d-0000-4000-8000-000000000000", n);
    return std::string(buf);
  };
  constexpr int kIds = 40;
  // Each id: January, then March, then February arriving late (an older version, new).
  for (const char* month : {"01", "03", "02"}) {
    std::string bundle =
        R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
    for (int n = 1; n <= kIds; ++n) {
      bundle +=
          (n > 1 ? "," : "") + Indicator(n, "2024-" + std::string(month) + "-01T00:00:00.000Z",
                                         "v" + std::string(month));
    }
    EXPECT_EQ(ingest(bundle + "]}").added, static_cast<std::size_t>(kIds)) << month;
  }
  // Re-delivered older versions are duplicates; changed ones are conflicts, for every id.
  for (int n = 1; n <= kIds; ++n) {
    EXPECT_EQ(ingest(Indicator(n, "2024-02-01T00:00:00.000Z", "v02")).duplicates, 1u) << n;
    EXPECT_EQ(ingest(Indicator(n, "2024-01-01T00:00:00.000Z", "changed")).rejected, 1u) << n;
    EXPECT_EQ(ingest(Indicator(n, "2024-03-01T00:00:00.000Z", "v03")).duplicates, 1u) << n;
  }
  for (int n = 1; n <= kIds; ++n) {
    auto latest = store.Get(id(n));
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    EXPECT_EQ(latest->json, Indicator(n, "2024-03-01T00:00:00.000Z", "v03"));
    auto first = store.Get(id(n), Versions::kFirst);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->json, Indicator(n, "2024-01-01T00:00:00.000Z", "v01"));
    auto exact = store.Get(id(n), Versions::kLast, "2024-02-01T00:00:00.000Z");
    ASSERT_TRUE(exact.ok());
    EXPECT_EQ(exact->json, Indicator(n, "2024-02-01T00:00:00.000Z", "v02"));
    auto versions = store.GetVersions(id(n));
    ASSERT_TRUE(versions.ok());
    ASSERT_EQ(versions->size(), 3u);
    for (const auto& v : *versions) EXPECT_EQ(v.id, id(n));
  }
  EXPECT_EQ(store.Get(id(kIds + 1)).status().code(), ErrorCode::kNotFound);
  Query two;
  two.ids = {id(5), id(17)};
  auto page = store.Find(two);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::set<std::string> found;
  for (const auto& o : page->objects) found.insert(o.id + " " + o.version);
  EXPECT_EQ(found, (std::set<std::string>{id(5) + " 2024-03-01T00:00:00.000Z",
                                          id(17) + " 2024-03-01T00:00:00.000Z"}));
  two.versions = Versions::kFirst;
  page = store.Find(two);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  for (const auto& o : page->objects) EXPECT_EQ(o.version, "2024-01-01T00:00:00.000Z");
  // Deleting one id, or one version of another, leaves the ids sharing their key alone.
  ASSERT_EQ(store.Delete(id(7)).value_or(0), 3u);
  ASSERT_EQ(store.Delete(id(8), {"2024-03-01T00:00:00.000Z"}).value_or(0), 1u);
  EXPECT_EQ(store.Get(id(7)).status().code(), ErrorCode::kNotFound);
  auto eight = store.Get(id(8));
  ASSERT_TRUE(eight.ok());
  EXPECT_EQ(eight->version, "2024-02-01T00:00:00.000Z");
  for (int n : {3, 11, 19, 39}) EXPECT_EQ(store.GetVersions(id(n))->size(), 3u) << n;
  auto counts = store.Count();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->objects, static_cast<std::uint64_t>(kIds - 1));
  EXPECT_EQ(counts->versions, static_cast<std::uint64_t>(3 * kIds - 4));
  EXPECT_TRUE(store.CheckIntegrity().ok()) << store.CheckIntegrity().ToString();
  opened->reset();

  // The keys really collided: at most four distinct ones for 39 ids.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(DISTINCT id_key), COUNT(DISTINCT id) FROM objects",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_LE(sqlite3_column_int(st, 0), 4);
  EXPECT_EQ(sqlite3_column_int(st, 1), kIds - 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

// A row whose key is not its id's, or a version stored twice, is reported by the integrity
// check (no unique index stands guard since schema 7).
TEST(IdKey, IntegrityCheckFindsWrongKeysAndTwiceStoredVersions) {
  const auto dir = testing::FreshDir("id-key-integrity");
  const std::string path = (dir / "store.db").string();
  auto exec = [&](const char* sql) { ASSERT_EQ(testing::SqliteExec(path, sql), ""); };
  auto check = [&]() {
    auto s = Store::Open(path);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? (*s)->CheckIntegrity() : s.status();
  };
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    const std::string text =
        Indicator(1, "2024-01-01T00:00:00.000Z") + "\n" + Indicator(2, "2024-01-01T00:00:00.000Z");
    auto reader = stix::ObjectReader::FromText(text);
    ASSERT_TRUE(Ingest(**s, reader).ok());
  }
  ASSERT_TRUE(check().ok());
  exec("UPDATE objects SET id_key = id_key + 1 WHERE id LIKE '%00000002%'");
  Status wrong_key = check();
  EXPECT_EQ(wrong_key.code(), ErrorCode::kCorruption);
  EXPECT_NE(wrong_key.message().find("id_key is not their id's"), std::string::npos)
      << wrong_key.ToString();
  exec("UPDATE objects SET id_key = id_key - 1 WHERE id LIKE '%00000002%'");
  ASSERT_TRUE(check().ok());
  exec(
      "INSERT INTO objects(date_added, id, type, version, version_ns, revoked, content_hash, "
      "json, json_at, json_len, id_key) SELECT date_added + 1000000, id, type, version, "
      "version_ns, revoked, content_hash, json, json_at, json_len, id_key FROM objects WHERE id "
      "LIKE '%00000001%'");
  Status twice = check();
  EXPECT_EQ(twice.code(), ErrorCode::kCorruption);
  EXPECT_NE(twice.message().find("versions stored more than once"), std::string::npos)
      << twice.ToString();
  std::filesystem::remove_all(dir);
}

// A store whose secret is gone cannot find its ids: it refuses to open, read-write and
// read-only, rather than drawing a new secret under which no stored key matches; a secret that
// is not 32 hex digits is refused the same way.
TEST(IdKey, StoreWithoutItsSecretRefusesToOpen) {
  const auto dir = testing::FreshDir("id-key-secret");
  const std::string path = (dir / "store.db").string();
  auto exec = [&](const char* sql) { ASSERT_EQ(testing::SqliteExec(path, sql), ""); };
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    const std::string text = Indicator(1, "2024-01-01T00:00:00.000Z");
    auto reader = stix::ObjectReader::FromText(text);
    ASSERT_TRUE(Ingest(**s, reader).ok());
  }
  // Both opens fail with Corruption and `message`.
  auto refused = [&](const char* message) {
    for (bool read_only : {false, true}) {
      StoreOptions options;
      options.read_only = read_only;
      auto s = Store::Open(path, options);
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.status().code(), ErrorCode::kCorruption);
      EXPECT_NE(s.status().message().find(message), std::string::npos) << s.status().ToString();
    }
  };
  exec("UPDATE meta SET value = 'xyz' WHERE key = 'id_key_secret'");
  refused("id_key_secret is not 32 hex digits");
  exec("DELETE FROM meta WHERE key = 'id_key_secret'");
  refused("the store has no id_key_secret");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace entente::store
