#include "entente/detect/public_suffix.h"

#include <fstream>
#include <sstream>

namespace entente::detect {

Result<PublicSuffixList> PublicSuffixList::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read public suffix list " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > (64u << 20))
    return Status::LimitExceeded("public suffix list " + path + " over 64 MiB");
  PublicSuffixList list = FromText(text);
  if (list.rule_count() > 1'000'000)
    return Status::LimitExceeded("public suffix list " + path + ": too many rules");
  return list;
}

PublicSuffixList PublicSuffixList::FromText(std::string_view text) {
  PublicSuffixList list;
  std::unordered_set<std::string> tlds;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    // A rule is the first whitespace-delimited word of the line.
    std::size_t end = line.find_first_of(" \t\r");
    if (end != std::string_view::npos) line = line.substr(0, end);
    if (line.empty() || line.starts_with("//")) continue;
    bool ascii = true;
    std::string rule;
    for (char c : line) {
      if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
      rule.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
    }
    if (!ascii) continue;
    std::string_view r = rule;
    auto dot = r.rfind('.');
    tlds.insert(std::string(dot == std::string_view::npos ? r : r.substr(dot + 1)));
    if (r.starts_with("!")) {
      list.exceptions_.insert(std::string(r.substr(1)));
    } else if (r.starts_with("*.")) {
      list.wildcards_.insert(std::string(r.substr(2)));
    } else {
      list.rules_.insert(rule);
    }
  }
  tlds.erase("*");
  tlds.erase("");
  list.BuildTldTable(tlds);
  return list;
}

bool PublicSuffixList::IsPublicSuffix(std::string_view domain) const {
  auto dot = domain.find('.');
  if (dot == std::string_view::npos) return true;
  std::string key(domain);
  if (exceptions_.count(key)) return false;
  if (rules_.count(key)) return true;
  return wildcards_.count(std::string(domain.substr(dot + 1))) > 0;
}

std::uint64_t PublicSuffixList::PackLabel(std::string_view label) noexcept {
  std::uint64_t v = 0;
  std::size_t n = label.size() < 8 ? label.size() : 8;
  for (std::size_t i = 0; i < n; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(label[i])} << (8 * i);
  return (v * 0x9E3779B97F4A7C15ull) ^ (label.size() * 0xC2B2AE3D27D4EB4Full) ^ 1;
}

void PublicSuffixList::BuildTldTable(const std::unordered_set<std::string>& tlds) {
  std::size_t cap = 16;
  while (cap < tlds.size() * 4) cap *= 2;
  tld_table_.assign(cap, 0);
  for (const auto& t : tlds) {
    std::uint64_t k = PackLabel(t);
    std::size_t i = (k >> 20) & (cap - 1);
    while (tld_table_[i] != 0 && tld_table_[i] != k) i = (i + 1) & (cap - 1);
    tld_table_[i] = k;
  }
}

bool PublicSuffixList::IsKnownTld(std::string_view label) const noexcept {
  if (tld_table_.empty()) {
    if (label.size() < 2 || label.size() > 63) return false;
    for (char c : label)
      if (c < 'a' || c > 'z') return false;
    return true;
  }
  if (label.empty()) return false;
  std::uint64_t k = PackLabel(label);
  std::size_t mask = tld_table_.size() - 1;
  for (std::size_t i = (k >> 20) & mask;; i = (i + 1) & mask) {
    if (tld_table_[i] == k) return true;
    if (tld_table_[i] == 0) return false;
  }
}

}  // namespace entente::detect
