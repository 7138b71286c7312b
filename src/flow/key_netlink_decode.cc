// OVS_KEY_ATTR_* attributes -> FlowKey / FlowMask, with the checks and the
// fitness rules of Open vSwitch 3.1 (odp_flow_key_to_flow / _to_mask):
// every length is checked, duplicates and malformed nesting are errors, and
// a key that lacks attributes its headers imply (eth_type 0x0800 without
// ipv4, ipv4 proto 6 without tcp, ...) fits "too little", one with attributes
// nothing implies (or unknown ones) "too much". An attribute that is not
// expected is not stored, so re-encoding a decoded key is stable.
//
// Masks are judged strictly: anything a mask says that the key gives no
// place for is an error, as the userspace datapath refuses such a megaflow.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "flow/key_netlink.h"
#include "flow/key_netlink_internal.h"

namespace flowpath {

namespace {

using namespace odp;
using namespace key_netlink;

std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

std::string hex32(uint32_t v) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%#x", v);
  return buf;
}

std::string packet_type_text(be32 packet_type) {
  uint32_t v = ntoh32(packet_type);
  return "packet_type(ns=" + std::to_string(v >> 16) + ",id=" + hex32(v & 0xffff) + ")";
}

bool payload_nonzero(const NetlinkAttr& a) {
  for (uint8_t b : a.payload) {
    if (b != 0) return true;
  }
  return false;
}

// The attributes of one nesting level (the top, or one encap), indexed by
// type, with what the parse so far expects to find there.
struct AttrLevel {
  std::array<NetlinkAttr, kKeyAttrMax + 1> attrs{};
  uint64_t present = 0;
  uint64_t expected = 0;
  int unknown_type = -1;  // first type past kKeyAttrMax, -1 if none
  const char* name = nullptr;  // null at the top, else "encap" / "inner encap"

  // Where the level is, for messages: "" or " in encap".
  std::string where() const { return name ? std::string(" in ") + name : std::string(); }

  bool has(uint16_t t) const { return (present >> t) & 1; }
  const NetlinkAttr& operator[](uint16_t t) const { return attrs[t]; }
  void expect(uint16_t t) { expected |= uint64_t{1} << t; }
  // An attribute the headers imply: expected whether or not it is there.
  bool require(uint16_t t) {
    expect(t);
    return has(t);
  }
  // An optional attribute: expected only when it is there.
  bool accept(uint16_t t) {
    if (has(t)) expect(t);
    return has(t);
  }
};
static_assert(kKeyAttrMax < 64);

Status collect(std::span<const uint8_t> buffer, const char* name, AttrLevel* level) {
  level->name = name;
  auto st = for_each_attribute(buffer, [level](const NetlinkAttr& a) -> Status {
    if (a.type == kKeyTunnelInfo) {
      return make_error("tunnel_info attribute is kernel-internal and not valid in a flow key");
    }
    if (a.type > kKeyAttrMax) {
      if (level->unknown_type < 0) level->unknown_type = a.type;
      return Ok{};
    }
    std::string attr_name = key_attr_name(a.type);
    int expected = kKeyAttrLength[a.type];
    if (expected >= 0 && a.size() != static_cast<size_t>(expected)) {
      return make_error(attr_name + " attribute has length " + std::to_string(a.size()) +
                        ", expected " + std::to_string(expected));
    }
    if (level->has(a.type)) return make_error("duplicate " + attr_name + " attribute");
    level->present |= uint64_t{1} << a.type;
    level->attrs[a.type] = a;
    return Ok{};
  });
  if (!st.ok() && name != nullptr) return make_error(std::string(name) + ": " + st.error());
  return st;
}

// The ARP opcode is keyed in 8 bits (Open vSwitch keeps it in nw_proto; a
// packet's opcode above 255 is extracted as 0 and a key holding one is
// refused), so only the mask's low byte means anything: a low byte of 0xff is
// the exact match (0x01ff and 0x00ff print as "op=2" as 0xffff does), any
// other keeps just that byte ("op=2/0xfbbe" is matched and dumped as
// "op=2/0xbe").
be16 arp_op_mask(be16 mask) {
  const uint16_t low = ntoh16(mask) & 0xff;
  return low == 0xff ? be16{0xffff} : hton16(low);
}

// An eth_type attribute. Zero stands for "802.2, no EtherType": that is how
// a megaflow on such frames prints (eth_type(0/0xffff)), so it reads back.
Status take_ethertype(be16 type, be16* out) {
  if (type == 0) {
    *out = hton16(ethertype::kNone);
    return Ok{};
  }
  *out = type;
  if (ntoh16(type) < ethertype::kMin) {
    return make_error("eth_type " + hex16(ntoh16(type)) + " is not an EtherType (below 0x0600)");
  }
  return Ok{};
}

// The EtherType of a level without an eth_type attribute: inferred from the
// L3 attribute as Open vSwitch does, else "not Ethernet II".
be16 implied_ethertype(const AttrLevel& level) {
  if (level.has(kKeyIpv4)) return hton16(ethertype::kIpv4);
  if (level.has(kKeyIpv6)) return hton16(ethertype::kIpv6);
  if (level.has(kKeyMpls)) return hton16(ethertype::kMplsUnicast);
  return hton16(ethertype::kNone);
}

Status check_frag(const char* name, uint8_t frag) {
  if (frag > kFragTypeLater) {
    return make_error(std::string(name) + " attribute has frag value " + std::to_string(frag) +
                      ", expected 0 (no), 1 (first) or 2 (later)");
  }
  return Ok{};
}

uint8_t frag_from_odp(uint8_t frag) {
  return frag == kFragTypeNone ? 0 : frag == kFragTypeFirst ? kFragAny : kFragAny | kFragLater;
}

// ---------------------------------------------------------------- key

class KeyDecoder {
 public:
  KeyDecoder(DecodedKey* out, int max_vlans) : k_(out->key), max_vlans_(max_vlans) {}

