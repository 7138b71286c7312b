// Byte-level reading and writing of OpenFlow messages: big-endian numbers,
// padding, and lengths patched in after the fact. The reader never reads past
// its end; every pull that would fails with the error the caller names.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "openflow/wire/ofp_error.h"

namespace flowpath::openflow::wire {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t get_u64(const uint8_t* p) { return uint64_t{get_u32(p)} << 32 | get_u32(p + 4); }
inline void put_u16_at(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_u32_at(uint8_t* p, uint32_t v) {
  put_u16_at(p, static_cast<uint16_t>(v >> 16));
  put_u16_at(p + 2, static_cast<uint16_t>(v));
}
inline void put_u64_at(uint8_t* p, uint64_t v) {
  put_u32_at(p, static_cast<uint32_t>(v >> 32));
  put_u32_at(p + 4, static_cast<uint32_t>(v));
}

inline bool all_zero(ByteView bytes) {
  for (uint8_t b : bytes)
    if (b) return false;
  return true;
}

inline size_t round_up8(size_t n) { return (n + 7) & ~size_t{7}; }

// Appends to a byte vector.
class WireWriter {
 public:
  WireWriter() = default;
  explicit WireWriter(Bytes* out) : out_(out) {}

  size_t size() const { return out_->size(); }
  uint8_t* at(size_t offset) { return out_->data() + offset; }

  void put_u8(uint8_t v) { out_->push_back(v); }
  void put_u16(uint16_t v) { put_u16_at(grow(2), v); }
  void put_u32(uint32_t v) { put_u32_at(grow(4), v); }
  void put_u64(uint64_t v) { put_u64_at(grow(8), v); }
  void put_zeros(size_t n) { out_->insert(out_->end(), n, 0); }
  void put_bytes(ByteView bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_->insert(out_->end(), b, b + n);
  }
  // A fixed-width, zero-padded string field (port names, descriptions).
  void put_string(std::string_view s, size_t width) {
    size_t n = s.size() < width ? s.size() : width - 1;
    put_bytes(s.data(), n);
    put_zeros(width - n);
  }
  // Zeros up to a multiple of 8 bytes counted from `start`.
  void pad_to_8(size_t start) { put_zeros(round_up8(size() - start) - (size() - start)); }
  // Writes a 16-bit length at `offset`: the bytes from `start` to the end.
  void patch_length16(size_t offset, size_t start) {
    put_u16_at(at(offset), static_cast<uint16_t>(size() - start));
  }
  void patch_u16(size_t offset, uint16_t v) { put_u16_at(at(offset), v); }
  // Drops everything from `size` on.
  void truncate(size_t size) { out_->resize(size); }
  void patch_u32(size_t offset, uint32_t v) { put_u32_at(at(offset), v); }

 private:
  uint8_t* grow(size_t n) {
    out_->resize(out_->size() + n);
    return out_->data() + out_->size() - n;
  }
  Bytes* out_ = nullptr;
};

// Reads from a byte span. `what` names the structure in error details.
class WireReader {
 public:
  WireReader(ByteView bytes, OfpErrorCode len_error, std::string_view what)
      : bytes_(bytes), len_error_(len_error), what_(what) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool empty() const { return pos_ == bytes_.size(); }
  ByteView rest() const { return bytes_.subspan(pos_); }
  const uint8_t* peek() const { return bytes_.data() + pos_; }
  std::string_view what() const { return what_; }

  // The next `n` bytes; an error naming `field` when fewer remain.
  WireResult<ByteView> pull(size_t n, std::string_view field) {
    if (n > remaining())
      return short_error(n, field);
    ByteView out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  WireResult<uint8_t> u8(std::string_view field) {
    WIRE_TRY_ASSIGN(b, pull(1, field));
    return b[0];
  }
  WireResult<uint16_t> u16(std::string_view field) {
    WIRE_TRY_ASSIGN(b, pull(2, field));
    return get_u16(b.data());
  }
  WireResult<uint32_t> u32(std::string_view field) {
    WIRE_TRY_ASSIGN(b, pull(4, field));
    return get_u32(b.data());
  }
  WireResult<uint64_t> u64(std::string_view field) {
    WIRE_TRY_ASSIGN(b, pull(8, field));
    return get_u64(b.data());
  }
  // Padding that must be zero; `error` when it is not.
  WireStatus zeros(size_t n, std::string_view field, OfpErrorCode error) {
    WIRE_TRY_ASSIGN(b, pull(n, field));
    if (!all_zero(b))
      return wire_error(error, std::string(what_) + ": " + std::string(field) + " is not zero");
    return Ok{};
  }
  // Padding whose content is ignored.
  WireStatus skip(size_t n, std::string_view field) {
    WIRE_TRY(pull(n, field));
    return Ok{};
  }
  // A fixed-width string field, up to its first NUL.
  WireResult<std::string> string(size_t width, std::string_view field) {
    WIRE_TRY_ASSIGN(b, pull(width, field));
    size_t n = 0;
    while (n < b.size() && b[n]) ++n;
    return std::string(reinterpret_cast<const char*>(b.data()), n);
  }

  OfpError error(OfpErrorCode code, const std::string& detail) const {
    return wire_error(code, std::string(what_) + ": " + detail);
  }
  OfpError short_error(size_t n, std::string_view field) const {
    return wire_error(len_error_, std::string(what_) + ": " + std::string(field) + " needs " +
                                      std::to_string(n) + " bytes, " +
                                      std::to_string(remaining()) + " remain");
  }

 private:
  ByteView bytes_;
  size_t pos_ = 0;
  OfpErrorCode len_error_;
  std::string_view what_;
};

}  // namespace flowpath::openflow::wire
