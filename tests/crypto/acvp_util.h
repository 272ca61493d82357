// Loads the NIST ACVP vector files in data/acvp (see data/acvp/README.md for their fields).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/json.h"

namespace entente::crypto::testing {

// The whole file, parsed; `root()["cases"]` is the array of cases. Aborts the test on failure.
struct VectorFile {
  std::string text;
  json::Document doc;
  std::vector<json::Node> cases() const {
    std::vector<json::Node> out;
    for (const auto& entry : doc.root()["cases"]) out.push_back(entry.second);
    return out;
  }
};
std::unique_ptr<VectorFile> LoadVectors(std::string_view relative_path);

// Hex field of a case (empty if absent).
Bytes Hex(const json::Node& node, std::string_view field);
std::string Str(const json::Node& node, std::string_view field);
std::string ReadFile(const std::string& path);

}  // namespace entente::crypto::testing