  Status run(std::span<const uint8_t> buffer) {
    k_.clear();
    AttrLevel& top = levels_[0];
    if (auto st = collect(buffer, nullptr, &top); !st.ok()) return st;
    used_ = 1;
    if (auto st = metadata(top); !st.ok()) return st;
    if (auto st = link_layer(top); !st.ok()) return st;
    if (auto st = headers(top); !st.ok()) return st;
    ct_tuples(top);
    for (int i = 0; i < used_; ++i) judge(levels_[i], i);
    return Ok{};
  }

  FitnessReport fitness;

 private:
  Status metadata(AttrLevel& top) {
    if (top.accept(kKeyPriority)) k_.md.skb_priority = top[kKeyPriority].get_u32();
    if (top.accept(kKeySkbMark)) k_.md.skb_mark = top[kKeySkbMark].get_u32();
    if (top.accept(kKeyRecircId)) k_.md.recirc_id = top[kKeyRecircId].get_u32();
    if (top.accept(kKeyDpHash)) k_.md.dp_hash = top[kKeyDpHash].get_u32();
    if (top.accept(kKeyCtState)) {
      uint32_t state = top[kKeyCtState].get_u32();
      if (state & ~uint32_t{0xff}) {
        return make_error("ct_state " + hex32(state) + " has bits outside the known flags (0xff)");
      }
      k_.md.ct_state = state;
    }
    if (top.accept(kKeyCtZone)) k_.md.ct_zone = top[kKeyCtZone].get_u16();
    if (top.accept(kKeyCtMark)) k_.md.ct_mark = top[kKeyCtMark].get_u32();
    if (top.accept(kKeyCtLabels)) std::memcpy(k_.md.ct_label, top[kKeyCtLabels].data(), 16);
    k_.md.in_port = top.accept(kKeyInPort) ? top[kKeyInPort].get_u32() : kNoInPort;
    if (top.accept(kKeyTunnel)) {
      if (auto st = decode_tunnel_key(top[kKeyTunnel].payload, &k_, &fitness); !st.ok()) return st;
    }
    return Ok{};
  }

  // packet_type, eth and the outermost EtherType. Without eth, an eth_type
  // makes the packet an L3 one of that EtherType (as the kernel reports
  // packets of L3 tunnels).
  Status link_layer(AttrLevel& top) {
    bool type_given = top.accept(kKeyPacketType);
    be32 type = type_given ? top[kKeyPacketType].get_u32() : 0;
    if (top.accept(kKeyEthernet)) {
      if (type != 0) {
        return make_error("eth attribute contradicts " + packet_type_text(type) +
                          " (eth means packet_type(ns=0,id=0))");
      }
      KeyEthernet eth = top[kKeyEthernet].get<KeyEthernet>();
      std::memcpy(k_.eth_src.bytes, eth.src, sizeof eth.src);
      std::memcpy(k_.eth_dst.bytes, eth.dst, sizeof eth.dst);
    } else if (top.has(kKeyEthertype)) {
      be32 l3_type = hton32(uint32_t{1} << 16 | ntoh16(top[kKeyEthertype].get_u16()));
      if (type_given && type != l3_type) {
        return make_error(packet_type_text(type) + " contradicts eth_type " +
                          hex16(ntoh16(top[kKeyEthertype].get_u16())) + " without eth");
      }
      type = l3_type;
    }
    k_.md.packet_type = type;
    if (top.accept(kKeyEthertype)) {
      be16 ethertype = top[kKeyEthertype].get_u16();
      // "No EtherType" (zero) exists only behind an Ethernet header.
      if (type != 0 && ntoh16(ethertype) < ethertype::kMin) {
        return make_error("eth_type " + hex16(ntoh16(ethertype)) +
                          " without eth is not an EtherType (below 0x0600)");
      }
      return take_ethertype(ethertype, &k_.eth_type);
    }
    uint32_t host_type = ntoh32(type);
    if (type == 0) {
      k_.eth_type = implied_ethertype(top);
    } else if (host_type >> 16 == 1) {
      k_.eth_type = hton16(static_cast<uint16_t>(host_type));
      top.expect(kKeyEthertype);  // an L3 packet's key names its EtherType
    } else {
      k_.eth_type = hton16(ethertype::kNone);
    }
    return Ok{};
  }

