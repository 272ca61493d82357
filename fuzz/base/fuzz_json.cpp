// The strict JSON parser on arbitrary bytes: it must never crash, and whatever it accepts must
// serialise to text it accepts again with the same meaning.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "entente/base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  entente::json::ParseLimits limits;
  limits.max_depth = 64;
  auto v = entente::json::Value::Parse(text, limits);
  if (!v.ok()) return 0;
  std::string again = v->Serialize();
  auto w = entente::json::Value::Parse(again, limits);
  if (!w.ok() || !(*v == *w) || w->Serialize() != again) std::abort();
  return 0;
}
