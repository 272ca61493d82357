#include "entente/respond/measures.h"

#include <algorithm>

#include "json_util.h"

namespace entente::respond {

using detail::CheckKeys;
using detail::FieldError;
using detail::RequireBool;
using detail::RequireInt;
using detail::RequireString;

namespace {
constexpr std::size_t kMaxCatalogueBytes = 1u << 20;
constexpr std::size_t kMaxMeasures = 1000;

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}
}  // namespace

Result<Catalogue> Catalogue::Parse(std::string_view text) {
  json::ParseLimits limits;
  limits.max_bytes = kMaxCatalogueBytes;
  limits.max_depth = 8;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("measures.json"));
  json::Node root = doc.root();
  if (!root.is_object()) return Status::InvalidArgument("measures.json: expected an object");
  ENTENTE_RETURN_IF_ERROR(
      CheckKeys(root, {"version", "note", "categories", "measures"}, "measures.json"));
  if (root["version"].as_int64() != 1)
    return Status::Unsupported("measures.json: \"version\" must be 1");
  json::Node cats = root["categories"];
  if (!cats.is_array())
    return Status::InvalidArgument("measures.json: \"categories\" must be an array");
  std::vector<std::string> seen_cats;
  for (auto [i, c] : cats) {
    (void)i;
    std::string id, name;
    ENTENTE_RETURN_IF_ERROR(RequireString(c, "id", "measures.json: category", id, 64));
    std::string where = "measures.json: category '" + id + "'";
    ENTENTE_RETURN_IF_ERROR(CheckKeys(c, {"id", "name"}, where));
    ENTENTE_RETURN_IF_ERROR(RequireString(c, "name", where, name, 200));
    if (std::find(std::begin(kCategories), std::end(kCategories), id) == std::end(kCategories)) {
      return FieldError(
          where, "id",
          "not a toolbox category (preventive|cooperative|stability|restrictive|support)");
    }
    seen_cats.push_back(id);
  }
  for (auto c : kCategories) {
    if (std::find(seen_cats.begin(), seen_cats.end(), c) == seen_cats.end()) {
      return Status::InvalidArgument("measures.json: category '" + std::string(c) + "' is missing");
    }
  }
  json::Node ms = root["measures"];
  if (!ms.is_array() || ms.size() == 0 || ms.size() > kMaxMeasures) {
    return Status::InvalidArgument("measures.json: \"measures\" must be an array of 1-1000");
  }
  Catalogue cat;
  std::size_t index = 0;
  for (auto [i, m] : ms) {
    (void)i;
    Measure x;
    std::string where = "measures.json: measure #" + std::to_string(index++);
    if (!m.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(RequireString(m, "id", where, x.id, 64));
    if (!ValidId(x.id)) return FieldError(where, "id", "use 1-64 of [a-z0-9_-]");
    where = "measures.json: measure '" + x.id + "'";
    ENTENTE_RETURN_IF_ERROR(
        CheckKeys(m,
                  {"id", "category", "name", "description", "min_severity", "min_confidence",
                   "needs_responsible_party", "needs_significant_effect", "needs_external_origin",
                   "legal_basis", "decision_rule", "duration_days", "review_days"},
                  where));
    if (cat.Find(x.id)) return FieldError(where, "id", "duplicate measure id");
    ENTENTE_RETURN_IF_ERROR(RequireString(m, "category", where, x.category, 64));
    if (std::find(seen_cats.begin(), seen_cats.end(), x.category) == seen_cats.end()) {
      return FieldError(where, "category", "\"" + x.category + "\" is not a declared category");
    }
    ENTENTE_RETURN_IF_ERROR(RequireString(m, "name", where, x.name, 300));
    if (!m["description"].missing()) {
      ENTENTE_RETURN_IF_ERROR(RequireString(m, "description", where, x.description, 4000));
    }
    std::int64_t n = 0;
    ENTENTE_RETURN_IF_ERROR(RequireInt(m, "min_severity", where, 0, 5, n));
    x.min_severity = static_cast<int>(n);
    if (!m["min_confidence"].is_string()) {
      return FieldError(where, "min_confidence", "expected one of none|low|moderate|high");
    }
    auto conf = ParseConfidence(m["min_confidence"].str(), "x");
    if (!conf.ok())
      return FieldError(where, "min_confidence", "expected one of none|low|moderate|high");
    x.min_confidence = *conf;
    ENTENTE_RETURN_IF_ERROR(
        RequireBool(m, "needs_responsible_party", where, x.needs_responsible_party));
    ENTENTE_RETURN_IF_ERROR(
        RequireBool(m, "needs_significant_effect", where, x.needs_significant_effect));
    ENTENTE_RETURN_IF_ERROR(
        RequireBool(m, "needs_external_origin", where, x.needs_external_origin));
    ENTENTE_RETURN_IF_ERROR(RequireString(m, "legal_basis", where, x.legal_basis, 1000));
    auto rule = ParseRule(m["decision_rule"].str());
    if (!rule.ok()) return FieldError(where, "decision_rule", "expected unanimity|qmv|rqmv");
    x.decision_rule = *rule;
    ENTENTE_RETURN_IF_ERROR(RequireInt(m, "duration_days", where, 1, 3650, n));
    x.duration_days = static_cast<int>(n);
    ENTENTE_RETURN_IF_ERROR(RequireInt(m, "review_days", where, 1, 3650, n));
    if (n > x.duration_days)
      return FieldError(where, "review_days", "must not exceed duration_days");
    x.review_days = static_cast<int>(n);
    if (x.category == "restrictive" &&
        (!x.needs_responsible_party || x.min_confidence < Confidence::kModerate)) {
      // Restrictive measures target named persons and entities (Decision (CFSP) 2019/797).
      return FieldError(where, "needs_responsible_party",
                        "restrictive measures need a named responsible party and at least "
                        "moderate confidence");
    }
    cat.measures_.push_back(std::move(x));
  }
  return cat;
}

