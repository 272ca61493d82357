// Pulls between in-process nodes over TLS on loopback: node "fr" serves its federation feed and
// ledger from an HttpServer; node "de" pulls with Federation::SyncPeer.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>

#include "entente/base/json.h"
#include "entente/federation/distribution.h"
#include "entente/federation/federation.h"
#include "entente/federation/page.h"
#include "entente/ledger/ledger.h"
#include "entente/server/http_server.h"
#include "entente/stix/validate.h"
#include "test_util.h"

namespace entente::federation {
namespace {

using crypto::hybrid::SigSuite;

using testing::Indicator;
using testing::Tlp;

constexpr std::string_view kG1 = "indicator--11111111-1111-4111-8111-111111111111";
constexpr std::string_view kG2 = "indicator--22222222-2222-4222-8222-222222222222";
constexpr std::string_view kRedDe = "indicator--33333333-3333-4333-8333-333333333333";
constexpr std::string_view kRedEe = "indicator--44444444-4444-4444-8444-444444444444";
constexpr std::string_view kAmberNobody = "indicator--55555555-5555-4555-8555-555555555555";
constexpr std::string_view kOneHop = "indicator--66666666-6666-4666-8666-666666666666";
constexpr std::string_view kLocalOnly = "indicator--77777777-7777-4777-8777-777777777777";

Status Put(store::Store& s, const std::string& object) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(std::string_view(object)));
  stix::ObjectHeader h;
  ENTENTE_RETURN_IF_ERROR(stix::Validator().Check(doc.root(), &h));
  ENTENTE_ASSIGN_OR_RETURN(auto batch, s.BeginBatch());
  ENTENTE_RETURN_IF_ERROR(batch->Put(h, object).status());
  return batch->Commit();
}

std::string Param(std::string_view target, std::string_view key) {
  auto at = target.find(std::string(key) + "=");
  if (at == std::string_view::npos) return {};
  auto v = target.substr(at + key.size() + 1);
  return std::string(v.substr(0, v.find('&')));
}

