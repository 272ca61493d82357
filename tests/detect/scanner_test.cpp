#include "entente/detect/scanner.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "entente/detect/indicator_list.h"
#include "test_util.h"

namespace entente::detect {
namespace {

using testing::DataDir;
using testing::SystemPsl;

struct ScanRun {
  std::vector<Hit> hits;
  std::vector<std::string> warnings;
  ScanSummary summary;
  std::set<std::string> Values() const {
    std::set<std::string> v;
    for (const auto& h : hits) v.insert(h.value);
    return v;
  }
};

std::shared_ptr<const Index> IndexOf(const std::string& list_text,
                                     const PublicSuffixList* psl = nullptr) {
  IndexBuilder b;
  EXPECT_TRUE(ParseIndicatorList(list_text, "test", b, nullptr).ok());
  return *b.Build(psl);
}

ScanRun ScanText(const std::shared_ptr<const Index>& idx, std::string_view text,
                 ScanOptions opt = {}, const Warninglists* wl = nullptr) {
  ScanRun r;
  IndexHandle h(idx);
  Scanner s(
      h, wl, opt, [&](const Hit& hit) { r.hits.push_back(hit); },
      [&](const std::string& w) { r.warnings.push_back(w); });
  EXPECT_TRUE(s.ScanBuffer(text, "mem").ok());
  s.Finish();
  r.summary = s.summary();
  return r;
}

TEST(Scanner, TokenSemanticsNeverMatchInsideLongerTokens) {
  auto idx = IndexOf("1.2.3.4\tip\nevil.example\tdom\n");
  ScanRun r =
      ScanText(idx, "a 11.2.3.45 b 1.2.3.44 c notevil.example d evil.examples e 1.2.3.4.5\n");
  EXPECT_TRUE(r.hits.empty());
  r = ScanText(idx, "x=1.2.3.4, (EVIL.Example.) sub.evil.example:443 [1.2.3.4]:80\n");
  EXPECT_EQ(r.Values(), (std::set<std::string>{"1.2.3.4", "EVIL.Example", "sub.evil.example"}));
  ASSERT_EQ(r.hits.size(), 4u);
  EXPECT_EQ(r.hits[0].offset, 2u);
  EXPECT_EQ(r.hits[2].kind, MatchKind::kParent);
  EXPECT_EQ(r.hits[2].matched, "evil.example");
  EXPECT_EQ(r.hits[2].indicators.at(0)->ref, "dom");
}

TEST(Scanner, IPv6CompressedAndFullFormsMeet) {
  auto idx = IndexOf("2001:0db8:0000:0000:0000:0000:0000:0001\tv6\n2001:db8:ff::/48\tnet6\n");
  ScanRun r = ScanText(idx, "src=2001:db8::1 dst=2001:DB8:FF::9 other=2001:db8::10\n");
  ASSERT_EQ(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[0].value, "2001:db8::1");
  EXPECT_EQ(r.hits[0].type, ObservableType::kIpv6);
  EXPECT_EQ(r.hits[1].kind, MatchKind::kCidr);
  EXPECT_EQ(r.hits[1].matched, "2001:db8:ff::/48");
}

TEST(Scanner, HashesUrlsPathsAndEmails) {
  std::string md5 = "00008157c1abe8a7b172b23078e3f705";
  auto idx = IndexOf(
      md5 +
      "\teset:stantinko\n002vt.tk/james/fre.php\tmt:lokibot\n/!help_sos.hta\tmt:mal/bad_script\n"
      "bad@evil.example\tphish\n");
  ScanRun r =
      ScanText(idx, "md5=" + std::string("00008157C1ABE8A7B172B23078E3F705") + " x" + md5 + "0\n" +
                        "GET HTTP://002VT.TK:80/james/fre.php?x\n"
                        "fetch http://002vt.tk/james/fre.php ok\n"
                        "1.2.3.4 - - \"GET /!help_sos.hta HTTP/1.1\" 200\n"
                        "from: <Bad@Evil.Example>\n");
  std::vector<std::string> types;
  for (const auto& h : r.hits)
    types.push_back(std::string(ObservableTypeName(h.type)) + "=" + h.value);
  EXPECT_EQ(types, (std::vector<std::string>{"md5=00008157C1ABE8A7B172B23078E3F705",
                                             "url=http://002vt.tk/james/fre.php",
                                             "url-path=/!help_sos.hta", "email=Bad@Evil.Example"}));
  EXPECT_EQ(r.hits[1].line, 3u);
}

TEST(Scanner, ZeekTsvSimdaDomainsWithTsAndUid) {
  IndexBuilder b;
  ASSERT_TRUE(LoadIndicatorList(DataDir() + "/simda_domains.txt", b, nullptr).ok());
  auto idx = *b.Build(SystemPsl());
  std::set<std::string> expected;
  std::ifstream in(DataDir() + "/simda_domains.txt");
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') expected.insert(line.substr(0, line.find('\t')));
  ASSERT_GT(expected.size(), 50u);
  auto text = ReadFileMaybeGzip(DataDir() + "/zeek_dns_simda.log", 1 << 20);
  ASSERT_TRUE(text.ok());
  ScanRun r = ScanText(idx, *text);
  EXPECT_EQ(r.Values(), expected);
  for (const auto& h : r.hits) {
    EXPECT_EQ(h.indicators.at(0)->ref, "mt:simda");
    EXPECT_FALSE(h.ts.empty());
    EXPECT_TRUE(h.uid.size() >= 15 && h.uid[0] == 'C') << h.uid;
  }
  // The first hit: line 24 of the capture.
  ASSERT_FALSE(r.hits.empty());
  EXPECT_EQ(r.hits[0].line, 24u);
  EXPECT_EQ(r.hits[0].ts, "181.832815");
  EXPECT_EQ(r.hits[0].uid, "CNOvBC4QAwVAsS9282");
  EXPECT_EQ(std::string_view(*text).substr(r.hits[0].offset, r.hits[0].value.size()),
            r.hits[0].value);
  EXPECT_EQ(r.summary.records, 120u);
}

TEST(Scanner, ZeekJsonRecordsGiveTsAndUid) {
  auto idx = IndexOf("69.195.128.0/24\tnet\n/multi/check.php\tpath\n");
  auto text = ReadFileMaybeGzip(DataDir() + "/zeek_http.json", 1 << 20);
  ASSERT_TRUE(text.ok());
  ScanRun r = ScanText(idx, *text);
  ASSERT_GE(r.hits.size(), 3u);
  EXPECT_EQ(r.hits[0].value, "69.195.128.18");
  EXPECT_EQ(r.hits[0].ts, "1599755438.238535");
  EXPECT_EQ(r.hits[0].uid, "CyivES1Hf4PlG8GaWe");
  bool path = false;
  for (const auto& h : r.hits)
    path |= h.type == ObservableType::kUrlPath && h.value == "/multi/check.php";
  EXPECT_TRUE(path);
}

TEST(Scanner, KnownFalsePositivesAreSuppressed) {
  if (!SystemPsl()) GTEST_SKIP() << "public suffix list missing: apt-get install publicsuffix";
  IndexBuilder b;
  ASSERT_TRUE(LoadIndicatorList(DataDir() + "/fp_domains.txt", b, nullptr).ok());
  auto idx = *b.Build(SystemPsl());
  auto wl = Warninglists::Load(DataDir() + "/warninglists");
  ASSERT_TRUE(wl.ok());
  // www.linux.org.ru: the parent org.ru is a public suffix, never a match.
  auto apache = ReadFileMaybeGzip(DataDir() + "/apache_linux_org_ru.log", 1 << 20);
  ScanRun r = ScanText(idx, *apache, {}, &*wl);
  EXPECT_TRUE(r.hits.empty());
  EXPECT_GT(r.summary.public_suffix_skipped, 0u);
  // global.asazure.windows.net: an indicator, but warninglisted: flagged, or dropped by policy.
  auto x509 = ReadFileMaybeGzip(DataDir() + "/zeek_x509_asazure.log", 1 << 20);
  r = ScanText(idx, *x509, {}, &*wl);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].value, "global.asazure.windows.net");
  EXPECT_EQ(r.hits[0].warninglists, "alexa,tranco10k");
  EXPECT_EQ(r.hits[0].ts, "1521911870.587904");
  ScanOptions suppress;
  suppress.suppress_warninglisted = true;
  r = ScanText(idx, *x509, suppress, &*wl);
  EXPECT_TRUE(r.hits.empty());
  EXPECT_EQ(r.summary.suppressed_warninglisted, 1u);
}

