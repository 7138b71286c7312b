#include "packet/checksum.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace flowpath {

namespace {

// Little-endian loads for the reflected CRC, whatever the host order.
inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v = load_unaligned<uint64_t>(p);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = byteswap64(v);
#endif
  return v;
}

inline uint32_t to_le32(uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return byteswap32(v);
#else
  return v;
#endif
}

}  // namespace

// ---------------------------------------------------------------- Internet checksum

// Each 8-byte load is split into two 32-bit halves added to a 64-bit
// accumulator: no carry is ever lost (2^32 additions of < 2^32 would be
// needed to overflow), and 2^32 = 2^16 = 1 modulo 0xffff keeps the halves'
// weights right when the sum is folded.
uint64_t checksum_add(uint64_t sum, const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint64_t a = 0, b = 0;  // two accumulators let the adds overlap
  while (len >= 32) {
    uint64_t w0 = load_unaligned<uint64_t>(p);
    uint64_t w1 = load_unaligned<uint64_t>(p + 8);
    uint64_t w2 = load_unaligned<uint64_t>(p + 16);
    uint64_t w3 = load_unaligned<uint64_t>(p + 24);
    a += (w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) + (w1 >> 32);
    b += (w2 & 0xffffffffu) + (w2 >> 32) + (w3 & 0xffffffffu) + (w3 >> 32);
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t w = load_unaligned<uint64_t>(p);
    a += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    b += load_unaligned<uint32_t>(p);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    a += load_unaligned<uint16_t>(p);
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    // The lone last byte is the first byte of a word whose second is zero.
    uint16_t last = 0;
    std::memcpy(&last, p, 1);
    b += last;
  }
  // Fold the accumulators before adding so `sum` callers can keep chaining.
  return sum + checksum_fold(a) + checksum_fold(b);
}

be16 checksum_update_bytes(be16 checksum, const void* old_bytes, const void* new_bytes,
                           size_t len) {
  const uint8_t* old_p = static_cast<const uint8_t*>(old_bytes);
  const uint8_t* new_p = static_cast<const uint8_t*>(new_bytes);
  uint64_t sum = static_cast<uint16_t>(~checksum);
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += static_cast<uint16_t>(~load_unaligned<uint16_t>(old_p + i));
    sum += load_unaligned<uint16_t>(new_p + i);
  }
  return checksum_finish(sum);
}

be16 checksum_update128(be16 checksum, const uint8_t old_address[16],
                        const uint8_t new_address[16]) {
  uint64_t sum = static_cast<uint16_t>(~checksum);
  for (int i = 0; i < 16; i += 4) {
    sum += static_cast<uint32_t>(~load_unaligned<uint32_t>(old_address + i));
    sum += load_unaligned<uint32_t>(new_address + i);
  }
  return checksum_finish(sum);
}

// ---------------------------------------------------------------- pseudo-headers

uint64_t pseudo_header_ipv4(be32 src, be32 dst, uint8_t proto, uint32_t l4_length) {
  uint64_t sum = static_cast<uint64_t>(src) + dst;
  sum += hton16(proto);  // the word {0, proto}
  sum += hton16(static_cast<uint16_t>(l4_length));
  return sum;
}

uint64_t pseudo_header_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
                            uint32_t l4_length) {
  uint64_t sum = checksum_add(0, src, 16);
  sum = checksum_add(sum, dst, 16);
  sum += hton32(l4_length);
  sum += hton32(proto);  // three zero bytes, then the next header
  return sum;
}

be16 transport_checksum(uint64_t pseudo_header_sum, const void* l4, size_t len,
                        size_t checksum_offset) {
  uint64_t sum = checksum_add(pseudo_header_sum, l4, len);
  // Adding the complement of the stored field cancels it out of the sum.
  be16 stored = load_unaligned<be16>(static_cast<const uint8_t*>(l4) + checksum_offset);
  sum += static_cast<uint16_t>(~stored);
  return checksum_finish(sum);
}

be16 ipv4_header_checksum(const void* ip_header, size_t header_len) {
  constexpr size_t kChecksumOffset = 10;
  return transport_checksum(0, ip_header, header_len, kChecksumOffset);
}

// ---------------------------------------------------------------- CRC32c

namespace {

constexpr uint32_t kCrc32cPolynomial = 0x82f63b78;  // Castagnoli, reflected

using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

// tables[k][b]: the CRC contribution of byte b followed by k zero bytes.
constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kCrc32cPolynomial : crc >> 1;
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}
constexpr CrcTables kCrcTables = make_crc_tables();

// Slicing-by-8 on the raw (not inverted) register.
uint32_t crc32c_raw_portable(uint32_t crc, const uint8_t* p, size_t len) {
  const auto& t = kCrcTables;
  while (len >= 8) {
    uint64_t v = load_le64(p) ^ crc;
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_raw_sse42(uint32_t crc, const uint8_t* p,
                                                            size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    c = _mm_crc32_u64(c, load_unaligned<uint64_t>(p));
    p += 8;
    len -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (len-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

using CrcRawFunction = uint32_t (*)(uint32_t, const uint8_t*, size_t);

CrcRawFunction select_crc32c() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // may run before the CPU model's own constructor
  if (__builtin_cpu_supports("sse4.2")) return crc32c_raw_sse42;
#endif
  return crc32c_raw_portable;
}

// Chosen once, on first use (a function-local static has no init-order trap).
uint32_t crc32c_raw(uint32_t crc, const uint8_t* p, size_t len) {
  static const CrcRawFunction implementation = select_crc32c();
  return implementation(crc, p, len);
}

}  // namespace

uint32_t crc32c(const void* data, size_t len, uint32_t crc) {
  return ~crc32c_raw(~crc, static_cast<const uint8_t*>(data), len);
}

uint32_t crc32c_portable(const void* data, size_t len, uint32_t crc) {
  return ~crc32c_raw_portable(~crc, static_cast<const uint8_t*>(data), len);
}

uint32_t sctp_checksum(const void* sctp, size_t len) {
  constexpr size_t kChecksumOffset = 8;
  constexpr size_t kChecksumEnd = 12;
  static constexpr uint8_t kZero[4] = {};
  const uint8_t* p = static_cast<const uint8_t*>(sctp);
  if (len < kChecksumEnd) return to_le32(crc32c(p, len));
  uint32_t raw = crc32c_raw(~0u, p, kChecksumOffset);
  raw = crc32c_raw(raw, kZero, sizeof kZero);
  raw = crc32c_raw(raw, p + kChecksumEnd, len - kChecksumEnd);
  return to_le32(~raw);
}

}  // namespace flowpath
