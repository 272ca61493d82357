#include "entente/detect/indicator_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include "entente/detect/indicator_list.h"
#include "test_util.h"

namespace entente::detect {
namespace {

using testing::SystemPsl;

IndicatorMeta Meta(std::string ref) {
  IndicatorMeta m;
  m.ref = std::move(ref);
  return m;
}

std::vector<std::string> Refs(const Index& idx, std::span<const MetaId> posts) {
  std::vector<std::string> out;
  for (MetaId m : posts) out.push_back(idx.meta(m).ref);
  return out;
}

TEST(Index, ExactValuesOfEveryTypeAndPostingLists) {
  IndexBuilder b;
  MetaId a = b.AddMeta(Meta("indicator--a")), c = b.AddMeta(Meta("indicator--c"));
  ASSERT_TRUE(b.Add(ObservableType::kIpv4, "198.51.100.7", a).ok());
  ASSERT_TRUE(b.Add(ObservableType::kIpv6, "2001:DB8:0:0::1", a).ok());
  ASSERT_TRUE(b.Add(ObservableType::kDomain, "Evil.Example.", a).ok());
  ASSERT_TRUE(
      b.Add(ObservableType::kDomain, "evil.example", c).ok());  // second indicator, same value
  ASSERT_TRUE(b.Add(ObservableType::kUrl, "http://evil.example:80/gate.php", a).ok());
  ASSERT_TRUE(b.Add(ObservableType::kSha256, std::string(64, 'a'), a).ok());
  ASSERT_TRUE(b.AddOther("mutex:name", "Global\\x", c).ok());
  EXPECT_FALSE(b.Add(ObservableType::kIpv4, "1.2.3", a).ok());
  auto built = b.Build(nullptr);
  ASSERT_TRUE(built.ok());
  const Index& idx = **built;
  EXPECT_NE(idx.Lookup(ObservableType::kIpv4, "198.51.100.7"), Index::kNone);
  EXPECT_EQ(idx.Lookup(ObservableType::kIpv4, "198.51.100.8"), Index::kNone);
  EXPECT_NE(idx.Lookup(ObservableType::kIpv6, "2001:db8::1"), Index::kNone);
  EXPECT_NE(idx.Lookup(ObservableType::kUrl, "https://EVIL.example:443/gate.php"), Index::kNone);
  EXPECT_NE(idx.Lookup(ObservableType::kSha256, std::string(64, 'A')), Index::kNone);
  // Same bytes, other type: no match.
  EXPECT_EQ(idx.Lookup(ObservableType::kMd5, std::string(32, 'a')), Index::kNone);
  std::uint32_t e = idx.Lookup(ObservableType::kDomain, "EVIL.EXAMPLE");
  ASSERT_NE(e, Index::kNone);
  EXPECT_EQ(Refs(idx, idx.postings(idx.entry(e))),
            (std::vector<std::string>{"indicator--a", "indicator--c"}));
  std::string other = "mutex:name";
  other.push_back('\0');
  other += "Global\\x";
  EXPECT_NE(idx.Find(Index::Hash(ObservableType::kOther, other), ObservableType::kOther, other),
            Index::kNone);
  EXPECT_EQ(idx.stats().exact_values, 6u);
  EXPECT_EQ(idx.stats().exact_postings, 7u);
}

TEST(Index, MetadataIsInternedAndCarried) {
  IndexBuilder b;
  IndicatorMeta m = Meta("indicator--x");
  m.confidence = 80;
  m.tlp = "amber";
  m.valid_from_ms = 1000;
  m.valid_until_ms = 2000;
  MetaId id1 = b.AddMeta(m), id2 = b.AddMeta(m);
  EXPECT_EQ(id1, id2);
  m.revoked = true;
  EXPECT_NE(b.AddMeta(m), id1);
  ASSERT_TRUE(b.Add(ObservableType::kDomain, "x.example", id1).ok());
  auto idx = *b.Build(nullptr);
  const auto& meta =
      idx->meta(idx->postings(idx->entry(idx->Lookup(ObservableType::kDomain, "x.example")))[0]);
  EXPECT_EQ(meta.confidence, 80);
  EXPECT_EQ(meta.tlp, "amber");
  EXPECT_TRUE(meta.ValidAt(1500));
  EXPECT_FALSE(meta.ValidAt(2000));
  EXPECT_FALSE(meta.ValidAt(999));
}

TEST(Index, ParentDomainsStopAtPublicSuffixes) {
  if (!SystemPsl()) GTEST_SKIP() << "public suffix list missing: apt-get install publicsuffix";
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("t"));
  for (const char* d : {"evil.example.com", "org.ru", "co.uk"})
    ASSERT_TRUE(b.Add(ObservableType::kDomain, d, m).ok());
  ASSERT_TRUE(b.Add(ObservableType::kDomainSuffix, ".xyz", m).ok());
  std::vector<std::string> warnings;
  auto idx = *b.Build(SystemPsl(), &warnings);
  EXPECT_EQ(idx->stats().public_suffix_values, 2u);
  ASSERT_FALSE(warnings.empty());
  auto matches = [&](const char* name) {
    std::vector<std::string> out;
    idx->MatchDomain(name, [&](MatchKind k, std::string_view key, auto) {
      out.push_back(std::string(MatchKindName(k)) + ":" + std::string(key));
    });
    return out;
  };
  EXPECT_EQ(matches("a.b.evil.example.com"), (std::vector<std::string>{"parent:evil.example.com"}));
  EXPECT_EQ(matches("evil.example.com"), (std::vector<std::string>{"exact:evil.example.com"}));
  EXPECT_TRUE(matches("notevil.example.com").empty());
  EXPECT_TRUE(matches("www.linux.org.ru").empty());  // org.ru is a public suffix
  EXPECT_TRUE(matches("bbc.co.uk").empty());
  EXPECT_EQ(matches("org.ru"), (std::vector<std::string>{"exact:org.ru"}));
  EXPECT_EQ(matches("shop.xyz"), (std::vector<std::string>{"suffix:xyz"}));
  EXPECT_TRUE(matches("xyz").empty());
}

TEST(Index, CidrLongestPrefixWithEnclosingChain) {
  IndexBuilder b;
  MetaId wide = b.AddMeta(Meta("wide")), narrow = b.AddMeta(Meta("narrow")),
         v6 = b.AddMeta(Meta("v6"));
  ASSERT_TRUE(b.AddCidr("10.0.0.0/8", wide).ok());
  ASSERT_TRUE(b.AddCidr("10.1.0.0/16", narrow).ok());
  ASSERT_TRUE(b.AddCidr("10.1.2.3", narrow).ok());
  ASSERT_TRUE(b.AddCidr("255.255.255.255/32", narrow).ok());
  ASSERT_TRUE(b.AddCidr("2001:db8::/32", v6).ok());
  ASSERT_TRUE(b.AddCidr("2001:db8:1::/48", narrow).ok());
  auto idx = *b.Build(nullptr);
  auto v4 = [&](const char* a) { return idx->LookupV4(*ParseIpv4(a)); };
  ASSERT_NE(v4("10.1.9.9"), Index::kNone);
  const auto& p = idx->v4_prefix(v4("10.1.9.9"));
  EXPECT_EQ(FormatCidr(p.cidr), "10.1.0.0/16");
  ASSERT_NE(p.parent, Index::kNone);
  EXPECT_EQ(FormatCidr(idx->v4_prefix(p.parent).cidr), "10.0.0.0/8");
  EXPECT_EQ(FormatCidr(idx->v4_prefix(v4("10.1.2.3")).cidr), "10.1.2.3/32");
  EXPECT_EQ(FormatCidr(idx->v4_prefix(v4("10.1.2.4")).cidr), "10.1.0.0/16");
  EXPECT_EQ(FormatCidr(idx->v4_prefix(v4("10.200.0.0")).cidr), "10.0.0.0/8");
  EXPECT_EQ(v4("11.0.0.0"), Index::kNone);
  EXPECT_EQ(v4("9.255.255.255"), Index::kNone);
  EXPECT_NE(v4("255.255.255.255"), Index::kNone);
  auto l6 = [&](const char* a) { return idx->LookupV6(*ParseIpv6(a)); };
  EXPECT_EQ(FormatCidr(idx->v6_prefix(l6("2001:db8:1::5")).cidr), "2001:db8:1::/48");
  EXPECT_EQ(FormatCidr(idx->v6_prefix(l6("2001:db8:2::5")).cidr), "2001:db8::/32");
  EXPECT_EQ(l6("2001:db9::"), Index::kNone);
}

// Random prefixes against a brute-force longest-prefix match.
// A CIDR lookup's answer against brute force's longest covering length (-1: none covers it).
template <typename LengthOf>
::testing::AssertionResult IsLongest(std::uint32_t got, int best, LengthOf length_of) {
  if (best < 0 && got == Index::kNone) return ::testing::AssertionSuccess();
  if (best < 0)
    return ::testing::AssertionFailure() << "matched /" << length_of(got) << ", none covers it";
  if (got == Index::kNone)
    return ::testing::AssertionFailure() << "no match, /" << best << " covers it";
  if (length_of(got) != best)
    return ::testing::AssertionFailure()
           << "matched /" << length_of(got) << ", longest is /" << best;
  return ::testing::AssertionSuccess();
}

TEST(Index, CidrMatchesBruteForce) {
  std::mt19937 rng(5);
  std::vector<std::pair<std::uint32_t, int>> prefixes;
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("r"));
  for (int i = 0; i < 3000; ++i) {
    int len = static_cast<int>(rng() % 33);
    std::uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
    std::uint32_t a = (rng() & 0xff0fffffu) & mask;  // cluster a little so prefixes nest
    if (len == 0) continue;
    prefixes.push_back({a, len});
    ASSERT_TRUE(b.AddCidr(FormatIpv4(a) + "/" + std::to_string(len), m).ok());
  }
  auto idx = *b.Build(nullptr);
  auto v4_length = [&](std::uint32_t p) { return idx->v4_prefix(p).cidr.length; };
  for (int i = 0; i < 20000; ++i) {
    std::uint32_t x = rng() & 0xff0fffffu;
    if (i % 3 == 0)
      x = prefixes[static_cast<std::size_t>(rng()) % prefixes.size()].first + (rng() & 0xff);
    int best = -1;
    for (const auto& [a, len] : prefixes) {
      std::uint32_t mask = ~0u << (32 - len);
      if ((x & mask) == a) best = std::max(best, len);
    }
    EXPECT_TRUE(IsLongest(idx->LookupV4(x), best, v4_length)) << FormatIpv4(x);
  }
}

