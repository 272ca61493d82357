// The anchor compiler: which values feed the detection index, and its soundness contract.
#include <gtest/gtest.h>

#include <cctype>

#include "entente/base/json.h"
#include "entente/pattern/anchors.h"
#include "entente/pattern/evaluator.h"
#include "test_data.h"

namespace entente::pattern {
namespace {

AnchorSet AnchorsOf(std::string_view text) {
  auto p = Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().ToString();
  return p.ok() ? CompileAnchors(*p) : AnchorSet{};
}

Anchor A(std::string scope, std::string value, AnchorKind kind, bool cidr = false) {
  return Anchor{std::move(scope), std::move(value), cidr, kind};
}

TEST(PatternAnchors, CommonProperties) {
  struct Case {
    const char* pattern;
    Anchor anchor;
  };
  const Case cases[] = {
      {"[ipv4-addr:value = '198.51.100.1']",
       A("ipv4-addr:value", "198.51.100.1", AnchorKind::kIpv4)},
      {"[ipv4-addr:value = '112.64.0.0/15']",
       A("ipv4-addr:value", "112.64.0.0/15", AnchorKind::kIpv4, true)},
      {"[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
       A("ipv4-addr:value", "10.0.0.0/8", AnchorKind::kIpv4, true)},
      {"[ipv4-addr:value = '198.51.100.1/32']",
       A("ipv4-addr:value", "198.51.100.1", AnchorKind::kIpv4)},
      {"[ipv6-addr:value = '2001:0DB8:0000::1']",
       A("ipv6-addr:value", "2001:db8::1", AnchorKind::kIpv6)},
      {"[ipv6-addr:value ISSUBSET '2001:db8::/32']",
       A("ipv6-addr:value", "2001:db8::/32", AnchorKind::kIpv6, true)},
      {"[domain-name:value = 'Evil.Example']",
       A("domain-name:value", "evil.example", AnchorKind::kDomain)},
      {"[url:value = 'http://x4z9arb.cn/4712']",
       A("url:value", "http://x4z9arb.cn/4712", AnchorKind::kUrl)},
      {"[email-addr:value = 'jdoe@example.com']",
       A("email-addr:value", "jdoe@example.com", AnchorKind::kEmail)},
      {"[email-message:from_ref.value = 'jdoe@example.com']",
       A("email-message:from_ref.value", "jdoe@example.com", AnchorKind::kEmail)},
      {"[file:hashes.'SHA-256' = 'AEC0']", A("file:hashes.'SHA-256'", "aec0", AnchorKind::kHash)},
      {"[file:hashes.SHA256 = 'aec0']", A("file:hashes.'SHA-256'", "aec0", AnchorKind::kHash)},
      {"[file:hashes.sha256 = 'aec0']", A("file:hashes.'SHA-256'", "aec0", AnchorKind::kHash)},
      {"[file:hashes.md5 = 'CEAD']", A("file:hashes.MD5", "cead", AnchorKind::kHash)},
      {"[artifact:hashes.'SHA-1' = 'ab']", A("artifact:hashes.'SHA-1'", "ab", AnchorKind::kHash)},
      {"[x509-certificate:hashes.'SHA-1' = 'ab']",
       A("x509-certificate:hashes.'SHA-1'", "ab", AnchorKind::kHash)},
      {"[x509-certificate:serial_number = '4c:0b:1d']",
       A("x509-certificate:serial_number", "4c:0b:1d", AnchorKind::kX509Serial)},
      {"[network-traffic:dst_ref.value = '203.0.113.5']",
       A("network-traffic:dst_ref.value", "203.0.113.5", AnchorKind::kIpv4)},
      {"[network-traffic:src_ref.value = 'C2.Example']",
       A("network-traffic:src_ref.value", "c2.example", AnchorKind::kDomain)},
      {"[network-traffic:dst_ref.value ISSUBSET '2001:db8::/48']",
       A("network-traffic:dst_ref.value", "2001:db8::/48", AnchorKind::kIpv6, true)},
      {"[windows-registry-key:key = 'HKLM\\\\Software\\\\Mthjk']",
       A("windows-registry-key:key", "hklm\\software\\mthjk", AnchorKind::kRegistryKey)},
      {"[mutex:name = 'MutexTest']", A("mutex:name", "MutexTest", AnchorKind::kMutex)},
      {"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Bot/1']",
       A("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", "Bot/1",
         AnchorKind::kUserAgent)},
  };
  for (const auto& c : cases) {
    AnchorSet s = AnchorsOf(c.pattern);
    ASSERT_TRUE(s.anchored) << c.pattern << ": " << s.reason;
    ASSERT_EQ(s.anchors.size(), 1u) << c.pattern;
    EXPECT_EQ(s.anchors[0], c.anchor)
        << c.pattern << " -> " << s.anchors[0].scope << " " << s.anchors[0].value;
  }
}

TEST(PatternAnchors, OrUnionsAndPicksTheMostSelective) {
  AnchorSet o = AnchorsOf("[domain-name:value = 'a.example' OR ipv4-addr:value = '1.2.3.4']");
  ASSERT_TRUE(o.anchored);
  EXPECT_EQ(o.anchors.size(), 2u);
  AnchorSet in = AnchorsOf("[url:value IN ('http://a/', 'http://b/', 'http://a/')]");
  ASSERT_TRUE(in.anchored);
  EXPECT_EQ(in.anchors.size(), 2u);  // deduplicated

  // AND: one side suffices; the one with fewer anchors, exact before CIDR.
  AnchorSet a = AnchorsOf(
      "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] AND [file:hashes.MD5 = 'ab' OR file:name = 'x']");
  // The OR side has an unindexed leaf, so only the CIDR side can anchor the AND.
  ASSERT_TRUE(a.anchored) << a.reason;
  ASSERT_EQ(a.anchors.size(), 1u);
  EXPECT_TRUE(a.anchors[0].is_cidr);
  EXPECT_EQ(a.anchors[0].value, "10.0.0.0/8");
}

TEST(PatternAnchors, AndChoosesAnAnchoredSide) {
  AnchorSet a = AnchorsOf("[file:name = 'x' AND file:hashes.MD5 = 'ab']");
  ASSERT_TRUE(a.anchored) << a.reason;
  ASSERT_EQ(a.anchors.size(), 1u);
  EXPECT_EQ(a.anchors[0].scope, "file:hashes.MD5");

  AnchorSet b = AnchorsOf("[ipv4-addr:value ISSUBSET '10.0.0.0/8'] AND [mutex:name = 'm']");
  ASSERT_TRUE(b.anchored);
  ASSERT_EQ(b.anchors.size(), 1u);
  EXPECT_EQ(b.anchors[0].scope, "mutex:name");  // exact beats CIDR

  AnchorSet c = AnchorsOf(
      "[domain-name:value = 'a' OR domain-name:value = 'b'] FOLLOWEDBY [url:value = 'u'] WITHIN "
      "60 SECONDS");
  ASSERT_TRUE(c.anchored);
  ASSERT_EQ(c.anchors.size(), 1u);
  EXPECT_EQ(c.anchors[0].scope, "url:value");
}

TEST(PatternAnchors, UnanchoredLeavesAreReported) {
  const char* cases[][2] = {
      {"[file:name = 'x']", "column 2: file:name = 'x' (property is not indexed)"},
      {"[domain-name:value LIKE '%.evil']",
       "column 2: domain-name:value LIKE '%.evil' (LIKE cannot be looked up)"},
      {"[url:value MATCHES '^http']",
       "column 2: url:value MATCHES '^http' (MATCHES cannot be "
       "looked up)"},
      {"[ipv4-addr:value != '1.2.3.4']",
       "column 2: ipv4-addr:value != '1.2.3.4' (!= cannot be looked up)"},
      {"[ipv4-addr:value NOT = '1.2.3.4']",
       "column 2: ipv4-addr:value NOT = '1.2.3.4' (NOT cannot be looked up in an index)"},
      {"[domain-name:value = 'a'] OR [file:size < 5]",
       "column 31: file:size < 5 (property is not indexed)"},
      {"[EXISTS mutex:name]", "column 2: EXISTS mutex:name (EXISTS cannot be looked up)"},
  };
  for (const auto& c : cases) {
    AnchorSet s = AnchorsOf(c[0]);
    EXPECT_FALSE(s.anchored) << c[0];
    EXPECT_TRUE(s.anchors.empty());
    EXPECT_EQ(s.reason, c[1]) << c[0];
  }
}

// Soundness on real data: for every misp-stix golden pair whose pattern matches its
// observed-data and is anchored, some anchor value occurs in the observation's SCOs.
TEST(PatternAnchors, SoundOnMispGoldenPairs) {
  std::size_t checked = 0;
  bool read = testing::ForEachMispGoldenPair(
      [&](const std::string& name, const std::string& pattern, const std::string& bundle) {
        auto parsed = Parse(pattern);
        ASSERT_TRUE(parsed.ok()) << name;
        AnchorSet anchors = CompileAnchors(*parsed);
        ObservationSet set;
        ASSERT_TRUE(set.AddJson(bundle).ok());
        auto c = CompiledPattern::Compile(std::move(parsed).value());
        ASSERT_TRUE(c.ok());
        auto r = c->Match(set);
        ASSERT_TRUE(r.ok());
        if (!r->matched || !anchors.anchored) return;
        // Some anchor must be found in the observation: `[scope = 'value']` (ISSUBSET for a CIDR)
        // matches it. Domains and registry keys are lower-cased for the index, which looks them up
        // lower-cased too: for those the check ignores case.
        bool found = false;
        for (const auto& a : anchors.anchors) {
          std::string op = a.is_cidr ? " ISSUBSET " : " = ";
          std::string operand = a.value;
          if (a.kind == AnchorKind::kDomain || a.kind == AnchorKind::kRegistryKey) {
            op = " MATCHES ";
            operand = "(?i)^";
            for (char ch : a.value) {
              if (!std::isalnum(static_cast<unsigned char>(ch)) &&
                  static_cast<unsigned char>(ch) < 0x80) {
                operand += '\\';
              }
              operand += ch;
            }
            operand += "$";
          }
          std::string literal = "'";
          for (char ch : operand) {
            if (ch == '\'' || ch == '\\') literal += '\\';
            literal += ch;
          }
          literal += "'";
          auto check = CompiledPattern::Compile("[" + a.scope + op + literal + "]");
          ASSERT_TRUE(check.ok()) << a.scope << ": " << check.status().ToString();
          auto hit = check->Match(set);
          if (hit.ok() && hit->matched) found = true;
        }
        EXPECT_TRUE(found) << name << ": " << pattern;
        ++checked;
      });
  EXPECT_TRUE(read);
  EXPECT_GT(checked, 40u);
}

}  // namespace
}  // namespace entente::pattern

