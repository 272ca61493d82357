#include "entente/identity/directory.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "entente/base/time.h"

namespace entente::identity {
namespace {

namespace fs = std::filesystem;

const std::string kDirectoryOrgFr = "identity--11111111-1111-4111-8111-111111111111";

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("entente-identity-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "identity.db").string();
    auto d = Directory::Open(path_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    db_ = std::move(*d);
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  User Alice(std::vector<Role> roles = {Role::kAnalyst, Role::kReader}) {
    User u;
    u.name = "alice";
    u.organization_ref = kDirectoryOrgFr;
    u.member_state = "FR";
    u.roles = std::move(roles);
    return u;
  }
  std::string Issue(std::string_view user, std::vector<Role> roles,
                    std::vector<std::string> scopes = {"*"}, std::int64_t ttl = 3600) {
    auto t = db_->IssueToken(user, roles, scopes, std::chrono::seconds(ttl));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.value_or("");
  }
  static std::int64_t NowUs() { return Now().micros(); }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<Directory> db_;
};

TEST_F(DirectoryTest, IssuedTokenAuthenticatesAsItsUser) {
  auto u = db_->AddUser(Alice());
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->identity_ref.rfind("identity--", 0), 0u);
  std::string token = Issue("alice", {Role::kAnalyst}, {"community", "incident-x"});
  EXPECT_EQ(token.size(), 86u);
  EXPECT_EQ(token.rfind("ent1_", 0), 0u);

  auto p = db_->Authenticate(token, NowUs());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user, "alice");
  EXPECT_EQ(p->organization_ref, kDirectoryOrgFr);
  EXPECT_EQ(p->identity_ref, u->identity_ref);
  EXPECT_EQ(p->member_state, "FR");
  EXPECT_EQ(p->roles, std::vector<Role>{Role::kAnalyst});
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"community", "incident-x"}));
  EXPECT_EQ(p->token_id, TokenIdOf(token).value());
  EXPECT_TRUE(p->HasRole(Role::kAnalyst));
  EXPECT_FALSE(p->InScope("bilateral-fr-de"));

  auto shared = db_->AuthenticateShared(token, NowUs());
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ((*shared)->organization_ref, kDirectoryOrgFr);
  EXPECT_EQ(*shared, db_->AuthenticateShared(token, NowUs()).value());  // no copy per call
}

TEST_F(DirectoryTest, RefusesWrongMalformedExpiredAndRevokedTokensAlike) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string token = Issue("alice", {Role::kReader}, {"*"}, 60);
  const std::int64_t now = NowUs();
  ASSERT_TRUE(db_->Authenticate(token, now).ok());

  auto expect_refused = [&](std::string_view t, std::int64_t at) {
    auto r = db_->Authenticate(t, at);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.status().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(r.status().message(), "invalid or expired token");
  };
  // Every single-character change of the secret or the id is refused.
  for (std::size_t i = 5; i < token.size(); ++i) {
    if (token[i] == '_') continue;
    std::string t = token;
    t[i] = t[i] == '0' ? '1' : '0';
    expect_refused(t, now);
  }
  expect_refused("", now);
  expect_refused("Bearer " + token, now);
  expect_refused(token + "0", now);
  expect_refused(token.substr(0, token.size() - 1), now);
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  expect_refused(upper, now);
  // Expiry is exclusive at created + ttl.
  expect_refused(token, now + 61'000'000);
  ASSERT_TRUE(db_->RevokeToken(TokenIdOf(token).value()).ok());
  expect_refused(token, now);
  EXPECT_EQ(db_->RevokeToken("0123456789abcdef").code(), ErrorCode::kNotFound);
  EXPECT_EQ(db_->RevokeToken("nonsense").code(), ErrorCode::kInvalidArgument);
}

TEST_F(DirectoryTest, TokenRolesMustBeHeldByTheUser) {
  ASSERT_TRUE(db_->AddUser(Alice({Role::kReader})).ok());
  auto t = db_->IssueToken("alice", {Role::kAdmin}, {"*"}, std::chrono::hours(1));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(db_->IssueToken("bob", {Role::kReader}, {"*"}, std::chrono::hours(1)).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(db_->IssueToken("alice", {}, {"*"}, std::chrono::hours(1)).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(db_->IssueToken("alice", {Role::kReader}, {}, std::chrono::hours(1)).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      db_->IssueToken("alice", {Role::kReader}, {"a,b"}, std::chrono::hours(1)).status().code(),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      db_->IssueToken("alice", {Role::kReader}, {"*"}, std::chrono::seconds(0)).status().code(),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(db_->IssueToken("alice", {Role::kReader}, {"*"},
                            std::chrono::seconds(kMaxTokenTtlSeconds + 1))
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(DirectoryTest, ValidatesUsers) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  EXPECT_EQ(db_->AddUser(Alice()).status().code(), ErrorCode::kAlreadyExists);
  User u = Alice();
  u.name = "bad name";
  EXPECT_EQ(db_->AddUser(u).status().code(), ErrorCode::kInvalidArgument);
  u = Alice();
  u.name = "bob";
  u.member_state = "fr";
  EXPECT_EQ(db_->AddUser(u).status().code(), ErrorCode::kInvalidArgument);
  u.member_state = "FR";
  u.organization_ref = "identity--nope";
  EXPECT_EQ(db_->AddUser(u).status().code(), ErrorCode::kInvalidArgument);
  u.organization_ref = kDirectoryOrgFr;
  u.roles = {};
  EXPECT_EQ(db_->AddUser(u).status().code(), ErrorCode::kInvalidArgument);
  u.roles = {Role::kAuthority, Role::kAuthority};
  auto added = db_->AddUser(u);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->roles, std::vector<Role>{Role::kAuthority});
  auto users = db_->ListUsers();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "alice");
  EXPECT_EQ(users[1].name, "bob");
}

TEST_F(DirectoryTest, DisabledUsersTokensStopWorking) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string token = Issue("alice", {Role::kReader});
  ASSERT_TRUE(db_->SetUserDisabled("alice", true).ok());
  EXPECT_EQ(db_->Authenticate(token, NowUs()).status().code(), ErrorCode::kUnauthenticated);
  ASSERT_TRUE(db_->SetUserDisabled("alice", false).ok());
  EXPECT_TRUE(db_->Authenticate(token, NowUs()).ok());
  EXPECT_EQ(db_->SetUserDisabled("nobody", true).code(), ErrorCode::kNotFound);
}

TEST_F(DirectoryTest, PersistsHashesOnlyAndReopens) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string token = Issue("alice", {Role::kReader});
  std::string secret = token.substr(token.size() - 64);
  db_.reset();

  // The secret never reaches the file (nor the WAL beside it).
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find(secret), std::string::npos) << entry.path();
  }
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);

  auto reopened = Directory::Open(path_);
  ASSERT_TRUE(reopened.ok());
  auto p = (*reopened)->Authenticate(token, NowUs());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user, "alice");
  auto tokens = (*reopened)->ListTokens("alice");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].id, TokenIdOf(token).value());
  EXPECT_FALSE(tokens[0].revoked);
  EXPECT_TRUE((*reopened)->ListTokens("bob").empty());
}

