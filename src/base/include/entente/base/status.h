// Errors as values: Status for operations without a result, Result<T> for those with one.
//
// Every fallible function in Entente returns one of these instead of throwing. The code is a
// stable number (never renumber: the REST layer maps codes to HTTP statuses and clients may
// store them); the message is for people and names what failed and where.
// Exceptions are used only for programming errors that cannot be handled (std::bad_alloc,
// accessing the value of a failed Result), never for bad input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace entente {

enum class ErrorCode : std::uint16_t {
  kOk = 0,
  kInvalidArgument = 1,   // the caller's input is malformed or breaks a rule
  kNotFound = 2,          // the named thing does not exist
  kAlreadyExists = 3,     // a create that conflicts with what is stored
  kConflict = 4,          // input contradicts stored state (e.g. same id+modified, other content)
  kLimitExceeded = 5,     // size, depth or count limit of a parser or request
  kPermissionDenied = 6,  // authenticated, but not allowed
  kUnauthenticated = 7,   // no or bad credentials
  kIoError = 8,           // file system or network failure
  kCorruption = 9,        // stored data fails an integrity check
  kUnavailable = 10,      // temporarily unable (locked database, peer down); retry may succeed
  kCryptoError = 11,      // verification or decryption failed
  kUnsupported = 12,      // valid but not supported by this build or version
  kInternal = 13,         // a bug: an invariant did not hold
  kCancelled = 14,        // stopped on request
};

// Stable lower-case name of a code, e.g. "invalid_argument".
std::string_view ErrorCodeName(ErrorCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() noexcept { return {}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {ErrorCode::kLimitExceeded, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {ErrorCode::kUnauthenticated, std::move(m)};
  }
  static Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status CryptoError(std::string m) { return {ErrorCode::kCryptoError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Status Cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }

  // Returns true iff the status indicates success.
  bool ok() const noexcept { return code_ == ErrorCode::kOk; }
  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

  // A copy with "context: " put before the message; the code is kept.
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Holds either a T or a failed Status. Accessing value() of a failed Result is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result built from an ok Status");
  }

  bool ok() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return ok(); }

  // The error; Status::Ok() when the result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }

  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  T& Checked();
  std::variant<T, Status> v_;
};

[[noreturn]] void DieOnBadResultAccess(const Status& status);

template <typename T>
T& Result<T>::Checked() {
  if (!ok()) DieOnBadResultAccess(std::get<Status>(v_));
  return std::get<T>(v_);
}

}  // namespace entente

// Return early from the enclosing function if `expr` (a Status) failed.
#define ENTENTE_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::entente::Status entente_status_ = (expr);        \
    if (!entente_status_.ok()) return entente_status_; \
  } while (0)

#define ENTENTE_CONCAT_INNER_(a, b) a##b
#define ENTENTE_CONCAT_(a, b) ENTENTE_CONCAT_INNER_(a, b)

// `ENTENTE_ASSIGN_OR_RETURN(auto x, ComputeX());` assigns the value or returns the error.
#define ENTENTE_ASSIGN_OR_RETURN(lhs, expr) \
  ENTENTE_ASSIGN_OR_RETURN_IMPL_(ENTENTE_CONCAT_(entente_result_, __LINE__), lhs, expr)
#define ENTENTE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
