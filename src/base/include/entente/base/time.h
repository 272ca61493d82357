// RFC 3339 timestamps as STIX uses them: UTC, "Z" suffix, optional fraction of up to 9 digits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "entente/base/status.h"

namespace entente {

// Nanoseconds since the Unix epoch, UTC. Covers years 1678-2262, which STIX data stays inside;
// timestamps outside are rejected by the parser.
struct Timestamp {
  std::int64_t nanos = 0;
  auto operator<=>(const Timestamp&) const = default;

  static Timestamp FromMicros(std::int64_t us) { return {us * 1000}; }
  std::int64_t micros() const { return nanos >= 0 ? nanos / 1000 : -((-nanos + 999) / 1000); }
  std::int64_t seconds() const {
    return nanos >= 0 ? nanos / 1000000000 : -((-nanos + 999999999) / 1000000000);
  }
};

// Strict STIX timestamp: YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z. Calendar checked (month days, leap
// years); leap second 60 accepted and folded into the next second. `where` names the input in
// the error message, e.g. "indicator--... valid_from".
Result<Timestamp> ParseTimestamp(std::string_view text, std::string_view where = "timestamp");

// True iff ParseTimestamp would accept `text`; no allocation.
bool IsValidTimestamp(std::string_view text) noexcept;

// ParseTimestamp without the error message: true and `*out` set iff ParseTimestamp accepts
// `text`; `*out` is left unchanged otherwise. No allocation; for hot paths (validation).
bool TryParseTimestamp(std::string_view text, Timestamp* out) noexcept;

// Formats with exactly `digits` fraction digits (0, 3, 6 or 9), e.g. 2024-01-02T03:04:05.000Z.
std::string FormatTimestamp(Timestamp t, int digits = 3);

// The current UTC time (system clock).
Timestamp Now();

// Days since epoch <-> civil date (proleptic Gregorian), exposed for tests and log readers.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace entente