namespace entente::pattern {
namespace {

// Soundness, property-based: random patterns over indexed and unindexed properties against
// random observations (fixed seed). Whenever a pattern matches and is anchored, one of its
// anchors must be found in the observations, checked by evaluating `[scope = 'value']` (or
// ISSUBSET for a CIDR anchor). Pools hold canonical, lower-case values, so normalisation cannot
// hide a miss.
class Gen {
 public:
  explicit Gen(std::uint64_t seed) : state_(seed) {}
  std::size_t Below(std::size_t n) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((state_ >> 33) % n);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

  std::string Leaf() {
    static const std::vector<std::string> leaves = {
        "ipv4-addr:value = '1.1.1.1'",
        "ipv4-addr:value = '10.0.0.1'",
        "ipv4-addr:value ISSUBSET '10.0.0.0/8'",
        "ipv4-addr:value IN ('1.1.1.1', '2.2.2.2')",
        "ipv4-addr:value NOT = '1.1.1.1'",
        "domain-name:value = 'a.example'",
        "domain-name:value = 'b.example'",
        "domain-name:value LIKE '%.example'",
        "file:hashes.'SHA-256' = 'aaaa'",
        "file:hashes.sha256 = 'bbbb'",
        "file:name = 'x.exe'",
        "file:size > 5",
        "network-traffic:dst_ref.value = '1.1.1.1'",
        "network-traffic:dst_ref.value = 'a.example'",
        "network-traffic:dst_ref.value ISSUBSET '10.0.0.0/24'",
        "network-traffic:dst_port = 80",
        "mutex:name = 'm1'",
        "EXISTS mutex:name",
    };
    return Pick(leaves);
  }

