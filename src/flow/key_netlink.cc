// FlowKey / FlowMask -> OVS_KEY_ATTR_* attributes, in the order and with the
// presence rules of Open vSwitch 3.1's userspace datapath (the key of an
// upcall, the key and mask of a dumped megaflow):
//   skb_priority, tunnel, skb_mark, ct_state, ct_zone, ct_mark, ct_label,
//   ct_tuple4/6, recirc_id, dp_hash, in_port, packet_type, eth,
//   [eth_type(TPID), vlan, encap(...)]..., eth_type, L2.5/L3, L4.
// A key and its mask carry the same attributes (the key decides), except
// where a mask says something the key leaves implicit: a tunnel, conntrack
// tuple or tcp_flags mask next to a key without them.
#include <cstring>

#include "flow/key_netlink.h"
#include "flow/key_netlink_internal.h"

namespace flowpath {

namespace key_netlink {

std::string key_attr_name(uint16_t type) {
  if (const char* name = odp::key_attribute_name(type)) return name;
  return "key" + std::to_string(type);
}

// The labels a key holds: up to and including the bottom of the stack, as
// Open vSwitch counts them (flow_count_mpls_labels); without a bottom, up to
// and including the last entry that is not all zero, so a lone label with
// bos=0 is one label, not a stack padded to three. (Open vSwitch counts the
// non-zero entries there, which loses a label behind an all-zero one; this
// count is the same for every key without such a gap, and keeps the rest.)
int mpls_label_count(const FlowKey& key) {
  int count = 0;
  for (int i = 0; i < kMaxMplsLabels; ++i) {
    if (key.mpls_lse[i] & hton32(kMplsBosMask)) return i + 1;
    if (key.mpls_lse[i] != 0) count = i + 1;
  }
  return count;
}

bool has_ct_tuple(const FlowKey& key) {
  uint32_t state = key.md.ct_state;
  return (state & odp::kCsTracked) && !(state & odp::kCsInvalid) &&
         key.md.ct_orig_tuple.proto != 0 && (is_ipv4(key) || is_ipv6(key));
}

}  // namespace key_netlink

namespace {

using namespace odp;
using namespace key_netlink;

template <typename T>
bool payload_nonzero(const T& v) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&v);
  for (size_t i = 0; i < sizeof v; ++i) {
    if (bytes[i] != 0) return true;
  }
  return false;
}

// The ODP fragment type is an enumeration, not FlowKey's bits; a mask is all
// or nothing.
uint8_t frag_to_odp(uint8_t nw_frag, bool is_mask) {
  if (is_mask) return (nw_frag & kFragAny) ? 0xff : 0;
  if (!(nw_frag & kFragAny)) return kFragTypeNone;
  return (nw_frag & kFragLater) ? kFragTypeLater : kFragTypeFirst;
}

// Writes the attributes of `data` (the key itself, or a mask) laid out as
// `key` decides.
class AttrEncoder {
 public:
  // `mask` (may be null) is the megaflow's mask when encoding its key: an
  // attribute whose key value is zero is still written when the mask cares.
  AttrEncoder(const FlowKey& data, const FlowKey& key, bool is_mask, NetlinkWriter& out,
              int max_vlans, const FlowKey* mask = nullptr)
      : d_(data), k_(key), mask_(mask), is_mask_(is_mask), max_vlans_(max_vlans), out_(out) {}

  void encode() {
    metadata();
    headers();
  }

 private:
  void metadata() {
    out_.put_u32(kKeyPriority, d_.md.skb_priority);
    bool tunnel = tunnel_has_address(k_.md.tunnel) || (is_mask_ && tunnel_mask_nonzero(d_));
    if (tunnel) encode_tunnel(d_, k_, is_mask_, out_);
    out_.put_u32(kKeySkbMark, d_.md.skb_mark);
    out_.put_u32(kKeyCtState, d_.md.ct_state);
    out_.put_u16(kKeyCtZone, d_.md.ct_zone);
    out_.put_u32(kKeyCtMark, d_.md.ct_mark);
    out_.put(kKeyCtLabels, d_.md.ct_label, sizeof d_.md.ct_label);
    ct_tuple();
    out_.put_u32(kKeyRecircId, d_.md.recirc_id);
    out_.put_u32(kKeyDpHash, d_.md.dp_hash);
    if (is_mask_ || k_.md.in_port != kNoInPort) out_.put_u32(kKeyInPort, d_.md.in_port);
    // An exact packet_type mask is what a mask without the attribute means
    // (decode_mask), so leave it out: dumps stay as short as the input.
    if (!is_mask_ || d_.md.packet_type != 0xffffffff) {
      out_.put_u32(kKeyPacketType, d_.md.packet_type);
    }
  }