enum class Mode { kHonest, kForged, kCorrupted, kReplayed };

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/node.crt";
    ASSERT_TRUE(server::WriteSelfSignedCertificate(cert_, dir_.path() + "/node.key",
                                                   {"localhost", "127.0.0.1"})
                    .ok());
    server::ServerOptions so;
    so.address = "127.0.0.1";
    so.port = 0;
    so.threads = 1;
    so.tls.certificate_file = cert_;
    so.tls.private_key_file = dir_.path() + "/node.key";
    auto http = server::HttpServer::Start(
        so,
        [this](const server::HttpRequest& r, const server::ConnectionInfo&) { return Handle(r); });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
    std::string url = "https://127.0.0.1:" + std::to_string(http_->port()) + "/";
    trust_ = testing::MakeTrust({testing::MemberOf(fr_keys_, url, "FR"),
                                 testing::MemberOf(de_keys_, "https://127.0.0.1:9/", "DE"),
                                 testing::MemberOf(ee_keys_, "https://127.0.0.1:10/", "EE")});
    auto fs = store::Store::Open(dir_.path() + "/fr.db");
    auto ds = store::Store::Open(dir_.path() + "/de.db");
    auto fst = StateDb::Open(dir_.path() + "/fr-state.db");
    auto dst = StateDb::Open(dir_.path() + "/de-state.db");
    ASSERT_TRUE(fs.ok() && ds.ok() && fst.ok() && dst.ok());
    fr_store_ = std::move(*fs);
    de_store_ = std::move(*ds);
    fr_state_ = std::move(*fst);
    de_state_ = std::move(*dst);
    fr_ = Make("fr", *fr_store_, *fr_state_, fr_keys_);
    de_ = Make("de", *de_store_, *de_state_, de_keys_);
    std::ifstream in(cert_);
    std::stringstream pem;
    pem << in.rdbuf();
    PeerRecord peer;
    peer.node_id = "fr";
    peer.token = "token-fr-issued-to-de";
    peer.ca_pem = pem.str();
    ASSERT_TRUE(de_state_->PutPeer(peer).ok());
    ledger_ = ledger::Ledger::InMemory({.signing_key = fr_keys_.sig});
  }
  void TearDown() override {
    if (http_) {
      http_->Stop();
      http_->Wait();
    }
  }

  std::unique_ptr<Federation> Make(const std::string& id, store::Store& s, StateDb& st,
                                   const testing::NodeKeys& keys,
                                   const std::function<void(FederationOptions&)>& tune = {}) {
    LocalNode local;
    local.node_id = id;
    local.trust = trust_;
    local.sig_key = keys.sig;
    local.kem_key = keys.kem;
    FederationOptions o;
    o.page_limit = 2;  // several pages for a handful of objects
    o.timeout = std::chrono::milliseconds(5000);
    o.on_receipts = [this](const std::vector<ledger::Entry>& e) {
      std::lock_guard lock(mu_);
      receipts_.insert(receipts_.end(), e.begin(), e.end());
    };
    o.log = [](const std::string&) {};
    if (tune) tune(o);
    auto f = Federation::Create(s, st, std::move(local), o);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return std::move(*f);
  }

  server::HttpResponse Handle(const server::HttpRequest& r) {
    std::string_view target = r.target();
    server::HttpResponse res{server::http::status::ok, r.version()};
    res.keep_alive(r.keep_alive());
    if (r[server::http::field::authorization] != "Bearer token-fr-issued-to-de") {
      res.result(server::http::status::unauthorized);
      return res;
    }
    if (target.rfind("/api/v1/federation/objects", 0) == 0) {
      std::int64_t after = std::stoll(Param(target, "added_after"));
      std::size_t limit = std::stoul(Param(target, "limit"));
      Mode mode = mode_.load();
      if (mode == Mode::kForged) {
        PageWriter w("fr", "de", after);
        w.Add(Indicator(kG1, "2026-03-01T00:00:00.000Z", "forged.example"), "fr");
        res.body() = *w.Finish(after + 1, false, *rogue_.sig);
      } else {
        auto page =
            fr_->ServePage(*trust_.FindNode("de"), mode == Mode::kReplayed ? 0 : after, limit);
        if (!page.ok()) {
          res.result(server::http::status::internal_server_error);
          return res;
        }
        res.body() = *page;
        if (mode == Mode::kCorrupted) {
          auto at = res.body().find("example");
          if (at != std::string::npos) res.body()[at] = 'E';
        }
      }
    } else if (target == "/api/v1/ledger/head") {
      std::lock_guard lock(mu_);
      res.body() = ledger::ToJson(*ledger_->SignedHead());
    } else if (target.rfind("/api/v1/ledger/consistency", 0) == 0) {
      std::lock_guard lock(mu_);
      auto proof = ledger_->ConsistencyProofFor(std::stoull(Param(target, "first")),
                                                std::stoull(Param(target, "second")));
      res.body() = proof.ok() ? ledger::ToJson(*proof) : "{}";
    } else {
      res.result(server::http::status::not_found);
    }
    res.prepare_payload();
    return res;
  }

  void Publish() {
    // Three versions of one indicator, the last revoking it.
    ASSERT_TRUE(Put(*fr_store_, Indicator(kG1, "2026-01-02T00:00:00.000Z", "a.example")).ok());
    ASSERT_TRUE(Put(*fr_store_, Indicator(kG1, "2026-01-03T00:00:00.000Z", "a.example")).ok());
    ASSERT_TRUE(
        Put(*fr_store_, Indicator(kG1, "2026-01-04T00:00:00.000Z", "a.example", "", {}, true))
            .ok());
    // Versions that arrive in the other order than their `modified` (a clock ahead elsewhere).
    ASSERT_TRUE(Put(*fr_store_, Indicator(kG2, "2026-01-05T00:10:00.000Z", "b.example")).ok());
    ASSERT_TRUE(Put(*fr_store_, Indicator(kG2, "2026-01-05T00:00:00.000Z", "b.example")).ok());
    ASSERT_TRUE(Put(*fr_store_, Indicator(kRedDe, "2026-01-02T00:00:00.000Z", "red-de.example",
                                          Tlp(stix::Tlp::kRed), {de_keys_.org}))
                    .ok());
    ASSERT_TRUE(Put(*fr_store_, Indicator(kRedEe, "2026-01-02T00:00:00.000Z", "red-ee.example",
                                          Tlp(stix::Tlp::kRed), {ee_keys_.org}))
                    .ok());
    ASSERT_TRUE(Put(*fr_store_, Indicator(kAmberNobody, "2026-01-02T00:00:00.000Z", "amber.example",
                                          Tlp(stix::Tlp::kAmber),
                                          {"identity--00000000-0000-4000-8000-000000000009"}))
                    .ok());
  }

  std::int64_t LastAdded(store::Store& s) {
    store::Query q;
    q.versions = store::Versions::kAll;
    q.limit = 10000;
    auto page = s.Find(q);
    return page.ok() && !page->objects.empty() ? page->objects.back().date_added_us : 0;
  }
  std::uint64_t Versions(store::Store& s) { return s.Count()->versions; }

  testing::TempDir dir_{"sync"};
  std::string cert_;
  testing::NodeKeys fr_keys_ = testing::MakeKeys("fr"), de_keys_ = testing::MakeKeys("de"),
                    ee_keys_ = testing::MakeKeys("ee"), rogue_ = testing::MakeKeys("fr");
  identity::TrustList trust_;
  std::unique_ptr<store::Store> fr_store_, de_store_;
  std::unique_ptr<StateDb> fr_state_, de_state_;
  std::unique_ptr<Federation> fr_, de_;
  std::unique_ptr<server::HttpServer> http_;
  std::atomic<Mode> mode_{Mode::kHonest};
  std::mutex mu_;
  std::vector<ledger::Entry> receipts_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(SyncTest, PullsPagesVerifiesStoresAndIsIdempotent) {
  Publish();
  auto r = de_->SyncPeer("fr");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->pages, 4u);
  EXPECT_EQ(r->added, 7u);  // 3 + 2 versions, RED for de, RED for ee sealed; AMBER withheld
  EXPECT_EQ(r->sealed_stored, 1u);
  EXPECT_EQ(r->rejected, 0u);

  auto g1 = de_store_->Get(kG1);
  ASSERT_TRUE(g1.ok());
  EXPECT_TRUE(g1->revoked) << "revocation propagates";
  EXPECT_EQ(g1->version, "2026-01-04T00:00:00.000Z");
  auto g2 = de_store_->Get(kG2);
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->version, "2026-01-05T00:10:00.000Z") << "the latest modified wins";
  auto red = de_store_->Get(kRedDe);
  ASSERT_TRUE(red.ok()) << "RED for de reaches de";
  EXPECT_NE(red->json.find("red-de.example"), std::string::npos);
  EXPECT_EQ(de_store_->Get(kRedEe).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(de_store_->Get(kAmberNobody).status().code(), ErrorCode::kNotFound);
  store::Query sealed;
  sealed.types = {std::string(kSealedType)};
  auto held = de_store_->Find(sealed);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->objects.size(), 1u) << "RED for ee is held sealed by the relay";
  EXPECT_EQ(held->objects[0].json.find("red-ee.example"), std::string::npos);

  EXPECT_EQ(*de_state_->Cursor("fr", kFeed), LastAdded(*fr_store_));
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(receipts_.size(), 7u);
    EXPECT_EQ(receipts_[0].kind, "receipt");
    EXPECT_EQ(receipts_[0].actor, fr_keys_.org);
    EXPECT_EQ(receipts_[0].payload_hash.rfind("sha256:", 0), 0u);
  }

  // Re-delivery changes nothing: pull again from the start.
  std::uint64_t versions = Versions(*de_store_);
  ASSERT_TRUE(de_state_->CommitPage("fr", kFeed, 0, {}, 0, 0).ok());
  auto again = de_->SyncPeer("fr");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->added, 0u);
  EXPECT_EQ(again->duplicates, 7u);
  EXPECT_EQ(Versions(*de_store_), versions);

  // Incremental: only the new version travels.
  ASSERT_TRUE(Put(*fr_store_, Indicator(kG2, "2026-01-06T00:00:00.000Z", "b.example")).ok());
  auto inc = de_->SyncPeer("fr");
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(inc->received, 1u);
  EXPECT_EQ(inc->added, 1u);
  EXPECT_EQ(de_store_->Get(kG2)->version, "2026-01-06T00:00:00.000Z");
}

