#include "entente/crypto/sha3.h"

#include <gtest/gtest.h>

namespace entente::crypto {
namespace {

// FIPS 202 examples: SHA3-256("abc"), SHAKE128("", 32).
TEST(Sha3Test, KnownAnswers) {
  std::uint8_t out[32];
  Sha3_256(AsBytes("abc"), out);
  EXPECT_EQ(HexEncode(ByteView(out, 32)),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  Shake128(ByteView(), out, 32);
  EXPECT_EQ(HexEncode(ByteView(out, 32)),
            "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
}

// Our Keccak agrees with OpenSSL's for every length around the rate boundaries, and squeezing
// in pieces equals squeezing at once.
TEST(Sha3Test, MatchesOpenSslAcrossLengths) {
  Bytes msg(700);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i * 31 + 7);
  for (std::size_t len : {0, 1, 7, 8, 9, 71, 72, 73, 135, 136, 137, 167, 168, 169, 500, 700}) {
    ByteView in(msg.data(), len);
    std::uint8_t a[64];
    Sha3_256(in, a);
    EXPECT_EQ(Bytes(a, a + 32), EvpDigest("SHA3-256", in, 32).value()) << len;
    Sha3_512(in, a);
    EXPECT_EQ(Bytes(a, a + 64), EvpDigest("SHA3-512", in, 64).value()) << len;
    Bytes xof(400);
    Shake128(in, xof.data(), xof.size());
    EXPECT_EQ(xof, EvpDigest("SHAKE128", in, 400).value()) << len;
    Keccak k(Keccak::Kind::kShake256);
    for (std::size_t i = 0; i < len; i += 5)
      k.Absorb(in.subspan(i, std::min<std::size_t>(5, len - i)));
    Bytes pieces(400);
    for (std::size_t i = 0; i < 400; i += 33)
      k.Squeeze(pieces.data() + i, std::min<std::size_t>(33, 400 - i));
    EXPECT_EQ(pieces, EvpDigest("SHAKE256", in, 400).value()) << len;
  }
}

}  // namespace
}  // namespace entente::crypto
