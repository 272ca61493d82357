// The attribution procedure as STIX 2.1 objects (docs/ATTRIBUTION.md, "Procedure").
//
// An attribution case is opened on an incident; evidence is attached with its provenance and
// Admiralty grading; the engine's assessment is recorded as an `attributed-to` hypothesis
// (relationship with a STIX confidence) plus a `note` that carries the explanation and the
// profile-set version; member states' analysts add `opinion`s on the hypothesis
// (strongly-disagree ... strongly-agree, with their rationale); a final technical assessment
// `note` closes the case and is handed to the response process. Attribution itself remains the
// states' political decision: every object says it is a technical assessment.
//
// Every object a step produces goes through a RecordSink before the step returns; the sink is
// where signing and the transparency log plug in (identity and ledger modules). A failing sink
// fails the step and leaves the case unchanged.
//
// Threads: an AttributionCase is used by one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "entente/attribute/engine.h"
#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"

namespace entente::attribute {

// Receives each STIX object of the procedure, in order. Implementations sign and log it.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status Record(const json::Value& stix_object) = 0;
};

// Keeps the objects in memory (tests, CLI export).
class MemorySink final : public RecordSink {
 public:
  Status Record(const json::Value& stix_object) override {
    objects.push_back(stix_object);
    return Status::Ok();
  }
  std::vector<json::Value> objects;
};

enum class OpinionValue { kStronglyDisagree, kDisagree, kNeutral, kAgree, kStronglyAgree };
std::string_view OpinionName(OpinionValue v) noexcept;  // "strongly-disagree", ...
Result<OpinionValue> ParseOpinion(std::string_view text);

// STIX 2.1 confidence (0-100) for a band, per the STIX "Low/Med/High" scale: 15 / 50 / 85.
int StixConfidence(Confidence c) noexcept;

// The engine's assessment as STIX objects: [relationship attributed-to (only when the evidence
// names an incident), note]. The note's `content` is the human explanation; its
// `x_entente_assessment` holds AssessmentToJson(); `created_by_ref` is `author` (an identity id).
std::vector<json::Value> EngineAssessmentObjects(const Assessment& assessment,
                                                 const Evidence& evidence,
                                                 const ProfileSet& profiles,
                                                 std::string_view author, Timestamp created);

// A member state's opinion on `object_ref` (the hypothesis relationship or the engine note).
// kInvalidArgument if the author or object_ref is not a STIX id or the rationale is empty.
Result<json::Value> MemberOpinion(std::string_view object_ref, OpinionValue value,
                                  std::string_view rationale, std::string_view author,
                                  Timestamp created);

class AttributionCase {
 public:
  // Opens a case on an incident (a STIX incident/report/grouping id). `sink` must outlive the
  // case. kInvalidArgument if the id is not a STIX id of such a type.
  static Result<AttributionCase> Open(std::string_view incident_id, std::string_view opened_by,
                                      RecordSink* sink, Timestamp now);

  // Attaches evidence (kept in the case; recorded as a note listing each item with provenance
  // and grading).
  Status AttachEvidence(const Evidence& evidence, std::string_view author, Timestamp now);
  // Runs the engine on the attached evidence and records its assessment.
  Result<Assessment> Assess(const ProfileSet& profiles, const Calibration& calibration,
                            std::string_view author, Timestamp now, std::size_t top = 5);
  // A member state's opinion on the engine's hypothesis. kInvalidArgument if no assessment was
  // recorded yet, the case is closed, the author is not an identity id or the rationale is
  // empty.
  Status AddOpinion(OpinionValue value, std::string_view rationale, std::string_view author,
                    Timestamp now);
  // Closes the case with the final technical assessment: the group (by STIX id, may differ from
  // the engine's first candidate), the confidence and the rationale. Further steps fail.
  Result<json::Value> Finalize(std::string_view group_id, Confidence confidence,
                               std::string_view rationale, std::string_view author, Timestamp now);

  const std::string& incident_id() const noexcept { return incident_id_; }
  const Evidence& evidence() const noexcept { return evidence_; }
  const std::vector<std::string>& record_ids() const noexcept { return record_ids_; }
  bool closed() const noexcept { return closed_; }

 private:
  Status Emit(json::Value object);
  RecordSink* sink_ = nullptr;
  std::string incident_id_;
  Evidence evidence_;
  std::string hypothesis_id_;  // relationship (or note) the opinions refer to
  std::string engine_note_id_;
  std::vector<std::string> opinion_ids_;
  std::vector<std::string> record_ids_;
  bool closed_ = false;
};

}  // namespace entente::attribute
