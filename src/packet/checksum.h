// Checksums of the protocols the datapath rewrites: the Internet checksum
// (RFC 1071) with incremental updates (RFC 1624) for the fields actions
// change, pseudo-header sums for TCP/UDP/ICMPv6, and SCTP's CRC32c.
//
// Byte order: one's complement sums are byte-order independent, so every
// function here sums 16-bit words exactly as they sit in memory and returns
// checksums in memory order. A returned be16 is stored as is
// (store_unaligned<be16>) and old/new field values are passed as loaded from
// the packet, never converted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "packet/byte_order.h"

namespace flowpath {

// ---------------------------------------------------------------- Internet checksum

// Adds `len` bytes at `data` to a running one's complement sum. `data` must
// sit at an even offset of the checksummed stream; only the last piece added
// may have an odd length (its last byte is padded with zero, as RFC 1071 says).
uint64_t checksum_add(uint64_t sum, const void* data, size_t len);

// Folds a running sum to 16 bits (not complemented).
inline uint16_t checksum_fold(uint64_t sum) {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum field value for a running sum: the complement of its fold.
inline be16 checksum_finish(uint64_t sum) { return static_cast<be16>(~checksum_fold(sum)); }

// The Internet checksum of a buffer (with its checksum field zeroed, this is
// the value to store; with the stored field in place, 0 means valid).
inline be16 internet_checksum(const void* data, size_t len) {
  return checksum_finish(checksum_add(0, data, len));
}

// ---------------------------------------------------------------- incremental (RFC 1624)

// New checksum after a 16-bit word of the covered data changed from `old_word`
// to `new_word` (HC' = ~(~HC + ~m + m'), eqn. 3 of RFC 1624).
inline be16 checksum_update16(be16 checksum, be16 old_word, be16 new_word) {
  uint32_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return checksum_finish(sum);
}

// As checksum_update16 for a 32-bit field at an even offset.
inline be16 checksum_update32(be16 checksum, be32 old_value, be32 new_value) {
  uint64_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint32_t>(~old_value) & 0xffffu;
  sum += static_cast<uint32_t>(~old_value) >> 16;
  sum += new_value & 0xffffu;
  sum += new_value >> 16;
  return checksum_finish(sum);
}

// As checksum_update16 for a field of `len` bytes (even) at an even offset,
// e.g. a 6-byte MAC address in an ND option.
be16 checksum_update_bytes(be16 checksum, const void* old_bytes, const void* new_bytes, size_t len);

// As checksum_update16 for a 128-bit IPv6 address.
be16 checksum_update128(be16 checksum, const uint8_t old_address[16],
                        const uint8_t new_address[16]);

// ---------------------------------------------------------------- pseudo-headers

// Running sums of the pseudo-headers TCP, UDP and ICMPv6 checksums cover.
// Addresses are in memory order; `l4_length` is host order.
uint64_t pseudo_header_ipv4(be32 src, be32 dst, uint8_t proto, uint32_t l4_length);
uint64_t pseudo_header_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
                            uint32_t l4_length);

// The checksum a transport header should carry: the pseudo-header sum plus
// the `len` bytes at `l4`, with the 2 bytes at `checksum_offset` taken as zero
// (whatever they hold). UDP callers turn a result of 0 into 0xffff.
be16 transport_checksum(uint64_t pseudo_header_sum, const void* l4, size_t len,
                        size_t checksum_offset);

// The header checksum an IPv4 header of `header_len` bytes should carry
// (its checksum field taken as zero).
be16 ipv4_header_checksum(const void* ip_header, size_t header_len);

// ---------------------------------------------------------------- CRC32c (SCTP)

// CRC32c (Castagnoli, reflected, init and final xor 0xffffffff) of `len`
// bytes, continuing from a previous result `crc` (0 to start), the way
// zlib's crc32() chains. Uses the SSE4.2 instruction when the CPU has it.
uint32_t crc32c(const void* data, size_t len, uint32_t crc = 0);
// The portable table-driven (slicing-by-8) implementation, for tests.
uint32_t crc32c_portable(const void* data, size_t len, uint32_t crc = 0);

// The value of an SCTP header's checksum field for `len` bytes of SCTP packet
// (common header and chunks) at `sctp`, its checksum field taken as zero.
// The CRC travels least significant byte first; the returned value is in
// memory order, to be stored as is.
uint32_t sctp_checksum(const void* sctp, size_t len);

}  // namespace flowpath
