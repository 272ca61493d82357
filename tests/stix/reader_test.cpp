#include "entente/stix/reader.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace entente::stix {
namespace {

std::vector<std::string> ReadAll(std::string_view text, ReaderLimits limits = {},
                                 Status* error = nullptr) {
  ObjectReader reader = ObjectReader::FromText(text, limits);
  std::vector<std::string> out;
  std::string_view obj;
  for (;;) {
    auto r = reader.Next(&obj);
    if (!r.ok()) {
      if (error) *error = r.status();
      break;
    }
    if (!*r) break;
    out.emplace_back(obj);
  }
  return out;
}

TEST(ObjectReader, BundleObjectsStreamInOrderWithExactText) {
  std::string text =
      R"({"type":"bundle","id":"bundle--x","objects":[ {"id":"a","x":[1,{"y":"]"}]} ,{"id":"b","s":"\"}"}],"extra":{"k":[]}})";
  auto objs = ReadAll(text);
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0], R"({"id":"a","x":[1,{"y":"]"}]})");
  EXPECT_EQ(objs[1], R"({"id":"b","s":"\"}"})");
}

TEST(ObjectReader, SingleObjectArrayAndJsonLines) {
  EXPECT_EQ(ReadAll(R"({"type":"indicator","id":"i"})").size(), 1u);
  EXPECT_EQ(ReadAll(R"([{"id":"a"},{"id":"b"},{"type":"bundle","objects":[{"id":"c"}]}])").size(),
            3u);
  auto lines = ReadAll(
      "{\"id\":\"a\"}\n{\"type\":\"bundle\",\"objects\":[{\"id\":\"b\"},{\"id\":\"c\"}]}\n\n{"
      "\"id\":\"d\"}\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3], R"({"id":"d"})");
  // observed-data (2.0) has an "objects" dictionary, not a bundle's list.
  auto od = ReadAll(R"({"type":"observed-data","objects":{"0":{"type":"file"}}})");
  ASSERT_EQ(od.size(), 1u);
  // A non-bundle whose type comes first is never mistaken for a bundle.
  EXPECT_EQ(ReadAll(R"({"type":"x-list","objects":[{"a":1}]})").size(), 1u);
}

TEST(ObjectReader, SmallChunksGiveSameResult) {
  std::string text =
      ReadFileOrDie(DataPath("stix/stix2-json-schemas/examples/threat-reports/apt1.json"));
  ReaderLimits small;
  small.read_chunk = 7;
  auto a = ReadAll(text);
  auto b = ReadAll(text, small);
  ASSERT_GT(a.size(), 20u);
  EXPECT_EQ(a, b);
}

// The reader finds quotes and brackets 16 bytes at a time: put brackets, escaped quotes and
// backslashes inside strings at every position of a block, and read with chunk sizes that
// cut the input at every place, to check each object comes out whole and exact.
TEST(ObjectReader, BracketsAndEscapesInsideStringsAtEveryPosition) {
  for (std::size_t pos = 0; pos < 34; ++pos) {
    const std::string pad(pos, 'a');
    std::vector<std::string> objects = {
        "{\"type\":\"note\",\"x\":\"" + pad + "}]{[\"}",
        "{\"type\":\"note\",\"x\":\"" + pad + "\\\"}\\\\\",\"y\":[{\"z\":\"]\"}]}",
        "{\"" + pad + "\\\\\":{\"a\":[[],{}]},\"b\":\"\\\\\\\"]\"}",
    };
    std::string bundle = "{\"type\":\"bundle\",\"objects\":[";
    for (std::size_t k = 0; k < objects.size(); ++k) bundle += (k ? "," : "") + objects[k];
    bundle += "]}";
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{1} << 20}) {
      ReaderLimits limits;
      limits.read_chunk = chunk;
      auto reader = ObjectReader::FromText(bundle, limits);
      std::string_view text;
      for (const std::string& expected : objects) {
        auto more = reader.Next(&text);
        ASSERT_TRUE(more.ok()) << more.status().ToString() << " pos " << pos << " chunk " << chunk;
        ASSERT_TRUE(*more);
        EXPECT_EQ(text, expected) << "pos " << pos << " chunk " << chunk;
      }
      auto more = reader.Next(&text);
      ASSERT_TRUE(more.ok());
      EXPECT_FALSE(*more);
    }
    // An unterminated string inside an object is reported, not run past.
    std::string truncated = "{\"type\":\"bundle\",\"objects\":[{\"x\":\"" + pad + "\\\"}]}";
    auto reader = ObjectReader::FromText(truncated);
    std::string_view text;
    auto more = reader.Next(&text);
    EXPECT_FALSE(more.ok() && *more) << "pos " << pos;
  }
}

TEST(ObjectReader, TruncatedAndMalformedInputFailWithOffset) {
  Status s;
  auto objs = ReadAll(R"({"type":"bundle","objects":[{"id":"a"},{"id":"b")", {}, &s);
  EXPECT_EQ(objs.size(), 1u);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  s = Status();
  ReadAll(R"({"type":"bundle","objects":[{"id":"a"} {"id":"b"}]})", {}, &s);
  EXPECT_NE(s.message().find("expected ',' or ']'"), std::string::npos) << s.message();
  s = Status();
  ReadAll("42", {}, &s);
  EXPECT_NE(s.message().find("byte 0"), std::string::npos) << s.message();
}

TEST(ObjectReader, ObjectSizeLimitBoundsMemory) {
  ReaderLimits limits;
  limits.max_object_bytes = 1000;
  limits.read_chunk = 64;
  std::string big =
      R"({"type":"bundle","objects":[{"id":"a","s":")" + std::string(5000, 'x') + R"("}]})";
  Status s;
  ReadAll(big, limits, &s);
  EXPECT_EQ(s.code(), ErrorCode::kLimitExceeded) << s.ToString();
  // Many small objects in one big bundle are fine under the same limit.
  std::string many = R"({"type":"bundle","objects":[)";
  for (int i = 0; i < 5000; ++i)
    many += std::string(i ? "," : "") + R"({"id":"o)" + std::to_string(i) + "\"}";
  many += "]}";
  s = Status();
  EXPECT_EQ(ReadAll(many, limits, &s).size(), 5000u);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(ObjectReader, MaxObjects) {
  ReaderLimits limits;
  limits.max_objects = 2;
  Status s;
  EXPECT_EQ(ReadAll(R"([{"a":1},{"a":2},{"a":3}])", limits, &s).size(), 2u);
  EXPECT_EQ(s.code(), ErrorCode::kLimitExceeded);
}

TEST(ObjectReader, LocationNamesBundleIndex) {
  ObjectReader reader = ObjectReader::FromText(R"({"objects":[{"a":1},{"b":2}]})");
  std::string_view obj;
  SourceLocation where;
  ASSERT_TRUE(*reader.Next(&obj, &where));
  ASSERT_TRUE(*reader.Next(&obj, &where));
  EXPECT_EQ(where.ToString(), "objects[1] at byte 20");
}

}  // namespace
}  // namespace entente::stix
