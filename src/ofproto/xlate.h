// Translation: runs a packet's flow through a bridge's OpenFlow pipeline and
// produces what the datapath needs — the action list (ODP Netlink form) and
// the megaflow mask, i.e. every bit of the packet that any rule, group or
// the NORMAL logic looked at (wildcard tracking). Every packet that agrees
// with the flow on the mask bits would be translated the same way, so the
// pair can be installed as a megaflow.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flow/flow_key.h"
#include "ofproto/bridge_state.h"
#include "openflow/of_learn.h"

namespace flowpath::ofproto {

struct XlateOptions {
  bool may_learn = true;   // false when revalidating or tracing
  uint64_t now_ms = 0;     // steady clock, for MAC learning
  // The upcall's Upcall::sequence (0: none): a neighbour snooped from this
  // packet does not overwrite one learned from a packet queued after it.
  uint64_t packet_sequence = 0;
  std::vector<std::string>* trace = nullptr;  // ofproto/trace lines, when wanted
};

struct XlateResult {
  std::vector<uint8_t> odp_actions;
  FlowMask mask;  // the megaflow mask
  // Counters of every rule and group that handled the packet, to which the
  // datapath flow's statistics are credited.
  std::vector<std::shared_ptr<RuleCounters>> counters;
  bool mac_changed = false;  // learning added or moved an entry
  // MAC table entries (MacLearningTable::key_of) NORMAL looked up: the
  // flow's actions change when one of them does.
  std::vector<uint64_t> mac_dependencies;
  // What NORMAL learned from the source (or would have, when may_learn is
  // false): traffic on the megaflow keeps the entry fresh.
  struct Learned {
    EthAddr mac;
    uint16_t vlan;
    uint32_t port;
  };
  std::optional<Learned> learned;
  // Native tunnelling (xlate_tunnel.cc). A tunnel's next hop was not in
  // the neighbour cache: the packet is dropped and the flow must not be
  // installed (the next packet translates again, once the answer came).
  bool neighbour_miss = false;
  // Snooping or a terminated tunnel packet changed the neighbour cache:
  // flows that resolved the old entry are stale.
  bool neighbour_changed = false;
  // ARP requests / neighbour solicitations to send (only when may_learn):
  // each as if received on datapath port `in_port` of the bridge.
  struct NeighbourRequest {
    uint32_t in_port;
    std::vector<uint8_t> frame;
  };
  std::vector<NeighbourRequest> neighbour_requests;
  // Flows learn actions asked for (xlate_learn.cc): the caller adds them,
  // or refreshes them, once the translation is over (Ofproto::apply_learned).
  std::vector<openflow::LearnedFlow> learned_flows;
  bool error = false;        // translation aborted (e.g. resubmit loop); actions empty
  std::string error_message;
};

// Caller holds the bridge state shared (read) lock and no rule tables lock
// (translation enters an RCU read section).
XlateResult translate(const BridgeState& bridge, const FlowKey& key, const XlateOptions& options);

// A packet-out's actions on `key` (in_port may be CONTROLLER's or LOCAL's
// datapath number, or a port's); the caller holds the read lock.
XlateResult translate_packet_out(const BridgeState& bridge, const FlowKey& key,
                                 std::span<const OfAction> actions, const XlateOptions& options);

// Userdata of the userspace() action a CONTROLLER action becomes, so the
// upcall handler can turn it into a packet-in.
// The controller's own userdata (controller(userdata=...)) follows it.
struct ControllerUserdata {
  static constexpr uint8_t kMagic = 0xc7;
  static constexpr uint8_t kExplicitMiss = 1;  // flags: sent by a table-miss rule
  static constexpr uint64_t kNoCookie = ~uint64_t{0};  // a table miss: no rule
  uint8_t magic = kMagic;
  uint8_t reason;
  uint8_t table;
  uint8_t flags = 0;
  uint16_t max_len;
  uint16_t controller_id;
  uint64_t cookie;
};
static_assert(sizeof(ControllerUserdata) == 16);

}  // namespace flowpath::ofproto