// Enough prefixes that the direct index grows past 16 bits: every slot boundary and the
// addresses around each prefix's ends against a longest-prefix match by brute force.
TEST(Index, ManyCidrsMatchBruteForce) {
  std::mt19937 rng(11);
  std::unordered_set<std::uint64_t> prefixes;  // address << 6 | length
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("r"));
  std::vector<std::uint32_t> probes;
  for (int i = 0; i < 300000; ++i) {
    int len = 8 + static_cast<int>(rng() % 25);
    std::uint32_t a = static_cast<std::uint32_t>(rng()) & (~0u << (32 - len));
    if (!prefixes.insert(std::uint64_t{a} << 6 | static_cast<unsigned>(len)).second) continue;
    ASSERT_TRUE(b.AddCidr(FormatIpv4(a) + "/" + std::to_string(len), m).ok());
    if (i % 10 == 0) {
      std::uint32_t last = a | ~(~0u << (32 - len));
      for (std::uint32_t x : {a - 1, a, a + 1, last - 1, last, last + 1}) probes.push_back(x);
    }
  }
  auto idx = *b.Build(nullptr);
  auto v4_length = [&](std::uint32_t p) { return idx->v4_prefix(p).cidr.length; };
  for (std::uint32_t s = 0; s < (1u << 20); ++s)
    for (std::uint32_t d : {0u, 0xfffu}) probes.push_back((s << 12) + d);
  for (int i = 0; i < 20000; ++i) probes.push_back(static_cast<std::uint32_t>(rng()));
  for (std::size_t i = 0; i < probes.size(); i += 5) {  // a sample: brute force costs 25 finds
    const std::uint32_t x = probes[i];
    int best = -1;
    for (int len = 32; len >= 8 && best < 0; --len)
      if (prefixes.count(std::uint64_t{x & (~0u << (32 - len))} << 6 | static_cast<unsigned>(len)))
        best = len;
    ASSERT_TRUE(IsLongest(idx->LookupV4(x), best, v4_length)) << FormatIpv4(x);
  }
  // The pipelined batch gives the single lookup's answer for every probe, at every batch size
  // (shorter than, equal to and longer than its pipeline).
  std::vector<std::uint32_t> out(probes.size());
  for (std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{16}, probes.size()}) {
    for (std::size_t at = 0; at < probes.size(); at += batch)
      idx->LookupV4Batch(std::span(probes).subspan(at, std::min(batch, probes.size() - at)),
                         out.data() + at);
    for (std::size_t i = 0; i < probes.size(); ++i)
      ASSERT_EQ(out[i], idx->LookupV4(probes[i])) << "batch " << batch << ", " << probes[i];
  }
}

