#include "entente/base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace entente::json {
namespace {

TEST(JsonDocument, ParsesAllKindsAndKeepsRawText) {
  std::string text =
      R"( {"a": [1, -2.5e3, true, false, null], "s": "x\u00e9\ud83d\ude00\n", "big": 123456789012345678901234567890} )";
  Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  Node root = doc.root();
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size(), 3u);
  Node a = root["a"];
  ASSERT_TRUE(a.is_array());
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(*a.at(0).as_int64(), 1);
  EXPECT_EQ(*a.at(1).as_double(), -2500.0);
  EXPECT_EQ(a.at(1).number_text(), "-2.5e3");
  EXPECT_TRUE(a.at(2).boolean());
  EXPECT_TRUE(a.at(4).is_null());
  EXPECT_TRUE(a.at(5).missing());
  EXPECT_EQ(root["s"].str(), "x\xC3\xA9\xF0\x9F\x98\x80\n");
  EXPECT_EQ(root["big"].number_text(), "123456789012345678901234567890");
  EXPECT_FALSE(root["big"].as_int64().has_value());
  EXPECT_EQ(a.raw(), "[1, -2.5e3, true, false, null]");
  EXPECT_TRUE(root["nope"].missing());
  EXPECT_TRUE(root["nope"]["deeper"].missing());
}

TEST(JsonDocument, IteratesInSourceOrder) {
  Document doc;
  ASSERT_TRUE(doc.Parse(R"({"z":1,"a":{"k":[1,2]},"m":"x"})").ok());
  std::string keys;
  for (auto [k, v] : doc.root()) keys += std::string(k) + ",";
  EXPECT_EQ(keys, "z,a,m,");
  int sum = 0;
  for (auto [k, v] : doc.root()["a"]["k"]) sum += static_cast<int>(*v.as_int64());
  EXPECT_EQ(sum, 3);
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the message
};

