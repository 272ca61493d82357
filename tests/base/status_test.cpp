#include "entente/base/status.h"

#include <gtest/gtest.h>

namespace entente {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument("odd number " + std::to_string(n));
  return n / 2;
}

Result<int> Quarter(int n) {
  ENTENTE_ASSIGN_OR_RETURN(int h, Half(n));
  return Half(h);
}

TEST(Status, OkByDefaultAndNamedCodes) {
  EXPECT_TRUE(Status().ok());
  Status s = Status::NotFound("indicator--x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: indicator--x");
  EXPECT_EQ(s.WithContext("get").ToString(), "not_found: get: indicator--x");
}

TEST(Status, CodesAreStable) {
  // Clients store these numbers; renumbering is a breaking change.
  EXPECT_EQ(static_cast<int>(ErrorCode::kInvalidArgument), 1);
  EXPECT_EQ(static_cast<int>(ErrorCode::kLimitExceeded), 5);
  EXPECT_EQ(static_cast<int>(ErrorCode::kCryptoError), 11);
  EXPECT_EQ(ErrorCodeName(ErrorCode::kPermissionDenied), "permission_denied");
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd number 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ResultDeathTest, ValueOfFailureAborts) {
  Result<int> r = Status::Internal("boom");
  EXPECT_DEATH((void)r.value(), "boom");
}

TEST(Result, OkStatusIsNotAValue) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace entente