  // VLAN tags, each nesting the rest of the key in an encap, then the
  // innermost level's headers.
  Status headers(AttrLevel& top) {
    AttrLevel* level = &top;
    int depth = 0;
    for (; is_ethernet(k_) && depth < max_vlans_ && is_vlan_tpid(k_.eth_type); ++depth) {
      level->expect(kKeyVlan);
      level->expect(kKeyEncap);
      be16 tci = level->has(kKeyVlan) ? (*level)[kKeyVlan].get_u16() : 0;
      if (tci == 0) {
        // A cut tag: "eth_type(TPID),vlan(0),encap()". The TPID stays the
        // EtherType; nothing follows.
        if (level->has(kKeyEncap) && !(*level)[kKeyEncap].payload.empty()) {
          fitness.too_much("encap after vlan(0) should be empty" + level->where());
        }
        return Ok{};
      }
      if (!(tci & hton16(kVlanCfi))) {
        return make_error("vlan attribute " + hex16(ntoh16(tci)) +
                          " is non-zero but lacks the CFI bit (0x1000)" + level->where());
      }
      k_.vlans[depth] = VlanTag{k_.eth_type, tci};
      AttrLevel* inner = &levels_[used_++];
      const char* name = depth == 0 ? "encap" : "inner encap";
      if (level->has(kKeyEncap)) {
        if (auto st = collect((*level)[kKeyEncap].payload, name, inner); !st.ok()) return st;
      } else {
        inner->name = name;  // missing: judged as too little; nothing inside
      }
      if (inner->accept(kKeyEthertype)) {
        if (auto st = take_ethertype((*inner)[kKeyEthertype].get_u16(), &k_.eth_type); !st.ok()) {
          return st;
        }
      } else {
        k_.eth_type = implied_ethertype(*inner);
      }
      level = inner;
    }
    // Past the vlan-limit a TPID is the key's EtherType and nothing follows
    // it; a key that goes on with the next tag was made under a higher limit.
    if (depth == max_vlans_ && depth > 0 && max_vlans_ < kMaxVlanTags &&
        is_vlan_tpid(k_.eth_type) && (level->has(kKeyVlan) || level->has(kKeyEncap))) {
      fitness.too_much("vlan attribute" + level->where() + " is a tag past the vlan-limit (" +
                       std::to_string(max_vlans_) + " tag" + (max_vlans_ == 1 ? "" : "s") +
                       " parsed); the key must end at eth_type(" +
                       hex16(ntoh16(k_.eth_type)) + ")");
    }
    if (auto st = network(*level); !st.ok()) return st;
    return transport(*level);
  }

