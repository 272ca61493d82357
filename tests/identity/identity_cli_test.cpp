// `entente user`, `token` and `trust` as an operator runs them: real processes, real files.
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

class IdentityCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("entente-idcli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home");
    ::setenv("ENTENTE_PASSPHRASE", "a long enough test passphrase", 1);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Home() const { return "--home " + (dir_ / "home").string(); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

const std::string kOrg = "identity--11111111-1111-4111-8111-111111111111";

TEST_F(IdentityCliTest, UsersAndTokens) {
  ASSERT_EQ(
      Entente(Home() + " user add alice --role analyst --role reader --org " + kOrg + " --state FR")
          .exit_code,
      0);
  EXPECT_EQ(
      Entente(Home() + " user add alice --role reader --org " + kOrg + " --state FR").exit_code,
      3);  // already exists
  EXPECT_EQ(Entente(Home() + " user add bob --role boss --org " + kOrg + " --state FR").exit_code,
            3);
  CliRun list = Entente(Home() + " --json user list");
  ASSERT_EQ(list.exit_code, 0);
  auto users = entente::json::Value::Parse(list.out);
  ASSERT_TRUE(users.ok()) << list.out;
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->array()[0].find("organization_ref")->str(), kOrg);

  CliRun issued =
      Entente(Home() + " --json token issue alice --role analyst --scope community --ttl 1h");
  ASSERT_EQ(issued.exit_code, 0);
  auto token = entente::json::Value::Parse(issued.out);
  ASSERT_TRUE(token.ok()) << issued.out;
  const std::string id = token->find("id")->str();
  const std::string secret = token->find("token")->str();
  EXPECT_EQ(secret.rfind("ent1_" + id + "_", 0), 0u);
  EXPECT_EQ(Entente(Home() + " token issue alice --role admin --scope '*'").exit_code, 7);
  EXPECT_EQ(Entente(Home() + " token issue alice --role reader --scope '*' --ttl 3w").exit_code, 3);

  CliRun tokens = Entente(Home() + " token list alice");
  ASSERT_EQ(tokens.exit_code, 0);
  EXPECT_NE(tokens.out.find(id), std::string::npos);
  EXPECT_EQ(tokens.out.find(secret.substr(secret.size() - 64)), std::string::npos);
  EXPECT_EQ(Entente(Home() + " token revoke " + id).exit_code, 0);
  EXPECT_NE(Entente(Home() + " token list").out.find("(revoked)"), std::string::npos);
  EXPECT_EQ(Entente(Home() + " token revoke 0000000000000000").exit_code, 4);
}

TEST_F(IdentityCliTest, TrustListLifecycle) {
  ASSERT_EQ(Entente("keygen --out " + Path("eu") + " --label eu").exit_code, 0);
  ASSERT_EQ(Entente("keygen --out " + Path("fr") + " --label fr").exit_code, 0);
  const std::string list = Path("list.json");
  ASSERT_EQ(Entente("trust create " + list + " --key " + Path("eu.pub") + " --org " + kOrg +
                    " --node-id eu-coordination --sequence 5 --valid 10d")
                .exit_code,
            0);
  ASSERT_EQ(Entente("trust add-member " + list + " --key " + Path("fr.pub") + " --org " + kOrg +
                    " --node-id fr-national --state FR --endpoint https://fr.example:8443/")
                .exit_code,
            0);
  // The same key again is a duplicate member.
  EXPECT_EQ(Entente("trust add-member " + list + " --key " + Path("fr.pub") + " --org " + kOrg +
                    " --node-id fr-second --state FR --endpoint https://fr2.example/")
                .exit_code,
            3);
  EXPECT_EQ(Entente("trust verify " + list + " --issuer " + Path("eu.pub")).exit_code, 6);
  ASSERT_EQ(Entente("trust sign " + list + " --key " + Path("eu.key")).exit_code, 0);
  CliRun ok = Entente("--json trust verify " + list + " --issuer " + Path("eu.pub"));
  ASSERT_EQ(ok.exit_code, 0);
  auto v = entente::json::Value::Parse(ok.out);
  ASSERT_TRUE(v.ok()) << ok.out;
  EXPECT_TRUE(v->find("verified")->boolean());
  EXPECT_EQ(v->find("members")->size(), 1u);
  EXPECT_EQ(Entente("trust verify " + list + " --issuer " + Path("eu.pub") + " --min-sequence 6")
                .exit_code,
            7);
  EXPECT_EQ(Entente("trust verify " + list + " --issuer " + Path("fr.pub")).exit_code, 6);

  // Moving a member's endpoint without the issuer is caught.
  std::stringstream ss;
  ss << std::ifstream(list).rdbuf();
  std::string text = ss.str();
  std::size_t at = text.find("https://fr.example:8443/");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 8, "https://evil.");
  std::ofstream(Path("tampered.json")) << text;
  EXPECT_EQ(
      Entente("trust verify " + Path("tampered.json") + " --issuer " + Path("eu.pub")).exit_code,
      6);
}

}  // namespace
