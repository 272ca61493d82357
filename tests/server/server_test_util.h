#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "entente/base/json.h"
#include "entente/server/access.h"
#include "entente/server/service.h"
#include "entente/store/store.h"

namespace entente::server::testing {

// Bearer tokens of fixed callers; reads everything (the TAXII protocol tests are not about
// TLP: the leak tests drive the identity policy).
class TestAccess : public AccessPolicy {
 public:
  TestAccess() {
    callers_["admin-token"] = Caller{"admin", "", "identity--org-a", "FR", {"admin"}, {"*"}};
    callers_["analyst-token"] = Caller{"analyst", "", "identity--org-a", "FR", {"analyst"}, {"*"}};
    callers_["reader-token"] = Caller{"reader", "", "identity--org-b", "DE", {"reader"}, {"*"}};
    callers_["narrow-token"] =
        Caller{"narrow", "", "identity--org-b", "DE", {"analyst"}, {"community"}};
  }
  Result<Caller> Authenticate(std::string_view authorization, std::int64_t) override {
    if (authorization.substr(0, 7) != "Bearer ") {
      return Status::Unauthenticated("missing bearer token");
    }
    auto it = callers_.find(std::string(authorization.substr(7)));
    if (it == callers_.end()) return Status::Unauthenticated("unknown token");
    return it->second;
  }
  bool Allowed(const Caller& caller, Operation op) override {
    auto has = [&](std::string_view r) {
      for (const auto& x : caller.roles) {
        if (x == r || x == "admin") return true;
      }
      return false;
    };
    switch (op) {
      case Operation::kRead:
        return true;
      case Operation::kWriteIntel:
      case Operation::kDelete:
        return has("analyst");
      case Operation::kPropose:
      case Operation::kVote:
        return has("authority");
      case Operation::kAdmin:
        return has("admin");
    }
    return false;
  }
  bool CanRead(const Caller&, json::Node) override { return true; }

 private:
  std::map<std::string, Caller> callers_;
};

class TempDir {
 public:
  explicit TempDir(std::string_view tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("entente-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline HttpRequest MakeRequest(http::verb method, std::string target, std::string token = "",
                               std::string body = "") {
  HttpRequest req{method, target, 11};
  req.set(http::field::host, "127.0.0.1:8443");
  req.set(http::field::accept, "application/taxii+json;version=2.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty() || method == http::verb::post) {
    req.set(http::field::content_type, "application/taxii+json;version=2.1");
    req.body() = std::move(body);
    req.prepare_payload();
  }
  return req;
}

}  // namespace entente::server::testing
