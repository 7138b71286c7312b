// hash(l4(basis)) and hash(sym_l4(basis)): the dp_hash a later recirculation
// matches on (bonds, select groups). Like the Linux datapath, a packet with
// a receive hash reuses it for l4, and the result is never 0.
#include <cstring>
#include <utility>

#include "actions/action_execute_internal.h"

namespace flowpath::exec {

namespace {

// Murmur3-style word mixing.
inline uint32_t rotate_left(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

inline uint32_t hash_add(uint32_t hash, uint32_t word) {
  word *= 0xcc9e2d51u;
  word = rotate_left(word, 15);
  word *= 0x1b873593u;
  hash ^= word;
  hash = rotate_left(hash, 13);
  return hash * 5 + 0xe6546b64u;
}

inline uint32_t hash_finish(uint32_t hash, uint32_t length) {
  hash ^= length;
  hash ^= hash >> 16;
  hash *= 0x85ebca6bu;
  hash ^= hash >> 13;
  hash *= 0xc2b2ae35u;
  hash ^= hash >> 16;
  return hash;
}

uint32_t hash_bytes(uint32_t hash, const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i + 4 <= n; i += 4) hash = hash_add(hash, load_unaligned<uint32_t>(bytes + i));
  return hash;
}

// The fields of the 5-tuple as they sit in the packet.
struct FiveTuple {
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  size_t address_length = 0;  // 4, 16, or 0 for non-IP
  uint8_t proto = 0;
  be16 src_port = 0, dst_port = 0;
  uint16_t ethertype = 0;
};

FiveTuple five_tuple(Packet& p) {
  FiveTuple t;
  IpHeaders ip;
  if (!locate_ip(p, &ip)) {
    t.ethertype = l3_ethertype(p);
    return t;
  }
  t.ethertype = ip.ipv6 ? ethertype::kIpv6 : ethertype::kIpv4;
  if (ip.ipv6) {
    t.src = ip.l3 + offsetof(Ipv6Header, src);
    t.dst = ip.l3 + offsetof(Ipv6Header, dst);
    t.address_length = 16;
  } else {
    t.src = ip.l3 + offsetof(Ipv4Header, src);
    t.dst = ip.l3 + offsetof(Ipv4Header, dst);
    t.address_length = 4;
  }
  t.proto = ip.proto;
  bool has_ports =
      ip.proto == ipproto::kTcp || ip.proto == ipproto::kUdp || ip.proto == ipproto::kSctp;
  if (has_ports && ip.l4 != nullptr && ip.l4_length >= 4) {
    t.src_port = load_be16(ip.l4);
    t.dst_port = load_be16(ip.l4 + 2);
  }
  return t;
}

}  // namespace

uint32_t flow_hash(Packet& p, uint32_t basis, bool symmetric) {
  uint32_t hash;
  if (!symmetric && p.rss_hash != 0) {
    hash = hash_finish(hash_add(basis, p.rss_hash), 4);
  } else {
    FiveTuple t = five_tuple(p);
    // The symmetric variant orders the two endpoints, so both directions
    // of a connection hash alike.
    if (symmetric && t.address_length != 0) {
      int order = std::memcmp(t.src, t.dst, t.address_length);
      if (order > 0 || (order == 0 && ntoh16(t.src_port) > ntoh16(t.dst_port))) {
        std::swap(t.src, t.dst);
        std::swap(t.src_port, t.dst_port);
      }
    }
    hash = basis;
    hash = hash_bytes(hash, t.src, t.address_length);
    hash = hash_bytes(hash, t.dst, t.address_length);
    hash = hash_add(hash, (static_cast<uint32_t>(t.ethertype) << 8) | t.proto);
    hash = hash_add(hash, (static_cast<uint32_t>(t.src_port) << 16) | t.dst_port);
    hash = hash_finish(hash, static_cast<uint32_t>(2 * t.address_length + 8));
  }
  return hash != 0 ? hash : 1;
}

uint32_t tunnel_source_hash(Packet& p) {
  const FiveTuple t = five_tuple(p);
  uint64_t addresses = 0;  // non-IP: the ethertype alone
  if (t.address_length == 4) {
    addresses = load_unaligned<uint32_t>(t.src) | uint64_t{load_unaligned<uint32_t>(t.dst)} << 32;
  } else if (t.address_length == 16) {
    addresses = (load_unaligned<uint64_t>(t.src) * 0x9e3779b97f4a7c15ull) ^
                (load_unaligned<uint64_t>(t.src + 8) * 0xc2b2ae3d27d4eb4full) ^
                (load_unaligned<uint64_t>(t.dst) * 0x165667b19e3779f9ull) ^
                (load_unaligned<uint64_t>(t.dst + 8) * 0x27d4eb2f165667c5ull);
  }
  const uint64_t rest = (uint64_t{t.src_port} << 48) | (uint64_t{t.dst_port} << 32) |
                        (uint32_t{t.ethertype} << 8) | t.proto;
  uint64_t h = (addresses ^ 0x2545f4914f6cdd1dull) * 0xbf58476d1ce4e5b9ull;
  h ^= (rest ^ 0x94d049bb133111ebull) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 31;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  const uint32_t hash = static_cast<uint32_t>(h);
  return hash != 0 ? hash : 1;
}

}  // namespace flowpath::exec
