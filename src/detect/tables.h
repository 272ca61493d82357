// Private building blocks of the index and the warninglists: a cache-line-bucketed
// fingerprint table and a flattened longest-prefix-match range table.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <utility>
#include <vector>

namespace entente::detect::internal {

// Every helper whose only effect is a prefetch is [[gnu::always_inline]]. GCC does not count
// __builtin_prefetch as a side effect: a helper left out of line is found "pure", and since it
// returns nothing every call to it is deleted as dead code. That silently removed the range
// stage of the CIDR pipelines and the overflow-bucket prefetch of the exact table.

// Zeroed memory for the large, randomly probed tables. From 2 MiB up it is mapped on its own
// and advised for transparent huge pages: on this class of VM a probe that also misses the
// TLB pays a nested page walk (several more dependent misses), which 2 MiB pages avoid.
class HugeBuffer {
 public:
  HugeBuffer() = default;
  explicit HugeBuffer(std::size_t bytes) : size_(bytes) {
    if (bytes == 0) return;
    if (bytes >= kHuge) {
      mapped_ = (bytes + kHuge - 1) / kHuge * kHuge;
      // Over-map by one huge page so the table can start on a 2 MiB boundary.
      void* p = ::mmap(nullptr, mapped_ + kHuge, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      map_base_ = p;
      auto a = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) / kHuge * kHuge;
      data_ = reinterpret_cast<char*>(a);
#ifdef MADV_HUGEPAGE
      ::madvise(data_, mapped_, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
#endif
    } else {
      data_ = static_cast<char*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
      if (!data_) throw std::bad_alloc();
      std::memset(data_, 0, bytes);
    }
  }
  HugeBuffer(HugeBuffer&& o) noexcept { Swap(o); }
  HugeBuffer& operator=(HugeBuffer&& o) noexcept {
    HugeBuffer t(std::move(o));
    Swap(t);
    return *this;
  }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  ~HugeBuffer() {
    if (map_base_) {
      ::munmap(map_base_, mapped_ + kHuge);
    } else {
      std::free(data_);
    }
  }
  char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  void Swap(HugeBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(mapped_, o.mapped_);
    std::swap(map_base_, o.map_base_);
  }
  char* data_ = nullptr;
  std::size_t size_ = 0, mapped_ = 0;
  void* map_base_ = nullptr;
};

// Open addressing over buckets of 8 slots (64 bytes, one cache line). A slot is
// (32-bit fingerprint << 32) | (payload + 1); 0 is empty. The payload is whatever 32-bit
// number the owner needs back (an entry number, or the offset of a key record). The bucket comes
// from the high half of the hash (multiply-shift range reduction, any bucket count), the
// fingerprint from the low half. Linear probing by bucket; at load 0.625 about 95 % of probes end
// in their first cache line.
class FingerprintTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  // Slots per 10 keys: load 0.625. At 0.8 about one bucket in four is full, and every probe
  // that lands on a full bucket must read the next one too.
  static constexpr std::size_t kSlotsPer10 = 16;
  static constexpr int kLocality = 2;

  // payloads[i] (default: i) is stored under hashes[i].
  void Build(const std::vector<std::uint64_t>& hashes,
             const std::vector<std::uint32_t>* payloads = nullptr) {
    std::size_t n = hashes.size();
    nbuckets_ = std::max<std::size_t>(1, (n * kSlotsPer10 / 10 + 7) / 8);
    buf_ = HugeBuffer(nbuckets_ * 64);
    slots_ = reinterpret_cast<std::uint64_t*>(buf_.data());
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t h = hashes[i];
      std::uint64_t v = payloads ? (*payloads)[i] : i;
      std::size_t b = Bucket(h);
      while (true) {
        std::uint64_t* s = slots_ + b * 8;
        int k = 0;
        while (k < 8 && s[k] != 0) ++k;
        if (k < 8) {
          s[k] = (std::uint64_t{static_cast<std::uint32_t>(h)} << 32) | (v + 1);
          break;
        }
        if (++b == nbuckets_) b = 0;
      }
    }
  }

