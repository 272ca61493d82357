#include "entente/base/time.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace entente {
namespace {

TEST(Timestamp, ParsesStixForms) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z")->nanos, 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:01.5Z")->nanos, 1'500'000'000);
  EXPECT_EQ(ParseTimestamp("2016-05-12T08:17:27.000Z")->seconds(), 1463041047);
  EXPECT_EQ(ParseTimestamp("2000-02-29T23:59:59.123456789Z")->nanos % 1'000'000'000, 123456789);
  // Leap second folds into the next second.
  EXPECT_EQ(ParseTimestamp("2016-12-31T23:59:60Z")->seconds(),
            ParseTimestamp("2017-01-01T00:00:00Z")->seconds());
}

TEST(Timestamp, RejectsWhatStixForbids) {
  for (const char* bad :
       {"2016-05-12T08:17:27", "2016-05-12 08:17:27Z", "2016-05-12T08:17:27+01:00",
        "2016-13-01T00:00:00Z", "2019-02-29T00:00:00Z", "2016-05-12T24:00:00Z",
        "2016-05-12T08:17:27.Z", "2016-05-12T08:17:27.1234567890Z", "", "9999-01-01T00:00:00Z",
        "2016-5-12T08:17:27Z"}) {
    EXPECT_FALSE(IsValidTimestamp(bad)) << bad;
    auto r = ParseTimestamp(bad, "indicator valid_from");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("indicator valid_from"), std::string::npos);
  }
}

TEST(Timestamp, TryParseAgreesWithParse) {
  for (const char* text :
       {"1970-01-01T00:00:00Z", "2016-05-12T08:17:27.000Z", "2000-02-29T23:59:59.123456789Z",
        "2016-12-31T23:59:60Z", "1678-01-01T00:00:00Z", "2261-12-31T23:59:59.9Z",
        "2016-05-12T08:17:27", "2016-13-01T00:00:00Z", "2019-02-29T00:00:00Z",
        "2016-05-12T08:17:27.Z", "2016-05-12T08:17:27.1234567890Z", "", "9999-01-01T00:00:00Z",
        "2016-05-12T08:17:27.5z", "2016-05-12T08:17:27Zx"}) {
    Timestamp t{-42};
    auto parsed = ParseTimestamp(text);
    EXPECT_EQ(TryParseTimestamp(text, &t), parsed.ok()) << text;
    EXPECT_EQ(IsValidTimestamp(text), parsed.ok()) << text;
    if (parsed.ok()) {
      EXPECT_EQ(t, *parsed) << text;
    } else {
      EXPECT_EQ(t.nanos, -42) << text << ": left unchanged on failure";
    }
  }
}

// The fixed part YYYY-MM-DDTHH:MM:SS is checked in one pass: every byte that does not belong at
// each position must be refused there, and every field must be read from its own digits.
TEST(Timestamp, EveryPositionOfTheFixedPartIsChecked) {
  const std::string good = "2024-02-29T13:14:15.123Z";
  const std::string layout = "DDDD-DD-DDTDD:DD:DD";
  for (std::size_t i = 0; i < layout.size(); ++i) {
    for (int c = 0; c < 256; ++c) {
      std::string t = good;
      t[i] = static_cast<char>(c);
      bool fits = layout[i] == 'D' ? (c >= '0' && c <= '9') : c == layout[i];
      if (fits) continue;
      auto r = ParseTimestamp(t);
      ASSERT_FALSE(r.ok()) << "position " << i << " byte " << c;
      EXPECT_NE(r.status().message().find("does not have the form"), std::string::npos)
          << r.status().message();
    }
  }
  for (int y : {1678, 1970, 1999, 2000, 2024, 2261}) {
    for (int mo = 1; mo <= 12; ++mo) {
      for (int d : {1, 9, 10, 28}) {
        for (int h : {0, 9, 10, 23}) {
          char text[80];
          std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.5Z", y, mo, d, h, 59 - h,
                        h + 7);
          std::int64_t secs =
              DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
              h * 3600 + (59 - h) * 60 + (h + 7);
          Timestamp t;
          ASSERT_TRUE(TryParseTimestamp(text, &t)) << text;
          EXPECT_EQ(t.nanos, secs * 1'000'000'000 + 500'000'000) << text;
        }
      }
    }
  }
}

TEST(Timestamp, FormatRoundTrips) {
  auto t = *ParseTimestamp("2024-02-29T13:14:15.123456Z");
  EXPECT_EQ(FormatTimestamp(t, 3), "2024-02-29T13:14:15.123Z");
  EXPECT_EQ(FormatTimestamp(t, 6), "2024-02-29T13:14:15.123456Z");
  EXPECT_EQ(FormatTimestamp(t, 0), "2024-02-29T13:14:15Z");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("1969-12-31T23:59:59.5Z"), 3),
            "1969-12-31T23:59:59.500Z");
  EXPECT_GT(Now().seconds(), 1'700'000'000);
}

}  // namespace
}  // namespace entente
