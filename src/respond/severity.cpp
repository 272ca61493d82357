#include "entente/respond/severity.h"

#include <algorithm>

#include "json_util.h"

namespace entente::respond {

using detail::CheckKeys;
using detail::FieldError;
using detail::RequireInt;
using detail::RequireString;

namespace {

constexpr std::size_t kMaxModelBytes = 1u << 20;
constexpr std::size_t kMaxIncidentBytes = 4u << 20;

json::ParseLimits Limits(std::size_t bytes, std::uint32_t depth) {
  json::ParseLimits l;
  l.max_bytes = bytes;
  l.max_depth = depth;
  l.max_container_size = 100'000;
  return l;
}

}  // namespace

Result<SeverityModel> SeverityModel::Parse(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(
      doc.Parse(text, Limits(kMaxModelBytes, 16)).WithContext("severity model"));
  json::Node root = doc.root();
  if (!root.is_object()) return Status::InvalidArgument("severity model: expected an object");
  ENTENTE_RETURN_IF_ERROR(CheckKeys(
      root, {"version", "note", "categories", "levels", "significance", "external_origin", "rsit"},
      "severity model"));
  if (root["version"].as_int64() != 1) {
    return Status::Unsupported("severity model: \"version\" must be 1");
  }
  SeverityModel m;
  json::Node cats = root["categories"];
  if (!cats.is_array() || cats.size() == 0 || cats.size() > 32) {
    return Status::InvalidArgument("severity model: \"categories\" must be an array of 1-32");
  }
  for (auto [k, c] : cats) {
    (void)k;
    SeverityCategory cat;
    std::string where = "severity model: category";
    if (!c.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(RequireString(c, "id", where, cat.id, 64));
    where += " '" + cat.id + "'";
    ENTENTE_RETURN_IF_ERROR(CheckKeys(c, {"id", "name", "weight", "default", "options"}, where));
    ENTENTE_RETURN_IF_ERROR(RequireString(c, "name", where, cat.name, 200));
    std::int64_t w = 0;
    ENTENTE_RETURN_IF_ERROR(RequireInt(c, "weight", where, 1, 1000, w));
    cat.weight = static_cast<int>(w);
    json::Node opts = c["options"];
    if (!opts.is_object() || opts.size() == 0 || opts.size() > 64) {
      return FieldError(where, "options", "expected an object of 1-64 option: score members");
    }
    for (auto [name, score] : opts) {
      auto s = score.as_int64();
      if (name.empty() || name.size() > 64 || !s || *s < 0 || *s > 100) {
        return FieldError(where, "options",
                          "option \"" + std::string(name.substr(0, 64)) +
                              "\" needs a name of 1-64 bytes and an integer score 0-100");
      }
      cat.options.emplace(std::string(name), static_cast<int>(*s));
    }
    ENTENTE_RETURN_IF_ERROR(RequireString(c, "default", where, cat.default_option, 64));
    if (!cat.options.count(cat.default_option)) {
      return FieldError(where, "default",
                        "\"" + cat.default_option + "\" is not one of its options");
    }
    for (const auto& other : m.categories_) {
      if (other.id == cat.id) return Status::InvalidArgument(where + ": duplicate category");
    }
    m.categories_.push_back(std::move(cat));
  }
  json::Node levels = root["levels"];
  if (!levels.is_array() || levels.size() != 6) {
    return Status::InvalidArgument("severity model: \"levels\" must list the six levels 0-5");
  }
  for (auto [k, l] : levels) {
    (void)k;
    SeverityLevel level;
    std::string where = "severity model: level " + std::to_string(m.levels_.size());
    if (!l.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(CheckKeys(l, {"level", "name", "min_score"}, where));
    std::int64_t n = 0, min = 0;
    ENTENTE_RETURN_IF_ERROR(RequireInt(l, "level", where, 0, 5, n));
    if (n != static_cast<std::int64_t>(m.levels_.size())) {
      return FieldError(where, "level", "levels must be listed in order 0, 1, ..., 5");
    }
    ENTENTE_RETURN_IF_ERROR(RequireString(l, "name", where, level.name, 64));
    ENTENTE_RETURN_IF_ERROR(RequireInt(l, "min_score", where, 0, 100, min));
    if (n == 0 && min != 0) return FieldError(where, "min_score", "level 0 must start at 0");
    if (n > 0 && min <= m.levels_.back().min_score) {
      return FieldError(where, "min_score", "must be greater than the previous level's");
    }
    level.level = static_cast<int>(n);
    level.min_score = static_cast<int>(min);
    m.levels_.push_back(std::move(level));
  }
  json::Node sig = root["significance"];
  if (!sig.is_object()) return Status::InvalidArgument("severity model: \"significance\" missing");
  ENTENTE_RETURN_IF_ERROR(
      CheckKeys(sig, {"note", "min_factors", "factors"}, "severity model: significance"));
  std::int64_t min_factors = 0;
  ENTENTE_RETURN_IF_ERROR(
      RequireInt(sig, "min_factors", "severity model: significance", 1, 64, min_factors));
  m.min_factors_ = static_cast<int>(min_factors);
  if (!sig["factors"].is_array() || sig["factors"].size() == 0 || sig["factors"].size() > 64) {
    return Status::InvalidArgument("severity model: significance.factors must be an array of 1-64");
  }
  for (auto [k, f] : sig["factors"]) {
    (void)k;
    SignificanceFactor factor;
    std::string where = "severity model: significance factor";
    if (!f.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(RequireString(f, "id", where, factor.id, 64));
    where += " '" + factor.id + "'";
    ENTENTE_RETURN_IF_ERROR(CheckKeys(f, {"id", "name", "type", "threshold"}, where));
    ENTENTE_RETURN_IF_ERROR(RequireString(f, "name", where, factor.name, 200));
    std::string type;
    ENTENTE_RETURN_IF_ERROR(RequireString(f, "type", where, type, 16));
    if (type == "count") {
      factor.type = SignificanceFactor::Type::kCount;
      ENTENTE_RETURN_IF_ERROR(
          RequireInt(f, "threshold", where, 1, std::int64_t{1} << 53, factor.threshold));
    } else if (type == "level") {
      factor.type = SignificanceFactor::Type::kLevel;
      ENTENTE_RETURN_IF_ERROR(RequireInt(f, "threshold", where, 0, 5, factor.threshold));
    } else if (type == "flag") {
      factor.type = SignificanceFactor::Type::kFlag;
      if (!f["threshold"].missing())
        return FieldError(where, "threshold", "a flag has no threshold");
    } else {
      return FieldError(where, "type", "expected count|flag|level");
    }
    m.factors_.push_back(std::move(factor));
  }
  json::Node ext = root["external_origin"];
  if (!ext.is_array() || ext.size() == 0 || ext.size() > 16) {
    return Status::InvalidArgument("severity model: \"external_origin\" must be an array of 1-16");
  }
  for (auto [k, e] : ext) {
    (void)k;
    std::string id, name;
    std::string where = "severity model: external_origin criterion";
    if (!e.is_object()) return Status::InvalidArgument(where + ": expected an object");
    ENTENTE_RETURN_IF_ERROR(RequireString(e, "id", where, id, 64));
    ENTENTE_RETURN_IF_ERROR(CheckKeys(e, {"id", "name"}, where + " '" + id + "'"));
    ENTENTE_RETURN_IF_ERROR(RequireString(e, "name", where + " '" + id + "'", name, 200));
    m.external_.emplace_back(std::move(id), std::move(name));
  }
  json::Node rsit = root["rsit"];
  if (!rsit.is_object() || !rsit["classes"].is_object()) {
    return Status::InvalidArgument("severity model: \"rsit.classes\" missing");
  }
  ENTENTE_RETURN_IF_ERROR(CheckKeys(rsit, {"note", "classes"}, "severity model: rsit"));
  for (auto [cls, types] : rsit["classes"]) {
    if (!types.is_array() || types.size() == 0) {
      return Status::InvalidArgument("severity model: rsit class '" +
                                     std::string(cls.substr(0, 64)) +
                                     "': expected a non-empty array of types");
    }
    auto& list = m.rsit_[std::string(cls)];
    for (auto [i, t] : types) {
      (void)i;
      if (!t.is_string() || t.str().empty()) {
        return Status::InvalidArgument("severity model: rsit class '" + std::string(cls) +
                                       "': types must be non-empty strings");
      }
      list.emplace_back(t.str());
    }
  }
  return m;
}

Result<SeverityModel> SeverityModel::Load(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, kMaxModelBytes));
  auto m = Parse(text);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

std::string_view SeverityModel::LevelName(int level) const noexcept {
  for (const auto& l : levels_) {
    if (l.level == level) return l.name;
  }
  return {};
}

Result<Assessment> SeverityModel::Assess(const IncidentFacts& facts) const {
  Assessment a;
  a.incident_id = facts.id;
  a.incident_name = facts.name;
  for (const auto& entry : facts.nciss) {
    const std::string& cat = entry.first;
    const std::string& opt = entry.second;
    auto it = std::find_if(categories_.begin(), categories_.end(),
                           [&](const SeverityCategory& c) { return c.id == cat; });
    if (it == categories_.end()) {
      return Status::InvalidArgument("incident nciss: unknown category \"" + cat + "\"");
    }
    if (!it->options.count(opt)) {
      return Status::InvalidArgument("incident nciss." + cat + ": unknown option \"" + opt + "\"");
    }
  }
  std::int64_t weighted = 0, weights = 0;
  for (const auto& c : categories_) {
    auto it = facts.nciss.find(c.id);
    const std::string& opt = it == facts.nciss.end() ? c.default_option : it->second;
    weighted += static_cast<std::int64_t>(c.weight) * c.options.at(opt);
    weights += c.weight;
  }
  a.score = static_cast<int>(weighted / weights);
  for (const auto& l : levels_) {
    // level when score >= min_score, compared exactly on the weighted sum.
    if (weighted >= static_cast<std::int64_t>(l.min_score) * weights) a.level = l.level;
  }
  a.level_name = std::string(LevelName(a.level));

  for (const auto& entry : facts.counts) {
    const std::string& id = entry.first;
    bool known = std::any_of(factors_.begin(), factors_.end(), [&](const SignificanceFactor& f) {
      return f.id == id && f.type == SignificanceFactor::Type::kCount;
    });
    if (!known)
      return Status::InvalidArgument("incident significance: unknown count factor \"" + id + "\"");
  }
  for (const auto& entry : facts.flags) {
    const std::string& id = entry.first;
    bool known = std::any_of(factors_.begin(), factors_.end(), [&](const SignificanceFactor& f) {
      return f.id == id && f.type == SignificanceFactor::Type::kFlag;
    });
    if (!known)
      return Status::InvalidArgument("incident significance: unknown flag factor \"" + id + "\"");
  }
  for (const auto& f : factors_) {
    bool met = false;
    switch (f.type) {
      case SignificanceFactor::Type::kCount: {
        auto it = facts.counts.find(f.id);
        met = it != facts.counts.end() && it->second >= f.threshold;
        break;
      }
      case SignificanceFactor::Type::kFlag: {
        auto it = facts.flags.find(f.id);
        met = it != facts.flags.end() && it->second;
        break;
      }
      case SignificanceFactor::Type::kLevel:
        met = a.level >= f.threshold;
        break;
    }
    if (met) a.significance_met.push_back(f.id);
  }
  a.significant = static_cast<int>(a.significance_met.size()) >= min_factors_;

  for (const auto& entry : facts.external_origin) {
    const std::string& id = entry.first;
    const bool v = entry.second;
    bool known = std::any_of(external_.begin(), external_.end(),
                             [&](const auto& e) { return e.first == id; });
    if (!known)
      return Status::InvalidArgument("incident external_origin: unknown criterion \"" + id + "\"");
    if (v) a.external_met.push_back(id);
  }
  a.external = !a.external_met.empty();

  if (!facts.rsit_class.empty()) {
    auto it = rsit_.find(facts.rsit_class);
    if (it == rsit_.end()) {
      return Status::InvalidArgument("incident rsit: unknown class \"" + facts.rsit_class + "\"");
    }
    if (std::find(it->second.begin(), it->second.end(), facts.rsit_type) == it->second.end()) {
      return Status::InvalidArgument("incident rsit: \"" + facts.rsit_type +
                                     "\" is not a type of class \"" + facts.rsit_class + "\"");
    }
  }
  a.rsit_class = facts.rsit_class;
  a.rsit_type = facts.rsit_type;
  a.confidence = facts.confidence;
  a.responsible = facts.responsible;
  a.attribution_case_ref = facts.attribution_case_ref;
  return a;
}

json::Value Assessment::ToJson() const {
  json::Value v = json::Value::MakeObject();
  v.set("incident", incident_id);
  if (!incident_name.empty()) v.set("name", incident_name);
  v.set("score", score);
  v.set("level", level);
  v.set("level_name", level_name);
  v.set("significant", significant);
  json::Value sm = json::Value::MakeArray();
  for (const auto& s : significance_met) sm.push_back(s);
  v.set("significance_factors_met", std::move(sm));
  v.set("external", external);
  json::Value em = json::Value::MakeArray();
  for (const auto& s : external_met) em.push_back(s);
  v.set("external_criteria_met", std::move(em));
  if (!rsit_class.empty()) v.set("rsit", rsit_class + "/" + rsit_type);
  v.set("attribution_confidence", ConfidenceName(confidence));
  json::Value rp = json::Value::MakeArray();
  for (const auto& r : responsible) {
    json::Value o = json::Value::MakeObject();
    o.set("name", r.name);
    if (!r.ref.empty()) o.set("ref", r.ref);
    rp.push_back(std::move(o));
  }
  v.set("responsible", std::move(rp));
  if (!attribution_case_ref.empty()) v.set("attribution_case_ref", attribution_case_ref);
  return v;
}

namespace {

Status ReadAssessment(json::Node a, IncidentFacts& f) {
  const std::string where = "incident";
  if (!a.is_object()) return Status::InvalidArgument("incident: expected an object");
  ENTENTE_RETURN_IF_ERROR(CheckKeys(a,
                                    {"type", "id", "name", "nciss", "significance",
                                     "external_origin", "attempt", "rsit", "attribution"},
                                    where));
  if (f.id.empty() && a["id"].is_string()) f.id = std::string(a["id"].str().substr(0, 200));
  if (f.name.empty() && a["name"].is_string()) f.name = std::string(a["name"].str().substr(0, 500));
  if (!a["nciss"].missing()) {
    if (!a["nciss"].is_object()) return FieldError(where, "nciss", "expected an object");
    for (auto [k, v] : a["nciss"]) {
      if (!v.is_string())
        return FieldError(where, "nciss." + std::string(k.substr(0, 64)), "expected a string");
      f.nciss[std::string(k.substr(0, 64))] = std::string(v.str().substr(0, 64));
    }
  }
  if (!a["significance"].missing()) {
    if (!a["significance"].is_object())
      return FieldError(where, "significance", "expected an object");
    for (auto [k, v] : a["significance"]) {
      std::string key(k.substr(0, 64));
      if (v.is_bool()) {
        f.flags[key] = v.boolean();
      } else if (auto n = v.as_int64(); n && *n >= 0) {
        f.counts[key] = *n;
      } else {
        return FieldError(where, "significance." + key,
                          "expected true/false or a non-negative integer");
      }
    }
  }
  if (!a["external_origin"].missing()) {
    if (!a["external_origin"].is_object())
      return FieldError(where, "external_origin", "expected an object");
    for (auto [k, v] : a["external_origin"]) {
      if (!v.is_bool())
        return FieldError(where, "external_origin." + std::string(k.substr(0, 64)),
                          "expected true or false");
      f.external_origin[std::string(k.substr(0, 64))] = v.boolean();
    }
  }
  if (!a["attempt"].missing()) {
    if (!a["attempt"].is_bool()) return FieldError(where, "attempt", "expected true or false");
    f.attempt = a["attempt"].boolean();
  }
  if (!a["rsit"].missing()) {
    std::string_view r = a["rsit"].str();
    auto slash = r.find('/');
    if (!a["rsit"].is_string() || slash == std::string_view::npos || r.size() > 128) {
      return FieldError(where, "rsit", "expected \"class/type\", e.g. \"availability/ddos\"");
    }
    f.rsit_class = std::string(r.substr(0, slash));
    f.rsit_type = std::string(r.substr(slash + 1));
  }
  json::Node at = a["attribution"];
  if (!at.missing()) {
    if (!at.is_object()) return FieldError(where, "attribution", "expected an object");
    ENTENTE_RETURN_IF_ERROR(
        CheckKeys(at, {"confidence", "case_ref", "responsible"}, "incident attribution"));
    if (!at["confidence"].missing()) {
      ENTENTE_ASSIGN_OR_RETURN(
          f.confidence, ParseConfidence(at["confidence"].str(), "incident attribution.confidence"));
    }
    f.attribution_case_ref = std::string(at["case_ref"].str().substr(0, 200));
    json::Node rs = at["responsible"];
    if (!rs.missing()) {
      if (!rs.is_array() || rs.size() > 100) {
        return FieldError("incident attribution", "responsible",
                          "expected an array of at most 100");
      }
      for (auto [i, r] : rs) {
        (void)i;
        ResponsibleParty p;
        if (r.is_string()) {
          p.name = std::string(r.str().substr(0, 500));
        } else {
          p.name = std::string(r["name"].str().substr(0, 500));
          p.ref = std::string(r["ref"].str().substr(0, 200));
        }
        if (p.name.empty()) {
          return FieldError("incident attribution", "responsible", "each party needs a \"name\"");
        }
        f.responsible.push_back(std::move(p));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<IncidentFacts> ParseIncident(std::string_view text, std::string_view incident_id) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, Limits(kMaxIncidentBytes, 64)).WithContext("incident"));
  json::Node root = doc.root();
  IncidentFacts f;
  if (root["type"].str() == "bundle") {
    for (auto [i, o] : root["objects"]) {
      (void)i;
      if (o["type"].str() != "incident") continue;
      if (!incident_id.empty() && o["id"].str() != incident_id) continue;
      if (o["x_entente_assessment"].missing() && incident_id.empty()) continue;
      f.id = std::string(o["id"].str().substr(0, 200));
      f.name = std::string(o["name"].str().substr(0, 500));
      ENTENTE_RETURN_IF_ERROR(ReadAssessment(o["x_entente_assessment"], f).WithContext(f.id));
      return f;
    }
    return Status::NotFound(
        incident_id.empty()
            ? std::string("incident bundle: no incident object with x_entente_assessment")
            : "incident bundle: no incident " + std::string(incident_id.substr(0, 200)));
  }
  ENTENTE_RETURN_IF_ERROR(ReadAssessment(root, f));
  if (!incident_id.empty() && f.id != incident_id) {
    return Status::NotFound("incident " + std::string(incident_id.substr(0, 200)) +
                            " not in the input");
  }
  return f;
}

}  // namespace entente::respond
