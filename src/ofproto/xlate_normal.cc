// Translation: the NORMAL action, a MAC-learning switch per VLAN with the
// port VLAN modes of Open vSwitch (access, trunk, native-tagged,
// native-untagged). Its decisions depend on the input port, the VLAN, and
// the source and destination MACs, so those are what the megaflow matches.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kVlanCfi = 0x1000;

std::string mac_text(const EthAddr& a) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a.bytes[0], a.bytes[1],
                     a.bytes[2], a.bytes[3], a.bytes[4], a.bytes[5]);
}

}  // namespace

void XlateContext::normal_set_vlan(const BridgePort& port, uint16_t vlan) {
  FlowKey& k = flow_.key;
  for (int i = 0; i < kMaxVlanTags; ++i) k.vlans[i] = normal_input_tags_[i];
  bool input_tagged = k.vlans[0].tci & hton16(kVlanCfi);
  bool tagged = vlan != 0 && output_tagged(port.config, vlan);
  if (!tagged) {
    if (input_tagged) {
      for (int i = 0; i < kMaxVlanTags - 1; ++i) k.vlans[i] = k.vlans[i + 1];
      k.vlans[kMaxVlanTags - 1] = VlanTag{0, 0};
    }
    return;
  }
  uint16_t pcp_bits = input_tagged ? (ntoh16(k.vlans[0].tci) & 0xe000) : 0;
  uint16_t tci = static_cast<uint16_t>(pcp_bits | kVlanCfi | vlan);
  if (input_tagged) {
    k.vlans[0].tci = hton16(tci);
  } else {
    for (int i = kMaxVlanTags - 1; i > 0; --i) k.vlans[i] = k.vlans[i - 1];
    k.vlans[0] = VlanTag{hton16(0x8100), hton16(tci)};
  }
}

void XlateContext::normal_flood(uint16_t vlan, uint32_t in_dp_port) {
  // Outputs that need the packet as it is go first, then the others, so the
  // datapath actions switch tags as rarely as possible.
  std::vector<const BridgePort*> same, retag;
  bool input_tagged = normal_input_tags_[0].tci & hton16(kVlanCfi);
  bool input_vid_is_vlan = input_tagged && (ntoh16(normal_input_tags_[0].tci) & 0xfff) == vlan;
  for (const auto& [dp_port, port] : bridge_.ports) {
    if (dp_port == in_dp_port || !port.live() || !port_carries_vlan(port.config, vlan)) continue;
    bool tagged = vlan != 0 && output_tagged(port.config, vlan);
    bool unchanged = tagged ? input_vid_is_vlan : !input_tagged;
    (unchanged ? same : retag).push_back(&port);
  }
  if (same.empty() && retag.empty()) trace(indent() + "NORMAL: no other port in the VLAN");
  for (const auto* list : {&same, &retag})
    for (const BridgePort* port : *list) {
      normal_set_vlan(*port, vlan);
      output_to_dp_port(port->dp_port);
    }
}

void XlateContext::normal() {
  FlowKey& k = flow_.key;
  uint32_t in_dp_port = k.md.in_port;
  const BridgePort* in = bridge_.port(in_dp_port);
  if (!in) {
    trace(indent() + "NORMAL: input port is not on the bridge: drop");
    return;
  }
  // The VLAN decides everything below: its VID and presence are examined.
  wc_.key.vlans[0].tci |= hton16(0x1fff);
  std::optional<uint16_t> vid;
  if (k.vlans[0].tci & hton16(kVlanCfi)) {
    vid = ntoh16(k.vlans[0].tci) & 0xfff;
    // Retagging keeps the priority bits: they matter too.
    wc_.key.vlans[0].tci = 0xffff;
    wc_.key.vlans[0].tpid = 0xffff;
  }
  std::optional<uint16_t> vlan = input_vlan(in->config, vid);
  if (!vlan) {
    if (tracing()) trace(fmt::format("{}NORMAL: port {} does not accept {}: drop", indent(), in->config.name,
                      vid ? fmt::format("VLAN {}", *vid) : std::string("untagged frames")));
    return;
  }
  wc_.key.eth_src = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  wc_.key.eth_dst = EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  for (int i = 0; i < kMaxVlanTags; ++i) normal_input_tags_[i] = k.vlans[i];

  bool src_multicast = k.eth_src.bytes[0] & 1;
  if (!src_multicast) result_.learned = XlateResult::Learned{k.eth_src, *vlan, in_dp_port};
  if (options_.may_learn && !in_underlay_ && !src_multicast) {
    auto learned = bridge_.mac.learn(k.eth_src, *vlan, in_dp_port, options_.now_ms);
    if (learned != MacLearningTable::LearnResult::kRefreshed) {
      result_.mac_changed = true;
      if (tracing()) trace(fmt::format("{}NORMAL: learned {} on port {} in VLAN {}{}", indent(),
                        mac_text(k.eth_src), in->config.name, *vlan,
                        learned == MacLearningTable::LearnResult::kMoved ? " (moved)" : ""));
    }
  }

  if (k.eth_dst.bytes[0] & 1) {
    if (tracing()) trace(fmt::format("{}NORMAL: {} destination {}: flood VLAN {}", indent(),
                      k.eth_dst == EthAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} ? "broadcast"
                                                                                : "multicast",
                      mac_text(k.eth_dst), *vlan));
    normal_flood(*vlan, in_dp_port);
  } else if (result_.mac_dependencies.push_back(MacLearningTable::key_of(k.eth_dst, *vlan));
             auto port_no = bridge_.mac.lookup(k.eth_dst, *vlan, options_.now_ms)) {
    const BridgePort* out = bridge_.port(*port_no);
    if (*port_no == in_dp_port) {
      if (tracing()) trace(fmt::format("{}NORMAL: {} was learned on the input port: drop", indent(),
                        mac_text(k.eth_dst)));
    } else if (!out || !out->live() || !port_carries_vlan(out->config, *vlan)) {
      if (tracing()) trace(fmt::format("{}NORMAL: {} learned on port {} which cannot take it now: drop",
                        indent(), mac_text(k.eth_dst), *port_no));
    } else {
      if (tracing()) trace(fmt::format("{}NORMAL: {} is on port {} (VLAN {})", indent(), mac_text(k.eth_dst),
                        out->config.name, *vlan));
      normal_set_vlan(*out, *vlan);
      output_to_dp_port(*port_no);
    }
  } else {
    if (tracing()) trace(fmt::format("{}NORMAL: {} unknown in VLAN {}: flood", indent(), mac_text(k.eth_dst),
                      *vlan));
    normal_flood(*vlan, in_dp_port);
  }
  // Later actions see the packet as NORMAL found it.
  for (int i = 0; i < kMaxVlanTags; ++i) k.vlans[i] = normal_input_tags_[i];
}

}  // namespace flowpath::ofproto