TEST(JsonDocument, RejectsBadInputWithPosition) {
  const BadCase cases[] = {
      {"", "expected a value"},
      {"{\"a\":1", "expected ',' or '}'"},
      {"{\"a\" 1}", "expected ':'"},
      {"[1,]", "expected a value"},
      {"[01]", "expected ',' or ']'"},
      {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
      {"\"\\ud800\"", "unpaired high surrogate"},
      {"\"\\udc00\"", "unpaired low surrogate"},
      {"\"a\tb\"", "control character"},
      {"\"\xC0\xAF\"", "invalid UTF-8"},
      {"\"\xED\xA0\x80\"", "invalid UTF-8"},
      {"\"\\x\"", "invalid escape"},
      {"tru", "invalid literal"},
      {"1 2", "unexpected content"},
      {"-", "number ends"},
      {"1.", "digit after '.'"},
      {"1e", "exponent"},
      {"{\"objects\":[{\"id\":\"x\"},{\"id\":}]}", "$.objects[1].id"},
      {"{\"a\":1}\n{", "line 2, column 1"},
  };
  for (const auto& c : cases) {
    Document doc;
    Status s = doc.Parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << c.text << " -> " << s.message();
  }
}

TEST(JsonDocument, EnforcesLimits) {
  ParseLimits limits;
  limits.max_depth = 64;
  std::string deep(100000, '[');
  Document doc;
  Status s = doc.Parse(deep, limits);
  EXPECT_EQ(s.code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(s.message().find("nesting"), std::string::npos);

  limits.max_string_bytes = 10;
  EXPECT_EQ(doc.Parse("\"01234567890\"", limits).code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(doc.Parse("\"0123456789\\n\"", limits).code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(doc.Parse("\"0123456789\"", limits).ok());

  limits.max_bytes = 4;
  EXPECT_EQ(doc.Parse("[1,2,3]", limits).code(), ErrorCode::kLimitExceeded);
  limits = ParseLimits{};
  limits.max_container_size = 2;
  EXPECT_EQ(doc.Parse("[1,2,3]", limits).code(), ErrorCode::kLimitExceeded);
}

TEST(JsonDocument, ManyKeysDuplicateDetectedBySortPath) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k57\":0}";
  Document doc;
  Status s = doc.Parse(text);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("duplicate key \"k57\""), std::string::npos);
}

// Objects of up to 64 members take the stack-filter path, larger ones the table path: a
// duplicate must be found whichever two positions it occupies, on both sides of that size.
TEST(JsonDocument, DuplicateKeyFoundAtEveryPairOfPositions) {
  Document doc;
  for (int n : {2, 3, 17, 63, 64, 65, 70}) {
    for (int first = 0; first < n; ++first) {
      for (int second = first + 1; second < n; ++second) {
        std::string text = "{";
        for (int i = 0; i < n; ++i) {
          if (i > 0) text += ',';
          int name = i == second ? first : i;
          text += "\"key_" + std::to_string(name) + "\":" + std::to_string(i);
        }
        text += "}";
        Status s = doc.Parse(text);
        ASSERT_FALSE(s.ok()) << n << " members, duplicate at " << first << " and " << second;
        EXPECT_NE(s.message().find("duplicate key \"key_" + std::to_string(first) + "\""),
                  std::string::npos)
            << s.message();
      }
    }
    // And the same keys all distinct are accepted.
    std::string text = "{";
    for (int i = 0; i < n; ++i) {
      if (i > 0) text += ',';
      text += "\"key_" + std::to_string(i) + "\":" + std::to_string(i);
    }
    text += "}";
    EXPECT_TRUE(doc.Parse(text).ok()) << n;
  }
}

TEST(JsonDocument, DuplicateKeyComparesDecodedBytesNotHashes) {
  Document doc;
  // Equal once decoded: one spelled with an escape.
  EXPECT_FALSE(doc.Parse(R"({"abc":1,"a\u0062c":2})").ok());
  EXPECT_FALSE(doc.Parse("{\"x\":0,\"\\u00e9\":1,\"y\":2,\"\xc3\xa9\":3}").ok());
  // Same length, first, middle and last bytes (so the same cheap hash) but different keys.
  ASSERT_TRUE(doc.Parse(R"({"aXbYc":1,"aZbYc":2,"aZbWc":3,"":4})").ok());
  EXPECT_EQ(doc.root().size(), 4u);
  EXPECT_EQ(doc.root()["aZbWc"].as_int64(), 3);
  EXPECT_EQ(doc.root()[""].as_int64(), 4);
  // The empty key twice is a duplicate too.
  EXPECT_FALSE(doc.Parse(R"({"":1,"b":2,"":3})").ok());
  // Up to 64 keys that all share one hash, then a duplicate of the first: 64 members take the
  // small-object path, 65 the table path.
  for (int distinct : {63, 64}) {
    std::string text = "{";
    for (int i = 0; i < distinct; ++i) {
      // Length 5, first 'k', middle 'm', last 'z': only bytes 1 and 3 differ.
      std::string key = "k";
      key += static_cast<char>('a' + i / 8);
      key += 'm';
      key += static_cast<char>('a' + i % 8);
      key += 'z';
      text += "\"" + key + "\":" + std::to_string(i) + ",";
    }
    std::string accepted = text.substr(0, text.size() - 1) + "}";
    EXPECT_TRUE(doc.Parse(accepted).ok()) << distinct;
    EXPECT_EQ(doc.root().size(), static_cast<std::size_t>(distinct));
    text += "\"kamaz\":0}";
    Status s = doc.Parse(text);
    ASSERT_FALSE(s.ok()) << distinct;
    EXPECT_NE(s.message().find("duplicate key \"kamaz\""), std::string::npos) << s.message();
  }
}

// The string scanner looks at 16 bytes at a time and finishes byte by byte near the end of the
// input: put each kind of special byte at every position of the first blocks, at several
// alignments of the string in the input, and with the input ending right after the string.
TEST(JsonDocument, StringScanFindsEverySpecialByteAtEveryPosition) {
  Document doc;
  std::string held;  // Parse refers to its text: keep it alive while the result is read
  auto parse = [&](std::string text, const ParseLimits& limits = {}) {
    held = std::move(text);
    return doc.Parse(held, limits);
  };
  for (std::size_t lead = 0; lead < 3; ++lead) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      const std::string before(pos, 'a');
      const std::string after(37 - pos % 37, 'b');
      auto text_of = [&](const std::string& middle) {
        return std::string(lead, ' ') + "\"" + before + middle + after + "\"";
      };
      std::string where = "lead " + std::to_string(lead) + ", position " + std::to_string(pos);

      // Terminating quote at pos (the string is just `before`).
      std::string text = std::string(lead, ' ') + "\"" + before + "\"";
      ASSERT_TRUE(doc.Parse(text).ok()) << where;
      EXPECT_EQ(doc.root().str(), before) << where;
      // Missing closing quote: the input ends inside the string.
      text = std::string(lead, ' ') + "\"" + before;
      Status s = doc.Parse(text);
      ASSERT_FALSE(s.ok()) << where;
      EXPECT_NE(s.message().find("unterminated string"), std::string::npos) << s.message();

      // Escapes decode.
      text = text_of("\\n\\\"\\u00e9/");
      ASSERT_TRUE(doc.Parse(text).ok()) << where;
      EXPECT_EQ(doc.root().str(), before + "\n\"\xc3\xa9/" + after) << where;
      // Escape after a multi-byte character.
      text = text_of("\xe2\x82\xac\\t");
      ASSERT_TRUE(doc.Parse(text).ok()) << where;
      EXPECT_EQ(doc.root().str(), before + "\xe2\x82\xac\t" + after) << where;

      // Control characters must be escaped (0x01, 0x1F, tab, newline, NUL); DEL need not be.
      for (char c : {'\x01', '\x1f', '\t', '\n', '\0'}) {
        s = parse(text_of(std::string(1, c)));
        ASSERT_FALSE(s.ok()) << where << " byte " << int(c);
        EXPECT_NE(s.message().find("control character"), std::string::npos) << s.message();
      }
      ASSERT_TRUE(parse(text_of("\x7f")).ok()) << where;

      // Valid UTF-8 of each length, possibly straddling a block boundary.
      for (const char* good : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\x80",
                               "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}) {
        ASSERT_TRUE(parse(text_of(good)).ok()) << where;
        EXPECT_EQ(doc.root().str(), before + good + after) << where;
      }
      // Invalid UTF-8: stray continuation, bad lead, overlong, surrogate, above U+10FFFF,
      // sequence cut by the closing quote, or by the end of the input.
      for (const char* bad :
           {"\x80", "\xff", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80",
            "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98"}) {
        s = parse(text_of(bad));
        ASSERT_FALSE(s.ok()) << where << " " << bad;
        EXPECT_NE(s.message().find("invalid UTF-8"), std::string::npos) << s.message();
        s = parse(std::string(lead, ' ') + "\"" + before + bad);
        ASSERT_FALSE(s.ok()) << where;
      }
    }
  }
}

