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
