#include <gtest/gtest.h>

#include <cmath>

#include "entente/attribute/engine.h"
#include "test_kb.h"

namespace entente::attribute {
namespace {

using testing::AttackKb;

Evidence Make(const KnowledgeBase& kb, std::vector<std::string> techniques,
              std::vector<std::string> software, std::optional<Admiralty> grading = std::nullopt) {
  Evidence ev;
  for (const auto& t : techniques) {
    auto i = kb.ResolveTechnique(t);
    EXPECT_TRUE(i.ok()) << t;
    if (i.ok()) ev.Add({EvidenceKind::kTechnique, *i, t, "test", grading});
  }
  for (const auto& s : software) {
    auto i = kb.ResolveSoftware(s);
    EXPECT_TRUE(i.ok()) << s;
    if (i.ok()) ev.Add({EvidenceKind::kSoftware, *i, s, "test", grading});
  }
  return ev;
}

Model Tuned() {
  auto m = Model::FromFile(std::string(ENTENTE_DATA_DIR) + "/attribute/model.json");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : Model{};
}

struct GroupCase {
  const char* group_id;
  std::vector<std::string> techniques, software;
};

TEST(Engine, DistinctiveSoftwareRanksWellKnownGroupsFirst) {
  const KnowledgeBase& kb = AttackKb();
  Model model = Tuned();
  ProfileSet ps = ProfileSet::Build(kb, model.params);
  const GroupCase cases[] = {
      {testing::kApt29, {"T1566.001", "T1059.001", "T1078"}, {"GoldMax", "Sibot", "Mimikatz"}},
      {testing::kSandworm, {"T1485", "T1059.001"}, {"Industroyer", "Olympic Destroyer"}},
      {testing::kLazarus, {"T1566.001", "T1486"}, {"WannaCry", "AppleJeus"}},
  };
  for (const auto& c : cases) {
    Evidence ev = Make(kb, c.techniques, c.software);
    Assessment a = ps.Assess(ev, model.calibration, 5);
    ASSERT_EQ(a.candidates.size(), 5u);
    EXPECT_EQ(kb.groups()[a.candidates[0].ranked.group].stix_id, c.group_id);
    EXPECT_EQ(a.candidates[0].confidence, Confidence::kHigh) << c.group_id;
    // The custom malware is the strongest evidence for and is flagged costly to fake.
    ASSERT_FALSE(a.candidates[0].evidence_for.empty());
    const ItemAssessment& best = a.candidates[0].evidence_for.front();
    EXPECT_EQ(ev.items[best.item].kind, EvidenceKind::kSoftware);
    EXPECT_EQ(best.cost, "costly");
    EXPECT_GT(a.candidates[0].ranked.posterior, a.candidates[1].ranked.posterior);
  }
}

TEST(Engine, CommonTechniquesAloneGiveLowConfidence) {
  const KnowledgeBase& kb = AttackKb();
  Model model = Tuned();
  ProfileSet ps = ProfileSet::Build(kb, model.params);
  Assessment a = ps.Assess(Make(kb, {"T1059.001", "T1566.001"}, {}), model.calibration, 3);
  EXPECT_EQ(a.candidates[0].confidence, Confidence::kLow);
  EXPECT_LT(a.candidates[0].ranked.posterior, 0.2);
  ASSERT_FALSE(a.candidates[0].false_flag.empty());
  EXPECT_NE(a.candidates[0].false_flag[0].find("cheap-to-fake"), std::string::npos);
}

TEST(Engine, ContradictingSoftwareCountsAgainst) {
  const KnowledgeBase& kb = AttackKb();
  Model model = Tuned();
  ProfileSet ps = ProfileSet::Build(kb, model.params);
  // Sandworm's Industroyer next to APT29's GoldMax: APT29's explanation lists Industroyer
  // against it, as costly-to-fake evidence pointing elsewhere.
  Evidence ev = Make(kb, {}, {"GoldMax", "Industroyer"});
  std::uint32_t apt29 = *kb.FindGroup("G0016");
  bool found = false;
  for (std::size_t i = 0; i < ev.items.size(); ++i) {
    ItemAssessment a = ps.Explain(ev, i, apt29);
    if (ev.items[i].index == *kb.FindSoftware("Industroyer")) {
      EXPECT_LT(a.contribution, 0);
      EXPECT_NE(a.how.find("not in the group's profile"), std::string::npos);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  Assessment a = ps.Assess(ev, model.calibration, 2);
  EXPECT_NE(a.candidates[0].confidence, Confidence::kHigh);  // two groups, one item each
}

// A small KB: A uses a sibling sub-technique, B the parent, C and D unrelated techniques.
const char* kBackoffKb = R"([
  {"type":"attack-pattern","id":"attack-pattern--p","name":"Parent","external_references":[{"source_name":"mitre-attack","external_id":"T1000"}]},
  {"type":"attack-pattern","id":"attack-pattern--c1","name":"Child one","x_mitre_is_subtechnique":true,"external_references":[{"source_name":"mitre-attack","external_id":"T1000.001"}]},
  {"type":"attack-pattern","id":"attack-pattern--c2","name":"Child two","x_mitre_is_subtechnique":true,"external_references":[{"source_name":"mitre-attack","external_id":"T1000.002"}]},
  {"type":"attack-pattern","id":"attack-pattern--x","name":"Other","external_references":[{"source_name":"mitre-attack","external_id":"T2000"}]},
  {"type":"attack-pattern","id":"attack-pattern--y","name":"Another","external_references":[{"source_name":"mitre-attack","external_id":"T3000"}]},
  {"type":"intrusion-set","id":"intrusion-set--a","name":"A"},
  {"type":"intrusion-set","id":"intrusion-set--b","name":"B"},
  {"type":"intrusion-set","id":"intrusion-set--c","name":"C"},
  {"type":"intrusion-set","id":"intrusion-set--d","name":"D"},
  {"type":"relationship","id":"relationship--1","relationship_type":"uses","source_ref":"intrusion-set--a","target_ref":"attack-pattern--c2"},
  {"type":"relationship","id":"relationship--2","relationship_type":"uses","source_ref":"intrusion-set--b","target_ref":"attack-pattern--p"},
  {"type":"relationship","id":"relationship--3","relationship_type":"uses","source_ref":"intrusion-set--c","target_ref":"attack-pattern--x"},
  {"type":"relationship","id":"relationship--4","relationship_type":"uses","source_ref":"intrusion-set--d","target_ref":"attack-pattern--y"}
])";

TEST(Engine, SubTechniquesBackOffToTheirParent) {
  json::Document doc;
  ASSERT_TRUE(doc.Parse(std::string_view(kBackoffKb)).ok());
  auto kb = KnowledgeBase::FromBundle(doc.root());
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  // The mechanism, with explicit credits (the tuned model may weigh it differently).
  ModelParams params;
  params.credit_parent = 0.5;
  params.credit_sibling = 0.25;
  ProfileSet ps = ProfileSet::Build(*kb, params);
  Evidence ev = Make(*kb, {"T1000.001"}, {});
  auto ranked = ps.Rank(ev);
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(kb->groups()[ranked[0].group].name, "B");  // parent: stronger credit
  EXPECT_EQ(kb->groups()[ranked[1].group].name, "A");  // sibling
  EXPECT_GT(ranked[1].score, ranked[2].score);
  EXPECT_NE(ps.Explain(ev, 0, ranked[0].group).how.find("parent T1000"), std::string::npos);
  EXPECT_NE(ps.Explain(ev, 0, ranked[1].group).how.find("another sub-technique"),
            std::string::npos);
  // Without back-off credit the two would be no better than the unrelated groups.
  ModelParams flat = params;
  flat.credit_parent = flat.credit_sibling = 0;
  auto flat_ranked = ProfileSet::Build(*kb, flat).Rank(ev);
  EXPECT_DOUBLE_EQ(flat_ranked[0].score, flat_ranked[3].score);
}

TEST(Engine, ReliabilityScalesContributions) {
  const KnowledgeBase& kb = AttackKb();
  ProfileSet ps = ProfileSet::Build(kb, Tuned().params);
  std::uint32_t apt29 = *kb.FindGroup("APT29");
  Evidence sure = Make(kb, {}, {"GoldMax"});
  Evidence doubtful = Make(kb, {}, {"GoldMax"}, Admiralty{'E', 5});
  double a = ps.Explain(sure, 0, apt29).contribution;
  double b = ps.Explain(doubtful, 0, apt29).contribution;
  EXPECT_GT(a, 0);
  const Admiralty e5{'E', 5}, a1{'A', 1}, c3{'C', 3}, b2{'B', 2};
  EXPECT_NEAR(b, a * e5.Weight(), 1e-9);
  EXPECT_DOUBLE_EQ(a1.Weight(), 1.0);
  EXPECT_LT(c3.Weight(), b2.Weight());
  EXPECT_FALSE(Admiralty::Parse("G1").ok());
  EXPECT_FALSE(Admiralty::Parse("A7").ok());
  EXPECT_EQ(Admiralty::Parse("b2")->ToString(), "B2");
}

TEST(Engine, InfrastructureFromAttributedIncidentsIsEvidence) {
  json::Document doc;
  std::string text = R"([
    {"type":"intrusion-set","id":"intrusion-set--1","name":"Alpha"},
    {"type":"intrusion-set","id":"intrusion-set--2","name":"Beta"},
    {"type":"intrusion-set","id":"intrusion-set--3","name":"Gamma"},
    {"type":"incident","id":"incident--1","name":"Earlier"},
    {"type":"relationship","id":"relationship--1","relationship_type":"attributed-to","source_ref":"incident--1","target_ref":"intrusion-set--1"},
    {"type":"domain-name","id":"domain-name--1","value":"Update-Check.example"},
    {"type":"relationship","id":"relationship--2","relationship_type":"uses","source_ref":"incident--1","target_ref":"domain-name--1"},
    {"type":"incident","id":"incident--2","name":"Other"},
    {"type":"relationship","id":"relationship--3","relationship_type":"attributed-to","source_ref":"incident--2","target_ref":"intrusion-set--2"},
    {"type":"domain-name","id":"domain-name--2","value":"cdn.example"},
    {"type":"relationship","id":"relationship--4","relationship_type":"uses","source_ref":"incident--2","target_ref":"domain-name--2"}
  ])";
  ASSERT_TRUE(doc.Parse(text).ok());
  auto kb = KnowledgeBase::FromBundle(doc.root());
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  ProfileSet ps = ProfileSet::Build(*kb);
  Evidence ev;
  ev.Add({EvidenceKind::kInfrastructure, kNone, "domain-name:update-check.example", "test", {}});
  Assessment a = ps.Assess(ev, Calibration{}, 3);
  EXPECT_EQ(kb->groups()[a.candidates[0].ranked.group].name, "Alpha");
  ASSERT_EQ(a.candidates[0].evidence_for.size(), 1u);
  EXPECT_NE(a.candidates[0].evidence_for[0].how.find("seen in 1 incident"), std::string::npos);
  EXPECT_EQ(a.candidates[0].evidence_for[0].cost, "moderate");
  // Gamma has no history: the item says nothing about it (0), Beta's history lacks it (< 0).
  for (const auto& c : a.candidates) {
    double s = c.ranked.score;
    if (kb->groups()[c.ranked.group].name == "Gamma") {
      EXPECT_DOUBLE_EQ(s, 0.0);
    }
    if (kb->groups()[c.ranked.group].name == "Beta") {
      EXPECT_LT(s, 0.0);
    }
  }
}