TEST_F(DirectoryTest, RevocationByAnotherConnectionIsSeenAfterRefresh) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string token = Issue("alice", {Role::kReader});
  auto other = Directory::Open(path_);  // e.g. the `entente token revoke` command
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RevokeToken(token).ok());  // the whole token text also names it
  std::int64_t now = NowUs();
  // Authenticate refreshes at most once a second: two seconds later the revocation holds.
  (void)db_->Authenticate(token, now);
  EXPECT_EQ(db_->Authenticate(token, now + 2'000'000).status().code(), ErrorCode::kUnauthenticated);
  // And a token issued elsewhere becomes usable after an explicit refresh.
  auto t2 = (*other)->IssueToken("alice", {Role::kAnalyst}, {"*"}, std::chrono::hours(1));
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(db_->Refresh().ok());
  EXPECT_TRUE(db_->Authenticate(*t2, NowUs()).ok());
}

// A token issued by another process (the `entente token issue` command beside a serving node)
// works on its first use, without waiting for the once-a-second refresh; the re-read on a miss
// is rate-limited, so unknown tokens cannot make every request reload the tables.
TEST_F(DirectoryTest, TokenIssuedElsewhereWorksOnFirstUse) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string first = Issue("alice", {Role::kReader});
  std::int64_t now = NowUs();
  ASSERT_TRUE(db_->Authenticate(first, now).ok());  // the periodic refresh has just run
  auto other = Directory::Open(path_);
  ASSERT_TRUE(other.ok());
  auto t2 = (*other)->IssueToken("alice", {Role::kAnalyst}, {"*"}, std::chrono::hours(1));
  ASSERT_TRUE(t2.ok());
  auto got = db_->Authenticate(*t2, now + 60'000);  // 60 ms later: no periodic refresh yet
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->user, "alice");
  // Within 50 ms of that re-read, a second new token waits for the next one.
  auto t3 = (*other)->IssueToken("alice", {Role::kReader}, {"*"}, std::chrono::hours(1));
  ASSERT_TRUE(t3.ok());
  EXPECT_FALSE(db_->Authenticate(*t3, now + 70'000).ok());
  EXPECT_TRUE(db_->Authenticate(*t3, now + 130'000).ok());
}

TEST_F(DirectoryTest, ConcurrentAuthenticationAndIssuing) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  std::string token = Issue("alice", {Role::kReader});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!db_->Authenticate(token, NowUs()).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) Issue("alice", {Role::kAnalyst});
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db_->ListTokens().size(), 21u);
}

TEST_F(DirectoryTest, MalformedStoredRowsAreCorruptionNotAccess) {
  ASSERT_TRUE(db_->AddUser(Alice()).ok());
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE identity_users SET roles='reader,superuser'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto d = Directory::Open(path_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(d.status().message().find("superuser"), std::string::npos) << d.status().message();

  // A file that is not a database at all.
  std::ofstream(dir_ / "junk.db") << "not a database, just text that is long enough to matter";
  auto junk = Directory::Open((dir_ / "junk.db").string());
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), ErrorCode::kIoError);
}

TEST(TokenIdTest, ParsesOnlyWellFormedTokens) {
  std::string token = "ent1_0123456789abcdef_" + std::string(64, 'a');
  EXPECT_EQ(TokenIdOf(token).value(), "0123456789abcdef");
  EXPECT_FALSE(TokenIdOf("ent2_0123456789abcdef_" + std::string(64, 'a')).ok());
  EXPECT_FALSE(TokenIdOf("ent1_0123456789abcdeg_" + std::string(64, 'a')).ok());
  EXPECT_FALSE(TokenIdOf("ent1_0123456789abcdef-" + std::string(64, 'a')).ok());
}

TEST(DirectoryOpenTest, UnopenablePathIsAnIoError) {
  auto d = Directory::Open("/nonexistent-dir/identity.db");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace entente::identity
