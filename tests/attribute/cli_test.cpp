// The `entente attribute` contract, through the real binary (skipped if it was not built).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "entente/base/json.h"

namespace entente::attribute {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun Entente(const std::string& args) {
  std::string bin = std::string(ENTENTE_BINARY_DIR) + "/src/cli/entente";
  std::string kb = std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json";
  std::string cmd = "'" + bin + "' attribute --kb '" + kb + "' " + args + " 2>&1";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool HaveBinary() {
  return std::ifstream(std::string(ENTENTE_BINARY_DIR) + "/src/cli/entente").good();
}

TEST(AttributeCli, JsonContract) {
  if (!HaveBinary()) GTEST_SKIP() << "entente binary not built";
  CliRun r = Entente(
      "--technique T1566.001 --technique T1059.001 --software \"Mimikatz\" --software S0154 "
      "--software goldmax --software sibot --top 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto v = json::Value::Parse(r.out);
  ASSERT_TRUE(v.ok()) << v.status().ToString() << "\n" << r.out;
  const json::Value* c = v->find("candidates");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->size(), 3u);
  const json::Value& top = c->array()[0];
  EXPECT_EQ(top.find("id")->str(), "intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542");
  EXPECT_EQ(top.find("name")->str(), "APT29");
  EXPECT_EQ(top.find("external_id")->str(), "G0016");
  for (const char* key : {"score", "confidence", "evidence_for", "evidence_against"}) {
    EXPECT_NE(top.find(key), nullptr) << key;
  }
  EXPECT_GE(*top.find("score")->as_double(), *c->array()[1].find("score")->as_double());
}

TEST(AttributeCli, UnknownSoftwareIsAClearError) {
  if (!HaveBinary()) GTEST_SKIP() << "entente binary not built";
  CliRun r = Entente("--software Mimikats --json");
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("unknown software \"Mimikats\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mimikatz"), std::string::npos) << r.out;
}

TEST(AttributeCli, TextOutputForPeople) {
  if (!HaveBinary()) GTEST_SKIP() << "entente binary not built";
  CliRun r = Entente("--software Industroyer --technique T1485 --top 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1. Sandworm Team (G0034)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("costly to fake"), std::string::npos);
}

}  // namespace
}  // namespace entente::attribute