TEST(Scanner, RevokedAndExpiredIndicatorsDoNotHit) {
  IndexBuilder b;
  IndicatorMeta old;
  old.ref = "old";
  old.valid_until_ms = 1000;
  IndicatorMeta revoked;
  revoked.ref = "revoked";
  revoked.revoked = true;
  ASSERT_TRUE(b.Add(ObservableType::kDomain, "old.example", b.AddMeta(old)).ok());
  ASSERT_TRUE(b.Add(ObservableType::kDomain, "revoked.example", b.AddMeta(revoked)).ok());
  auto idx = *b.Build(nullptr);
  ScanOptions opt;
  opt.valid_at_ms = 5000;
  ScanRun r = ScanText(idx, "old.example revoked.example\n", opt);
  EXPECT_TRUE(r.hits.empty());
  r = ScanText(idx, "old.example revoked.example\n");
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].value, "old.example");
}

TEST(Scanner, CatchAllPrefixIsCappedNotFlooding) {
  auto idx = IndexOf("0.0.0.0/0\tall\n");
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "\n";
  ScanOptions opt;
  opt.max_hits_per_indicator = 100;
  ScanRun r = ScanText(idx, text, opt);
  EXPECT_EQ(r.hits.size(), 100u);
  EXPECT_EQ(r.summary.capped, 4900u);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find("4900 hits"), std::string::npos);
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(Scanner, GzipWholeConcatenatedAndTruncated) {
  auto idx = IndexOf("evil.example\tx\n");
  std::string plain;
  for (int i = 0; i < 20000; ++i)
    plain += "line " + std::to_string(i) + " host" + std::to_string(i) + ".evil.example\n";
  ScanRun r = ScanText(idx, Gzip(plain));
  EXPECT_EQ(r.hits.size(), 1000u);  // capped at the default 1000
  EXPECT_EQ(r.summary.bytes, plain.size());
  EXPECT_EQ(r.warnings.size(), 1u) << ::testing::PrintToString(r.warnings);  // the cap notice only
  r = ScanText(idx, Gzip("a.evil.example\n") + Gzip("b.evil.example\n"));
  EXPECT_EQ(r.Values(), (std::set<std::string>{"a.evil.example", "b.evil.example"}));
  std::string gz = Gzip(plain);
  r = ScanText(idx, std::string_view(gz).substr(0, gz.size() / 2));
  EXPECT_GT(r.summary.bytes, 0u);
  EXPECT_LT(r.summary.bytes, plain.size());
  bool truncated = false;
  for (const auto& w : r.warnings) truncated |= w.find("truncated gzip") != std::string::npos;
  EXPECT_TRUE(truncated) << ::testing::PrintToString(r.warnings);
  // Garbage after the magic bytes.
  r = ScanText(idx, std::string("\x1f\x8b\x08\x00garbage-garbage", 19));
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("gzip"), std::string::npos);
}

