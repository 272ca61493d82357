#include <gtest/gtest.h>

#include "entente/attribute/procedure.h"
#include "test_kb.h"

namespace entente::attribute {
namespace {

using testing::AttackKb;

constexpr const char* kProcedureIncident = "incident--6f0d8f2a-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
constexpr const char* kAgency = "identity--0b0c0d0e-1f20-4a3b-8c4d-5e6f70819203";
constexpr const char* kStateA = "identity--1b0c0d0e-1f20-4a3b-8c4d-5e6f70819203";
constexpr const char* kStateB = "identity--2b0c0d0e-1f20-4a3b-8c4d-5e6f70819203";

class FailingSink final : public RecordSink {
 public:
  Status Record(const json::Value&) override { return Status::Unavailable("log down"); }
};

TEST(Procedure, RunsACaseFromOpeningToFinalAssessment) {
  const KnowledgeBase& kb = AttackKb();
  ProfileSet ps = ProfileSet::Build(kb);
  MemorySink sink;
  Timestamp now = *ParseTimestamp("2026-11-22T10:00:00Z");
  auto c = AttributionCase::Open(kProcedureIncident, kAgency, &sink, now);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->AddOpinion(OpinionValue::kAgree, "x", kStateA, now).code(),
            ErrorCode::kInvalidArgument);  // nothing to give an opinion on yet
  Evidence ev;
  ev.Add({EvidenceKind::kSoftware, *kb.FindSoftware("Industroyer"), "S0604", "sensor-7",
          Admiralty{'B', 2}});
  ev.Add({EvidenceKind::kSoftware, *kb.FindSoftware("Olympic Destroyer"), "S0365", "cert-x",
          Admiralty{'C', 3}});
  ASSERT_TRUE(c->AttachEvidence(ev, kAgency, now).ok());
  auto a = c->Assess(ps, Calibration{}, kAgency, now, 3);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(kb.groups()[a->candidates[0].ranked.group].stix_id, testing::kSandworm);
  ASSERT_TRUE(
      c->AddOpinion(OpinionValue::kStronglyAgree, "Matches our own telemetry", kStateA, now).ok());
  ASSERT_TRUE(c->AddOpinion(OpinionValue::kNeutral, "No independent data", kStateB, now).ok());
  auto final_note =
      c->Finalize(testing::kSandworm, Confidence::kHigh, "Custom ICS malware", kAgency, now);
  ASSERT_TRUE(final_note.ok()) << final_note.status().ToString();
  EXPECT_TRUE(c->closed());
  EXPECT_FALSE(c->AddOpinion(OpinionValue::kAgree, "late", kStateA, now).ok());

  // open note, evidence note, hypothesis, engine note, 2 opinions, final note
  ASSERT_EQ(sink.objects.size(), 7u);
  EXPECT_EQ(sink.objects[1].find("x_entente_evidence")->size(), 2u);
  const json::Value& rel = sink.objects[2];
  EXPECT_EQ(rel.find("type")->str(), "relationship");
  EXPECT_EQ(rel.find("relationship_type")->str(), "attributed-to");
  EXPECT_EQ(rel.find("source_ref")->str(), kProcedureIncident);
  EXPECT_EQ(rel.find("target_ref")->str(), testing::kSandworm);
  const json::Value& note = sink.objects[3];
  EXPECT_EQ(note.find("type")->str(), "note");
  EXPECT_EQ(note.find("x_entente_assessment")->find("profile_set_version")->str(), ps.version());
  EXPECT_NE(note.find("content")->str().find("not an attribution"), std::string::npos);
  const json::Value& op = sink.objects[4];
  EXPECT_EQ(op.find("type")->str(), "opinion");
  EXPECT_EQ(op.find("opinion")->str(), "strongly-agree");
  EXPECT_EQ(op.find("object_refs")->array()[0].str(), rel.find("id")->str());
  EXPECT_EQ(op.find("created_by_ref")->str(), kStateA);
  const json::Value& fin = sink.objects[6];
  EXPECT_EQ(fin.find("x_entente_final_assessment")->find("stix_confidence")->as_int64(), 85);
  EXPECT_EQ(fin.find("object_refs")->size(), 6u);  // incident, group, note, hypothesis, 2 opinions
  EXPECT_EQ(c->record_ids().size(), 7u);
}

TEST(Procedure, RejectsBadIdsAndAFailingSinkStopsTheStep) {
  MemorySink sink;
  Timestamp now = *ParseTimestamp("2026-11-22T10:00:00Z");
  EXPECT_FALSE(
      AttributionCase::Open("malware--6f0d8f2a-3a4b-4c5d-8e9f-0a1b2c3d4e5f", kAgency, &sink, now)
          .ok());
  EXPECT_FALSE(AttributionCase::Open("incident--nope", kAgency, &sink, now).ok());
  FailingSink failing;
  auto c = AttributionCase::Open(kProcedureIncident, kAgency, &failing, now);
  EXPECT_EQ(c.status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(MemberOpinion(kProcedureIncident, OpinionValue::kAgree, "", kStateA, now).ok());
  EXPECT_FALSE(MemberOpinion(kProcedureIncident, OpinionValue::kAgree, "ok", "bob", now).ok());
  EXPECT_EQ(*ParseOpinion("strongly-disagree"), OpinionValue::kStronglyDisagree);
  EXPECT_FALSE(ParseOpinion("meh").ok());
}

}  // namespace
}  // namespace entente::attribute
