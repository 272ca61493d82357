// MISP warninglists: values known to be benign or too common to mean anything (top sites, cloud
// ranges, public resolvers, RFC 1918 ...). A hit on a warninglisted value is flagged, or
// dropped when the scan policy says so (docs/DETECT.md "Warninglist policy").
//
// The directory layout is the flattened form in the shared data set: one file per MISP type,
// `<type>.txt` or `<type>.txt.gz`, each line `value<TAB>list-name[,list-name...]`, '#' comments;
// an optional INDEX.tsv (list, type, entries, name) describes the lists. Matching per type:
//   cidr       the address lies in the prefix (IPv4 and IPv6; bare addresses are /32, /128)
//   hostname   the name or any parent of it equals the entry (".example" is the same as "example")
//   string     the value equals the entry exactly; an entry starting with '.' matches names
//              ending in it
//   substring  the value contains the entry
//   regex      RE2 search of "/pattern/flags" (flag i honoured; others ignored); patterns RE2
//              rejects are skipped with a warning
// Domains are checked as hostnames, URLs by their host and by their whole text, emails by their
// domain and whole text, IPs against cidr and string lists.
//
// Threading: immutable after Load; Check is const and safe from any number of threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/detect/observable.h"

namespace entente::detect {

class Warninglists {
 public:
  Warninglists();
  ~Warninglists();
  Warninglists(Warninglists&&) noexcept;
  Warninglists& operator=(Warninglists&&) noexcept;

  // Loads every <type>.txt[.gz] present in `dir` (at least one must be). kNotFound if none,
  // kIoError on unreadable or corrupt files, kLimitExceeded past 10 M entries per type.
  // Warnings (skipped regexes, unparsable CIDRs) go to `warnings`.
  static Result<Warninglists> Load(const std::string& dir,
                                   std::vector<std::string>* warnings = nullptr);

  // Adds one entry of a MISP type ("cidr", "hostname", "string", "substring", "regex").
  Status Add(std::string_view type, std::string_view value, std::string_view lists);
  // Must be called after the last Add and before Check (Load does it).
  void Finish();

  // The list names (comma-separated) that cover a canonical value (observable.h text form:
  // dotted/RFC 5952 IPs, lower-case names, URL keys, hex digests), or empty if none does.
  std::string Check(ObservableType type, std::string_view value) const;

  std::size_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::detect