  std::size_t Bucket(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(((h >> 32) * nbuckets_) >> 32);
  }
  [[gnu::always_inline]] void Prefetch(std::uint64_t h) const noexcept {
    if (slots_) __builtin_prefetch(slots_ + Bucket(h) * 8, 0, kLocality);
  }
  // The bucket after the home bucket: where a probe goes when ProbeHome is not conclusive.
  [[gnu::always_inline]] void PrefetchOverflow(std::uint64_t h) const noexcept {
    std::size_t b = Bucket(h) + 1;
    if (slots_) __builtin_prefetch(slots_ + (b == nbuckets_ ? 0 : b) * 8, 0, kLocality);
  }
  // Entry number whose fingerprint matches and for which eq(entry) holds, or kNone.
  template <typename Eq>
  std::uint32_t Find(std::uint64_t h, Eq&& eq) const noexcept {
    if (!slots_) return kNone;
    std::size_t b = Bucket(h);
    const std::uint32_t fp = static_cast<std::uint32_t>(h);
    for (std::size_t visited = 0; visited < nbuckets_; ++visited) {
      const std::uint64_t* s = slots_ + b * 8;
      for (int k = 0; k < 8; ++k) {
        std::uint64_t v = s[k];
        if (v == 0) return kNone;
        if (static_cast<std::uint32_t>(v >> 32) == fp) {
          std::uint32_t e = static_cast<std::uint32_t>(v) - 1;
          if (eq(e)) return e;
        }
      }
      if (++b == nbuckets_) b = 0;
    }
    return kNone;
  }
  // First payload in bucket `home + step` whose fingerprint matches (unverified), or kNone.
  // Sets `conclusive` when that bucket decides: a match was found, or it has an empty slot
  // (then no later bucket can hold the key).
  std::uint32_t ProbeBucket(std::uint64_t h, std::size_t step, bool* conclusive) const noexcept {
    *conclusive = true;
    if (!slots_) return kNone;
    std::size_t b = Bucket(h) + step;
    while (b >= nbuckets_) b -= nbuckets_;
    const std::uint64_t* s = slots_ + b * 8;
    const std::uint32_t fp = static_cast<std::uint32_t>(h);
    for (int k = 0; k < 8; ++k) {
      std::uint64_t v = s[k];
      if (v == 0) return kNone;
      if (static_cast<std::uint32_t>(v >> 32) == fp) return static_cast<std::uint32_t>(v) - 1;
    }
    *conclusive = false;
    return kNone;
  }
  std::uint32_t ProbeHome(std::uint64_t h, bool* conclusive) const noexcept {
    return ProbeBucket(h, 0, conclusive);
  }
  std::size_t bytes() const noexcept { return slots_ ? nbuckets_ * 64 : 0; }
  bool empty() const noexcept { return !slots_; }

 private:
  HugeBuffer buf_;
  std::uint64_t* slots_ = nullptr;
  std::size_t nbuckets_ = 0;
};

