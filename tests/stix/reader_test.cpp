#include "entente/stix/reader.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace entente::stix {
namespace {

// Each object's text, with the byte offset the reader reports for it.
std::vector<std::string> Drain(ObjectReader& reader, Status* error) {
  std::vector<std::string> out;
  std::string_view obj;
  SourceLocation where;
  for (;;) {
    auto r = reader.Next(&obj, &where);
    if (!r.ok()) {
      *error = r.status();
      break;
    }
    if (!*r) break;
    out.emplace_back(std::to_string(where.offset) + ":" + std::string(obj));
  }
  return out;
}

// Reads `text` both ways, in place and streamed in chunks, and expects the same objects and
// the same outcome from each.
std::vector<std::string> ReadAll(std::string_view text, ReaderLimits limits = {},
                                 Status* error = nullptr) {
  ObjectReader in_place = ObjectReader::FromText(text, limits);
  Status in_place_error;
  std::vector<std::string> found = Drain(in_place, &in_place_error);
  ObjectReader streamed = ObjectReader::FromTextStreamed(text, limits);
  Status streamed_error;
  EXPECT_TRUE(Drain(streamed, &streamed_error) == found) << "in place and streamed differ";
  EXPECT_EQ(streamed_error.code(), in_place_error.code())
      << "in place: " << in_place_error.ToString() << "; streamed: " << streamed_error.ToString();
  if (error) *error = in_place_error;
  std::vector<std::string> out;
  for (const std::string& f : found) out.push_back(f.substr(f.find(':') + 1));
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
    // chunk 0: the text read in place (FromText); otherwise streamed in chunks of that size.
    for (std::size_t chunk :
         {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{1} << 20}) {
      ReaderLimits limits;
      if (chunk > 0) limits.read_chunk = chunk;
      ObjectReader reader = chunk == 0 ? ObjectReader::FromText(bundle, limits)
                                       : ObjectReader::FromTextStreamed(bundle, limits);
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
    for (bool in_place : {true, false}) {
      ObjectReader reader = in_place ? ObjectReader::FromText(truncated)
                                     : ObjectReader::FromTextStreamed(truncated, {});
      std::string_view text;
      auto more = reader.Next(&text);
      EXPECT_FALSE(more.ok() && *more) << "pos " << pos << (in_place ? " in place" : " streamed");
    }
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

// Past 1 MiB the streaming reader drops the bytes it has yielded (compaction); the objects
// after that point must still come out exact, as they do when the text is read in place.
TEST(ObjectReader, LongStreamsCompactAndStayExact) {
  std::string text = R"({"type":"bundle","objects":[)";
  for (int i = 0; i < 40000; ++i) {
    text += std::string(i ? "," : "") + R"({"type":"note","id":"note--)" + std::to_string(i) +
            R"(","content":")" + std::string(static_cast<std::size_t>(i % 97), 'c') + "\"}";
  }
  text += "]}";
  ASSERT_GT(text.size(), std::size_t{3} << 20);
  for (std::size_t chunk : {std::size_t{4096}, std::size_t{65536}, std::size_t{1} << 20}) {
    ReaderLimits limits;
    limits.read_chunk = chunk;
    Status s;
    auto objs = ReadAll(text, limits, &s);  // compares in place with streamed
    EXPECT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(objs.size(), 40000u) << "chunk " << chunk;
    EXPECT_NE(objs.back().find(R"("id":"note--39999")"), std::string::npos) << chunk;
  }
  // An object that straddles the end of what is in hand right after a compaction.
  const std::string a = R"({"id":"a","s":")" + std::string(1536 << 10, 'x') + "\"}";
  const std::string b = R"({"id":"b","s":")" + std::string(1 << 20, 'y') + "\"}";
  std::string two = R"({"type":"bundle","objects":[)" + a + "," + b + "]}";
  ReaderLimits limits;
  limits.read_chunk = 1 << 20;
  Status s;
  auto objs = ReadAll(two, limits, &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[1], b);
}

// The limit holds whether the object arrives in pieces or is in hand at once (FromText, or a
// read chunk larger than the object): exactly at the limit passes, one byte over fails.
TEST(ObjectReader, ObjectSizeLimitIsExactInEveryMode) {
  for (bool in_bundle : {false, true}) {
    for (std::size_t extra : {std::size_t{0}, std::size_t{1}}) {
      const std::string head = R"({"id":"a","s":")";
      const std::string object = head + std::string(1000 - head.size() - 2 + extra, 'x') + "\"}";
      ASSERT_EQ(object.size(), 1000 + extra);
      std::string text = in_bundle ? R"({"type":"bundle","objects":[)" + object + "]}" : object;
      ReaderLimits limits;
      limits.max_object_bytes = 1000;
      Status s;
      auto objs = ReadAll(text, limits, &s);
      if (extra == 0) {
        EXPECT_TRUE(s.ok()) << s.ToString() << (in_bundle ? " in a bundle" : "");
        EXPECT_EQ(objs.size(), 1u);
      } else {
        EXPECT_EQ(s.code(), ErrorCode::kLimitExceeded) << s.ToString();
        EXPECT_TRUE(objs.empty());
      }
    }
  }
  Status s;
  ReadAll(R"({"type":"bundle","objects":[],"n":)" + std::string(5000, '1') + "}", {}, &s);
  EXPECT_NE(s.message().find("bare value longer than 4096"), std::string::npos) << s.ToString();
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
