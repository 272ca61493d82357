// The `entente` command as a user runs it: real processes, real files.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "cli_run.h"
#include "entente/base/json.h"

namespace {

namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("entente-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    home_ = (dir_ / "home").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Home() const { return "--home " + home_; }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
  std::string home_;
};

const std::string kAttack = std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json";

TEST_F(CliTest, AttackAcceptance) {
  ASSERT_EQ(Entente(Home() + " init").exit_code, 0);
  ASSERT_EQ(Entente(Home() + " ingest " + kAttack).exit_code, 0);
  CliRun stats = Entente(Home() + " stats --json");
  ASSERT_EQ(stats.exit_code, 0);
  auto v = entente::json::Value::Parse(stats.out);
  ASSERT_TRUE(v.ok()) << stats.out;
  const auto* objects = v->find("objects");
  ASSERT_NE(objects, nullptr);
  EXPECT_EQ(objects->find("intrusion-set")->as_int64(), 172);
  EXPECT_EQ(objects->find("attack-pattern")->as_int64(), 691);
  EXPECT_EQ(objects->find("malware")->as_int64(), 693);
  EXPECT_EQ(objects->find("tool")->as_int64(), 91);
  EXPECT_EQ(objects->find("relationship")->as_int64(), 16102);
}

// A node whose node.json names a PostgreSQL store: every command uses it.
TEST_F(CliTest, NodeHomeOnPostgres) {
  const char* base = std::getenv("ENTENTE_TEST_PG_URL");
  ASSERT_NE(base, nullptr) << "ENTENTE_TEST_PG_URL is not set: run through ctest";
  std::string schema = "cli" + std::to_string(getpid());
  std::string psql = std::string("psql -q '") + base + "' -c 'DROP SCHEMA IF EXISTS " + schema +
                     " CASCADE; CREATE SCHEMA " + schema + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(psql.c_str()), 0) << psql;
  std::string url = std::string(base) + "?options=-csearch_path%3D" + schema;
  EXPECT_EQ(Entente(Home() + " init --name pg-node --store '" + url + "'").exit_code, 0);
  std::ifstream config(home_ + "/node.json");
  std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"store\": \"" + url + "\""), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(home_ + "/store.db"));
  auto ingest = Entente(Home() + " --json ingest " + std::string(ENTENTE_DATA_DIR) +
                        "/attack/attack-enterprise-kb.json");
  EXPECT_EQ(ingest.exit_code, 0) << ingest.out;
  auto got = Entente(Home() + " get G0034");
  EXPECT_EQ(got.exit_code, 0);
  EXPECT_NE(got.out.find("Sandworm Team"), std::string::npos);
  EXPECT_EQ(Entente(Home() + " check").exit_code, 0);
  // The home cannot be re-pointed by init.
  EXPECT_NE(Entente(Home() + " init --store sqlite:other.db").exit_code, 0);
  psql =
      std::string("psql -q '") + base + "' -c 'DROP SCHEMA " + schema + " CASCADE' >/dev/null 2>&1";
  EXPECT_EQ(std::system(psql.c_str()), 0);
}

