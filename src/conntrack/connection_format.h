// Connections as `ovs-appctl dpctl/dump-conntrack` prints them:
//   tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),
//   reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=1,
//   mark=5,labels=0x...,protoinfo=(state=ESTABLISHED)
// (-s adds packet/byte counters, start and timeout; -m the id and the
// per-side TCP states); SCTP's protoinfo is (state=...,vtag_orig=N,vtag_reply=N). Also the original-tuple filter flush-conntrack
// takes ("ct_nw_src=...,ct_nw_proto=6,ct_tp_dst=80").
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "conntrack/conntrack.h"

namespace flowpath::conntrack {

std::string format_connection(const ConnectionEntry& entry, bool verbose, bool statistics);
// A 128-bit label as 32 hexadecimal digits, most significant first. Labels
// are host-order 128-bit integers, as in the flow key and ct(label=...).
std::string label_hex(const uint8_t label[16]);
// "tcp", "udp", "icmp", "icmpv6", "sctp", ... or the number.
std::string protocol_name(uint8_t proto);

// Parses flush-conntrack's tuple: comma-separated ct_nw_src, ct_nw_dst,
// ct_ipv6_src, ct_ipv6_dst, ct_nw_proto, ct_tp_src, ct_tp_dst (and for
// ICMP icmp_id, icmp_type, icmp_code).
Result<FlushFilter> parse_flush_tuple(std::string_view text);

}  // namespace flowpath::conntrack
