#include "entente/stix/upgrade.h"

#include "entente/stix/types.h"

namespace entente::stix {

bool IsStix20(json::Node object) noexcept {
  std::string_view type = object["type"].str();
  json::Node version = object["spec_version"];
  if (version.is_string()) return version.str() == "2.0";
  const TypeSpec* spec = FindType(type);
  if (spec != nullptr)
    return spec->object_class != ObjectClass::kSco && spec->object_class != ObjectClass::kBundle;
  // A custom object with created/modified is an SDO: without a version it is 2.0.
  return !object["created"].missing();
}

namespace {

std::string PadMillis(std::string_view ts) {
  // "2016-04-06T20:03:00Z" -> "2016-04-06T20:03:00.000Z"; "...00.1Z" -> "...00.100Z".
  std::string s(ts);
  if (s.size() < 20 || s.back() != 'Z') return s;
  std::size_t dot = s.find('.');
  if (dot == std::string::npos) {
    s.insert(s.size() - 1, ".000");
  } else {
    std::size_t digits = s.size() - 1 - dot - 1;
    if (digits < 3) s.insert(s.size() - 1, std::string(3 - digits, '0'));
  }
  return s;
}

}  // namespace

json::Value UpgradeToStix21(json::Node object) {
  json::Value v = json::Value::From(object);
  std::string type(object["type"].str());
  json::Value::Object out;
  out.reserve(v.object().size() + 2);
  // spec_version goes right after type, as STIX tools write it.
  for (auto& [key, value] : v.object()) {
    if (key == "spec_version") continue;
    out.emplace_back(key, std::move(value));
    if (key == "type") out.emplace_back("spec_version", json::Value("2.1"));
  }
  json::Value result = json::Value::MakeObject(std::move(out));
  for (const char* ts : {"created", "modified"}) {
    if (json::Value* t = result.find(ts); t != nullptr && t->is_string())
      *t = json::Value(PadMillis(t->str()));
  }
  static constexpr std::pair<std::string_view, std::string_view> kLabelsTo[] = {
      {"indicator", "indicator_types"},
      {"malware", "malware_types"},
      {"report", "report_types"},
      {"threat-actor", "threat_actor_types"},
      {"tool", "tool_types"}};
  for (auto [t, prop] : kLabelsTo) {
    if (type != t) continue;
    if (json::Value* labels = result.find("labels");
        labels != nullptr && result.find(prop) == nullptr) {
      json::Value moved = std::move(*labels);
      result.erase("labels");
      result.set(prop, std::move(moved));
    }
  }
  if (type == "malware" && result.find("is_family") == nullptr) result.set("is_family", true);
  if (type == "indicator" && result.find("pattern_type") == nullptr)
    result.set("pattern_type", "stix");
  return result;
}

}  // namespace entente::stix
