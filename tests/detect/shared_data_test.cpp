// Acceptance over the full shared corpus: all of data/ioc and its warninglists against all of
// data/logs. Skipped (with the reason) when the shared data directory is absent.
#include <gtest/gtest.h>

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
