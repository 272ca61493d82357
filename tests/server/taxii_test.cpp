// TAXII 2.1 behaviour, modelled on what the reference server's suite (medallion's
// test_backends.py) checks: media types, status codes, paging, filters, headers, POST/status,
// DELETE. The service is called directly (no sockets); network behaviour is in http_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "entente/base/json.h"
#include "server_test_util.h"

namespace entente::server {
namespace {

constexpr std::string_view kTaxii = "application/taxii+json;version=2.1";
constexpr const char* kMain = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
constexpr const char* kReadOnly = "52892447-4d7e-4f70-b94d-d7f22742ff63";
constexpr const char* kForbidden = "64993447-4d7e-4f70-b94d-d7f33742ee63";
constexpr const char* kEmpty = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4";
constexpr const char* kBilateral = "365fed99-08fa-fdcd-a1b3-fb247eb41d01";

// The reference server's fixture objects (Poison Ivy and friends), in STIX 2.1, plus one 2.0
// object (upgraded on the way in) and an SCO.
const char* kSeed = R"({"objects":[
{"type":"malware","spec_version":"2.1","id":"malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec","created":"2017-01-27T13:49:53.997Z","modified":"2017-01-27T13:49:53.997Z","name":"Poison Ivy","description":"Poison Ivy","malware_types":["remote-access-trojan"],"is_family":true},
{"type":"indicator","spec_version":"2.1","id":"indicator--cd981c25-8042-4166-8945-51178443bdac","created":"2014-05-08T09:00:00.000Z","modified":"2014-05-08T09:00:00.000Z","name":"File hash for Poison Ivy variant","indicator_types":["file-hash-watchlist"],"pattern":"[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']","pattern_type":"stix","valid_from":"2014-05-08T09:00:00.000000Z"},
{"type":"relationship","spec_version":"2.1","id":"relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463","created":"2014-05-08T09:00:00.000Z","modified":"2014-05-08T09:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--cd981c25-8042-4166-8945-51178443bdac","target_ref":"malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"},
{"type":"indicator","spec_version":"2.1","id":"indicator--6770298f-0fd8-471a-ab8c-1c658a46574e","created":"2016-11-03T12:30:59.000Z","modified":"2016-11-03T12:30:59.000Z","name":"Malicious site hosting downloader","indicator_types":["url-watchlist"],"pattern":"[url:value = 'http://x4z9arb.cn/4712']","pattern_type":"stix","valid_from":"2016-11-03T12:30:59.000Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--6770298f-0fd8-471a-ab8c-1c658a46574e","created":"2016-11-03T12:30:59.000Z","modified":"2017-01-27T13:49:53.935Z","name":"Malicious site hosting downloader","description":"Accessing this url will infect your machine with malware.","indicator_types":["url-watchlist"],"pattern":"[url:value = 'http://x4z9arb.cn/4712']","pattern_type":"stix","valid_from":"2016-11-03T12:30:59.000Z"},
{"type":"indicator","id":"indicator--b81f86b9-975b-4b0b-875e-810c5bd45b4f","created":"2016-11-03T12:30:59.000Z","modified":"2016-11-03T12:30:59.000Z","labels":["url-watchlist"],"name":"A STIX 2.0 indicator","pattern":"[url:value = 'http://z4z10farb.cn/4712']","valid_from":"2017-01-27T13:49:53.935382Z"},
{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}
]})";

