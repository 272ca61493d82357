#include "query.h"

#include <charconv>

#include "entente/base/json.h"

namespace entente::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = -1, lo = -1;
      if (i + 2 < text.size()) {
        hi = HexValue(text[i + 1]);
        lo = HexValue(text[i + 2]);
      }
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("query parameter " + std::string(what) +
                                       ": bad percent-escape at offset " + std::to_string(i));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  if (out.find('\0') != std::string::npos) {
    return Status::InvalidArgument("query parameter " + std::string(what) + ": contains NUL");
  }
  if (!json::IsValidUtf8(out)) {
    return Status::InvalidArgument("query parameter " + std::string(what) + ": not valid UTF-8");
  }
  return out;
}

}  // namespace

Result<QueryParams> ParseQuery(std::string_view target) {
  QueryParams params;
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return params;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    if (params.size() >= kMaxQueryParams) {
      return Status::InvalidArgument("more than " + std::to_string(kMaxQueryParams) +
                                     " query parameters");
    }
    std::size_t eq = item.find('=');
    ENTENTE_ASSIGN_OR_RETURN(std::string key, Decode(item.substr(0, eq), "name"));
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (raw_value.size() > kMaxQueryValueBytes) {
      return Status::InvalidArgument("query parameter " + key.substr(0, 64) + " is too long");
    }
    ENTENTE_ASSIGN_OR_RETURN(std::string value, Decode(raw_value, key.substr(0, 64)));
    if (!params.emplace(key, std::move(value)).second) {
      return Status::InvalidArgument("query parameter " + key.substr(0, 64) +
                                     " is repeated; give a comma-separated list instead");
    }
  }
  return params;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segs;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) segs.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segs;
}

std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace entente::server