TEST(JsonDocument, StringLimitHoldsWithAndWithoutEscapes) {
  Document doc;
  std::string held;
  auto parse = [&](std::string text, const ParseLimits& limits = {}) {
    held = std::move(text);
    return doc.Parse(held, limits);
  };
  ParseLimits limits;
  limits.max_string_bytes = 20;
  EXPECT_TRUE(parse("\"" + std::string(20, 'x') + "\"", limits).ok());
  EXPECT_EQ(parse("\"" + std::string(21, 'x') + "\"", limits).code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(parse("{\"" + std::string(21, 'k') + "\":1}", limits).code(),
            ErrorCode::kLimitExceeded);
  EXPECT_TRUE(parse("\"" + std::string(18, 'x') + "\\n\\t\"", limits).ok());
  EXPECT_EQ(parse("\"" + std::string(19, 'x') + "\\n\\t\"", limits).code(),
            ErrorCode::kLimitExceeded);
}

// The node table is storage kept across parses: a large document, then a small one, then a
// large one again must each read back exactly, and a moved-from Document is empty.
TEST(JsonDocument, NodeTableReuseAndMove) {
  auto array_text = [](int n) {
    std::string t = "[";
    for (int i = 0; i < n; ++i)
      t += (i ? "," : "") + std::string("{\"v\":") + std::to_string(i) + "}";
    return t + "]";
  };
  Document doc;
  const std::string big = array_text(5000), small = array_text(3), bigger = array_text(9000);
  ASSERT_TRUE(doc.Parse(big).ok());
  EXPECT_EQ(doc.root().size(), 5000u);
  EXPECT_EQ(doc.root().at(4999)["v"].as_int64(), 4999);
  ASSERT_TRUE(doc.Parse(small).ok());
  EXPECT_EQ(doc.root().size(), 3u);
  EXPECT_TRUE(doc.root().at(3).missing());
  std::size_t count = 0;
  for (auto [k, v] : doc.root()) count += v["v"].as_int64() == static_cast<std::int64_t>(count);
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(doc.root().raw(), small);
  ASSERT_TRUE(doc.Parse(bigger).ok());
  EXPECT_EQ(doc.root().at(8999)["v"].as_int64(), 8999);
  EXPECT_FALSE(doc.Parse("[1,2,").ok());
  EXPECT_TRUE(doc.root().missing());
  ASSERT_TRUE(doc.Parse(small).ok());

  Document moved(std::move(doc));
  EXPECT_EQ(moved.root().size(), 3u);
  EXPECT_TRUE(doc.root().missing());  // NOLINT(bugprone-use-after-move): documented state
  Document assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.root().at(2)["v"].as_int64(), 2);
  EXPECT_TRUE(moved.root().missing());  // NOLINT(bugprone-use-after-move)
  ASSERT_TRUE(doc.Parse(big).ok());     // a moved-from Document parses again
  EXPECT_EQ(doc.root().size(), 5000u);
}