class TaxiiTest : public ::testing::Test {
 protected:
  HttpRequest MakeRequest(http::verb method, std::string target, std::string token = "",
                          std::string body = "") {
    return testing::MakeRequest(method, std::move(target), token.empty() ? "" : ids_->Token(token),
                                std::move(body));
  }
  void SetUp() override {
    dir_ = std::make_unique<testing::TempDir>("taxii");
    // With an object cache, as `entente serve` opens its store: every case below also checks
    // that a cached version is never served after a write changed it.
    store::StoreOptions store_options;
    store_options.cache_bytes = 16 << 20;
    auto s = store::Store::Open((dir_->path() / "store.db").string(), store_options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ServiceOptions options;
    options.api_root = "api";
    options.max_page = 20;
    options.max_content_length = 1 << 20;
    options.collections = {
        {kMain, "High Value Indicator Collection", "everything shared", "", true, true, {}, "", ""},
        {kReadOnly, "Indicators", "read only", "", true, false, {"indicator"}, "", ""},
        {kForbidden, "Secret Indicators", "Non accessible", "", false, false, {}, "", ""},
        {kEmpty, "Empty", "nothing matches", "", true, false, {}, "", "no-such-label"},
        {kBilateral, "FR-DE", "bilateral", "fr-de", true, true, {}, "", ""},
    };
    options.on_events = [this](const std::vector<Event>& events) {
      std::lock_guard lock(events_mu_);  // requests may run on several threads
      for (const auto& e : events) events_.push_back(e);
    };
    ids_ = std::make_unique<testing::TestIdentities>(dir_->path());
    options.public_metrics = true;
    service_ = std::make_unique<NodeService>(*store_, ids_->access(), options);
    auto res = Post(kMain, kSeed);
    ASSERT_EQ(res.result_int(), 202) << res.body();
  }

  HttpResponse Get(const std::string& target, const std::string& token = "admin-token") {
    return service_->Handle(MakeRequest(http::verb::get, target, token), {});
  }
  HttpResponse Post(const std::string& collection, std::string body,
                    const std::string& token = "admin-token") {
    return service_->Handle(
        MakeRequest(http::verb::post, "/api/collections/" + collection + "/objects/", token,
                    std::move(body)),
        {});
  }
  static json::Value Body(const HttpResponse& res) {
    auto v = json::Value::Parse(res.body());
    EXPECT_TRUE(v.ok()) << res.body();
    return v.ok() ? *v : json::Value();
  }
  static std::vector<std::string> Ids(const json::Value& envelope) {
    std::vector<std::string> ids;
    if (const auto* objects = envelope.find("objects")) {
      for (const auto& o : objects->array()) ids.push_back(o.find("id")->str());
    }
    return ids;
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::TestIdentities> ids_;
  std::unique_ptr<NodeService> service_;
  std::mutex events_mu_;
  std::vector<Event> events_;
};

TEST_F(TaxiiTest, DiscoveryAndApiRoot) {
  auto res = Get("/taxii2/");
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::content_type], kTaxii);
  auto d = Body(res);
  EXPECT_EQ(d.find("default")->str(), "http://127.0.0.1:8443/api/");
  EXPECT_EQ(d.find("api_roots")->array().at(0).str(), "http://127.0.0.1:8443/api/");

  res = Get("/api/");
  ASSERT_EQ(res.result_int(), 200);
  auto r = Body(res);
  EXPECT_EQ(r.find("versions")->array().at(0).str(), kTaxii);
  EXPECT_EQ(r.find("max_content_length")->as_int64(), 1 << 20);

  EXPECT_EQ(Get("/trustgroup2/").result_int(), 404);
  EXPECT_EQ(Get("/carbon1/collections/").result_int(), 404);
}

TEST_F(TaxiiTest, MissingTrailingSlashRedirects) {
  auto res = Get("/taxii2");
  EXPECT_EQ(res.result_int(), 308);
  EXPECT_EQ(res[http::field::location], "/taxii2/");
  res = Get(std::string("/api/collections/") + kMain + "/objects?limit=2");
  EXPECT_EQ(res.result_int(), 308);
  EXPECT_EQ(res[http::field::location],
            std::string("/api/collections/") + kMain + "/objects/?limit=2");
}

TEST_F(TaxiiTest, CollectionsFollowScopes) {
  auto res = Get("/api/collections/");
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(Body(res).find("collections")->size(), 5u);
  // A caller outside the bilateral scope neither lists nor reaches it.
  res = Get("/api/collections/", "narrow-token");
  EXPECT_EQ(Body(res).find("collections")->size(), 4u);
  EXPECT_EQ(Get(std::string("/api/collections/") + kBilateral + "/", "narrow-token").result_int(),
            404);
  auto c = Body(Get(std::string("/api/collections/") + kMain + "/"));
  EXPECT_EQ(c.find("title")->str(), "High Value Indicator Collection");
  EXPECT_TRUE(c.find("can_read")->boolean());
  EXPECT_TRUE(c.find("can_write")->boolean());
  EXPECT_EQ(Get("/api/collections/12345678-1234-1234-1234-123456789012/").result_int(), 404);
}

