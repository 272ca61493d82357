// ML-DSA against every NIST ACVP vector in data/acvp (all interfaces), plus negative tests.
#include "entente/crypto/mldsa.h"

#include <gtest/gtest.h>

#include "acvp_util.h"

namespace entente::crypto::mldsa {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::Str;

Param P(const json::Node& c) { return ParseParam(Str(c, "parameterSet")).value(); }

TEST(MlDsaAcvpTest, KeyGen) {
  auto f = LoadVectors("acvp/mldsa_keygen.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto kp = KeyGenFromSeed(P(c), Hex(c, "seed"));
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(HexEncode(kp.value().pk), HexEncode(Hex(c, "pk"))) << "tcId " << Str(c, "tcId");
    EXPECT_EQ(HexEncode(kp.value().sk.view()), HexEncode(Hex(c, "sk")));
    ++n;
  }
  EXPECT_EQ(n, 75);
}

// Signs one sigGen case through the interface it names.
Result<Bytes> SignCase(const json::Node& c, ByteView sk) {
  const Bytes rnd = Hex(c, "rnd");
  if (Str(c, "signatureInterface") == "internal") {
    if (c["externalMu"].boolean()) {
      const Bytes mu = Hex(c, "mu");
      return SignInternal(P(c), sk, {}, rnd, ByteView(mu));
    }
    return SignInternal(P(c), sk, Hex(c, "message"), rnd);
  }
  SignOptions opts;
  opts.rnd = rnd;
  if (Str(c, "preHash") == "preHash") {
    return HashSign(P(c), sk, Hex(c, "message"), ParsePreHash(Str(c, "hashAlg")).value(),
                    Hex(c, "context"), opts);
  }
  return Sign(P(c), sk, Hex(c, "message"), Hex(c, "context"), opts);
}

TEST(MlDsaAcvpTest, SigGenAllInterfaces) {
  auto f = LoadVectors("acvp/mldsa_siggen.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto sig = SignCase(c, Hex(c, "sk"));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(HexEncode(sig.value()), HexEncode(Hex(c, "signature")))
        << "tcId " << Str(c, "tcId") << " " << Str(c, "signatureInterface") << " "
        << Str(c, "preHash");
    ++n;
  }
  EXPECT_EQ(n, 176);
}

TEST(MlDsaAcvpTest, SigGenFromSeedKeys) {
  auto f = LoadVectors("acvp/mldsa65_siggen_seedkey_tr1.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    auto kp = KeyGenFromSeed(P(c), Hex(c, "seed")).value();
    auto sig = SignCase(c, kp.sk.view());
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(HexEncode(sig.value()), HexEncode(Hex(c, "signature"))) << "tcId " << Str(c, "tcId");
    ++n;
  }
  EXPECT_EQ(n, 24);
}

TEST(MlDsaAcvpTest, SigVerAllInterfaces) {
  auto f = LoadVectors("acvp/mldsa_sigver.json");
  int n = 0;
  for (const auto& c : f->cases()) {
    const Bytes pk = Hex(c, "pk"), sig = Hex(c, "signature"), msg = Hex(c, "message");
    bool ok;
    if (Str(c, "signatureInterface") == "internal") {
      if (c["externalMu"].boolean()) {
        const Bytes mu = Hex(c, "mu");
        ok = VerifyInternal(P(c), pk, {}, sig, ByteView(mu));
      } else {
        ok = VerifyInternal(P(c), pk, msg, sig);
      }
    } else if (Str(c, "preHash") == "preHash") {
      ok = HashVerify(P(c), pk, msg, sig, ParsePreHash(Str(c, "hashAlg")).value(),
                      Hex(c, "context"));
    } else {
      ok = Verify(P(c), pk, msg, sig, Hex(c, "context"));
    }
    EXPECT_EQ(ok, c["testPassed"].boolean())
        << "tcId " << Str(c, "tcId") << " " << Str(c, "reason");
    ++n;
  }
  EXPECT_EQ(n, 100);
}

// Every single-bit flip of a signature is rejected (all bits for ML-DSA-65, a sample for others).
TEST(MlDsaTest, EverySignatureBitFlipIsRejected) {
  const Bytes msg = {'e', 'n', 't', 'e', 'n', 't', 'e'};
  for (Param p : {Param::kMlDsa44, Param::kMlDsa65, Param::kMlDsa87}) {
    auto kp = KeyGen(p).value();
    const Bytes ctx = {1, 2, 3};
    auto sig = Sign(p, kp.sk.view(), msg, ctx).value();
    ASSERT_TRUE(Verify(p, kp.pk, msg, sig, ctx));
    EXPECT_FALSE(Verify(p, kp.pk, msg, sig));  // other context
#ifdef ENTENTE_SANITIZED
    const std::size_t stride = 29;  // sanitizers make each verify ~10x slower: a spread sample
#else
    const std::size_t stride = p == Param::kMlDsa65 ? 1 : 13;
#endif
    for (std::size_t bit = 0; bit < sig.size() * 8; bit += stride) {
      Bytes bad = sig;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      ASSERT_FALSE(Verify(p, kp.pk, msg, bad, ctx)) << Name(p) << " bit " << bit;
    }
  }
}

TEST(MlDsaTest, DeterministicAndHedged) {
  auto kp = KeyGen(Param::kMlDsa65).value();
  const Bytes msg = {1, 2, 3};
  SignOptions det;
  det.deterministic = true;
  EXPECT_EQ(Sign(Param::kMlDsa65, kp.sk.view(), msg, {}, det).value(),
            Sign(Param::kMlDsa65, kp.sk.view(), msg, {}, det).value());
  EXPECT_NE(Sign(Param::kMlDsa65, kp.sk.view(), msg).value(),
            Sign(Param::kMlDsa65, kp.sk.view(), msg).value());
}

TEST(MlDsaTest, RejectsMalformedInput) {
  auto kp = KeyGen(Param::kMlDsa44).value();
  EXPECT_FALSE(Sign(Param::kMlDsa44, kp.sk.view(), {}, Bytes(256)).ok());
  EXPECT_FALSE(Sign(Param::kMlDsa65, kp.sk.view(), {}).ok());
  SecretBytes bad = kp.sk.Clone();
  bad[128] = 0xff;  // s1 coefficient out of range
  EXPECT_FALSE(Sign(Param::kMlDsa44, bad.view(), {}).ok());
  auto sig = Sign(Param::kMlDsa44, kp.sk.view(), {}).value();
  EXPECT_FALSE(Verify(Param::kMlDsa44, ByteView(kp.pk).subspan(1), {}, sig));
  EXPECT_FALSE(Verify(Param::kMlDsa44, kp.pk, {}, ByteView(sig).subspan(1)));
  EXPECT_FALSE(KeyGenFromSeed(Param::kMlDsa44, Bytes(31)).ok());
  EXPECT_FALSE(ParsePreHash("MD5").ok());
}

}  // namespace
}  // namespace entente::crypto::mldsa
