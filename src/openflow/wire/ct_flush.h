// Open vSwitch's connection-tracking flush requests: NXT_CT_FLUSH_ZONE (every
// connection of a zone) and NXT_CT_FLUSH (connections matching an IP
// protocol, original and reply tuples, and optionally a zone).
#pragma once

#include <optional>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

WireResult<uint16_t> decode_ct_flush_zone(const OfpMessage& msg);
Bytes encode_ct_flush_zone(uint16_t zone, uint8_t version, uint32_t xid);

struct CtFlushTuple {
  uint8_t src[16] = {};  // IPv6, or IPv4-mapped IPv6; all zeros: any
  uint8_t dst[16] = {};
  uint16_t src_port = 0, dst_port = 0;  // 0: any
  uint16_t icmp_id = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  friend bool operator==(const CtFlushTuple&, const CtFlushTuple&) = default;
};

struct CtFlush {
  uint8_t ip_proto = 0;  // 0: any
  CtFlushTuple orig, reply;
  std::optional<uint16_t> zone;
  friend bool operator==(const CtFlush&, const CtFlush&) = default;
};

// NXBRC_MUST_BE_ZERO for nonzero padding, OFPBPC_BAD_LEN / BAD_VALUE for
// malformed properties (addresses of both IP versions, for one).
WireResult<CtFlush> decode_ct_flush(const OfpMessage& msg);
Bytes encode_ct_flush(const CtFlush& flush, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
