// `entente log ...` as an operator and a verifying peer run it: real processes, real files.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code;
  std::string out;
};

CliRun Entente(const std::string& args) {
  const std::string cmd = "ENTENTE_PASSPHRASE=correct-horse-battery " + std::string(ENTENTE_CLI) +
                          " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("entente-log-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "home" / "keys");
    home_ = "--home " + (dir_ / "home").string();
    ASSERT_EQ(Entente(home_ + " init --name test").exit_code, 0);
    ASSERT_EQ(Entente(home_ + " keygen --out " + P("home/keys/node")).exit_code, 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  void Append(int i, const char* kind = "share") {
    char subject[80];
    std::snprintf(subject, sizeof subject, "indicator--%08d-0000-4000-8000-000000000000", i);
    ASSERT_EQ(Entente(home_ + " log append --kind " + kind + " --subject " + subject).exit_code, 0);
  }
  fs::path dir_;
  std::string home_;
};

TEST_F(LogCliTest, OperatorAndPeerRoundTrip) {
  for (int i = 0; i < 5; ++i) Append(i);
  ASSERT_EQ(Entente(home_ + " log head --sign --out " + P("sth5.json")).exit_code, 0);
  for (int i = 5; i < 9; ++i) Append(i, "vote");
  ASSERT_EQ(Entente(home_ + " log head --sign --out " + P("sth9.json")).exit_code, 0);
  auto show = Entente(home_ + " --json log show --from 7");
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("\"index\":8"), std::string::npos);
  EXPECT_EQ(show.out.find("\"index\":6"), std::string::npos);

  const std::string log = P("home/ledger.log"), pub = P("home/keys/node.pub");
  // The peer's whole-copy check, with both heads.
  auto v = Entente("log verify --log " + log + " --sth " + P("sth9.json") + " --old-sth " +
                   P("sth5.json") + " --key " + pub);
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("ok: 9 entries"), std::string::npos);
  // Inclusion of one entry, and consistency between the heads.
  ASSERT_EQ(Entente(home_ + " log prove --index 6 --out " + P("p6.json")).exit_code, 0);
  EXPECT_EQ(Entente("log proof-verify --proof " + P("p6.json") + " --sth " + P("sth9.json") +
                    " --key " + pub + " --log " + log)
                .exit_code,
            0);
  ASSERT_EQ(Entente(home_ + " log prove --consistency 5 --out " + P("c.json")).exit_code, 0);
  EXPECT_EQ(Entente("log proof-verify --proof " + P("c.json") + " --old-sth " + P("sth5.json") +
                    " --sth " + P("sth9.json") + " --key " + pub)
                .exit_code,
            0);
  // Swapped heads, a proof for the wrong size, another key: all fail with exit code 6.
  EXPECT_EQ(Entente("log proof-verify --proof " + P("c.json") + " --old-sth " + P("sth9.json") +
                    " --sth " + P("sth5.json") + " --key " + pub)
                .exit_code,
            6);
  EXPECT_EQ(Entente("log proof-verify --proof " + P("p6.json") + " --sth " + P("sth5.json") +
                    " --key " + pub)
                .exit_code,
            6);
  ASSERT_EQ(Entente("keygen --out " + P("other")).exit_code, 0);
  EXPECT_EQ(
      Entente("log verify --log " + log + " --sth " + P("sth9.json") + " --key " + P("other.pub"))
          .exit_code,
      6);

  // A copy with entry 7's subject changed (its check not recomputed): every check fails with
  // exit code 6. (Forgeries that recompute the check are in ledger_test.cpp.)
  std::string image = Slurp(log);
  const std::size_t at = image.find("indicator--00000007");
  ASSERT_NE(at, std::string::npos);
  image.replace(at, 19, "indicator--00000042");
  std::ofstream(P("copy.log"), std::ios::binary) << image;
  EXPECT_EQ(
      Entente("log verify --log " + P("copy.log") + " --sth " + P("sth9.json") + " --key " + pub)
          .exit_code,
      6);
  EXPECT_EQ(Entente("log verify --log " + P("copy.log") + " --reference " + log).exit_code, 6);
  EXPECT_EQ(Entente("log proof-verify --proof " + P("p6.json") + " --sth " + P("sth9.json") +
                    " --key " + pub + " --log " + P("copy.log"))
                .exit_code,
            6);
  // The operator's own log with a torn tail is repaired on the next append.
  std::ofstream(log, std::ios::binary | std::ios::app) << std::string("\x20\x00\x00", 3);
  EXPECT_NE(Entente("log verify --log " + log).exit_code, 0);
  Append(9);
  auto ok = Entente("log verify --log " + log + " --sth " + P("sth9.json") + " --key " + pub);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_NE(ok.out.find("ok: 10 entries"), std::string::npos);
}

}  // namespace