TEST_F(TaxiiTest, ObjectsArePagedInDateAddedOrderWithHeaders) {
  std::string base = std::string("/api/collections/") + kMain + "/objects/";
  auto res = Get(base);
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res[http::field::content_type], kTaxii);
  auto all = Ids(Body(res));
  ASSERT_EQ(all.size(), 6u);  // latest versions
  EXPECT_EQ(all[0], "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec");

  res = Get(base + "?limit=3");
  auto page1 = Body(res);
  EXPECT_TRUE(page1.find("more")->boolean());
  ASSERT_NE(page1.find("next"), nullptr);
  auto ids1 = Ids(page1);
  ASSERT_EQ(ids1.size(), 3u);
  std::string first = std::string(res["X-TAXII-Date-Added-First"]);
  std::string last = std::string(res["X-TAXII-Date-Added-Last"]);
  EXPECT_EQ(first.size(), 27u) << first;  // microsecond precision
  EXPECT_LT(first, last);

  res = Get(base + "?limit=3&next=" + page1.find("next")->str());
  auto page2 = Body(res);
  EXPECT_FALSE(page2.find("more")->boolean());
  EXPECT_EQ(page2.find("next"), nullptr);
  auto ids2 = Ids(page2);
  ids1.insert(ids1.end(), ids2.begin(), ids2.end());
  EXPECT_EQ(ids1, all);
  EXPECT_GT(std::string(res["X-TAXII-Date-Added-First"]), last);
}

TEST_F(TaxiiTest, PagingRefusesBadLimitsAndChangedFilters) {
  std::string base = std::string("/api/collections/") + kMain + "/objects/";
  auto res = Get(base + "?limit=-20");
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(Body(res).find("description")->str(),
            "The limit parameter cannot be negative or zero.");
  EXPECT_EQ(Get(base + "?limit=0").result_int(), 400);
  auto page1 = Body(Get(base + "?limit=2"));
  std::string next = page1.find("next")->str();
  EXPECT_EQ(Get(base + "?limit=2&match[type]=indicator&next=" + next).result_int(), 400);
  EXPECT_EQ(Get(base + "?limit=2&next=garbage").result_int(), 400);
}

TEST_F(TaxiiTest, Filters) {
  std::string base = std::string("/api/collections/") + kMain + "/objects/";
  auto ids = Ids(Body(Get(base + "?match[type]=indicator")));
  ASSERT_EQ(ids.size(), 3u);
  for (const auto& id : ids) EXPECT_EQ(id.substr(0, 11), "indicator--");

  ids = Ids(Body(Get(base + "?match[id]=indicator--cd981c25-8042-4166-8945-51178443bdac,"
                            "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec")));
  EXPECT_EQ(ids.size(), 2u);

  EXPECT_EQ(Ids(Body(Get(base + "?match[version]=all"))).size(), 7u);
  auto first = Body(Get(base + "?match[version]=first&match[id]=indicator--6770298f-0fd8-471a-ab8c-"
                               "1c658a46574e"));
  EXPECT_EQ(first.find("objects")->array().at(0).find("modified")->str(),
            "2016-11-03T12:30:59.000Z");
  auto exact = Body(Get(base + "?match[version]=2017-01-27T13:49:53.935Z"));
  ASSERT_EQ(Ids(exact).size(), 1u);
  EXPECT_EQ(Ids(exact)[0], "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e");
  EXPECT_EQ(Get(base + "?match[version]=yesterday").result_int(), 400);

  // Everything is stored as 2.1 (the 2.0 object was upgraded).
  EXPECT_EQ(Ids(Body(Get(base + "?match[spec_version]=2.0"))).size(), 0u);
  EXPECT_EQ(Ids(Body(Get(base + "?match[spec_version]=2.0,2.1"))).size(), 6u);
  auto upgraded = Body(Get("/api/collections/" + std::string(kMain) +
                           "/objects/indicator--b81f86b9-975b-4b0b-875e-810c5bd45b4f/"));
  EXPECT_EQ(upgraded.find("objects")->array().at(0).find("spec_version")->str(), "2.1");

  // added_after is strict and pages by date_added.
  auto res = Get(base + "?limit=2");
  std::string last = std::string(res["X-TAXII-Date-Added-Last"]);
  auto after = Ids(Body(Get(base + "?added_after=" + last)));
  EXPECT_EQ(after.size(), 4u);
  EXPECT_EQ(Get(base + "?added_after=not-a-time").result_int(), 400);

  // A collection's own filter applies on top.
  ids = Ids(Body(Get(std::string("/api/collections/") + kReadOnly + "/objects/")));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(
      Ids(Body(Get(std::string("/api/collections/") + kReadOnly + "/objects/?match[type]=malware")))
          .size(),
      0u);
  EXPECT_EQ(Ids(Body(Get(std::string("/api/collections/") + kEmpty + "/objects/"))).size(), 0u);
}