  Status network(AttrLevel& level) {
    uint16_t type = ntoh16(k_.eth_type);
    if (is_mpls(k_.eth_type)) return mpls(level);
    if (type == ethertype::kIpv4) {
      if (!level.require(kKeyIpv4)) return Ok{};
      KeyIpv4 ip = level[kKeyIpv4].get<KeyIpv4>();
      if (auto st = check_frag("ipv4", ip.frag); !st.ok()) return st;
      k_.ipv4_src = ip.src;
      k_.ipv4_dst = ip.dst;
      k_.nw_proto = ip.proto;
      k_.nw_tos = ip.tos;
      k_.nw_ttl = ip.ttl;
      k_.nw_frag = frag_from_odp(ip.frag);
    } else if (type == ethertype::kIpv6) {
      if (!level.require(kKeyIpv6)) return Ok{};
      KeyIpv6 ip = level[kKeyIpv6].get<KeyIpv6>();
      if (auto st = check_frag("ipv6", ip.frag); !st.ok()) return st;
      if (ip.label & ~hton32(0x000fffff)) {
        return make_error("ipv6 attribute has label " + hex32(ntoh32(ip.label)) +
                          ", wider than 20 bits");
      }
      std::memcpy(k_.ipv6_src, ip.src, 16);
      std::memcpy(k_.ipv6_dst, ip.dst, 16);
      k_.ipv6_label = ip.label;
      k_.nw_proto = ip.proto;
      k_.nw_tos = ip.tclass;
      k_.nw_ttl = ip.hlimit;
      k_.nw_frag = frag_from_odp(ip.frag);
    } else if (type == ethertype::kArp || type == ethertype::kRarp) {
      if (!level.require(kKeyArp)) return Ok{};
      KeyArp arp = level[kKeyArp].get<KeyArp>();
      if (arp.op & hton16(0xff00)) {
        return make_error("arp attribute has opcode " + std::to_string(ntoh16(arp.op)) +
                          ", only 8-bit opcodes are supported");
      }
      k_.ipv4_src = arp.sip;
      k_.ipv4_dst = arp.tip;
      k_.arp_op = arp.op;
      std::memcpy(k_.arp_sha.bytes, arp.sha, 6);
      std::memcpy(k_.arp_tha.bytes, arp.tha, 6);
    } else if (type == ethertype::kNsh) {
      if (level.require(kKeyNsh)) return decode_nsh_key(level[kKeyNsh].payload, &k_, &fitness);
    }
    return Ok{};
  }

  Status mpls(AttrLevel& level) {
    if (!level.require(kKeyMpls)) return Ok{};
    const NetlinkAttr& a = level[kKeyMpls];
    if (a.size() == 0 || a.size() % 4 != 0) {
      return make_error("mpls attribute has length " + std::to_string(a.size()) +
                        ", expected a non-zero multiple of 4");
    }
    int n = static_cast<int>(a.size() / 4);
    int kept = n < kMaxMplsLabels ? n : kMaxMplsLabels;
    std::memcpy(k_.mpls_lse, a.data(), sizeof(be32) * kept);
    for (int i = 0; i < kept; ++i) {
      bool innermost = i == n - 1;
      if (!innermost && (k_.mpls_lse[i] & hton32(kMplsBosMask))) {
        return make_error("mpls label " + std::to_string(i) + " of " + std::to_string(n) +
                          " has the bottom-of-stack bit, which only the last may have");
      }
    }
    if (n > kMaxMplsLabels) {
      fitness.too_much("mpls attribute has " + std::to_string(n) + " labels, at most " +
                       std::to_string(kMaxMplsLabels) + " are kept");
    } else if (n < kMaxMplsLabels && !(k_.mpls_lse[n - 1] & hton32(kMplsBosMask))) {
      fitness.too_little("mpls attribute has " + std::to_string(n) + " label" +
                         (n == 1 ? "" : "s") + " and none with bos=1: a stack of fewer than " +
                         std::to_string(kMaxMplsLabels) + " labels must end at the bottom");
    }
    return Ok{};
  }

  Status transport(AttrLevel& level) {
    if (!has_transport(k_)) return Ok{};
    switch (k_.nw_proto) {
      case ipproto::kTcp:
        if (level.require(kKeyTcp)) ports(level[kKeyTcp]);
        if (level.has(kKeyTcpFlags)) {
          level.expect(kKeyTcpFlags);
          be16 flags = level[kKeyTcpFlags].get_u16();
          if (flags & ~hton16(kTcpFlagsMask)) {
            return make_error("tcp_flags attribute " + hex16(ntoh16(flags)) +
                              " has bits outside the 12 TCP flag bits");
          }
          k_.tcp_flags = flags;
        }
        break;
      case ipproto::kUdp:
        if (level.require(kKeyUdp)) ports(level[kKeyUdp]);
        break;
      case ipproto::kSctp:
        if (level.require(kKeySctp)) ports(level[kKeySctp]);
        break;
      case ipproto::kIcmp:
        if (is_ipv4(k_) && level.require(kKeyIcmp)) icmp(level[kKeyIcmp]);
        break;
      case ipproto::kIcmpv6:
        if (is_ipv6(k_) && level.require(kKeyIcmpv6)) {
          icmp(level[kKeyIcmpv6]);
          if (is_neighbor_discovery(k_)) neighbor(level);
        }
        break;
      default:
        break;
    }
    return Ok{};
  }

  void ports(const NetlinkAttr& a) {
    KeyPorts p = a.get<KeyPorts>();
    k_.tp_src = p.src;
    k_.tp_dst = p.dst;
  }

  void icmp(const NetlinkAttr& a) {
    KeyIcmp icmp = a.get<KeyIcmp>();
    k_.tp_src = hton16(icmp.type);
    k_.tp_dst = hton16(icmp.code);
  }