TEST(Scanner, BinaryGarbageNulBytesAndInvalidUtf8) {
  auto idx = IndexOf("evil.example\tx\n9.9.9.9\ty\n");
  std::mt19937 rng(11);
  std::string junk(1 << 20, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  ScanRun r = ScanText(idx, junk);
  EXPECT_EQ(r.summary.bytes, junk.size());
  std::string text =
      std::string("\0\0evil.example\0\xff\xfe", 17) + "\xc3\x28 9.9.9.9\xed\xa0\x80\n";
  r = ScanText(idx, text);
  EXPECT_EQ(r.Values(), (std::set<std::string>{"evil.example", "9.9.9.9"}));
}

TEST(Scanner, ALineLongerThanTheChunkIsScannedInPieces) {
  auto idx = IndexOf("evil.example\tx\n");
  std::string text(3 << 20, 'a');
  for (std::size_t i = 1000; i < text.size(); i += 1000) text[i] = ' ';
  std::string needle = " evil.example ";
  std::size_t at1 = 500000, at2 = text.size() - 20;
  text.replace(at1, needle.size(), needle);
  text.replace(at2, needle.size(), needle);
  text += "\nnext.evil.example\n";
  ScanOptions opt;
  opt.chunk_bytes = 64 << 10;
  ScanRun r = ScanText(idx, text, opt);
  ASSERT_EQ(r.hits.size(), 3u);
  EXPECT_EQ(r.hits[0].offset, at1 + 1);
  EXPECT_EQ(r.hits[1].offset, at2 + 1);
  EXPECT_EQ(r.hits[2].line, 2u);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings[0].find("scanned in pieces"), std::string::npos);
  // A single token longer than the chunk: never matched as its tail.
  std::string giant = std::string(200000, 'x') + "evil.example\n";
  r = ScanText(idx, giant, opt);
  EXPECT_TRUE(r.hits.empty());
}

