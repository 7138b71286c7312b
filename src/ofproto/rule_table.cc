#include "ofproto/rule_table.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <variant>

namespace flowpath::ofproto {

namespace {

// The fields of an OfFlow as units of storage for un-wildcarding. In a
// network-order unit the first byte is the most significant, so a mismatch
// can be proven with a prefix (as IP prefix tries do in Open vSwitch); host-
// order units (metadata, registers, port numbers) are taken whole.
struct Unit {
  uint16_t offset;
  uint8_t bytes;
  bool prefix;
};

class UnitMap {
 public:
  UnitMap() {
    // Every byte is its own prefix unit unless a field below claims it.
    for (size_t i = 0; i < sizeof(OfFlow); ++i) owner_[i] = -1;
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

const UnitMap& unit_map() {
  static const UnitMap map;
  return map;
}

// The bits to add to `wc` within `unit` to prove the mismatch there.
// Returns the number of new bits and writes them to `bits` (unit-sized).
unsigned proof_bits(const Unit& unit, const OfMatch& match, const OfFlow& flow, const OfFlow& wc,
                    uint8_t* bits) {
  const uint8_t* m = match.mask.bytes() + unit.offset;
  const uint8_t* v = match.value.bytes() + unit.offset;
  const uint8_t* f = flow.bytes() + unit.offset;
  const uint8_t* w = wc.bytes() + unit.offset;
  if (unit.prefix) {
    // The rule's mask bits from the most significant down to the first bit
    // where the flow differs.
    size_t i = 0;
    for (; i < unit.bytes; ++i) {
      uint8_t diff = static_cast<uint8_t>((f[i] ^ v[i]) & m[i]);
      if (diff) {
        uint8_t top = static_cast<uint8_t>(0x80u >> std::countl_zero(diff));
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

bool rule_order(const RulePtr& a, const RulePtr& b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  return a->sequence < b->sequence;
}

// Is `rule`'s match at least as specific as `filter` and consistent with it?
bool refines(const OfMatch& rule, const OfMatch& filter) {
  for (size_t i = 0; i < OfFlow::kWords; ++i) {
    uint64_t fm = filter.mask.words()[i];
    if ((rule.mask.words()[i] & fm) != fm) return false;
    if ((rule.value.words()[i] & fm) != filter.value.words()[i]) return false;
  }
  return true;
}

}  // namespace

void unwildcard_mismatch(const OfMatch& match, const OfFlow& flow, OfFlow* wc) {
  // Already proven by bits examined before?
  for (size_t i = 0; i < OfFlow::kWords; ++i) {
    uint64_t diff = (flow.words()[i] ^ match.value.words()[i]) & match.mask.words()[i];
    if (diff & wc->words()[i]) return;
  }
  const UnitMap& units = unit_map();
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
      // Skip the rest of this unit within the word.
      size_t end = unit.offset + unit.bytes;
      if (end >= (i + 1) * 8) break;
      diff &= ~uint64_t{0} << ((end - i * 8) * 8);
    }
  }
  if (!best) return;  // the match does not fail on this flow
  uint8_t* w = wc->bytes() + best->offset;
  for (size_t i = 0; i < best->bytes; ++i) w[i] |= best_bits[i];
}

const Rule* RuleTable::lookup(const OfFlow& flow, OfFlow* wc) const {
  for (const RulePtr& rule : rules_) {
    if (rule->match.matches(flow)) {
      if (wc)
        for (size_t i = 0; i < OfFlow::kWords; ++i) wc->words()[i] |= rule->match.mask.words()[i];
      return rule.get();
    }
    if (wc) unwildcard_mismatch(rule->match, flow, wc);
  }
  return nullptr;
}

RulePtr RuleTable::insert(RulePtr rule, bool keep_counters) {
  for (auto& existing : rules_) {
    if (existing->priority == rule->priority && existing->match == rule->match) {
      RulePtr old = existing;
      if (keep_counters) {
        auto copy = std::make_shared<Rule>(*rule);
        copy->counters = old->counters;
        rule = std::move(copy);
      }
      existing = std::move(rule);
      std::stable_sort(rules_.begin(), rules_.end(), rule_order);
      return old;
    }
  }
  auto pos = std::upper_bound(rules_.begin(), rules_.end(), rule, rule_order);
  rules_.insert(pos, std::move(rule));
  return nullptr;
}

bool RuleTable::overlaps(const Rule& rule) const {
  for (const RulePtr& other : rules_) {
    if (other->priority != rule.priority) continue;
    bool disjoint = false;
    for (size_t i = 0; i < OfFlow::kWords && !disjoint; ++i) {
      uint64_t common = rule.match.mask.words()[i] & other->match.mask.words()[i];
      disjoint = ((rule.match.value.words()[i] ^ other->match.value.words()[i]) & common) != 0;
    }
    if (!disjoint) return true;
  }
  return false;
}

std::vector<RulePtr> RuleTable::select(const FlowModSpec& filter, bool strict) const {
  std::vector<RulePtr> out;
  for (const RulePtr& rule : rules_) {
    if (strict) {
      if (rule->priority != filter.priority || !(rule->match == filter.match)) continue;
    } else if (!refines(rule->match, filter.match)) {
      continue;
    }
    if ((rule->cookie & filter.cookie_mask) != (filter.cookie & filter.cookie_mask)) continue;
    if (filter.out_port != kOfppAny && !actions_output_to(rule->actions, filter.out_port)) continue;
    if (filter.out_group != kOfgAny && !actions_use_group(rule->actions, filter.out_group)) continue;
    out.push_back(rule);
  }
  return out;
}

void RuleTable::remove(const Rule* rule) {
  std::erase_if(rules_, [rule](const RulePtr& r) { return r.get() == rule; });
}

void RuleTable::replace(const Rule* old_rule, RulePtr new_rule) {
  for (auto& r : rules_)
    if (r.get() == old_rule) {
      r = std::move(new_rule);
      break;
    }
  std::stable_sort(rules_.begin(), rules_.end(), rule_order);
}

bool actions_output_to(const std::vector<OfAction>& actions, uint32_t port) {
  for (const OfAction& a : actions)
    if (const auto* out = std::get_if<action::Output>(&a); out && out->port == port) return true;
  return false;
}

bool actions_use_group(const std::vector<OfAction>& actions, uint32_t group_id) {
  for (const OfAction& a : actions)
    if (const auto* g = std::get_if<action::Group>(&a); g && g->group_id == group_id) return true;
  return false;
}

}  // namespace flowpath::ofproto
