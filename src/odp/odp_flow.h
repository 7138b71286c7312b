// Flows in ODP text, end to end: text -> Netlink attributes -> FlowKey/FlowMask
// and back. Every conversion goes through the Netlink form, as the datapath's
// own interfaces do, so text, Netlink and FlowKey always agree.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "flow/flow_key.h"
#include "flow/key_netlink.h"

namespace flowpath {

struct ParsedFlow {
  Match match;
  KeyFitness fitness = KeyFitness::kPerfect;
  std::string fitness_detail;
  std::vector<uint8_t> key_attrs;   // as parsed
  std::vector<uint8_t> mask_attrs;  // as parsed
};

// Parses a key with masks ("in_port(1),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0)").
// Attributes left out are wildcarded, so fitness is never kTooLittle here.
Result<ParsedFlow> parse_flow(std::string_view text);
// Parses an exact key (no masks allowed, absent attributes mean "not present").
Result<ParsedFlow> parse_exact_key(std::string_view text);

// Canonical text of a megaflow: attributes the mask ignores are left out.
std::string format_flow(const Match& match, bool verbose = false);
// Canonical text of an exact key (every attribute the key has, every field).
std::string format_key(const FlowKey& key);
// The key of a packet as a megaflow would match it exactly: the key with its
// minimal mask (fields the packet lacks are left out).
std::string format_packet_key(const FlowKey& key);

// A line of a flows file, "FLOW ACTIONS" as `fpctl add-flow` takes them,
// split at the first blank outside parentheses that does not follow a comma
// ("in_port(1), eth()" is still one flow). Both parts trimmed.
Result<std::pair<std::string_view, std::string_view>> split_flow_line(std::string_view line);

}  // namespace flowpath
