#include "entente/attribute/procedure.h"

#include <cstdio>

#include "entente/base/uuid.h"
#include "stix_facts.h"

namespace entente::attribute {

namespace {

constexpr std::string_view kTechnicalOnly =
    "Technical assessment to inform the member states' attribution decision; it is not an "
    "attribution.";

bool IsStixId(std::string_view id, std::string_view type = {}) {
  std::size_t sep = id.find("--");
  if (sep == std::string_view::npos || sep == 0) return false;
  if (!type.empty() && id.substr(0, sep) != type) return false;
  return IsUuid(id.substr(sep + 2));
}

json::Value Base(std::string_view type, std::string_view author, Timestamp created) {
  json::Value v = json::Value::MakeObject();
  std::string ts = FormatTimestamp(created, 3);
  v.set("type", type);
  v.set("spec_version", "2.1");
  v.set("id", std::string(type) + "--" + UuidToString(UuidV4()));
  v.set("created", ts);
  v.set("modified", ts);
  if (!author.empty()) v.set("created_by_ref", author);
  return v;
}

std::string ExplanationText(const Assessment& a, const Evidence& ev, const ProfileSet& ps) {
  const KnowledgeBase& kb = ps.kb();
  std::string out = std::string(kTechnicalOnly) + "\nProfile set " + a.profile_set_version + ", " +
                    std::to_string(a.groups_ranked) + " groups ranked on " +
                    std::to_string(ev.items.size()) + " evidence items.\n";
  for (std::size_t k = 0; k < a.candidates.size(); ++k) {
    const auto& c = a.candidates[k];
    const Group& g = kb.groups()[c.ranked.group];
    char line[256];
    std::snprintf(line, sizeof line, "%zu. %s (%s): score %.2f, posterior %.3f, confidence %s\n",
                  k + 1, g.name.c_str(), g.external_id.c_str(), c.ranked.score, c.ranked.posterior,
                  std::string(ConfidenceName(c.confidence)).c_str());
    out += line;
    auto name = [&](const ItemAssessment& ia) {
      const EvidenceItem& e = ev.items[ia.item];
      if (e.kind == EvidenceKind::kTechnique && e.index < kb.techniques().size()) {
        return kb.techniques()[e.index].external_id + " " + kb.techniques()[e.index].name;
      }
      if (e.kind == EvidenceKind::kSoftware && e.index < kb.software().size()) {
        return kb.software()[e.index].external_id + " " + kb.software()[e.index].name;
      }
      return std::string(EvidenceKindName(e.kind)) + " " + e.key;
    };
    for (const auto& f : c.evidence_for) out += "   for: " + name(f) + ": " + f.how + "\n";
    for (const auto& f : c.evidence_against) out += "   against: " + name(f) + ": " + f.how + "\n";
    for (const auto& n : c.against_notes) out += "   against: " + n + "\n";
    for (const auto& f : c.evidence_consistent) {
      out += "   consistent: " + name(f) + ": " + f.how + "\n";
    }
    for (const auto& m : c.missing) out += "   missing: " + m + "\n";
    for (const auto& m : c.false_flag) out += "   false-flag check: " + m + "\n";
  }
  return out;
}

}  // namespace

std::string_view OpinionName(OpinionValue v) noexcept {
  switch (v) {
    case OpinionValue::kStronglyDisagree:
      return "strongly-disagree";
    case OpinionValue::kDisagree:
      return "disagree";
    case OpinionValue::kNeutral:
      return "neutral";
    case OpinionValue::kAgree:
      return "agree";
    case OpinionValue::kStronglyAgree:
      return "strongly-agree";
  }
  return "neutral";
}

Result<OpinionValue> ParseOpinion(std::string_view text) {
  for (auto v : {OpinionValue::kStronglyDisagree, OpinionValue::kDisagree, OpinionValue::kNeutral,
                 OpinionValue::kAgree, OpinionValue::kStronglyAgree}) {
    if (OpinionName(v) == text) return v;
  }
  return Status::InvalidArgument(
      "opinion must be strongly-disagree, disagree, neutral, agree or "
      "strongly-agree, got \"" +
      std::string(text.substr(0, 40)) + "\"");
}

int StixConfidence(Confidence c) noexcept {
  switch (c) {
    case Confidence::kLow:
      return 15;
    case Confidence::kModerate:
      return 50;
    case Confidence::kHigh:
      return 85;
  }
  return 15;
}

std::vector<json::Value> EngineAssessmentObjects(const Assessment& a, const Evidence& ev,
                                                 const ProfileSet& ps, std::string_view author,
                                                 Timestamp created) {
  std::vector<json::Value> out;
  const KnowledgeBase& kb = ps.kb();
  json::Value refs = json::Value::MakeArray();
  if (!ev.incident_id.empty()) refs.push_back(ev.incident_id);
  if (!a.candidates.empty() && !ev.incident_id.empty()) {
    const auto& top = a.candidates.front();
    json::Value rel = Base("relationship", author, created);
    rel.set("relationship_type", "attributed-to");
    rel.set("source_ref", ev.incident_id);
    rel.set("target_ref", kb.groups()[top.ranked.group].stix_id);
    rel.set("confidence", StixConfidence(top.confidence));
    rel.set("description",
            std::string("Hypothesis of the attribution engine. ") + std::string(kTechnicalOnly));
    rel.set("x_entente_profile_set_version", a.profile_set_version);
    refs.push_back(rel.find("id")->str());
    out.push_back(std::move(rel));
  }
  for (const auto& c : a.candidates) refs.push_back(kb.groups()[c.ranked.group].stix_id);
  json::Value note = Base("note", author, created);
  note.set("abstract", "Attribution engine assessment");
  note.set("content", ExplanationText(a, ev, ps));
  note.set("object_refs", std::move(refs));
  note.set("x_entente_assessment", AssessmentToJson(a, ev, ps));
  out.push_back(std::move(note));
  return out;
}

Result<json::Value> MemberOpinion(std::string_view object_ref, OpinionValue value,
                                  std::string_view rationale, std::string_view author,
                                  Timestamp created) {
  if (!IsStixId(object_ref)) {
    return Status::InvalidArgument("opinion: object_ref \"" +
                                   std::string(object_ref.substr(0, 120)) + "\" is not a STIX id");
  }
  if (!IsStixId(author, "identity")) {
    return Status::InvalidArgument("opinion: author must be an identity id");
  }
  if (rationale.empty()) return Status::InvalidArgument("opinion: the rationale is required");
  json::Value o = Base("opinion", author, created);
  o.set("opinion", OpinionName(value));
  o.set("explanation", rationale);
  json::Value refs = json::Value::MakeArray();
  refs.push_back(object_ref);
  o.set("object_refs", std::move(refs));
  return o;
}

Result<AttributionCase> AttributionCase::Open(std::string_view incident_id,
                                              std::string_view opened_by, RecordSink* sink,
                                              Timestamp now) {
  std::size_t sep = incident_id.find("--");
  if (sep == std::string_view::npos || !IsStixId(incident_id) ||
      !internal::IsIncidentLike(incident_id.substr(0, sep))) {
    return Status::InvalidArgument("attribution case: \"" +
                                   std::string(incident_id.substr(0, 120)) +
                                   "\" is not an incident, report, grouping or campaign id");
  }
  if (sink == nullptr) return Status::InvalidArgument("attribution case: no record sink");
  AttributionCase c;
  c.sink_ = sink;
  c.incident_id_ = std::string(incident_id);
  c.evidence_.incident_id = c.incident_id_;
  json::Value note = Base("note", opened_by, now);
  note.set("abstract", "Attribution case opened");
  note.set("content", std::string(kTechnicalOnly));
  json::Value refs = json::Value::MakeArray();
  refs.push_back(incident_id);
  note.set("object_refs", std::move(refs));
  ENTENTE_RETURN_IF_ERROR(c.Emit(std::move(note)));
  return c;
}

Status AttributionCase::Emit(json::Value object) {
  ENTENTE_RETURN_IF_ERROR(sink_->Record(object));
  record_ids_.push_back(object.find("id")->str());
  return Status::Ok();
}

Status AttributionCase::AttachEvidence(const Evidence& evidence, std::string_view author,
                                       Timestamp now) {
  if (closed_) return Status::InvalidArgument("attribution case is closed");
  json::Value note = Base("note", author, now);
  note.set("abstract", "Evidence attached to the attribution case");
  json::Value items = json::Value::MakeArray();
  Evidence merged = evidence_;
  for (const auto& e : evidence.items) {
    json::Value v = json::Value::MakeObject();
    v.set("kind", EvidenceKindName(e.kind));
    v.set("value", e.key);
    v.set("provenance", e.provenance);
    v.set("admiralty", e.grading ? e.grading->ToString() : std::string("ungraded"));
    items.push_back(std::move(v));
    merged.Add(e);
  }
  note.set("content", std::to_string(evidence.items.size()) + " evidence item(s)");
  json::Value refs = json::Value::MakeArray();
  refs.push_back(incident_id_);
  note.set("object_refs", std::move(refs));
  note.set("x_entente_evidence", std::move(items));
  ENTENTE_RETURN_IF_ERROR(Emit(std::move(note)));
  evidence_ = std::move(merged);
  return Status::Ok();
}

Result<Assessment> AttributionCase::Assess(const ProfileSet& profiles,
                                           const Calibration& calibration, std::string_view author,
                                           Timestamp now, std::size_t top) {
  if (closed_) return Status::InvalidArgument("attribution case is closed");
  if (evidence_.items.empty()) return Status::InvalidArgument("attribution case has no evidence");
  Assessment a = profiles.Assess(evidence_, calibration, top);
  auto objects = EngineAssessmentObjects(a, evidence_, profiles, author, now);
  std::string hypothesis, note;
  for (auto& o : objects) {
    std::string id = o.find("id")->str();
    (o.find("type")->str() == "relationship" ? hypothesis : note) = id;
    ENTENTE_RETURN_IF_ERROR(Emit(std::move(o)));
  }
  hypothesis_id_ = hypothesis.empty() ? note : hypothesis;
  engine_note_id_ = note;
  return a;
}

Status AttributionCase::AddOpinion(OpinionValue value, std::string_view rationale,
                                   std::string_view author, Timestamp now) {
  if (closed_) return Status::InvalidArgument("attribution case is closed");
  if (hypothesis_id_.empty()) {
    return Status::InvalidArgument("attribution case: no engine assessment to give an opinion on");
  }
  ENTENTE_ASSIGN_OR_RETURN(json::Value o,
                           MemberOpinion(hypothesis_id_, value, rationale, author, now));
  std::string id = o.find("id")->str();
  ENTENTE_RETURN_IF_ERROR(Emit(std::move(o)));
  opinion_ids_.push_back(std::move(id));
  return Status::Ok();
}

Result<json::Value> AttributionCase::Finalize(std::string_view group_id, Confidence confidence,
                                              std::string_view rationale, std::string_view author,
                                              Timestamp now) {
  if (closed_) return Status::InvalidArgument("attribution case is closed");
  if (!IsStixId(group_id, "intrusion-set")) {
    return Status::InvalidArgument("final assessment: \"" + std::string(group_id.substr(0, 120)) +
                                   "\" is not an intrusion-set id");
  }
  if (rationale.empty()) return Status::InvalidArgument("final assessment: rationale required");
  json::Value note = Base("note", author, now);
  note.set("abstract", "Final technical attribution assessment");
  note.set("content", std::string(rationale) + "\n" + std::string(kTechnicalOnly));
  json::Value refs = json::Value::MakeArray();
  refs.push_back(incident_id_);
  refs.push_back(group_id);
  if (!engine_note_id_.empty()) refs.push_back(engine_note_id_);
  if (!hypothesis_id_.empty() && hypothesis_id_ != engine_note_id_) refs.push_back(hypothesis_id_);
  for (const auto& o : opinion_ids_) refs.push_back(o);
  note.set("object_refs", std::move(refs));
  json::Value fa = json::Value::MakeObject();
  fa.set("intrusion_set_ref", group_id);
  fa.set("confidence", ConfidenceName(confidence));
  fa.set("stix_confidence", StixConfidence(confidence));
  fa.set("opinions", static_cast<std::uint64_t>(opinion_ids_.size()));
  note.set("x_entente_final_assessment", std::move(fa));
  json::Value copy = note;
  ENTENTE_RETURN_IF_ERROR(Emit(std::move(note)));
  closed_ = true;
  return copy;
}

}  // namespace entente::attribute
