// Netlink attribute encoding (struct nlattr: u16 length including the 4-byte
// header, u16 type; payload padded to 4 bytes) as used by the datapath's key,
// mask and action formats. The writer appends to a byte vector; the reader
// walks a buffer and checks every length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace flowpath {

inline constexpr size_t kNlaHeaderLen = 4;
inline constexpr size_t kNlaAlign = 4;
inline constexpr uint16_t kNlaTypeMask = 0x3fff;  // strips NLA_F_NESTED / NLA_F_NET_BYTEORDER
inline constexpr size_t nla_align(size_t n) { return (n + kNlaAlign - 1) & ~(kNlaAlign - 1); }

class NetlinkWriter {
 public:
  NetlinkWriter() = default;
  explicit NetlinkWriter(std::vector<uint8_t>* out) : buf_(out) {}

  // Appends an attribute whose payload is `len` bytes at `data`.
  void put(uint16_t type, const void* data, size_t len);
  // Appends an attribute with `len` zeroed payload bytes and returns them.
  uint8_t* put_uninit(uint16_t type, size_t len);
  void put_flag(uint16_t type) { put(type, nullptr, 0); }
  void put_u8(uint16_t type, uint8_t v) { put(type, &v, 1); }
  void put_u16(uint16_t type, uint16_t v) { put(type, &v, 2); }
  void put_u32(uint16_t type, uint32_t v) { put(type, &v, 4); }
  void put_u64(uint16_t type, uint64_t v) { put(type, &v, 8); }
  void put_string(uint16_t type, std::string_view s);  // NUL-terminated
  template <typename T>
  void put_struct(uint16_t type, const T& v) { put(type, &v, sizeof v); }

  // Nested attributes: begin_nested returns an offset for end_nested.
  size_t begin_nested(uint16_t type);
  void end_nested(size_t offset);
  // Drops everything from `offset` (as returned by begin_nested or size()).
  void truncate(size_t offset) { buf_->resize(offset); }

  size_t size() const { return buf_->size(); }
  // False once an attribute grew past the 65,535 bytes a length can say.
  bool ok() const { return !overflow_; }
  const std::vector<uint8_t>& bytes() const { return *buf_; }
  std::vector<uint8_t>& bytes() { return *buf_; }

 private:
  std::vector<uint8_t> own_;
  std::vector<uint8_t>* buf_ = &own_;
  bool overflow_ = false;
};

// One attribute as seen by the reader.
struct NetlinkAttr {
  uint16_t type;  // with flag bits stripped
  std::span<const uint8_t> payload;

  size_t size() const { return payload.size(); }
  const uint8_t* data() const { return payload.data(); }
  template <typename T>
  T get() const {  // caller has checked size() == sizeof(T)
    T v;
    std::memcpy(&v, payload.data(), sizeof v);
    return v;
  }
  uint8_t get_u8() const { return get<uint8_t>(); }
  uint16_t get_u16() const { return get<uint16_t>(); }
  uint32_t get_u32() const { return get<uint32_t>(); }
  uint64_t get_u64() const { return get<uint64_t>(); }
};

// Splits `buffer` into attributes, checking that each header and payload fits
// and that the buffer is consumed exactly (trailing padding allowed only after
// a payload). On failure the error says at which byte offset and why.
Result<std::vector<NetlinkAttr>> parse_attributes(std::span<const uint8_t> buffer);

// Iteration without allocation: calls f(attr) for each attribute; returns an
// error for the first malformed header.
template <typename F>
Status for_each_attribute(std::span<const uint8_t> buffer, F&& f) {
  size_t off = 0;
  while (off < buffer.size()) {
    if (buffer.size() - off < kNlaHeaderLen)
      return make_error("truncated netlink attribute header at offset " + std::to_string(off));
    uint16_t len, type;
    std::memcpy(&len, buffer.data() + off, 2);
    std::memcpy(&type, buffer.data() + off + 2, 2);
    if (len < kNlaHeaderLen || len > buffer.size() - off)
      return make_error("netlink attribute at offset " + std::to_string(off) + " has bad length " +
                        std::to_string(len) + " (" + std::to_string(buffer.size() - off) +
                        " bytes left)");
    NetlinkAttr a{static_cast<uint16_t>(type & kNlaTypeMask),
                  buffer.subspan(off + kNlaHeaderLen, len - kNlaHeaderLen)};
    if (auto st = f(a); !st.ok()) return st;
    off += nla_align(len);
  }
  return Ok{};
}

}  // namespace flowpath
