#include "entente/ledger/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace entente::ledger {
namespace {

// Largest power of two strictly less than n (n >= 2): the RFC's split point.
std::uint64_t SplitPoint(std::uint64_t n) noexcept { return std::bit_floor(n - 1); }

// SHA-256 through one context per thread and an implementation fetched once: OpenSSL 3's
// one-shot SHA256() fetches the algorithm on every call, which costs more than hashing a
// 200-byte leaf (measured: about 2x slower per leaf; docs/BENCHMARKS.md, Ledger).
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct HashContext {
  HashContext() : ctx(EVP_MD_CTX_new()) {}
  ~HashContext() { EVP_MD_CTX_free(ctx); }
  HashContext(const HashContext&) = delete;
  HashContext& operator=(const HashContext&) = delete;
  EVP_MD_CTX* ctx;
};

Hash PrefixedSha256(std::uint8_t prefix, ByteView a, ByteView b = {}) noexcept {
  thread_local HashContext hc;
  Hash out{};
  unsigned int len = 0;
  const EVP_MD* md = Sha256Md();
  if (md == nullptr || hc.ctx == nullptr || EVP_DigestInit_ex2(hc.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(hc.ctx, &prefix, 1) != 1 ||
      (!a.empty() && EVP_DigestUpdate(hc.ctx, a.data(), a.size()) != 1) ||
      (!b.empty() && EVP_DigestUpdate(hc.ctx, b.data(), b.size()) != 1) ||
      EVP_DigestFinal_ex(hc.ctx, out.data(), &len) != 1) {
    std::abort();  // no SHA-256 (allocation failure inside OpenSSL): no hash can be trusted
  }
  return out;
}

bool SameHash(const Hash& a, const Hash& b) noexcept {
  return std::memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Hash LeafHash(ByteView leaf) noexcept { return PrefixedSha256(0x00, leaf); }

Hash NodeHash(const Hash& left, const Hash& right) noexcept {
  return PrefixedSha256(0x01, ByteView(left.data(), left.size()),
                        ByteView(right.data(), right.size()));
}

Hash EmptyRoot() noexcept {
  // The constant SHA-256(""), as RFC 9162 defines MTH({}).
  static const Hash kEmpty = [] {
    Hash h{};
    unsigned int len = 0;
    if (EVP_Digest(nullptr, 0, h.data(), &len, EVP_sha256(), nullptr) != 1) std::abort();
    return h;
  }();
  return kEmpty;
}

std::string HashToHex(const Hash& h) { return HexEncode(ByteView(h.data(), h.size())); }

Result<Hash> HashFromHex(std::string_view hex, std::string_view what) {
  if (hex.size() != 64) {
    return Status::InvalidArgument(std::string(what) + ": expected 64 hex digits, got " +
                                   std::to_string(hex.size()) + " characters");
  }
  auto bytes = HexDecode(hex);
  if (!bytes.ok()) return bytes.status().WithContext(what);
  Hash h{};
  std::memcpy(h.data(), bytes->data(), h.size());
  return h;
}

// --- MerkleTree --------------------------------------------------------------------------

void MerkleTree::Reserve(std::uint64_t leaves) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].reserve(leaves);
}

void MerkleTree::AppendLeafHash(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each even count at level j closes a subtree of 2^(j+1) leaves.
  for (std::size_t j = 0; levels_[j].size() % 2 == 0; ++j) {
    if (j + 1 == levels_.size()) levels_.emplace_back();
    const auto& level = levels_[j];
    Hash parent = NodeHash(level[level.size() - 2], level[level.size() - 1]);
    levels_[j + 1].push_back(parent);
  }
}

void MerkleTree::Truncate(std::uint64_t size) {
  for (std::size_t j = 0; j < levels_.size(); ++j) {
    const std::uint64_t keep = size >> j;
    if (levels_[j].size() > keep) levels_[j].resize(keep);
  }
}

Hash MerkleTree::RangeHash(std::uint64_t begin, std::uint64_t end) const {
  const std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    const int j = std::countr_zero(n);
    // Aligned complete subtrees are stored; RFC recursion from 0 only asks for aligned ones.
    if (begin % n == 0 && static_cast<std::size_t>(j) < levels_.size() &&
        (begin >> j) < levels_[j].size()) {
      return levels_[j][begin >> j];
    }
    if (n == 1) return levels_[0][begin];
  }
  const std::uint64_t k = SplitPoint(n);
  return NodeHash(RangeHash(begin, begin + k), RangeHash(begin + k, end));
}

