// Small helpers for strict reading of the module's JSON files (private to the module).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::respond::detail {

// Fails naming `where` and the first member of `object` not in `allowed`.
inline Status CheckKeys(json::Node object, std::initializer_list<std::string_view> allowed,
                        std::string_view where) {
  for (auto [k, v] : object) {
    (void)v;
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k;
    if (!ok) {
      return Status::InvalidArgument(std::string(where) + ": unknown field \"" +
                                     std::string(k.substr(0, 60)) + "\"");
    }
  }
  return Status::Ok();
}

inline Status FieldError(std::string_view where, std::string_view field, std::string_view what) {
  return Status::InvalidArgument(std::string(where) + " field '" + std::string(field) +
                                 "': " + std::string(what));
}

// A required string of 1..max bytes.
inline Status RequireString(json::Node object, std::string_view field, std::string_view where,
                            std::string& out, std::size_t max = 1024) {
  json::Node v = object[field];
  if (!v.is_string() || v.str().empty() || v.str().size() > max) {
    return FieldError(where, field,
                      "expected a non-empty string of at most " + std::to_string(max) + " bytes");
  }
  out = std::string(v.str());
  return Status::Ok();
}

inline Status RequireInt(json::Node object, std::string_view field, std::string_view where,
                         std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  auto v = object[field].as_int64();
  if (!v || *v < lo || *v > hi) {
    return FieldError(
        where, field,
        "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  out = *v;
  return Status::Ok();
}

inline Status RequireBool(json::Node object, std::string_view field, std::string_view where,
                          bool& out) {
  json::Node v = object[field];
  if (!v.is_bool()) return FieldError(where, field, "expected true or false");
  out = v.boolean();
  return Status::Ok();
}

}  // namespace entente::respond::detail