TEST(JsonDocument, ReuseAfterFailureIsClean) {
  Document doc;
  EXPECT_FALSE(doc.Parse("[1,").ok());
  EXPECT_TRUE(doc.root().missing());
  ASSERT_TRUE(doc.Parse("{\"x\":\"a\\\"b\"}").ok());
  EXPECT_EQ(doc.root()["x"].str(), "a\"b");
}

TEST(JsonValue, BuildSerializeParseRoundTrip) {
  Value v = Value::MakeObject();
  v.set("type", "indicator");
  v.set("n", 42);
  v.set("f", 0.5);
  v.set("ok", true);
  Value& list = v.set("labels", Value::MakeArray());
  list.push_back("a\"b\\c\x01");
  list.push_back(Value());
  std::string text = v.Serialize();
  EXPECT_EQ(text,
            R"({"type":"indicator","n":42,"f":0.5,"ok":true,"labels":["a\"b\\c\u0001",null]})");
  auto back = Value::Parse(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  v.set("n", 43);
  EXPECT_NE(*back, v);
  EXPECT_TRUE(v.erase("n"));
  EXPECT_FALSE(v.erase("n"));
}

TEST(JsonValue, EqualityIsByMeaning) {
  EXPECT_EQ(*Value::Parse(R"({"a":1.0,"b":[1e2]})"), *Value::Parse(R"({"b":[100],"a":1})"));
  EXPECT_NE(*Value::Parse(R"({"a":1})"), *Value::Parse(R"({"a":"1"})"));
  EXPECT_NE(*Value::Parse("[1,2]"), *Value::Parse("[2,1]"));
  // Integers beyond double precision stay distinct.
  EXPECT_NE(*Value::Parse("9007199254740993"), *Value::Parse("9007199254740992"));
}

TEST(JsonValue, PrettyIsParseable) {
  auto v = *Value::Parse(R"({"a":[1,{"b":null}],"c":{}})");
  EXPECT_EQ(*Value::Parse(v.Pretty()), v);
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
}

}  // namespace
}  // namespace entente::json