TEST_F(TaxiiTest, ManifestAndVersions) {
  std::string base = std::string("/api/collections/") + kMain;
  auto res = Get(base + "/manifest/?limit=2");
  ASSERT_EQ(res.result_int(), 200);
  auto m = Body(res);
  const auto& rec = m.find("objects")->array().at(0);
  EXPECT_NE(rec.find("id"), nullptr);
  EXPECT_NE(rec.find("date_added"), nullptr);
  EXPECT_EQ(rec.find("version")->str(), "2017-01-27T13:49:53.997Z");
  EXPECT_EQ(rec.find("media_type")->str(), "application/stix+json;version=2.1");
  int pages = 1;
  while (m.find("more")->boolean()) {
    m = Body(Get(base + "/manifest/?limit=2&next=" + m.find("next")->str()));
    ++pages;
  }
  EXPECT_EQ(pages, 3);

  std::string id = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e";
  auto v = Body(Get(base + "/objects/" + id + "/versions/"));
  ASSERT_EQ(v.find("versions")->size(), 2u);
  EXPECT_FALSE(v.find("more")->boolean());
  auto v1 = Body(Get(base + "/objects/" + id + "/versions/?limit=1"));
  EXPECT_TRUE(v1.find("more")->boolean());
  EXPECT_EQ(v1.find("versions")->size(), 1u);
  EXPECT_EQ(
      Get(base + "/objects/indicator--00000000-0000-4000-8000-000000000000/versions/").result_int(),
      404);

  // The single-object endpoint: all versions, paged.
  auto o = Body(Get(base + "/objects/" + id + "/?match[version]=all&limit=1"));
  EXPECT_EQ(Ids(o).size(), 1u);
  EXPECT_TRUE(o.find("more")->boolean());
  // Nothing newer than the last addition: 200 with an empty envelope.
  auto r = Get(base + "/objects/" + id + "/");
  std::string last = std::string(r["X-TAXII-Date-Added-Last"]);
  auto empty = Get(base + "/objects/" + id + "/?added_after=" + last);
  EXPECT_EQ(empty.result_int(), 200);
  EXPECT_EQ(Ids(Body(empty)).size(), 0u);
}

// Status resources are kept within a byte budget as well as a count, oldest evicted first: a
// soak of large envelopes must not grow the node's memory without bound.
TEST_F(TaxiiTest, StatusResourcesAreKeptWithinAByteBudget) {
  ServiceOptions options;
  options.collections = {{kMain, "Main", "", "", true, true, {}, "", ""}};
  options.max_status_bytes = 3000;
  NodeService small(*store_, ids_->access(), options);
  std::vector<std::string> status_ids;
  for (int i = 0; i < 12; ++i) {
    std::string body = "{\"objects\":[";
    for (int k = 0; k < 5; ++k) {
      char id[64];
      std::snprintf(id, sizeof id, "indicator--%08x-7c4b-4bd9-9e6e-6fb0f3e3c1a1", i * 5 + k);
      if (k) body += ",";
      body +=
          std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
          R"(","created":"2024-03-01T00:00:00.000Z","modified":"2024-03-01T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"})";
    }
    body += "]}";
    auto res = small.Handle(
        MakeRequest(http::verb::post, std::string("/api/collections/") + kMain + "/objects/",
                    "admin-token", body),
        {});
    ASSERT_EQ(res.result_int(), 202) << res.body();
    ASSERT_GT(res.body().size(), 400u);  // 12 of them are over the budget
    status_ids.push_back(Body(res).find("id")->str());
  }
  auto status = [&](const std::string& id) {
    return small.Handle(MakeRequest(http::verb::get, "/api/status/" + id + "/", "admin-token"), {})
        .result_int();
  };
  EXPECT_EQ(status(status_ids.front()), 404);  // evicted
  EXPECT_EQ(status(status_ids.back()), 200);   // the latest is always kept
  int kept = 0;
  for (const auto& id : status_ids) kept += status(id) == 200;
  EXPECT_GE(kept, 2);
  EXPECT_LT(kept, 12);
}

