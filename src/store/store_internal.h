// Helpers both backends share, so that version keys, content hashes and paging cursors mean
// the same thing whichever backend holds the store. Private to the store module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/store/store.h"

namespace entente::store::internal {

// XXH3 of the text; equality of objects is decided by meaning on a clash, not by this (so the
// FNV-1a values stores written before 2026-11-24 hold only cost a full comparison).
std::int64_t ContentHash(std::string_view s) noexcept;

// The version key as nanoseconds since the epoch; INT64_MIN for SCOs (their single version).
std::int64_t VersionNs(std::string_view version);

// A cursor is "<last date_added>.<fingerprint of the query>", so a cursor used with another
// query is refused instead of silently skipping or repeating objects.
std::string QueryFingerprint(const Query& q);

// The "added after" bound of a query: its added_after_us, raised by the cursor's position.
// InvalidArgument for a cursor of another query or a malformed one.
Result<std::int64_t> AddedAfter(const Query& q);
std::string MakeCursor(std::int64_t last_date_added, const Query& q);

// One step of a schema migration: applied in order, each in the same transaction as the
// record of it in schema_version. Steps are never edited once released; a change is a new step.
struct MigrationStep {
  int version;
  const char* description;
  const char* sql;
};

// The refusal for a store written by a newer build.
Status NewerSchema(std::string_view backend, int found, int supported);

}  // namespace entente::store::internal
