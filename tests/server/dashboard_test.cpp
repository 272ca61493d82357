// What the node serves for the dashboard: static files (types, caching, CSP, no way out of the
// build directory), the situation aggregates and referrers under the read rule, and the live
// events stream (the read rule, the subscriber bound, delivery over a real socket, and the end
// of the stream when the server stops).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "entente/base/time.h"
#include "entente/server/dashboard.h"
#include "entente/server/http_server.h"
#include "entente/stix/markings.h"
#include "server_test_util.h"

namespace entente::server {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kFrOrg = "identity--0d1e3c4b-6f0a-4d55-9a7e-5b0a3f1c2e01";
constexpr const char* kDeOrg = "identity--7a9c2b10-3f4e-4c6d-8e1f-2a3b4c5d6e02";
constexpr const char* kIndicator = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
constexpr const char* kIncidentFr = "incident--1b1e7a0e-4b7c-4a57-9a53-6b5a4d3c2b11";
constexpr const char* kIncidentDe = "incident--2c2f8b1f-5c8d-4b68-8b64-7c6b5e4d3c22";
constexpr const char* kIncidentAmber = "incident--3d309c20-6d9e-4c79-9c75-8d7c6f5e4d33";
constexpr const char* kSandworm = "intrusion-set--4e41ad31-7eaf-4d8a-8d86-9e8d70615e44";

void WriteFile(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

HttpRequest Get(std::string target, std::string token = "") {
  HttpRequest req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  return req;
}

// ---- static files -------------------------------------------------------------------------------

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<testing::TempDir>("static");
    root_ = dir_->path() / "dist";
    WriteFile(root_ / "index.html", "<!doctype html><title>Entente</title>");
    WriteFile(root_ / "assets/index-3f2a.js", "console.log(1)");
    WriteFile(root_ / "assets/index-3f2a.css", "body{}");
    WriteFile(root_ / "assets/inter-latin.woff2", "wOF2");
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(dir_->path() / "outside.txt", "outside the build");
    fs::create_symlink(dir_->path() / "outside.txt", root_ / "assets/link.txt");
    auto site = StaticSite::Open(root_);
    ASSERT_TRUE(site.ok()) << site.status().ToString();
    site_ = std::move(*site);
  }
  std::unique_ptr<testing::TempDir> dir_;
  fs::path root_;
  std::unique_ptr<StaticSite> site_;
};