// A trust list replaced while running takes effect on the next request: a removed member is
// refused on both sides; a rollback, a list without this node and an expired list are not
// trusted.
TEST_F(SyncTest, AReplacedTrustListTakesEffectAtOnce) {
  Publish();
  ASSERT_TRUE(de_->SyncPeer("fr", 1).ok());
  ASSERT_NE(fr_->MemberByOrganization(de_keys_.org), nullptr);
  auto held = fr_->MemberByOrganization(de_keys_.org);  // a request in flight keeps its snapshot

  // Sequence 2 drops de.
  identity::TrustList without_de = trust_;
  without_de.sequence = 2;
  std::erase_if(without_de.members, [](const auto& m) { return m.node_id == "de"; });
  ASSERT_TRUE(fr_->ReplaceTrust(without_de).ok());
  EXPECT_EQ(fr_->trust()->sequence, 2u);
  EXPECT_EQ(fr_->MemberByOrganization(de_keys_.org), nullptr) << "de no longer speaks for a member";
  EXPECT_EQ(held->node_id, "de") << "the old snapshot stays valid while held";
  EXPECT_EQ(fr_->ServePage(*held, 0, 10).status().code(), ErrorCode::kPermissionDenied)
      << "a page for a removed member is refused even with a member object from before";

  // de's own list without fr: pulls from fr stop.
  identity::TrustList without_fr = trust_;
  without_fr.sequence = 2;
  std::erase_if(without_fr.members, [](const auto& m) { return m.node_id == "fr"; });
  ASSERT_TRUE(de_->ReplaceTrust(without_fr).ok());
  auto pulled = de_->SyncPeer("fr");
  EXPECT_EQ(pulled.status().code(), ErrorCode::kPermissionDenied) << pulled.status().ToString();

  // Rollback and a list that drops this node are refused; the current list stays.
  EXPECT_EQ(fr_->ReplaceTrust(trust_).code(), ErrorCode::kPermissionDenied);
  identity::TrustList without_fr3 = without_fr;
  without_fr3.sequence = 3;
  EXPECT_EQ(fr_->ReplaceTrust(without_fr3).code(), ErrorCode::kNotFound);
  EXPECT_EQ(fr_->trust()->sequence, 2u);

  // Back in at sequence 4: de pulls again from where it stopped.
  identity::TrustList all = trust_;
  all.sequence = 4;
  ASSERT_TRUE(fr_->ReplaceTrust(all).ok());
  ASSERT_TRUE(de_->ReplaceTrust(all).ok());
  auto rest = de_->SyncPeer("fr");
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(*de_state_->Cursor("fr", kFeed), LastAdded(*fr_store_));

  // An expired list suspends federation: nothing is served or pulled on its trust.
  identity::TrustList expired = all;
  expired.sequence = 5;
  expired.issued = Timestamp{Now().nanos - 2 * 86'400'000'000'000LL};
  expired.next_update = Timestamp{Now().nanos - 1'000'000'000LL};
  ASSERT_TRUE(fr_->ReplaceTrust(expired).ok());
  EXPECT_EQ(fr_->MemberByOrganization(de_keys_.org), nullptr);
  EXPECT_EQ(fr_->ServePage(*trust_.FindNode("de"), 0, 10).status().code(),
            ErrorCode::kPermissionDenied);
}

// A peer fills at most its quota, and peers never take the disk reserve: the page that would
// pass either is not stored, the cursor stays, and the pull resumes once there is room.
TEST_F(SyncTest, QuotaAndDiskReserveStopAPeerWithoutLosingItsPlace) {
  Publish();
  PeerRecord fr = *de_state_->Peer("fr");
  fr.quota = 1500;  // a page of two indicators is about 1.3 kB
  ASSERT_TRUE(de_state_->PutPeer(fr).ok());
  auto r = de_->SyncPeer("fr");
  ASSERT_EQ(r.status().code(), ErrorCode::kLimitExceeded) << r.status().ToString();
  EXPECT_NE(r.status().message().find("quota"), std::string::npos);
  PeerRecord after = *de_state_->Peer("fr");
  EXPECT_GT(after.bytes, 0u);
  EXPECT_LE(after.bytes, 1500u) << "never more than the quota";
  EXPECT_NE(after.last_error.find("quota"), std::string::npos);
  std::int64_t cursor = *de_state_->Cursor("fr", kFeed);
  EXPECT_LT(cursor, LastAdded(*fr_store_)) << "the refused page is not skipped";
  EXPECT_EQ(de_->counters().pages_over_quota.load(), 1u);

  fr.quota = 0;  // back to the node default (none)
  ASSERT_TRUE(de_state_->PutPeer(fr).ok());
  auto rest = de_->SyncPeer("fr");
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(*de_state_->Cursor("fr", kFeed), LastAdded(*fr_store_));
  EXPECT_EQ(Versions(*de_store_), 7u) << "everything arrives, nothing twice";

  // A node whose disk reserve is reached stores nothing from peers.
  auto full_store = store::Store::Open(dir_.path() + "/full.db");
  auto full_state = StateDb::Open(dir_.path() + "/full-state.db");
  ASSERT_TRUE(full_store.ok() && full_state.ok());
  auto full = Make("de", **full_store, **full_state, de_keys_, [this](FederationOptions& o) {
    o.data_dir = dir_.path();
    o.min_free_bytes = std::uint64_t{1} << 62;  // more than any disk has
  });
  ASSERT_TRUE((*full_state)->PutPeer(*de_state_->Peer("fr")).ok());
  auto none = full->SyncPeer("fr");
  ASSERT_EQ(none.status().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(none.status().message().find("disk"), std::string::npos);
  EXPECT_EQ(Versions(**full_store), 0u);
  EXPECT_EQ(*(*full_state)->Cursor("fr", kFeed), 0);
}

TEST_F(SyncTest, ForgedCorruptedOrReplayedPagesAreRefusedAndNothingIsStored) {
  Publish();
  for (Mode mode : {Mode::kForged, Mode::kCorrupted}) {
    mode_ = mode;
    auto r = de_->SyncPeer("fr");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCryptoError) << r.status().ToString();
    EXPECT_EQ(Versions(*de_store_), 0u);
    EXPECT_EQ(*de_state_->Cursor("fr", kFeed), 0);
  }
  EXPECT_EQ(de_->counters().pages_refused.load(), 2u);
  auto peer = de_state_->Peer("fr");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->refused, 2u);
  EXPECT_NE(peer->last_error.find("page refused"), std::string::npos) << peer->last_error;

  // A genuine page served for another position (a replay) is refused too.
  mode_ = Mode::kHonest;
  ASSERT_TRUE(de_->SyncPeer("fr", 1).ok());
  std::uint64_t after_one = Versions(*de_store_);
  EXPECT_GT(after_one, 0u);
  mode_ = Mode::kReplayed;
  auto replay = de_->SyncPeer("fr");
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(Versions(*de_store_), after_one);

  mode_ = Mode::kHonest;
  auto ok = de_->SyncPeer("fr");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Versions(*de_store_), 7u);
}