  void neighbor(AttrLevel& level) {
    if (level.require(kKeyNd)) {
      KeyNd nd = level[kKeyNd].get<KeyNd>();
      std::memcpy(k_.nd_target, nd.target, 16);
      std::memcpy(k_.nd_sll.bytes, nd.sll, 6);
      std::memcpy(k_.nd_tll.bytes, nd.tll, 6);
    }
    if (level.has(kKeyNdExtensions)) {  // optional: present when non-zero
      level.expect(kKeyNdExtensions);
      KeyNdExtensions ext = level[kKeyNdExtensions].get<KeyNdExtensions>();
      k_.nd_reserved = ext.nd_reserved;
      k_.nd_options_type = ext.nd_options_type;
    }
  }

  // The original-direction tuple belongs to a packet conntrack tracked to a
  // valid connection, of the tuple's IP version; any other is not expected.
  void ct_tuples(AttrLevel& top) {
    bool tracked = (k_.md.ct_state & kCsTracked) && !(k_.md.ct_state & kCsInvalid);
    ConntrackTuple& t = k_.md.ct_orig_tuple;
    if (top.has(kKeyCtOrigTupleIpv4) && is_ipv4(k_) && tracked) {
      KeyCtTupleIpv4 v = top[kKeyCtOrigTupleIpv4].get<KeyCtTupleIpv4>();
      if (v.proto != 0) {
        top.expect(kKeyCtOrigTupleIpv4);
        std::memcpy(t.src, &v.src, sizeof v.src);
        std::memcpy(t.dst, &v.dst, sizeof v.dst);
        t.src_port = v.src_port;
        t.dst_port = v.dst_port;
        t.proto = v.proto;
      }
    }
    if (top.has(kKeyCtOrigTupleIpv6) && is_ipv6(k_) && tracked) {
      KeyCtTupleIpv6 v = top[kKeyCtOrigTupleIpv6].get<KeyCtTupleIpv6>();
      if (v.proto != 0) {
        top.expect(kKeyCtOrigTupleIpv6);
        std::memcpy(t.src, v.src, sizeof v.src);
        std::memcpy(t.dst, v.dst, sizeof v.dst);
        t.src_port = v.src_port;
        t.dst_port = v.dst_port;
        t.proto = v.proto;
      }
    }
  }

  // What made an attribute of the level at `depth` (0: the top, 1: inside
  // the first encap) expected, for the message of a key that lacks it.
  std::string implied_by(uint16_t type, int depth) const {
    switch (type) {
      case kKeyVlan:
      case kKeyEncap: {
        be16 tpid = depth < kMaxVlanTags && k_.vlans[depth].tpid ? k_.vlans[depth].tpid
                                                                 : k_.eth_type;
        return "eth_type(" + hex16(ntoh16(tpid)) + ")";
      }
      case kKeyEthertype:
        return packet_type_text(k_.md.packet_type);
      case kKeyTcp:
      case kKeyUdp:
      case kKeySctp:
      case kKeyIcmp:
      case kKeyIcmpv6:
        return std::string(is_ipv4(k_) ? "ipv4" : "ipv6") + "(proto=" +
               std::to_string(k_.nw_proto) + ")";
      case kKeyNd:
        return "icmpv6(type=" + std::to_string(ntoh16(k_.tp_src)) + ",code=0)";
      default:
        return "eth_type(" + hex16(ntoh16(k_.eth_type)) + ")";
    }
  }

  void judge(const AttrLevel& level, int depth) {
    uint64_t missing = level.expected & ~level.present;
    uint64_t extra = level.present & ~level.expected;
    if (missing) {
      uint16_t type = static_cast<uint16_t>(__builtin_ctzll(missing));
      fitness.too_little("missing " + key_attr_name(type) + " attribute" + level.where() +
                         ", which " + implied_by(type, depth) + " implies");
    }
    if (extra) {
      fitness.too_much("unexpected " + key_attr_name(__builtin_ctzll(extra)) + " attribute" +
                       level.where());
    }
    if (level.unknown_type >= 0) {
      fitness.too_much("unknown attribute type " + std::to_string(level.unknown_type) +
                       level.where());
    }
  }

  FlowKey& k_;
  int max_vlans_;
  std::array<AttrLevel, kMaxVlanTags + 1> levels_;
  int used_ = 0;
};

// ---------------------------------------------------------------- mask

class MaskDecoder {
 public:
  MaskDecoder(const FlowKey& key, FlowMask* out) : k_(key), m_(out->bits) {}

  Status run(std::span<const uint8_t> buffer) {
    m_.clear();
    AttrLevel& top = levels_[0];
    if (auto st = collect(buffer, nullptr, &top); !st.ok()) return st;
    used_ = 1;
    if (auto st = metadata(top); !st.ok()) return st;
    if (auto st = headers(top); !st.ok()) return st;
    for (int i = 0; i < used_; ++i) {
      if (auto st = leftovers(levels_[i]); !st.ok()) return st;
    }
    return Ok{};
  }

