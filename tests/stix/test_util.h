// Helpers shared by the stix tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string DataPath(const std::string& rel) {
  return std::string(ENTENTE_DATA_DIR) + "/" + rel;
}