TEST_F(TaxiiTest, PostReturnsStatusAndIsIdempotent) {
  std::string obj =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--0b8f4a0c-7c4b-4bd9-9e6e-6fb0f3e3c1a1","created":"2024-03-01T00:00:00.000Z","modified":"2024-03-01T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"})";
  std::size_t events_before = events_.size();
  auto res = Post(kMain, "{\"objects\":[" + obj + "]}");
  ASSERT_EQ(res.result_int(), 202);
  EXPECT_EQ(res[http::field::content_type], kTaxii);
  auto status = Body(res);
  EXPECT_EQ(status.find("status")->str(), "complete");
  EXPECT_EQ(status.find("success_count")->as_int64(), 1);
  EXPECT_EQ(status.find("total_count")->as_int64(), 1);
  EXPECT_EQ(status.find("pending_count")->as_int64(), 0);
  EXPECT_EQ(status.find("successes")->array().at(0).find("version")->str(),
            "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(events_.size(), events_before + 1);
  EXPECT_EQ(events_.back().kind, "share");
  // The log leaf names the exact text stored (sha256sum of `obj`, computed outside the code).
  EXPECT_EQ(events_.back().payload_hash,
            "sha256:d3e13b26e90dbd02029468a150214bd4ab778c5fe3f3c8a2a21abb7091ba5c9e");
  EXPECT_EQ(events_.back().subject, "indicator--0b8f4a0c-7c4b-4bd9-9e6e-6fb0f3e3c1a1");

  auto got = Get("/api/status/" + status.find("id")->str() + "/");
  ASSERT_EQ(got.result_int(), 200);
  EXPECT_EQ(Body(got).find("success_count")->as_int64(), 1);
  EXPECT_EQ(Get("/api/status/2d086da7-4bdc-4f91-900e-d77486753710/").result_int(), 404);

  // Re-delivery: still a success, nothing new stored or logged.
  auto again = Body(Post(kMain, "{\"objects\":[" + obj + "]}"));
  EXPECT_EQ(again.find("success_count")->as_int64(), 1);
  EXPECT_EQ(again.find("failures"), nullptr);
  EXPECT_EQ(events_.size(), events_before + 1);

  // One bad object among good ones: the good ones are stored, the bad one named.
  auto mixed = Body(Post(
      kMain,
      R"({"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--bad"},)" +
          std::string(
              R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--1d2e1d77-7a2c-5b6c-9a2e-6f1f6f0a5c11","value":"203.0.113.9"}]})")));
  EXPECT_EQ(mixed.find("success_count")->as_int64(), 1);
  EXPECT_EQ(mixed.find("failure_count")->as_int64(), 1);
  EXPECT_EQ(mixed.find("failures")->array().at(0).find("id")->str(), "indicator--bad");

  // A conflicting duplicate (same id and version, other content) is a failure; stored one kept.
  std::string changed = obj;
  changed.replace(changed.find("evil.example"), 12, "good.example");
  auto conflict = Body(Post(kMain, "{\"objects\":[" + changed + "]}"));
  EXPECT_EQ(conflict.find("failure_count")->as_int64(), 1);
  auto stored = Body(Get(std::string("/api/collections/") + kMain +
                         "/objects/indicator--0b8f4a0c-7c4b-4bd9-9e6e-6fb0f3e3c1a1/"));
  EXPECT_NE(stored.find("objects")->array().at(0).find("pattern")->str().find("evil.example"),
            std::string::npos);
}

// Objects are validated before the store's batch is begun; the status still lists
// successes and failures (validation, collection scope, store conflicts) in input order, and
// writers on several threads at once all land.
TEST_F(TaxiiTest, PostOutcomesKeepInputOrderAndConcurrentPostsAllLand) {
  auto indicator = [](int n, const char* domain) {
    char id[80];
    std::snprintf(id, sizeof id, "indicator--%08d-7c4b-4bd9-9e6e-6fb0f3e3c1a1", n);
    return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
           R"(","created":"2024-03-01T00:00:00.000Z","modified":"2024-03-01T00:00:00.000Z","pattern":"[domain-name:value = ')" +
           domain + R"(']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"})";
  };
  ASSERT_EQ(Post(kMain, "{\"objects\":[" + indicator(1, "a.example") + "]}").result_int(), 202);
  auto status = Body(Post(kMain, "{\"objects\":[" + indicator(2, "b.example") +
                                     R"(,{"type":"indicator","id":"indicator--bad"},)" +
                                     indicator(1, "changed.example") + "," +  // conflict
                                     indicator(3, "c.example") + R"(,"not an object"]})"));
  EXPECT_EQ(status.find("total_count")->as_int64(), 5);
  EXPECT_EQ(status.find("success_count")->as_int64(), 2);
  ASSERT_EQ(status.find("failure_count")->as_int64(), 3);
  const auto& ok = status.find("successes")->array();
  EXPECT_EQ(ok.at(0).find("id")->str(), "indicator--00000002-7c4b-4bd9-9e6e-6fb0f3e3c1a1");
  EXPECT_EQ(ok.at(1).find("id")->str(), "indicator--00000003-7c4b-4bd9-9e6e-6fb0f3e3c1a1");
  const auto& failed = status.find("failures")->array();
  EXPECT_EQ(failed.at(0).find("id")->str(), "indicator--bad");
  EXPECT_EQ(failed.at(1).find("id")->str(), "indicator--00000001-7c4b-4bd9-9e6e-6fb0f3e3c1a1");
  EXPECT_NE(failed.at(1).find("message")->str().find("different content"), std::string::npos)
      << failed.at(1).find("message")->str();
  EXPECT_EQ(failed.at(2).find("message")->str(), "not a JSON object");

  // Two writers, 40 envelopes of 25 new objects each, side by side.
  std::size_t events_before = events_.size();
  std::atomic<int> accepted{0};
  auto writer = [&](int first) {
    for (int e = 0; e < 20; ++e) {
      std::string body = "{\"objects\":[";
      for (int i = 0; i < 25; ++i) {
        body += (i ? "," : "") + indicator(first + e * 25 + i, "many.example");
      }
      auto res = Post(kMain, body + "]}");
      if (res.result_int() == 202 && Body(res).find("success_count")->as_int64() == 25) {
        ++accepted;
      }
    }
  };
  std::thread a(writer, 1000), b(writer, 2000);
  a.join();
  b.join();
  EXPECT_EQ(accepted.load(), 40);
  EXPECT_EQ(events_.size(), events_before + 1000);
  store::Query many;
  many.types = {"indicator"};
  many.limit = 10000;
  auto page = store_->Find(many);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::size_t landed = 0;
  for (const auto& o : page->objects) {
    if (o.json.find("many.example") != std::string::npos) ++landed;
  }
  EXPECT_EQ(landed, 1000u);
}

