// X-Wing and composite ML-DSA against the drafts' own test vectors (data/acvp/hybrid).
#include "entente/crypto/hybrid.h"

#include <gtest/gtest.h>

#include "acvp_util.h"

namespace entente::crypto::hybrid {
namespace {

using testing::Hex;
using testing::LoadVectors;
using testing::Str;

TEST(XWingTest, DraftVectors) {
  const std::string text = testing::ReadFile(std::string(ENTENTE_DATA_DIR) +
                                             "/acvp/hybrid/xwing_test_vectors_draft10.json");
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  int n = 0;
  for (const auto& entry : doc.root()) {
    const json::Node& v = entry.second;
    auto kp = KemKeyFromSeed(KemSuite::kXWing, Hex(v, "seed")).value();
    EXPECT_EQ(HexEncode(kp.pk), HexEncode(Hex(v, "pk")));
    auto enc = KemEncapsDerand(KemSuite::kXWing, kp.pk, Hex(v, "eseed")).value();
    EXPECT_EQ(HexEncode(enc.ct), HexEncode(Hex(v, "ct")));
    EXPECT_EQ(HexEncode(enc.ss.view()), HexEncode(Hex(v, "ss")));
    auto ss = KemDecaps(KemSuite::kXWing, Hex(v, "sk"), Hex(v, "ct")).value();
    EXPECT_EQ(HexEncode(ss.view()), HexEncode(Hex(v, "ss")));
    ++n;
  }
  EXPECT_EQ(n, 3);
}

TEST(XWingTest, LevelFiveRoundTripAndBitFlips) {
  for (KemSuite s : {KemSuite::kXWing, KemSuite::kMlKem1024X25519}) {
    auto kp = KemKeyGen(s).value();
    EXPECT_EQ(kp.pk.size(), SizesOf(s).pk);
    auto key = KemPrivateKey::FromSeed(s, kp.sk.view()).value();
    auto enc = KemEncaps(s, kp.pk).value();
    EXPECT_EQ(enc.ct.size(), SizesOf(s).ct);
    EXPECT_EQ(HexEncode(key->Decaps(enc.ct).value().view()), HexEncode(enc.ss.view()));
    for (std::size_t bit = 0; bit < enc.ct.size() * 8; bit += 11) {
      Bytes bad = enc.ct;
      bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      auto ss = key->Decaps(bad);
      if (ss.ok()) {
        EXPECT_NE(HexEncode(ss.value().view()), HexEncode(enc.ss.view())) << bit;
      }
    }
  }
}

Bytes B64(const json::Node& n, std::string_view field) {
  return Base64Decode(Str(n, field)).value();
}

TEST(CompositeTest, DraftVectors) {
  auto f = LoadVectors("acvp/hybrid/composite_mldsa_test_vectors_subset.json");
  const json::Node root = f->doc.root();
  const Bytes m = B64(root, "m"), ctx = B64(root, "ctx");
  int checked = 0;
  for (const auto& entry : root["tests"]) {
    const json::Node& t = entry.second;
    const std::string id = Str(t, "tcId");
    const Bytes pk = B64(t, "pk"), sk = B64(t, "sk"), s = B64(t, "s"), sc = B64(t, "sWithContext");
    if (id == "id-MLDSA65-Ed25519-SHA512" || id == "id-MLDSA44-Ed25519-SHA512") {
      const SigSuite suite =
          id == "id-MLDSA65-Ed25519-SHA512" ? SigSuite::kMlDsa65Ed25519 : SigSuite::kMlDsa44Ed25519;
      EXPECT_EQ(HexEncode(SigKeyFromPrivate(suite, sk).value().pk), HexEncode(pk)) << id;
      EXPECT_TRUE(SigVerify(suite, pk, m, s)) << id;
      EXPECT_TRUE(SigVerify(suite, pk, m, sc, ctx)) << id;
      EXPECT_FALSE(SigVerify(suite, pk, m, s, ctx)) << id;
      // Our own signature verifies, and differs from theirs only by hedging.
      auto ours = SigSign(suite, sk, m, ctx).value();
      EXPECT_TRUE(SigVerify(suite, pk, m, ours, ctx));
      ++checked;
    } else if (id == "id-ML-DSA-44" || id == "id-ML-DSA-65") {
      const auto p = id == "id-ML-DSA-44" ? mldsa::Param::kMlDsa44 : mldsa::Param::kMlDsa65;
      EXPECT_EQ(HexEncode(mldsa::KeyGenFromSeed(p, sk).value().pk), HexEncode(pk)) << id;
      EXPECT_TRUE(mldsa::Verify(p, pk, m, s)) << id;
      EXPECT_TRUE(mldsa::Verify(p, pk, m, sc, ctx)) << id;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4);
}

TEST(CompositeTest, EitherComponentFailingRejects) {
  for (SigSuite s : {SigSuite::kMlDsa65Ed25519, SigSuite::kMlDsa87Ed25519}) {
    auto kp = SigKeyGen(s).value();
    const Bytes msg = {'v', 'o', 't', 'e'};
    auto sig = SigSign(s, kp.sk.view(), msg).value();
    EXPECT_EQ(sig.size(), SizesOf(s).sig);
    EXPECT_TRUE(SigVerify(s, kp.pk, msg, sig));
    Bytes bad = sig;
    bad[10] ^= 1;  // ML-DSA part
    EXPECT_FALSE(SigVerify(s, kp.pk, msg, bad));
    bad = sig;
    bad[bad.size() - 5] ^= 1;  // Ed25519 part
    EXPECT_FALSE(SigVerify(s, kp.pk, msg, bad));
    EXPECT_FALSE(SigVerify(s, kp.pk, msg, sig, AsBytes("ctx")));
  }
  EXPECT_EQ(SizesOf(SigSuite::kMlDsa65Ed25519).sig, 3373u);
}

}  // namespace
}  // namespace entente::crypto::hybrid
