#include "entente/identity/access.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace entente::identity {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr const char* kTlpClear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
constexpr const char* kTlpGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kTlpAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr const char* kTlpAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
constexpr const char* kTlpRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
constexpr const char* kTlp1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
constexpr const char* kTlp1Red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
constexpr const char* kStatement = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168";

const std::string kOrgFr = "identity--11111111-1111-4111-8111-111111111111";
const std::string kOrgDe = "identity--22222222-2222-4222-8222-222222222222";
const std::string kAlice = "identity--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const std::string kBob = "identity--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

Principal Make(std::string org, std::string id, std::string state = "FR",
               std::vector<Role> roles = {Role::kReader}, std::vector<std::string> scopes = {"*"}) {
  Principal p;
  p.user = "u";
  p.organization_ref = std::move(org);
  p.identity_ref = std::move(id);
  p.member_state = std::move(state);
  p.roles = std::move(roles);
  p.scopes = std::move(scopes);
  return p;
}

AccessLabel Label(const std::string& json) {
  Result<AccessLabel> l = LabelOf(json);
  EXPECT_TRUE(l.ok()) << l.status().ToString() << " for " << json;
  return l.value_or(AccessLabel{});
}

TEST(RoleTest, NamesRoundTripAndUnknownIsRefused) {
  for (Role r : kAllRoles) {
    Result<Role> back = ParseRole(RoleName(r));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
  }
  EXPECT_EQ(RoleName(Role::kAuthority), "authority");
  Result<Role> bad = ParseRole("Admin");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("Admin"), std::string::npos);
  EXPECT_FALSE(ParseRole("").ok());
}

TEST(PrincipalTest, EveryRoleReadsButAdminImpliesNothingElse) {
  Principal admin = Make(kOrgFr, kAlice, "FR", {Role::kAdmin});
  EXPECT_TRUE(admin.HasRole(Role::kReader));
  EXPECT_TRUE(admin.HasRole(Role::kAdmin));
  EXPECT_FALSE(admin.HasRole(Role::kAnalyst));
  EXPECT_FALSE(admin.HasRole(Role::kAuthority));
  Principal none = Make(kOrgFr, kAlice, "FR", {});
  EXPECT_FALSE(none.HasRole(Role::kReader));
}

TEST(PrincipalTest, ScopesAreExactOrStar) {
  Principal p = Make(kOrgFr, kAlice, "FR", {Role::kReader}, {"bilateral-fr-de"});
  EXPECT_TRUE(p.InScope("bilateral-fr-de"));
  EXPECT_FALSE(p.InScope("bilateral-fr-d"));
  EXPECT_FALSE(p.InScope("community"));
  p.scopes = {"*"};
  EXPECT_TRUE(p.InScope("anything"));
  p.scopes = {};
  EXPECT_FALSE(p.InScope("community"));
}

// The whole authorisation table, cell by cell: what each role is granted and refused.
TEST(AllowedTest, EachRoleIsRefusedWhatItMustNotDo) {
  using O = Operation;
  const std::map<Role, std::set<O>> granted = {
      {Role::kReader, {O::kRead, O::kSearch, O::kReadLog}},
      {Role::kAnalyst,
       {O::kRead, O::kSearch, O::kReadLog, O::kWriteIntel, O::kDelete, O::kPropose}},
      {Role::kAuthority, {O::kRead, O::kSearch, O::kReadLog, O::kPropose, O::kVote}},
      {Role::kAdmin,
       {O::kRead, O::kSearch, O::kReadLog, O::kAdminUsers, O::kPeerAdmin, O::kMetrics}},
  };
  for (const auto& [role, ops] : granted) {
    Principal p = Make(kOrgFr, kAlice, "FR", {role});
    for (O op : kAllOperations) {
      EXPECT_EQ(Allowed(p, op), ops.count(op) == 1) << RoleName(role) << " " << OperationName(op);
    }
  }
  Principal nobody = Make(kOrgFr, kAlice, "FR", {});
  for (O op : kAllOperations) EXPECT_FALSE(Allowed(nobody, op)) << OperationName(op);
  Principal both = Make(kOrgFr, kAlice, "FR", {Role::kAnalyst, Role::kAuthority});
  EXPECT_TRUE(Allowed(both, O::kVote));
  EXPECT_TRUE(Allowed(both, O::kWriteIntel));
  EXPECT_FALSE(Allowed(both, O::kAdminUsers));
}