// Backup and restore of a whole home (store, node.json, key files), on both backends; the
// restored node answers like the original.
TEST_F(CliTest, BackupAndRestore) {
  const char* base = std::getenv("ENTENTE_TEST_PG_URL");
  ASSERT_NE(base, nullptr) << "ENTENTE_TEST_PG_URL is not set: run through ctest";
  std::string schema = "bk" + std::to_string(getpid());
  auto psql = [&](const std::string& sql) {
    return std::system(
        (std::string("psql -q '") + base + "' -c '" + sql + "' >/dev/null 2>&1").c_str());
  };
  ASSERT_EQ(psql("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema), 0);
  const std::string attack = std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json";
  for (bool postgres : {false, true}) {
    SCOPED_TRACE(postgres ? "postgresql" : "sqlite");
    std::string home = (dir_ / (postgres ? "pg-home" : "sq-home")).string();
    std::string store =
        postgres ? " --store '" + std::string(base) + "?options=-csearch_path%3D" + schema + "'"
                 : "";
    ASSERT_EQ(Entente("--home " + home + " init" + store).exit_code, 0);
    ASSERT_EQ(Entente("--home " + home + " ingest " + attack).exit_code, 0);
    fs::create_directories(home + "/keys");
    std::ofstream(home + "/keys/node.key") << "key material";
    fs::permissions(home + "/keys/node.key", fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
    std::string backup = (dir_ / (postgres ? "pg-backup" : "sq-backup")).string();
    ASSERT_EQ(Entente("--home " + home + " backup " + backup).exit_code, 0);
    EXPECT_TRUE(fs::exists(backup + (postgres ? "/store.pgdump" : "/store.db")));
    // A backup never overwrites.
    EXPECT_NE(Entente("--home " + home + " backup " + backup).exit_code, 0);
    std::string original = Entente("--home " + home + " --json get G0034").out;
    ASSERT_FALSE(original.empty());
    if (postgres) {
      ASSERT_EQ(psql("DROP SCHEMA " + schema + " CASCADE"), 0);  // the store is lost
    }
    std::string restored = (dir_ / (postgres ? "pg-restored" : "sq-restored")).string();
    auto r = Entente("--home " + restored + " restore " + backup);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(Entente("--home " + restored + " --json get G0034").out, original);
    EXPECT_EQ(Entente("--home " + restored + " check").exit_code, 0);
    std::ifstream key(restored + "/keys/node.key");
    std::string k((std::istreambuf_iterator<char>(key)), std::istreambuf_iterator<char>());
    EXPECT_EQ(k, "key material");
    EXPECT_EQ(fs::status(restored + "/keys/node.key").permissions() & fs::perms::group_read,
              fs::perms::none);
    // Restoring over a home that has content is refused.
    EXPECT_NE(Entente("--home " + restored + " restore " + backup).exit_code, 0);
  }
  EXPECT_EQ(psql("DROP SCHEMA IF EXISTS " + schema + " CASCADE"), 0);
}

TEST_F(CliTest, GetQueryExportRoundTrip) {
  ASSERT_EQ(Entente(Home() + " init").exit_code, 0);
  ASSERT_EQ(Entente(Home() + " ingest " + kAttack).exit_code, 0);
  CliRun got = Entente(Home() + " --json get intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192");
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_NE(got.out.find("\"Sandworm Team\""), std::string::npos);
  EXPECT_EQ(Entente(Home() + " get intrusion-set--00000000-0000-4000-8000-000000000000").exit_code,
            4);
  // ATT&CK ids resolve: a group, a sub-technique, a tool.
  EXPECT_NE(Entente(Home() + " --json get G0034").out.find("\"Sandworm Team\""), std::string::npos);
  EXPECT_NE(Entente(Home() + " --json get t1566.001").out.find("\"Spearphishing Attachment\""),
            std::string::npos);
  EXPECT_NE(Entente(Home() + " --json get S0002").out.find("\"Mimikatz\""), std::string::npos);
  EXPECT_EQ(Entente(Home() + " get G9999").exit_code, 4);

  CliRun page = Entente(Home() + " --json query --type intrusion-set --limit 100");
  auto v = entente::json::Value::Parse(page.out);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->find("objects")->size(), 100u);
  EXPECT_TRUE(v->find("more")->boolean());
  CliRun next = Entente(Home() + " --json query --type intrusion-set --limit 100 --cursor " +
                        v->find("next")->str());
  EXPECT_EQ(entente::json::Value::Parse(next.out)->find("objects")->size(), 72u);
  // Cursor of another query: usage of the wrong cursor is refused.
  EXPECT_EQ(Entente(Home() + " query --type malware --cursor " + v->find("next")->str()).exit_code,
            3);

  std::string out = (dir_ / "export.json").string();
  ASSERT_EQ(Entente(Home() + " export --out " + out).exit_code, 0);
  std::string home2 = (dir_ / "home2").string();
  ASSERT_EQ(Entente("--home " + home2 + " init").exit_code, 0);
  ASSERT_EQ(Entente("--home " + home2 + " ingest " + out).exit_code, 0);
  // The second node holds everything the first exported, plus its own identity.
  auto a = entente::json::Value::Parse(Entente(Home() + " stats --json").out);
  auto b = entente::json::Value::Parse(Entente("--home " + home2 + " stats --json").out);
  EXPECT_EQ(*b->find("total")->as_int64(), *a->find("total")->as_int64() + 1);
  EXPECT_EQ(*b->find("objects")->find("relationship"), *a->find("objects")->find("relationship"));
}

TEST_F(CliTest, BadInputExitCodesAndMessages) {
  ASSERT_EQ(Entente(Home() + " init").exit_code, 0);
  std::string bad = Write("bad.json", R"({"type":"indicator","id":"indicator--x"})");
  EXPECT_EQ(Entente(Home() + " ingest " + bad).exit_code, 3);
  CliRun report = Entente(Home() + " --json ingest " + bad);
  EXPECT_NE(report.out.find("is not <type>--<RFC 4122 UUID>"), std::string::npos) << report.out;
  EXPECT_EQ(Entente(Home() + " ingest " + (dir_ / "missing.json").string()).exit_code, 4);
  EXPECT_EQ(Entente("--home " + (dir_ / "never-initialised").string() + " stats").exit_code, 4);
  EXPECT_EQ(Entente(Home() + " stats --no-such-flag").exit_code, 2);
  EXPECT_EQ(Entente(Home() + " check").exit_code, 0);
}

TEST_F(CliTest, MispEventsAreConvertedAtIngest) {
  ASSERT_EQ(Entente(Home() + " init").exit_code, 0);
  CliRun r = Entente(Home() + " --json ingest " + std::string(ENTENTE_DATA_DIR) +
                     "/misp/pymisp/57c4445b-c548-4654-af0b-4be3950d210f.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto report = entente::json::Value::Parse(r.out);
  ASSERT_TRUE(report.ok()) << r.out;
  EXPECT_EQ(report->find("converted_from_misp")->as_int64(), 1);
  EXPECT_EQ(report->find("rejected")->as_int64(), 0);
  EXPECT_GT(*report->find("added_by_type")->find("report")->as_int64(), 0);
  EXPECT_EQ(Entente(Home() + " check").exit_code, 0);
}

// kill -9 at random points of an ingest: the store is consistent afterwards, every batch
// that was committed is complete, and a second ingest completes the rest.
TEST_F(CliTest, KillDuringIngestLeavesAConsistentStore) {
  ASSERT_EQ(Entente(Home() + " init").exit_code, 0);
  std::string big = (dir_ / "big.json").string();
  {
    std::ofstream out(big);
    out << R"({"type":"bundle","id":"bundle--6f5a0c0e-0a1a-4c5e-9b7e-1a2b3c4d5e6f","objects":[)";
    for (int i = 0; i < 200000; ++i) {
      char id[64];
      std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", i);
      out << (i ? "," : "") << R"({"type":"indicator","spec_version":"2.1","id":")" << id
          << R"(","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"n)"
          << i
          << R"(","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"})";
    }
    out << "]}";
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(ENTENTE_CLI, ENTENTE_CLI, "--home", home_.c_str(), "ingest", "--batch", "5000",
            big.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_EQ(Entente(Home() + " check").exit_code, 0) << "round " << round;
    auto stats = entente::json::Value::Parse(Entente(Home() + " stats --json").out);
    ASSERT_TRUE(stats.ok());
    const auto* indicators = stats->find("objects")->find("indicator");
    std::int64_t total = indicators == nullptr ? 0 : *indicators->as_int64();
    // Whole batches only (5000 objects each), unless the run finished.
    EXPECT_TRUE(total % 5000 == 0) << total;
  }
  ASSERT_EQ(Entente(Home() + " ingest " + big).exit_code, 0);
  auto stats = entente::json::Value::Parse(Entente(Home() + " stats --json").out);
  EXPECT_EQ(*stats->find("objects")->find("indicator")->as_int64(), 200000);
  EXPECT_EQ(Entente(Home() + " check").exit_code, 0);
}

