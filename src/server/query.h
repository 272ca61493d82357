// Request-target parsing for the API: path segments and query parameters, with limits.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"

namespace entente::server {

using QueryParams = std::map<std::string, std::string, std::less<>>;

inline constexpr std::size_t kMaxQueryParams = 64;
inline constexpr std::size_t kMaxQueryValueBytes = 8192;

// Parses the query string of `target` ("/path?a=1&b=%20x"): percent-decoding, '+' as space.
// InvalidArgument naming the parameter for bad escapes, invalid UTF-8, NUL bytes, repeated
// parameters or more than the limits.
Result<QueryParams> ParseQuery(std::string_view target);

// "/a/b/c/" -> {"a","b","c"} (empty segments dropped; the caller has refused "//" and "..").
std::vector<std::string_view> SplitPath(std::string_view path);

// "a, b,c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> SplitList(std::string_view list);

// A decimal integer that fits int64 (optional leading '-'); nullopt otherwise.
std::optional<std::int64_t> ParseInt(std::string_view text);

}  // namespace entente::server
