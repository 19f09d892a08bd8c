// Errors as values at the library boundary.
//
// Argument order across vigil's API: context first, then outputs (when a
// function writes into caller memory), then inputs; byte buffers are
// std::span<const std::uint8_t>. Functions that can fail return Result<T>;
// exceptions never leave the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

// A short, stable list: callers branch on the code, humans read the message.
enum class ErrorCode : std::uint8_t {
  kInvalidInput,        // a parameter is out of range or inconsistent
  kBadEncoding,         // bytes do not decode to a valid value
  kVerificationFailed,  // a proof, share or tag does not verify
  kNotFound,            // the named object does not exist
  kResourceExhausted,   // a configured limit is reached
  kProtocolAbort,       // a party misbehaved; Error::party names it
  kTransport,           // the network failed
  kTimeout,             // a deadline passed
  kInternal,            // a broken invariant or a failing dependency
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
  std::optional<std::uint32_t> party;  // the participant at fault, when known

  // "bad_encoding: scalar is not canonical" (with " (party 3)" when blamed).
  std::string to_string() const;
};

inline Error make_error(ErrorCode code, std::string message, std::optional<std::uint32_t> party = std::nullopt) {
  return Error{code, std::move(message), party};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }  // only after !ok()

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace vigil

// Propagates the error of a Result-returning expression; otherwise yields
// nothing. For use inside functions that themselves return a Result.
#define VIGIL_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    auto vigil_status_ = (expr);                           \
    if (!vigil_status_.ok()) return vigil_status_.error(); \
  } while (0)

// Binds the value of a Result-returning expression to `lhs`, or returns its
// error from the enclosing function.
#define VIGIL_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL_(VIGIL_CONCAT_(vigil_result_, __LINE__), lhs, expr)
#define VIGIL_CONCAT_INNER_(a, b) a##b
#define VIGIL_CONCAT_(a, b) VIGIL_CONCAT_INNER_(a, b)
#define VIGIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.error();                 \
  lhs = std::move(tmp).value()
