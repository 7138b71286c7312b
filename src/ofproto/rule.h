// An OpenFlow rule (a "flow" in ovs-ofctl's words): match, priority,
// actions, timeouts and counters. Rules are immutable once published except
// for their counters, which the revalidator adds to from the datapath flows
// that the rule produced; a modified rule is a new Rule object.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "openflow/of_action.h"
#include "openflow/of_flow.h"

namespace flowpath::ofproto {

// The OpenFlow model (matches, actions, groups, flow mods) is the slow
// path's vocabulary.
using namespace openflow;  // NOLINT(google-build-using-namespace)

struct RuleCounters {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> last_used_ms{0};  // steady-clock ms of the last packet
  // When a learn action last found the rule as it would have added it
  // (0: never): the hard timeout counts from here, as Open vSwitch's
  // rule->modified.
  std::atomic<uint64_t> refreshed_ms{0};

  void add(uint64_t n_packets, uint64_t n_bytes, uint64_t now_ms) {
    if (n_packets == 0) return;
    packets.fetch_add(n_packets, std::memory_order_relaxed);
    bytes.fetch_add(n_bytes, std::memory_order_relaxed);
    last_used_ms.store(now_ms, std::memory_order_relaxed);
  }
};

struct Rule {
  uint8_t table = 0;
  uint16_t priority = kDefaultPriority;
  uint64_t cookie = 0;
  uint16_t idle_timeout = 0;  // seconds
  uint16_t hard_timeout = 0;
  bool send_flow_removed = false;
  // Flow-mod flags kept to be reported back (flow statistics), as OpenFlow
  // 1.3+ does; reset_counts is implied by OpenFlow 1.0 adds.
  bool reset_counts = false, no_packet_counts = false, no_byte_counts = false;
  uint16_t importance = 0;
  OfMatch match;
  std::vector<OfAction> actions;
  uint64_t created_ms = 0;   // steady-clock ms
  uint64_t sequence = 0;     // insertion order, breaks priority ties
  // Shared with the rule this one replaced by a modify, so counters survive
  // mod-flows as in OpenFlow.
  std::shared_ptr<RuleCounters> counters = std::make_shared<RuleCounters>();
};

using RulePtr = std::shared_ptr<const Rule>;

}  // namespace flowpath::ofproto