  std::string Comparison(int depth) {
    if (depth == 0 || Below(3) == 0) return Leaf();
    std::string op = Below(2) ? " AND " : " OR ";
    return "(" + Comparison(depth - 1) + op + Comparison(depth - 1) + ")";
  }

  std::string Observation(int depth) {
    if (depth == 0 || Below(3) == 0) {
      std::string e = "[" + Comparison(2) + "]";
      if (Below(5) == 0) e += " WITHIN 100 SECONDS";
      return e;
    }
    static const std::vector<std::string> ops = {" AND ", " OR ", " FOLLOWEDBY "};
    return "(" + Observation(depth - 1) + Pick(ops) + Observation(depth - 1) + ")";
  }

  // One bundle with 1-3 observations of random SCOs.
  std::string Bundle() {
    static const std::vector<std::string> ips = {"1.1.1.1", "2.2.2.2", "10.0.0.1", "10.0.1.9"};
    static const std::vector<std::string> domains = {"a.example", "b.example", "c.test"};
    static const std::vector<std::string> hashes = {"aaaa", "bbbb", "cccc"};
    std::string objects;
    int n = 0;
    auto add = [&](const std::string& o) {
      if (!objects.empty()) objects += ",";
      objects += o;
    };
    std::size_t observations = 1 + Below(3);
    for (std::size_t k = 0; k < observations; ++k) {
      std::vector<std::string> refs;
      std::string ip_id, domain_id;
      if (Below(2)) {
        ip_id = "ipv4-addr--" + std::to_string(n++);
        add(R"({"type":"ipv4-addr","id":")" + ip_id + R"(","value":")" + Pick(ips) + "\"}");
        refs.push_back(ip_id);
      }
      if (Below(2)) {
        domain_id = "domain-name--" + std::to_string(n++);
        add(R"({"type":"domain-name","id":")" + domain_id + R"(","value":")" + Pick(domains) +
            "\"}");
        refs.push_back(domain_id);
      }
      if (Below(2)) {
        std::string id = "file--" + std::to_string(n++);
        add(R"({"type":"file","id":")" + id + R"(","name":")" + (Below(2) ? "x.exe" : "y.exe") +
            R"(","size":)" + std::to_string(Below(10)) + R"(,"hashes":{"SHA-256":")" +
            Pick(hashes) + "\"}}");
        refs.push_back(id);
      }
      if (Below(2) && (!ip_id.empty() || !domain_id.empty())) {
        std::string id = "network-traffic--" + std::to_string(n++);
        std::string dst =
            ip_id.empty() ? domain_id : (domain_id.empty() || Below(2) ? ip_id : domain_id);
        add(R"({"type":"network-traffic","id":")" + id + R"(","dst_ref":")" + dst +
            R"(","dst_port":)" + (Below(2) ? "80" : "443") + R"(,"protocols":["tcp"]})");
        refs.push_back(id);
      }
      if (Below(3) == 0) {
        std::string id = "mutex--" + std::to_string(n++);
        add(R"({"type":"mutex","id":")" + id + R"(","name":")" + (Below(2) ? "m1" : "m2") + "\"}");
        refs.push_back(id);
      }
      std::string list;
      for (const auto& r : refs) list += (list.empty() ? "\"" : ",\"") + r + "\"";
      add(R"({"type":"observed-data","id":"observed-data--)" + std::to_string(k) +
          R"(","first_observed":"2020-01-01T00:00:0)" + std::to_string(k) +
          R"(Z","last_observed":"2020-01-01T00:00:0)" + std::to_string(k) +
          R"(Z","number_observed":1,"object_refs":[)" + list + "]}");
    }
    return R"({"type":"bundle","id":"bundle--1","objects":[)" + objects + "]}";
  }

 private:
  std::uint64_t state_;
};

