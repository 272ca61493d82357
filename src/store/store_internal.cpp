#include "store_internal.h"

#include <algorithm>
#include <charconv>

#include <xxhash.h>

#include "entente/base/time.h"

namespace entente::store::internal {
namespace {

// FNV-1a: cursors carry it, so it must not change between builds.
std::uint64_t Fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::int64_t ContentHash(std::string_view s) noexcept {
  return static_cast<std::int64_t>(XXH3_64bits(s.data(), s.size()));
}

std::int64_t VersionNs(std::string_view version) {
  if (version.empty()) return INT64_MIN;
  auto t = ParseTimestamp(version);
  return t.ok() ? t->nanos : INT64_MIN;
}

std::string QueryFingerprint(const Query& q) {
  std::string key;
  auto add = [&key](std::string_view s) {
    key += s;
    key += '\x1f';
  };
  for (const auto& s : q.ids) add(s);
  add("|");
  for (const auto& s : q.types) add(s);
  add(q.added_after_us ? std::to_string(*q.added_after_us) : "");
  add(q.modified_from.value_or(""));
  add(q.modified_to.value_or(""));
  add(q.label);
  add(q.marking);
  add(q.created_by);
  add(q.text);
  add(std::to_string(static_cast<int>(q.versions)));
  for (const auto& s : q.exact_versions) add(s);
  add(q.include_revoked ? "r" : "");
  return std::to_string(Fnv1a(key) % 1000000007ull);
}

Result<std::int64_t> AddedAfter(const Query& q) {
  std::int64_t after = q.added_after_us.value_or(INT64_MIN);
  if (q.cursor.empty()) return after;
  std::size_t dot = q.cursor.find('.');
  if (dot == std::string::npos || q.cursor.substr(dot + 1) != QueryFingerprint(q)) {
    return Status::InvalidArgument("the paging cursor belongs to a different query");
  }
  std::int64_t position = 0;
  const char* begin = q.cursor.data();
  auto [end, ec] = std::from_chars(begin, begin + dot, position);
  if (ec != std::errc() || end != begin + dot) {
    return Status::InvalidArgument("malformed paging cursor");
  }
  return std::max(after, position);
}

std::string MakeCursor(std::int64_t last_date_added, const Query& q) {
  return std::to_string(last_date_added) + "." + QueryFingerprint(q);
}

Status NewerSchema(std::string_view backend, int found, int supported) {
  return Status::Unsupported(std::string(backend) + " store schema version " +
                             std::to_string(found) + " is newer than this build supports (" +
                             std::to_string(supported) +
                             "): open it with a newer entente, or restore a backup");
}

}  // namespace entente::store::internal
