#include "entente/base/file.h"

#include <fstream>
#include <sstream>

namespace entente {

Result<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("error reading " + path);
  return ss.str();
}

}  // namespace entente