TEST_F(StaticSiteTest, ServesFilesWithTypesCachingAndPolicy) {
  auto index = site_->Serve(Get("/"), "/");
  ASSERT_EQ(index.result_int(), 200);
  EXPECT_EQ(index.body(), "<!doctype html><title>Entente</title>");
  EXPECT_EQ(index[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index[http::field::cache_control], "no-cache");
  EXPECT_EQ(index["Content-Security-Policy"], kDashboardCsp);
  EXPECT_EQ(index["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(index["X-Frame-Options"], "DENY");
  // The policy allows nothing from elsewhere and no inline script.
  std::string csp(kDashboardCsp);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("http"), std::string::npos);

  auto js = site_->Serve(Get("/assets/index-3f2a.js"), "/assets/index-3f2a.js");
  ASSERT_EQ(js.result_int(), 200);
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js[http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(site_->Serve(Get("/assets/index-3f2a.css"),
                         "/assets/index-3f2a.css")[http::field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(site_->Serve(Get("/assets/inter-latin.woff2"),
                         "/assets/inter-latin.woff2")[http::field::content_type],
            "font/woff2");

  // Revalidation with the ETag.
  auto again = Get("/");
  again.set(http::field::if_none_match, index[http::field::etag]);
  EXPECT_EQ(site_->Serve(again, "/").result_int(), 304);

  // HEAD has the length and no body; writing methods are refused.
  auto head = Get("/");
  head.method(http::verb::head);
  auto h = site_->Serve(head, "/");
  EXPECT_EQ(h.result_int(), 200);
  EXPECT_TRUE(h.body().empty());
  auto post = Get("/");
  post.method(http::verb::post);
  EXPECT_EQ(site_->Serve(post, "/").result_int(), 405);
}

TEST_F(StaticSiteTest, NothingOutsideTheBuildIsReachable) {
  for (std::string path : std::vector<std::string>{
           "/../outside.txt", "/assets/../../outside.txt", "/assets/link.txt", "/.env",
           "/%2e%2e/outside.txt", "/assets//index-3f2a.js", "/assets\\index-3f2a.js", "/assets",
           "/missing.js", "//etc/passwd", "/assets/./index-3f2a.js", std::string("/a\0b", 4),
           "/C:/windows", "relative"}) {
    auto res = site_->Serve(Get("/x"), path);
    EXPECT_EQ(res.result_int(), 404) << path;
    EXPECT_EQ(res.body().find("outside the build"), std::string::npos) << path;
    EXPECT_EQ(res.body().find("SECRET"), std::string::npos) << path;
  }
}

TEST(StaticSiteOpenTest, RefusesADirectoryWithoutIndex) {
  testing::TempDir dir("static-open");
  EXPECT_EQ(StaticSite::Open(dir.path()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(StaticSite::Open(dir.path() / "nope").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ContentTypeFor("a.SVG"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
}

// ---- through the node service
// ---------------------------------------------------------------------

class DashboardFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<testing::TempDir>("dashboard");
    auto s = store::Store::Open((dir_->path() / "store.db").string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ids_ = std::make_unique<testing::TestIdentities>(dir_->path());
    WriteFile(dir_->path() / "dist/index.html", "<!doctype html><title>Entente</title>");
    auto site = StaticSite::Open(dir_->path() / "dist");
    ASSERT_TRUE(site.ok());
    site_ = std::move(*site);
    ServiceOptions options;
    options.dashboard = site_.get();
    options.max_event_streams = 2;
    service_ = std::make_unique<NodeService>(*store_, ids_->access(), options);
  }

  HttpResponse Call(http::verb method, const std::string& target, const std::string& who,
                    std::string body = "", const ConnectionInfo& conn = {}) {
    auto req = testing::MakeRequest(method, target, who.empty() ? "" : ids_->Token(who + "-token"),
                                    std::move(body));
    req.set(http::field::content_type, "application/json");
    return service_->Handle(req, conn);
  }

  static std::string Obj(std::string type, std::string id, std::string extra) {
    return R"({"type":")" + type + R"(","spec_version":"2.1","id":")" + id +
           R"(","created":"2024-05-01T00:00:00.000Z","modified":"2024-05-01T00:00:00.000Z")" +
           extra + "}";
  }
  static std::string Amber() {
    return R"(,"object_marking_refs":[")" + std::string(stix::Tlp2MarkingId(stix::Tlp::kAmber)) +
           R"("],"x_entente_recipients":[")" + kFrOrg + R"("])";
  }

  // Two member states' identities, three incidents (one AMBER for FR only), an indicator
  // sighted in DE (5 times) and in FR (twice, AMBER), and an attribution of the FR incident.
  void Ingest() {
    std::vector<std::string> objects = {
        Obj("identity", kFrOrg,
            R"(,"name":"ANSSI","identity_class":"organization","sectors":["government"],"x_entente_member_state":"FR")"),
        Obj("identity", kDeOrg,
            R"(,"name":"BSI","identity_class":"organization","sectors":["government"],"x_entente_member_state":"DE")"),
        Obj("incident", kIncidentFr,
            std::string(R"(,"name":"Grid operator intrusion","created_by_ref":")") + kFrOrg +
                R"(","x_entente_severity":"high","x_entente_sector":"energy")"),
        Obj("incident", kIncidentDe,
            std::string(R"(,"name":"Ministry phishing","created_by_ref":")") + kDeOrg +
                R"(","x_entente_severity":"medium")"),
        Obj("incident", kIncidentAmber,
            std::string(R"(,"name":"Restricted case","created_by_ref":")") + kFrOrg +
                R"(","x_entente_severity":"low")" + Amber()),
        Obj("indicator", kIndicator,
            R"(,"name":"gacyzuz.com","pattern":"[domain-name:value = 'gacyzuz.com']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z")"),
        Obj("sighting", "sighting--5f52be42-8fb0-4e9b-9e97-af9e81726f55",
            std::string(R"(,"sighting_of_ref":")") + kIndicator + R"(","where_sighted_refs":[")" +
                kDeOrg + R"("],"count":5,"last_seen":"2024-05-02T10:00:00Z")"),
        Obj("sighting", "sighting--6063cf53-90c1-4fac-8fa8-b0af92837066",
            std::string(R"(,"sighting_of_ref":")") + kIndicator + R"(","where_sighted_refs":[")" +
                kFrOrg + R"("],"count":2,"last_seen":"2024-05-03T10:00:00Z")" + Amber()),
        Obj("intrusion-set", kSandworm, R"(,"name":"Sandworm Team")"),
        Obj("relationship", "relationship--7174d064-a1d2-4fbd-9fb9-c1b0a3948177",
            std::string(R"(,"relationship_type":"attributed-to","source_ref":")") + kIncidentFr +
                R"(","target_ref":")" + kSandworm + "\""),
        Obj("note", "note--8285e175-b2e3-4ace-8aca-d2c1b4a59288",
            std::string(
                R"(,"content":"why","abstract":"Attribution engine assessment","object_refs":[")") +
                kIncidentFr + R"("])"),
    };
    std::string bundle = "[";
    for (std::size_t i = 0; i < objects.size(); ++i) bundle += (i ? "," : "") + objects[i];
    bundle += "]";
    auto res = Call(http::verb::post, "/api/v1/objects", "analyst", bundle);
    ASSERT_EQ(res.result_int(), 200) << res.body();
    ASSERT_EQ(res.body().find("failures\":[{"), std::string::npos) << res.body();
  }

  json::Value Situation(const std::string& who) {
    auto res = Call(http::verb::get, "/api/v1/situation?since=2024-01-01T00:00:00Z", who);
    EXPECT_EQ(res.result_int(), 200) << res.body();
    auto v = json::Value::Parse(res.body());
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : json::Value();
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::TestIdentities> ids_;
  std::unique_ptr<StaticSite> site_;
  std::unique_ptr<NodeService> service_;
};

std::int64_t At(const json::Value& v, std::string_view a, std::string_view b, std::string_view c) {
  const json::Value* x = v.find(a);
  if (x) x = x->find(b);
  if (x) x = x->find(c);
  return x ? x->as_int64().value_or(-1) : -1;
}

TEST_F(DashboardFixture, DashboardIsServedOutsideTheApisWhichStillNeedAToken) {
  auto page = Call(http::verb::get, "/", "");
  EXPECT_EQ(page.result_int(), 200);
  EXPECT_EQ(page["Content-Security-Policy"], kDashboardCsp);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/situation", "").result_int(), 401);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/events", "").result_int(), 401);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/stats", "").result_int(), 401);
  EXPECT_EQ(Call(http::verb::get, "/../etc/passwd", "").result_int(), 400);
  EXPECT_EQ(Call(http::verb::get, "/nothing.js", "").result_int(), 404);
}