// A register-blocked Bloom filter: each key sets 4 bits of one 64-bit word, so a query is one
// load and a compare. ~16 bits per key (false positives ~0.5-2 %); a few MB for millions of
// keys, so it stays in cache while the fingerprint table it guards does not.
class BlockedBloom {
 public:
  void Build(const std::vector<std::uint64_t>& hashes) {
    std::size_t words = 1;
    while (words * 64 < hashes.size() * 16) words *= 2;
    words_.assign(words, 0);
    shift_ = 64 - static_cast<int>(__builtin_ctzll(words));
    for (std::uint64_t h : hashes) words_[Word(h)] |= Mask(h);
  }
  bool MayContain(std::uint64_t h) const noexcept {
    if (words_.empty()) return true;
    std::uint64_t m = Mask(h);
    return (words_[Word(h)] & m) == m;
  }
  void MayContainBatch(std::span<const std::uint64_t> h, std::uint8_t* out) const noexcept {
    if (words_.empty()) {
      std::fill(out, out + h.size(), std::uint8_t{1});
      return;
    }
    // The filter is a few MB: in the last-level cache, not L1/L2, so its loads are overlapped.
    constexpr std::size_t kAhead = 8;
    for (std::size_t i = 0; i < h.size() && i < kAhead; ++i)
      __builtin_prefetch(&words_[Word(h[i])]);
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (i + kAhead < h.size()) __builtin_prefetch(&words_[Word(h[i + kAhead])]);
      out[i] = MayContain(h[i]);
    }
  }
  std::size_t bytes() const noexcept { return words_.capacity() * 8; }

 private:
  static std::uint64_t Mix(std::uint64_t h) noexcept { return h * 0x9E3779B97F4A7C15ull; }
  std::size_t Word(std::uint64_t h) const noexcept {
    return shift_ >= 64 ? 0 : static_cast<std::size_t>(Mix(h) >> shift_);
  }
  static std::uint64_t Mask(std::uint64_t h) noexcept {
    std::uint64_t x = Mix(h ^ (h >> 29));
    return (std::uint64_t{1} << (x & 63)) | (std::uint64_t{1} << ((x >> 6) & 63)) |
           (std::uint64_t{1} << ((x >> 12) & 63)) | (std::uint64_t{1} << ((x >> 18) & 63));
  }
  std::vector<std::uint64_t> words_;
  int shift_ = 64;
};

struct U128 {
  std::uint64_t hi = 0, lo = 0;
  friend bool operator<(const U128& a, const U128& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
  friend bool operator<=(const U128& a, const U128& b) { return !(b < a); }
  friend bool operator==(const U128& a, const U128& b) = default;
  U128 Next() const { return lo == ~std::uint64_t{0} ? U128{hi + 1, 0} : U128{hi, lo + 1}; }
  static U128 Max() { return {~std::uint64_t{0}, ~std::uint64_t{0}}; }
};
// The 16 bytes in network order as a number: two loads and two byte swaps (a loop of shifts
// was a fifth of the IPv6 batch lookup's time).
inline U128 U128FromBytes(const std::uint8_t* b) {
  std::uint64_t hi, lo;
  std::memcpy(&hi, b, 8);
  std::memcpy(&lo, b + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
  }
  return {hi, lo};
}
inline U128 U128LastOf(U128 start, int len) {
  if (len >= 128) return start;
  if (len <= 0) return U128::Max();
  if (len >= 64) {
    std::uint64_t host = len == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (128 - len)) - 1);
    return {start.hi, start.lo | host};
  }
  return {start.hi | ((std::uint64_t{1} << (64 - len)) - 1), ~std::uint64_t{0}};
}