TEST(Engine, ProfileVersionsFollowTheirInputs) {
  const KnowledgeBase& kb = AttackKb();
  ProfileSet a = ProfileSet::Build(kb);
  ProfileSet b = ProfileSet::Build(kb);
  EXPECT_EQ(a.version(), b.version());
  EXPECT_EQ(a.version().rfind("ps1-", 0), 0u);
  ModelParams p;
  p.weight_software += 0.5;
  EXPECT_NE(ProfileSet::Build(kb, p).version(), a.version());
  auto features = FeaturesFromKb(kb);
  features[0].techniques.pop_back();
  EXPECT_NE(ProfileSet::Build(kb, {}, &features).version(), a.version());
}

TEST(Engine, ShippedModelMatchesTheCompiledDefaults) {
  Model file = Tuned();
  Model builtin;
  EXPECT_EQ(file.ToJson().Serialize(), builtin.ToJson().Serialize());
}

TEST(Engine, ModelRejectsUnknownOrBadMembers) {
  json::Document doc;
  ASSERT_TRUE(doc.Parse(std::string_view(R"({"params":{"mu_tecnique":3}})")).ok());
  EXPECT_EQ(Model::FromJson(doc.root()).status().code(), ErrorCode::kInvalidArgument);
  json::Document doc2;
  ASSERT_TRUE(doc2.Parse(std::string_view(R"({"calibration":{"high":0.2,"moderate":0.5}})")).ok());
  EXPECT_FALSE(Model::FromJson(doc2.root()).ok());
}

TEST(Engine, JsonOutputHasTheCliContract) {
  const KnowledgeBase& kb = AttackKb();
  Model model = Tuned();
  ProfileSet ps = ProfileSet::Build(kb, model.params);
  Evidence ev = Make(kb, {"T1566.001", "T1059.001"}, {"Mimikatz", "S0154"});
  json::Value v = AssessmentToJson(ps.Assess(ev, model.calibration, 3), ev, ps);
  const json::Value* c = v.find("candidates");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->size(), 3u);
  for (const char* key : {"id", "name", "external_id", "score", "confidence", "evidence_for",
                          "evidence_against", "missing", "alternatives", "false_flag"}) {
    EXPECT_NE(c->array()[0].find(key), nullptr) << key;
  }
  EXPECT_EQ(c->array()[0].find("id")->str().rfind("intrusion-set--", 0), 0u);
  double s0 = *c->array()[0].find("score")->as_double();
  double s1 = *c->array()[1].find("score")->as_double();
  EXPECT_GE(s0, s1);
}

}  // namespace
}  // namespace entente::attribute
