// References for the rule classifier's tests: the linear scan that OpenFlow
// tables were before the classifier, with its wildcard tracking (a proof per
// higher-priority rule that failed: a prefix of one field where the flow
// differs from it). The classifier must find the same rules, and its
// megaflows must be as wide as this scan's.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <vector>

#include "ofproto/rule.h"

namespace flowpath::ofproto::reference {

// The fields of an OfFlow as units of un-wildcarding: a network-order unit
// can be proven with a prefix; host-order units are taken whole.
struct Unit {
  uint16_t offset;
  uint8_t bytes;
  bool prefix;
};

class UnitMap {
 public:
  UnitMap() {
    owner_.fill(-1);
    auto host = [&](size_t off, size_t len) { add(off, len, false); };
    auto net = [&](size_t off, size_t len) { add(off, len, true); };
    constexpr size_t md = offsetof(OfFlow, key) + offsetof(FlowKey, md);
    constexpr size_t tun = md + offsetof(PacketMetadata, tunnel);
    net(tun + offsetof(TunnelMetadata, tun_id), 8);
    net(tun + offsetof(TunnelMetadata, ipv4_src), 4);
    net(tun + offsetof(TunnelMetadata, ipv4_dst), 4);
    net(tun + offsetof(TunnelMetadata, ipv6_src), 16);
    net(tun + offsetof(TunnelMetadata, ipv6_dst), 16);
    net(tun + offsetof(TunnelMetadata, tp_src), 2);
    net(tun + offsetof(TunnelMetadata, tp_dst), 2);
    host(tun + offsetof(TunnelMetadata, flags), 2);
    host(md + offsetof(PacketMetadata, in_port), 4);
    host(md + offsetof(PacketMetadata, skb_priority), 4);
    host(md + offsetof(PacketMetadata, skb_mark), 4);
    host(md + offsetof(PacketMetadata, recirc_id), 4);
    host(md + offsetof(PacketMetadata, dp_hash), 4);
    host(md + offsetof(PacketMetadata, ct_state), 4);
    host(md + offsetof(PacketMetadata, ct_zone), 2);
    host(md + offsetof(PacketMetadata, ct_mark), 4);
    net(md + offsetof(PacketMetadata, ct_label), 16);
    host(md + offsetof(PacketMetadata, packet_type), 4);
    constexpr size_t k = offsetof(OfFlow, key);
    net(k + offsetof(FlowKey, eth_src), 6);
    net(k + offsetof(FlowKey, eth_dst), 6);
    net(k + offsetof(FlowKey, eth_type), 2);
    for (int i = 0; i < kMaxVlanTags; ++i) {
      net(k + offsetof(FlowKey, vlans) + i * sizeof(VlanTag), 2);
      net(k + offsetof(FlowKey, vlans) + i * sizeof(VlanTag) + 2, 2);
    }
    for (int i = 0; i < kMaxMplsLabels; ++i) net(k + offsetof(FlowKey, mpls_lse) + 4 * i, 4);
    net(k + offsetof(FlowKey, ipv4_src), 4);
    net(k + offsetof(FlowKey, ipv4_dst), 4);
    net(k + offsetof(FlowKey, ipv6_src), 16);
    net(k + offsetof(FlowKey, ipv6_dst), 16);
    net(k + offsetof(FlowKey, ipv6_label), 4);
    net(k + offsetof(FlowKey, arp_sha), 6);
    net(k + offsetof(FlowKey, arp_tha), 6);
    net(k + offsetof(FlowKey, arp_op), 2);
    net(k + offsetof(FlowKey, tp_src), 2);
    net(k + offsetof(FlowKey, tp_dst), 2);
    net(k + offsetof(FlowKey, tcp_flags), 2);
    net(k + offsetof(FlowKey, nd_target), 16);
    net(k + offsetof(FlowKey, nd_sll), 6);
    net(k + offsetof(FlowKey, nd_tll), 6);
    net(k + offsetof(FlowKey, nd_reserved), 4);
    net(k + offsetof(FlowKey, nsh_path_hdr), 4);
    host(offsetof(OfFlow, metadata), 8);
    for (int i = 0; i < kNumRegisters; ++i) host(offsetof(OfFlow, regs) + 4 * i, 4);
    for (size_t i = 0; i < sizeof(OfFlow); ++i)
      if (owner_[i] < 0) add(i, 1, true);
  }
  const Unit& unit_at(size_t byte) const { return units_[static_cast<size_t>(owner_[byte])]; }

