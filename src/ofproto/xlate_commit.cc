// Translation: turning the pipeline's view of the packet into datapath
// actions. Set actions are emitted lazily, right before the packet leaves
// (output, userspace, push_mpls), for exactly the fields that differ between
// what the pipeline wants (flow_) and what the datapath packet is (base_).
#include <fmt/format.h>

#include <cstring>

#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kVlanCfi = 0x1000;

int vlan_count(const FlowKey& k) {
  int n = 0;
  while (n < kMaxVlanTags && (k.vlans[n].tci & hton16(kVlanCfi))) ++n;
  return n;
}

// Appends set_masked(ATTR(value), ATTR(mask)).
template <typename T>
void put_set_masked(NetlinkWriter& out, uint16_t key_attr, const T& value, const T& mask) {
  size_t nest = out.begin_nested(odp::kActionSetMasked);
  uint8_t* p = out.put_uninit(key_attr, 2 * sizeof(T));
  std::memcpy(p, &value, sizeof(T));
  std::memcpy(p + sizeof(T), &mask, sizeof(T));
  out.end_nested(nest);
}

// A field that differs is set under the bits the pipeline examined or wrote
// (the megaflow's mask of it), as Open vSwitch's masked sets: mod_nw_tos
// writes the DSCP bits only.
template <typename A, typename B>
void diff_field(const A& want, const A& have, const A& examined, B& value_out, B& mask_out,
                bool& changed) {
  static_assert(sizeof(A) == sizeof(B));
  std::memcpy(&value_out, &want, sizeof(A));
  if (std::memcmp(&want, &have, sizeof(A)) != 0) {
    std::memcpy(&mask_out, &examined, sizeof(B));
    uint8_t* m = reinterpret_cast<uint8_t*>(&mask_out);
    const uint8_t* w = reinterpret_cast<const uint8_t*>(&want);
    const uint8_t* h = reinterpret_cast<const uint8_t*>(&have);
    // Bits that differ are always in the mask.
    for (size_t i = 0; i < sizeof(B); ++i) m[i] |= static_cast<uint8_t>(w[i] ^ h[i]);
    changed = true;
  }
}

}  // namespace

void XlateContext::output_to_dp_port(uint32_t dp_port) {
  const BridgePort* port = bridge_.port(dp_port);
  if (!port) {
    if (tracing()) trace(fmt::format("{}output to port {}: no such port, skipped", indent(), dp_port));
    return;
  }
  if (!port->live()) {
    if (tracing()) trace(fmt::format("{}output to {}: port is down, skipped", indent(), port->config.name));
    return;
  }
  if (port->tunnel) return tunnel_output(*port);
  if (terminate_tunnel(*port)) return;
  commit();
  out_.put_u32(odp::kActionOutput, dp_port);
  if (tracing()) trace(fmt::format("{}-> output to {} (port {})", indent(), port->config.name,
                    dp_port == 0 ? std::string("LOCAL") : std::to_string(dp_port)));
}

void XlateContext::commit_vlans() {
  FlowKey& want = flow_.key;
  int nb = vlan_count(base_), nw = vlan_count(want);
  // Keep the longest run of innermost tags that already agree; pop the rest
  // and push the wanted outer tags.
  int keep = std::min(nb, nw);
  for (; keep > 0; --keep) {
    bool same = true;
    for (int i = 0; i < keep && same; ++i) {
      const VlanTag& b = base_.vlans[nb - keep + i];
      const VlanTag& w = want.vlans[nw - keep + i];
      same = b.tpid == w.tpid && b.tci == w.tci;
    }
    if (same) break;
  }
  if (nb == keep && nw == keep) return;
  for (int i = 0; i < nb - keep; ++i) out_.put_flag(odp::kActionPopVlan);
  for (int i = nw - keep - 1; i >= 0; --i) {
    odp::ActionPushVlan push{want.vlans[i].tpid, want.vlans[i].tci};
    out_.put(odp::kActionPushVlan, &push, sizeof push);
  }
  for (int i = 0; i < kMaxVlanTags; ++i) base_.vlans[i] = want.vlans[i];
}