TEST(Scanner, ZeekHeadersThatLie) {
  auto idx = IndexOf("evil.example\tx\n");
  std::string text =
      "#separator \\x09\n#fields\tts\tuid\tquery\n#types\ttime\tstring\tstring\n"
      "1.0\tCabc\tevil.example\n"
      "2.0\tCdef\textra\tfields\tevil.example\n"
      "#separator nonsense\n"
      "3.0\tCghi\tevil.example\n";
  ScanRun r = ScanText(idx, text);
  ASSERT_EQ(r.hits.size(), 3u);
  EXPECT_EQ(r.hits[0].uid, "Cabc");
  EXPECT_EQ(r.hits[1].uid, "");  // field count disagrees with #fields: not trusted
  EXPECT_EQ(r.hits[2].ts, "3.0");
  ASSERT_EQ(r.warnings.size(), 2u);
  std::string all = r.warnings[0] + "\n" + r.warnings[1];
  EXPECT_NE(all.find("declares 3"), std::string::npos) << all;
  EXPECT_NE(all.find("#separator"), std::string::npos) << all;
}

TEST(Scanner, DirectoriesAndMissingFiles) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("entente_scan_" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a.log") << "one.evil.example\n";
  std::ofstream(dir / "sub" / "b.log.gz", std::ios::binary) << Gzip("two.evil.example\n");
  auto idx = IndexOf("evil.example\tx\n");
  IndexHandle h(idx);
  std::vector<Hit> hits;
  Scanner s(h, nullptr, {}, [&](const Hit& hit) { hits.push_back(hit); });
  ASSERT_TRUE(s.ScanPath(dir.string()).ok());
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].input, (dir / "a.log").string());
  EXPECT_EQ(hits[1].value, "two.evil.example");
  EXPECT_EQ(s.ScanPath((dir / "missing.log").string()).code(), ErrorCode::kIoError);
  fs::remove_all(dir);
}

TEST(Scanner, ANewGenerationIsUsedByTheNextInputAndForgetsCachedMisses) {
  IndexHandle h(IndexOf("other.example\tx\n"));
  std::vector<Hit> hits;
  Scanner s(h, nullptr, {}, [&](const Hit& hit) { hits.push_back(hit); });
  std::string text;
  for (int i = 0; i < 100; ++i)
    text += "q=a.evil.example 10.9.8.7\n";  // repeated: cached as misses
  ASSERT_TRUE(s.ScanBuffer(text, "one").ok());
  EXPECT_TRUE(hits.empty());
  h.Publish(IndexOf("evil.example\tnew\n10.9.8.7\tnew\n"));
  ASSERT_TRUE(s.ScanBuffer(text, "two").ok());
  EXPECT_EQ(hits.size(), 200u);
}

TEST(Scanner, RepeatedTokensStillHitEveryTime) {
  auto idx = IndexOf("evil.example\tx\n1.2.3.4\ty\n");
  std::string text;
  for (int i = 0; i < 300; ++i) text += "1.2.3.4 a.evil.example 1.2.3.5 b.example\n";
  ScanRun r = ScanText(idx, text);
  EXPECT_EQ(r.hits.size(), 600u);
  EXPECT_EQ(r.hits.back().line, 300u);
}

