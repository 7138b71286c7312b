// A cursor over flow/action text with the small lexers every ODP and
// OpenFlow-style parser needs. Errors carry the 1-based column and the text
// near it, so a user sees exactly which token was wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "packet/headers.h"

namespace flowpath {

class TextScanner {
 public:
  explicit TextScanner(std::string_view text, size_t pos = 0) : text_(text), pos_(pos) {}

  std::string_view text() const { return text_; }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  std::string_view rest() const { return text_.substr(pos_ < text_.size() ? pos_ : text_.size()); }

  void skip_spaces();
  // Consumes c (after optional spaces) if it is next.
  bool accept(char c);
  // Consumes `word` if the text continues with it.
  bool accept_prefix(std::string_view word);
  // Consumes a keyword followed by '(' , e.g. accept_call("eth") matches "eth(".
  bool accept_call(std::string_view name);
  // An identifier: [A-Za-z0-9_.-]+ (empty when none).
  std::string_view identifier();
  // The longest run of characters not in `stops` (empty when none).
  std::string_view token_until(std::string_view stops);

  // Numbers: decimal, 0x hex, or 0 octal-free; range-checked to `max`.
  std::optional<uint64_t> unsigned_number(uint64_t max = UINT64_MAX);
  std::optional<int64_t> signed_number(int64_t min, int64_t max);
  std::optional<EthAddr> eth_address();
  std::optional<uint32_t> ipv4_address();           // network order
  bool ipv6_address(uint8_t out[16]);
  // Hex bytes without separators ("0a0b0c"), optional 0x prefix; up to max bytes.
  std::optional<std::string> hex_bytes(size_t max);

  // An error at the current position: "column 17 (near 'xyz'): message".
  Error error(std::string_view message) const { return error_at(pos_, message); }
  Error error_at(size_t pos, std::string_view message) const;

 private:
  std::string_view text_;
  size_t pos_;
};

}  // namespace flowpath