// The demo scenario is generated from the ATT&CK base and the node's own indicators, stores
// cleanly (strict ingest), has a proposal the node's own key signed with votes its trust file
// counts, and is not generated twice into one node.
TEST_F(CliTest, DemoScenario) {
  setenv("ENTENTE_PASSPHRASE", "demo scenario test passphrase", 1);
  ASSERT_EQ(Entente(Home() + " init --state FR").exit_code, 0);
  fs::create_directories(home_ + "/keys");
  ASSERT_EQ(Entente("keygen --out " + home_ + "/keys/node --kind node").exit_code, 0);
  ASSERT_EQ(Entente(Home() + " indicators import --tlp TLP:GREEN " + ENTENTE_DATA_DIR +
                    "/detect/simda_domains.txt")
                .exit_code,
            0);
  std::string out = (dir_ / "scenario.json").string();
  CliRun made = Entente(Home() + " --json demo --incidents 25 --out " + out);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto summary = entente::json::Value::Parse(made.out);
  ASSERT_TRUE(summary.ok()) << made.out;
  EXPECT_EQ(summary->find("incidents")->as_int64(), 25);
  EXPECT_GE(summary->find("sightings")->as_int64(), 25);
  EXPECT_EQ(summary->find("votes")->as_int64(), 8);
  const std::string lead = summary->find("lead_incident")->str();
  const std::string proposal = summary->find("proposal")->str();
  ASSERT_FALSE(proposal.empty());
  CliRun ingested = Entente(Home() + " --json ingest --strict " + out);
  ASSERT_EQ(ingested.exit_code, 0) << ingested.out;
  EXPECT_NE(ingested.out.find("\"rejected\":0"), std::string::npos) << ingested.out;
  // The incidents name their member state, sector and severity; the lead one is Polish.
  CliRun got = Entente(Home() + " get " + lead);
  EXPECT_NE(got.out.find("\"x_entente_member_state\": \"PL\""), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("\"x_entente_sector\": \"energy\""), std::string::npos);
  // The signed votes tally offline from the stored objects with the trust file the demo wrote
  // plus the node's own key: 6 yes, 1 abstention, 1 constructive; unanimity is adopted.
  std::string pub;
  {
    std::ifstream in(home_ + "/keys/node.pub");
    pub.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string trust;
  {
    std::ifstream in(home_ + "/voting-trust.json");
    trust.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(trust.size(), 2u);
  trust = "{\"FR\":" + pub + "," + trust.substr(trust.find('{') + 1);
  std::string trust_path = Write("trust.json", trust);
  ASSERT_EQ(
      Entente(Home() + " export --type x-entente-vote --out " + (dir_ / "votes.json").string())
          .exit_code,
      0);
  CliRun p = Entente(Home() + " get " + proposal);
  std::string proposal_path = Write("proposal.json", p.out);
  CliRun tally = Entente("--json decide --proposal " + proposal_path + " --signed-votes " +
                         (dir_ / "votes.json").string() + " --trust " + trust_path);
  ASSERT_EQ(tally.exit_code, 0) << tally.out;
  auto outcome = entente::json::Value::Parse(tally.out);
  ASSERT_TRUE(outcome.ok()) << tally.out;
  EXPECT_TRUE(outcome->find("adopted")->boolean()) << tally.out;
  EXPECT_EQ(outcome->find("counts")->find("yes")->as_int64(), 6);
  EXPECT_EQ(outcome->find("counts")->find("constructive")->as_int64(), 1);
  EXPECT_EQ(outcome->find("votes_accepted")->as_int64(), 8);
  // Twice into one node: nothing is generated the second time.
  CliRun again = Entente(Home() + " demo --out " + out);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_FALSE(fs::exists(out));
  unsetenv("ENTENTE_PASSPHRASE");
}

}  // namespace
