// ML-KEM against every NIST ACVP vector in data/acvp, plus negative tests.
#include "entente/crypto/mlkem.h"

#include <gtest/gtest.h>

#include "acvp_util.h"

namespace entente::crypto::mlkem {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::Str;

Param P(const json::Node& c) { return ParseParam(Str(c, "parameterSet")).value(); }

TEST(MlKemAcvpTest, KeyGen) {
  auto f = LoadVectors("acvp/mlkem_keygen.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto kp = KeyGenInternal(P(c), Hex(c, "d"), Hex(c, "z"));
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(kp.value().ek, Hex(c, "ek")) << "tcId " << Str(c, "tcId");
    EXPECT_EQ(Bytes(kp.value().dk.view().begin(), kp.value().dk.view().end()), Hex(c, "dk"));
    ++n;
  }
  EXPECT_EQ(n, 75);
}

TEST(MlKemAcvpTest, EncapsAndRoundTrip) {
  auto f = LoadVectors("acvp/mlkem_encaps.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto e = EncapsInternal(P(c), Hex(c, "ek"), Hex(c, "m"));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e.value().ct, Hex(c, "c"));
    EXPECT_EQ(HexEncode(e.value().ss.view()), HexEncode(Hex(c, "k")));
    auto k = Decaps(P(c), Hex(c, "dk"), Hex(c, "c"));
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(HexEncode(k.value().view()), HexEncode(Hex(c, "k")));
    ++n;
  }
  EXPECT_EQ(n, 75);
}

TEST(MlKemAcvpTest, DecapsIncludingImplicitRejection) {
  auto f = LoadVectors("acvp/mlkem_decaps.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto k = Decaps(P(c), Hex(c, "dk"), Hex(c, "c"));
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(HexEncode(k.value().view()), HexEncode(Hex(c, "k"))) << Str(c, "reason");
    ++n;
  }
  EXPECT_EQ(n, 30);
}

TEST(MlKemAcvpTest, DecapsFromSeedKey) {
  auto f = LoadVectors("acvp/mlkem_decaps_seedkey_tr1.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto kp = KeyGenInternal(P(c), Hex(c, "d"), Hex(c, "z"));
    ASSERT_TRUE(kp.ok());
    auto k = Decaps(P(c), kp.value().dk.view(), Hex(c, "c"));
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(HexEncode(k.value().view()), HexEncode(Hex(c, "k")));
    ++n;
  }
  EXPECT_EQ(n, 30);
}

TEST(MlKemAcvpTest, KeyChecks) {
  auto f = LoadVectors("acvp/mlkem_keycheck.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    const bool expected = c["testPassed"].boolean();
    if (Str(c, "function") == "encapsulationKeyCheck") {
      EXPECT_EQ(CheckEncapsulationKey(P(c), Hex(c, "ek")), expected) << Str(c, "reason");
      if (!expected) {
        EXPECT_FALSE(EncapsInternal(P(c), Hex(c, "ek"), Bytes(32)).ok());
      }
    } else {
      EXPECT_EQ(CheckDecapsulationKey(P(c), Hex(c, "dk")), expected) << Str(c, "reason");
    }
    ++n;
  }
  EXPECT_EQ(n, 60);
}

// Every single-bit flip of a ciphertext yields a different (implicit-rejection) key.
TEST(MlKemTest, EveryCiphertextBitFlipChangesTheKey) {
  for (Param p : {Param::kMlKem512, Param::kMlKem768, Param::kMlKem1024}) {
    auto kp = KeyGen(p).value();
    auto e = Encaps(p, kp.ek).value();
    auto ok = Decaps(p, kp.dk.view(), e.ct).value();
    ASSERT_EQ(HexEncode(ok.view()), HexEncode(e.ss.view()));
#ifdef ENTENTE_SANITIZED
    const std::size_t stride = 17;  // sanitizers make each decaps ~10x slower: a spread sample
#else
    const std::size_t stride = p == Param::kMlKem768 ? 1 : 7;  // all bits for 768, a sample else
#endif
    for (std::size_t bit = 0; bit < e.ct.size() * 8; bit += stride) {
      Bytes bad = e.ct;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      auto k = Decaps(p, kp.dk.view(), bad).value();
      ASSERT_NE(HexEncode(k.view()), HexEncode(e.ss.view())) << "bit " << bit;
    }
  }
}

TEST(MlKemTest, RejectsWrongLengths) {
  auto kp = KeyGen(Param::kMlKem768).value();
  EXPECT_FALSE(Encaps(Param::kMlKem768, ByteView(kp.ek).subspan(1)).ok());
  EXPECT_FALSE(Encaps(Param::kMlKem512, kp.ek).ok());
  auto e = Encaps(Param::kMlKem768, kp.ek).value();
  EXPECT_FALSE(Decaps(Param::kMlKem768, kp.dk.view(), ByteView(e.ct).subspan(1)).ok());
  EXPECT_FALSE(Decaps(Param::kMlKem768, kp.dk.view().subspan(1), e.ct).ok());
  EXPECT_FALSE(KeyGenFromSeed(Param::kMlKem768, Bytes(63)).ok());
  EXPECT_FALSE(ParseParam("769").ok());
}

}  // namespace
}  // namespace entente::crypto::mlkem
