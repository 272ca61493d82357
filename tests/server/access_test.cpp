// Who may do what, through the whole API: a role matrix, and a property test that generates
// random objects (markings, recipients, creators, scopes) and random users, then reads through
// every read path and checks each answer against an independent oracle of the TLP 2.0 rules
// in docs/ACCESS.md. No path may show an object to someone not entitled; the listing paths
// must show everything someone is entitled to.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <set>
#include "entente/base/bytes.h"

#include "entente/base/json.h"
#include "entente/base/uuid.h"
#include "entente/stix/markings.h"
#include "server_test_util.h"

namespace entente::server {
namespace {

constexpr const char* kCommunity = "6f1e0c5a-6a43-4a77-9e1b-0c6a7f3e9b10";
constexpr const char* kFrDe = "0b3f7a52-2c2e-4e8f-8d7c-1d5e9c3a4b21";

class AccessFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<testing::TempDir>("access");
    auto s = store::Store::Open((dir_->path() / "store.db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ids_ = std::make_unique<testing::TestIdentities>(dir_->path());
    ServiceOptions options;
    options.max_page = 50;
    options.collections = {
        {kCommunity, "Community", "", "", true, true, {}, "", ""},
        {kFrDe, "FR-DE bilateral", "", "fr-de", true, true, {}, "", ""},
    };
    service_ = std::make_unique<NodeService>(*store_, ids_->access(), options);
  }
  HttpResponse Call(http::verb method, const std::string& target, const std::string& token,
                    std::string body = "") {
    auto req = testing::MakeRequest(method, target, token, std::move(body));
    if (target.rfind("/api/v1/", 0) == 0) req.set(http::field::content_type, "application/json");
    return service_->Handle(req, {});
  }
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::TestIdentities> ids_;
  std::unique_ptr<NodeService> service_;
};

// ---- roles ------------------------------------------------------------------------------------

TEST_F(AccessFixture, EachRoleIsRefusedWhatItMustNotDo) {
  const std::string indicator =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"})";
  const std::string envelope = "{\"objects\":[" + indicator + "]}";
  const std::string taxii_objects = std::string("/api/collections/") + kCommunity + "/objects/";
  struct Case {
    std::string who;
    http::verb method;
    std::string target;
    std::string body;
    int expected;
  };
  std::vector<Case> cases = {
      // Writing intelligence: analysts only.
      {"reader", http::verb::post, taxii_objects, envelope, 403},
      {"authority", http::verb::post, taxii_objects, envelope, 403},
      {"analyst", http::verb::post, taxii_objects, envelope, 202},
      {"reader", http::verb::post, "/api/v1/objects", indicator, 403},
      {"authority", http::verb::post, "/api/v1/objects", indicator, 403},
      // Everyone reads.
      {"reader", http::verb::get, taxii_objects, "", 200},
      {"authority", http::verb::get, "/api/v1/objects", "", 200},
      {"reader", http::verb::get, "/api/v1/search?q=anything", "", 200},
      // Deleting: analysts only.
      {"reader", http::verb::delete_,
       taxii_objects + "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/", "", 403},
      {"authority", http::verb::delete_,
       "/api/v1/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", 403},
      // Metrics: admins only.
      {"reader", http::verb::get, "/metrics", "", 403},
      {"analyst", http::verb::get, "/metrics", "", 403},
      {"admin", http::verb::get, "/metrics", "", 200},
      {"", http::verb::get, "/metrics", "", 401},
      // A token limited to the community scope cannot reach the bilateral collection.
      {"narrow", http::verb::get, std::string("/api/collections/") + kFrDe + "/objects/", "", 404},
      {"narrow", http::verb::post, std::string("/api/collections/") + kFrDe + "/objects/", envelope,
       404},
      {"analyst", http::verb::delete_,
       "/api/v1/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "", 200},
  };
  for (const auto& c : cases) {
    auto res = Call(c.method, c.target, c.who.empty() ? "" : ids_->Token(c.who + "-token"), c.body);
    EXPECT_EQ(res.result_int(), c.expected)
        << c.who << " " << http::to_string(c.method) << " " << c.target << ": " << res.body();
  }
}

TEST_F(AccessFixture, RevokedAndExpiredTokensAreRefused) {
  std::string token = ids_->Token("reader-token");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/whoami", token).result_int(), 200);
  ASSERT_TRUE(ids_->directory().RevokeToken(token).ok());
  EXPECT_EQ(Call(http::verb::get, "/api/v1/whoami", token).result_int(), 401);
  auto short_lived = ids_->directory().IssueToken("reader", {identity::Role::kReader}, {"*"},
                                                  std::chrono::seconds(1));
  ASSERT_TRUE(short_lived.ok());
  EXPECT_EQ(Call(http::verb::get, "/api/v1/whoami", *short_lived).result_int(), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Call(http::verb::get, "/api/v1/whoami", *short_lived).result_int(), 401);
  // Basic authentication with the token as password works for TAXII clients.
  auto basic = testing::MakeRequest(http::verb::get, "/taxii2/", "");
  std::string admin = ids_->Token("admin-token");
  std::string cred = "admin:" + admin;
  basic.set(http::field::authorization,
            "Basic " + Base64Encode(ByteView(reinterpret_cast<const std::uint8_t*>(cred.data()),
                                             cred.size())));
  EXPECT_EQ(service_->Handle(basic, {}).result_int(), 200);
}

// ---- TLP leak property test ---------------------------------------------------------------------

struct Reader {
  std::string name;
  std::string identity_ref;
  std::string organization_ref;
  std::set<std::string> scopes;
};

struct Generated {
  std::string id;
  std::string json;
  int tlp = -1;  // -1 unmarked, else stix::Tlp
  std::string creator;
  std::vector<std::string> recipients;
  std::string scope = "community";
};

// The rules of docs/ACCESS.md, written again from the text, not from the implementation.
bool Entitled(const Reader& r, const Generated& o) {
  if (!r.scopes.count("*") && !r.scopes.count(o.scope)) return false;
  int tlp = o.tlp < 0 ? static_cast<int>(stix::Tlp::kGreen) : o.tlp;
  auto named = [&](const std::string& who) {
    return std::find(o.recipients.begin(), o.recipients.end(), who) != o.recipients.end();
  };
  switch (static_cast<stix::Tlp>(tlp)) {
    case stix::Tlp::kClear:
    case stix::Tlp::kGreen:
      return true;  // every test reader belongs to a member state
    case stix::Tlp::kAmber:
    case stix::Tlp::kAmberStrict:
      return o.creator == r.organization_ref || o.creator == r.identity_ref ||
             named(r.organization_ref) || named(r.identity_ref);
    case stix::Tlp::kRed:
      return o.creator == r.identity_ref || named(r.identity_ref);
  }
  return false;
}

TEST_F(AccessFixture, NoReadPathLeaksAnObjectToSomeoneNotEntitled) {
  std::mt19937_64 rng(20261123);
  // Readers: the fixture's users plus more, from three organisations.
  const std::vector<std::string> orgs = {"identity--0d1e3c4b-6f0a-4d55-9a7e-5b0a3f1c2e01",
                                         "identity--7a9c2b10-3f4e-4c6d-8e1f-2a3b4c5d6e02",
                                         "identity--a4c1e9d2-5b6f-4a3c-9d8e-7f1a2b3c4d03"};
  const std::vector<std::string> states = {"FR", "DE", "EE"};
  std::vector<Reader> readers;
  for (int i = 0; i < 9; ++i) {
    std::string name = "user" + std::to_string(i);
    std::vector<std::string> scopes =
        i % 3 == 0 ? std::vector<std::string>{"*"}
                   : (i % 3 == 1 ? std::vector<std::string>{"community"}
                                 : std::vector<std::string>{"community", "fr-de"});
    ids_->Add(name, orgs[i % 3], states[i % 3], {identity::Role::kReader}, scopes);
    const auto& u = ids_->user(name);
    readers.push_back(Reader{name, u.identity_ref, u.organization_ref,
                             std::set<std::string>(scopes.begin(), scopes.end())});
  }
  std::vector<std::string> people;
  for (const auto& r : readers) people.push_back(r.identity_ref);

  // Objects with random markings, creators, recipients and scopes.
  std::vector<Generated> objects;
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  for (int i = 0; i < 160; ++i) {
    Generated g;
    g.id = "indicator--" + UuidToString(UuidV4());
    g.tlp = static_cast<int>(rng() % 6) - 1;
    int creator_kind = static_cast<int>(rng() % 3);
    if (creator_kind == 1) g.creator = pick(orgs);
    if (creator_kind == 2) g.creator = pick(people);
    std::size_t n = g.tlp == static_cast<int>(stix::Tlp::kAmberStrict) ? rng() % 2 : rng() % 4;
    for (std::size_t k = 0; k < n; ++k) {
      std::string who = rng() % 2 ? pick(orgs) : pick(people);
      if (std::find(g.recipients.begin(), g.recipients.end(), who) == g.recipients.end()) {
        g.recipients.push_back(who);
      }
    }
    if (rng() % 4 == 0) g.scope = "fr-de";
    json::Value o = json::Value::MakeObject();
    o.set("type", "indicator");
    o.set("spec_version", "2.1");
    o.set("id", g.id);
    o.set("created", "2024-05-01T00:00:00.000Z");
    o.set("modified", "2024-05-01T00:00:00.000Z");
    o.set("name", "leaktest " + std::to_string(i));
    o.set("pattern", "[ipv4-addr:value = '203.0.113." + std::to_string(i % 250) + "']");
    o.set("pattern_type", "stix");
    o.set("valid_from", "2024-05-01T00:00:00Z");
    if (!g.creator.empty()) o.set("created_by_ref", g.creator);
    if (g.tlp >= 0) {
      o.set("object_marking_refs", json::Value::MakeArray({json::Value(
                                       stix::Tlp2MarkingId(static_cast<stix::Tlp>(g.tlp)))}));
    }
    if (!g.recipients.empty()) {
      json::Value rec = json::Value::MakeArray();
      for (const auto& r : g.recipients) rec.push_back(r);
      o.set("x_entente_recipients", std::move(rec));
    }
    if (g.scope != "community") o.set("x_entente_scope", g.scope);
    g.json = o.Serialize();
    objects.push_back(g);
  }
  std::string body = "[";
  for (std::size_t i = 0; i < objects.size(); ++i) body += (i ? "," : "") + objects[i].json;
  body += "]";
  auto stored = Call(http::verb::post, "/api/v1/objects", ids_->Token("admin-token"), body);
  ASSERT_EQ(stored.result_int(), 200) << stored.body();
  ASSERT_EQ(json::Value::Parse(stored.body())->find("stored")->as_int64(),
            static_cast<std::int64_t>(objects.size()))
      << stored.body();

  auto ids_in = [](const std::string& text, const char* array) {
    std::set<std::string> out;
    auto v = json::Value::Parse(text);
    if (!v.ok() || !v->find(array)) return out;
    for (const auto& o : v->find(array)->array()) out.insert(o.find("id")->str());
    return out;
  };
  // Pages through a listing endpoint, returning every id seen.
  auto walk = [&](const std::string& base, const std::string& token, bool taxii,
                  const char* array) {
    std::set<std::string> seen;
    std::string next;
    for (int guard = 0; guard < 100; ++guard) {
      std::string target = base + (base.find('?') == std::string::npos ? "?" : "&") + "limit=13";
      if (!next.empty()) target += (taxii ? "&next=" : "&cursor=") + next;
      auto res = Call(http::verb::get, target, token);
      EXPECT_EQ(res.result_int(), 200) << target << res.body();
      auto page = ids_in(res.body(), array);
      seen.insert(page.begin(), page.end());
      auto v = json::Value::Parse(res.body());
      if (!v.ok() || !v->find("more") || !v->find("more")->boolean()) break;
      next = v->find("next")->str();
    }
    return seen;
  };

  std::size_t checked = 0;
  std::size_t fewest = objects.size(), most = 0;
  for (const auto& r : readers) {
    std::string token = ids_->Token(r.name + "-token");
    std::set<std::string> entitled;
    for (const auto& o : objects) {
      if (Entitled(r, o)) entitled.insert(o.id);
    }
    fewest = std::min(fewest, entitled.size());
    most = std::max(most, entitled.size());
    // Listing paths show exactly what the reader is entitled to.
    std::string community = std::string("/api/collections/") + kCommunity;
    auto taxii = walk(community + "/objects/", token, true, "objects");
    auto manifest = walk(community + "/manifest/", token, true, "objects");
    auto rest = walk("/api/v1/objects", token, false, "objects");
    auto search = walk("/api/v1/search?q=leaktest", token, false, "objects");
    // A collection narrows, never widens: objects are judged in their own scope everywhere.
    std::set<std::string> taxii_expected;
    for (const auto& o : objects) {
      if (Entitled(r, o)) taxii_expected.insert(o.id);
    }
    EXPECT_EQ(taxii, taxii_expected) << r.name;
    EXPECT_EQ(manifest, taxii_expected) << r.name;
    EXPECT_EQ(rest, entitled) << r.name;
    EXPECT_EQ(search, entitled) << r.name;
    // Object paths: 200 exactly when entitled, 404 otherwise (indistinguishable from absent).
    for (const auto& o : objects) {
      bool may = entitled.count(o.id) > 0;
      int one = Call(http::verb::get, "/api/v1/objects/" + o.id, token).result_int();
      int versions =
          Call(http::verb::get, "/api/v1/objects/" + o.id + "/versions", token).result_int();
      int taxii_one =
          Call(http::verb::get, community + "/objects/" + o.id + "/", token).result_int();
      int taxii_versions =
          Call(http::verb::get, community + "/objects/" + o.id + "/versions/", token).result_int();
      EXPECT_EQ(one, may ? 200 : 404) << r.name << " " << o.json;
      EXPECT_EQ(versions, may ? 200 : 404) << r.name << " " << o.json;
      EXPECT_EQ(taxii_one, taxii_expected.count(o.id) ? 200 : 404) << r.name << " " << o.json;
      EXPECT_EQ(taxii_versions, taxii_expected.count(o.id) ? 200 : 404) << r.name;
      checked += 4;
    }
    // The bilateral collection: only for readers holding its scope.
    auto bilateral =
        Call(http::verb::get, std::string("/api/collections/") + kFrDe + "/objects/", token);
    if (r.scopes.count("*") || r.scopes.count("fr-de")) {
      EXPECT_EQ(bilateral.result_int(), 200);
      for (const auto& id : ids_in(bilateral.body(), "objects")) {
        const auto& o = *std::find_if(objects.begin(), objects.end(),
                                      [&](const Generated& g) { return g.id == id; });
        EXPECT_TRUE(Entitled(r, o)) << r.name << " " << o.json;
      }
    } else {
      EXPECT_EQ(bilateral.result_int(), 404);
    }
  }
  EXPECT_GT(checked, 5000u);
  // The generated population exercises the rule: readers differ, none sees everything.
  EXPECT_LT(fewest, most);
  EXPECT_LT(most, objects.size());
  EXPECT_GT(fewest, 0u);
}

}  // namespace
}  // namespace entente::server
