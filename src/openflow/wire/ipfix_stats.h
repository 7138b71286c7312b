// Open vSwitch's IPFIX statistics (NXST_IPFIX_BRIDGE: the bridge exporter;
// NXST_IPFIX_FLOW: one entry per flow exporter, by collector set).
#pragma once

#include <vector>

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

struct IpfixStats {
  uint64_t total_flows = 0, current_flows = 0;
  uint64_t packets = 0, ipv4_packets = 0, ipv6_packets = 0;
  uint64_t error_packets = 0, ipv4_error_packets = 0, ipv6_error_packets = 0;
  uint64_t tx_packets = 0, tx_errors = 0;
  uint32_t collector_set_id = 0;  // flow exporters
  friend bool operator==(const IpfixStats&, const IpfixStats&) = default;
};

Bytes encode_ipfix_stats_request(bool per_flow, uint8_t version, uint32_t xid);
// The bridge reply holds one entry, the flow reply any number.
std::vector<Bytes> encode_ipfix_stats_reply(const std::vector<IpfixStats>& stats, bool per_flow,
                                            uint8_t version, uint32_t xid);
WireResult<std::vector<IpfixStats>> decode_ipfix_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