Hash MerkleTree::Root() const { return size() == 0 ? EmptyRoot() : RangeHash(0, size()); }

Result<Hash> MerkleTree::Root(std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the log's " + std::to_string(size()) + " entries");
  }
  return tree_size == 0 ? EmptyRoot() : RangeHash(0, tree_size);
}

Result<std::vector<Hash>> MerkleTree::InclusionProof(std::uint64_t index,
                                                     std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the log's " + std::to_string(size()) + " entries");
  }
  if (index >= tree_size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is outside a tree of " + std::to_string(tree_size));
  }
  // PATH(m, D[begin:end]) unrolled: collect siblings root-side first, then reverse.
  std::vector<Hash> path;
  std::uint64_t begin = 0, end = tree_size, m = index;
  while (end - begin > 1) {
    const std::uint64_t k = SplitPoint(end - begin);
    if (m < k) {
      path.push_back(RangeHash(begin + k, end));
      end = begin + k;
    } else {
      path.push_back(RangeHash(begin, begin + k));
      begin += k;
      m -= k;
    }
  }
  return std::vector<Hash>(path.rbegin(), path.rend());
}

Result<std::vector<Hash>> MerkleTree::ConsistencyProof(std::uint64_t first,
                                                       std::uint64_t second) const {
  if (second > size()) {
    return Status::InvalidArgument("tree size " + std::to_string(second) + " is beyond the log's " +
                                   std::to_string(size()) + " entries");
  }
  if (first > second) {
    return Status::InvalidArgument("consistency from " + std::to_string(first) + " to " +
                                   std::to_string(second) + ": the first size is larger");
  }
  std::vector<Hash> proof;
  if (first == 0 || first == second) return proof;
  // SUBPROOF(m, D[begin:end], b) unrolled, root-side first, then reversed.
  std::uint64_t begin = 0, end = second, m = first;
  bool whole = true;
  while (m != end - begin) {
    const std::uint64_t n = end - begin;
    const std::uint64_t k = SplitPoint(n);
    if (m <= k) {
      proof.push_back(RangeHash(begin + k, end));
      end = begin + k;
    } else {
      proof.push_back(RangeHash(begin, begin + k));
      begin += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) proof.push_back(RangeHash(begin, end));
  return std::vector<Hash>(proof.rbegin(), proof.rend());
}

// --- verification ------------------------------------------------------------------------

namespace {

// RFC 9162 2.1.3.2 steps 1-5 without the final comparison: the root the path implies, or false
// if the path does not fit a tree of `size` leaves.
bool InclusionRoot(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                   std::span<const Hash> proof, Hash& r) noexcept {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0;
}

}  // namespace

Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                                    std::span<const Hash> proof) {
  Hash r{};
  if (!InclusionRoot(leaf_hash, index, size, proof, r)) {
    return Status::InvalidArgument("inclusion proof of " + std::to_string(proof.size()) +
                                   " hashes does not fit leaf " + std::to_string(index) +
                                   " of a tree of " + std::to_string(size));
  }
  return r;
}

bool VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                     std::span<const Hash> proof, const Hash& root) noexcept {
  Hash r{};
  return InclusionRoot(leaf_hash, index, size, proof, r) && SameHash(r, root);
}

bool VerifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof) noexcept {
  if (first > second) return false;
  if (first == second) return proof.empty() && SameHash(first_root, second_root);
  if (first == 0) return proof.empty();
  // RFC 9162 2.1.4.2, steps 1-7; "prepend first_hash" is done by starting one element early.
  if (proof.empty()) return false;
  const bool prepend = std::has_single_bit(first);
  std::uint64_t fn = first - 1, sn = second - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = prepend ? first_root : proof[0];
  Hash sr = fr;
  for (std::size_t i = prepend ? 0 : 1; i < proof.size(); ++i) {
    const Hash& c = proof[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && SameHash(fr, first_root) && SameHash(sr, second_root);
}

}  // namespace entente::ledger
