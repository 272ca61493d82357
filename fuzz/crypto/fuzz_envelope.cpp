// Envelope decoding: Verify (no key) and Open with a fixed recipient key must reject any input
// cleanly. Seeds: small envelopes sealed to the fixed key below.
#include <cstddef>
#include <cstdint>

#include "entente/crypto/envelope.h"

namespace ec = entente::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto key = [] {
    entente::Bytes seed(32, 0x42);
    return ec::hybrid::KemPrivateKey::FromSeed(ec::hybrid::KemSuite::kXWing, seed).value();
  }();
  const entente::ByteView in(data, size);
  (void)ec::envelope::Verify(ec::envelope::BytesSource(in));
  std::size_t out = 0;
  (void)ec::envelope::Open(*key, ec::envelope::BytesSource(in), [&out](entente::ByteView b) {
    out += b.size();
    return entente::Status::Ok();
  });
  return 0;
}
