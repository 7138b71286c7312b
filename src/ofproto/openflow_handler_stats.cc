// Statistics (multipart) requests: switch description, flows, aggregates,
// ports and port descriptions, answered from the bridge as it is now.
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "ofproto/openflow_handler.h"
#include "ofproto/openflow_handler_internal.h"
#include "openflow/wire/desc_stats.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/flow_stats.h"
#include "openflow/wire/port_desc.h"
#include "openflow/wire/port_stats.h"
#include "openflow/wire/queue_stats.h"

namespace flowpath::ofproto {

using wire::Bytes;
using wire::OfpErrorCode;
using wire::OfpMessage;
using wire::OfpType;

namespace {

wire::FlowStats flow_stats_of(const Rule& rule, uint64_t now_ms) {
  wire::FlowStats s;
  s.rule.table = rule.table;
  s.rule.priority = rule.priority;
  s.rule.cookie = rule.cookie;
  s.rule.idle_timeout = rule.idle_timeout;
  s.rule.hard_timeout = rule.hard_timeout;
  s.rule.send_flow_rem = rule.send_flow_removed;
  s.rule.reset_counts = rule.reset_counts;
  s.rule.no_packet_counts = rule.no_packet_counts;
  s.rule.no_byte_counts = rule.no_byte_counts;
  s.rule.importance = rule.importance;
  s.rule.match = rule.match;
  s.rule.actions = rule.actions;
  s.rule.has_actions = true;
  uint64_t age_ms = now_ms - std::min(now_ms, rule.created_ms);
  s.duration_sec = static_cast<uint32_t>(age_ms / 1000);
  s.duration_nsec = static_cast<uint32_t>(age_ms % 1000 * 1000000);
  s.packet_count = rule.counters->packets.load(std::memory_order_relaxed);
  s.byte_count = rule.counters->bytes.load(std::memory_order_relaxed);
  uint64_t used = std::max(rule.counters->last_used_ms.load(std::memory_order_relaxed),
                           rule.created_ms);
  s.idle_age = static_cast<uint32_t>((now_ms - std::min(now_ms, used)) / 1000);
  s.hard_age = s.duration_sec;
  return s;
}

std::vector<Bytes> flow_stats(Ofproto& ofproto, const std::string& bridge, const OfpMessage& msg,
                              const Bytes& message) {
  auto request = wire::decode_flow_stats_request(msg);
  if (!request.ok()) return error_reply(request.error(), message);
  if (request->filter.table != kTableAll && request->filter.table > kMaxTableId)
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BAD_TABLE_ID, "no such table"),
                       message);
  auto rules = ofproto.find_rules(bridge, request->filter);
  if (!rules.ok())
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_EPERM, rules.error()), message);
  bool nxm = msg.raw == wire::OfpRaw::NXST_FLOW_REQUEST ||
             msg.raw == wire::OfpRaw::NXST_AGGREGATE_REQUEST;
  uint64_t now = monotonic_ms();
  if (request->aggregate) {
    wire::AggregateStats total;
    for (const RulePtr& rule : *rules) {
      total.packet_count += rule->counters->packets.load(std::memory_order_relaxed);
      total.byte_count += rule->counters->bytes.load(std::memory_order_relaxed);
      ++total.flow_count;
    }
    return {wire::encode_aggregate_stats_reply(total, msg.version, nxm, msg.xid)};
  }
  std::vector<wire::FlowStats> flows;
  flows.reserve(rules->size());
  for (const RulePtr& rule : *rules) {
    wire::FlowStats s = flow_stats_of(*rule, now);
    if (auto problem = wire::flow_stats_encoding_problem(s, msg.version, nxm)) {
      // The session's form cannot carry this rule (an OpenFlow 1.0 match
      // without NXM): the request as a whole cannot be answered truthfully.
      return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BAD_TYPE,
                                          "flow statistics in this form cannot carry a rule: " +
                                              *problem),
                         message);
    }
    flows.push_back(std::move(s));
  }
  return wire::encode_flow_stats_reply(flows, msg.version, nxm, msg.xid);
}