// Longest-prefix match over disjoint sorted ranges. Input prefixes (first, last, id) must be
// sorted by (first ascending, last descending) and free of duplicates; Build also returns each
// prefix's enclosing prefix. Lookup: the last range start <= x.
template <typename K>
class RangeTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct In {
    K first, last;
    std::uint32_t id;
  };

  // `next(k)` is k + 1; `max` is the largest key.
  template <typename Next>
  std::vector<std::uint32_t> Build(const std::vector<In>& in, K zero, K max, Next next) {
    starts_.clear();
    vals_.clear();
    std::vector<std::uint32_t> parent(in.size(), kNone);
    auto emit = [&](K s, std::uint32_t v) {
      if (!starts_.empty() && starts_.back() == s) {
        vals_.back() = v;
        if (vals_.size() >= 2 && vals_[vals_.size() - 2] == v) {
          starts_.pop_back();
          vals_.pop_back();
        }
        return;
      }
      if (!vals_.empty() && vals_.back() == v) return;
      starts_.push_back(s);
      vals_.push_back(v);
    };
    emit(zero, kNone);
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < in.size(); ++i) {
      while (!stack.empty() && in[stack.back()].last < in[i].first) {
        K e = in[stack.back()].last;
        stack.pop_back();
        emit(next(e), stack.empty() ? kNone : in[stack.back()].id);
      }
      if (!stack.empty()) parent[i] = in[stack.back()].id;
      emit(in[i].first, in[i].id);
      stack.push_back(i);
    }
    while (!stack.empty()) {
      K e = in[stack.back()].last;
      stack.pop_back();
      if (e == max) break;  // covers the top of the space: nothing after it
      emit(next(e), stack.empty() ? kNone : in[stack.back()].id);
    }
    return parent;
  }

  std::uint32_t Lookup(const K& x, std::size_t lo, std::size_t hi) const noexcept {
    std::size_t base = lo, n = hi - lo + 1;
    const K* s = starts_.data();
    while (n > 1) {
      std::size_t half = n / 2;
      base = (s[base + half] <= x) ? base + half : base;
      n -= half;
    }
    return vals_[base];
  }
  std::uint32_t Lookup(const K& x) const noexcept {
    if (starts_.empty()) return kNone;
    return Lookup(x, 0, starts_.size() - 1);
  }
  const std::vector<K>& starts() const noexcept { return starts_; }
  std::size_t bytes() const noexcept {
    return starts_.capacity() * sizeof(K) + vals_.capacity() * 4;
  }
  std::size_t size() const noexcept { return starts_.size(); }

 private:
  std::vector<K> starts_;
  std::vector<std::uint32_t> vals_;
};

// out[i] = table.Lookup(xs[i]) for a range table with a direct index (V4Table, V6Table), as a
// three-stage software pipeline: the slot is prefetched 2 kDist lookups ahead and its ranges
// kDist ahead, so neither the slot (4 MiB of them for a million prefixes: not in L2) nor the
// ranges are a miss the lookup waits on. A single prefetch stage had to load the slot to know
// which ranges to prefetch, and stalled on it.
template <typename Table, typename Key>
void PipelinedLookup(const Table& table, const Key* xs, std::size_t n,
                     std::uint32_t* out) noexcept {
  if (table.empty()) {
    std::fill(out, out + n, Table::kNone);
    return;
  }
  constexpr std::size_t kDist = 16;
  for (std::size_t step = 0; step < n + 2 * kDist; ++step) {
    if (step < n) table.PrefetchSlot(xs[step]);
    if (step >= kDist && step - kDist < n) table.Prefetch(xs[step - kDist]);
    if (step >= 2 * kDist) out[step - 2 * kDist] = table.Lookup(xs[step - 2 * kDist]);
  }
}