TEST(LabelTest, UnmarkedIsGreenInTheCommunityScope) {
  AccessLabel l = Label(R"({"type":"indicator","id":"indicator--x"})");
  EXPECT_EQ(l.tlp, stix::Tlp::kGreen);
  EXPECT_FALSE(l.marked);
  EXPECT_EQ(l.scope, "community");
  EXPECT_TRUE(l.creator.empty());
  EXPECT_TRUE(l.recipients.empty());
}

TEST(LabelTest, MostRestrictiveMarkingWinsAcrossObjectAndGranular) {
  AccessLabel l = Label(std::string(R"({"object_marking_refs":[")") + kTlpGreen + R"(",")" +
                        kTlpClear + R"("],"granular_markings":[{"marking_ref":")" + kTlpAmber +
                        R"(","selectors":["description"]}]})");
  EXPECT_EQ(l.tlp, stix::Tlp::kAmber);
  EXPECT_TRUE(l.marked);
  l = Label(std::string(R"({"object_marking_refs":[")") + kTlpRed + R"(",")" + kTlpClear +
            R"("]})");
  EXPECT_EQ(l.tlp, stix::Tlp::kRed);
  // A non-TLP marking (a statement) does not change the level.
  l = Label(std::string(R"({"object_marking_refs":[")") + kStatement + R"("]})");
  EXPECT_EQ(l.tlp, stix::Tlp::kGreen);
  EXPECT_FALSE(l.marked);
  // TLP 1.0 WHITE is CLEAR: marking an object CLEAR lowers it below the GREEN default.
  l = Label(std::string(R"({"object_marking_refs":[")") + kTlp1White + R"("]})");
  EXPECT_EQ(l.tlp, stix::Tlp::kClear);
}

TEST(LabelTest, ReadsRecipientsCreatorAndScope) {
  AccessLabel l = Label(std::string(R"({"id":"report--1","created_by_ref":")") + kOrgFr +
                        R"(","x_entente_recipients":[")" + kOrgDe + R"(",")" + kBob +
                        R"("],"x_entente_scope":"bilateral-fr-de"})");
  EXPECT_EQ(l.creator, kOrgFr);
  EXPECT_EQ(l.recipients, (std::vector<std::string>{kOrgDe, kBob}));
  EXPECT_EQ(l.scope, "bilateral-fr-de");
}

TEST(LabelTest, RefusesMalformedAccessPropertiesNamingThem) {
  struct Case {
    std::string json, needle;
  };
  const std::vector<Case> cases = {
      {R"({"id":"x--1","object_marking_refs":"nope"})", "object_marking_refs"},
      {R"({"id":"x--1","object_marking_refs":[3]})", "object_marking_refs"},
      {R"({"id":"x--1","granular_markings":{}})", "granular_markings"},
      {R"({"id":"x--1","created_by_ref":"indicator--1"})", "created_by_ref"},
      {R"({"id":"x--1","x_entente_recipients":"identity--a"})", "x_entente_recipients"},
      {R"({"id":"x--1","x_entente_recipients":["user@example"]})", "x_entente_recipients"},
      {R"({"id":"x--1","x_entente_scope":"*"})", "x_entente_scope"},
      {R"({"id":"x--1","x_entente_scope":""})", "x_entente_scope"},
      {std::string(R"({"id":"x--1","object_marking_refs":[")") + kTlpAmberStrict +
           R"("],"x_entente_recipients":[")" + kOrgFr + R"(",")" + kOrgDe + R"("]})",
       "AMBER+STRICT"},
      {"[1]", "not a JSON object"},
      {"{", "line"},
  };
  for (const Case& c : cases) {
    Result<AccessLabel> l = LabelOf(c.json);
    ASSERT_FALSE(l.ok()) << c.json;
    EXPECT_NE(l.status().message().find(c.needle), std::string::npos) << l.status().message();
    if (c.json.rfind("{\"id\"", 0) == 0) {
      EXPECT_NE(l.status().message().find("x--1"), std::string::npos) << l.status().message();
    }
  }
  std::string many = R"({"x_entente_recipients":[)";
  for (std::size_t i = 0; i <= kMaxRecipients; ++i) many += (i ? ",\"" : "\"") + kBob + "\"";
  many += "]}";
  EXPECT_EQ(LabelOf(many).status().code(), ErrorCode::kLimitExceeded);
}

