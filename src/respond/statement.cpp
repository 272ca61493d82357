#include "entente/respond/statement.h"

#include <cstdio>

#include "entente/base/uuid.h"
#include "json_util.h"

namespace entente::respond {

namespace {

std::string Share(std::int64_t part, std::int64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                total > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0);
  return buf;
}

bool IsIso2(std::string_view s) noexcept {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

}  // namespace

std::string StatementText(const Proposal& p, const Outcome& o, std::string_view measure_name,
                          Timestamp when) {
  std::string date = FormatTimestamp(when, 0).substr(0, 10);
  std::string targets;
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    if (i) targets += i + 1 == p.targets.size() ? " and " : ", ";
    targets += p.targets[i].name;
  }
  std::string text = "Joint statement of " + date +
                     ". The Member States have considered the "
                     "following malicious cyber activity: " +
                     p.grounds;
  if (!p.incident_ref.empty()) text += " (" + p.incident_ref + ")";
  text += ". ";
  if (p.attribution_confidence == Confidence::kNone) {
    text += "No attribution is made. ";
  } else {
    text += "The activity is assessed with " +
            std::string(ConfidenceName(p.attribution_confidence)) +
            " confidence to be the responsibility of " +
            (targets.empty() ? "an unnamed actor" : targets) +
            "; attribution remains a sovereign decision of each Member State. ";
  }
  text += "Deciding by " + std::string(RuleName(o.rule)) + " (" + std::to_string(o.yes) +
          " in favour, " + std::to_string(o.no) + " against, " + std::to_string(o.abstain) +
          " abstaining, " + std::to_string(o.constructive) + " abstaining constructively, " +
          std::to_string(o.absent) + " not voting; " + Share(o.pop_yes, o.pop_total) +
          " % of the population in favour, " + std::to_string(o.population_year) +
          " figures), the Council adopts the following measure: " + std::string(measure_name) +
          " (" + p.measure + ")";
  if (!targets.empty() && p.attribution_confidence != Confidence::kNone) {
    text += ", concerning " + targets;
  }
  text += ".";
  return text;
}

Result<json::Value> MakeJointStatement(const Proposal& p, const Outcome& o,
                                       std::string_view measure_name, std::string_view signer,
                                       Timestamp now, const crypto::hybrid::SigPrivateKey& key) {
  if (!o.adopted) return Status::InvalidArgument("statement: the decision was not adopted");
  if (o.rule != p.rule)
    return Status::InvalidArgument("statement: the outcome is for another rule");
  if (!IsIso2(signer)) return Status::InvalidArgument("statement: signer must be an ISO code");
  std::string ts = FormatTimestamp(now);
  std::string text = StatementText(p, o, measure_name, now);
  json::Value report = json::Value::MakeObject();
  report.set("type", "report");
  report.set("spec_version", "2.1");
  report.set("id", "report--" + UuidToString(UuidV4()));
  report.set("created", ts);
  report.set("modified", ts);
  report.set("name", "Joint statement: " + std::string(measure_name));
  report.set("description", text);
  report.set("published", ts);
  report.set("report_types", json::Value::MakeArray({json::Value("threat-report")}));
  json::Value refs = json::Value::MakeArray();
  refs.push_back(p.id);
  if (!p.incident_ref.empty()) refs.push_back(p.incident_ref);
  for (const auto& t : p.targets) {
    if (!t.ref.empty()) refs.push_back(t.ref);
  }
  report.set("object_refs", std::move(refs));
  report.set("confidence", p.attribution_confidence == Confidence::kHigh       ? 85
                           : p.attribution_confidence == Confidence::kModerate ? 50
                           : p.attribution_confidence == Confidence::kLow      ? 15
                                                                               : 0);

  json::Value s = json::Value::MakeObject();
  s.set("type", "x-entente-statement");
  s.set("spec_version", "2.1");
  s.set("id", "x-entente-statement--" + UuidToString(UuidV4()));
  s.set("created", ts);
  s.set("modified", ts);
  s.set("signer", signer);
  s.set("proposal_ref", p.id);
  s.set("measure", p.measure);
  s.set("attribution_confidence", ConfidenceName(p.attribution_confidence));
  s.set("decision", o.ToJson());
  s.set("text", text);
  s.set("report", std::move(report));
  json::Value inner = json::Value::MakeObject();
  inner.set("extension_type", "new-sdo");
  json::Value ext = json::Value::MakeObject();
  ext.set(kStatementExtensionId, std::move(inner));
  s.set("extensions", std::move(ext));
  ENTENTE_RETURN_IF_ERROR(SignObject(s, kStatementDomain, key));
  return s;
}

Status VerifyJointStatement(std::string_view text, const TrustList& trust) {
  json::ParseLimits limits;
  limits.max_bytes = 1u << 20;
  limits.max_depth = 32;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("statement"));
  json::Node s = doc.root();
  if (s["type"].str() != "x-entente-statement") {
    return Status::InvalidArgument("statement: type must be x-entente-statement");
  }
  ENTENTE_RETURN_IF_ERROR(detail::CheckKeys(
      s,
      {"type", "spec_version", "id", "created", "modified", "signer", "proposal_ref", "measure",
       "attribution_confidence", "decision", "text", "report", "extensions", "signature"},
      "statement"));
  const auto* key = trust.Find(s["signer"].str());
  if (!key) {
    return Status::PermissionDenied("statement: signer \"" +
                                    std::string(s["signer"].str().substr(0, 8)) +
                                    "\" is not in the trust list");
  }
  ENTENTE_RETURN_IF_ERROR(VerifyObject(s, kStatementDomain, *key).WithContext("statement"));
  if (!s["decision"]["adopted"].boolean()) {
    return Status::InvalidArgument("statement: the decision it reports was not adopted");
  }
  json::Node report = s["report"];
  if (report["type"].str() != "report" || report["description"].str() != s["text"].str()) {
    return Status::InvalidArgument("statement: the report does not carry the statement text");
  }
  bool refers = false;
  for (auto [k, r] : report["object_refs"]) {
    (void)k;
    refers = refers || r.str() == s["proposal_ref"].str();
  }
  if (!refers)
    return Status::InvalidArgument("statement: the report does not refer to the proposal");
  return Status::Ok();
}

}  // namespace entente::respond
