// Helpers for the MISP tests: reading the shipped samples and comparing STIX by meaning.
#pragma once

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "entente/base/json.h"

namespace entente::formats::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string MispData(const std::string& rel) {
  return std::string(ENTENTE_DATA_DIR) + "/misp/" + rel;
}

inline json::Value LoadJson(const std::string& path) {
  auto v = json::Value::Parse(ReadFile(path));
  if (!v.ok()) return json::Value();
  return std::move(v).value();
}

inline bool IsRefsKey(const std::string& key) {
  return key.size() > 5 && key.compare(key.size() - 5, 5, "_refs") == 0;
}

// Sorted copy of *_refs arrays, recursively, so that reference lists compare as sets.
inline json::Value Normalise(const json::Value& v) {
  if (v.is_object()) {
    json::Value out = json::Value::MakeObject();
    for (const auto& [k, child] : v.object()) {
      json::Value c = Normalise(child);
      if (IsRefsKey(k) && c.is_array()) {
        std::sort(c.array().begin(), c.array().end(),
                  [](const json::Value& a, const json::Value& b) { return a.str() < b.str(); });
      }
      out.set(k, std::move(c));
    }
    return out;
  }
  if (v.is_array()) {
    json::Value out = json::Value::MakeArray();
    for (const auto& child : v.array()) out.push_back(Normalise(child));
    return out;
  }
  return v;
}

inline std::string RelKey(const json::Value& r) {
  auto get = [&](const char* k) {
    const json::Value* x = r.find(k);
    return x ? x->str() : std::string();
  };
  return get("source_ref") + " " + get("relationship_type") + " " + get("target_ref");
}

// True when the id is a random (v4) UUID: those the oracle generated at random and we cannot
// reproduce; relationships are then matched by (source, type, target).
inline bool RandomId(const std::string& id) {
  auto dd = id.find("--");
  return dd != std::string::npos && id.size() >= dd + 2 + 15 && id[dd + 2 + 14] == '4';
}

// Replaces every occurrence of a string value equal to `from` by `to`.
inline void Rewrite(json::Value& v, const std::map<std::string, std::string>& ids) {
  if (v.is_string()) {
    auto it = ids.find(v.str());
    if (it != ids.end()) v = json::Value(it->second);
  } else if (v.is_array()) {
    for (auto& c : v.array()) Rewrite(c, ids);
  } else if (v.is_object()) {
    for (auto& [k, c] : v.object()) Rewrite(c, ids);
  }
}

// Compares two lists of STIX objects by meaning: same ids, same properties and values, member
// order ignored, *_refs lists compared as sets, random relationship ids matched by content.
// Returns human-readable differences (empty when equal).
inline std::vector<std::string> CompareStix(std::vector<json::Value> expected,
                                            std::vector<json::Value> actual) {
  std::vector<std::string> diffs;
  std::map<std::string, std::string> actual_rel_by_key;
  for (const auto& a : actual) {
    if (a.find("type") && a.find("type")->str() == "relationship") {
      actual_rel_by_key[RelKey(a)] = a.find("id")->str();
    }
  }
  std::map<std::string, std::string> rename;
  for (const auto& e : expected) {
    if (e.find("type") && e.find("type")->str() == "relationship" &&
        RandomId(e.find("id")->str())) {
      auto it = actual_rel_by_key.find(RelKey(e));
      if (it != actual_rel_by_key.end()) rename[e.find("id")->str()] = it->second;
    }
  }
  for (auto& e : expected) Rewrite(e, rename);
  std::map<std::string, json::Value> by_id;
  for (auto& a : actual) {
    std::string id = a.find("id") ? a.find("id")->str() : "";
    by_id[id] = Normalise(a);
  }
  for (const auto& e : expected) {
    const std::string id = e.find("id") ? e.find("id")->str() : "";
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      diffs.push_back("missing " + id + ": " + e.Serialize());
      continue;
    }
    json::Value ne = Normalise(e);
    if (!ne.Equals(it->second)) {
      diffs.push_back("differs " + id + "\n  expected " + ne.Serialize() + "\n  actual   " +
                      it->second.Serialize());
    }
    by_id.erase(it);
  }
  for (const auto& [id, a] : by_id) diffs.push_back("unexpected " + id + ": " + a.Serialize());
  return diffs;
}

inline std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace entente::formats::testing
