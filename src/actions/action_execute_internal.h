// Pieces shared by the files of the action executor (action_execute.cc,
// set_field.cc, action_execute_encap.cc, action_execute_hash.cc). Not an API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "actions/action_execute.h"
#include "common/netlink.h"
#include "packet/byte_order.h"
#include "packet/headers.h"
#include "packet/packet.h"
#include "packet/packet_batch.h"

namespace flowpath::exec {

inline void release(Packet* p) { p->pool()->release(p); }

// A batch as the executor carries it: the packets plus, per packet, the
// bytes a pending trunc() will cut from the tail at the next output, and
// whether anything took the packets (or copies of them) yet.
struct WorkBatch {
  PacketBatch packets;
  uint32_t cut[PacketBatch::kMaxSize];
  bool has_cut = false;
  // An output, userspace(), recirc, clone() or the like took the packets or
  // copies: what is left at the end of the list was not dropped.
  bool handed_off = false;

  size_t size() const { return packets.size(); }
  bool empty() const { return packets.empty(); }
  uint32_t cut_of(size_t i) const { return has_cut ? cut[i] : 0; }
  void add(Packet* p, uint32_t cut_bytes) {
    cut[packets.size()] = cut_bytes;
    packets.add(p);
  }
  // Keeps the packets whose bit is set in `keep`, in order; releases the
  // others, counting them as dropped for `why`.
  void keep_only(uint32_t keep, DropCounters& drops, DropReason why) {
    size_t n = packets.size(), kept = 0;
    Packet** slots = packets.data();
    for (size_t i = 0; i < n; ++i) {
      if (keep & (1u << i)) {
        slots[kept] = slots[i];
        cut[kept] = cut[i];
        ++kept;
      } else {
        release(slots[i]);
      }
    }
    packets.resize(kept);
    drops.add(why, n - kept);
  }
  void release_all() {
    for (Packet* p : packets) release(p);
    packets.clear();
    has_cut = false;
  }
};

// Calls f(attr) for each attribute of a (nested) list; stops at a bad header
// (validated lists have none).
template <typename F>
void for_each_nested(std::span<const uint8_t> list, F&& f) {
  size_t offset = 0;
  while (list.size() - offset >= kNlaHeaderLen) {
    uint16_t length = load_unaligned<uint16_t>(list.data() + offset);
    uint16_t type = load_unaligned<uint16_t>(list.data() + offset + 2);
    if (length < kNlaHeaderLen || length > list.size() - offset) return;
    f(NetlinkAttr{static_cast<uint16_t>(type & kNlaTypeMask),
                  list.subspan(offset + kNlaHeaderLen, length - kNlaHeaderLen)});
    offset += nla_align(length);
    if (offset > list.size()) return;
  }
}

// Mask with the low n bits set (n <= 32).
inline uint32_t low_bits(size_t n) { return n >= 32 ? 0xffffffffu : (1u << n) - 1; }

// Network-order loads and stores at a byte position.
inline be16 load_be16(const uint8_t* p) { return load_unaligned<be16>(p); }
inline be32 load_be32(const uint8_t* p) { return load_unaligned<be32>(p); }
inline void store_be16(uint8_t* p, be16 v) { store_unaligned<be16>(p, v); }
inline void store_be32(uint8_t* p, be32 v) { store_unaligned<be32>(p, v); }

template <typename T>
inline T masked(T old_value, T value, T mask) {
  return static_cast<T>((value & mask) | (old_value & ~mask));
}

inline constexpr be32 kPacketTypeEthernet = 0;
inline be32 packet_type_of_ethertype(uint16_t type) { return hton32((1u << 16) | type); }
inline bool is_mpls_ethertype(uint16_t type) {
  return type == ethertype::kMplsUnicast || type == ethertype::kMplsMulticast;
}

// The EtherType (host order) of the header at l3_offset, 0 when unknown: the
// two bytes before it in an Ethernet frame (the EtherType, or the SNAP
// type), or the packet type of an L3 packet. Behind MPLS it is unknown.
inline uint16_t l3_ethertype(const Packet& p) {
  if (p.l3_offset == Packet::kNoOffset || p.l2_5_offset != Packet::kNoOffset) return 0;
  if (p.md.packet_type == kPacketTypeEthernet) {
    if (p.l3_offset < sizeof(EthHeader) || p.l3_offset > p.size()) return 0;
    return ntoh16(load_be16(p.data() + p.l3_offset - 2));
  }
  uint32_t type = ntoh32(p.md.packet_type);
  if ((type >> 16) != 1 || p.l3_offset > p.size()) return 0;
  return static_cast<uint16_t>(type);
}

// The IP layer of a packet as sets and hashes need it, found from
// l3_offset. Lengths stop at the IP packet's end (padding excluded) and
// never pass the frame's end.
struct IpHeaders {
  uint8_t* l3 = nullptr;
  uint32_t l3_length = 0;  // IP header + payload present in the frame
  bool ipv6 = false;
  uint8_t proto = 0;                   // transport protocol after any IPv6 extension headers
  uint8_t* l4 = nullptr;               // nullptr: no transport header (later fragment, cut headers)
  uint32_t l4_length = 0;              // from l4 to the IP packet's end
  bool routing_segments_left = false;  // IPv6 routing header not yet at its destination
  // What follows the IP header as Open vSwitch's userspace datapath sees it
  // (its L4 offset), which the L4 sets write into whatever the protocol:
  // after the IPv4 header, or after IPv6's extension headers up to and
  // including a later fragment's header, so a later fragment's data too.
  // nullptr when the IP lengths exceed the frame or an extension header is
  // cut. `after_ip_proto` is the protocol of those bytes (for an IPv6 later
  // fragment, the fragment header's next header).
  uint8_t* after_ip = nullptr;
  uint32_t after_ip_length = 0;
  uint8_t after_ip_proto = 0;
  // An IPv6 fragment header other than a first fragment's (with more to
  // come): an address change updates no transport checksum, as in Open vSwitch.
  bool ipv6_fragment_keeps_checksum = false;
};

// Fills *ip for an IPv4 or IPv6 packet; false for anything else or a
// header too short for its own fields.
bool locate_ip(Packet& p, IpHeaders* ip);

// The L4 header when the packet is IP carrying `proto` and at least
// `min_length` bytes of it are present, else nullptr.
inline uint8_t* transport_header(const IpHeaders& ip, uint8_t proto, uint32_t min_length) {
  if (ip.l4 == nullptr || ip.proto != proto || ip.l4_length < min_length) return nullptr;
  return ip.l4;
}

// Makes room for pushing n bytes: when the headroom is short, slides the
// frame towards the tail (keeping its offsets). False when it cannot fit.
bool ensure_headroom(Packet& p, uint32_t n);

// ---- set / set_masked (set_field.cc)

// Applies one set (masked == false) or set_masked action, whose payload is
// one nested key attribute, to every packet of the batch.
void execute_set(PacketBatch& batch, std::span<const uint8_t> action_payload, bool masked);

// ---- push / pop (action_execute_encap.cc). Each returns false when the
// packet must be dropped (no room to grow, undecodable header).

bool push_vlan(Packet& p, be16 tpid, be16 tci);
void pop_vlan(Packet& p);
bool push_mpls(Packet& p, be32 lse, uint16_t ethertype);
void pop_mpls(Packet& p, uint16_t ethertype);
bool add_mpls(Packet& p, be32 lse, uint16_t ethertype, bool l3_tunnel);
bool push_eth(Packet& p, const uint8_t src[6], const uint8_t dst[6]);
void pop_eth(Packet& p);

// An NSH header built once per push_nsh action.
struct NshHeaderImage {
  uint8_t bytes[256];
  uint32_t length = 0;  // 0: the action could not be decoded
};
NshHeaderImage build_nsh_header(std::span<const uint8_t> push_nsh_payload);
bool push_nsh(Packet& p, const NshHeaderImage& header);
bool pop_nsh(Packet& p);

// ---- hash (action_execute_hash.cc)

// dp_hash for hash(l4(basis)) or hash(sym_l4(basis)); never 0.
uint32_t flow_hash(Packet& p, uint32_t basis, bool symmetric);
// The hash tnl_push takes a packet's outer UDP source port from when it
// has no receive hash: the fields of flow_hash(p, 0, false), mixed by two
// independent multiplies and a final mix rather than a serial chain of
// murmur rounds (a source port needs spread, not dp_hash's bucket quality);
// never 0.
uint32_t tunnel_source_hash(Packet& p);

}  // namespace flowpath::exec
