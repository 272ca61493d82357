// Parser + canonical printer: whatever parses must print to text that parses to the same tree,
// and printing is a fixed point. The anchor compiler must not crash on any tree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "entente/pattern/anchors.h"
#include "entente/pattern/ast.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace entente::pattern;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_length = 1 << 16;
  auto parsed = Parse(text, limits);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) __builtin_trap();  // errors always say something
    return 0;
  }
  std::string canonical = ToString(*parsed);
  auto again = Parse(canonical, limits);
  if (!again.ok()) __builtin_trap();
  if (!(*again == *parsed)) __builtin_trap();
  if (ToString(*again) != canonical) __builtin_trap();
  AnchorSet anchors = CompileAnchors(*parsed);
  if (anchors.anchored == anchors.anchors.empty()) __builtin_trap();
  return 0;
}
