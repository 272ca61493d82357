// ML-DSA and composite signature decoding: Verify with a fixed key on arbitrary signatures
// (padded to the right length so the hint and z decoders are reached), and arbitrary keys.
#include <cstddef>
#include <cstdint>

#include "entente/crypto/hybrid.h"
#include "entente/crypto/mldsa.h"

namespace ec = entente::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto p = static_cast<ec::mldsa::Param>(data[0] % 3);
  const entente::ByteView in(data + 1, size - 1);
  static const entente::Bytes seed(32, 9);
  const auto kp = ec::mldsa::KeyGenFromSeed(p, seed).value();
  const entente::Bytes msg = {1, 2, 3};
  entente::Bytes sig(ec::mldsa::SizesOf(p).sig, 0);
  for (std::size_t i = 0; i < in.size(); ++i) sig[(i * 131) % sig.size()] ^= in[i];
  (void)ec::mldsa::Verify(p, kp.pk, msg, sig);
  (void)ec::mldsa::Verify(p, in, msg, sig);
  (void)ec::mldsa::Verify(p, kp.pk, msg, in);
  (void)ec::hybrid::SigVerify(ec::hybrid::SigSuite::kMlDsa65Ed25519, in, msg, in);
  return 0;
}
