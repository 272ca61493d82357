#include "entente/detect/indicator_index.h"

#define XXH_INLINE_ALL  // same function as the library's XXH3, inlined into the probe loops
#include <xxhash.h>

#include <algorithm>
#include <unordered_map>

#include "tables.h"

namespace entente::detect {

using internal::FingerprintTable;
using internal::U128;
using internal::V4Table;
using internal::V6Table;

namespace {
constexpr std::size_t kMaxKeyBytes = 8192;

// Every exact key sits in the arena as a record: an 8-byte header (entry number, key length,
// type) and then the key bytes. The exact table's slots hold record offsets, so verifying a
// candidate reads one place (usually one cache line) and never the entry array.
constexpr std::size_t kRecordHeader = 8;

inline bool MatchRecord(const char* arena, std::uint32_t off, ObservableType type,
                        std::string_view k, std::uint32_t* entry) noexcept {
  const char* r = arena + off;
  std::uint16_t len;
  std::memcpy(&len, r + 4, 2);
  if (len != k.size() || static_cast<std::uint8_t>(r[6]) != static_cast<std::uint8_t>(type))
    return false;
  if (std::memcmp(r + kRecordHeader, k.data(), k.size()) != 0) return false;
  std::memcpy(entry, r, 4);
  return true;
}
}  // namespace

std::string_view MatchKindName(MatchKind kind) noexcept {
  switch (kind) {
    case MatchKind::kExact:
      return "exact";
    case MatchKind::kParent:
      return "parent";
    case MatchKind::kSuffix:
      return "suffix";
    case MatchKind::kCidr:
      return "cidr";
  }
  return "exact";
}

struct Index::Tables {
  internal::HugeBuffer arena;
  internal::BlockedBloom bloom;
  FingerprintTable exact;
  FingerprintTable suffix;
  std::vector<Entry> suffix_entries;
  V4Table v4;
  V6Table v6;
  std::vector<Prefix> v4_prefixes, v6_prefixes;
};

Index::Index() : t_(std::make_unique<Tables>()) {}
Index::~Index() = default;

std::uint64_t Index::Hash(ObservableType type, std::string_view key) noexcept {
  if (type == ObservableType::kDomainSuffix) type = ObservableType::kDomain;
  return XXH3_64bits_withSeed(key.data(), key.size(), static_cast<std::uint64_t>(type) + 1);
}

void Index::MayContainBatch(std::span<const std::uint64_t> hashes,
                            std::uint8_t* out) const noexcept {
  t_->bloom.MayContainBatch(hashes, out);
}

void Index::Prefetch(std::uint64_t hash) const noexcept { t_->exact.Prefetch(hash); }

std::uint32_t Index::Find(std::uint64_t hash, ObservableType type,
                          std::string_view k) const noexcept {
  std::uint32_t e = kNone;
  t_->exact.Find(hash, [&](std::uint32_t off) { return MatchRecord(arena_, off, type, k, &e); });
  return e;
}

void Index::FindBatch(std::span<const Probe> probes, std::uint32_t* out) const noexcept {
  // A software pipeline over the probes, kDist steps per stage, so that about 3 kDist
  // independent misses are in flight and no stage waits on memory:
  //   step i:             prefetch the home bucket of probe i;
  //   step i + kDist:     read it; prefetch the key record of a fingerprint match (the slot
  //                       holds the record's offset), or the next bucket if the home is full;
  //   step i + 2 kDist:   verify the record, or read the next bucket and prefetch its record;
  //   step i + 3 kDist:   verify that record (or, rarely, run the full probe).
  // A probe costs one cache miss when absent, two (bucket, record) when present.
  constexpr std::size_t kDist = 8;
  constexpr std::size_t kRing = 64;  // a power of two >= 3 kDist + 1
  static_assert((kRing & (kRing - 1)) == 0);
  enum : std::uint8_t { kDone, kVerify, kFull };
  std::uint32_t cand[kRing];
  std::uint8_t state[kRing];
  const std::size_t n = probes.size();
  const Probe* p = probes.data();
  const FingerprintTable& table = t_->exact;
  if (table.empty()) {
    std::fill(out, out + n, kNone);
    return;
  }
  const char* arena = arena_;
  auto prefetch_record = [&](std::uint32_t c, std::size_t key_size) {
    __builtin_prefetch(arena + c, 0, 2);
    __builtin_prefetch(arena + c + kRecordHeader + key_size - 1, 0, 2);
  };
  // Reads bucket `home + step` of probe i: sets its state and candidate.
  auto probe = [&](std::size_t i, std::size_t step) {
    bool conclusive;
    std::uint32_t c = table.ProbeBucket(p[i].hash, step, &conclusive);
    cand[i % kRing] = c;
    if (c != kNone) {
      state[i % kRing] = kVerify;
      prefetch_record(c, p[i].key.size());
    } else if (conclusive) {
      state[i % kRing] = kDone;
      out[i] = kNone;
    } else {
      state[i % kRing] = kFull;
    }
  };
  // Verifies probe i's candidate; false when the full probe must decide.
  auto verify = [&](std::size_t i) {
    std::uint32_t e;
    if (!MatchRecord(arena, cand[i % kRing], p[i].type, p[i].key, &e)) return false;
    out[i] = e;
    state[i % kRing] = kDone;
    return true;
  };
  for (std::size_t step = 0; step < n + 3 * kDist; ++step) {
    if (step < n) table.Prefetch(p[step].hash);
    if (step >= kDist && step - kDist < n) {
      const std::size_t i = step - kDist;
      probe(i, 0);
      if (state[i % kRing] == kFull) table.PrefetchOverflow(p[i].hash);
    }
    if (step >= 2 * kDist && step - 2 * kDist < n) {
      const std::size_t i = step - 2 * kDist;
      if (state[i % kRing] == kVerify) {
        // A fingerprint collision (about 1 in 2^29 probes): the full probe decides now.
        if (!verify(i)) {
          out[i] = Find(p[i].hash, p[i].type, p[i].key);
          state[i % kRing] = kDone;
        }
      } else if (state[i % kRing] == kFull) {
        probe(i, 1);
      }
    }
    if (step >= 3 * kDist) {
      const std::size_t i = step - 3 * kDist;
      const std::uint8_t st = state[i % kRing];
      if (st == kFull || (st == kVerify && !verify(i)))
        out[i] = Find(p[i].hash, p[i].type, p[i].key);
    }
  }
}

std::uint32_t Index::Lookup(ObservableType type, std::string_view value) const {
  auto key = CanonicalKey(type, value);
  if (!key.ok()) return kNone;
  return Find(Hash(type, *key), type, *key);
}

std::uint32_t Index::FindSuffix(std::uint64_t hash, std::string_view k) const noexcept {
  return t_->suffix.Find(hash, [&](std::uint32_t e) {
    const Entry& en = t_->suffix_entries[e];
    return en.key_len == k.size() && std::memcmp(arena_ + en.key_off, k.data(), k.size()) == 0;
  });
}
bool Index::IsCandidateTld(std::string_view label) const noexcept {
  if (psl_.IsKnownTld(label)) return true;
  if (own_tlds_.empty() || label.empty()) return false;
  std::uint64_t k = PublicSuffixList::PackLabel(label);
  std::size_t mask = own_tlds_.size() - 1;
  for (std::size_t i = (k >> 20) & mask;; i = (i + 1) & mask) {
    if (own_tlds_[i] == k) return true;
    if (own_tlds_[i] == 0) return false;
  }
}

bool Index::has_suffix_rules() const noexcept { return !t_->suffix.empty(); }
const Index::Entry& Index::suffix_entry(std::uint32_t e) const noexcept {
  return t_->suffix_entries[e];
}
std::string_view Index::suffix_key(const Entry& e) const noexcept { return key(e); }
std::span<const MetaId> Index::suffix_postings(const Entry& e) const noexcept {
  return postings(e);
}

std::uint32_t Index::LookupV4(std::uint32_t a) const noexcept { return t_->v4.Lookup(a); }
void Index::LookupV4Batch(std::span<const std::uint32_t> addresses,
                          std::uint32_t* out) const noexcept {
  t_->v4.LookupBatch(addresses.data(), addresses.size(), out);
}
std::uint32_t Index::LookupV6(const Ipv6Bytes& a) const noexcept {
  return t_->v6.Lookup(internal::U128FromBytes(a.data()));
}
void Index::LookupV6Batch(std::span<const Ipv6Bytes> addresses, std::uint32_t* out) const noexcept {
  if (t_->v6.empty()) {
    std::fill(out, out + addresses.size(), kNone);
    return;
  }
  // In chunks: the pipeline wants the keys as integers, and a chunk of them stays in L1.
  constexpr std::size_t kChunk = 256;
  U128 keys[kChunk];
  for (std::size_t at = 0; at < addresses.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, addresses.size() - at);
    for (std::size_t i = 0; i < n; ++i) keys[i] = internal::U128FromBytes(addresses[at + i].data());
    t_->v6.LookupBatch(keys, n, out + at);
  }
}
const Index::Prefix& Index::v4_prefix(std::uint32_t p) const noexcept { return t_->v4_prefixes[p]; }
const Index::Prefix& Index::v6_prefix(std::uint32_t p) const noexcept { return t_->v6_prefixes[p]; }
bool Index::has_v4_prefixes() const noexcept { return !t_->v4.empty(); }
bool Index::has_v6_prefixes() const noexcept { return !t_->v6.empty(); }

