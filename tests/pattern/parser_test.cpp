// The pattern parser and canonical printer: the real corpus, every construct of the grammar,
// positioned errors and limits.
#include <gtest/gtest.h>

#include <string>

#include "entente/base/json.h"
#include "entente/pattern/ast.h"
#include "test_data.h"

namespace entente::pattern {
namespace {

Pattern MustParse(std::string_view text) {
  auto p = Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().ToString();
  return p.ok() ? std::move(p).value() : Pattern{};
}

std::string ErrorOf(std::string_view text) {
  auto p = Parse(text);
  EXPECT_FALSE(p.ok()) << text << " parsed but should not";
  return p.ok() ? "" : p.status().message();
}

void ExpectRoundTrip(std::string_view text) {
  Pattern a = MustParse(text);
  std::string canonical = ToString(a);
  auto b = Parse(canonical);
  ASSERT_TRUE(b.ok()) << canonical << ": " << b.status().ToString();
  EXPECT_EQ(a, *b) << text << " -> " << canonical;
  EXPECT_EQ(canonical, ToString(*b));
}

TEST(PatternCorpus, All213RealPatternsParseAndRoundTrip) {
  std::string text = testing::ReadData("stix/pattern-corpus-real.json");
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  json::Node list = doc.root()["patterns"];
  ASSERT_EQ(list.size(), 213u);
  std::size_t parsed = 0;
  for (auto [key, entry] : list) {
    std::string pattern(entry["pattern"].str());
    auto p = Parse(pattern);
    EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().ToString();
    if (!p.ok()) continue;
    ++parsed;
    std::string canonical = ToString(*p);
    auto again = Parse(canonical);
    ASSERT_TRUE(again.ok()) << canonical;
    EXPECT_EQ(*p, *again) << pattern;
  }
  EXPECT_EQ(parsed, 213u);
}

TEST(PatternParser, TreeShapeAndPrecedence) {
  // Inside [ ]: AND binds tighter than OR.
  Pattern p = MustParse("[a:x = 1 OR a:y = 2 AND a:z = 3]");
  ASSERT_EQ(p.root.kind, ObservationExpr::Kind::kSimple);
  const auto& c = p.root.comparison;
  ASSERT_EQ(c.kind, ComparisonExpr::Kind::kOr);
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_EQ(c.children[1].kind, ComparisonExpr::Kind::kAnd);

  // Between observation expressions: FOLLOWEDBY < OR < AND.
  Pattern q = MustParse("[a:x = 1] FOLLOWEDBY [a:x = 2] OR [a:x = 3] AND [a:x = 4]");
  ASSERT_EQ(q.root.kind, ObservationExpr::Kind::kFollowedBy);
  ASSERT_EQ(q.root.children.size(), 2u);
  EXPECT_EQ(q.root.children[1].kind, ObservationExpr::Kind::kOr);
  EXPECT_EQ(q.root.children[1].children[1].kind, ObservationExpr::Kind::kAnd);

  // Qualifiers are postfix on one observation expression and chain.
  Pattern r = MustParse("[a:x = 1] AND [a:y = 2] WITHIN 5 SECONDS REPEATS 3 TIMES");
  ASSERT_EQ(r.root.kind, ObservationExpr::Kind::kAnd);
  const auto& rep = r.root.children[1];
  ASSERT_EQ(rep.kind, ObservationExpr::Kind::kRepeats);
  EXPECT_EQ(rep.repeats, 3);
  ASSERT_EQ(rep.children[0].kind, ObservationExpr::Kind::kWithin);
  EXPECT_EQ(rep.children[0].within_seconds, 5);

  Pattern s = MustParse("([a:x = 1] AND [a:y = 2]) WITHIN 2.5 SECONDS");
  ASSERT_EQ(s.root.kind, ObservationExpr::Kind::kWithin);
  EXPECT_DOUBLE_EQ(s.root.within_seconds, 2.5);
  EXPECT_EQ(s.root.children[0].kind, ObservationExpr::Kind::kAnd);
  EXPECT_EQ(ToString(s), "([a:x = 1] AND [a:y = 2]) WITHIN 2.5 SECONDS");
}

TEST(PatternParser, EveryOperator) {
  struct Case {
    const char* text;
    CompareOp op;
    bool negated;
  };
  const Case cases[] = {
      {"[file:name = 'a']", CompareOp::kEqual, false},
      {"[file:name == 'a']", CompareOp::kEqual, false},
      {"[file:name != 'a']", CompareOp::kNotEqual, false},
      {"[file:name <> 'a']", CompareOp::kNotEqual, false},
      {"[file:size < 5]", CompareOp::kLess, false},
      {"[file:size <= 5]", CompareOp::kLessEqual, false},
      {"[file:size > 5]", CompareOp::kGreater, false},
      {"[file:size >= 5]", CompareOp::kGreaterEqual, false},
      {"[file:size NOT > 5]", CompareOp::kGreater, true},
      {"[file:name IN ('a', 'b')]", CompareOp::kIn, false},
      {"[file:name NOT IN ('a')]", CompareOp::kIn, true},
      {"[file:name LIKE 'a%']", CompareOp::kLike, false},
      {"[file:name NOT LIKE 'a_']", CompareOp::kLike, true},
      {"[file:name MATCHES '^a.*$']", CompareOp::kMatches, false},
      {"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", CompareOp::kIsSubset, false},
      {"[ipv4-addr:value ISSUPERSET '10.1.2.3']", CompareOp::kIsSuperset, false},
      {"[EXISTS file:name]", CompareOp::kExists, false},
      {"[NOT EXISTS file:name]", CompareOp::kExists, true},
      {"[file:name NOT = 'a']", CompareOp::kEqual, true},
  };
  for (const auto& c : cases) {
    Pattern p = MustParse(c.text);
    ASSERT_EQ(p.root.comparison.kind, ComparisonExpr::Kind::kLeaf) << c.text;
    EXPECT_EQ(p.root.comparison.leaf.op, c.op) << c.text;
    EXPECT_EQ(p.root.comparison.leaf.negated, c.negated) << c.text;
    ExpectRoundTrip(c.text);
  }
  EXPECT_EQ(ToString(MustParse("[file:name == 'a']")), "[file:name = 'a']");
  EXPECT_EQ(ToString(MustParse("[file:name <> 'a']")), "[file:name != 'a']");
  EXPECT_EQ(MustParse("[file:name IN ()]").root.comparison.leaf.values.size(), 0u);
}

TEST(PatternParser, Literals) {
  auto value = [](std::string_view text) {
    return MustParse(text).root.comparison.leaf.values.at(0);
  };
  Literal s = value(R"([file:name = 'it\'s a \\ path'])");
  EXPECT_EQ(s.kind, Literal::Kind::kString);
  EXPECT_EQ(s.text, "it's a \\ path");
  EXPECT_EQ(value("[file:size = -42]").integer, -42);
  EXPECT_EQ(value("[file:size = +42]").integer, 42);
  EXPECT_EQ(value("[file:size = 0]").integer, 0);
  EXPECT_DOUBLE_EQ(value("[file:x = -.5]").real, -0.5);
  EXPECT_DOUBLE_EQ(value("[file:x = 3.25]").real, 3.25);
  EXPECT_TRUE(value("[file:x = true]").boolean);
  EXPECT_EQ(value("[file:x = false]").kind, Literal::Kind::kBool);
  Literal h = value("[artifact:payload_bin = h'00ff41']");
  EXPECT_EQ(h.kind, Literal::Kind::kHex);
  EXPECT_EQ(h.text, std::string("\x00\xff\x41", 3));
  EXPECT_EQ(value("[artifact:x = h'']").text, "");
  Literal b = value("[artifact:payload_bin = b'aGVsbG8=']");
  EXPECT_EQ(b.kind, Literal::Kind::kBinary);
  EXPECT_EQ(b.text, "hello");
  Literal t = value("[file:created = t'2016-11-30T15:02:37.123Z']");
  EXPECT_EQ(t.kind, Literal::Kind::kTimestamp);
  EXPECT_EQ(FormatTimestamp(t.timestamp, 3), "2016-11-30T15:02:37.123Z");
  // The grammar allows any number of fraction digits; the value keeps nanoseconds.
  Literal fine = value("[file:created = t'2016-11-30T15:02:37.1234567891234Z']");
  EXPECT_EQ(FormatTimestamp(fine.timestamp, 9), "2016-11-30T15:02:37.123456789Z");
  EXPECT_EQ(fine.text, "2016-11-30T15:02:37.1234567891234Z");
  for (const char* text :
       {R"([file:name = 'it\'s a \\ path'])", "[file:size = -42]", "[file:x = -.5]",
        "[artifact:payload_bin = h'00ff41']", "[artifact:payload_bin = b'aGVsbG8=']",
        "[file:created = t'2016-11-30T15:02:37.123Z']", "[file:x IN (1, 'a', true, 2.5)]"}) {
    ExpectRoundTrip(text);
  }
}

TEST(PatternParser, ObjectPaths) {
  Pattern p = MustParse(
      "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'x']");
  const ObjectPath& path = p.root.comparison.leaf.path;
  EXPECT_EQ(path.type, "network-traffic");
  ASSERT_EQ(path.steps.size(), 4u);
  EXPECT_EQ(path.steps[1].key, "http-request-ext");
  EXPECT_EQ(path.steps[3].key, "User-Agent");
  EXPECT_EQ(path.ToString(),
            "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'");

  Pattern q = MustParse("[email-message:body_multipart[*].body_raw_ref.hashes.'SHA-256' = 'x']");
  const auto& s = q.root.comparison.leaf.path.steps;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[1].kind, PathStep::Kind::kAnyIndex);
  EXPECT_EQ(s[2].key, "body_raw_ref");

