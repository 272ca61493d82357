#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "entente/base/json.h"
#include "entente/identity/directory.h"
#include "entente/server/access.h"
#include "entente/server/service.h"
#include "entente/store/store.h"

namespace entente::server::testing {

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

// A real identity directory with fixed users; tokens by short name: "admin-token" (admin +
// analyst), "analyst-token", "reader-token", "authority-token" and "narrow-token" (an analyst
// whose token only reaches the community scope). The server under test uses DirectoryAccess,
// so tests exercise the node's real authentication and read rule.
class TestIdentities {
 public:
  explicit TestIdentities(const std::filesystem::path& dir) {
    auto d = identity::Directory::Open((dir / "identity.db").string());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    directory_ = std::move(*d);
    using identity::Role;
    Add("admin", "identity--0d1e3c4b-6f0a-4d55-9a7e-5b0a3f1c2e01", "FR",
        {Role::kAdmin, Role::kAnalyst}, {"*"});
    Add("analyst", "identity--0d1e3c4b-6f0a-4d55-9a7e-5b0a3f1c2e01", "FR", {Role::kAnalyst}, {"*"});
    Add("reader", "identity--7a9c2b10-3f4e-4c6d-8e1f-2a3b4c5d6e02", "DE", {Role::kReader}, {"*"});
    Add("authority", "identity--7a9c2b10-3f4e-4c6d-8e1f-2a3b4c5d6e02", "DE", {Role::kAuthority},
        {"*"});
    Add("narrow", "identity--7a9c2b10-3f4e-4c6d-8e1f-2a3b4c5d6e02", "DE", {Role::kAnalyst},
        {"community"});
    access_ = std::make_unique<DirectoryAccess>(*directory_);
  }
  void Add(const std::string& name, const std::string& org, const std::string& state,
           std::vector<identity::Role> roles, std::vector<std::string> scopes) {
    identity::User u;
    u.name = name;
    u.organization_ref = org;
    u.member_state = state;
    u.roles = roles;
    auto added = directory_->AddUser(u);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    auto token = directory_->IssueToken(name, roles, scopes, std::chrono::hours(1));
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    tokens_[name + "-token"] = *token;
    users_[name] = *added;
  }
  // The real token for a short name; unknown names pass through (to test bad tokens).
  std::string Token(const std::string& short_name) const {
    auto it = tokens_.find(short_name);
    return it == tokens_.end() ? short_name : it->second;
  }
  const identity::User& user(const std::string& name) const { return users_.at(name); }
  AccessPolicy& access() { return *access_; }
  identity::Directory& directory() { return *directory_; }

 private:
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<DirectoryAccess> access_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, identity::User> users_;
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
