#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "entente/store/ingest.h"
#include "entente/store/store.h"

namespace entente::store::testing {

// A fresh store in a temporary directory, removed afterwards.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("entente-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open((dir_ / "store.db").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  IngestReport IngestText(std::string_view text, IngestOptions options = {}) {
    auto reader = stix::ObjectReader::FromText(text);
    auto r = Ingest(*store_, reader, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : IngestReport{};
  }
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// An indicator with the given id suffix digit and modified time.
inline std::string Indicator(int n, std::string_view modified, std::string_view name = "bad ip",
                             std::string_view extra = "") {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
         R"(","created":"2024-01-01T00:00:00.000Z","modified":")" + std::string(modified) +
         R"(","name":")" + std::string(name) +
         R"(","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z")" +
         std::string(extra) + "}";
}

}  // namespace entente::store::testing