TEST_F(SyncTest, ObjectsAreNotSentBackToTheNodeTheyCameFrom) {
  Publish();
  // One hop only (MISP "connected communities"), and this node only (MISP "organisation").
  std::string one_hop = Indicator(kOneHop, "2026-01-02T00:00:00.000Z", "one-hop.example");
  one_hop.insert(one_hop.size() - 1, ",\"x_entente_distribution\":\"connected\"");
  std::string local = Indicator(kLocalOnly, "2026-01-02T00:00:00.000Z", "local.example");
  local.insert(local.size() - 1, ",\"x_entente_distribution\":\"organisation\"");
  ASSERT_TRUE(Put(*fr_store_, one_hop).ok());
  ASSERT_TRUE(Put(*fr_store_, local).ok());
  ASSERT_TRUE(de_->SyncPeer("fr").ok());
  EXPECT_TRUE(de_store_->Get(kOneHop).ok()) << "one hop reaches the direct peer";
  EXPECT_EQ(de_store_->Get(kLocalOnly).status().code(), ErrorCode::kNotFound);
  auto back = de_->ServePage(*trust_.FindNode("fr"), 0, 100);
  ASSERT_TRUE(back.ok());
  auto page = ParsePage(*back);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty()) << "everything de holds came from fr";
  // To a third node, de relays with the origin kept: the RED object for ee stays sealed.
  auto onward = de_->ServePage(*trust_.FindNode("ee"), 0, 100);
  ASSERT_TRUE(onward.ok());
  auto relay = ParsePage(*onward);
  ASSERT_TRUE(relay.ok());
  EXPECT_TRUE(VerifyPage(*relay, SigSuite::kMlDsa65Ed25519, de_keys_.sig->public_key()).ok());
  for (const auto& o : relay->origins) EXPECT_EQ(o, "fr");
  // ee gets GREEN (5 versions), the sealed RED for ee, and RED for de sealed for de: 7.
  EXPECT_EQ(relay->objects.size(), 7u);
  for (auto o : relay->objects) {
    EXPECT_EQ(o.find("red-de.example"), std::string::npos);
    EXPECT_EQ(o.find("one-hop.example"), std::string::npos) << "not relayed a second hop";
  }
}