  void ct_tuple() {
    const ConntrackTuple& t = d_.md.ct_orig_tuple;
    bool key_has = has_ct_tuple(k_);
    if (is_ipv4(k_)) {
      KeyCtTupleIpv4 v{};
      std::memcpy(&v.src, t.src, sizeof v.src);
      std::memcpy(&v.dst, t.dst, sizeof v.dst);
      v.src_port = t.src_port;
      v.dst_port = t.dst_port;
      v.proto = t.proto;
      if (key_has || (is_mask_ && payload_nonzero(v))) out_.put_struct(kKeyCtOrigTupleIpv4, v);
    } else if (is_ipv6(k_)) {
      KeyCtTupleIpv6 v{};
      std::memcpy(v.src, t.src, sizeof v.src);
      std::memcpy(v.dst, t.dst, sizeof v.dst);
      v.src_port = t.src_port;
      v.dst_port = t.dst_port;
      v.proto = t.proto;
      if (key_has || (is_mask_ && payload_nonzero(v))) out_.put_struct(kKeyCtOrigTupleIpv6, v);
    }
  }

  // Ethernet and VLAN tags (each tag nests the rest in an encap attribute),
  // then the EtherType and what it announces.
  void headers() {
    size_t encaps[kMaxVlanTags];
    int open = 0;
    if (is_ethernet(k_)) {
      KeyEthernet eth;
      std::memcpy(eth.src, d_.eth_src.bytes, sizeof eth.src);
      std::memcpy(eth.dst, d_.eth_dst.bytes, sizeof eth.dst);
      out_.put_struct(kKeyEthernet, eth);
      // Past the vlan-limit's tags the TPID is the key's EtherType and the
      // key ends there, as Open vSwitch writes it: encap(eth_type(0x8100)).
      for (int i = 0; i < max_vlans_; ++i) {
        be16 tpid = k_.vlans[i].tpid;
        bool truncated = k_.vlans[i].tci == 0;
        if (truncated) {
          if (!is_vlan_tpid(k_.eth_type)) break;
          tpid = k_.eth_type;  // a cut tag leaves its TPID as the EtherType
        }
        // The datapath requires an exact TPID under a VLAN mask.
        out_.put_u16(kKeyEthertype, is_mask_ ? 0xffff : tpid);
        out_.put_u16(kKeyVlan, d_.vlans[i].tci);
        encaps[open++] = out_.begin_nested(kKeyEncap);
        if (truncated) return close(encaps, open);
      }
    }
    if (ntoh16(k_.eth_type) < ethertype::kMin) {
      // An 802.3 frame has no EtherType attribute; its mask says "exactly
      // not an Ethernet II frame" (0xffff) or "any EtherType" (0).
      if (is_mask_) out_.put_u16(kKeyEthertype, d_.eth_type == 0 ? 0 : 0xffff);
      return close(encaps, open);
    }
    out_.put_u16(kKeyEthertype, d_.eth_type);
    if (!is_vlan_tpid(k_.eth_type)) {  // a tag beyond kMaxVlanTags ends the key
      network();
      transport();
    }
    close(encaps, open);
  }

  void close(const size_t* encaps, int open) {
    while (open > 0) out_.end_nested(encaps[--open]);
  }