// The same for IPv6: random prefixes /8 to /64, half of them crowded into 2000::/3 as real ones
// are, against brute force at slot boundaries, prefix ends and random addresses.
TEST(Index, ManyIpv6CidrsMatchBruteForce) {
  std::mt19937_64 rng(12);
  std::vector<std::unordered_set<std::uint64_t>> by_length(65);  // high 64 bits, masked
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("r"));
  auto mask = [](int len) { return ~std::uint64_t{0} << (64 - len); };
  auto address = [&](std::uint64_t hi) {
    Ipv6Bytes a{};
    for (std::size_t k = 0; k < 8; ++k) a[k] = static_cast<std::uint8_t>(hi >> (56 - 8 * k));
    for (std::size_t k = 8; k < 16; ++k) a[k] = static_cast<std::uint8_t>(rng());
    return a;
  };
  std::vector<std::uint64_t> probes;  // high halves
  for (int i = 0; i < 300000; ++i) {
    const int len = 8 + static_cast<int>(rng() % 57);
    std::uint64_t hi = rng();
    if (i % 2) hi = (hi >> 3) | (std::uint64_t{1} << 61);  // 2000::/3
    hi &= mask(len);
    if (!by_length[static_cast<std::size_t>(len)].insert(hi).second) continue;
    Ipv6Bytes a = address(hi);
    std::fill(a.begin() + 8, a.end(), std::uint8_t{0});
    ASSERT_TRUE(b.AddCidr(FormatIpv6(a) + "/" + std::to_string(len), m).ok());
    if (i % 10 == 0)
      for (std::uint64_t x : {hi - 1, hi, hi | ~mask(len), (hi | ~mask(len)) + 1})
        probes.push_back(x);
  }
  auto idx = *b.Build(nullptr);
  auto v6_length = [&](std::uint32_t p) { return idx->v6_prefix(p).cidr.length; };
  for (std::uint64_t s = 0; s < (1u << 20); s += 3) probes.push_back(s << 44);
  for (int i = 0; i < 20000; ++i) probes.push_back(rng());
  for (std::size_t i = 0; i < probes.size(); i += 3) {
    const std::uint64_t hi = probes[i];
    int best = -1;
    for (int len = 64; len >= 8 && best < 0; --len)
      if (by_length[static_cast<std::size_t>(len)].count(hi & mask(len))) best = len;
    const Ipv6Bytes a = address(hi);
    ASSERT_TRUE(IsLongest(idx->LookupV6(a), best, v6_length)) << FormatIpv6(a);
  }
  std::vector<Ipv6Bytes> addresses;
  for (std::uint64_t hi : probes) addresses.push_back(address(hi));
  std::vector<std::uint32_t> out(addresses.size());
  for (std::size_t batch : {std::size_t{1}, std::size_t{17}, addresses.size()}) {
    for (std::size_t at = 0; at < addresses.size(); at += batch)
      idx->LookupV6Batch(std::span(addresses).subspan(at, std::min(batch, addresses.size() - at)),
                         out.data() + at);
    for (std::size_t i = 0; i < addresses.size(); ++i)
      ASSERT_EQ(out[i], idx->LookupV6(addresses[i]))
          << "batch " << batch << ", " << FormatIpv6(addresses[i]);
  }
}

