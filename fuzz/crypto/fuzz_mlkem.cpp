// ML-KEM / X-Wing decoding: encapsulation-key checks, Encaps on arbitrary keys, Decaps and
// X-Wing Decaps on arbitrary ciphertexts. First byte picks the parameter set.
#include <cstddef>
#include <cstdint>

#include "entente/crypto/hybrid.h"
#include "entente/crypto/mlkem.h"

namespace ec = entente::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto p = static_cast<ec::mlkem::Param>(data[0] % 3);
  const entente::ByteView in(data + 1, size - 1);
  static const entente::Bytes seed(64, 7);
  const auto kp = ec::mlkem::KeyGenFromSeed(p, seed).value();
  (void)ec::mlkem::CheckEncapsulationKey(p, in);
  (void)ec::mlkem::CheckDecapsulationKey(p, in);
  (void)ec::mlkem::EncapsInternal(p, in, entente::Bytes(32, 1));
  (void)ec::mlkem::Decaps(p, kp.dk.view(), in);
  entente::Bytes ct(ec::mlkem::SizesOf(p).ct, 0);
  for (std::size_t i = 0; i < ct.size() && i < in.size(); ++i) ct[i] = in[i];
  (void)ec::mlkem::Decaps(p, kp.dk.view(), ct);
  static const auto xkey =
      ec::hybrid::KemPrivateKey::FromSeed(ec::hybrid::KemSuite::kXWing, entente::Bytes(32, 3))
          .value();
  (void)xkey->Decaps(in);
  return 0;
}
