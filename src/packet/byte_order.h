// Network byte order helpers. Fields that hold wire values are typed be16/be32/
// be64 for the reader's benefit; the compiler does not enforce the difference.
#pragma once

#include <cstdint>
#include <cstring>

namespace flowpath {

using be16 = uint16_t;
using be32 = uint32_t;
using be64 = uint64_t;

constexpr uint16_t byteswap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
constexpr uint32_t byteswap32(uint32_t v) { return __builtin_bswap32(v); }
constexpr uint64_t byteswap64(uint64_t v) { return __builtin_bswap64(v); }

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr be16 hton16(uint16_t v) { return byteswap16(v); }
constexpr be32 hton32(uint32_t v) { return byteswap32(v); }
constexpr be64 hton64(uint64_t v) { return byteswap64(v); }
#else
constexpr be16 hton16(uint16_t v) { return v; }
constexpr be32 hton32(uint32_t v) { return v; }
constexpr be64 hton64(uint64_t v) { return v; }
#endif
constexpr uint16_t ntoh16(be16 v) { return hton16(v); }
constexpr uint32_t ntoh32(be32 v) { return hton32(v); }
constexpr uint64_t ntoh64(be64 v) { return hton64(v); }

// Unaligned loads and stores: packet headers are not guaranteed to be aligned
// (e.g. IPv4 after a 14-byte Ethernet header sits at offset 2 mod 4).
template <typename T>
inline T load_unaligned(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void store_unaligned(void* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace flowpath
