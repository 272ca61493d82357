// Plain indicator lists and every normaliser behind type inference; builds the index and
// probes it with the same lines.
#include <string_view>

#include "entente/detect/indicator_list.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace entente::detect;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  IndexBuilder b;
  ListLoadStats st;
  (void)ParseIndicatorList(text, "fuzz", b, &st);
  auto idx = b.Build(nullptr);
  if (!idx.ok()) return 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, std::min<std::size_t>(nl - pos, 4096));
    pos = nl + 1;
    InferredValue t = InferType(line);
    if (t.type != ObservableType::kOther && !t.is_cidr) (void)(*idx)->Lookup(t.type, line);
    if (t.type == ObservableType::kDomain) (*idx)->MatchDomain(line, [](auto, auto, auto) {});
    (void)ParseCidr(line);
    (void)NormalizeUrl(line);
  }
  return 0;
}
