// The sanctions register: listings of natural persons, entities and bodies under the EU cyber
// sanctions regime (programme CYB), their export as EU Financial Sanctions Files-shaped XML and
// as STIX 2.1, and fuzzy name screening.
//
// Screening normalises names (Cyrillic, Greek and Latin with diacritics are transliterated to
// plain Latin by tables in translit.cpp; other scripts, e.g. Han, are not covered), folds common
// transliteration variants (y/i, j/i, kh/h, doubled letters ...), splits into words and compares
// word bags, so word order does not matter and small typos cost little. A Register and a
// Screener are immutable after construction; Screen may be called from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"

namespace entente::respond {

struct Identifier {
  std::string type;  // e.g. "passport", "registration"
  std::string number;
  std::string country;  // ISO2 or ""
};

struct Listing {
  std::string id;                             // register id, "CYB-0001"...: stable for a given file
  std::string type;                           // "person" or "entity"
  std::string name;                           // as published
  std::vector<std::string> aliases;           // other spellings, including derived ones
  std::vector<std::string> transliterations;  // names in other scripts, as given by the file
  std::vector<Identifier> identifiers;
  std::string nationality;  // ISO2 or ""
  std::string birth_date;   // YYYY-MM-DD, YYYY, or ""
  std::string date_listed;  // YYYY-MM-DD
  std::string review_date;  // YYYY-MM-DD
  std::string status;       // "active" or "delisted"
  std::string reasons;
  std::string linked_operation;
  std::string linked_incident_ref;  // STIX id or ""
  std::vector<std::string> legal_acts;
  std::vector<std::string> sources;
};

class Register {
 public:
  // Reads a listings file ({"listings": [...]}, the format of data/respond/eu-cyber-listings.json;
  // docs/RESPOND.md lists the optional fields). `default_review_date` applies to listings
  // without one. Aliases are also derived from parenthesised parts of a name ("Vitaly (Vitaliy)
  // SHEVCHENKO" gives "Vitaliy SHEVCHENKO"). Limits: 64 MiB, 1 000 000 listings.
  static Result<Register> Parse(std::string_view text,
                                std::string_view default_review_date = "2026-05-18");
  static Result<Register> Load(const std::string& path,
                               std::string_view default_review_date = "2026-05-18");

  const std::vector<Listing>& listings() const noexcept { return listings_; }
  void Add(Listing listing) { listings_.push_back(std::move(listing)); }

  // EU FSF-shaped XML (namespace http://eu.europa.ec/fpi/fsd/export, programme CYB): one
  // sanctionEntity per listing with regulation, subjectType, nameAlias, citizenship,
  // birthdate and identification elements. `generation_date` is an RFC 3339 timestamp.
  std::string ExportFsf(std::string_view generation_date) const;

  // A STIX 2.1 bundle: per listing an identity (individual / organization) carrying
  // "x_entente_sanction" {register_id, programme, status, date_listed, review_date, reasons,
  // legal_acts}; per linked operation a threat-actor, related "attributed-to" the listed
  // identities. Ids are UUIDv5 of the register ids, so exports are stable.
  json::Value ExportStix(Timestamp created) const;

 private:
  std::vector<Listing> listings_;
};

// Lower-case plain-Latin form of a name in any supported script, words separated by one space,
// with transliteration variants folded (what Screen compares).
std::string NormalizeName(std::string_view name);

struct ScreenMatch {
  std::size_t listing = 0;   // index into Register::listings()
  double score = 0;          // 0-1
  std::string matched_name;  // the name or alias that matched best
};

class Screener {
 public:
  // Indexes every name and alias of `reg` (which must outlive the screener).
  explicit Screener(const Register& reg);
  ~Screener();
  Screener(const Screener&) = delete;
  Screener& operator=(const Screener&) = delete;

  // Likely listed parties for `name`, best first, at most `max_results`, with score >=
  // `min_score`. The score is 0.7 x (how much of the query is matched) + 0.3 x (how much of
  // the listed name is matched), words compared by edit distance (up to 1 edit for 4-5 letter
  // words, 2 for 6-8, 3 beyond). Cost grows with the number of similar words in the register,
  // not its size. Names longer than 512 bytes are cut; at most 12 words are used.
  std::vector<ScreenMatch> Screen(std::string_view name, std::size_t max_results = 10,
                                  double min_score = 0.6) const;

 private:
  struct Index;
  const Register& reg_;
  std::unique_ptr<Index> index_;
};

}  // namespace entente::respond
