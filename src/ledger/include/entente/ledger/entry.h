// Ledger entries: what a leaf of the node's transparency log says (docs/LEDGER.md).
//
// A leaf is the RFC 8785 (JCS) canonical JSON of one entry, for example
//   {"actor":"identity--5f0c...","kind":"share","payload_hash":"sha256:9f86...",
//    "subject":"indicator--1c2e...","subject_version":"2026-11-23T01:02:03.000Z",
//    "time":"2026-11-23T01:02:04.123Z","v":1}
// Members, all strings except "v":
//   v                 1 (the schema version; required)
//   kind              what happened: share, receipt, vote, decision, statement, membership,
//                     key (see kKnownKinds); lowercase [a-z][a-z0-9_-]{0,31}, other tokens are
//                     accepted so that newer nodes can log new kinds
//   time              RFC 3339 UTC (STIX timestamp) of the event, as the node saw it
//   actor             who did it: a STIX identity id or a key id, 1-256 printable characters
//   subject           what it concerns: a STIX id ("type--uuid") or a content hash
//                     ("sha256:<64 hex>"), 1-256 printable characters
//   subject_version   optional: the STIX object's "modified" timestamp
//   payload_hash      optional: "<alg>:<hex>" (alg [a-z0-9-]{1,16}, 32-128 lowercase hex digits)
//                     of the exact bytes the entry commits to (the shared object, the vote)
// Optional members that are empty are omitted. Encoding is canonical, so one entry has exactly
// one leaf and hence one leaf hash; decoding rejects any text that is not in canonical form
// (member order, spacing, escapes), unknown members and values over the limits.
// Functions are reentrant.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "entente/base/status.h"

namespace entente::ledger {

// Largest encoded entry (leaf) accepted anywhere: decoding, the log file, Append.
constexpr std::size_t kMaxEntryBytes = 4096;
constexpr std::size_t kMaxIdBytes = 256;

inline constexpr std::array<std::string_view, 7> kKnownKinds = {
    "share", "receipt", "vote", "decision", "statement", "membership", "key"};

struct Entry {
  std::string kind;
  std::string time;
  std::string actor;
  std::string subject;
  std::string subject_version;  // optional
  std::string payload_hash;     // optional

  bool operator==(const Entry&) const = default;
};

// kInvalidArgument naming the member and the rule it breaks.
Status ValidateEntry(const Entry& entry);
// The canonical leaf bytes; validates first.
Result<std::string> EncodeEntry(const Entry& entry);
// Appends the canonical leaf bytes to `out` without validating (the caller has).
void AppendCanonicalEntry(const Entry& entry, std::string& out);
// Parses and validates leaf bytes; kInvalidArgument if they are not a canonical valid entry.
Result<Entry> DecodeEntry(std::string_view leaf);

}  // namespace entente::ledger