// Prefixes up to /128: an index with any prefix longer than /64 keeps full 128-bit range starts
// (shorter ones keep only the top 64 bits). Boundaries in the low half must be exact.
TEST(Index, Ipv6CidrsLongerThan64MatchBruteForce) {
  using Bits = std::pair<std::uint64_t, std::uint64_t>;  // high, low
  auto masked = [](Bits a, int len) {
    if (len <= 64) return Bits{len == 0 ? 0 : a.first & (~std::uint64_t{0} << (64 - len)), 0};
    return Bits{a.first, len == 128 ? a.second : a.second & (~std::uint64_t{0} << (128 - len))};
  };
  auto last_of = [](Bits a, int len) {  // a is masked to len
    if (len <= 64)
      return Bits{a.first | (len == 64 ? 0 : (~std::uint64_t{0} >> len)), ~std::uint64_t{0}};
    return Bits{a.first, a.second | (len == 128 ? 0 : (~std::uint64_t{0} >> (len - 64)))};
  };
  auto to_bytes = [](Bits a) {
    Ipv6Bytes out{};
    for (std::size_t k = 0; k < 8; ++k) {
      out[k] = static_cast<std::uint8_t>(a.first >> (56 - 8 * k));
      out[k + 8] = static_cast<std::uint8_t>(a.second >> (56 - 8 * k));
    }
    return out;
  };
  auto next = [](Bits a, std::int64_t d) {  // a + d for d = -1 or +1, wrapping
    std::uint64_t lo = a.second + static_cast<std::uint64_t>(d);
    std::uint64_t hi = a.first;
    if (d > 0 && lo == 0) ++hi;
    if (d < 0 && a.second == 0) --hi;
    return Bits{hi, lo};
  };
  std::mt19937_64 rng(21);
  std::vector<std::set<Bits>> by_length(129);
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("r"));
  std::vector<Bits> probes;
  for (int i = 0; i < 40000; ++i) {
    const int len = 8 + static_cast<int>(rng() % 121);
    // Clustered in one /40 so that long prefixes nest in short ones and share range slots.
    Bits a{(std::uint64_t{0x2001'0db8'00} << 24) | (rng() & 0xffffff), rng()};
    if (i % 3 == 0) a.first = rng();
    a = masked(a, len);
    if (!by_length[static_cast<std::size_t>(len)].insert(a).second) continue;
    ASSERT_TRUE(b.AddCidr(FormatIpv6(to_bytes(a)) + "/" + std::to_string(len), m).ok());
    const Bits last = last_of(a, len);
    for (Bits x : {next(a, -1), a, last, next(last, 1)}) probes.push_back(x);
  }
  auto idx = *b.Build(nullptr);
  for (int i = 0; i < 20000; ++i) probes.push_back({rng(), rng()});
  auto v6_length = [&](std::uint32_t p) { return idx->v6_prefix(p).cidr.length; };
  std::vector<Ipv6Bytes> addresses;
  for (Bits x : probes) {
    int best = -1;
    for (int len = 128; len >= 8 && best < 0; --len)
      if (by_length[static_cast<std::size_t>(len)].count(masked(x, len))) best = len;
    addresses.push_back(to_bytes(x));
    ASSERT_TRUE(IsLongest(idx->LookupV6(addresses.back()), best, v6_length))
        << FormatIpv6(addresses.back());
  }
  std::vector<std::uint32_t> out(addresses.size());
  idx->LookupV6Batch(addresses, out.data());
  for (std::size_t i = 0; i < addresses.size(); ++i)
    ASSERT_EQ(out[i], idx->LookupV6(addresses[i])) << FormatIpv6(addresses[i]);
}