  Pattern r = MustParse("[x-custom-thing:list[-1].'AND' = 1]");
  const auto& rs = r.root.comparison.leaf.path.steps;
  EXPECT_EQ(rs[1].index, -1);
  EXPECT_EQ(r.root.comparison.leaf.path.ToString(), "x-custom-thing:list[-1].'AND'");
  ExpectRoundTrip("[x-custom-thing:list[-1].'AND' = 1]");
  // A quoted first component is allowed by the grammar.
  EXPECT_EQ(MustParse("[file:'name' = 'a']").root.comparison.leaf.path.steps[0].key, "name");
}

TEST(PatternParser, SpecExamples) {
  // Examples from STIX 2.1 part 9 (patterning).
  const char* examples[] = {
      "[file:hashes.'SHA-256' = "
      "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
      "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
      "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' "
      "AND file:mime_type = 'application/x-pdf']",
      "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' "
      "OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = "
      "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
      "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] WITHIN 300 SECONDS",
      "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
      "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
      "user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND "
      "[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND "
      "user-account:account_login = 'Mary']",
      "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
      "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
      "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
      "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
      "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
      "'203.0.113.33/32']",
      "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
      "'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
      "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
      "'198.51.100.1/32']",
      "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
      "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
      "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
      "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
      "windows-registry-key:key = "
      "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
      "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = "
      "t'2014-01-13T07:03:17Z']",
      "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
      "'Conference Info']",
      "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
      "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
      "FOLLOWEDBY [process:command_line MATCHES "
      "'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
      "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
      "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) "
      "OR [process:name = 'fooproc' OR process:name = 'procfoo']",
      "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] START t'2016-06-01T00:00:00Z' STOP "
      "t'2016-07-01T00:00:00Z'",
  };
  for (const char* e : examples) ExpectRoundTrip(e);
}

TEST(PatternParser, WhitespaceAndComments) {
  Pattern a = MustParse("[file:name='a'AND file:size>3]");
  Pattern b =
      MustParse("  [ file:name = 'a' /* comment */ AND\n\tfile:size > 3 ] // trailing comment");
  EXPECT_EQ(a, b);
  Pattern c = MustParse("[file:name\xc2\xa0=\xe3\x80\x80'a' AND file:size > 3]");  // U+00A0, U+3000
  EXPECT_EQ(a, c);
}

struct BadCase {
  const char* text;
  const char* message;  // exact error message
};

TEST(PatternParser, ErrorsNameColumnAndExpectation) {
  const BadCase cases[] = {
      {"[file:name = 'a' AND file:size > 3 AND]",
       "column 39: expected an object path (type:property), e.g. file:name, found ']'"},
      {"[file:name = 'a'",
       "column 17: expected ']' to close the observation expression opened "
       "at column 1, found the end of the pattern"},
      {"[file:name = 'a') AND [b:c = 1]",
       "column 17: expected ']' to close the observation expression opened at column 1, found "
       "')'"},
      {"[file:name = 'a'] AND",
       "column 22: expected '[' to start an observation expression or "
       "'(', found the end of the pattern"},
      {"[file:name 'a']",
       "column 12: expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, "
       "ISSUBSET, ISSUPERSET) after the object path, found ''a''"},
      {"[file:name = 'a", "column 14: unterminated quoted literal"},
      {R"([file:name = 'a\n'])",
       "column 16: invalid escape in string: only \\' and \\\\ are allowed"},
      {"[file = 'a']", "column 7: expected ':' after the object type 'file', found '='"},
      {"[file:size > true]",
       "column 14: expected an orderable literal (number, string, binary or "
       "timestamp), found 'true'"},
      {"[file:name LIKE 5]", "column 17: expected a string literal after LIKE, found '5'"},
      {"[file:x = h'abc']", "column 11: h'..' needs an even number of hex digits"},
      {"[file:x = b'abc']",
       "column 11: b'..' needs padded base64 (a multiple of 4 characters, at least 4)"},
      {"[file:x = t'2016-02-30T00:00:00Z']",
       "column 11: invalid timestamp t'2016-02-30T00:00:00Z' (expected "
       "YYYY-MM-DDTHH:MM:SS[.fraction]Z, a real UTC date)"},
      {"[file:x = 1] REPEATS 0 TIMES",
       "column 22: expected a positive integer after REPEATS, "
       "found '0'"},
      {"[file:x = 1] WITHIN 5",
       "column 22: expected SECONDS after the WITHIN number, found the "
       "end of the pattern"},
      {"[file:x = 1] START t'2020-01-01T00:00:00Z' STOP t'2019-01-01T00:00:00Z'",
       "column 49: STOP must be later than START"},
      {"[file:x = 007]", "column 11: integers may not have leading zeros"},
      {"[file:x = 99999999999999999999]", "column 11: integer out of range (64-bit signed)"},
      {"[file:x-y = 1]", "column 7: property names may not contain '-' unless quoted, e.g. 'x-y'"},
      {"[file:x = 1] and [file:y = 2]",
       "column 14: expected AND, OR, FOLLOWEDBY or a qualifier (WITHIN, REPEATS, START), found "
       "'and'"},
      {"[file:x = 1] /* open", "column 14: unterminated comment"},
      {"[file:x = 1] # x", "column 14: unexpected character '#'"},
      {"[file:x[a] = 1]",
       "column 9: expected a list index (an integer or '*') after '[', found "
       "'a'"},
      {"",
       "column 1: expected '[' to start an observation expression or '(', found the end of "
       "the pattern"},
      {"[f\xc3\xa9:x = 1] ]", "column 3: unexpected character '\xc3\xa9'"},
      {"[file:x = 1] \xff", "column 14: the pattern is not valid UTF-8"},
      {"[NOT file:x = 1]", "column 6: expected EXISTS after a leading NOT, found 'file'"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ErrorOf(c.text), c.message) << c.text;
  }
}

TEST(PatternParser, Limits) {
  std::string deep(100, '(');
  deep += "[a:b = 1]";
  deep += std::string(100, ')');
  auto p = Parse(deep);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(p.status().message().find("nesting deeper than 64"), std::string::npos);

  std::string wide = "[a:b = 1";
  for (int i = 0; i < 20000; ++i) wide += " OR a:b = 1";
  wide += "]";
  auto q = Parse(wide);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), ErrorCode::kLimitExceeded);

  ParseLimits small;
  small.max_length = 10;
  auto r = Parse("[file:name = 'abcdef']", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLimitExceeded);

  // Within limits, deep nesting is fine.
  std::string ok(60, '(');
  ok += "[a:b = 1]";
  ok += std::string(60, ')');
  EXPECT_TRUE(Parse(ok).ok());
}

TEST(PatternPrinter, ParenthesesOnlyWhereNeeded) {
  EXPECT_EQ(ToString(MustParse("[(a:x = 1 OR a:y = 2) AND a:z = 3]")),
            "[(a:x = 1 OR a:y = 2) AND a:z = 3]");
  EXPECT_EQ(ToString(MustParse("[(a:x = 1 AND a:y = 2) OR a:z = 3]")),
            "[a:x = 1 AND a:y = 2 OR a:z = 3]");
  EXPECT_EQ(ToString(MustParse("(([a:x = 1]))")), "[a:x = 1]");
  EXPECT_EQ(ToString(MustParse("([a:x = 1] FOLLOWEDBY [a:y = 1]) OR [a:z = 1]")),
            "([a:x = 1] FOLLOWEDBY [a:y = 1]) OR [a:z = 1]");
  ExpectRoundTrip("[a:x = 1] AND ([a:y = 1] AND [a:z = 1])");
  ExpectRoundTrip("([a:x = 1] REPEATS 2 TIMES) WITHIN 10 SECONDS");
  ExpectRoundTrip("[a:x = 1 AND (a:y = 2 AND a:z = 3)]");
}

}  // namespace
}  // namespace entente::pattern
