// Acceptance over the full shared corpus: all of data/ioc and its warninglists against all of
// data/logs. Skipped (with the reason) when the shared data directory is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "entente/detect/indicator_list.h"
#include "entente/detect/scanner.h"
#include "test_util.h"

namespace entente::detect {
namespace {

TEST(SharedData, SimdaFoundKnownFalsePositivesSuppressed) {
  namespace fs = std::filesystem;
  std::string shared = ENTENTE_SHARED_DIR;
  if (!fs::is_directory(shared + "/data/ioc") || !fs::is_directory(shared + "/data/logs"))
    GTEST_SKIP() << "shared data not found at " << shared << "/data/{ioc,logs}";
  if (!testing::SystemPsl())
    GTEST_SKIP() << "public suffix list missing: apt-get install publicsuffix";
  IndexBuilder b;
  std::vector<std::string> lists;
  for (const auto& e : fs::directory_iterator(shared + "/data/ioc"))
    if (e.path().extension() == ".txt") lists.push_back(e.path().string());
  ASSERT_GE(lists.size(), 8u);
  for (const auto& l : lists) {
    ListLoadStats st;
    ASSERT_TRUE(LoadIndicatorList(l, b, &st).ok()) << l;
  }
  auto idx = b.Build(testing::SystemPsl());
  ASSERT_TRUE(idx.ok());
  EXPECT_GT((*idx)->stats().exact_values, 1'500'000u);
  auto wl = Warninglists::Load(shared + "/data/ioc/warninglists");
  ASSERT_TRUE(wl.ok()) << wl.status().ToString();
  IndexHandle h(*idx);
  ScanOptions opt;
  opt.suppress_warninglisted = true;
  std::set<std::string> simda_005, values;
  std::size_t hits = 0;
  Scanner s(h, &*wl, opt, [&](const Hit& hit) {
    ++hits;
    values.insert(hit.value);
    for (const auto* m : hit.indicators)
      if (m->ref == "mt:simda" &&
          hit.input.find("005-zeek-scenario-malicious") != std::string::npos)
        simda_005.insert(hit.value);
    EXPECT_NE(hit.matched, "org.ru");
  });
  ASSERT_TRUE(s.ScanPath(shared + "/data/logs").ok());
  EXPECT_GT(hits, 1000u);
  // The README of the capture counts 256 Simda DGA domains over the logs.
  EXPECT_GE(simda_005.size(), 200u);
  EXPECT_TRUE(simda_005.count("vocyzit.com"));
  EXPECT_FALSE(values.count("global.asazure.windows.net"));
  EXPECT_FALSE(values.count("www.linux.org.ru"));
  EXPECT_GT(s.summary().suppressed_warninglisted, 0u);
  EXPECT_GT(s.summary().public_suffix_skipped, 0u);
}

}  // namespace
}  // namespace entente::detect

namespace entente::detect {
namespace {

// The acceptance command itself, when the `entente` binary has been built beside the tests.
TEST(SharedData, EntenteScanCommandReportsSimdaNotTheFalsePositives) {
  namespace fs = std::filesystem;
  std::string shared = ENTENTE_SHARED_DIR;
  std::string bin = std::string(ENTENTE_BINARY_DIR) + "/src/cli/entente";
  if (!fs::is_directory(shared + "/data/ioc") || !fs::is_directory(shared + "/data/logs"))
    GTEST_SKIP() << "shared data not found at " << shared << "/data/{ioc,logs}";
  if (!fs::exists(bin)) GTEST_SKIP() << "build the entente binary first (ninja -C build entente)";
  std::string cmd = bin + " scan --json --suppress-warninglisted --warninglists " + shared +
                    "/data/ioc/warninglists";
  for (const auto& e : fs::directory_iterator(shared + "/data/ioc"))
    if (e.path().extension() == ".txt") cmd += " --indicators " + e.path().string();
  cmd += " " + shared + "/data/logs 2>/dev/null";
  FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  ASSERT_EQ(::pclose(f), 0);
  std::size_t simda = 0, lines = 0;
  bool summary = false;
  for (std::size_t pos = 0; pos < out.size();) {
    std::size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    ++lines;
    if (line.starts_with("{\"summary\"")) summary = true;
    if (line.find("\"mt:simda\"") != std::string::npos &&
        line.find("005-zeek-scenario-malicious") != std::string::npos)
      ++simda;
    EXPECT_EQ(line.find("\"value\":\"global.asazure.windows.net\""), std::string::npos) << line;
    EXPECT_EQ(line.find("\"matched\":\"org.ru\""), std::string::npos) << line;
  }
  EXPECT_TRUE(summary);
  EXPECT_GE(simda, 200u);
  EXPECT_GT(lines, 1000u);
}

}  // namespace
}  // namespace entente::detect
