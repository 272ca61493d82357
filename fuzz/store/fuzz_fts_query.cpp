// Fuzzes the FTS5-to-tsquery translator: any input either fails with a Status or yields a
// tsquery whose lexemes are quoted tokens only (nothing of the input reaches PostgreSQL's
// query syntax unquoted), deterministically; and the search-text tokenizer never exceeds
// its bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "postgres/text_search.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto a = entente::store::pg::Fts5ToTsquery(input);
  auto b = entente::store::pg::Fts5ToTsquery(input);
  if (a.ok() != b.ok() || (a.ok() && *a != *b)) std::abort();
  if (a.ok()) {
    bool quoted = false;
    for (char c : *a) {
      if (c == '\'') {
        quoted = !quoted;
        continue;
      }
      if (quoted) {
        unsigned char u = static_cast<unsigned char>(c);
        if (!((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u >= 0x80)) std::abort();
      } else if (std::string_view("()&|!<->:* ").find(c) == std::string_view::npos) {
        std::abort();
      }
    }
    if (quoted) std::abort();
  }
  auto text = entente::store::pg::SearchText(input, input);
  if (text.size() > entente::store::pg::kMaxSearchText) std::abort();
  return 0;
}
