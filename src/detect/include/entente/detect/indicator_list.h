// Plain indicator lists: one value per line, optionally TAB and comma-separated labels
// ("evil.example<TAB>mt:simda,eset:x"); '#' starts a comment line; CR LF accepted; plain or
// gzip. The type of each value is inferred (InferType); each distinct label set becomes one
// indicator record whose ref is the label text (or the file's name when a line has no labels).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/detect/indicator_index.h"

namespace entente::detect {

struct ListLoadStats {
  std::size_t lines = 0;
  std::size_t values = 0;            // added to the builder
  std::size_t rejected = 0;          // values whose type could not be told or that did not parse
  std::vector<std::string> samples;  // the first few rejected lines, "file:line: reason"
};

struct ListLoadLimits {
  std::size_t max_file_bytes = std::size_t{2} << 30;  // decompressed
  std::size_t max_line_bytes = 64 * 1024;             // longer lines are rejected
};

// Reads a whole file, transparently gunzipping it. kIoError naming the file on failure
// (including a truncated gzip stream); kLimitExceeded past `max_bytes`.
Result<std::string> ReadFileMaybeGzip(const std::string& path, std::size_t max_bytes);

// Parses list text into the builder. `source` names it in messages and is the fallback ref.
Status ParseIndicatorList(std::string_view text, std::string_view source, IndexBuilder& builder,
                          ListLoadStats* stats, const ListLoadLimits& limits = {});
Status LoadIndicatorList(const std::string& path, IndexBuilder& builder, ListLoadStats* stats,
                         const ListLoadLimits& limits = {});

}  // namespace entente::detect
