// Full-text search on PostgreSQL with the meaning of the SQLite backend's FTS5 index.
//
// Indexing: name and description are reduced to tokens the way FTS5's unicode61 tokenizer
// does for ASCII (letters and digits are token characters, everything else separates; ASCII
// is lower-cased; bytes of multi-byte UTF-8 characters are token characters) and stored as
// one space-separated string; the table's tsvector is to_tsvector('simple', that string), so
// PostgreSQL's own parser never splits "evil.example.com" differently from FTS5.
//
// Queries: the FTS5 syntax subset Entente documents (docs/STORE.md) is translated to a
// tsquery: terms, "phrases" ("" escapes a quote inside), prefix* , implicit AND, AND, OR,
// NOT (binary, as in FTS5), parentheses; precedence NOT > AND > OR as in FTS5. Column
// filters (name:x), NEAR(), ^ and + are refused with InvalidArgument, as is any syntax FTS5
// refuses (unbalanced quotes or parentheses, stray punctuation).
#pragma once

#include <string>
#include <string_view>

#include "entente/base/status.h"

namespace entente::store::pg {

inline constexpr std::size_t kMaxSearchQuery = 1000;       // bytes of one query
inline constexpr std::size_t kMaxSearchText = 256 * 1024;  // indexed bytes of one object

// The token string indexed for an object; "" when there is nothing to index. At most
// kMaxSearchText bytes (cut at a token boundary): tsvector values are limited to 1 MB.
std::string SearchText(std::string_view name, std::string_view description);

// The tsquery text (for to_tsquery('simple', ...)) equivalent to an FTS5 query.
// InvalidArgument naming the problem and its byte offset for a malformed or too long query.
Result<std::string> Fts5ToTsquery(std::string_view query);

}  // namespace entente::store::pg