TEST(Index, CatchAllPrefixIsWarned) {
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("all"));
  ASSERT_TRUE(b.AddCidr("0.0.0.0/0", m).ok());
  std::vector<std::string> warnings;
  auto idx = *b.Build(nullptr, &warnings);
  EXPECT_EQ(idx->stats().catch_all_prefixes, 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("0.0.0.0/0"), std::string::npos);
  EXPECT_NE(idx->LookupV4(0x01020304), Index::kNone);
  // An index without IPv6 prefixes answers a batch with kNone, and an empty batch is fine.
  std::vector<Ipv6Bytes> v6(3);
  std::vector<std::uint32_t> out(3, 0);
  idx->LookupV6Batch(v6, out.data());
  EXPECT_EQ(out, std::vector<std::uint32_t>(3, Index::kNone));
  idx->LookupV4Batch({}, out.data());
  std::vector<std::uint32_t> v4{0, 0x01020304, 0xffffffffu};
  idx->LookupV4Batch(v4, out.data());
  for (std::uint32_t p : out) EXPECT_EQ(p, idx->LookupV4(0x01020304));
}

TEST(Index, BatchAgreesWithSingleFindsAndMemoryStaysCompact) {
  IndexBuilder b;
  MetaId m = b.AddMeta(Meta("syn"));
  std::mt19937_64 rng(9);
  std::vector<std::string> names;
  for (int i = 0; i < 200000; ++i) {
    std::string d = "h" + std::to_string(rng() % 100000000) + ".example";
    names.push_back(d);
    ASSERT_TRUE(b.Add(ObservableType::kDomain, d, m).ok());
  }
  auto idx = *b.Build(nullptr);
  EXPECT_LT(static_cast<double>(idx->stats().exact_bytes) /
                static_cast<double>(idx->stats().exact_values),
            64.0);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i)
    keys.push_back(i % 2 ? names[static_cast<std::size_t>(i) * 7]
                         : "absent" + std::to_string(i) + ".example");
  std::vector<Index::Probe> probes;
  for (const auto& k : keys)
    probes.push_back({Index::Hash(ObservableType::kDomain, k), k, ObservableType::kDomain});
  std::vector<std::uint32_t> out(probes.size());
  idx->FindBatch(probes, out.data());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(out[i], idx->Find(probes[i].hash, probes[i].type, probes[i].key));
    EXPECT_EQ(out[i] != Index::kNone, i % 2 == 1) << keys[i];
    if (out[i] != Index::kNone) {
      EXPECT_EQ(idx->key(idx->entry(out[i])), keys[i]);
    }
  }
  // The Bloom filter in front: never "absent" for a present key, and it rejects most absent ones.
  std::vector<std::uint64_t> hashes;
  for (const auto& p : probes) hashes.push_back(p.hash);
  std::vector<std::uint8_t> maybe(hashes.size());
  idx->MayContainBatch(hashes, maybe.data());
  std::size_t false_positives = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    if (i % 2 == 1) {
      EXPECT_EQ(maybe[i], 1) << keys[i];
    } else {
      false_positives += maybe[i];
    }
  }
  EXPECT_LT(false_positives, 25u);  // 5 % of the 500 absent keys
  // The same bytes under another type (and the domain seed, so the same bucket and
  // fingerprint) must not match: the key record's type decides.
  for (auto& p : probes) p.type = ObservableType::kUrl;
  idx->FindBatch(probes, out.data());
  for (std::size_t i = 0; i < probes.size(); ++i) EXPECT_EQ(out[i], Index::kNone) << keys[i];
  // Batches shorter than the pipeline's depth, and empty ones.
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{23}}) {
    std::vector<Index::Probe> few;
    for (std::size_t i = 0; i < n; ++i)
      few.push_back(
          {Index::Hash(ObservableType::kDomain, keys[i]), keys[i], ObservableType::kDomain});
    std::vector<std::uint32_t> got(n + 1, 12345);
    idx->FindBatch(few, got.data());
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(got[i] != Index::kNone, i % 2 == 1) << i;
    EXPECT_EQ(got[n], 12345u);  // nothing written past the batch
  }
}

