// MispToStix on arbitrary bytes, then StixToMisp on what it produced: neither may crash, leak
// or loop; bad input must come back as a Status. Limits are lowered so that the fuzzer spends
// its time on structure, not on size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entente/base/json.h"
#include "entente/formats/misp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  entente::json::ParseLimits limits;
  limits.max_depth = 64;
  entente::json::Document doc;
  if (!doc.Parse(text, limits).ok()) return 0;
  (void)entente::formats::LooksLikeMisp(doc.root());
  entente::formats::MispOptions options;
  options.now = entente::Timestamp{0};
  options.limits.max_attributes_per_event = 10'000;
  options.limits.max_objects_per_event = 1'000;
  auto bundle = entente::formats::MispToStix(doc.root(), options);
  if (!bundle.ok()) return 0;
  const std::string stix = bundle->Serialize();
  entente::json::Document stix_doc;
  if (!stix_doc.Parse(stix).ok()) __builtin_trap();  // we must always write valid JSON
  (void)entente::formats::StixToMisp(stix_doc.root());
  return 0;
}
