#include <gtest/gtest.h>

#include <set>

#include "entente/attribute/evidence.h"
#include "test_kb.h"

namespace entente::attribute {
namespace {

using testing::AttackKb;

const char* kIncident = R"({"type":"bundle","id":"bundle--1","objects":[
  {"type":"incident","spec_version":"2.1","id":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","name":"Grid outage",
   "labels":["admiralty-scale:source-reliability=\"b\"","admiralty-scale:information-credibility=\"2\""],
   "x_entente_activity_hours":[6,7]},
  {"type":"attack-pattern","id":"attack-pattern--00000000-0000-4000-8000-000000000001","name":"whatever",
   "external_references":[{"source_name":"mitre-attack","external_id":"T1485"}]},
  {"type":"malware","id":"malware--00000000-0000-4000-8000-000000000002","name":"industroyer","is_family":true,
   "x_entente_admiralty":"A1"},
  {"type":"malware","id":"malware--00000000-0000-4000-8000-000000000003","name":"NotInAttack","is_family":true},
  {"type":"identity","id":"identity--00000000-0000-4000-8000-000000000004","name":"Utility","sectors":["Energy"]},
  {"type":"location","id":"location--00000000-0000-4000-8000-000000000005","country":"ua"},
  {"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000006","pattern_type":"stix",
   "pattern":"[ipv4-addr:value = '198.51.100.9']","valid_from":"2024-01-01T00:00:00Z"},
  {"type":"observed-data","id":"observed-data--00000000-0000-4000-8000-000000000007",
   "first_observed":"2024-01-02T09:30:00Z","last_observed":"2024-01-02T09:40:00Z","number_observed":1},
  {"type":"relationship","id":"relationship--1","relationship_type":"uses",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"attack-pattern--00000000-0000-4000-8000-000000000001"},
  {"type":"relationship","id":"relationship--2","relationship_type":"uses",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"malware--00000000-0000-4000-8000-000000000002"},
  {"type":"relationship","id":"relationship--3","relationship_type":"uses",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"malware--00000000-0000-4000-8000-000000000003"},
  {"type":"relationship","id":"relationship--4","relationship_type":"targets",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"identity--00000000-0000-4000-8000-000000000004"},
  {"type":"relationship","id":"relationship--5","relationship_type":"targets",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"location--00000000-0000-4000-8000-000000000005"},
  {"type":"relationship","id":"relationship--6","relationship_type":"indicates",
   "source_ref":"indicator--00000000-0000-4000-8000-000000000006","target_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f"},
  {"type":"relationship","id":"relationship--7","relationship_type":"related-to",
   "source_ref":"incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f","target_ref":"observed-data--00000000-0000-4000-8000-000000000007"},
  {"type":"malware","id":"malware--00000000-0000-4000-8000-000000000009","name":"Mimikatz","is_family":true}
]})";

TEST(EvidenceFromBundle, ReadsAnIncidentAndWhatItUses) {
  const KnowledgeBase& kb = AttackKb();
  json::Document doc;
  ASSERT_TRUE(doc.Parse(std::string_view(kIncident)).ok());
  std::vector<std::string> unresolved;
  auto ev = EvidenceFromBundle(doc.root(), kb, std::nullopt, &unresolved);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->incident_id, "incident--7b1e0f6e-6f1c-4e57-9d0b-1a2b3c4d5e6f");
  EXPECT_EQ(ev->Count(EvidenceKind::kTechnique), 1u);
  EXPECT_EQ(ev->Count(EvidenceKind::kSoftware), 1u);  // Mimikatz is not linked to the incident
  EXPECT_EQ(ev->Count(EvidenceKind::kSector), 1u);
  EXPECT_EQ(ev->Count(EvidenceKind::kCountry), 1u);
  EXPECT_EQ(ev->Count(EvidenceKind::kInfrastructure), 1u);
  EXPECT_EQ(ev->Count(EvidenceKind::kActivityHour), 3u);  // 6, 7 and 9
  ASSERT_EQ(unresolved.size(), 1u);
  EXPECT_NE(unresolved[0].find("NotInAttack"), std::string::npos);
  for (const auto& e : ev->items) {
    if (e.kind == EvidenceKind::kSoftware) {
      EXPECT_EQ(kb.software()[e.index].name, "Industroyer");
      EXPECT_EQ(e.grading->ToString(), "A1");  // its own grading
    } else {
      ASSERT_TRUE(e.grading);
      EXPECT_EQ(e.grading->ToString(), "B2");  // the incident's MISP labels
    }
    if (e.kind == EvidenceKind::kInfrastructure) {
      EXPECT_EQ(e.key, "ipv4-addr:198.51.100.9");
    }
    if (e.kind == EvidenceKind::kCountry) {
      EXPECT_EQ(e.key, "UA");
    }
    if (e.kind == EvidenceKind::kSector) {
      EXPECT_EQ(e.key, "energy");
    }
  }
}

