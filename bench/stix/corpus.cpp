#include "corpus.h"

#include <cstdio>
#include <fstream>
#include <random>

#include "entente/base/json.h"
#include "entente/base/uuid.h"

namespace entente::bench {
namespace {

struct Value {
  std::string type;  // pattern object path
  std::string value;
  std::string label;
};

std::string g_source;

std::vector<Value> LoadValues() {
  std::vector<Value> values;
  const std::string dir = std::string(ENTENTE_SHARED_DIR) + "/data/ioc/";
  const std::pair<const char*, const char*> files[] = {{"ips.txt", "ipv4-addr:value"},
                                                       {"domains.txt", "domain-name:value"},
                                                       {"urls.txt", "url:value"},
                                                       {"sha256.txt", "file:hashes.'SHA-256'"},
                                                       {"md5.txt", "file:hashes.MD5"}};
  for (auto [file, path] : files) {
    std::ifstream in(dir + file);
    std::string line;
    std::size_t taken = 0;
    while (taken < 200000 && std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      auto tab = line.find('\t');
      std::string value = line.substr(0, tab);
      std::string label = tab == std::string::npos ? "malicious" : line.substr(tab + 1);
      if (value.find('\'') != std::string::npos || value.find('\\') != std::string::npos) continue;
      values.push_back({path, value, label.substr(0, label.find(','))});
      ++taken;
    }
  }
  if (!values.empty()) g_source = dir;
  if (values.empty()) {
    for (int i = 0; i < 100000; ++i) {
      values.push_back({"ipv4-addr:value",
                        "198.51." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256),
                        "botnet"});
      values.push_back({"domain-name:value", "c2-" + std::to_string(i) + ".example.net", "emotet"});
    }
  }
  return values;
}

}  // namespace

std::string CorpusSource() { return g_source; }

std::vector<std::string> MakeIndicators(std::size_t n, std::uint64_t seed) {
  static const std::vector<Value> values = LoadValues();
  std::mt19937_64 rng(seed);
  static const char* kMarkings[] = {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
                                    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"};
  static const char* kCreators[] = {"identity--3b2c5a8e-7f6d-4e1a-9c3b-2d1e0f9a8b7c",
                                    "identity--5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c",
                                    "identity--9a8b7c6d-5e4f-4a3b-9c1d-0e1f2a3b4c5d"};
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Value& v = values[rng() % values.size()];
    Uuid u = UuidV4();
    std::uint64_t r = rng();
    int day = static_cast<int>(r % 28) + 1, month = static_cast<int>(r / 28 % 12) + 1;
    char created[32];
    std::snprintf(created, sizeof created, "2025-%02d-%02dT%02d:%02d:%02d.%03dZ", month, day,
                  static_cast<int>(r % 24), static_cast<int>(r % 60), static_cast<int>(r / 7 % 60),
                  static_cast<int>(r % 1000));
    json::Value o = json::Value::MakeObject();
    o.set("type", "indicator");
    o.set("spec_version", "2.1");
    o.set("id", "indicator--" + UuidToString(u));
    o.set("created_by_ref", kCreators[r % 3]);
    o.set("created", created);
    o.set("modified", created);
    o.set("name", v.label + " " + v.type.substr(0, v.type.find(':')) + " " + v.value.substr(0, 60));
    o.set("description",
          "Observed in " + v.label + " activity; shared by a member state CSIRT for detection.");
    o.set("indicator_types", json::Value::MakeArray({json::Value("malicious-activity")}));
    o.set("pattern", "[" + v.type + " = '" + v.value + "']");
    o.set("pattern_type", "stix");
    o.set("valid_from", created);
    o.set("kill_chain_phases",
          *json::Value::Parse(
              R"([{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}])"));
    o.set("labels", json::Value::MakeArray({json::Value(v.label)}));
    o.set("confidence", static_cast<int>(r % 100));
    o.set("object_marking_refs", json::Value::MakeArray({json::Value(kMarkings[r % 3])}));
    out.push_back(o.Serialize());
  }
  return out;
}

std::string MakeBundle(const std::vector<std::string>& objects) {
  std::string b =
      "{\"type\":\"bundle\",\"id\":\"bundle--" + UuidToString(UuidV4()) + "\",\"objects\":[";
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (i) b += ",\n";
    b += objects[i];
  }
  return b + "]}\n";
}

}  // namespace entente::bench