TEST_F(DashboardFixture, SituationCountsOnlyWhatTheCallerMayRead) {
  Ingest();
  // The DE reader sees neither the AMBER incident nor the AMBER sighting (FR only).
  json::Value de = Situation("reader");
  EXPECT_EQ(de.find("incidents")->size(), 2u);
  EXPECT_EQ(de.find("sightings")->size(), 1u);
  EXPECT_EQ(At(de, "by_state", "FR", "incidents"), 1);
  EXPECT_EQ(At(de, "by_state", "FR", "sightings"), 0);
  EXPECT_EQ(At(de, "by_state", "DE", "incidents"), 1);
  EXPECT_EQ(At(de, "by_state", "DE", "sightings"), 5);
  EXPECT_EQ(At(de, "by_sector", "energy", "incidents"), 1);      // the incident's own sector
  EXPECT_EQ(At(de, "by_sector", "government", "incidents"), 1);  // its creator's sector
  EXPECT_EQ(At(de, "by_day", "2024-05-01", "incidents"), 2);
  EXPECT_EQ(At(de, "by_day", "2024-05-02", "sightings"), 5);
  EXPECT_EQ(de.Serialize().find(kIncidentAmber), std::string::npos);
  EXPECT_EQ(de.Serialize().find("Restricted case"), std::string::npos);
  const auto& top = de.find("top_indicators")->array();
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].find("id")->str(), kIndicator);
  EXPECT_EQ(top[0].find("name")->str(), "gacyzuz.com");
  EXPECT_EQ(top[0].find("sightings")->as_int64(), 5);
  const auto& actors = de.find("top_actors")->array();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(actors[0].find("name")->str(), "Sandworm Team");
  EXPECT_EQ(actors[0].find("incidents")->as_int64(), 1);

  // The FR analyst (a recipient) sees everything.
  json::Value fr = Situation("analyst");
  EXPECT_EQ(fr.find("incidents")->size(), 3u);
  EXPECT_EQ(At(fr, "by_state", "FR", "incidents"), 2);
  EXPECT_EQ(At(fr, "by_state", "FR", "sightings"), 2);
  EXPECT_EQ(fr.find("top_indicators")->array()[0].find("sightings")->as_int64(), 7);
  // Rows carry what the browser filters on.
  bool found = false;
  for (const auto& row : fr.find("incidents")->array()) {
    if (row.find("id")->str() != kIncidentAmber) continue;
    found = true;
    EXPECT_EQ(row.find("tlp")->str(), "TLP:AMBER");
    EXPECT_EQ(row.find("severity")->str(), "low");
    EXPECT_EQ(row.find("state")->str(), "FR");
  }
  EXPECT_TRUE(found);

  // A period before everything is empty; a bad timestamp is a 400 naming the parameter.
  auto later = Call(http::verb::get, "/api/v1/situation?since=2025-01-01T00:00:00Z", "analyst");
  EXPECT_NE(later.body().find("\"incidents\":[]"), std::string::npos) << later.body();
  auto bad = Call(http::verb::get, "/api/v1/situation?since=yesterday", "analyst");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_NE(bad.body().find("since"), std::string::npos);
}

