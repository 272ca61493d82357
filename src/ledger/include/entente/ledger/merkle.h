// RFC 9162 (Certificate Transparency v2) Merkle tree hashing with SHA-256, and the proofs over
// it: inclusion proofs (audit paths, section 2.1.3) and consistency proofs (section 2.1.4).
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node hash of MTH(D[0:k]) and MTH(D[k:n]), k the largest power of two < n.
//
// The verification functions implement the RFC's algorithms step by step and fail closed: a
// proof of the wrong length, an index outside the tree or a hash that does not match all give
// false. They allocate nothing and are reentrant.
//
// MerkleTree keeps every complete subtree hash by level (level 0 = leaf hashes, level j = the
// hashes of the aligned subtrees of 2^j leaves), about 64 bytes per leaf in all. Appending is
// amortised O(1) hashes; the root of any prefix, an inclusion proof and a consistency proof
// cost O(log n) stored lookups plus at most O(log n) hashes per incomplete right-edge subtree
// (O(log^2 n) hashes worst case, a few microseconds). Not thread-safe: Ledger adds the locking.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::ledger {

using Hash = std::array<std::uint8_t, 32>;

// SHA-256 of the leaf with the 0x00 domain prefix.
Hash LeafHash(ByteView leaf) noexcept;
// SHA-256 of 0x01 || left || right.
Hash NodeHash(const Hash& left, const Hash& right) noexcept;
// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot() noexcept;

std::string HashToHex(const Hash& h);
// Exactly 64 hex digits; kInvalidArgument naming `what` otherwise.
Result<Hash> HashFromHex(std::string_view hex, std::string_view what = "hash");

class MerkleTree {
 public:
  MerkleTree() = default;

  std::uint64_t size() const noexcept { return levels_.empty() ? 0 : levels_[0].size(); }
  void Reserve(std::uint64_t leaves);
  // Appends a leaf by its leaf hash (see LeafHash) and completes the subtrees it closes.
  void AppendLeafHash(const Hash& leaf_hash);
  // Drops everything at and after `size` leaves (used when an append to disk fails).
  void Truncate(std::uint64_t size);

  // Leaf hash at `index` (< size()).
  const Hash& leaf_hash(std::uint64_t index) const { return levels_[0][index]; }

  // MTH of the first `size` leaves (size <= size()); EmptyRoot() for 0.
  Result<Hash> Root(std::uint64_t size) const;
  Hash Root() const;
  // The audit path for leaf `index` in the tree of the first `size` leaves (RFC 9162 2.1.3.1),
  // leaf-side first. kInvalidArgument if index >= size or size > size().
  Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t size) const;
  // The consistency proof from the tree of `first` leaves to the tree of `second` leaves
  // (RFC 9162 2.1.4.1); empty when first == second or first == 0.
  // kInvalidArgument if first > second or second > size().
  Result<std::vector<Hash>> ConsistencyProof(std::uint64_t first, std::uint64_t second) const;

  // Hash of leaves [begin, end) as the RFC's MTH of that range; begin < end <= size().
  Hash RangeHash(std::uint64_t begin, std::uint64_t end) const;

 private:
  std::vector<std::vector<Hash>> levels_;
};

// RFC 9162 2.1.3.2: true iff `proof` proves that `leaf_hash` is leaf `index` of the tree of
// `size` leaves whose root is `root`.
bool VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                     std::span<const Hash> proof, const Hash& root) noexcept;
// The root an inclusion proof implies, or kInvalidArgument if the proof has the wrong shape.
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                                    std::span<const Hash> proof);
// RFC 9162 2.1.4.2: true iff `proof` proves that the tree of `first` leaves with root
// `first_root` is a prefix of the tree of `second` leaves with root `second_root`. With
// first == second the proof must be empty and the roots equal; with first == 0 the proof must
// be empty (the empty tree is a prefix of every tree).
bool VerifyConsistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                       const Hash& second_root, std::span<const Hash> proof) noexcept;

}  // namespace entente::ledger