TEST_F(SyncTest, APeerThatRewritesItsLogIsDetected) {
  auto entry = [](std::string subject) {
    return ledger::Entry{"share", "2026-01-01T00:00:00.000Z", "identity--x", std::move(subject), "",
                         ""};
  };
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ledger_->Append(entry("indicator--a" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(de_->CheckHead("fr").ok());
  for (int i = 3; i < 5; ++i) {
    ASSERT_TRUE(ledger_->Append(entry("indicator--a" + std::to_string(i))).ok());
  }
  Status grown = de_->CheckHead("fr");
  ASSERT_TRUE(grown.ok()) << grown.ToString();
  {
    std::lock_guard lock(mu_);
    ledger_ = ledger::Ledger::InMemory({.signing_key = fr_keys_.sig});
    for (int i = 0; i < 6; ++i) {
      (void)ledger_->Append(
          entry(i == 1 ? "indicator--rewritten" : "indicator--a" + std::to_string(i)));
    }
  }
  Status forked = de_->CheckHead("fr");
  EXPECT_EQ(forked.code(), ErrorCode::kCorruption) << forked.ToString();
  EXPECT_NE(de_state_->Peer("fr")->last_error.find("rewritten"), std::string::npos);
  EXPECT_EQ(de_->counters().head_failures.load(), 1u);
}

}  // namespace
}  // namespace entente::federation
