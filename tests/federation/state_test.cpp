#include "entente/federation/state.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "test_util.h"

namespace entente::federation {
namespace {

TEST(StateTest, CursorsMoveOnlyWithCommittedPagesAndSurviveReopen) {
  testing::TempDir dir("state");
  std::string path = dir.path() + "/state.db";
  {
    auto db = StateDb::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    PeerRecord p;
    p.node_id = "de";
    p.token = "secret-token";
    ASSERT_TRUE((*db)->PutPeer(p).ok());
    EXPECT_EQ(*(*db)->Cursor("de", "federation"), 0);
    ASSERT_TRUE((*db)
                    ->CommitPage("de", "federation", 1234,
                                 {{"indicator--1", "2026-01-01T00:00:00.000Z", "ee"}}, 1, 0)
                    .ok());
    ASSERT_TRUE((*db)->RecordError("de", "page refused: bad signature", true).ok());
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the state holds tokens";
  auto db = StateDb::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->Cursor("de", "federation"), 1234);
  auto peer = (*db)->Peer("de");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->token, "secret-token");
  EXPECT_EQ(peer->pages, 1u);
  EXPECT_EQ(peer->objects, 1u);
  EXPECT_EQ(peer->refused, 1u);
  EXPECT_NE(peer->last_error.find("bad signature"), std::string::npos);
  auto prov = (*db)->ProvenanceOf(
      {{"indicator--1", "2026-01-01T00:00:00.000Z"}, {"indicator--2", "2026-01-01T00:00:00.000Z"}});
  ASSERT_TRUE(prov.ok());
  EXPECT_EQ((*prov)[0].from, "de");
  EXPECT_EQ((*prov)[0].origin, "ee");
  EXPECT_TRUE((*prov)[1].from.empty());

  ASSERT_TRUE((*db)->RemovePeer("de").ok());
  EXPECT_EQ(*(*db)->Cursor("de", "federation"), 0);
  EXPECT_EQ((*db)->RemovePeer("de").code(), ErrorCode::kNotFound);
}

// A state file from before peer quotas (no bytes/quota columns) opens, keeps its peers, and
// counts bytes from then on.
TEST(StateTest, AStateFileWithoutQuotaColumnsIsUpgradedInPlace) {
  testing::TempDir dir("state-old");
  std::string path = dir.path() + "/state.db";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE peers(node_id TEXT PRIMARY KEY, token TEXT NOT NULL, "
                         "ca_pem TEXT NOT NULL, added TEXT NOT NULL, last_sync TEXT NOT NULL "
                         "DEFAULT '', last_error TEXT NOT NULL DEFAULT '', last_error_at TEXT NOT "
                         "NULL DEFAULT '', pages INTEGER NOT NULL DEFAULT 0, objects INTEGER NOT "
                         "NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT "
                         "NULL DEFAULT 0);"
                         "INSERT INTO peers(node_id,token,ca_pem,added,objects) "
                         "VALUES('de','t','', '2026-01-01T00:00:00.000Z', 7);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = StateDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto de = (*db)->Peer("de");
  ASSERT_TRUE(de.ok()) << de.status().ToString();
  EXPECT_EQ(de->objects, 7u);
  EXPECT_EQ(de->bytes, 0u);
  EXPECT_EQ(de->quota, 0u);
  ASSERT_TRUE((*db)->CommitPage("de", "federation", 5, {}, 1, 0, 900).ok());
  EXPECT_EQ((*db)->Peer("de")->bytes, 900u);
}

TEST(StateTest, HeadsAreKeptPerPeer) {
  testing::TempDir dir("heads");
  auto db = StateDb::Open(dir.path() + "/state.db");
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*(*db)->Head("de")).has_value());
  ASSERT_TRUE((*db)->SetHead("de", {7, "ab", "{}"}).ok());
  auto h = (*db)->Head("de");
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_EQ((*h)->tree_size, 7u);
}

}  // namespace
}  // namespace entente::federation
