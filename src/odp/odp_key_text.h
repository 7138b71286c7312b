// The text form of flow keys: the syntax of `ovs-dpctl dump-flows` and
// `ovs-dpctl add-flow`, e.g.
//   in_port(1),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15),
//   eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,proto=6,frag=no),tcp(dst=80)
// Text maps to and from Netlink attributes; FlowKey conversions go through
// key_netlink.h, so the two forms cannot drift apart.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/netlink.h"
#include "odp/text_scanner.h"

namespace flowpath {

struct OdpKeyAttrs {
  std::vector<uint8_t> key;
  std::vector<uint8_t> mask;  // same attributes as key, mask payloads
};

// Looks a datapath port up by name: its number, or nullopt when the datapath
// has no port of that name. The text parsers take one to read ports by name
// where Open vSwitch's dpctl does: in_port(NAME) and an output action NAME.
using PortNameResolver = std::function<std::optional<uint32_t>(std::string_view name)>;

// Port numbers to names, for printing ports by name as `ovs-dpctl dump-flows
// --names` (the default with -m) does: in_port(NAME), output actions, and the
// other ports an action names. A number without a name prints as a number.
using PortNumberNames = std::map<uint32_t, std::string>;

// Parses a whole key ("in_port(1),eth(...),...": comma separated, spaces
// allowed between attributes). Each field may carry "/mask"; a field given
// without one is exact; a field or attribute not given is wildcarded (mask 0).
// in_port(NAME) needs `ports`; without it a name is an error that says so.
Result<OdpKeyAttrs> parse_odp_key(std::string_view text, const PortNameResolver* ports = nullptr);

// Parses one attribute at the scanner's position, e.g. "ipv4(src=1.2.3.4)",
// appending it to `key` and, when non-null, its mask to `mask`. Used by the
// action parser for set(...), set_masked and push_nsh.
Status parse_odp_key_attr(TextScanner& in, NetlinkWriter& key, NetlinkWriter* mask);

// Formats key attributes. With a mask (non-empty span): attributes whose mask
// is all zero are left out, fields that are fully wildcarded are left out,
// partially masked fields print as value/mask; with `verbose`, nothing is left
// out. Without a mask every field is printed.
std::string format_odp_key(std::span<const uint8_t> key, std::span<const uint8_t> mask = {},
                           bool verbose = false, const PortNumberNames* names = nullptr);

// Formats one attribute; mask may be null (exact). Appends to out.
void format_odp_key_attr(const NetlinkAttr& key, const NetlinkAttr* mask, bool verbose,
                         std::string& out);

}  // namespace flowpath