// ---------------------------------------------------------------------------------------------

struct IndexBuilder::Impl {
  struct Rec {
    std::uint64_t hash;
    std::uint32_t key_off;
    std::uint16_t key_len;
    ObservableType type;
    MetaId meta;
  };
  struct PRec {
    Cidr cidr;
    MetaId meta;
  };
  std::string keys;
  std::vector<Rec> recs, suffix_recs;
  std::vector<PRec> v4, v6;
  std::vector<IndicatorMeta> metas;
  std::unordered_map<std::string, MetaId> meta_ids;

  Status AddKey(ObservableType type, std::string_view key, MetaId meta) {
    if (meta >= metas.size())
      return Status::InvalidArgument("unknown indicator record id " + std::to_string(meta));
    if (key.size() > kMaxKeyBytes || key.empty())
      return Status::InvalidArgument("value of " + std::to_string(key.size()) +
                                     " bytes (limit 1.." + std::to_string(kMaxKeyBytes) + ")");
    if (keys.size() + key.size() > 0xffffffffu)
      return Status::LimitExceeded("index key arena over 4 GiB");
    Rec r{Index::Hash(type, key), static_cast<std::uint32_t>(keys.size()),
          static_cast<std::uint16_t>(key.size()), type, meta};
    keys.append(key);
    (type == ObservableType::kDomainSuffix ? suffix_recs : recs).push_back(r);
    return Status::Ok();
  }
};