// Runs of digits and dots are sorted by their dot count before any hashing: only three or more
// dots (an IPv4 address, trimmed dots aside) or none with a hash's length go on.
TEST(Scanner, NumericRunsYieldOnlyAddressesHashesAndEmails) {
  const std::string digits_md5 = "12345678901234567890123456789012";
  auto idx = IndexOf(digits_md5 + "\tnumhash\n10.0.0.1\tip\n12.34@evil.example\tmail\n");
  ScanRun r =
      ScanText(idx, "ts=1331901000.000000 v=5.0 1.2 10.0.0 10.0.0.1. .10.0.0.1 " + digits_md5 +
                        " " + digits_md5 + "3 to 12.34@evil.example 10.0.0.1\n");
  std::vector<std::string> got;
  for (const auto& h : r.hits)
    got.push_back(std::string(ObservableTypeName(h.type)) + "=" + h.value);
  EXPECT_EQ(got, (std::vector<std::string>{"ipv4=10.0.0.1", "ipv4=10.0.0.1", "md5=" + digits_md5,
                                           "email=12.34@evil.example", "ipv4=10.0.0.1"}));
}

// Hit lines are counted by the vector newline count between hits, across regions.
TEST(Scanner, HitLinesAreExactAcrossRegionsAndSparseHits) {
  auto idx = IndexOf("evil.example\tx\n");
  std::string text;
  std::vector<std::uint64_t> want;
  for (int i = 1; i <= 40000; ++i) {
    if (i % 997 == 0 || i == 1 || i == 40000) {
      text += "q " + std::to_string(i) + " evil.example\n";
      want.push_back(static_cast<std::uint64_t>(i));
    } else {
      text += "nothing to see on line " + std::to_string(i) + " 10.1.2.3 host.example\n";
    }
  }
  ScanOptions opt;
  opt.chunk_bytes = 64 << 10;  // about 25 regions
  opt.max_hits_per_indicator = 1000;
  ScanRun r = ScanText(idx, text, opt);
  std::vector<std::uint64_t> got;
  for (const auto& h : r.hits) got.push_back(h.line);
  EXPECT_EQ(got, want);
  EXPECT_EQ(r.summary.records, 40000u);
}

// Found by fuzz_scan_text: every "p://" along one long URL started another URL to normalise, and
// their keys outgrew the region's key buffer (a use after free). Nested URLs still hit, a few
// per outer URL, and a line made of nothing but schemes stays cheap.
TEST(Scanner, NestedUrlsHitAndRepeatedSchemesStayBounded) {
  auto idx = IndexOf("evil.example/x\tinner\n");
  ScanRun r = ScanText(idx, "GET http://redirect.example/?u=http://evil.example/x ok\n");
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].value, "http://evil.example/x");
  std::string outer = "http://";
  while (outer.size() < 4000) outer += "a.b_p://";
  std::string text;
  for (int i = 0; i < 100; ++i) text += outer + " ";
  text += "\n";
  r = ScanText(idx, text);
  EXPECT_TRUE(r.hits.empty());
  // 100 outer URLs of ~500 schemes each: 9 URL probes per outer one, not 500.
  EXPECT_LE(r.summary.candidates, 100u * 9);
}

TEST(Scanner, IndicatorsUnderNonPublicTldsAreStillTokenised) {
  if (!SystemPsl()) GTEST_SKIP() << "public suffix list missing: apt-get install publicsuffix";
  auto idx = IndexOf("evil.corp\tinternal\nfiles.exe.com\tx\n", SystemPsl());
  ScanRun r = ScanText(idx, "host=db.EVIL.corp file=setup.exe other.corpx\n");
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].value, "db.EVIL.corp");
  EXPECT_EQ(r.hits[0].matched, "evil.corp");
}

TEST(Scanner, FormatDetection) {
  EXPECT_EQ(InputFormatName(InputFormat::kZeekTsv), "zeek-tsv");
  auto idx = IndexOf("evil.example\tx\n");
  // CSV and JSON lines are tokenised like text: quotes and commas are separators.
  ScanRun r = ScanText(idx, "a,b,c\n1,\"evil.example\",3\n");
  EXPECT_EQ(r.hits.size(), 1u);
  r = ScanText(idx, "{\"q\":\"evil.example\"}\n");
  EXPECT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].uid, "");
}

}  // namespace
}  // namespace entente::detect