TEST(PatternAnchors, SoundOnRandomPatternsAndObservations) {
  Gen gen(20261122);
  int matched_anchored = 0, unanchored = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = gen.Observation(2);
    auto parsed = Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    AnchorSet anchors = CompileAnchors(*parsed);
    if (!anchors.anchored) ++unanchored;
    ObservationSet set;
    std::string bundle = gen.Bundle();
    ASSERT_TRUE(set.AddJson(bundle).ok()) << bundle;
    auto compiled = CompiledPattern::Compile(std::move(parsed).value());
    ASSERT_TRUE(compiled.ok());
    auto r = compiled->Match(set);
    ASSERT_TRUE(r.ok()) << text;
    if (!r->matched || !anchors.anchored) continue;
    ++matched_anchored;
    bool found = false;
    for (const auto& a : anchors.anchors) {
      std::string check = "[" + a.scope + (a.is_cidr ? " ISSUBSET '" : " = '") + a.value + "']";
      auto c = CompiledPattern::Compile(check);
      ASSERT_TRUE(c.ok()) << check << ": " << c.status().ToString();
      auto hit = c->Match(set);
      ASSERT_TRUE(hit.ok());
      if (hit->matched) {
        found = true;
        break;
      }
    }
    EXPECT_TRUE(found) << text << "\n" << bundle;
  }
  // The generator exercises both outcomes.
  EXPECT_GT(matched_anchored, 200);
  EXPECT_GT(unanchored, 200);
}

}  // namespace
}  // namespace entente::pattern