Result<Catalogue> Catalogue::Load(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, kMaxCatalogueBytes));
  auto c = Parse(text);
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

const Measure* Catalogue::Find(std::string_view id) const noexcept {
  for (const auto& m : measures_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

std::vector<MeasureOption> Options(const Catalogue& catalogue, const Assessment& a) {
  std::vector<MeasureOption> out;
  for (const auto& m : catalogue.measures()) {
    MeasureOption o;
    o.measure = &m;
    const std::string who =
        m.category == "restrictive" ? std::string("restrictive measures") : "'" + m.id + "'";
    if (a.level < m.min_severity) {
      o.missing.push_back("severity is level " + std::to_string(a.level) + " (" + a.level_name +
                          "); " + who + " need" + (m.category == "restrictive" ? "" : "s") +
                          " at least level " + std::to_string(m.min_severity));
    }
    if (a.confidence < m.min_confidence) {
      o.missing.push_back("attribution confidence is " + std::string(ConfidenceName(a.confidence)) +
                          "; " + who + " need" + (m.category == "restrictive" ? "" : "s") + " " +
                          std::string(ConfidenceName(m.min_confidence)));
    }
    if (m.needs_responsible_party && a.responsible.empty()) {
      o.missing.push_back("no responsible person or entity is named; " + who + " need" +
                          (m.category == "restrictive" ? "" : "s") + " one");
    }
    if (m.needs_significant_effect && !a.significant) {
      o.missing.push_back("no significant effect established (no significance factor met)");
    }
    if (m.needs_external_origin && !a.external) {
      o.missing.push_back(
          "external origin not established (none of the external-threat criteria met)");
    }
    o.proportionate = o.missing.empty();
    out.push_back(std::move(o));
  }
  return out;
}

namespace {
std::string DateAfter(Timestamp t, int days) {
  return FormatTimestamp(Timestamp{t.nanos + std::int64_t{days} * 86'400'000'000'000}, 0)
      .substr(0, 10);
}
}  // namespace

json::Value OptionsToJson(const std::vector<MeasureOption>& options, const Assessment& a,
                          std::optional<Timestamp> adopted_on) {
  json::Value v = json::Value::MakeObject();
  v.set("assessment", a.ToJson());
  json::Value yes = json::Value::MakeArray(), no = json::Value::MakeArray();
  for (const auto& o : options) {
    json::Value m = json::Value::MakeObject();
    m.set("id", o.measure->id);
    m.set("category", o.measure->category);
    m.set("name", o.measure->name);
    if (o.proportionate) {
      m.set("legal_basis", o.measure->legal_basis);
      m.set("decision_rule", RuleName(o.measure->decision_rule));
      m.set("duration_days", o.measure->duration_days);
      m.set("review_days", o.measure->review_days);
      if (adopted_on) {
        m.set("ends", DateAfter(*adopted_on, o.measure->duration_days));
        m.set("review_by", DateAfter(*adopted_on, o.measure->review_days));
      }
      yes.push_back(std::move(m));
    } else {
      json::Value miss = json::Value::MakeArray();
      for (const auto& s : o.missing) miss.push_back(s);
      m.set("missing", std::move(miss));
      no.push_back(std::move(m));
    }
  }
  v.set("proportionate", std::move(yes));
  v.set("not_proportionate", std::move(no));
  return v;
}

}  // namespace entente::respond