IndexBuilder::IndexBuilder() : impl_(std::make_unique<Impl>()) {}
IndexBuilder::~IndexBuilder() = default;
IndexBuilder::IndexBuilder(IndexBuilder&&) noexcept = default;
IndexBuilder& IndexBuilder::operator=(IndexBuilder&&) noexcept = default;

MetaId IndexBuilder::AddMeta(const IndicatorMeta& m) {
  std::string k = m.ref;
  k.push_back('\0');
  k.append(reinterpret_cast<const char*>(&m.valid_from_ms), 8);
  k.append(reinterpret_cast<const char*>(&m.valid_until_ms), 8);
  k.push_back(m.revoked ? 1 : 0);
  k.append(std::to_string(m.confidence));
  k.push_back('\0');
  k.append(m.tlp);
  auto [it, inserted] =
      impl_->meta_ids.emplace(std::move(k), static_cast<MetaId>(impl_->metas.size()));
  if (inserted) impl_->metas.push_back(m);
  return it->second;
}

Status IndexBuilder::Add(ObservableType type, std::string_view value, MetaId meta) {
  if ((type == ObservableType::kIpv4 || type == ObservableType::kIpv6) &&
      value.find('/') != std::string_view::npos)
    return AddCidr(value, meta);
  ENTENTE_ASSIGN_OR_RETURN(std::string key, CanonicalKey(type, value));
  return impl_->AddKey(type, key, meta);
}

