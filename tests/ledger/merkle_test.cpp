// RFC 9162 hashing and proofs: the published RFC 6962 test tree (data/ledger), then property
// tests over random trees against a direct transcription of the RFC's recursive definitions.
#include <gtest/gtest.h>

#include <random>

#include "entente/base/file.h"
#include "entente/base/json.h"
#include "entente/ledger/merkle.h"

namespace entente::ledger {
namespace {

Hash H(std::string_view hex) {
  auto h = HashFromHex(hex);
  EXPECT_TRUE(h.ok()) << h.status().message();
  return h.ok() ? *h : Hash{};
}

std::vector<Hash> Hashes(const json::Value& array) {
  std::vector<Hash> out;
  for (const auto& v : array.array()) out.push_back(H(v.str()));
  return out;
}

class VectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto text = ReadFileToString(std::string(ENTENTE_DATA_DIR) + "/ledger/rfc6962_vectors.json");
    ASSERT_TRUE(text.ok()) << text.status().message();
    auto v = json::Value::Parse(*text);
    ASSERT_TRUE(v.ok()) << v.status().message();
    vectors_ = std::move(*v);
    for (const auto& leaf : vectors_.find("leaves")->array()) {
      auto bytes = HexDecode(leaf.str());
      ASSERT_TRUE(bytes.ok());
      tree_.AppendLeafHash(LeafHash(*bytes));
    }
    ASSERT_EQ(tree_.size(), 8u);
    for (const auto& r : vectors_.find("roots")->array()) roots_.push_back(H(r.str()));
  }
  json::Value vectors_;
  MerkleTree tree_;
  std::vector<Hash> roots_;
};

TEST_F(VectorTest, RootsOfEveryPrefixMatchPublishedValues) {
  EXPECT_EQ(HashToHex(EmptyRoot()), vectors_.find("empty_root")->str());
  EXPECT_EQ(*tree_.Root(0), EmptyRoot());
  for (std::uint64_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(HashToHex(*tree_.Root(n)), HashToHex(roots_[n - 1])) << "size " << n;
  }
  EXPECT_FALSE(tree_.Root(9).ok());
}

TEST_F(VectorTest, InclusionProofsMatchAndVerify) {
  for (const auto& c : vectors_.find("inclusion")->array()) {
    const auto index = static_cast<std::uint64_t>(*c.find("leaf_index")->as_int64());
    const auto size = static_cast<std::uint64_t>(*c.find("tree_size")->as_int64());
    const std::vector<Hash> want = Hashes(*c.find("path"));
    auto got = tree_.InclusionProof(index, size);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, want) << "index " << index << " size " << size;
    const Hash leaf = tree_.leaf_hash(index);
    EXPECT_TRUE(VerifyInclusion(leaf, index, size, want, roots_[size - 1]));
    auto root = RootFromInclusionProof(leaf, index, size, want);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, roots_[size - 1]);
    // The mutations transparency-dev applies: wrong index, size, leaf, root, extra or missing
    // elements, one flipped bit.
    if (index > 0) {
      EXPECT_FALSE(VerifyInclusion(leaf, index - 1, size, want, roots_[size - 1]));
    }
    EXPECT_FALSE(VerifyInclusion(leaf, index + 1, size, want, roots_[size - 1]));
    EXPECT_FALSE(VerifyInclusion(leaf, index, size * 2, want, roots_[size - 1]));
    if (size > 1) {
      EXPECT_FALSE(VerifyInclusion(leaf, index, size / 2, want, roots_[size - 1]));
    }
    EXPECT_FALSE(
        VerifyInclusion(LeafHash(AsBytes("WrongLeaf")), index, size, want, roots_[size - 1]));
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, want, EmptyRoot()));
    auto longer = want;
    longer.push_back(roots_[size - 1]);
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, longer, roots_[size - 1]));
    auto front = want;
    front.insert(front.begin(), roots_[size - 1]);
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, front, roots_[size - 1]));
    if (!want.empty()) {
      auto shorter = want;
      shorter.pop_back();
      EXPECT_FALSE(VerifyInclusion(leaf, index, size, shorter, roots_[size - 1]));
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto flipped = want;
      flipped[i][0] ^= 8;
      EXPECT_FALSE(VerifyInclusion(leaf, index, size, flipped, roots_[size - 1]));
    }
  }
}

TEST_F(VectorTest, ConsistencyProofsMatchAndVerify) {
  for (const auto& c : vectors_.find("consistency")->array()) {
    const auto m = static_cast<std::uint64_t>(*c.find("first_size")->as_int64());
    const auto n = static_cast<std::uint64_t>(*c.find("second_size")->as_int64());
    const std::vector<Hash> want = Hashes(*c.find("path"));
    auto got = tree_.ConsistencyProof(m, n);
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(*got, want) << m << " -> " << n;
    const Hash& r1 = roots_[m - 1];
    const Hash& r2 = roots_[n - 1];
    EXPECT_TRUE(VerifyConsistency(m, n, r1, r2, want));
    if (want.empty()) continue;
    EXPECT_FALSE(VerifyConsistency(m - 1, n, r1, r2, want));
    EXPECT_FALSE(VerifyConsistency(m + 1, n, r1, r2, want));
    EXPECT_FALSE(VerifyConsistency(m ^ 2, n, r1, r2, want));
    EXPECT_FALSE(VerifyConsistency(m, n * 2, r1, r2, want));
    EXPECT_FALSE(VerifyConsistency(m, n / 2, r1, r2, want));
    EXPECT_FALSE(VerifyConsistency(m, n, r2, r1, want));
    EXPECT_FALSE(VerifyConsistency(m, n, r1, r2, {}));
    auto longer = want;
    longer.push_back(r2);
    EXPECT_FALSE(VerifyConsistency(m, n, r1, r2, longer));
    auto front = want;
    front.insert(front.begin(), want[0]);
    EXPECT_FALSE(VerifyConsistency(m, n, r1, r2, front));
    auto shorter = want;
    shorter.pop_back();
    EXPECT_FALSE(VerifyConsistency(m, n, r1, r2, shorter));
    for (std::size_t i = 0; i < want.size(); ++i) {
      auto flipped = want;
      flipped[i][0] ^= 16;
      EXPECT_FALSE(VerifyConsistency(m, n, r1, r2, flipped));
    }
  }
}