TEST_F(DashboardFixture, ReferrersOfAnIncidentRespectTheReadRule) {
  Ingest();
  auto res = Call(http::verb::get, std::string("/api/v1/referrers?id=") + kIncidentFr, "reader");
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_NE(res.body().find("note--8285e175"), std::string::npos);
  EXPECT_NE(res.body().find("relationship--7174d064"), std::string::npos);
  EXPECT_EQ(res.body().find("sighting--"), std::string::npos);
  // The indicator is referred to by both sightings; the reader sees only the GREEN one.
  auto s = Call(http::verb::get, std::string("/api/v1/referrers?id=") + kIndicator, "reader");
  EXPECT_NE(s.body().find("sighting--5f52be42"), std::string::npos);
  EXPECT_EQ(s.body().find("sighting--6063cf53"), std::string::npos);
  auto fr = Call(http::verb::get, std::string("/api/v1/referrers?id=") + kIndicator, "analyst");
  EXPECT_NE(fr.body().find("sighting--6063cf53"), std::string::npos);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/referrers?id=nope", "reader").result_int(), 400);
  // Several ids in one pass; the named objects themselves are not listed.
  auto both = Call(
      http::verb::get,
      std::string("/api/v1/referrers?id=") + kIncidentFr + "," + kSandworm + "&type=relationship",
      "reader");
  ASSERT_EQ(both.result_int(), 200) << both.body();
  EXPECT_NE(both.body().find("relationship--7174d064"), std::string::npos);
  EXPECT_EQ(both.body().find("note--"), std::string::npos);
}