TEST(IndexHandle, ReaderKeepsItsGenerationAcrossAPublish) {
  auto make = [](const char* d) {
    IndexBuilder b;
    MetaId m = b.AddMeta(Meta(d));
    (void)b.Add(ObservableType::kDomain, d, m);
    return *b.Build(nullptr);
  };
  IndexHandle h(make("one.example"));
  auto held = h.Current();
  std::thread publisher([&] { h.Publish(make("two.example")); });
  publisher.join();
  EXPECT_NE(held->Lookup(ObservableType::kDomain, "one.example"), Index::kNone);
  EXPECT_EQ(h.Current()->Lookup(ObservableType::kDomain, "one.example"), Index::kNone);
  EXPECT_NE(h.Current()->Lookup(ObservableType::kDomain, "two.example"), Index::kNone);
}

TEST(IndicatorList, ParsesSharedFormatWithLabels) {
  std::string text =
      "# comment\n"
      "vocyzit.com\tmt:simda\r\n"
      "2.26.74.0/24\tmt:worst_asns/greatflower\n"
      "1.0.0.5\tmt:mal/supershell_c2,ipsum:lists=1\n"
      "justaword\tx\n"
      "\n"
      ".ac.cn\tmt:susp/domain\n"
      "plain.example\n";
  IndexBuilder b;
  ListLoadStats st;
  ASSERT_TRUE(ParseIndicatorList(text, "dir/list.txt", b, &st).ok());
  EXPECT_EQ(st.values, 5u);
  EXPECT_EQ(st.rejected, 1u);
  ASSERT_EQ(st.samples.size(), 1u);
  EXPECT_NE(st.samples[0].find("dir/list.txt:5"), std::string::npos);
  auto idx = *b.Build(nullptr);
  auto refs = [&](ObservableType t, const char* v) {
    auto e = idx->Lookup(t, v);
    return e == Index::kNone ? std::vector<std::string>{}
                             : Refs(*idx, idx->postings(idx->entry(e)));
  };
  EXPECT_EQ(refs(ObservableType::kDomain, "vocyzit.com"), (std::vector<std::string>{"mt:simda"}));
  EXPECT_EQ(refs(ObservableType::kIpv4, "1.0.0.5"),
            (std::vector<std::string>{"mt:mal/supershell_c2,ipsum:lists=1"}));
  EXPECT_EQ(refs(ObservableType::kDomain, "plain.example"), (std::vector<std::string>{"list.txt"}));
  EXPECT_EQ(idx->stats().v4_prefixes, 1u);
  EXPECT_EQ(idx->stats().suffix_rules, 1u);
}

TEST(IndicatorList, MissingAndTruncatedFilesFailClearly) {
  IndexBuilder b;
  Status s = LoadIndicatorList("/nonexistent/list.txt", b, nullptr);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent/list.txt"), std::string::npos);
}

}  // namespace
}  // namespace entente::detect