 private:
  Status metadata(AttrLevel& top) {
    if (top.accept(kKeyPriority)) m_.md.skb_priority = top[kKeyPriority].get_u32();
    if (top.accept(kKeySkbMark)) m_.md.skb_mark = top[kKeySkbMark].get_u32();
    // A mask that says nothing of recirc_id matches it exactly.
    m_.md.recirc_id = top.accept(kKeyRecircId) ? top[kKeyRecircId].get_u32() : 0xffffffff;
    if (top.accept(kKeyDpHash)) m_.md.dp_hash = top[kKeyDpHash].get_u32();
    if (top.accept(kKeyCtState)) m_.md.ct_state = top[kKeyCtState].get_u32() & 0xff;
    if (top.accept(kKeyCtZone)) m_.md.ct_zone = top[kKeyCtZone].get_u16();
    if (top.accept(kKeyCtMark)) m_.md.ct_mark = top[kKeyCtMark].get_u32();
    if (top.accept(kKeyCtLabels)) std::memcpy(m_.md.ct_label, top[kKeyCtLabels].data(), 16);
    if (top.accept(kKeyInPort)) m_.md.in_port = top[kKeyInPort].get_u32();
    // Likewise packet_type: the key's structure (eth present or not) already
    // says what it is, and a flow must never match another packet type.
    m_.md.packet_type = top.accept(kKeyPacketType) ? top[kKeyPacketType].get_u32() : 0xffffffff;
    if (top.accept(kKeyTunnel)) {
      if (auto st = decode_tunnel_mask(top[kKeyTunnel].payload, k_, &m_); !st.ok()) return st;
    }
    ConntrackTuple& t = m_.md.ct_orig_tuple;
    if (is_ipv4(k_) && top.accept(kKeyCtOrigTupleIpv4)) {
      KeyCtTupleIpv4 v = top[kKeyCtOrigTupleIpv4].get<KeyCtTupleIpv4>();
      std::memcpy(t.src, &v.src, sizeof v.src);
      std::memcpy(t.dst, &v.dst, sizeof v.dst);
      t.src_port = v.src_port;
      t.dst_port = v.dst_port;
      t.proto = v.proto;
    }
    if (is_ipv6(k_) && top.accept(kKeyCtOrigTupleIpv6)) {
      KeyCtTupleIpv6 v = top[kKeyCtOrigTupleIpv6].get<KeyCtTupleIpv6>();
      std::memcpy(t.src, v.src, sizeof v.src);
      std::memcpy(t.dst, v.dst, sizeof v.dst);
      t.src_port = v.src_port;
      t.dst_port = v.dst_port;
      t.proto = v.proto;
    }
    if (is_ethernet(k_) && top.accept(kKeyEthernet)) {
      KeyEthernet eth = top[kKeyEthernet].get<KeyEthernet>();
      std::memcpy(m_.eth_src.bytes, eth.src, 6);
      std::memcpy(m_.eth_dst.bytes, eth.dst, 6);
    }
    return Ok{};
  }

  // Walks the key's VLAN tags; at the first level without a tag, "no tag
  // here" is matched exactly unless the mask says otherwise.
  Status headers(AttrLevel& top) {
    AttrLevel* level = &top;
    int depth = 0;
    if (is_ethernet(k_)) {
      for (;; ++depth) {
        bool in_range = depth < kMaxVlanTags;
        if (in_range && (k_.vlans[depth].tci & hton16(kVlanCfi))) {
          m_.vlans[depth].tpid =
              level->accept(kKeyEthertype) ? (*level)[kKeyEthertype].get_u16() : 0;
          m_.vlans[depth].tci = level->accept(kKeyVlan) ? (*level)[kKeyVlan].get_u16() : 0;
          if (!level->accept(kKeyEncap)) return Ok{};  // the rest is wildcarded
          AttrLevel* inner = &levels_[used_++];
          const char* name = depth == 0 ? "encap" : "inner encap";
          if (auto st = collect((*level)[kKeyEncap].payload, name, inner); !st.ok()) return st;
          level = inner;
          continue;
        }
        if (in_range) {
          m_.vlans[depth].tpid = 0xffff;
          m_.vlans[depth].tci = level->accept(kKeyVlan) ? (*level)[kKeyVlan].get_u16() : 0xffff;
        }
        if (in_range && k_.vlans[depth].tci == 0 && is_vlan_tpid(k_.eth_type)) {
          // The key's cut tag: eth_type(TPID), vlan, encap() and nothing more.
          if (level->accept(kKeyEthertype)) m_.eth_type = (*level)[kKeyEthertype].get_u16();
          if (level->accept(kKeyEncap) && !(*level)[kKeyEncap].payload.empty()) {
            return make_error(std::string("mask has a non-empty encap after the key's vlan(0)") +
                              level->where());
          }
          return Ok{};
        }
        break;
      }
    }
    if (auto st = ethertype(*level); !st.ok()) return st;
    if (auto st = network(*level); !st.ok()) return st;
    return transport(*level);
  }

