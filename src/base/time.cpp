#include "entente/base/time.h"

#include <chrono>
#include <cstdio>

namespace entente {
namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool IsLeap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Returns an empty string on success, else what is wrong.
const char* ParseInto(std::string_view s, Timestamp& out) noexcept {
  if (s.size() < 20) return "is too short for YYYY-MM-DDTHH:MM:SSZ";
  if (s.size() > 30) return "is too long";
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || s[10] != 'T' || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return "does not have the form YYYY-MM-DDTHH:MM:SS[.s+]Z";
  }
  if (mo < 1 || mo > 12) return "has a month outside 01-12";
  if (d < 1 || d > DaysInMonth(y, mo)) return "has a day outside its month";
  if (h > 23 || mi > 59 || sec > 60) return "has an hour, minute or second out of range";
  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 9) frac = frac * 10 + (s[pos] - '0');
      ++pos;
    }
    std::size_t n = pos - start;
    if (n == 0) return "has a '.' without fraction digits";
    if (n > 9) return "has more than 9 fraction digits";
    for (std::size_t i = n; i < 9; ++i) frac *= 10;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return "must end in 'Z' (UTC)";
  if (y < 1678 || y > 2261) return "is outside the supported years 1678-2261";
  std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec;
  out.nanos = secs * 1000000000 + frac;
  return nullptr;
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Result<Timestamp> ParseTimestamp(std::string_view text, std::string_view where) {
  Timestamp t;
  if (const char* why = ParseInto(text, t)) {
    std::string m(where);
    m += " '";
    m += text.substr(0, 40);
    m += "' ";
    m += why;
    return Status::InvalidArgument(std::move(m));
  }
  return t;
}

bool IsValidTimestamp(std::string_view text) noexcept {
  Timestamp t;
  return ParseInto(text, t) == nullptr;
}

bool TryParseTimestamp(std::string_view text, Timestamp* out) noexcept {
  Timestamp t;
  if (ParseInto(text, t) != nullptr) return false;
  *out = t;
  return true;
}

std::string FormatTimestamp(Timestamp t, int digits) {
  std::int64_t secs = t.seconds();
  std::int64_t frac = t.nanos - secs * 1000000000;
  std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  std::int64_t rem = secs - days * 86400;
  // civil_from_days
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (digits > 0) {
    char fb[24];
    std::snprintf(fb, sizeof fb, "%09lld", static_cast<long long>(frac));
    out += '.';
    out.append(fb, static_cast<std::size_t>(digits > 9 ? 9 : digits));
  }
  out += 'Z';
  return out;
}

Timestamp Now() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return {std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()};
}

}  // namespace entente
