// The indicator index: every value any member shares, matched at memory speed.
//
// Three structures, built once per generation and then read-only:
//  * exact values (IPs, domains, URLs, emails, digests, url-paths, generic (scope, value)): an
//    open-addressing table of 8-byte slots (32-bit fingerprint | 32-bit key-record offset) in
//    buckets of 8 slots = one cache line, load 0.625, so an absent key costs one cache line
//    and a present one two (the bucket, then its key record: header with entry number, length
//    and type, then the key bytes); entries (16 bytes) point into that arena (for output) and
//    into a posting list of indicator records. A posting list per value is what correlation builds
//    on: every indicator (any member's) that names the value is one posting.
//  * CIDRs, IPv4 and IPv6: prefixes flattened into disjoint sorted ranges whose value is the
//    longest matching prefix (each prefix knows its enclosing prefix, so all covering prefixes
//    are reachable). Both add a direct index on the top 16 to 22 bits of the address (more
//    bits for more ranges, about two ranges per slot), so a lookup is one read in that index
//    and a binary search that usually stays in one cache line.
//  * domain-suffix rules (".xyz"): a small exact table probed for every strict parent.
// Parent-domain matching (an indicator on evil.example matches sub.evil.example) walks the
// parents of a name; a parent that is a public suffix never matches (PublicSuffixList), so an
// indicator "org.ru" cannot match "www.linux.org.ru". It matches the name "org.ru" itself.
//
// Costs: build O(n log n), ~1.3 s for 1.7 M values; about 59 bytes per exact indicator (slots,
// Bloom filter, entry, posting, record header, key bytes); lookups need no allocation. The slot
// table and the key records are mapped in 2 MiB pages where the kernel allows.
//
// Threading: IndexBuilder is single-threaded. An Index is immutable once built: any number of
// threads may read it concurrently. IndexHandle publishes generations: Current() is a lock-free
// atomic load of a shared_ptr, Publish() an atomic store; a reader keeps its generation alive
// for as long as it holds the pointer, so a reload never stops or disturbs a scan.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/detect/observable.h"
#include "entente/detect/public_suffix.h"

namespace entente::detect {

// What an indicator says about its values; carried through to every hit.
struct IndicatorMeta {
  std::string ref;  // a STIX id ("indicator--...") or a label set ("mt:simda,eset:x")
  std::int64_t valid_from_ms = std::numeric_limits<std::int64_t>::min();   // Unix ms
  std::int64_t valid_until_ms = std::numeric_limits<std::int64_t>::max();  // exclusive
  bool revoked = false;
  int confidence = -1;  // 0..100, -1 unknown
  std::string tlp;      // "clear", "green", "amber", "amber+strict", "red" or empty

  bool ValidAt(std::int64_t ms) const noexcept {
    return !revoked && ms >= valid_from_ms && ms < valid_until_ms;
  }
  bool operator==(const IndicatorMeta&) const = default;
};
using MetaId = std::uint32_t;

enum class MatchKind : std::uint8_t {
  kExact = 0,   // the observable equals the indicator value
  kParent = 1,  // the indicator is a parent domain of the observable
  kSuffix = 2,  // a domain-suffix rule
  kCidr = 3,    // the address lies in an indicator prefix
};
std::string_view MatchKindName(MatchKind kind) noexcept;

struct IndexStats {
  std::size_t exact_values = 0;    // distinct exact keys
  std::size_t exact_postings = 0;  // (value, indicator) pairs
  std::size_t suffix_rules = 0;
  std::size_t v4_prefixes = 0, v6_prefixes = 0;
  std::size_t metas = 0;                 // distinct indicator records
  std::size_t public_suffix_values = 0;  // domain indicators that are public suffixes
  std::size_t catch_all_prefixes = 0;    // prefixes of length 0 (warned)
  std::size_t exact_bytes = 0;           // slots + entries + postings + key arena
  std::size_t cidr_bytes = 0;
  std::size_t total_bytes = 0;
  std::size_t per_type[kObservableTypeCount] = {};
};

class Index;

class IndexBuilder {
 public:
  IndexBuilder();
  ~IndexBuilder();
  IndexBuilder(IndexBuilder&&) noexcept;
  IndexBuilder& operator=(IndexBuilder&&) noexcept;

