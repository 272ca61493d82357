#include "stix_facts.h"

#include <cctype>

#include "entente/attribute/knowledge_base.h"
#include "entente/base/time.h"

namespace entente::attribute {

namespace {

std::string Clip(std::string_view s, std::size_t max) {
  return std::string(s.substr(0, std::min(s.size(), max)));
}

// Value from a simple indicator pattern "[ipv4-addr:value = '203.0.113.7']". Compound patterns
// yield nothing here: the detect module's matcher, not attribution, reads full patterns.
std::optional<std::string> FromSimplePattern(std::string_view p) {
  if (p.size() < 8 || p.front() != '[' || p.back() != ']') return std::nullopt;
  p = p.substr(1, p.size() - 2);
  if (p.find(" AND ") != std::string_view::npos || p.find(" OR ") != std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t colon = p.find(':');
  std::size_t eq = p.find('=');
  if (colon == std::string_view::npos || eq == std::string_view::npos || eq < colon) {
    return std::nullopt;
  }
  std::string_view type = p.substr(0, colon);
  std::string_view path = p.substr(colon + 1, eq - colon - 1);
  while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
  std::size_t q1 = p.find('\'', eq);
  std::size_t q2 = q1 == std::string_view::npos ? q1 : p.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string_view value = p.substr(q1 + 1, q2 - q1 - 1);
  if (value.empty()) return std::nullopt;
  if (type == "ipv4-addr" || type == "ipv6-addr" || type == "domain-name" || type == "url") {
    if (path != "value") return std::nullopt;
    std::string v(value);
    if (type == "domain-name") v = AsciiLower(v);
    return std::string(type) + ":" + v;
  }
  if (type == "x509-certificate" && path.find("hashes") != std::string_view::npos) {
    return "x509-certificate:" + AsciiLower(value);
  }
  return std::nullopt;
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> InfrastructureKey(json::Node o) {
  std::string_view type = o["type"].str();
  if (type == "ipv4-addr" || type == "ipv6-addr" || type == "url") {
    if (!o["value"].is_string() || o["value"].str().empty()) return std::nullopt;
    return std::string(type) + ":" + std::string(o["value"].str());
  }
  if (type == "domain-name") {
    if (!o["value"].is_string() || o["value"].str().empty()) return std::nullopt;
    return "domain-name:" + AsciiLower(o["value"].str());
  }
  if (type == "autonomous-system") {
    auto n = o["number"].as_int64();
    if (!n) return std::nullopt;
    return "autonomous-system:AS" + std::to_string(*n);
  }
  if (type == "x509-certificate") {
    json::Node hashes = o["hashes"];
    for (std::string_view alg : {"SHA-256", "SHA-1", "MD5"}) {
      if (hashes[alg].is_string()) return "x509-certificate:" + AsciiLower(hashes[alg].str());
    }
    if (o["serial_number"].is_string()) {
      return "x509-certificate:serial:" + AsciiLower(o["serial_number"].str());
    }
    return std::nullopt;
  }
  if (type == "indicator" && o["pattern"].is_string() &&
      (o["pattern_type"].missing() || o["pattern_type"].str() == "stix")) {
    return FromSimplePattern(o["pattern"].str());
  }
  return std::nullopt;
}

namespace internal {

bool IsIncidentLike(std::string_view type) noexcept {
  return type == "incident" || type == "report" || type == "grouping" || type == "campaign";
}

std::optional<int> HourOf(std::string_view timestamp) {
  auto t = ParseTimestamp(timestamp);
  if (!t.ok()) return std::nullopt;
  std::int64_t s = t->seconds();
  std::int64_t h = ((s % 86400) + 86400) % 86400 / 3600;
  return static_cast<int>(h);
}

ObjectFacts ReadFacts(json::Node o, std::size_t max_string_bytes) {
  ObjectFacts f;
  f.type = Clip(o["type"].str(), 64);
  f.id = Clip(o["id"].str(), max_string_bytes);
  f.infrastructure = InfrastructureKey(o);
  if (f.infrastructure && f.infrastructure->size() > max_string_bytes) f.infrastructure.reset();
  if (f.type == "location") {
    std::string_view c = o["country"].str();
    if (c.size() == 2 && std::isalpha(static_cast<unsigned char>(c[0])) &&
        std::isalpha(static_cast<unsigned char>(c[1]))) {
      std::string up(c);
      for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      f.country = up;
    }
  }
  if (f.type == "identity" && o["sectors"].is_array()) {
    for (auto [k, s] : o["sectors"]) {
      (void)k;
      if (s.is_string() && !s.str().empty() && f.sectors.size() < 64) {
        f.sectors.push_back(AsciiLower(Clip(s.str(), max_string_bytes)));
      }
    }
  }
  for (std::string_view key : {"first_observed", "last_observed", "first_seen", "last_seen"}) {
    if (f.type != "observed-data" && f.type != "sighting") break;
    if (o[key].is_string()) {
      if (auto h = HourOf(o[key].str())) f.hours.push_back(*h);
    }
  }
  if (o["x_entente_activity_hours"].is_array()) {
    for (auto [k, h] : o["x_entente_activity_hours"]) {
      (void)k;
      auto v = h.as_int64();
      if (v && *v >= 0 && *v < 24 && f.hours.size() < 1024) f.hours.push_back(static_cast<int>(*v));
    }
  }
  if (f.type == "mutex" && o["name"].is_string() && !o["name"].str().empty()) {
    f.artefacts.push_back("mutex:" + Clip(o["name"].str(), max_string_bytes));
  }
  if (o["x_entente_artefacts"].is_array()) {
    for (auto [k, a] : o["x_entente_artefacts"]) {
      (void)k;
      if (a.is_string() && !a.str().empty() && f.artefacts.size() < 256) {
        f.artefacts.push_back(Clip(a.str(), max_string_bytes));
      }
    }
  }
  if (o["x_entente_admiralty"].is_string()) f.admiralty = Clip(o["x_entente_admiralty"].str(), 8);
  // MISP's admiralty-scale machine tags, as labels.
  if (!f.admiralty && o["labels"].is_array()) {
    char rel = 0, cred = 0;
    for (auto [k, l] : o["labels"]) {
      (void)k;
      std::string_view s = l.str();
      auto value = [&](std::string_view prefix) -> char {
        if (s.substr(0, prefix.size()) != prefix || s.size() < prefix.size() + 3) return 0;
        return s[prefix.size() + 1];
      };
      if (char c = value("admiralty-scale:source-reliability=")) rel = c;
      if (char c = value("admiralty-scale:information-credibility=")) cred = c;
    }
    if (rel && cred) f.admiralty = std::string{rel, cred};
  }
  return f;
}

bool CollectRefs(json::Node o, std::size_t max_refs, std::vector<std::string>& out) {
  for (std::string_view key : {"object_refs", "where_sighted_refs", "observed_data_refs"}) {
    json::Node refs = o[key];
    if (!refs.is_array()) continue;
    for (auto [k, r] : refs) {
      (void)k;
      if (!r.is_string()) continue;
      if (out.size() >= max_refs) return false;
      out.emplace_back(r.str());
    }
  }
  if (o["sighting_of_ref"].is_string()) {
    if (out.size() >= max_refs) return false;
    out.emplace_back(o["sighting_of_ref"].str());
  }
  return true;
}

}  // namespace internal
}  // namespace entente::attribute