 private:
  void add(size_t offset, size_t bytes, bool prefix) {
    for (size_t i = offset; i < offset + bytes; ++i) owner_[i] = static_cast<int16_t>(units_.size());
    units_.push_back(Unit{static_cast<uint16_t>(offset), static_cast<uint8_t>(bytes), prefix});
  }
  std::array<int16_t, sizeof(OfFlow)> owner_{};
  std::vector<Unit> units_;
};

inline unsigned proof_bits(const Unit& unit, const OfMatch& match, const OfFlow& flow,
                           const OfFlow& wc, uint8_t* bits) {
  const uint8_t* m = match.mask.bytes() + unit.offset;
  const uint8_t* v = match.value.bytes() + unit.offset;
  const uint8_t* f = flow.bytes() + unit.offset;
  const uint8_t* w = wc.bytes() + unit.offset;
  if (unit.prefix) {
    size_t i = 0;
    for (; i < unit.bytes; ++i) {
      auto diff = static_cast<uint8_t>((f[i] ^ v[i]) & m[i]);
      if (diff) {
        auto top = static_cast<uint8_t>(0x80u >> std::countl_zero(diff));
        bits[i] = static_cast<uint8_t>(m[i] & ~(top - 1));
        break;
      }
      bits[i] = m[i];
    }
    for (size_t j = i + 1; j < unit.bytes; ++j) bits[j] = 0;
  } else {
    for (size_t i = 0; i < unit.bytes; ++i) bits[i] = m[i];
  }
  unsigned cost = 0;
  for (size_t i = 0; i < unit.bytes; ++i) {
    bits[i] = static_cast<uint8_t>(bits[i] & ~w[i]);
    cost += static_cast<unsigned>(std::popcount(bits[i]));
  }
  return cost;
}

inline void unwildcard_mismatch(const OfMatch& match, const OfFlow& flow, OfFlow* wc) {
  for (size_t i = 0; i < OfFlow::kWords; ++i) {
    uint64_t diff = (flow.words()[i] ^ match.value.words()[i]) & match.mask.words()[i];
    if (diff & wc->words()[i]) return;  // already proven
  }
  static const UnitMap units;
  const Unit* best = nullptr;
  unsigned best_cost = ~0u;
  uint8_t best_bits[16] = {};
  uint8_t bits[16];
  for (size_t i = 0; i < OfFlow::kWords; ++i) {
    uint64_t diff = (flow.words()[i] ^ match.value.words()[i]) & match.mask.words()[i];
    while (diff) {
      size_t byte = i * 8 + static_cast<size_t>(std::countr_zero(diff)) / 8;
      const Unit& unit = units.unit_at(byte);
      unsigned cost = proof_bits(unit, match, flow, *wc, bits);
      if (cost < best_cost) {
        best_cost = cost;
        best = &unit;
        std::copy(bits, bits + unit.bytes, best_bits);
      }
      size_t end = unit.offset + unit.bytes;
      if (end >= (i + 1) * 8) break;
      diff &= ~uint64_t{0} << ((end - i * 8) * 8);
    }
  }
  if (!best) return;
  uint8_t* w = wc->bytes() + best->offset;
  for (size_t i = 0; i < best->bytes; ++i) w[i] |= best_bits[i];
}

// Rules sorted by priority descending (ties: earlier first).
inline const Rule* linear_lookup(const std::vector<RulePtr>& rules, const OfFlow& flow,
                                 OfFlow* wc) {
  for (const RulePtr& rule : rules) {
    if (rule->match.matches(flow)) {
      if (wc)
        for (size_t i = 0; i < OfFlow::kWords; ++i) wc->words()[i] |= rule->match.mask.words()[i];
      return rule.get();
    }
    if (wc) unwildcard_mismatch(rule->match, flow, wc);
  }
  return nullptr;
}

}  // namespace flowpath::ofproto::reference
