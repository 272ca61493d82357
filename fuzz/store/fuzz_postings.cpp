// Fuzzes the decoder of the SQLite store's posting blobs (src/store/sqlite/postings.h), which
// reads whatever the database file holds: any input either fails with Corruption or yields
// strictly increasing non-negative keys that encode back to a blob decoding to the same keys.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sqlite/postings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  std::vector<std::int64_t> keys;
  entente::Status s = entente::store::DecodePostings(blob, &keys);
  if (!s.ok()) {
    if (s.code() != entente::ErrorCode::kCorruption) std::abort();
    return 0;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] < 0 || (i > 0 && keys[i] <= keys[i - 1])) std::abort();
  }
  std::vector<std::int64_t> again;
  if (!entente::store::DecodePostings(entente::store::EncodePostings(keys), &again).ok() ||
      again != keys) {
    std::abort();
  }
  return 0;
}
