// Why a datapath discarded a packet. Every packet that enters a datapath and
// is not forwarded, and every copy an action made and then discarded, is
// counted under exactly one reason (docs/datapath.md, "Drop reasons").
//
// Names follow Open vSwitch's coverage counters (`ovs-appctl coverage/show`):
// drop_action_* for the explicit drop action, by the reason the slow path
// gave it, and datapath_drop_* for what the datapath decided itself.
// Reasons are only ever appended or inserted by name: tools read the names,
// never the numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flowpath {

enum class DropReason : uint8_t {
  // The explicit drop action (OVS_ACTION_ATTR_DROP), by its u32 reason: these
  // twelve are in the order of Open vSwitch's enum xlate_error (XlateError in
  // flow/odp_abi.h), starting at kActionOfPipeline for XLATE_OK.
  kActionOfPipeline,
  kActionBridgeNotFound,
  kActionRecursionTooDeep,
  kActionTooManyResubmit,
  kActionStackTooDeep,
  kActionNoRecirculationContext,
  kActionRecirculationConflict,
  kActionTooManyMplsLabels,
  kActionInvalidTunnelMetadata,
  kActionUnsupportedPacketType,
  kActionCongestion,
  kActionForwardingDisabled,

  // Action execution.
  kNoOutput,          // the actions ended without sending the packet anywhere
  kMeter,             // a meter band dropped it
  kConntrack,         // ct() dropped it
  kNatExhausted,      // ct(nat): no free address/port in the range for a new connection
  kFragmentOverlap,   // ct(): an IP fragment overlapping one held for its datagram
  kFragmentOversized, // ct(): an IP fragment past 65,535 bytes or its datagram's end
  kFragmentExpired,   // ct(): an IP fragment of a datagram not completed in time
  kNoBuffer,          // no packet buffer for a copy (clone, sample, non-final output)
  kNoHeadroom,        // a push found no room to grow the packet
  kNshDecapError,     // pop_nsh of a header with an unknown next protocol
  kNestingTooDeep,    // nested actions deeper than the executor allows
  kTunnelPushError,   // tnl_push: a header type this datapath does not push
  kTunnelPopError,    // tnl_pop: malformed tunnel packet, or not a tunnel port
  kInvalidBond,       // lb_output: this datapath has no bonds

  // Receive.
  kRxInvalidPacket,   // shorter than an Ethernet header (a runt)

  // The datapath around the actions.
  kInvalidPort,       // output to a port the datapath does not have
  kRecircDepth,       // recirculated more than the depth limit allows
  kRecircQueueFull,   // more recirculations in one batch than the queue holds
  kMtuExceeded,       // larger than the output port's MTU allows
  kNotEthernet,       // not an Ethernet frame (add_mpls, pop_eth) sent to an Ethernet port
  kTxFailure,         // the output port's device did not take it

  // Upcalls (misses and userspace() actions) that never reached the slow path.
  kUpcallQueueFull,   // the input port's upcall queue was full
  kUpcallNoPort,      // the input port has no upcall queue (removed, or never added)
  kUpcallNoHandler,   // the datapath has no slow path to take upcalls
  kUpcallRateLimited, // over the datapath's upcall rate limit (upcall-rate)

  kCount,
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

inline constexpr size_t index_of(DropReason why) { return static_cast<size_t>(why); }

// "datapath_drop_invalid_port", as counters are shown and exported.
std::string_view drop_reason_name(DropReason why);
// One line for an operator: "output to a port the datapath does not have".
std::string_view drop_reason_text(DropReason why);

}  // namespace flowpath