Status IndexBuilder::AddCidr(std::string_view text, MetaId meta) {
  if (meta >= impl_->metas.size()) return Status::InvalidArgument("unknown indicator record id");
  ENTENTE_ASSIGN_OR_RETURN(Cidr c, ParseCidr(text, true));
  (c.v6 ? impl_->v6 : impl_->v4).push_back({c, meta});
  return Status::Ok();
}

Status IndexBuilder::AddOther(std::string_view scope, std::string_view value, MetaId meta) {
  std::string key(scope);
  key.push_back('\0');
  key.append(value);
  return impl_->AddKey(ObservableType::kOther, key, meta);
}

Status IndexBuilder::AddInferred(std::string_view value, MetaId meta) {
  InferredValue t = InferType(value);
  if (t.type == ObservableType::kOther)
    return Status::InvalidArgument("cannot tell the type of '" + std::string(value.substr(0, 200)) +
                                   "'");
  if (t.is_cidr) return AddCidr(value, meta);
  return Add(t.type, value, meta);
}

std::size_t IndexBuilder::size() const noexcept {
  return impl_->recs.size() + impl_->suffix_recs.size() + impl_->v4.size() + impl_->v6.size();
}

namespace {

// Sorts records so equal (type, key) are adjacent, then emits one entry per distinct key with
// its sorted, de-duplicated postings.
template <typename Rec>
void GroupRecords(std::vector<Rec>& recs, const std::string& keys, std::string& arena,
                  std::vector<MetaId>& postings, std::vector<Index::Entry>& entries,
                  std::vector<std::uint64_t>& hashes, std::vector<std::uint32_t>& record_offsets) {
  auto key_of = [&](const Rec& r) { return std::string_view(keys.data() + r.key_off, r.key_len); };
  std::sort(recs.begin(), recs.end(), [&](const Rec& a, const Rec& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    if (a.type != b.type) return a.type < b.type;
    int c = key_of(a).compare(key_of(b));
    if (c != 0) return c < 0;
    return a.meta < b.meta;
  });
  entries.reserve(entries.size() + recs.size());
  for (std::size_t i = 0; i < recs.size();) {
    std::size_t j = i + 1;
    while (j < recs.size() && recs[j].hash == recs[i].hash && recs[j].type == recs[i].type &&
           key_of(recs[j]) == key_of(recs[i]))
      ++j;
    Index::Entry e{};
    record_offsets.push_back(static_cast<std::uint32_t>(arena.size()));
    char header[kRecordHeader] = {};
    const auto entry_no = static_cast<std::uint32_t>(entries.size());
    std::memcpy(header, &entry_no, 4);
    std::memcpy(header + 4, &recs[i].key_len, 2);
    header[6] = static_cast<char>(recs[i].type);
    arena.append(header, kRecordHeader);
    e.key_off = static_cast<std::uint32_t>(arena.size());
    e.key_len = recs[i].key_len;
    e.type = recs[i].type;
    arena.append(key_of(recs[i]));
    e.post_off = static_cast<std::uint32_t>(postings.size());
    for (std::size_t k = i; k < j; ++k)
      if (k == i || recs[k].meta != recs[k - 1].meta) postings.push_back(recs[k].meta);
    e.post_len = static_cast<std::uint32_t>(postings.size() - e.post_off);
    entries.push_back(e);
    hashes.push_back(recs[i].hash);
    i = j;
  }
}

template <typename K, typename Table, typename PRec, typename KeyOf, typename LastOf>
void BuildPrefixes(std::vector<PRec>& in, Table& table, std::vector<Index::Prefix>& out,
                   std::vector<MetaId>& postings, KeyOf key_of, LastOf last_of) {
  std::sort(in.begin(), in.end(), [&](const auto& a, const auto& b) {
    K ka = key_of(a.cidr), kb = key_of(b.cidr);
    if (!(ka == kb)) return ka < kb;
    if (a.cidr.length != b.cidr.length) return a.cidr.length < b.cidr.length;
    return a.meta < b.meta;
  });
  std::vector<typename Table::In> ranges;
  for (std::size_t i = 0; i < in.size();) {
    std::size_t j = i + 1;
    while (j < in.size() && key_of(in[j].cidr) == key_of(in[i].cidr) &&
           in[j].cidr.length == in[i].cidr.length)
      ++j;
    Index::Prefix p{};
    p.cidr = in[i].cidr;
    p.parent = Index::kNone;
    p.post_off = static_cast<std::uint32_t>(postings.size());
    for (std::size_t k = i; k < j; ++k)
      if (k == i || in[k].meta != in[k - 1].meta) postings.push_back(in[k].meta);
    p.post_len = static_cast<std::uint32_t>(postings.size() - p.post_off);
    K first = key_of(p.cidr);
    ranges.push_back(
        {first, last_of(first, p.cidr.length), static_cast<std::uint32_t>(out.size())});
    out.push_back(p);
    i = j;
  }
  if (ranges.empty()) return;
  auto parent = table.Build(ranges);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].parent = parent[i];
}

}  // namespace