// IPv4 ranges plus a direct index on the top `bits` bits: top_[b] is the last range starting at
// or before b << (32 - bits), so a lookup searches only [top_[b], top_[b + 1]]. Starts and values
// are interleaved (8 bytes per range) so the value comes in the cache line of the last compare.
// `bits` grows with the number of ranges (16 up to 22, about two ranges per slot), so a lookup
// reads one slot and usually one cache line of ranges. With 16 bits fixed, a million random
// prefixes left about 18 ranges (three or four cache lines) per slot, and the lookups were bound
// by the lines they read, not by the search.
class V4Table {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  using In = RangeTable<std::uint32_t>::In;
  std::vector<std::uint32_t> Build(const std::vector<In>& in) {
    RangeTable<std::uint32_t> ranges;
    auto parent = ranges.Build(in, 0u, 0xffffffffu, [](std::uint32_t k) { return k + 1; });
    const auto& s = ranges.starts();
    pairs_buf_ = HugeBuffer(s.size() * sizeof(Pair));
    pairs_ = reinterpret_cast<Pair*>(pairs_buf_.data());
    for (std::size_t i = 0; i < s.size(); ++i) pairs_[i] = {s[i], ranges.Lookup(s[i], i, i)};
    int bits = 16;
    while (bits < 22 && (std::size_t{1} << bits) * 2 < s.size()) ++bits;
    shift_ = 32 - bits;
    const std::uint64_t slots = std::uint64_t{1} << bits;
    top_buf_ = HugeBuffer((slots + 1) * 4);
    top_ = reinterpret_cast<std::uint32_t*>(top_buf_.data());
    std::size_t i = 0;
    for (std::uint64_t b = 0; b <= slots; ++b) {
      std::uint64_t key = b << shift_;
      while (i + 1 < s.size() && s[i + 1] <= key) ++i;
      top_[b] = static_cast<std::uint32_t>(b == slots ? s.size() - 1 : i);
    }
    return parent;
  }
  // Prefetches the ranges a lookup of x will search (up to 4 cache lines). It reads the slot,
  // so the slot should be in cache already (PrefetchSlot a few lookups earlier).
  [[gnu::always_inline]] void Prefetch(std::uint32_t x) const noexcept {
    if (!top_) return;
    const char* a = reinterpret_cast<const char*>(pairs_ + top_[x >> shift_]);
    const char* b = reinterpret_cast<const char*>(pairs_ + top_[(x >> shift_) + 1]);
    for (int k = 0; k < 4 && a <= b; ++k, a += 64) __builtin_prefetch(a);
  }
  [[gnu::always_inline]] void PrefetchSlot(std::uint32_t x) const noexcept {
    if (top_) __builtin_prefetch(top_ + (x >> shift_));
  }
  std::uint32_t Lookup(std::uint32_t x) const noexcept {
    if (!top_) return kNone;
    std::size_t base = top_[x >> shift_], n = top_[(x >> shift_) + 1] - base + 1;
    const Pair* p = pairs_;
    while (n > 1) {
      std::size_t half = n / 2;
      base = (p[base + half].start <= x) ? base + half : base;
      n -= half;
    }
    return p[base].val;
  }
  // out[i] = Lookup(xs[i]), pipelined (PipelinedLookup).
  void LookupBatch(const std::uint32_t* xs, std::size_t n, std::uint32_t* out) const noexcept {
    PipelinedLookup(*this, xs, n, out);
  }
  std::size_t bytes() const noexcept { return pairs_buf_.size() + top_buf_.size(); }
  bool empty() const noexcept { return !top_; }

 private:
  struct Pair {
    std::uint32_t start, val;
  };
  // Both in 2 MiB pages when large: a lookup lands anywhere in them, and a TLB miss on this
  // class of VM is a nested page walk.
  HugeBuffer pairs_buf_, top_buf_;
  Pair* pairs_ = nullptr;
  std::uint32_t* top_ = nullptr;
  int shift_ = 16;
};