void XlateContext::commit() {
  FlowKey& want = flow_.key;
  FlowKey& have = base_;

  if (want.eth_src != have.eth_src || want.eth_dst != have.eth_dst) {
    odp::KeyEthernet v{}, m{};
    bool changed = false;
    diff_field(want.eth_src, have.eth_src, wc_.key.eth_src, v.src, m.src, changed);
    diff_field(want.eth_dst, have.eth_dst, wc_.key.eth_dst, v.dst, m.dst, changed);
    put_set_masked(out_, odp::kKeyEthernet, v, m);
    have.eth_src = want.eth_src;
    have.eth_dst = want.eth_dst;
  }

  commit_vlans();

  if (want.eth_type == hton16(ethertype::kIpv4) && have.eth_type == want.eth_type) {
    odp::KeyIpv4 v{}, m{};
    bool changed = false;
    diff_field(want.ipv4_src, have.ipv4_src, wc_.key.ipv4_src, v.src, m.src, changed);
    diff_field(want.ipv4_dst, have.ipv4_dst, wc_.key.ipv4_dst, v.dst, m.dst, changed);
    diff_field(want.nw_tos, have.nw_tos, wc_.key.nw_tos, v.tos, m.tos, changed);
    diff_field(want.nw_ttl, have.nw_ttl, wc_.key.nw_ttl, v.ttl, m.ttl, changed);
    if (changed) {
      v.proto = 0;
      v.frag = 0;
      put_set_masked(out_, odp::kKeyIpv4, v, m);
      have.ipv4_src = want.ipv4_src;
      have.ipv4_dst = want.ipv4_dst;
      have.nw_tos = want.nw_tos;
      have.nw_ttl = want.nw_ttl;
    }
  } else if (want.eth_type == hton16(ethertype::kIpv6) && have.eth_type == want.eth_type) {
    odp::KeyIpv6 v{}, m{};
    bool changed = false;
    diff_field(want.ipv6_src, have.ipv6_src, wc_.key.ipv6_src, v.src, m.src, changed);
    diff_field(want.ipv6_dst, have.ipv6_dst, wc_.key.ipv6_dst, v.dst, m.dst, changed);
    diff_field(want.ipv6_label, have.ipv6_label, wc_.key.ipv6_label, v.label, m.label, changed);
    diff_field(want.nw_tos, have.nw_tos, wc_.key.nw_tos, v.tclass, m.tclass, changed);
    diff_field(want.nw_ttl, have.nw_ttl, wc_.key.nw_ttl, v.hlimit, m.hlimit, changed);
    if (changed) {
      v.proto = 0;
      v.frag = 0;
      m.label &= hton32(0xfffff);
      put_set_masked(out_, odp::kKeyIpv6, v, m);
      std::memcpy(have.ipv6_src, want.ipv6_src, 16);
      std::memcpy(have.ipv6_dst, want.ipv6_dst, 16);
      have.ipv6_label = want.ipv6_label;
      have.nw_tos = want.nw_tos;
      have.nw_ttl = want.nw_ttl;
    }
  } else if ((want.eth_type == hton16(ethertype::kArp) ||
              want.eth_type == hton16(ethertype::kRarp)) &&
             have.eth_type == want.eth_type) {
    odp::KeyArp v{}, m{};
    bool changed = false;
    diff_field(want.ipv4_src, have.ipv4_src, wc_.key.ipv4_src, v.sip, m.sip, changed);
    diff_field(want.ipv4_dst, have.ipv4_dst, wc_.key.ipv4_dst, v.tip, m.tip, changed);
    diff_field(want.arp_op, have.arp_op, wc_.key.arp_op, v.op, m.op, changed);
    diff_field(want.arp_sha, have.arp_sha, wc_.key.arp_sha, v.sha, m.sha, changed);
    diff_field(want.arp_tha, have.arp_tha, wc_.key.arp_tha, v.tha, m.tha, changed);
    if (changed) {
      put_set_masked(out_, odp::kKeyArp, v, m);
      have.ipv4_src = want.ipv4_src;
      have.ipv4_dst = want.ipv4_dst;
      have.arp_op = want.arp_op;
      have.arp_sha = want.arp_sha;
      have.arp_tha = want.arp_tha;
    }
  }

  bool ip = want.eth_type == hton16(ethertype::kIpv4) || want.eth_type == hton16(ethertype::kIpv6);
  if (ip && have.eth_type == want.eth_type && !(want.nw_frag & kFragLater) &&
      (want.tp_src != have.tp_src || want.tp_dst != have.tp_dst)) {
    uint16_t attr = 0;
    if (want.nw_proto == 6) attr = odp::kKeyTcp;
    else if (want.nw_proto == 17) attr = odp::kKeyUdp;
    else if (want.nw_proto == 132) attr = odp::kKeySctp;
    if (attr) {
      odp::KeyPorts v{}, m{};
      bool changed = false;
      diff_field(want.tp_src, have.tp_src, wc_.key.tp_src, v.src, m.src, changed);
      diff_field(want.tp_dst, have.tp_dst, wc_.key.tp_dst, v.dst, m.dst, changed);
      put_set_masked(out_, attr, v, m);
      have.tp_src = want.tp_src;
      have.tp_dst = want.tp_dst;
    }
  }

  if ((want.eth_type == hton16(0x8847) || want.eth_type == hton16(0x8848)) &&
      have.eth_type == want.eth_type && want.mpls_lse[0] != have.mpls_lse[0]) {
    size_t nest = out_.begin_nested(odp::kActionSet);
    out_.put_u32(odp::kKeyMpls, want.mpls_lse[0]);
    out_.end_nested(nest);
    have.mpls_lse[0] = want.mpls_lse[0];
  }

  if (want.md.skb_priority != have.md.skb_priority) {
    size_t nest = out_.begin_nested(odp::kActionSet);
    out_.put_u32(odp::kKeyPriority, want.md.skb_priority);
    out_.end_nested(nest);
    have.md.skb_priority = want.md.skb_priority;
  }
  if (want.md.skb_mark != have.md.skb_mark) {
    size_t nest = out_.begin_nested(odp::kActionSet);
    out_.put_u32(odp::kKeySkbMark, want.md.skb_mark);
    out_.end_nested(nest);
    have.md.skb_mark = want.md.skb_mark;
  }
}

}  // namespace flowpath::ofproto