TEST(LabelTest, RealObjectsCarryTheirMarkings) {
  // The OASIS interop example is marked TLP 1.0 RED plus a non-TLP statement.
  std::string text = ReadFile(std::string(ENTENTE_DATA_DIR) +
                              "/stix/stix2-json-schemas/examples/"
                              "interop-objectmarking-test.json");
  ASSERT_FALSE(text.empty());
  AccessLabel l = Label(text);
  EXPECT_EQ(l.tlp, stix::Tlp::kRed);
  EXPECT_EQ(l.creator, "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff");
  EXPECT_FALSE(CanRead(Make(kOrgFr, kAlice), l));
  EXPECT_TRUE(CanRead(Make(kOrgFr, "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"), l));

  // MITRE ATT&CK: every object carries MITRE's copyright statement (not TLP) and is created by
  // MITRE's identity, so the whole knowledge base is GREEN: the community reads it.
  std::string kb = ReadFile(std::string(ENTENTE_DATA_DIR) + "/attack/attack-enterprise-kb.json");
  ASSERT_FALSE(kb.empty());
  json::Document doc;
  ASSERT_TRUE(doc.Parse(kb).ok());
  std::size_t checked = 0, statement_marked = 0;
  for (auto [k, obj] : doc.root()["objects"]) {
    Result<AccessLabel> label = LabelOf(obj);
    ASSERT_TRUE(label.ok()) << label.status().ToString();
    EXPECT_EQ(label->tlp, stix::Tlp::kGreen);
    EXPECT_FALSE(label->marked);
    if (obj["object_marking_refs"].size() > 0) ++statement_marked;
    if (!label->creator.empty()) {
      EXPECT_EQ(label->creator, "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5");
    }
    EXPECT_TRUE(CanRead(Make(kOrgDe, kBob, "DE"), *label));
    EXPECT_FALSE(CanRead(Make(kOrgDe, kBob, ""), *label));
    ++checked;
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_GT(statement_marked, 1000u);
}

TEST(CanReadTest, TlpLevelsByExample) {
  const Principal fr_alice = Make(kOrgFr, kAlice, "FR");
  const Principal de_bob = Make(kOrgDe, kBob, "DE");
  const Principal de_org_only = Make(kOrgDe, "", "DE");
  const Principal outsider = Make("", "", "");  // authenticated but of no member node

  AccessLabel l;
  l.creator = kOrgFr;
  l.tlp = stix::Tlp::kClear;
  EXPECT_TRUE(CanRead(outsider, l));
  l.tlp = stix::Tlp::kGreen;
  EXPECT_FALSE(CanRead(outsider, l));
  EXPECT_TRUE(CanRead(de_bob, l));

  l.tlp = stix::Tlp::kAmber;
  EXPECT_TRUE(CanRead(fr_alice, l));  // creator's organisation
  EXPECT_FALSE(CanRead(de_bob, l));
  l.recipients = {kOrgDe};
  EXPECT_TRUE(CanRead(de_bob, l));
  EXPECT_TRUE(CanRead(de_org_only, l));

  l.tlp = stix::Tlp::kAmberStrict;
  EXPECT_TRUE(CanRead(de_bob, l));
  EXPECT_TRUE(CanRead(fr_alice, l));
  l.recipients = {kBob};  // a named person, not their organisation
  EXPECT_TRUE(CanRead(de_bob, l));
  EXPECT_FALSE(CanRead(de_org_only, l));
  const Principal de_bob_no_state = Make(kOrgDe, kBob, "");
  EXPECT_FALSE(CanRead(de_bob_no_state, l));  // outside the community: nothing above CLEAR

  l.tlp = stix::Tlp::kRed;
  l.recipients = {kOrgDe};
  EXPECT_FALSE(CanRead(de_bob, l));    // naming the organisation does not name its people
  EXPECT_FALSE(CanRead(fr_alice, l));  // an organisation creator does not name individuals
  l.recipients = {kBob};
  EXPECT_TRUE(CanRead(de_bob, l));
  EXPECT_FALSE(CanRead(de_org_only, l));
  l.creator = kAlice;
  EXPECT_TRUE(CanRead(fr_alice, l));  // the author reads what they wrote
}

TEST(CanReadTest, ScopeAndRolesGateEveryLevel) {
  AccessLabel l;
  l.tlp = stix::Tlp::kClear;
  l.scope = "incident-x";
  Principal p = Make(kOrgFr, kAlice, "FR", {Role::kReader}, {"community"});
  EXPECT_FALSE(CanRead(p, l));
  p.scopes = {"community", "incident-x"};
  EXPECT_TRUE(CanRead(p, l));
  p.roles.clear();
  EXPECT_FALSE(CanRead(p, l));
}

// ---- Property test: random objects and principals against an independent oracle. ----

struct Generated {
  std::vector<std::string> marking_ids;  // object and granular, TLP or not
  std::vector<std::string> recipients;
  std::string creator;
  std::string scope;  // "" = none named
  std::string json;
};

const std::vector<std::string> kOrgs = {kOrgFr, kOrgDe,
                                        "identity--33333333-3333-4333-8333-333333333333"};
const std::vector<std::string> kPeople = {kAlice, kBob,
                                          "identity--cccccccc-cccc-4ccc-8ccc-cccccccccccc",
                                          "identity--dddddddd-dddd-4ddd-8ddd-dddddddddddd"};
const std::vector<std::string> kScopes = {"community", "bilateral-fr-de", "incident-x"};

// The oracle's own table: rank of each well-known TLP marking (TLP 1.0 and 2.0); -1 = not TLP.
int OracleRank(const std::string& id) {
  static const std::map<std::string, int> ranks = {
      {kTlpClear, 0},
      {kTlpGreen, 1},
      {kTlpAmber, 2},
      {kTlpAmberStrict, 3},
      {kTlpRed, 4},
      {kTlp1White, 0},
      {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", 1},
      {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", 2},
      {kTlp1Red, 4}};
  auto it = ranks.find(id);
  return it == ranks.end() ? -1 : it->second;
}

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

Generated RandomObject(std::mt19937_64& rng) {
  static const std::vector<std::string> markings = {
      kTlpClear,
      kTlpGreen,
      kTlpAmber,
      kTlpAmberStrict,
      kTlpRed,
      kTlp1White,
      kTlp1Red,
      "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
      "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
      kStatement};
  std::uniform_int_distribution<int> coin(0, 1), small(0, 3);
  Generated g;
  json::Value obj = json::Value::MakeObject();
  obj.set("type", "indicator");
  obj.set("id", "indicator--0b1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d");
  json::Value refs = json::Value::MakeArray();
  for (int i = small(rng) - 1; i > 0; --i) {
    g.marking_ids.push_back(Pick(rng, markings));
    refs.push_back(g.marking_ids.back());
  }
  if (refs.size() > 0 || coin(rng)) obj.set("object_marking_refs", std::move(refs));
  if (small(rng) == 0) {
    g.marking_ids.push_back(Pick(rng, markings));
    json::Value gm = json::Value::MakeObject();
    gm.set("marking_ref", g.marking_ids.back());
    gm.set("selectors", json::Value::MakeArray({json::Value("pattern")}));
    obj.set("granular_markings", json::Value::MakeArray({std::move(gm)}));
  }
  if (small(rng) != 0) {
    g.creator = coin(rng) ? Pick(rng, kOrgs) : Pick(rng, kPeople);
    obj.set("created_by_ref", g.creator);
  }
  if (coin(rng)) {
    json::Value r = json::Value::MakeArray();
    for (int i = small(rng); i > 0; --i) {
      g.recipients.push_back(coin(rng) ? Pick(rng, kOrgs) : Pick(rng, kPeople));
      r.push_back(g.recipients.back());
    }
    obj.set("x_entente_recipients", std::move(r));
  }
  if (coin(rng)) {
    g.scope = Pick(rng, kScopes);
    obj.set("x_entente_scope", g.scope);
  }
  g.json = obj.Serialize();
  return g;
}

Principal RandomPrincipal(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> coin(0, 1), small(0, 3);
  Principal p;
  p.user = "random";
  if (small(rng) != 0) p.organization_ref = Pick(rng, kOrgs);
  if (coin(rng)) p.identity_ref = Pick(rng, kPeople);
  if (small(rng) != 0) p.member_state = coin(rng) ? "FR" : "DE";
  for (Role r : kAllRoles) {
    if (small(rng) == 0) p.roles.push_back(r);
  }
  if (small(rng) != 0 && p.roles.empty()) p.roles.push_back(Role::kReader);
  if (small(rng) == 0) {
    p.scopes.push_back("*");
  } else {
    for (const std::string& s : kScopes) {
      if (coin(rng)) p.scopes.push_back(s);
    }
  }
  return p;
}

bool In(const std::vector<std::string>& v, const std::string& s) {
  return !s.empty() && std::find(v.begin(), v.end(), s) != v.end();
}

// Entitlement, written from the TLP 2.0 definitions in docs/ACCESS.md without the library.
bool Entitled(const Generated& g, const Principal& p) {
  if (p.roles.empty()) return false;
  const std::string scope = g.scope.empty() ? "community" : g.scope;
  if (!In(p.scopes, "*") && !In(p.scopes, scope)) return false;
  int rank = -1;
  for (const std::string& m : g.marking_ids) rank = std::max(rank, OracleRank(m));
  if (rank < 0) rank = 1;  // unmarked: GREEN
  const bool author =
      !g.creator.empty() && (g.creator == p.identity_ref || g.creator == p.organization_ref);
  if (rank == 0) return true;
  if (p.member_state.empty()) return false;
  switch (rank) {
    case 1:
      return true;
    case 2:
    case 3:
      return author || In(g.recipients, p.organization_ref) || In(g.recipients, p.identity_ref);
    default:
      return (!p.identity_ref.empty() && g.creator == p.identity_ref) ||
             In(g.recipients, p.identity_ref);
  }
}

TEST(CanReadPropertyTest, RandomObjectsAndPrincipalsMatchTheOracle) {
  std::mt19937_64 rng(20261123);
  std::size_t granted = 0, refused = 0, rejected = 0;
  std::map<int, std::pair<int, int>> by_level;  // level -> (granted, refused)
  for (int i = 0; i < 4000; ++i) {
    Generated g = RandomObject(rng);
    Result<AccessLabel> label = LabelOf(g.json);
    int rank = -1;
    for (const std::string& m : g.marking_ids) rank = std::max(rank, OracleRank(m));
    if (rank == 3 && g.recipients.size() > 1) {
      // More than one organisation on AMBER+STRICT is refused at labelling (fail closed).
      EXPECT_FALSE(label.ok()) << g.json;
      ++rejected;
      continue;
    }
    ASSERT_TRUE(label.ok()) << label.status().ToString() << " " << g.json;
    for (int j = 0; j < 25; ++j) {
      Principal p = RandomPrincipal(rng);
      bool can = CanRead(p, *label);
      bool entitled = Entitled(g, p);
      ASSERT_EQ(can, entitled) << g.json << " user org=" << p.organization_ref
                               << " id=" << p.identity_ref << " state=" << p.member_state;
      // Safety, stated on its own: never without a role or scope, never RED to the unnamed.
      if (can) {
        EXPECT_FALSE(p.roles.empty());
        if (label->tlp == stix::Tlp::kRed) {
          EXPECT_TRUE(In(g.recipients, p.identity_ref) ||
                      (!p.identity_ref.empty() && g.creator == p.identity_ref));
        }
        if (label->tlp >= stix::Tlp::kGreen) {
          EXPECT_FALSE(p.member_state.empty() && p.organization_ref.empty() &&
                       p.identity_ref.empty());
        }
      }
      (can ? granted : refused)++;
      auto& cell = by_level[static_cast<int>(label->tlp)];
      (can ? cell.first : cell.second)++;
    }
  }
  // The generator reaches both outcomes at every level, or the test would prove little.
  EXPECT_GT(rejected, 0u);
  ASSERT_EQ(by_level.size(), 5u);
  for (const auto& [level, cell] : by_level) {
    EXPECT_GT(cell.first, 20) << "level " << level << " never granted";
    EXPECT_GT(cell.second, 20) << "level " << level << " never refused";
  }
  EXPECT_GT(granted, 1000u);
  EXPECT_GT(refused, 1000u);
}

// Raising an object's marking never lets anyone new read it.
TEST(CanReadPropertyTest, StricterMarkingNeverWidensAccess) {
  std::mt19937_64 rng(7);
  const stix::Tlp levels[] = {stix::Tlp::kClear, stix::Tlp::kGreen, stix::Tlp::kAmber,
                              stix::Tlp::kAmberStrict, stix::Tlp::kRed};
  for (int i = 0; i < 3000; ++i) {
    Generated g = RandomObject(rng);
    Result<AccessLabel> base = LabelOf(g.json);
    if (!base.ok()) continue;
    Principal p = RandomPrincipal(rng);
    for (std::size_t a = 0; a + 1 < std::size(levels); ++a) {
      AccessLabel lo = *base, hi = *base;
      lo.tlp = levels[a];
      hi.tlp = levels[a + 1];
      if (CanRead(p, hi)) {
        EXPECT_TRUE(CanRead(p, lo)) << g.json;
      }
    }
  }
}

}  // namespace
}  // namespace entente::identity