std::vector<Bytes> port_stats(Ofproto& ofproto, const std::string& bridge, const OfpMessage& msg,
                              const Bytes& message, bool descriptions) {
  auto port_no = descriptions ? wire::decode_port_desc_request(msg)
                              : wire::decode_port_stats_request(msg);
  if (!port_no.ok()) return error_reply(port_no.error(), message);
  auto ports = ofproto.list_ports(bridge);
  if (!ports.ok())
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_EPERM, ports.error()), message);
  std::vector<wire::PortDesc> descs;
  std::vector<wire::PortStats> stats;
  bool found = false;
  for (const PortStatus& p : *ports) {
    if (*port_no != kOfppAny && *port_no != p.ofport) continue;
    found = true;
    if (descriptions) {
      descs.push_back(port_desc_of(bridge, p));
      continue;
    }
    wire::PortStats s;
    s.port_no = p.ofport;
    s.rx_packets = p.stats.rx_packets;
    s.tx_packets = p.stats.tx_packets;
    s.rx_bytes = p.stats.rx_bytes;
    s.tx_bytes = p.stats.tx_bytes;
    s.rx_dropped = p.stats.rx_dropped;
    s.tx_dropped = p.stats.tx_dropped;
    s.rx_errors = p.stats.rx_errors;
    s.tx_errors = p.stats.tx_errors;
    stats.push_back(s);
  }
  if (!found && *port_no != kOfppAny)
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BAD_PORT, "no such port"), message);
  if (descriptions) return wire::encode_port_desc_reply(descs, msg.version, msg.xid);
  return wire::encode_port_stats_reply(stats, msg.version, msg.xid);
}

}  // namespace

std::vector<Bytes> handle_stats_request(Ofproto& ofproto, const std::string& bridge,
                                        OpenFlowSession& /*session*/, const OfpMessage& msg,
                                        const Bytes& message) {
  if ((msg.multipart_flags & wire::kMultipartReplyMore) &&
      msg.type != OfpType::kTableFeaturesStatsRequest)
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_MULTIPART_BUFFER_OVERFLOW,
                                        "multipart requests in several parts are not supported"),
                       message);
  switch (msg.type) {
    case OfpType::kDescStatsRequest: {
      wire::DescStats d;
      d.manufacturer = "flowpath";
      d.hardware = "flowpath userspace datapath";
      d.software = FLOWPATH_VERSION_STRING;
      d.serial_number = "None";
      d.datapath = bridge;
      return {wire::encode_desc_stats_reply(d, msg.version, msg.xid)};
    }
    case OfpType::kFlowStatsRequest:
    case OfpType::kAggregateStatsRequest:
      return flow_stats(ofproto, bridge, msg, message);
    case OfpType::kPortStatsRequest:
      return port_stats(ofproto, bridge, msg, message, false);
    case OfpType::kPortDescStatsRequest:
      return port_stats(ofproto, bridge, msg, message, true);
    case OfpType::kQueueStatsRequest: {
      // flowpath's ports have no queues: the truthful answer is none (an
      // unknown port is an error, as in Open vSwitch).
      auto request = wire::decode_queue_stats_request(msg);
      if (!request.ok()) return error_reply(request.error(), message);
      if (auto error = queue_port_error(ofproto, bridge, request->port_no))
        return error_reply(*error, message);
      return wire::encode_queue_stats_reply({}, msg.version, msg.xid);
    }
    case OfpType::kQueueDescRequest:
      return handle_queue_get_config(ofproto, bridge, msg, message);
    case OfpType::kGroupStatsRequest:
    case OfpType::kGroupDescStatsRequest:
    case OfpType::kGroupFeaturesStatsRequest:
      return handle_group_stats(ofproto, bridge, msg, message);
    case OfpType::kMeterStatsRequest:
    case OfpType::kMeterConfigStatsRequest:
    case OfpType::kMeterFeaturesStatsRequest:
      return handle_meter_stats(ofproto, bridge, msg, message);
    case OfpType::kTableDescRequest:
      return handle_table_desc(msg);
    case OfpType::kTableStatsRequest:
      return handle_table_stats(ofproto, bridge, msg, message);
    case OfpType::kTableFeaturesStatsRequest:
      return handle_table_features(msg, message);
    default:
      return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BAD_STAT, "not supported"), message);
  }
}

}  // namespace flowpath::ofproto
