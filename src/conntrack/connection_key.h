// The key of one direction of a connection: zone, addresses, transport
// identifiers and protocol, as conntrack looks packets up.
//
// Every connection is found under two keys: its original direction (the
// packet that created it) and its reply direction (that key reversed).
// For ICMP and ICMPv6 queries the "ports" are the identifier and the
// type/code: src_port holds the identifier, dst_port the type in its high
// byte and the code in its low one, and the reply key carries the reply
// type (echo request 8 <-> echo reply 0), so a reply finds its request.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/hash.h"
#include "packet/byte_order.h"

namespace flowpath::conntrack {

struct ConnectionKey {
  uint8_t src[16];  // IPv4 uses the first 4 bytes, the rest is zero
  uint8_t dst[16];
  be16 src_port;    // TCP/UDP/SCTP port; ICMP identifier
  be16 dst_port;    // TCP/UDP/SCTP port; ICMP (type << 8 | code), host order
  uint16_t zone;
  uint8_t proto;
  uint8_t ipv6;     // 0: IPv4, 1: IPv6

  friend bool operator==(const ConnectionKey& a, const ConnectionKey& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
  bool is_icmp() const { return proto == (ipv6 ? 58 : 1); }
  uint8_t icmp_type() const { return static_cast<uint8_t>(dst_port >> 8); }
  uint8_t icmp_code() const { return static_cast<uint8_t>(dst_port & 0xff); }
  // Transport identifiers apply (TCP, UDP, SCTP, UDP-Lite, DCCP, ICMP).
  bool has_ports() const;
};
static_assert(sizeof(ConnectionKey) == 40);

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoSctp = 132;
inline constexpr uint8_t kProtoUdpLite = 136;
inline constexpr uint8_t kProtoDccp = 33;

inline bool ConnectionKey::has_ports() const {
  return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp ||
         proto == kProtoUdpLite || proto == kProtoDccp || is_icmp();
}

// The ICMP/ICMPv6 type a query's reply carries (echo, timestamp,
// information, node information), or 0xff: not a query type.
uint8_t icmp_reply_type(uint8_t type, bool ipv6);

// The key of the other direction.
ConnectionKey reverse(const ConnectionKey& key);

// Hash of a key (the bucket a direction lives in). `basis` is per table.
inline uint32_t key_hash(const ConnectionKey& key, uint64_t basis) {
  uint64_t w[5];
  std::memcpy(w, &key, sizeof w);
  uint64_t h = basis;
  for (uint64_t x : w) h = hash_mix_word(h, x);
  return hash_finish(h);
}

}  // namespace flowpath::conntrack
