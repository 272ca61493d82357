// Key file parsing (public part; the private part's scrypt is too slow to fuzz usefully).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entente/crypto/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)entente::crypto::keys::ParsePublic(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