TEST(Consistency, EdgeCasesFollowTheRfc) {
  const Hash a = LeafHash(AsBytes("a")), b = LeafHash(AsBytes("b"));
  EXPECT_TRUE(VerifyConsistency(0, 0, a, a, {}));
  EXPECT_TRUE(VerifyConsistency(0, 5, a, b, {}));  // the empty tree is a prefix of all
  EXPECT_TRUE(VerifyConsistency(3, 3, b, b, {}));
  EXPECT_FALSE(VerifyConsistency(3, 3, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(3, 3, a, a, std::vector<Hash>{a}));
  EXPECT_FALSE(VerifyConsistency(0, 1, a, a, std::vector<Hash>{a}));
  EXPECT_FALSE(VerifyConsistency(2, 1, a, b, {}));
  EXPECT_FALSE(VerifyConsistency(1, 2, a, b, {}));
  EXPECT_FALSE(VerifyInclusion(a, 0, 0, {}, a));
  EXPECT_TRUE(VerifyInclusion(a, 0, 1, {}, a));
  EXPECT_FALSE(VerifyInclusion(a, 1, 1, {}, a));
}

// The RFC's definitions transcribed literally (recursive, no stored subtrees): the reference
// the stored-level implementation is checked against.
Hash RefMth(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaves[begin];
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return NodeHash(RefMth(leaves, begin, begin + k), RefMth(leaves, begin + k, end));
}

TEST(MerkleProperties, RandomTreesEveryProofVerifiesAndEveryFlippedBitFails) {
  std::mt19937_64 rng(20261123);
  std::vector<Hash> leaves;
  MerkleTree tree;
  for (std::uint64_t n = 1; n <= 70; ++n) {
    const std::string data = std::to_string(rng());
    leaves.push_back(LeafHash(AsBytes(data)));
    tree.AppendLeafHash(leaves.back());
    std::vector<Hash> roots(n + 1);
    for (std::uint64_t m = 0; m <= n; ++m) {
      roots[m] = RefMth(leaves, 0, m);
      ASSERT_EQ(*tree.Root(m), roots[m]) << "size " << m;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = tree.InclusionProof(i, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, *proof, roots[n])) << i << "/" << n;
      // Every bit of every path element matters; test one random bit per element (all bits
      // on the small trees).
      for (std::size_t e = 0; e < proof->size(); ++e) {
        const int bits = n <= 9 ? 256 : 1;
        for (int b = 0; b < bits; ++b) {
          const int bit = n <= 9 ? b : static_cast<int>(rng() % 256);
          auto bad = *proof;
          bad[e][bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
          ASSERT_FALSE(VerifyInclusion(leaves[i], i, n, bad, roots[n]));
        }
      }
      Hash bad_leaf = leaves[i];
      bad_leaf[rng() % 32] ^= 1;
      ASSERT_FALSE(VerifyInclusion(bad_leaf, i, n, *proof, roots[n]));
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto proof = tree.ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyConsistency(m, n, roots[m], roots[n], *proof)) << m << "->" << n;
      for (std::size_t e = 0; e < proof->size(); ++e) {
        auto bad = *proof;
        const std::size_t bit = rng() % 256;
        bad[e][bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        ASSERT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], bad)) << m << "->" << n;
      }
      if (m < n) {
        Hash bad_root = roots[m];
        bad_root[0] ^= 1;
        ASSERT_FALSE(VerifyConsistency(m, n, bad_root, roots[n], *proof));
      }
    }
  }
}

TEST(MerkleProperties, LargeTreeProofsAreLogarithmic) {
  MerkleTree tree;
  const std::uint64_t n = 100'003;
  for (std::uint64_t i = 0; i < n; ++i) {
    tree.AppendLeafHash(LeafHash(AsBytes(std::to_string(i))));
  }
  const Hash root = tree.Root();
  for (std::uint64_t i : {std::uint64_t{0}, std::uint64_t{65535}, std::uint64_t{99999}, n - 1}) {
    auto proof = tree.InclusionProof(i, n);
    ASSERT_TRUE(proof.ok());
    EXPECT_LE(proof->size(), 17u);
    EXPECT_TRUE(VerifyInclusion(tree.leaf_hash(i), i, n, *proof, root));
  }
  auto c = tree.ConsistencyProof(77'777, n);
  ASSERT_TRUE(c.ok());
  EXPECT_LE(c->size(), 2u * 17u);
  EXPECT_TRUE(VerifyConsistency(77'777, n, *tree.Root(77'777), root, *c));
  tree.Truncate(77'777);
  EXPECT_EQ(tree.size(), 77'777u);
  MerkleTree fresh;
  for (std::uint64_t i = 0; i < 77'777; ++i)
    fresh.AppendLeafHash(LeafHash(AsBytes(std::to_string(i))));
  EXPECT_EQ(tree.Root(), fresh.Root());
}

TEST(MerkleHex, RejectsBadHashes) {
  EXPECT_FALSE(HashFromHex("abcd").ok());
  EXPECT_FALSE(HashFromHex(std::string(64, 'g')).ok());
  EXPECT_TRUE(HashFromHex(std::string(64, 'a')).ok());
}

}  // namespace
}  // namespace entente::ledger
