// The fixed 40-byte ofp_match of OpenFlow 1.0 (wildcard bits, then in_port,
// Ethernet, VLAN, IPv4 or ARP, and transport ports). Decoding normalizes the
// match as Open vSwitch does: fields the dl_type and nw_proto rule out are
// wildcarded.
#pragma once

#include "openflow/of_flow.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

inline constexpr size_t kOfp10MatchLen = 40;

WireResult<OfMatch> pull_ofp10_match(WireReader& r);

// Whether `match` fits OpenFlow 1.0's ofp_match: only its fields, CIDR IPv4
// masks, exact everything else. When it does not, the detail says why.
std::optional<std::string> ofp10_match_problem(const OfMatch& match);
// The caller has checked ofp10_match_problem(); fields it cannot carry are
// left out.
void put_ofp10_match(WireWriter& w, const OfMatch& match);

}  // namespace flowpath::openflow::wire