TEST_F(DashboardFixture, EventStreamSendsOnlyReadableObjects) {
  auto caller =
      ids_->access().Authenticate("Bearer " + ids_->Token("reader-token"), Now().nanos / 1000);
  ASSERT_TRUE(caller.ok());
  auto count = std::make_shared<std::atomic<int>>(1);
  {
    EventStream stream(*store_, ids_->access(), *caller, 0, count);
    auto first = stream.Next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->rfind("retry: 3000\n", 0), 0u);
    Ingest();
    auto events = stream.Next();
    ASSERT_TRUE(events.has_value());
    EXPECT_NE(events->find(std::string("\"id\":\"") + kIncidentFr), std::string::npos);
    EXPECT_NE(events->find("\"row\":{\"id\":\"" + std::string(kIncidentFr)), std::string::npos);
    EXPECT_NE(events->find("event: object\ndata: "), std::string::npos);
    EXPECT_EQ(events->find(kIncidentAmber), std::string::npos);
    EXPECT_EQ(events->find("sighting--6063cf53"), std::string::npos);
    // Nothing new: nothing sent (a keep-alive comment comes only after 15 s).
    EXPECT_EQ(stream.Next().value_or("x"), "");
  }
  EXPECT_EQ(count->load(), 0);
}

TEST_F(DashboardFixture, EventStreamsAreBounded) {
  ConnectionInfo a, b, c;
  auto first = Call(http::verb::get, "/api/v1/events", "reader", "", a);
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(first[http::field::content_type], "text/event-stream");
  ASSERT_TRUE(a.stream);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/events", "analyst", "", b).result_int(), 200);
  auto third = Call(http::verb::get, "/api/v1/events", "reader", "", c);
  EXPECT_EQ(third.result_int(), 503);
  EXPECT_FALSE(c.stream);
  a.stream.reset();  // a subscriber goes away: room for one more
  EXPECT_EQ(Call(http::verb::get, "/api/v1/events", "reader", "", c).result_int(), 200);
  auto bad = testing::MakeRequest(http::verb::get, "/api/v1/events", ids_->Token("reader-token"));
  bad.set("Last-Event-ID", "abc");
  EXPECT_EQ(service_->Handle(bad, {}).result_int(), 400);
}

// Over a real socket: the header arrives at once, an object stored afterwards arrives as an
// event within a poll, and Stop() ends the stream with the last chunk.
TEST_F(DashboardFixture, EventStreamOverHttpEndsWhenTheServerStops) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = HttpServer::Start(options, [this](const HttpRequest& r, const ConnectionInfo& i) {
    return service_->Handle(r, i);
  });
  ASSERT_TRUE(server.ok());
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  timeval tv{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string request = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        ids_->Token("reader-token") + "\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string got;
  auto read_until = [&](std::string_view what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[4096];
    while (got.find(what) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      std::size_t n = socket.read_some(asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got.find(what) != std::string::npos;
  };
  ASSERT_TRUE(read_until("\r\n\r\n"));
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(got.find("text/event-stream"), std::string::npos);
  EXPECT_NE(got.find("chunked"), std::string::npos);
  Ingest();
  EXPECT_TRUE(read_until(kIncidentDe)) << got;
  (*server)->Stop();
  EXPECT_TRUE(read_until("\r\n0\r\n\r\n")) << got;
  (*server)->Wait();
  EXPECT_EQ(got.find(kIncidentAmber), std::string::npos);
}

}  // namespace
}  // namespace entente::server
