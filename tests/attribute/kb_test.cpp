#include <gtest/gtest.h>

#include "entente/attribute/knowledge_base.h"
#include "test_kb.h"

namespace entente::attribute {
namespace {

using testing::AttackKb;

TEST(KnowledgeBase, LoadsAttackEnterprise) {
  const KnowledgeBase& kb = AttackKb();
  EXPECT_EQ(kb.groups().size(), 172u);
  EXPECT_EQ(kb.techniques().size(), 691u);
  EXPECT_EQ(kb.software().size(), 784u);
  EXPECT_EQ(kb.dangling_references(), 0u);
  auto apt29 = kb.FindGroup("G0016");
  ASSERT_TRUE(apt29);
  EXPECT_EQ(kb.groups()[*apt29].name, "APT29");
  EXPECT_GT(kb.groups()[*apt29].techniques.size(), 50u);
  EXPECT_GT(kb.groups()[*apt29].software.size(), 30u);
}

TEST(KnowledgeBase, ResolvesTechniquesByIdStixIdAndName) {
  const KnowledgeBase& kb = AttackKb();
  auto t = kb.FindTechnique("T1566.001");
  ASSERT_TRUE(t);
  EXPECT_EQ(kb.techniques()[*t].name, "Spearphishing Attachment");
  EXPECT_TRUE(kb.techniques()[*t].is_subtechnique);
  ASSERT_NE(kb.techniques()[*t].parent, kNone);
  const Technique& parent = kb.techniques()[kb.techniques()[*t].parent];
  EXPECT_EQ(parent.external_id, "T1566");
  EXPECT_EQ(parent.children.size(), 4u);  // T1566.001-.004
  EXPECT_EQ(kb.FindTechnique("t1566.001"), t);
  EXPECT_EQ(kb.FindTechnique("spearphishing attachment"), t);
  EXPECT_EQ(kb.FindTechnique(kb.techniques()[*t].stix_id), t);
}

TEST(KnowledgeBase, ResolvesSoftwareByIdNameAndAlias) {
  const KnowledgeBase& kb = AttackKb();
  auto m = kb.FindSoftware("S0002");
  ASSERT_TRUE(m);
  EXPECT_EQ(kb.software()[*m].name, "Mimikatz");
  EXPECT_FALSE(kb.software()[*m].is_malware);
  EXPECT_EQ(kb.FindSoftware("MIMIKATZ"), m);
  EXPECT_EQ(kb.FindSoftware(kb.software()[*m].stix_id), m);
  auto trick = kb.FindSoftware("Totbrick");  // x_mitre_aliases of TrickBot
  ASSERT_TRUE(trick);
  EXPECT_EQ(kb.software()[*trick].name, "TrickBot");
  EXPECT_TRUE(kb.software()[*trick].is_malware);
}

TEST(KnowledgeBase, ResolvesGroupsByAlias) {
  const KnowledgeBase& kb = AttackKb();
  EXPECT_EQ(kb.groups()[*kb.FindGroup("NOBELIUM")].external_id, "G0016");
  EXPECT_EQ(kb.groups()[*kb.FindGroup("telebots")].external_id, "G0034");
  EXPECT_EQ(kb.groups()[*kb.FindGroup("HIDDEN COBRA")].external_id, "G0032");
  EXPECT_EQ(kb.groups()[*kb.FindGroup(testing::kSandworm)].name, "Sandworm Team");
}

TEST(KnowledgeBase, UnknownNamesAreNotFoundWithAHint) {
  const KnowledgeBase& kb = AttackKb();
  auto r = kb.ResolveSoftware("Mimikats");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("mimikatz"), std::string::npos) << r.status().message();
  EXPECT_EQ(kb.ResolveTechnique("T9999").status().code(), ErrorCode::kNotFound);
}

TEST(KnowledgeBase, RejectsMalformedObjectsWithTheirIndex) {
  json::Document doc;
  std::string text =
      R"({"type":"bundle","id":"bundle--1","objects":[{"type":"malware","id":"malware--a","name":"X"},)"
      R"({"type":"intrusion-set","id":"intrusion-set--b"}]})";
  ASSERT_TRUE(doc.Parse(text).ok());
  auto kb = KnowledgeBase::FromBundle(doc.root());
  ASSERT_FALSE(kb.ok());
  EXPECT_EQ(kb.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(kb.status().message().find("objects[1]"), std::string::npos) << kb.status().message();
  EXPECT_NE(kb.status().message().find("name"), std::string::npos);
}

TEST(KnowledgeBase, ReadsAttributedIncidentHistory) {
  json::Document doc;
  std::string text = R"([
    {"type":"intrusion-set","id":"intrusion-set--1","name":"Alpha"},
    {"type":"incident","id":"incident--1","name":"Old case"},
    {"type":"relationship","id":"relationship--1","relationship_type":"attributed-to",
     "source_ref":"incident--1","target_ref":"intrusion-set--1"},
    {"type":"ipv4-addr","id":"ipv4-addr--1","value":"203.0.113.7"},
    {"type":"relationship","id":"relationship--2","relationship_type":"related-to",
     "source_ref":"incident--1","target_ref":"ipv4-addr--1"},
    {"type":"identity","id":"identity--1","name":"Ministry","identity_class":"organization",
     "sectors":["Government"]},
    {"type":"location","id":"location--1","country":"de"},
    {"type":"relationship","id":"relationship--3","relationship_type":"targets",
     "source_ref":"incident--1","target_ref":"identity--1"},
    {"type":"relationship","id":"relationship--4","relationship_type":"targets",
     "source_ref":"incident--1","target_ref":"location--1"},
    {"type":"observed-data","id":"observed-data--1","first_observed":"2024-03-01T06:15:00Z",
     "last_observed":"2024-03-01T07:45:00Z","number_observed":1},
    {"type":"report","id":"report--1","name":"r","object_refs":["incident--1","observed-data--1"]}
  ])";
  ASSERT_TRUE(doc.Parse(text).ok());
  auto kb = KnowledgeBase::FromBundle(doc.root());
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  ASSERT_EQ(kb->incidents().size(), 2u);  // the incident and the report
  const HistoricIncident& h = kb->incidents()[0];
  ASSERT_EQ(h.groups.size(), 1u);
  EXPECT_EQ(kb->groups()[h.groups[0]].name, "Alpha");
  EXPECT_EQ(h.infrastructure, std::vector<std::string>{"ipv4-addr:203.0.113.7"});
  EXPECT_EQ(h.sectors, std::vector<std::string>{"government"});
  EXPECT_EQ(h.countries, std::vector<std::string>{"DE"});
  EXPECT_EQ(kb->groups()[0].incidents, std::vector<std::uint32_t>{0});
  EXPECT_EQ(kb->incidents()[1].activity_hours, (std::vector<int>{6, 7}));
}

}  // namespace
}  // namespace entente::attribute