// IPv6 ranges with the same kind of direct index as V4Table, on the top 16 to 22 bits of the
// address. Without it a lookup was a binary search over all ranges: about 21 dependent steps
// for a million prefixes, the first dozen of them cache misses (1.2 M lookups/s against 21 M
// for IPv4). Real prefixes crowd into 2000::/3, an eighth of the slots, so there a slot holds
// about eight times as many ranges: still a search of a few steps instead of twenty.
//
// When no prefix is longer than /64 (allocations, sites and hosts' networks: nearly always),
// every range starts on a /64 boundary, so a start is its top 64 bits and comparing those
// decides: ranges are then 16 bytes (four to a cache line) instead of 24. A longer prefix
// anywhere switches the whole table to full 128-bit starts.
class V6Table {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  using In = RangeTable<U128>::In;
  std::vector<std::uint32_t> Build(const std::vector<In>& in) {
    RangeTable<U128> flat;
    auto parent = flat.Build(in, U128{}, U128::Max(), [](const U128& k) { return k.Next(); });
    const auto& s = flat.starts();
    wide_ = std::any_of(s.begin(), s.end(), [](const U128& k) { return k.lo != 0; });
    if (wide_) {
      buf_ = HugeBuffer(s.size() * sizeof(Wide));
      wide_ranges_ = reinterpret_cast<Wide*>(buf_.data());
      for (std::size_t i = 0; i < s.size(); ++i) wide_ranges_[i] = {s[i], flat.Lookup(s[i], i, i)};
    } else {
      buf_ = HugeBuffer(s.size() * sizeof(Narrow));
      narrow_ranges_ = reinterpret_cast<Narrow*>(buf_.data());
      for (std::size_t i = 0; i < s.size(); ++i)
        narrow_ranges_[i] = {s[i].hi, flat.Lookup(s[i], i, i)};
    }
    int bits = 16;
    while (bits < 22 && (std::size_t{1} << bits) * 2 < s.size()) ++bits;
    shift_ = 64 - bits;
    const std::uint64_t slots = std::uint64_t{1} << bits;
    top_buf_ = HugeBuffer((slots + 1) * 4);
    top_ = reinterpret_cast<std::uint32_t*>(top_buf_.data());
    top_[slots] = static_cast<std::uint32_t>(s.size() - 1);
    std::size_t i = 0;
    for (std::uint64_t b = 0; b < slots; ++b) {
      const U128 key{b << shift_, 0};
      while (i + 1 < s.size() && s[i + 1] <= key) ++i;
      top_[b] = static_cast<std::uint32_t>(i);
    }
    return parent;
  }
  std::uint32_t Lookup(const U128& x) const noexcept {
    if (!top_) return kNone;
    std::size_t base = top_[x.hi >> shift_], n = top_[(x.hi >> shift_) + 1] - base + 1;
    if (!wide_) {
      const Narrow* r = narrow_ranges_;
      while (n > 1) {
        std::size_t half = n / 2;
        base = (r[base + half].start <= x.hi) ? base + half : base;
        n -= half;
      }
      return r[base].val;
    }
    const Wide* r = wide_ranges_;
    while (n > 1) {
      std::size_t half = n / 2;
      base = (r[base + half].start <= x) ? base + half : base;
      n -= half;
    }
    return r[base].val;
  }
  [[gnu::always_inline]] void PrefetchSlot(const U128& x) const noexcept {
    if (top_) __builtin_prefetch(top_ + (x.hi >> shift_));
  }
  // The first two cache lines of the ranges a lookup of x searches (reads the slot).
  [[gnu::always_inline]] void Prefetch(const U128& x) const noexcept {
    if (!top_) return;
    const char* a =
        buf_.data() + std::size_t{top_[x.hi >> shift_]} * (wide_ ? sizeof(Wide) : sizeof(Narrow));
    __builtin_prefetch(a);
    __builtin_prefetch(a + 64);
  }
  // out[i] = Lookup(xs[i]), pipelined (PipelinedLookup).
  void LookupBatch(const U128* xs, std::size_t n, std::uint32_t* out) const noexcept {
    PipelinedLookup(*this, xs, n, out);
  }
  std::size_t bytes() const noexcept { return buf_.size() + top_buf_.size(); }
  bool empty() const noexcept { return !top_; }

 private:
  struct Narrow {  // a range starting on a /64 boundary, and its value: 16 bytes
    std::uint64_t start;
    std::uint32_t val;
  };
  struct Wide {  // any range: 24 bytes
    U128 start;
    std::uint32_t val;
  };
  HugeBuffer buf_;  // the ranges, in 2 MiB pages when large (a lookup lands anywhere in them)
  Narrow* narrow_ranges_ = nullptr;
  Wide* wide_ranges_ = nullptr;
  bool wide_ = false;
  HugeBuffer top_buf_;
  std::uint32_t* top_ = nullptr;  // top_[b]: the last range starting at or before b << shift_
  int shift_ = 48;
};

}  // namespace entente::detect::internal
