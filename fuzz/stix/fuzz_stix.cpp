// What `entente ingest` does to untrusted input before storing: stream objects out of any
// bytes, parse each strictly, upgrade 2.0 objects, validate. Never crashes or hangs; an object
// the validator accepts has a well-formed id of its type.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "entente/stix/reader.h"
#include "entente/stix/upgrade.h"
#include "entente/stix/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  entente::stix::ReaderLimits limits;
  limits.max_object_bytes = 1 << 20;
  limits.read_chunk = 64;  // exercise refills
  // The same bytes read in place (FromText) and streamed in 64-byte chunks must give the same
  // objects, byte for byte, and end the same way.
  auto reader = entente::stix::ObjectReader::FromText(text, limits);
  auto streamed = entente::stix::ObjectReader::FromTextStreamed(text, limits);
  entente::json::Document doc;
  entente::stix::Validator validator;
  std::string_view object, streamed_object;
  for (int i = 0; i < 1000; ++i) {
    auto more = reader.Next(&object);
    auto streamed_more = streamed.Next(&streamed_object);
    if (more.ok() != streamed_more.ok()) std::abort();
    if (!more.ok()) {
      if (more.status().code() != streamed_more.status().code()) std::abort();
      break;
    }
    if (*more != *streamed_more) std::abort();
    if (!*more) break;
    if (object != streamed_object) std::abort();
    if (!doc.Parse(object).ok()) continue;
    std::string upgraded;
    if (entente::stix::IsStix20(doc.root())) {
      upgraded = entente::stix::UpgradeToStix21(doc.root()).Serialize();
      if (!doc.Parse(upgraded).ok()) std::abort();  // our own output must parse
    }
    entente::stix::ObjectHeader header;
    if (validator.Check(doc.root(), &header).ok()) {
      if (!entente::stix::IsIdentifier(header.id)) std::abort();
      if (entente::stix::IdentifierType(header.id) != header.type) std::abort();
    }
    (void)validator.CheckAll(doc.root());
    (void)entente::stix::ComputeScoId(doc.root());
  }
  return 0;
}
