// Tokenizer and scanner on arbitrary bytes (format auto-detected, gzip included).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  entente::detect::fuzz::Scan(data, size, entente::detect::InputFormat::kAuto);
  return 0;
}
