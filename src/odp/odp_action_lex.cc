// Small lexing and printing helpers shared by the action text files.
#include <cctype>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "odp/odp_action_text_impl.h"

namespace flowpath::action_text {

void appendf(std::string& out, const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<size_t>(n));
    return;
  }
  size_t old = out.size();
  out.resize(old + static_cast<size_t>(n) + 1);
  va_start(args, format);
  std::vsnprintf(out.data() + old, static_cast<size_t>(n) + 1, format, args);
  va_end(args);
  out.resize(old + static_cast<size_t>(n));
}

void append_port(std::string& out, uint32_t port, const PortNumberNames* names) {
  if (names) {
    if (auto name = names->find(port); name != names->end()) {
      out += name->second;
      return;
    }
  }
  appendf(out, "%u", port);
}

void append_hex_bytes(std::string& out, std::span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
}

void append_hex_number(std::string& out, std::span<const uint8_t> bytes) {
  size_t first = 0;
  while (first < bytes.size() && bytes[first] == 0) ++first;
  if (first == bytes.size()) {
    out += '0';
    return;
  }
  appendf(out, "0x%x", bytes[first]);
  append_hex_bytes(out, bytes.subspan(first + 1));
}

Result<uint64_t> parse_uint(TextScanner& in, uint64_t max, std::string_view what) {
  size_t start = in.pos();
  auto v = in.unsigned_number(UINT64_MAX);
  if (!v) return in.error(std::string(what) + ": expected a number");
  if (*v > max)
    return in.error_at(start, std::string(what) + ": " + std::to_string(*v) +
                                  " is out of range (maximum " + std::to_string(max) + ")");
  return *v;
}

Result<uint64_t> parse_hex(TextScanner& in, uint64_t max, std::string_view what,
                           bool prefix_optional) {
  size_t start = in.pos();
  if (!in.accept_prefix("0x") && !in.accept_prefix("0X") && !prefix_optional)
    return in.error(std::string(what) + ": expected a hex number starting with 0x");
  std::string_view digits =
      in.rest().substr(0, in.rest().find_first_not_of("0123456789abcdefABCDEF"));
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (digits.empty() || ec == std::errc::invalid_argument) {
    in.set_pos(start);
    return in.error(std::string(what) + ": expected a hex number");
  }
  if (ec == std::errc::result_out_of_range || v > max) {
    in.set_pos(start);
    char max_text[24];
    std::snprintf(max_text, sizeof max_text, "%#llx", static_cast<unsigned long long>(max));
    return in.error(std::string(what) + ": 0x" + std::string(digits.substr(0, 20)) +
                    " is out of range (maximum " + max_text + ")");
  }
  in.set_pos(in.pos() + static_cast<size_t>(ptr - digits.data()));
  return v;
}

Status parse_be_number(TextScanner& in, std::span<uint8_t> out, std::string_view what) {
  std::memset(out.data(), 0, out.size());
  size_t start = in.pos();
  if (in.accept_prefix("0x") || in.accept_prefix("0X")) {
    std::string_view digits =
        in.rest().substr(0, in.rest().find_first_not_of("0123456789abcdefABCDEF"));
    if (digits.empty()) return in.error(std::string(what) + ": expected hex digits after 0x");
    size_t significant = digits.find_first_not_of('0');
    std::string_view value =
        significant == std::string_view::npos ? std::string_view() : digits.substr(significant);
    if (value.size() > 2 * out.size()) {
      in.set_pos(start);
      return in.error(std::string(what) + ": value does not fit in " + std::to_string(out.size()) +
                      " bytes");
    }
    // Right-align the digits: the last digit is the low nibble of the last byte.
    for (size_t i = 0; i < value.size(); ++i) {
      char c = value[value.size() - 1 - i];
      unsigned nibble = std::isdigit(static_cast<unsigned char>(c))
                            ? static_cast<unsigned>(c - '0')
                            : static_cast<unsigned>((c | 0x20) - 'a' + 10);
      out[out.size() - 1 - i / 2] |= static_cast<uint8_t>(nibble << (4 * (i % 2)));
    }
    in.set_pos(in.pos() + digits.size());
    return Ok{};
  }
  auto v = in.unsigned_number(UINT64_MAX);
  if (!v) return in.error(std::string(what) + ": expected a number");
  uint64_t n = *v;
  for (size_t i = 0; i < out.size() && i < 8; ++i) {
    out[out.size() - 1 - i] = static_cast<uint8_t>(n & 0xff);
    n >>= 8;
  }
  if (n != 0 || (out.size() < 8 && (*v >> (8 * out.size())) != 0)) {
    in.set_pos(start);
    return in.error(std::string(what) + ": value does not fit in " + std::to_string(out.size()) +
                    " bytes");
  }
  return Ok{};
}

Status expect(TextScanner& in, std::string_view literal, std::string_view what) {
  if (in.accept_prefix(literal)) return Ok{};
  return in.error(std::string(what) + ": expected '" + std::string(literal) + "'");
}

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool accept_word(TextScanner& in, std::string_view word) {
  std::string_view rest = in.rest();
  if (rest.substr(0, word.size()) != word) return false;
  if (rest.size() > word.size() && is_identifier_char(rest[word.size()])) return false;
  in.set_pos(in.pos() + word.size());
  return true;
}

std::optional<NetlinkAttr> single_attribute(std::span<const uint8_t> buffer) {
  auto attrs = parse_attributes(buffer);
  if (!attrs || attrs->size() != 1) return std::nullopt;
  return (*attrs)[0];
}

}  // namespace flowpath::action_text