TEST_F(TaxiiTest, PostRefusals) {
  // A bare object, not an envelope.
  auto res = Post(kMain, R"({"type":"ipv4-addr","id":"ipv4-addr--1","value":"1.2.3.4"})");
  EXPECT_EQ(res.result_int(), 422);
  auto e = Body(res);
  EXPECT_EQ(e.find("title")->str(), "ProcessingError");
  EXPECT_EQ(e.find("http_status")->str(), "422");
  EXPECT_EQ(
      e.find("description")->str().rfind("While processing supplied content, an error occurred", 0),
      0u);
  EXPECT_EQ(Post(kMain, "{\"objects\":[").result_int(), 400);
  // Content-Type and Accept negotiation.
  auto req = MakeRequest(http::verb::post, std::string("/api/collections/") + kMain + "/objects/",
                         "admin-token", R"({"objects":[]})");
  req.set(http::field::content_type, "application/json");
  EXPECT_EQ(service_->Handle(req, {}).result_int(), 415);
  auto get = MakeRequest(http::verb::get, "/api/collections/", "admin-token");
  get.set(http::field::accept, "application/json");
  EXPECT_EQ(service_->Handle(get, {}).result_int(), 406);
  get.set(http::field::accept, "application/taxii+json;version=2.0");
  EXPECT_EQ(service_->Handle(get, {}).result_int(), 406);
  get.set(http::field::accept, "application/taxii+json");
  EXPECT_EQ(service_->Handle(get, {}).result_int(), 200);
  // Writing where one may not.
  EXPECT_EQ(Post(kReadOnly, R"({"objects":[]})").result_int(), 403);
  EXPECT_EQ(Post(kMain, R"({"objects":[]})", "reader-token").result_int(), 403);
  EXPECT_EQ(Post("12345678-1234-1234-1234-123456789012", R"({"objects":[]})").result_int(), 404);
  // Oversized envelope.
  std::string big = "{\"objects\":[\"" + std::string(2 << 20, 'a') + "\"]}";
  EXPECT_EQ(Post(kMain, big).result_int(), 413);
}

