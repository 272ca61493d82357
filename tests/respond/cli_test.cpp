// `entente decide`, `entente respond ...` and `entente sanctions ...` as a user runs them.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../cli/cli_run.h"
#include "entente/base/json.h"

namespace {

namespace fs = std::filesystem;

class RespondCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("entente-respond-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    setenv("ENTENTE_DATA_DIR", ENTENTE_DATA_DIR, 1);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

entente::json::Value Json(const std::string& text) {
  auto v = entente::json::Value::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : entente::json::Value();
}

TEST_F(RespondCli, DecideQmvBlockingMinority) {
  std::string votes = "{";
  const char* states[] = {"AT", "BE", "BG", "CY", "CZ", "DK", "EE", "ES", "FI", "GR", "HR", "HU",
                          "IE", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"};
  for (const char* s : states) votes += std::string("\"") + s + "\":\"yes\",";
  votes += R"("DE":"no","FR":"no","IT":"no"})";
  std::string path = Write("votes.json", votes);
  auto r = Entente("--json decide --rule qmv --votes " + path);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = Json(r.out);
  EXPECT_TRUE(j.find("adopted")->boolean());  // three states cannot block
  EXPECT_EQ(j.find("counts")->find("no")->as_int64(), 3);
  EXPECT_EQ(j.find("population_year")->as_int64(), 2025);
  auto r2 = Entente("--json decide --rule rqmv --votes " + path);
  EXPECT_FALSE(Json(r2.out).find("adopted")->boolean());
  // Without Malta's vote four states are not in favour: a blocking minority.
  std::string absent = votes;
  absent.replace(absent.find("\"MT\":\"yes\","), 11, "");
  auto r3 = Entente("--json decide --rule qmv --votes " + Write("absent.json", absent));
  EXPECT_FALSE(Json(r3.out).find("adopted")->boolean());
  EXPECT_EQ(Json(r3.out).find("counts")->find("absent")->as_int64(), 1);
  // Unknown state, bad rule: input rejected / usage.
  EXPECT_EQ(Entente("decide --rule qmv --votes " + Write("bad.json", R"({"US":"yes"})")).exit_code,
            3);
  EXPECT_NE(Entente("decide --rule plurality --votes " + path).exit_code, 0);
}

TEST_F(RespondCli, OptionsSayWhatIsMissing) {
  std::string inc = Write("inc.json", R"({"id":"incident--0b6a1f7e-5d4c-4b1e-9d7e-1f2a3b4c5d6e",
    "nciss":{"functional_impact":"denial_of_critical_services","actor_characterization":"nation_state",
             "observed_activity":"effect"},
    "significance":{"member_states_concerned":4},"external_origin":{"originates_outside_eu":true},
    "attribution":{"confidence":"low","responsible":["Sandworm"]}})");
  auto r = Entente("--json respond options " + inc);
  ASSERT_EQ(r.exit_code, 0);
  auto j = Json(r.out);
  bool found = false;
  for (const auto& m : j.find("not_proportionate")->array()) {
    if (m.find("id")->str() == "asset-freeze") {
      found = true;
      EXPECT_EQ(m.find("missing")->array()[0].str(),
                "attribution confidence is low; restrictive measures need moderate");
    }
  }
  EXPECT_TRUE(found);
  auto text = Entente("respond options " + inc);
  EXPECT_NE(text.out.find("restrictive measures need moderate"), std::string::npos);
}

TEST_F(RespondCli, OptionsForAnIncidentInTheStore) {
  std::string home = "--home " + Path("home");
  ASSERT_EQ(Entente(home + " init").exit_code, 0);
  std::string bundle =
      Write("b.json", R"({"type":"bundle","id":"bundle--6f0d2f3e-1d7a-4c5b-9e8f-0a1b2c3d4e5f",
    "objects":[{"type":"incident","spec_version":"2.1","id":"incident--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"phishing wave",
    "x_entente_assessment":{"rsit":"fraud/phishing","attribution":{"confidence":"low"}}}]})");
  ASSERT_EQ(Entente(home + " ingest " + bundle).exit_code, 0);
  auto r = Entente(home + " --json respond options incident--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  ASSERT_EQ(r.exit_code, 0);
  auto j = Json(r.out);
  EXPECT_EQ(j.find("assessment")->find("rsit")->str(), "fraud/phishing");
  EXPECT_EQ(j.find("proportionate")->size(), 2u);
  EXPECT_EQ(
      Entente(home + " respond options incident--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e").exit_code,
      4);
}

TEST_F(RespondCli, ProposeVoteDecideStatementVerify) {
  setenv("ENTENTE_PASSPHRASE", "correct-horse-battery", 1);
  std::string trust = "{";
  for (const char* s : {"DE", "FR", "IT"}) {
    ASSERT_EQ(Entente("keygen --out " + Path(s)).exit_code, 0);
    std::ifstream in(Path(s) + ".pub");
    std::stringstream ss;
    ss << in.rdbuf();
    if (trust.size() > 1) trust += ",";
    trust += std::string("\"") + s + "\":" + ss.str();
  }
  trust += "}";
  std::string trust_path = Write("trust.json", trust);
  auto prop = Entente(
      "respond propose --measure asset-freeze --target 'GTsST (Sandworm)' "
      "--grounds 'Wiper attack' --confidence moderate "
      "--deadline 2099-01-01T00:00:00Z --state DE --key " +
      Path("DE") + ".key");
  ASSERT_EQ(prop.exit_code, 0);
  std::string prop_path = Write("prop.json", prop.out);
  std::string votes = "[";
  for (const char* s : {"DE", "FR", "IT"}) {
    auto v = Entente(std::string("respond vote --proposal ") + prop_path + " --state " + s +
                     " --choice yes --key " + Path(s) + ".key");
    ASSERT_EQ(v.exit_code, 0);
    if (votes.size() > 1) votes += ",";
    votes += v.out;
  }
  votes += "]";
  std::string votes_path = Write("votes.json", votes);
  auto d = Entente("--json decide --signed-votes " + votes_path + " --trust " + trust_path +
                   " --proposal " + prop_path);
  ASSERT_EQ(d.exit_code, 0);
  auto dj = Json(d.out);
  EXPECT_TRUE(dj.find("adopted")->boolean());
  EXPECT_EQ(dj.find("votes_accepted")->as_int64(), 3);
  auto st = Entente("respond statement --proposal " + prop_path + " --signed-votes " + votes_path +
                    " --trust " + trust_path + " --state FR --key " + Path("FR") + ".key");
  ASSERT_EQ(st.exit_code, 0);
  std::string st_path = Write("statement.json", st.out);
  EXPECT_EQ(Entente("respond verify-statement " + st_path + " --trust " + trust_path).exit_code, 0);
  std::string tampered = st.out;
  tampered.replace(tampered.find("Wiper attack"), 12, "Wiper Attack");
  EXPECT_EQ(
      Entente("respond verify-statement " + Write("t.json", tampered) + " --trust " + trust_path)
          .exit_code,
      6);
  unsetenv("ENTENTE_PASSPHRASE");
}

TEST_F(RespondCli, SanctionsScreenListExport) {
  auto s = Entente("--json sanctions screen 'Бадин Дмитрий'");
  ASSERT_EQ(s.exit_code, 0);
  auto j = Json(s.out);
  ASSERT_GE(j.size(), 1u);
  EXPECT_EQ(j.array()[0].find("name")->str(), "Dmitry Sergeyevich BADIN");
  auto l = Entente("--json sanctions list");
  EXPECT_EQ(Json(l.out).size(), 21u);
  auto x = Entente("sanctions export --format fsf");
  EXPECT_NE(x.out.find("programme=\"CYB\""), std::string::npos);
  auto st = Entente("sanctions export --format stix");
  EXPECT_EQ(Json(st.out).find("type")->str(), "bundle");
}

}  // namespace