  void network() {
    if (is_ipv4(k_)) {
      KeyIpv4 ip{d_.ipv4_src, d_.ipv4_dst, d_.nw_proto, d_.nw_tos, d_.nw_ttl,
                 frag_to_odp(d_.nw_frag, is_mask_)};
      out_.put_struct(kKeyIpv4, ip);
    } else if (is_ipv6(k_)) {
      KeyIpv6 ip;
      std::memcpy(ip.src, d_.ipv6_src, sizeof ip.src);
      std::memcpy(ip.dst, d_.ipv6_dst, sizeof ip.dst);
      ip.label = d_.ipv6_label;
      ip.proto = d_.nw_proto;
      ip.tclass = d_.nw_tos;
      ip.hlimit = d_.nw_ttl;
      ip.frag = frag_to_odp(d_.nw_frag, is_mask_);
      out_.put_struct(kKeyIpv6, ip);
    } else if (k_.eth_type == hton16(ethertype::kArp) || k_.eth_type == hton16(ethertype::kRarp)) {
      KeyArp arp{};
      arp.sip = d_.ipv4_src;
      arp.tip = d_.ipv4_dst;
      arp.op = d_.arp_op;
      std::memcpy(arp.sha, d_.arp_sha.bytes, sizeof arp.sha);
      std::memcpy(arp.tha, d_.arp_tha.bytes, sizeof arp.tha);
      out_.put_struct(kKeyArp, arp);
    } else if (is_mpls(k_.eth_type)) {
      // A packet cut before its first label has none: no attribute, which
      // Open vSwitch prints the same way (its empty one is all wildcard).
      if (int labels = mpls_label_count(k_)) out_.put(kKeyMpls, d_.mpls_lse, sizeof(be32) * labels);
    } else if (k_.eth_type == hton16(ethertype::kNsh)) {
      encode_nsh(d_, k_, is_mask_, out_);
    }
  }

  void transport() {
    if (!has_transport(k_)) return;
    switch (k_.nw_proto) {
      case ipproto::kTcp:
        out_.put_struct(kKeyTcp, KeyPorts{d_.tp_src, d_.tp_dst});
        if (d_.tcp_flags != 0 || (mask_ && mask_->tcp_flags != 0)) {
          out_.put_u16(kKeyTcpFlags, d_.tcp_flags);
        }
        break;
      case ipproto::kUdp:
        out_.put_struct(kKeyUdp, KeyPorts{d_.tp_src, d_.tp_dst});
        break;
      case ipproto::kSctp:
        out_.put_struct(kKeySctp, KeyPorts{d_.tp_src, d_.tp_dst});
        break;
      case ipproto::kIcmp:
        if (is_ipv4(k_)) out_.put_struct(kKeyIcmp, icmp());
        break;
      case ipproto::kIcmpv6:
        if (!is_ipv6(k_)) break;
        out_.put_struct(kKeyIcmpv6, icmp());
        // A mask can cover ND fields only where it covers type and code.
        if (is_neighbor_discovery(k_) && (!is_mask_ || icmp_fully_masked(d_))) neighbor();
        break;
      default:
        break;
    }
  }

  KeyIcmp icmp() const {
    return KeyIcmp{static_cast<uint8_t>(ntoh16(d_.tp_src)),
                   static_cast<uint8_t>(ntoh16(d_.tp_dst))};
  }

  void neighbor() {
    KeyNd nd;
    std::memcpy(nd.target, d_.nd_target, sizeof nd.target);
    std::memcpy(nd.sll, d_.nd_sll.bytes, sizeof nd.sll);
    std::memcpy(nd.tll, d_.nd_tll.bytes, sizeof nd.tll);
    // No nd_ext: Open vSwitch's userspace datapath does not put one in the
    // keys it sends up or dumps (its datapath support lacks nd_ext), even for
    // an advertisement whose R/S/O flags make nd_reserved non-zero.
    out_.put_struct(kKeyNd, nd);
  }

  const FlowKey& d_;
  const FlowKey& k_;
  const FlowKey* mask_;
  bool is_mask_;
  int max_vlans_;
  NetlinkWriter& out_;
};

}  // namespace

const char* to_string(KeyFitness f) {
  switch (f) {
    case KeyFitness::kPerfect: return "perfect";
    case KeyFitness::kTooMuch: return "too_much";
    case KeyFitness::kTooLittle: return "too_little";
  }
  return "invalid";
}

void encode_key(const FlowKey& key, NetlinkWriter& out, const FlowMask* mask,
                int max_vlan_headers) {
  AttrEncoder(key, key, false, out, vlan_headers_for_limit(max_vlan_headers), mask ? &mask->bits : nullptr)
      .encode();
}

void encode_mask(const FlowMask& mask, const FlowKey& key, NetlinkWriter& out,
                 int max_vlan_headers) {
  AttrEncoder(mask.bits, key, true, out, vlan_headers_for_limit(max_vlan_headers)).encode();
}

}  // namespace flowpath