Result<std::shared_ptr<const Index>> IndexBuilder::Build(const PublicSuffixList* psl,
                                                         std::vector<std::string>* warnings) {
  std::shared_ptr<Index> index(new Index());
  Impl& b = *impl_;
  if (b.recs.size() + b.suffix_recs.size() >= 0xfffffff0u)
    return Status::LimitExceeded("over 4 G index values");
  if (psl) index->psl_ = *psl;
  index->metas_ = std::move(b.metas);
  std::string arena;
  arena.reserve(b.keys.size() + (b.recs.size() + b.suffix_recs.size()) * kRecordHeader);
  std::vector<std::uint64_t> hashes;
  std::vector<std::uint32_t> offsets;
  GroupRecords(b.recs, b.keys, arena, index->postings_, index->entries_, hashes, offsets);
  index->entries_.shrink_to_fit();
  std::vector<std::uint64_t> suffix_hashes;
  std::vector<std::uint32_t> suffix_offsets;
  GroupRecords(b.suffix_recs, b.keys, arena, index->postings_, index->t_->suffix_entries,
               suffix_hashes, suffix_offsets);
  // Slots store offset + 1 in 32 bits.
  if (arena.size() >= 0xfffffff0u) return Status::LimitExceeded("index key arena over 4 GiB");
  index->t_->arena = internal::HugeBuffer(arena.size());
  if (!arena.empty()) std::memcpy(index->t_->arena.data(), arena.data(), arena.size());
  index->arena_ = index->t_->arena.data();
  arena = std::string();
  index->t_->exact.Build(hashes, &offsets);
  index->t_->bloom.Build(hashes);
  if (!suffix_hashes.empty()) index->t_->suffix.Build(suffix_hashes);

  // The last labels of domain indicators and suffix rules.
  {
    std::vector<std::uint64_t> packed;
    auto add = [&](const Index::Entry& e) {
      std::string_view k = index->key(e);
      auto dot = k.rfind('.');
      packed.push_back(
          PublicSuffixList::PackLabel(dot == std::string_view::npos ? k : k.substr(dot + 1)));
    };
    for (const auto& e : index->entries_)
      if (e.type == ObservableType::kDomain) add(e);
    for (const auto& e : index->t_->suffix_entries) add(e);
    std::sort(packed.begin(), packed.end());
    packed.erase(std::unique(packed.begin(), packed.end()), packed.end());
    if (!packed.empty()) {
      std::size_t cap = 16;
      while (cap < packed.size() * 4) cap *= 2;
      index->own_tlds_.assign(cap, 0);
      for (std::uint64_t k : packed) {
        std::size_t i = (k >> 20) & (cap - 1);
        while (index->own_tlds_[i] != 0) i = (i + 1) & (cap - 1);
        index->own_tlds_[i] = k;
      }
    }
  }

  IndexStats& st = index->stats_;
  for (const auto& e : index->entries_) {
    st.per_type[static_cast<int>(e.type)]++;
    if (psl && e.type == ObservableType::kDomain && psl->IsPublicSuffix(index->key(e)))
      st.public_suffix_values++;
  }
  st.per_type[static_cast<int>(ObservableType::kDomainSuffix)] = index->t_->suffix_entries.size();
  if (st.public_suffix_values > 0 && warnings)
    warnings->push_back(
        std::to_string(st.public_suffix_values) +
        " domain indicators are public suffixes: they match only themselves, never as a parent");

  auto v4_key = [](const Cidr& c) { return c.v4; };
  auto v4_last = [](std::uint32_t first, int len) {
    return len == 0 ? 0xffffffffu : first | (len == 32 ? 0u : (0xffffffffu >> len));
  };
  BuildPrefixes<std::uint32_t>(b.v4, index->t_->v4, index->t_->v4_prefixes, index->postings_,
                               v4_key, v4_last);
  auto v6_key = [](const Cidr& c) { return internal::U128FromBytes(c.v6_bytes.data()); };
  BuildPrefixes<U128>(b.v6, index->t_->v6, index->t_->v6_prefixes, index->postings_, v6_key,
                      internal::U128LastOf);
  for (const auto* list : {&index->t_->v4_prefixes, &index->t_->v6_prefixes}) {
    for (const auto& p : *list) {
      if (p.cidr.length == 0) {
        st.catch_all_prefixes++;
        if (warnings)
          warnings->push_back("indicator prefix " + FormatCidr(p.cidr) +
                              " matches every address: its hits are capped per indicator");
      }
    }
  }

  st.exact_values = index->entries_.size();
  st.suffix_rules = index->t_->suffix_entries.size();
  st.exact_postings = 0;
  for (const auto& e : index->entries_) st.exact_postings += e.post_len;
  st.v4_prefixes = index->t_->v4_prefixes.size();
  st.v6_prefixes = index->t_->v6_prefixes.size();
  st.metas = index->metas_.size();
  st.exact_bytes = index->t_->exact.bytes() + index->t_->bloom.bytes() +
                   index->entries_.capacity() * sizeof(Index::Entry) + index->t_->arena.size() +
                   st.exact_postings * sizeof(MetaId);
  st.cidr_bytes = index->t_->v4.bytes() + index->t_->v6.bytes() +
                  (index->t_->v4_prefixes.capacity() + index->t_->v6_prefixes.capacity()) *
                      sizeof(Index::Prefix);
  std::size_t meta_bytes = 0;
  for (const auto& m : index->metas_)
    meta_bytes += sizeof(IndicatorMeta) + m.ref.capacity() + m.tlp.capacity();
  st.total_bytes = st.exact_bytes + st.cidr_bytes + index->postings_.capacity() * sizeof(MetaId) -
                   st.exact_postings * sizeof(MetaId) + meta_bytes + index->t_->suffix.bytes();

  *impl_ = Impl{};
  return std::shared_ptr<const Index>(std::move(index));
}

}  // namespace entente::detect
