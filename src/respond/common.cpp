#include "entente/respond/common.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace entente::respond {

std::string_view ConfidenceName(Confidence c) noexcept {
  switch (c) {
    case Confidence::kNone:
      return "none";
    case Confidence::kLow:
      return "low";
    case Confidence::kModerate:
      return "moderate";
    case Confidence::kHigh:
      return "high";
  }
  return "none";
}

Result<Confidence> ParseConfidence(std::string_view text, std::string_view where) {
  for (Confidence c :
       {Confidence::kNone, Confidence::kLow, Confidence::kModerate, Confidence::kHigh}) {
    if (text == ConfidenceName(c)) return c;
  }
  return Status::InvalidArgument(std::string(where) +
                                 ": expected one of none|low|moderate|high, got \"" +
                                 std::string(text.substr(0, 40)) + "\"");
}

Status MemorySink::Append(std::string_view kind, std::string_view subject, ByteView payload_hash) {
  events_.push_back(
      {std::string(kind), std::string(subject), Bytes(payload_hash.begin(), payload_hash.end())});
  return Status::Ok();
}

std::string FindDataFile(std::string_view name, std::string_view exe_dir) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("ENTENTE_DATA_DIR")) {
    candidates.push_back(std::string(env) + "/respond/" + std::string(name));
  }
  if (!exe_dir.empty()) {
    candidates.push_back(std::string(exe_dir) + "/../share/entente/respond/" + std::string(name));
  }
#ifdef ENTENTE_SOURCE_DATA_DIR
  candidates.push_back(std::string(ENTENTE_SOURCE_DATA_DIR) + "/respond/" + std::string(name));
#endif
  std::error_code ec;
  for (const auto& c : candidates) {
    if (std::filesystem::is_regular_file(c, ec)) return c;
  }
  return candidates.empty() ? std::string(name) : candidates.back();
}

Result<std::string> ReadLimitedFile(const std::string& path, std::size_t limit) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(path + ": " + ec.message());
  if (size > limit) {
    return Status::LimitExceeded(path + ": " + std::to_string(size) + " bytes, limit " +
                                 std::to_string(limit));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IoError(path + ": read failed");
  return ss.str();
}

}  // namespace entente::respond
