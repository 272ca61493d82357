#include <gtest/gtest.h>

#include "entente/ledger/sth.h"
#include "test_util.h"

namespace entente::ledger {
namespace {

using crypto::hybrid::SigSuite;
using testing::TestKey;

TreeHead SampleHead() {
  TreeHead h;
  h.tree_size = 42;
  h.root_hash = LeafHash(AsBytes("root"));
  h.timestamp = "2026-11-23T01:40:00.000Z";
  h.log_id = LogIdFor(TestKey()->suite(), TestKey()->public_key());
  return h;
}

TEST(TreeHead, SignedBytesAreCanonical) {
  TreeHead h = SampleHead();
  EXPECT_EQ(h.SignedBytes(), "{\"log_id\":\"" + h.log_id + "\",\"root_hash\":\"" +
                                 HashToHex(h.root_hash) +
                                 "\",\"timestamp\":\"2026-11-23T01:40:00.000Z\",\"tree_size\":42}");
}

TEST(TreeHead, SignVerifyAndJsonRoundTrip) {
  auto sth = SignTreeHead(SampleHead(), *TestKey());
  ASSERT_TRUE(sth.ok()) << sth.status().message();
  const ByteView pk = TestKey()->public_key();
  EXPECT_TRUE(VerifyTreeHead(*sth, SigSuite::kMlDsa65Ed25519, pk).ok());
  const std::string json = ToJson(*sth);
  auto back = ParseSignedTreeHead(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(*back), json);
  EXPECT_TRUE(VerifyTreeHead(*back, SigSuite::kMlDsa65Ed25519, pk).ok());

  // Any change to what was signed breaks the signature.
  auto changed = *back;
  changed.head.tree_size = 43;
  EXPECT_EQ(VerifyTreeHead(changed, SigSuite::kMlDsa65Ed25519, pk).code(), ErrorCode::kCryptoError);
  changed = *back;
  changed.head.root_hash[31] ^= 1;
  EXPECT_FALSE(VerifyTreeHead(changed, SigSuite::kMlDsa65Ed25519, pk).ok());
  changed = *back;
  changed.head.timestamp = "2026-11-23T01:40:01.000Z";
  EXPECT_FALSE(VerifyTreeHead(changed, SigSuite::kMlDsa65Ed25519, pk).ok());
  changed = *back;
  changed.signature[10] ^= 1;
  EXPECT_FALSE(VerifyTreeHead(changed, SigSuite::kMlDsa65Ed25519, pk).ok());
  changed = *back;
  changed.signature[changed.signature.size() - 1] ^= 1;  // the Ed25519 half
  EXPECT_FALSE(VerifyTreeHead(changed, SigSuite::kMlDsa65Ed25519, pk).ok());

  // Another key: the log id no longer names it.
  auto other = crypto::hybrid::SigKeyGen(SigSuite::kMlDsa65Ed25519);
  ASSERT_TRUE(other.ok());
  Status s = VerifyTreeHead(*back, SigSuite::kMlDsa65Ed25519, other->pk);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("log id"), std::string::npos);
}

TEST(TreeHead, SigningRequiresTheKeysLogId) {
  TreeHead h = SampleHead();
  h.log_id = std::string(64, '0');
  EXPECT_FALSE(SignTreeHead(h, *TestKey()).ok());
}

TEST(ProofJson, RoundTrips) {
  InclusionProof p;
  p.leaf_index = 5;
  p.tree_size = 8;
  p.leaf_hash = LeafHash(AsBytes("x"));
  p.audit_path = {LeafHash(AsBytes("a")), LeafHash(AsBytes("b"))};
  auto back = ParseInclusionProof(ToJson(p));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->leaf_index, 5u);
  EXPECT_EQ(back->tree_size, 8u);
  EXPECT_EQ(back->leaf_hash, p.leaf_hash);
  EXPECT_EQ(back->audit_path, p.audit_path);

  ConsistencyProof c;
  c.first_size = 3;
  c.second_size = 9;
  c.path = p.audit_path;
  auto cb = ParseConsistencyProof(ToJson(c));
  ASSERT_TRUE(cb.ok()) << cb.status().message();
  EXPECT_EQ(cb->first_size, 3u);
  EXPECT_EQ(cb->second_size, 9u);
  EXPECT_EQ(cb->path, c.path);
}

TEST(ProofJson, RejectsMalformedInputWithTheMemberNamed) {
  auto expect_bad = [](const Status& s, const char* needle) {
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  const std::string h = std::string(64, 'a');
  expect_bad(ParseInclusionProof("{\"type\":\"inclusion\",\"leaf_index\":-1,\"tree_size\":2,"
                                 "\"leaf_hash\":\"" +
                                 h + "\",\"audit_path\":[]}")
                 .status(),
             "leaf_index");
  expect_bad(ParseInclusionProof("{\"type\":\"inclusion\",\"leaf_index\":0,\"tree_size\":2,"
                                 "\"leaf_hash\":\"abc\",\"audit_path\":[]}")
                 .status(),
             "leaf_hash");
  expect_bad(ParseInclusionProof("{\"type\":\"inclusion\",\"leaf_index\":0,\"tree_size\":2,"
                                 "\"leaf_hash\":\"" +
                                 h + "\",\"audit_path\":[1]}")
                 .status(),
             "audit_path");
  expect_bad(ParseInclusionProof("{\"type\":\"inclusion\",\"leaf_index\":0,\"tree_size\":2,"
                                 "\"leaf_hash\":\"" +
                                 h + "\",\"audit_path\":[],\"x\":1}")
                 .status(),
             "unknown member");
  expect_bad(ParseInclusionProof("{\"type\":\"consistency\"}").status(), "type");
  std::string many = "[";
  for (int i = 0; i < 65; ++i) many += (i ? ",\"" : "\"") + h + "\"";
  many += "]";
  expect_bad(ParseConsistencyProof("{\"type\":\"consistency\",\"first_size\":1,"
                                   "\"second_size\":2,\"path\":" +
                                   many + "}")
                 .status(),
             "more than 64");
  expect_bad(ParseSignedTreeHead("{}").status(), "log_id");
  expect_bad(ParseSignedTreeHead("not json").status(), "tree head");
}

}  // namespace
}  // namespace entente::ledger
