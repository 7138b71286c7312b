// Flow and aggregate statistics: requests (OpenFlow 1.0 ofp_match, 1.1+ OXM
// with cookie and out_group filters, Nicira's NXST_FLOW/NXST_AGGREGATE with
// NXM and cookie) and replies (per-flow entries of every form, with
// Open vSwitch's idle and hard ages; aggregate counts, as OXS in 1.5).
#pragma once

#include <optional>
#include <vector>

#include "openflow/flow_mod.h"
#include "openflow/wire/flow_mod.h"
#include "openflow/wire/multipart.h"

namespace flowpath::openflow::wire {

struct FlowStatsRequest {
  bool aggregate = false;
  // The rules asked for: table (kTableAll: all), out_port, out_group, cookie
  // and cookie_mask, match. Nothing else of the spec travels.
  FlowModSpec filter = [] {
    FlowModSpec s;
    s.table = kTableAll;
    return s;
  }();
};

// Flow or aggregate request, any form; the match is read strictly.
WireResult<FlowStatsRequest> decode_flow_stats_request(const OfpMessage& msg);
// The protocol picks OpenFlow 1.0's ofp_match form or NXM (`nxm`). Fails
// when the form cannot carry the match or the cookie filter.
WireResult<Bytes> encode_flow_stats_request(const FlowStatsRequest& request,
                                            const Protocol& protocol, uint32_t xid);

struct FlowStats {
  // table, priority, cookie, idle/hard timeouts, flags (OpenFlow 1.3+),
  // importance (1.4+), match, actions.
  FlowModSpec rule;
  uint32_t duration_sec = 0, duration_nsec = 0;
  uint64_t packet_count = 0, byte_count = 0;
  // Seconds since the last hit and the last modification (Nicira's replies
  // carry both, OpenFlow 1.5 the idle age); absent when not known.
  std::optional<uint32_t> idle_age, hard_age;
};

// The reply raw answering a flow stats request in `version` (`nxm`: the
// request was NXST_FLOW).
std::vector<Bytes> encode_flow_stats_reply(const std::vector<FlowStats>& flows, uint8_t version,
                                           bool nxm, uint32_t xid);
// The entries of one reply message (replies may span several).
WireResult<std::vector<FlowStats>> decode_flow_stats_reply(const OfpMessage& msg);
// What the reply form cannot carry of a flow (an OpenFlow 1.0 match, actions).
std::optional<std::string> flow_stats_encoding_problem(const FlowStats& flow, uint8_t version,
                                                       bool nxm);

struct AggregateStats {
  uint64_t packet_count = 0, byte_count = 0;
  uint32_t flow_count = 0;
  friend bool operator==(const AggregateStats&, const AggregateStats&) = default;
};
Bytes encode_aggregate_stats_reply(const AggregateStats& stats, uint8_t version, bool nxm,
                                   uint32_t xid);
WireResult<AggregateStats> decode_aggregate_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