  Status ethertype(AttrLevel& level) {
    bool narrow = ntoh16(k_.eth_type) < ethertype::kMin;
    if (level.accept(kKeyEthertype)) {
      m_.eth_type = level[kKeyEthertype].get_u16();
      if (narrow && m_.eth_type != 0xffff && m_.eth_type != 0) {
        return make_error("eth_type mask " + hex16(ntoh16(m_.eth_type)) +
                          " must be 0xffff or 0 for a key without an Ethernet II type" +
                          level.where());
      }
    } else if (!is_ethernet(k_)) {
      m_.eth_type = 0xffff;  // the L3 type of a packet without Ethernet is always matched
    }
    // A key that names no EtherType at all ("in_port(1),eth()") leaves it
    // wildcarded: the megaflow takes every EtherType. (Open vSwitch refuses
    // such masks; accepting them is what a user writing one means.)
    return Ok{};
  }

  // An L3 mask with bits set needs an exactly matched EtherType.
  Status require_exact_ethertype(bool fields_masked, uint16_t type, const AttrLevel& level) {
    if (fields_masked && m_.eth_type != 0xffff) {
      return make_error(key_attr_name(type) + " mask matches fields but the eth_type mask is " +
                        hex16(ntoh16(m_.eth_type)) + ", not exact" + level.where());
    }
    return Ok{};
  }

  Status network(AttrLevel& level) {
    uint16_t type = ntoh16(k_.eth_type);
    if (is_mpls(k_.eth_type)) {
      if (!level.accept(kKeyMpls)) return Ok{};
      const NetlinkAttr& a = level[kKeyMpls];
      if (a.size() == 0 || a.size() % 4 != 0 || a.size() > sizeof m_.mpls_lse) {
        return make_error("mpls mask has length " + std::to_string(a.size()) +
                          ", expected 4, 8 or 12" + level.where());
      }
      std::memcpy(m_.mpls_lse, a.data(), a.size());
      return Ok{};
    }
    uint16_t attr = type == ethertype::kIpv4   ? kKeyIpv4
                    : type == ethertype::kIpv6 ? kKeyIpv6
                    : type == ethertype::kArp || type == ethertype::kRarp ? kKeyArp
                    : type == ethertype::kNsh  ? kKeyNsh
                                               : kKeyUnspec;
    if (attr == kKeyUnspec || !level.accept(attr)) return Ok{};
    const NetlinkAttr& a = level[attr];
    if (attr == kKeyNsh) {
      // Nested: judged by the fields it sets, not by its attribute headers.
      if (auto st = decode_nsh_mask(a.payload, &m_); !st.ok()) return st;
      const auto* nsh = reinterpret_cast<const uint8_t*>(&m_.nsh_flags);
      size_t nsh_len = offsetof(FlowKey, geneve_options) - offsetof(FlowKey, nsh_flags);
      bool masked = std::any_of(nsh, nsh + nsh_len, [](uint8_t b) { return b != 0; });
      return require_exact_ethertype(masked, attr, level);
    }
    if (auto st = require_exact_ethertype(payload_nonzero(a), attr, level); !st.ok()) return st;
    if (attr == kKeyIpv4) {
      KeyIpv4 ip = a.get<KeyIpv4>();
      m_.ipv4_src = ip.src;
      m_.ipv4_dst = ip.dst;
      m_.nw_proto = ip.proto;
      m_.nw_tos = ip.tos;
      m_.nw_ttl = ip.ttl;
      m_.nw_frag = ip.frag ? kFragMask : 0;
    } else if (attr == kKeyIpv6) {
      KeyIpv6 ip = a.get<KeyIpv6>();
      std::memcpy(m_.ipv6_src, ip.src, 16);
      std::memcpy(m_.ipv6_dst, ip.dst, 16);
      m_.ipv6_label = ip.label;
      m_.nw_proto = ip.proto;
      m_.nw_tos = ip.tclass;
      m_.nw_ttl = ip.hlimit;
      m_.nw_frag = ip.frag ? kFragMask : 0;
    } else if (attr == kKeyArp) {
      KeyArp arp = a.get<KeyArp>();
      m_.ipv4_src = arp.sip;
      m_.ipv4_dst = arp.tip;
      m_.arp_op = arp_op_mask(arp.op);
      std::memcpy(m_.arp_sha.bytes, arp.sha, 6);
      std::memcpy(m_.arp_tha.bytes, arp.tha, 6);
    }
    return Ok{};
  }

