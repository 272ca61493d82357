// Test data shipped in data/stix (see data/stix/SOURCE.md).
#pragma once

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "entente/base/json.h"

namespace entente::pattern::testing {

// The bytes of data/<rel>, or "" if it cannot be read (the test's assertions then fail).
inline std::string ReadData(const std::string& rel) {
  std::ifstream in(std::string(ENTENTE_DATA_DIR) + "/" + rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Calls `fn(name, pattern, bundle_json)` for every misp-stix mapping entry that has both an
// indicator (its pattern) and an observed-data: the STIX objects of the entry as one bundle.
// Returns false if the files cannot be read.
inline bool ForEachMispGoldenPair(
    const std::function<void(const std::string&, const std::string&, const std::string&)>& fn) {
  for (const char* file : {"stix/misp-stix/misp_attributes_to_stix21.json",
                           "stix/misp-stix/misp_objects_to_stix21.json"}) {
    std::string text = ReadData(file);
    auto root = json::Value::Parse(text);
    if (!root.ok()) return false;
    for (const auto& [name, entry] : root->object()) {
      const json::Value* stix = entry.find("STIX");
      if (!stix || !stix->is_array()) continue;
      std::string pattern;
      bool has_observed = false;
      for (const auto& o : stix->array()) {
        const json::Value* type = o.find("type");
        if (!type) continue;
        if (type->str() == "indicator") pattern = o.find("pattern")->str();
        if (type->str() == "observed-data") has_observed = true;
      }
      if (pattern.empty() || !has_observed) continue;
      json::Value bundle = json::Value::MakeObject();
      bundle.set("type", "bundle");
      bundle.set("objects", *stix);
      fn(name, pattern, bundle.Serialize());
    }
  }
  return true;
}

}  // namespace entente::pattern::testing
