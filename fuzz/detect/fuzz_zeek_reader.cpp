// Zeek TSV and JSON readers: headers, separators, field counts, ts/uid extraction.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  entente::detect::fuzz::Scan(data, size, entente::detect::InputFormat::kZeekTsv);
  entente::detect::fuzz::Scan(data, size, entente::detect::InputFormat::kZeekJson);
  return 0;
}
