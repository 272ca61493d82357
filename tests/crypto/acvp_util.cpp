#include "acvp_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace entente::crypto::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::unique_ptr<VectorFile> LoadVectors(std::string_view relative_path) {
  auto file = std::make_unique<VectorFile>();
  const std::string path = std::string(ENTENTE_DATA_DIR) + "/" + std::string(relative_path);
  file->text = ReadFile(path);
  EXPECT_FALSE(file->text.empty()) << "missing vector file " << path;
  Status st = file->doc.Parse(file->text);
  EXPECT_TRUE(st.ok()) << path << ": " << st.ToString();
  return file;
}

Bytes Hex(const json::Node& node, std::string_view field) {
  auto v = node[field];
  if (!v.is_string()) return {};
  auto bytes = HexDecode(v.str());
  EXPECT_TRUE(bytes.ok()) << field;
  return bytes.ok() ? std::move(bytes).value() : Bytes{};
}

std::string Str(const json::Node& node, std::string_view field) {
  auto v = node[field];
  return v.is_string() ? std::string(v.str()) : std::string();
}

}  // namespace entente::crypto::testing