TEST_F(TaxiiTest, AuthenticationAndForbiddenCollections) {
  for (std::string target :
       {std::string("/api/collections/"), std::string("/api/collections/") + kMain + "/objects/",
        std::string("/api/collections/") + kMain + "/manifest/", std::string("/api/status/x/")}) {
    auto res = Get(target, "");
    EXPECT_EQ(res.result_int(), 401) << target;
    EXPECT_FALSE(res[http::field::www_authenticate].empty());
    EXPECT_EQ(Get(target, "ent1_0123456789abcdef_" + std::string(64, '0')).result_int(), 401)
        << target;
  }
  EXPECT_EQ(Post(kMain, R"({"objects":[]})", "").result_int(), 401);
  for (std::string suffix :
       {"/objects/", "/manifest/", "/objects/indicator--cd981c25-8042-4166-8945-51178443bdac/"}) {
    EXPECT_EQ(Get(std::string("/api/collections/") + kForbidden + suffix).result_int(), 403)
        << suffix;
  }
}

TEST_F(TaxiiTest, DeleteVersions) {
  std::string base = std::string("/api/collections/") + kMain + "/objects/";
  std::string id = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e";
  // Readers may not delete.
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::delete_, base + id + "/", "reader-token"), {})
                .result_int(),
            403);
  // Only the first version.
  auto res = service_->Handle(
      MakeRequest(http::verb::delete_, base + id + "/?match[version]=first", "admin-token"), {});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  auto versions = Body(Get(base + id + "/versions/"));
  ASSERT_EQ(versions.find("versions")->size(), 1u);
  EXPECT_EQ(versions.find("versions")->array().at(0).str(), "2017-01-27T13:49:53.935Z");
  // Then the whole object.
  res = service_->Handle(MakeRequest(http::verb::delete_, base + id + "/", "admin-token"), {});
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(Get(base + id + "/").result_int(), 404);
  EXPECT_EQ(Get(base + id + "/versions/").result_int(), 404);
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::delete_, base + id + "/", "admin-token"), {})
                .result_int(),
            404);
  EXPECT_EQ(events_.back().kind, "delete");
}

TEST_F(TaxiiTest, HostilePathsAndMethods) {
  EXPECT_EQ(Get("/api/collections/../../etc/passwd").result_int(), 400);
  EXPECT_EQ(Get("/api//collections/").result_int(), 400);
  EXPECT_EQ(Get("/api/collections/%2e%2e/").result_int(), 404);
  EXPECT_EQ(Get("/api/collections/?limit=%zz").result_int(), 400);
  EXPECT_EQ(Get("/api/collections/?a=1&a=2").result_int(), 400);
  EXPECT_EQ(Get("/nowhere").result_int(), 404);
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::put, "/api/collections/", "admin-token"), {})
                .result_int(),
            405);
  EXPECT_EQ(Get(std::string("/api/collections/") + kMain + "/objects/not-an-id/").result_int(),
            404);
}

