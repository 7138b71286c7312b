// The rule syntax of ovs-ofctl add-flow/mod-flows/del-flows/dump-flows:
//   "table=1,priority=100,cookie=0x5,idle_timeout=10,ip,nw_dst=10.0.0.0/8,actions=output:2"
// A match is a comma list of fields ("nw_dst=10.0.0.0/8"), shorthands ("ip",
// "tcp6", "arp", ...) and flow-mod settings. Prerequisites are checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "openflow/of_action.h"
#include "openflow/of_field.h"
#include "openflow/of_flow.h"

namespace flowpath::openflow {

enum class FlowModCommand : uint8_t {
  kAdd,           // actions required; table defaults to 0
  kModify,        // mod-flows: actions required
  kModifyStrict,  // mod-flows --strict
  kDelete,        // del-flows: no actions; table defaults to all
  kDeleteStrict,  // del-flows --strict
  kFilter,        // dump-flows filter: no actions; table defaults to all
};

struct FlowModSpec {
  uint8_t table = 0;  // kTableAll when not given for delete/filter
  uint16_t priority = kDefaultPriority;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;  // "cookie=V/M" (filters); add uses `cookie`
  uint16_t idle_timeout = 0;  // seconds, 0 = none
  uint16_t hard_timeout = 0;
  uint32_t out_port = kOfppAny;   // filters: rules that output to it
  uint32_t out_group = kOfgAny;
  bool send_flow_rem = false;
  bool check_overlap = false;
  bool reset_counts = false;
  bool no_packet_counts = false;  // OpenFlow 1.3+ OFPFF_NO_PKT_COUNTS
  bool no_byte_counts = false;    // OFPFF_NO_BYT_COUNTS
  uint16_t importance = 0;        // OpenFlow 1.4+: eviction order (add only)
  OfMatch match;
  std::vector<OfAction> actions;
  bool has_actions = false;
};

Result<FlowModSpec> parse_flow_mod(std::string_view text, FlowModCommand command,
                                   const PortNameResolver& ports = {});
// Just a match ("ip,nw_dst=10.0.0.1,tcp_dst=22").
Result<OfMatch> parse_of_match(std::string_view text, const PortNameResolver& ports = {});

// "priority=100,ip,nw_dst=10.0.0.0/8" as ovs-ofctl prints it: shorthands
// where they apply ("tcp" instead of dl_type+nw_proto), priority left out
// when it is the default, fields in a stable order.
std::string format_of_match(const OfMatch& match, uint16_t priority = kDefaultPriority);

}  // namespace flowpath::openflow