TEST(EvidenceFromBundle, WithoutAContainerEveryObjectCounts) {
  const KnowledgeBase& kb = AttackKb();
  json::Document doc;
  std::string text =
      R"([{"type":"tool","id":"tool--1","name":"x","external_references":[{"source_name":"mitre-attack","external_id":"S0002"}]},
    {"type":"domain-name","id":"domain-name--1","value":"EVIL.example"}])";
  ASSERT_TRUE(doc.Parse(text).ok());
  auto ev = EvidenceFromBundle(doc.root(), kb, Admiralty{'C', 3});
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  ASSERT_EQ(ev->items.size(), 2u);
  EXPECT_EQ(kb.software()[ev->items[0].index].name, "Mimikatz");
  EXPECT_EQ(ev->items[1].key, "domain-name:evil.example");
  EXPECT_EQ(ev->items[1].grading->ToString(), "C3");
}

TEST(EvidenceFromBundle, IndicatorLabelsNamingFamiliesAreSoftwareEvidence) {
  // What `entente scan` and shared feeds produce: indicators labelled with the malware family
  // ("mt:" is the family prefix of the abuse.ch-style lists the node imports).
  const KnowledgeBase& kb = AttackKb();
  json::Document doc;
  std::string text =
      R"([{"type":"indicator","id":"indicator--1","labels":["mt:NotPetya","unknown-family"],
         "pattern":"[domain-name:value = 'x.example']","pattern_type":"stix"},
        {"type":"sighting","id":"sighting--1","labels":["BlackEnergy"],"sighting_of_ref":"indicator--1"}])";
  ASSERT_TRUE(doc.Parse(text).ok());
  auto ev = EvidenceFromBundle(doc.root(), kb, Admiralty{'B', 2});
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->Count(EvidenceKind::kSoftware), 2u);
  std::set<std::string> names;
  for (const auto& e : ev->items) {
    if (e.kind == EvidenceKind::kSoftware) names.insert(kb.software()[e.index].name);
  }
  EXPECT_TRUE(names.contains("NotPetya"));
  EXPECT_TRUE(names.contains("BlackEnergy"));
}

TEST(EvidenceFromBundle, RejectsBadInputClearly) {
  const KnowledgeBase& kb = AttackKb();
  for (std::string text : {std::string(R"({"type":"incident","id":"incident--1"})"),
                           std::string(R"({"type":"bundle","objects":{}})"),
                           std::string(R"([{"type":"malware"}])"), std::string("[1]")}) {
    json::Document doc;
    ASSERT_TRUE(doc.Parse(text).ok());
    auto ev = EvidenceFromBundle(doc.root(), kb);
    EXPECT_EQ(ev.status().code(), ErrorCode::kInvalidArgument) << text;
  }
  json::Document doc;
  std::string bad_grading =
      R"([{"type":"incident","id":"incident--1","x_entente_admiralty":"Z9"}])";
  ASSERT_TRUE(doc.Parse(bad_grading).ok());
  EXPECT_EQ(EvidenceFromBundle(doc.root(), kb).status().code(), ErrorCode::kInvalidArgument);
}

TEST(EvidenceFromBundle, EnforcesLimits) {
  const KnowledgeBase& kb = AttackKb();
  std::string text = "[";
  for (int i = 0; i < 20; ++i) {
    text += (i ? "," : "") + std::string(R"({"type":"ipv4-addr","id":"ipv4-addr--)") +
            std::to_string(i) + R"(","value":"192.0.2.)" + std::to_string(i) + "\"}";
  }
  text += "]";
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  IncidentLimits limits;
  limits.max_objects = 10;
  EXPECT_EQ(EvidenceFromBundle(doc.root(), kb, std::nullopt, nullptr, limits).status().code(),
            ErrorCode::kLimitExceeded);
  limits.max_objects = 100;
  limits.max_items = 5;
  EXPECT_EQ(EvidenceFromBundle(doc.root(), kb, std::nullopt, nullptr, limits).status().code(),
            ErrorCode::kLimitExceeded);
}

TEST(Evidence, DuplicatesKeepTheBetterGrading) {
  Evidence ev;
  EXPECT_TRUE(ev.Add({EvidenceKind::kSoftware, 3, "S", "a", Admiralty{'D', 4}}));
  EXPECT_FALSE(ev.Add({EvidenceKind::kSoftware, 3, "S", "b", Admiralty{'A', 2}}));
  ASSERT_EQ(ev.items.size(), 1u);
  EXPECT_EQ(ev.items[0].grading->ToString(), "A2");
  EXPECT_EQ(ev.items[0].provenance, "b");
}

}  // namespace
}  // namespace entente::attribute
