// Port statistics: requests (one port or OFPP_ANY) and replies of OpenFlow
// 1.0 (104-byte entries), 1.3 (with duration) and 1.4+ (properties: the
// Ethernet error counters, and Intel's RFC 2819 size-bucket and custom
// counters that Open vSwitch sends).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

// RFC 2819 counters by packet size (Intel's experimenter property).
struct PortSizeStats {
  uint64_t rx_1_to_64 = 0, rx_65_to_127 = 0, rx_128_to_255 = 0, rx_256_to_511 = 0,
           rx_512_to_1023 = 0, rx_1024_to_1522 = 0, rx_1523_to_max = 0;
  uint64_t tx_1_to_64 = 0, tx_65_to_127 = 0, tx_128_to_255 = 0, tx_256_to_511 = 0,
           tx_512_to_1023 = 0, tx_1024_to_1522 = 0, tx_1523_to_max = 0;
  uint64_t tx_multicast = 0, rx_broadcast = 0, tx_broadcast = 0;
  uint64_t rx_undersized_errors = 0, rx_oversize_errors = 0, rx_fragmented_errors = 0,
           rx_jabber_errors = 0;
  friend bool operator==(const PortSizeStats&, const PortSizeStats&) = default;
};

// All-ones: the counter is not known.
struct PortStats {
  uint32_t port_no = 0;  // OpenFlow 1.1 numbering
  uint32_t duration_sec = ~0u, duration_nsec = ~0u;  // OpenFlow 1.3+
  uint64_t rx_packets = ~0ull, tx_packets = ~0ull, rx_bytes = ~0ull, tx_bytes = ~0ull;
  uint64_t rx_dropped = ~0ull, tx_dropped = ~0ull, rx_errors = ~0ull, tx_errors = ~0ull;
  uint64_t rx_frame_errors = ~0ull, rx_over_errors = ~0ull, rx_crc_errors = ~0ull,
           collisions = ~0ull;
  std::optional<PortSizeStats> size_stats;                  // 1.4+
  std::vector<std::pair<std::string, uint64_t>> custom;     // 1.4+, names up to 255 bytes
  friend bool operator==(const PortStats&, const PortStats&) = default;
};

// kOfppAny asks for every port.
Bytes encode_port_stats_request(uint32_t port_no, uint8_t version, uint32_t xid);
WireResult<uint32_t> decode_port_stats_request(const OfpMessage& msg);

std::vector<Bytes> encode_port_stats_reply(const std::vector<PortStats>& ports, uint8_t version,
                                           uint32_t xid);
WireResult<std::vector<PortStats>> decode_port_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