  Status transport(AttrLevel& level) {
    if (!has_transport(k_)) return Ok{};
    uint16_t attr = kKeyUnspec;
    switch (k_.nw_proto) {
      case ipproto::kTcp: attr = kKeyTcp; break;
      case ipproto::kUdp: attr = kKeyUdp; break;
      case ipproto::kSctp: attr = kKeySctp; break;
      case ipproto::kIcmp: attr = is_ipv4(k_) ? kKeyIcmp : kKeyUnspec; break;
      case ipproto::kIcmpv6: attr = is_ipv6(k_) ? kKeyIcmpv6 : kKeyUnspec; break;
      default: break;
    }
    if (attr == kKeyUnspec) return Ok{};
    if (attr == kKeyTcp && level.accept(kKeyTcpFlags)) m_.tcp_flags = level[kKeyTcpFlags].get_u16();
    if (level.accept(attr)) {
      if (attr == kKeyIcmp || attr == kKeyIcmpv6) {
        KeyIcmp icmp = level[attr].get<KeyIcmp>();
        m_.tp_src = hton16(icmp.type);
        m_.tp_dst = hton16(icmp.code);
      } else {
        KeyPorts p = level[attr].get<KeyPorts>();
        m_.tp_src = p.src;
        m_.tp_dst = p.dst;
      }
      if ((m_.tp_src != 0 || m_.tp_dst != 0) && m_.nw_proto != 0xff) {
        return make_error(key_attr_name(attr) + " mask matches ports but the IP protocol mask is " +
                          hex32(m_.nw_proto) + ", not exact" + level.where());
      }
    }
    if (attr == kKeyIcmpv6 && is_neighbor_discovery(k_)) return neighbor(level);
    return Ok{};
  }

  Status neighbor(AttrLevel& level) {
    for (uint16_t attr : {kKeyNd, kKeyNdExtensions}) {
      if (!level.accept(attr)) continue;
      if (payload_nonzero(level[attr]) && !icmp_fully_masked(m_)) {
        return make_error(key_attr_name(attr) + " mask needs the ICMPv6 type and code " +
                          "matched exactly" + level.where());
      }
    }
    if (level.has(kKeyNd)) {
      KeyNd nd = level[kKeyNd].get<KeyNd>();
      std::memcpy(m_.nd_target, nd.target, 16);
      std::memcpy(m_.nd_sll.bytes, nd.sll, 6);
      std::memcpy(m_.nd_tll.bytes, nd.tll, 6);
    }
    if (level.has(kKeyNdExtensions)) {
      KeyNdExtensions ext = level[kKeyNdExtensions].get<KeyNdExtensions>();
      m_.nd_reserved = ext.nd_reserved;
      m_.nd_options_type = ext.nd_options_type;
    }
    return Ok{};
  }

  // Whatever the key gives no place for is refused.
  Status leftovers(const AttrLevel& level) {
    if (level.unknown_type >= 0) {
      return make_error("mask has unknown attribute type " + std::to_string(level.unknown_type) +
                        level.where());
    }
    uint64_t extra = level.present & ~level.expected;
    if (extra) {
      return make_error("mask has " + key_attr_name(__builtin_ctzll(extra)) +
                        " attribute that the key has no place for" + level.where());
    }
    return Ok{};
  }

  const FlowKey& k_;
  FlowKey& m_;
  std::array<AttrLevel, kMaxVlanTags + 1> levels_;
  int used_ = 0;
};

}  // namespace

Result<DecodedKey> decode_key(std::span<const uint8_t> attrs, int max_vlan_headers) {
  DecodedKey out;
  KeyDecoder decoder(&out, vlan_headers_for_limit(max_vlan_headers));
  if (auto st = decoder.run(attrs); !st.ok()) return make_error(st.error());
  out.fitness = decoder.fitness.fitness;
  out.detail = std::move(decoder.fitness.detail);
  return out;
}

Result<FlowMask> decode_mask(std::span<const uint8_t> attrs, const FlowKey& key) {
  // No mask: the megaflow is exact on what this kind of packet has, as the
  // userspace datapath does for a flow given without one.
  if (attrs.empty()) return minimal_mask(key);
  FlowMask mask;
  MaskDecoder decoder(key, &mask);
  if (auto st = decoder.run(attrs); !st.ok()) return make_error(st.error());
  return mask;
}

}  // namespace flowpath