TEST_F(TaxiiTest, RestApiReadsAndWrites) {
  auto req =
      MakeRequest(http::verb::get, "/api/v1/objects/malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec",
                  "reader-token");
  auto res = service_->Handle(req, {});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(Body(res).find("name")->str(), "Poison Ivy");

  res =
      service_->Handle(MakeRequest(http::verb::get, "/api/v1/search?q=Poison", "reader-token"), {});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_GE(Body(res).find("objects")->size(), 1u);

  res = service_->Handle(
      MakeRequest(http::verb::get,
                  "/api/v1/objects/indicator--00000000-0000-4000-8000-000000000000",
                  "reader-token"),
      {});
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(Body(res).find("error")->find("code")->str(), "not_found");

  res = service_->Handle(MakeRequest(http::verb::get, "/api/v1/objects/nonsense", "reader-token"),
                         {});
  EXPECT_EQ(res.result_int(), 400);

  std::string bundle =
      R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"example.com"}]})";
  auto post = MakeRequest(http::verb::post, "/api/v1/objects", "reader-token", bundle);
  post.set(http::field::content_type, "application/json");
  res = service_->Handle(post, {});
  EXPECT_EQ(res.result_int(), 403);
  EXPECT_EQ(Body(res).find("error")->find("code")->str(), "permission_denied");
  post.set(http::field::authorization, "Bearer " + ids_->Token("analyst-token"));
  res = service_->Handle(post, {});
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(Body(res).find("stored")->as_int64(), 1);

  res = service_->Handle(MakeRequest(http::verb::get, "/api/v1/whoami", "analyst-token"), {});
  EXPECT_EQ(Body(res).find("member_state")->str(), "FR");
  res = service_->Handle(MakeRequest(http::verb::get, "/api/v1/stats", "reader-token"), {});
  EXPECT_EQ(Body(res).find("objects")->as_int64(), 7);
  res = service_->Handle(
      MakeRequest(http::verb::get, "/api/v1/objects?type=indicator&limit=2", "reader-token"), {});
  auto page = Body(res);
  EXPECT_EQ(page.find("objects")->size(), 2u);
  EXPECT_TRUE(page.find("more")->boolean());
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::get, "/api/v1/stats", ""), {}).result_int(),
            401);
}

TEST_F(TaxiiTest, OperationsEndpoints) {
  auto res = service_->Handle(MakeRequest(http::verb::get, "/healthz"), {});
  EXPECT_EQ(res.result_int(), 200);
  service_->SetReady(false);
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::get, "/readyz"), {}).result_int(), 503);
  service_->SetReady(true);
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::get, "/readyz"), {}).result_int(), 200);
  Get(std::string("/api/collections/") + kMain + "/objects/");
  res = service_->Handle(MakeRequest(http::verb::get, "/metrics"), {});
  ASSERT_EQ(res.result_int(), 200);
  const std::string& text = res.body();
  EXPECT_NE(text.find("entente_http_requests_total{route=\"taxii_read\",code=\"2xx\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("entente_objects_ingested_total 7"), std::string::npos) << text;
  EXPECT_NE(text.find("entente_store_objects 6"), std::string::npos) << text;
  EXPECT_NE(text.find("entente_http_request_duration_seconds_bucket{le=\"+Inf\"}"),
            std::string::npos);
  // The same object read twice by id: the second from the object cache.
  auto hits = [&] {
    std::string m = service_->Handle(MakeRequest(http::verb::get, "/metrics"), {}).body();
    auto at = m.find("\nentente_store_cache_hits_total ");
    return at == std::string::npos ? -1 : std::stoll(m.substr(at + 32));
  };
  long long before = hits();
  std::string object =
      std::string("/api/v1/objects/indicator--cd981c25-8042-4166-8945-51178443bdac");
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::get, object, "reader-token"), {}).result_int(),
            200);
  EXPECT_EQ(service_->Handle(MakeRequest(http::verb::get, object, "reader-token"), {}).result_int(),
            200);
  EXPECT_GE(hits(), before + 1);
}

}  // namespace
}  // namespace entente::server
