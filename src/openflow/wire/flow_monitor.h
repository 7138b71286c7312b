// Flow monitors: a controller asks to hear about flows that match a filter
// as they are added, removed or modified. Open vSwitch's NXST_FLOW_MONITOR
// (OpenFlow 1.0-1.2, NXM), the ONF extension for 1.3 (OXM), OpenFlow 1.4's
// OFPMP_FLOW_MONITOR; cancelling, and the paused/resumed notices a switch
// sends when it falls behind.
#pragma once

#include <vector>

#include "openflow/flow_mod.h"
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

// OpenFlow 1.4's flag numbering for every form.
namespace flow_monitor_flag {
inline constexpr uint16_t kInitial = 1 << 0;
inline constexpr uint16_t kAdd = 1 << 1;
inline constexpr uint16_t kRemoved = 1 << 2;
inline constexpr uint16_t kModify = 1 << 3;
inline constexpr uint16_t kInstructions = 1 << 4;
inline constexpr uint16_t kNoAbbrev = 1 << 5;  // OpenFlow 1.4+
inline constexpr uint16_t kOnlyOwn = 1 << 6;   // Nicira's "own"
}  // namespace flow_monitor_flag

enum class FlowMonitorCommand : uint8_t { kAdd = 0, kModify = 1, kDelete = 2 };

struct FlowMonitorRequest {
  uint32_t id = 0;
  FlowMonitorCommand command = FlowMonitorCommand::kAdd;  // 1.4+; others add
  uint16_t flags = 0;
  uint32_t out_port = 0xffffffff;  // OFPP_ANY
  uint32_t out_group = 0xffffffff;  // 1.4+
  uint8_t table_id = 0xff;
  OfMatch match;
};

// Every monitor in the message. OFPMOFC_BAD_FLAGS for flags that ask for no
// event or are unknown, NXBRC_MUST_BE_ZERO for nonzero padding,
// OFPMOFC_BAD_COMMAND for unknown commands.
WireResult<std::vector<FlowMonitorRequest>> decode_flow_monitor_request(const OfpMessage& msg);
// Fails for what the form cannot carry (1.4 commands and flags, out_group,
// or a match, before 1.4).
WireResult<Bytes> encode_flow_monitor_request(const std::vector<FlowMonitorRequest>& monitors,
                                              uint8_t version, uint32_t xid);

// Events in OpenFlow 1.4's numbering (Nicira's forms have no "initial":
// such flows are reported as added).
enum class FlowUpdateEvent : uint16_t {
  kInitial = 0, kAdded = 1, kRemoved = 2, kModified = 3, kAbbrev = 4, kPaused = 5, kResumed = 6,
};

struct FlowUpdate {
  FlowUpdateEvent event = FlowUpdateEvent::kAdded;
  uint16_t reason = 0;  // removed: the OFPRR_* reason
  uint32_t xid = 0;     // abbrev: the xid of the controller's own flow mod
  // table, priority, idle/hard timeouts, cookie, match, actions.
  FlowModSpec rule;
};

std::vector<Bytes> encode_flow_monitor_reply(const std::vector<FlowUpdate>& updates,
                                             uint8_t version, uint32_t xid);
// NXBRC_FM_BAD_EVENT for unknown events.
WireResult<std::vector<FlowUpdate>> decode_flow_monitor_reply(const OfpMessage& msg);

// Cancel: NXT/ONFT_FLOW_MONITOR_CANCEL, or in 1.4+ a monitor request with
// the delete command.
Bytes encode_flow_monitor_cancel(uint32_t id, uint8_t version, uint32_t xid);
WireResult<uint32_t> decode_flow_monitor_cancel(const OfpMessage& msg);
// The switch fell behind (`paused`) or caught up: NXT/ONFT messages, or in
// 1.4+ a monitor reply with that event.
Bytes encode_flow_monitor_paused(bool paused, uint8_t version);

}  // namespace flowpath::openflow::wire