  // Interns an indicator record: equal records get the same id.
  MetaId AddMeta(const IndicatorMeta& meta);

  // Adds a value of a known type (normalised with CanonicalKey); kIpv4/kIpv6 values with a '/'
  // are CIDRs. kInvalidArgument names the value when it does not parse.
  Status Add(ObservableType type, std::string_view value, MetaId meta);
  // A CIDR or bare address as a prefix ("10.0.0.0/8", "2001:db8::/32").
  Status AddCidr(std::string_view cidr, MetaId meta);
  // Any other SCO property, e.g. AddOther("mutex:name", "Global\\x"): exact, case-sensitive.
  Status AddOther(std::string_view scope, std::string_view value, MetaId meta);
  // A value whose type is inferred (InferType); kInvalidArgument for kOther.
  Status AddInferred(std::string_view value, MetaId meta);

  std::size_t size() const noexcept;  // values added so far (before de-duplication)

  // Builds the generation. `psl` (may be null: then no public-suffix rule) is copied into the
  // index. Warnings (e.g. "0.0.0.0/0 matches every address") are appended to `warnings`.
  // The builder is left empty.
  Result<std::shared_ptr<const Index>> Build(const PublicSuffixList* psl,
                                             std::vector<std::string>* warnings = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Index {
 public:
  struct Entry {  // one distinct exact value
    std::uint32_t key_off;
    std::uint16_t key_len;
    ObservableType type;
    std::uint8_t flags;
    std::uint32_t post_off;
    std::uint32_t post_len;
  };
  static_assert(sizeof(Entry) == 16);
  static constexpr std::uint32_t kNone = 0xffffffffu;

  ~Index();

  // The hash every exact probe starts from (xxh3 of the key, seeded by type; kDomainSuffix
  // shares kDomain's seed so one hash serves both tables).
  static std::uint64_t Hash(ObservableType type, std::string_view key) noexcept;

  // out[i] is 0 only when no exact value has hashes[i]: a cache-resident filter (~2 bytes per
  // value) that spares most absent tokens the table's cache miss. Its words are prefetched a few
  // hashes ahead.
  void MayContainBatch(std::span<const std::uint64_t> hashes, std::uint8_t* out) const noexcept;
  // Exact table. Prefetch the bucket of `hash` (issue it a few probes ahead), then Find.
  void Prefetch(std::uint64_t hash) const noexcept;
  // Entry number or kNone. `key` is canonical (CanonicalKey).
  std::uint32_t Find(std::uint64_t hash, ObservableType type, std::string_view key) const noexcept;
  // Batched form: out[i] = Find(...) for each key. A software pipeline keeps ~24 independent
  // cache misses in flight; use it with dozens of probes or more (any number is correct).
  struct Probe {
    std::uint64_t hash;
    std::string_view key;
    ObservableType type;
  };
  void FindBatch(std::span<const Probe> probes, std::uint32_t* out) const noexcept;
  // Convenience: normalises `value` first; kNone if it does not parse.
  std::uint32_t Lookup(ObservableType type, std::string_view value) const;

  // Domain-suffix rules: entry number in the suffix table or kNone.
  std::uint32_t FindSuffix(std::uint64_t hash, std::string_view key) const noexcept;
  bool has_suffix_rules() const noexcept;

  const Entry& entry(std::uint32_t e) const noexcept { return entries_[e]; }
  const Entry& suffix_entry(std::uint32_t e) const noexcept;
  std::string_view key(const Entry& e) const noexcept { return {arena_ + e.key_off, e.key_len}; }
  std::span<const MetaId> postings(const Entry& e) const noexcept {
    return {postings_.data() + e.post_off, e.post_len};
  }
  std::string_view suffix_key(const Entry& e) const noexcept;
  std::span<const MetaId> suffix_postings(const Entry& e) const noexcept;

  // CIDR longest-prefix match: a prefix number or kNone.
  std::uint32_t LookupV4(std::uint32_t address) const noexcept;
  std::uint32_t LookupV6(const Ipv6Bytes& address) const noexcept;
  // Batched forms: out[i] is the lookup of addresses[i]. A software pipeline prefetches each
  // address's slot of the direct index, then its ranges, so that a million prefixes (tables
  // larger than the CPU's caches) cost about what a cache-resident set does; use them with
  // dozens of addresses or more (any number is correct).
  void LookupV4Batch(std::span<const std::uint32_t> addresses, std::uint32_t* out) const noexcept;
  void LookupV6Batch(std::span<const Ipv6Bytes> addresses, std::uint32_t* out) const noexcept;
  struct Prefix {
    Cidr cidr;
    std::uint32_t parent;  // enclosing prefix or kNone
    std::uint32_t post_off, post_len;
  };
  const Prefix& v4_prefix(std::uint32_t p) const noexcept;
  const Prefix& v6_prefix(std::uint32_t p) const noexcept;
  std::span<const MetaId> prefix_postings(const Prefix& p) const noexcept {
    return {postings_.data() + p.post_off, p.post_len};
  }
  bool has_v4_prefixes() const noexcept;
  bool has_v6_prefixes() const noexcept;

  // A parent-domain walk in one call (the scanner batches the same probes itself). Calls
  // fn(MatchKind, std::string_view matched_key, std::span<const MetaId>) for the name itself,
  // every parent that is not a public suffix, and every suffix rule covering it.
  template <typename Fn>
  void MatchDomain(std::string_view canonical, Fn&& fn) const;

  bool IsPublicSuffix(std::string_view domain) const { return psl_.IsPublicSuffix(domain); }
  // Whether a lower-case label may end a domain worth looking up: a TLD of the public suffix
  // list, or the last label of some domain indicator (so "evil.corp" or "c2.onion" indicators
  // still match although those are not public TLDs). Allocation-free.
  bool IsCandidateTld(std::string_view label) const noexcept;
  const PublicSuffixList& public_suffixes() const noexcept { return psl_; }
  // Whether any exact value of this type is present (the scanner skips types with none).
  bool HasType(ObservableType type) const noexcept {
    return stats_.per_type[static_cast<int>(type)] > 0;
  }

  const IndicatorMeta& meta(MetaId id) const noexcept { return metas_[id]; }
  const IndexStats& stats() const noexcept { return stats_; }

 private:
  friend class IndexBuilder;
  Index();
  struct Tables;
  std::unique_ptr<Tables> t_;
  std::vector<Entry> entries_;
  const char* arena_ = nullptr;  // key records, owned by t_
  std::vector<MetaId> postings_;
  std::vector<IndicatorMeta> metas_;
  PublicSuffixList psl_;
  std::vector<std::uint64_t> own_tlds_;  // PackLabel of indicator TLDs, open addressing
  IndexStats stats_;
};

template <typename Fn>
void Index::MatchDomain(std::string_view d, Fn&& fn) const {
  bool first = true;
  while (!d.empty()) {
    std::uint64_t h = Hash(ObservableType::kDomain, d);
    if (first || !psl_.IsPublicSuffix(d)) {
      if (std::uint32_t e = Find(h, ObservableType::kDomain, d); e != kNone)
        fn(first ? MatchKind::kExact : MatchKind::kParent, key(entries_[e]), postings(entries_[e]));
    }
    if (!first && has_suffix_rules()) {
      if (std::uint32_t e = FindSuffix(h, d); e != kNone)
        fn(MatchKind::kSuffix, suffix_key(suffix_entry(e)), suffix_postings(suffix_entry(e)));
    }
    auto dot = d.find('.');
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot + 1);
    first = false;
  }
}

// Holds the live generation. See the threading note at the top of this file.
class IndexHandle {
 public:
  IndexHandle() = default;
  explicit IndexHandle(std::shared_ptr<const Index> index) : current_(std::move(index)) {}
  std::shared_ptr<const Index> Current() const { return current_.load(std::memory_order_acquire); }
  // Makes `next` the live generation; scans holding the old one finish on it.
  void Publish(std::shared_ptr<const Index> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Index>> current_;
};

}  // namespace entente::detect
