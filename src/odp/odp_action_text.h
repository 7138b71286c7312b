// The text form of datapath action lists, as `ovs-dpctl dump-flows` prints
// them and `ovs-dpctl add-flow` accepts them, e.g.
//   push_vlan(vid=10,pcp=0),2,set(ipv4(dst=10.0.0.9)),userspace(pid=0,userdata(01020304)),
//   recirc(0x1),hash(l4(0)),ct(commit,zone=5,nat(src=10.1.1.1)),trunc(100),drop
// Action lists are held in their Netlink form (OVS_ACTION_ATTR_*); text maps
// to and from it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/netlink.h"
#include "odp/odp_key_text.h"
#include "odp/text_scanner.h"

namespace flowpath {

// Parses a comma-separated action list; "drop" alone is the empty list, as in
// Open vSwitch. Errors name the offending token and column. With `ports`, a
// port name is an output action to that port, as Open vSwitch's dpctl reads it.
Result<std::vector<uint8_t>> parse_odp_actions(std::string_view text,
                                               const PortNameResolver* ports = nullptr);

// Parses actions at the scanner's position until end of input or an
// unmatched ')', appending them to out (for nested lists: clone, sample, ...).
Status parse_odp_actions_into(TextScanner& in, NetlinkWriter& out,
                              const PortNameResolver* ports = nullptr);

// Formats a Netlink action list in canonical text ("drop" when empty). With
// `names`, ports print by name (output, tnl_pop, tnl_push, userspace's
// tunnel_out_port and its cookies' output_port), as ovs-dpctl --names does.
std::string format_odp_actions(std::span<const uint8_t> actions,
                               const PortNumberNames* names = nullptr);
void format_odp_actions_into(std::span<const uint8_t> actions, std::string& out,
                             const PortNumberNames* names = nullptr);

}  // namespace flowpath
