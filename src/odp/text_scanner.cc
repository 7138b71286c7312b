#include "odp/text_scanner.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace flowpath {

void TextScanner::skip_spaces() {
  while (!at_end() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
}

bool TextScanner::accept(char c) {
  size_t save = pos_;
  skip_spaces();
  if (peek() == c) {
    ++pos_;
    return true;
  }
  pos_ = save;
  return false;
}

bool TextScanner::accept_prefix(std::string_view word) {
  if (rest().substr(0, word.size()) == word) {
    pos_ += word.size();
    return true;
  }
  return false;
}

bool TextScanner::accept_call(std::string_view name) {
  std::string_view r = rest();
  if (r.size() > name.size() && r.substr(0, name.size()) == name && r[name.size()] == '(') {
    pos_ += name.size() + 1;
    return true;
  }
  return false;
}

std::string_view TextScanner::identifier() {
  size_t start = pos_;
  while (!at_end()) {
    char c = text_[pos_];
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ++pos_;
    else break;
  }
  return text_.substr(start, pos_ - start);
}

std::string_view TextScanner::token_until(std::string_view stops) {
  size_t start = pos_;
  while (!at_end() && stops.find(text_[pos_]) == std::string_view::npos) ++pos_;
  return text_.substr(start, pos_ - start);
}

std::optional<uint64_t> TextScanner::unsigned_number(uint64_t max) {
  std::string_view r = rest();
  int base = 10;
  size_t skip = 0;
  if (r.size() >= 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'X')) {
    base = 16;
    skip = 2;
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(r.data() + skip, r.data() + r.size(), v, base);
  if (ec != std::errc() || ptr == r.data() + skip || v > max) return std::nullopt;
  pos_ += static_cast<size_t>(ptr - r.data());
  return v;
}

std::optional<int64_t> TextScanner::signed_number(int64_t min, int64_t max) {
  bool neg = accept_prefix("-");
  auto v = unsigned_number(static_cast<uint64_t>(INT64_MAX));
  if (!v) return std::nullopt;
  int64_t s = neg ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
  if (s < min || s > max) return std::nullopt;
  return s;
}

std::optional<EthAddr> TextScanner::eth_address() {
  std::string_view r = rest();
  EthAddr a{};
  size_t p = 0;
  for (int i = 0; i < 6; ++i) {
    if (i > 0) {
      if (p >= r.size() || r[p] != ':') return std::nullopt;
      ++p;
    }
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(r.data() + p, r.data() + std::min(r.size(), p + 2), v, 16);
    if (ec != std::errc() || ptr == r.data() + p) return std::nullopt;
    a.bytes[i] = static_cast<uint8_t>(v);
    p = static_cast<size_t>(ptr - r.data());
  }
  pos_ += p;
  return a;
}

std::optional<uint32_t> TextScanner::ipv4_address() {
  std::string_view tok = rest().substr(0, rest().find_first_not_of("0123456789."));
  if (tok.empty() || tok.size() > 15) return std::nullopt;
  char buf[16];
  std::memcpy(buf, tok.data(), tok.size());
  buf[tok.size()] = '\0';
  in_addr a;
  if (inet_pton(AF_INET, buf, &a) != 1) return std::nullopt;
  pos_ += tok.size();
  return a.s_addr;
}

bool TextScanner::ipv6_address(uint8_t out[16]) {
  std::string_view tok = rest().substr(0, rest().find_first_not_of("0123456789abcdefABCDEF:."));
  if (tok.empty() || tok.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, tok.data(), tok.size());
  buf[tok.size()] = '\0';
  if (inet_pton(AF_INET6, buf, out) != 1) return false;
  pos_ += tok.size();
  return true;
}

std::optional<std::string> TextScanner::hex_bytes(size_t max) {
  size_t save = pos_;
  accept_prefix("0x");
  std::string out;
  while (pos_ + 1 < text_.size() + 0 && std::isxdigit(static_cast<unsigned char>(text_[pos_])) &&
         std::isxdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
    if (out.size() == max) {
      pos_ = save;
      return std::nullopt;
    }
    unsigned v = 0;
    std::from_chars(text_.data() + pos_, text_.data() + pos_ + 2, v, 16);
    out.push_back(static_cast<char>(v));
    pos_ += 2;
  }
  if (!at_end() && std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {  // odd digit count
    pos_ = save;
    return std::nullopt;
  }
  return out;
}

Error TextScanner::error_at(size_t pos, std::string_view message) const {
  if (pos > text_.size()) pos = text_.size();
  std::string near(text_.substr(pos, 20));
  std::string msg = "column " + std::to_string(pos + 1);
  if (near.empty()) msg += " (at end of input)";
  else msg += " (near '" + near + (text_.size() - pos > 20 ? "...'" : "'") + ")";
  msg += ": ";
  msg += message;
  return Error{msg};
}

}  // namespace flowpath
