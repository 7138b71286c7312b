#include "packet/drop_reason.h"

#include <array>

namespace flowpath {

namespace {

struct ReasonInfo {
  DropReason why;
  std::string_view name;
  std::string_view text;
};

// In enum order (checked below), so a reason's entry is at its index.
constexpr std::array<ReasonInfo, kDropReasonCount> kReasons = {{
    {DropReason::kActionOfPipeline, "drop_action_of_pipeline",
     "an explicit drop action: the pipeline chose to drop"},
    {DropReason::kActionBridgeNotFound, "drop_action_bridge_not_found",
     "an explicit drop action: no bridge for the packet"},
    {DropReason::kActionRecursionTooDeep, "drop_action_recursion_too_deep",
     "an explicit drop action: translation recursed too deep"},
    {DropReason::kActionTooManyResubmit, "drop_action_too_many_resubmit",
     "an explicit drop action: too many resubmits"},
    {DropReason::kActionStackTooDeep, "drop_action_stack_too_deep",
     "an explicit drop action: the translation stack overflowed"},
    {DropReason::kActionNoRecirculationContext, "drop_action_no_recirculation_context",
     "an explicit drop action: no recirculation context"},
    {DropReason::kActionRecirculationConflict, "drop_action_recirculation_conflict",
     "an explicit drop action: recirculation conflict"},
    {DropReason::kActionTooManyMplsLabels, "drop_action_too_many_mpls_labels",
     "an explicit drop action: too many MPLS labels"},
    {DropReason::kActionInvalidTunnelMetadata, "drop_action_invalid_tunnel_metadata",
     "an explicit drop action: invalid tunnel metadata"},
    {DropReason::kActionUnsupportedPacketType, "drop_action_unsupported_packet_type",
     "an explicit drop action: unsupported packet type"},
    {DropReason::kActionCongestion, "drop_action_congestion",
     "an explicit drop action: congestion"},
    {DropReason::kActionForwardingDisabled, "drop_action_forwarding_disabled",
     "an explicit drop action: forwarding disabled on the port"},
    {DropReason::kNoOutput, "datapath_drop_no_output",
     "the actions ended without sending the packet anywhere (actions:drop, or only header "
     "changes)"},
    {DropReason::kMeter, "datapath_drop_meter", "a meter band dropped it"},
    {DropReason::kConntrack, "datapath_drop_conntrack", "connection tracking dropped it"},
    {DropReason::kNatExhausted, "datapath_drop_nat_exhausted",
     "ct(nat): no free address and port left in the NAT range for a new connection"},
    {DropReason::kFragmentOverlap, "datapath_drop_frag_overlap",
     "ct(): an IP fragment overlapping one already held for its datagram"},
    {DropReason::kFragmentOversized, "datapath_drop_frag_oversized",
     "ct(): an IP fragment that would make its datagram larger than 65,535 bytes or end "
     "past the end its last fragment set"},
    {DropReason::kFragmentExpired, "datapath_drop_frag_expired",
     "ct(): an IP fragment of a datagram not completed within 15 s of its first fragment"},
    {DropReason::kNoBuffer, "datapath_drop_no_buffer",
     "no packet buffer was free for a copy (clone, sample, or an output before other actions)"},
    {DropReason::kNoHeadroom, "datapath_drop_no_headroom",
     "a push action found no room to grow the packet"},
    {DropReason::kNshDecapError, "datapath_drop_nsh_decap_error",
     "pop_nsh of a header whose next protocol is unknown"},
    {DropReason::kNestingTooDeep, "datapath_drop_nesting_too_deep",
     "nested actions deeper than the executor allows"},
    {DropReason::kTunnelPushError, "datapath_drop_tunnel_push_error",
     "tnl_push: a header of a type this datapath does not push (only vxlan and geneve)"},
    {DropReason::kTunnelPopError, "datapath_drop_tunnel_pop_error",
     "tnl_pop: not a well-formed tunnel packet, or the port is no tunnel port"},
    {DropReason::kInvalidBond, "datapath_drop_invalid_bond",
     "lb_output: this datapath has no bonds"},
    {DropReason::kRxInvalidPacket, "datapath_drop_rx_invalid_packet",
     "received shorter than an Ethernet header (a runt)"},
    {DropReason::kInvalidPort, "datapath_drop_invalid_port",
     "output to a port the datapath does not have"},
    {DropReason::kRecircDepth, "datapath_drop_recirc_error",
     "recirculated more often than the depth limit allows"},
    {DropReason::kRecircQueueFull, "datapath_drop_recirc_queue_full",
     "more recirculations in one batch than the recirculation queue holds"},
    {DropReason::kMtuExceeded, "datapath_drop_mtu_exceeded",
     "larger than the output port's MTU allows"},
    {DropReason::kNotEthernet, "datapath_drop_not_ethernet",
     "not an Ethernet frame (after add_mpls without the L3 flag, or pop_eth) sent to a port "
     "that takes only Ethernet"},
    {DropReason::kTxFailure, "datapath_drop_tx_failure",
     "the output port's device did not take it (see the port's TX dropped and errors)"},
    {DropReason::kUpcallQueueFull, "datapath_drop_upcall_queue_full",
     "upcall lost: the input port's upcall queue was full"},
    {DropReason::kUpcallNoPort, "datapath_drop_upcall_no_port",
     "upcall lost: the input port has no upcall queue (removed, or not a port)"},
    {DropReason::kUpcallNoHandler, "datapath_drop_upcall_no_handler",
     "upcall lost: the datapath has no slow path to handle it"},
    {DropReason::kUpcallRateLimited, "datapath_drop_upcall_rate_limited",
     "upcall lost: over the datapath's upcall rate limit (upcall-rate)"},
}};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < kReasons.size(); ++i)
    if (index_of(kReasons[i].why) != i || kReasons[i].name.empty()) return false;
  return true;
}
static_assert(in_enum_order(), "kReasons must list every DropReason in enum order");

}  // namespace

std::string_view drop_reason_name(DropReason why) {
  return index_of(why) < kReasons.size() ? kReasons[index_of(why)].name : "unknown";
}

std::string_view drop_reason_text(DropReason why) {
  return index_of(why) < kReasons.size() ? kReasons[index_of(why)].text : "unknown";
}

}  // namespace flowpath
