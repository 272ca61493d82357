// The Public Suffix List (publicsuffix.org; Debian package `publicsuffix`): which names are
// registries ("com", "org.ru", "*.ck") under which anyone can register. The indicator index
// uses it so that a parent-domain walk never matches a bare public suffix, and the scanner uses
// its top-level labels to reject tokens such as "file.exe" before any index lookup.
//
// Threading: immutable after Load; share freely between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "entente/base/status.h"

namespace entente::detect {

// Where Debian's `publicsuffix` package installs the list.
inline constexpr std::string_view kDefaultPublicSuffixPath =
    "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
 public:
  PublicSuffixList() = default;

  // Parses the list format (rules, "*." wildcards, "!" exceptions, // comments). Non-ASCII
  // (Unicode IDN) rules are skipped: the scanner compares ASCII names. kIoError if unreadable,
  // kLimitExceeded past 1,000,000 rules.
  static Result<PublicSuffixList> Load(const std::string& path);
  static PublicSuffixList FromText(std::string_view text);

  // Whether a canonical (lower-case, no trailing dot) name is itself a public suffix. Every
  // single-label name is (the list's implicit "*" rule). O(1): at most three set probes.
  bool IsPublicSuffix(std::string_view domain) const;

  // Whether `label` (lower-case) is the last label of some rule, i.e. a top-level domain. With
  // an empty list every label of 2..63 letters is accepted. Allocation-free, a few ns: labels
  // are packed into 64 bits (first 8 bytes and the length), so two long TLDs sharing their first
  // 8 bytes are one key: a false "known" only costs an index probe.
  bool IsKnownTld(std::string_view label) const noexcept;
  static std::uint64_t PackLabel(std::string_view label) noexcept;

  std::size_t rule_count() const noexcept {
    return rules_.size() + wildcards_.size() + exceptions_.size();
  }
  bool empty() const noexcept { return rule_count() == 0; }

 private:
  std::unordered_set<std::string> rules_, wildcards_, exceptions_;
  std::vector<std::uint64_t> tld_table_;  // open addressing on PackLabel, 0 = empty
  void BuildTldTable(const std::unordered_set<std::string>& tlds);
};

}  // namespace entente::detect
