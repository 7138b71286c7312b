// Result<T>: a value or an error message. The control path reports every bad
// input with a precise message; exceptions stay out of the datapath.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace flowpath {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { assert(!ok()); return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message) { return Error{std::move(message)}; }

// Early returns for functions that return a Result or Status: the error of
// `expr` is passed up unchanged.
//   TRY_ASSIGN(port, parse_port(text));   // `port` is the value, by reference
//   TRY_STATUS(check(flow));
#define TRY_ASSIGN(var, expr)                                      \
  auto var##_result = (expr);                                      \
  if (!var##_result.ok()) return make_error(var##_result.error()); \
  auto& var = var##_result.value()

#define TRY_STATUS(expr) \
  if (auto status_ = (expr); !status_.ok()) return make_error(status_.error())

}  // namespace flowpath
