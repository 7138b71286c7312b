// Every message type at once (see message_codec.h).
#include "openflow/wire/message_codec.h"

#include "openflow/wire/async_config.h"
#include "openflow/wire/bundle.h"
#include "openflow/wire/ct_flush.h"
#include "openflow/wire/desc_stats.h"
#include "openflow/wire/echo.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/features.h"
#include "openflow/wire/flow_monitor.h"
#include "openflow/wire/flow_removed.h"
#include "openflow/wire/flow_stats.h"
#include "openflow/wire/group_desc.h"
#include "openflow/wire/group_mod.h"
#include "openflow/wire/group_stats.h"
#include "openflow/wire/hello.h"
#include "openflow/wire/ipfix_stats.h"
#include "openflow/wire/meter.h"
#include "openflow/wire/nx_control.h"
#include "openflow/wire/packet_in.h"
#include "openflow/wire/packet_out.h"
#include "openflow/wire/port_stats.h"
#include "openflow/wire/port_status.h"
#include "openflow/wire/queue_config.h"
#include "openflow/wire/queue_stats.h"
#include "openflow/wire/request_forward.h"
#include "openflow/wire/role.h"
#include "openflow/wire/switch_config.h"
#include "openflow/wire/table_desc.h"
#include "openflow/wire/table_features.h"
#include "openflow/wire/table_mod.h"
#include "openflow/wire/table_stats.h"
#include "openflow/wire/tlv_table.h"

namespace flowpath::openflow::wire {

namespace {

// A multipart reply of one message, or the first of several.
Bytes one(std::vector<Bytes> messages) { return std::move(messages.front()); }

bool is_nxm(const OfpMessage& msg) {
  switch (msg.raw) {
    case OfpRaw::NXT_FLOW_MOD:
    case OfpRaw::NXT_FLOW_REMOVED:
    case OfpRaw::NXST_FLOW_REQUEST:
    case OfpRaw::NXST_FLOW_REPLY:
    case OfpRaw::NXST_AGGREGATE_REQUEST:
    case OfpRaw::NXST_AGGREGATE_REPLY: return true;
    default: return false;
  }
}

Bytes empty_body(const OfpMessage& msg) {
  Bytes out;
  const size_t start = start_message(out, msg.raw, msg.version, msg.xid, msg.multipart_flags);
  finish_message(out, start);
  return out;
}

PacketInFormat packet_in_format(OfpRaw raw) {
  if (raw == OfpRaw::NXT_PACKET_IN) return PacketInFormat::kNxt;
  if (raw == OfpRaw::NXT_PACKET_IN2) return PacketInFormat::kNxt2;
  return PacketInFormat::kStandard;
}

// Decodes and, when `out` is given, encodes back.
WireStatus run(const OfpMessage& msg, const Protocol& protocol, Bytes* out) {
  const uint8_t v = msg.version;
  const uint32_t xid = msg.xid;
  Bytes bytes;
#define DECODE(var, expr)  \
  WIRE_TRY_ASSIGN(var, expr); \
  if (!out) return Ok{}
  switch (msg.type) {
    case OfpType::kHello: {
      DECODE(h, decode_hello(msg));
      bytes = encode_hello(h.versions, xid);
      break;
    }
    case OfpType::kError: {
      DECODE(e, decode_error_message(msg));
      if (!e.code)
        return wire_error(OfpErrorCode::OFPBRC_BAD_TYPE, "error message: unknown error numbers");
      bytes = encode_error(*e.code, v, xid, e.data);
      break;
    }
    case OfpType::kEchoRequest:
    case OfpType::kEchoReply: {
      DECODE(e, decode_echo(msg));
      bytes = encode_echo(e, v, xid);
      break;
    }
    case OfpType::kFeaturesReply: {
      DECODE(f, decode_features_reply(msg));
      bytes = encode_features_reply(f, v, xid);
      break;
    }
    case OfpType::kGetConfigReply:
    case OfpType::kSetConfig: {
      DECODE(c, decode_switch_config(msg));
      bytes = msg.type == OfpType::kSetConfig ? encode_set_config(c, v, xid)
                                              : encode_get_config_reply(c, v, xid);
      break;
    }
    case OfpType::kPacketIn: {
      DECODE(pin, decode_packet_in(msg));
      bytes = encode_packet_in(pin, v, packet_in_format(msg.raw), xid);
      break;
    }
    case OfpType::kNxResume: {
      DECODE(pin, decode_resume(msg));
      bytes = encode_resume(pin, v, xid);
      break;
    }
    case OfpType::kFlowRemoved: {
      DECODE(fr, decode_flow_removed(msg));
      WIRE_TRY_ASSIGN(b, encode_flow_removed(fr, Protocol{v, is_nxm(msg), false}, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kPortStatus: {
      DECODE(ps, decode_port_status(msg));
      bytes = encode_port_status(ps, v, xid);
      break;
    }
    case OfpType::kPacketOut: {
      DECODE(po, decode_packet_out(msg));
      bytes = encode_packet_out(po, v, xid);
      break;
    }
    case OfpType::kFlowMod: {
      DECODE(fm, decode_flow_mod(msg, protocol));
      WIRE_TRY_ASSIGN(b, encode_flow_mod(fm, Protocol{v, is_nxm(msg), protocol.table_id}, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kGroupMod: {
      DECODE(gm, decode_group_mod(msg));
      WIRE_TRY_ASSIGN(b, encode_group_mod(gm, v, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kPortMod: {
      DECODE(pm, decode_port_mod(msg));
      bytes = encode_port_mod(pm, v, xid);
      break;
    }
    case OfpType::kTableMod: {
      DECODE(tm, decode_table_mod(msg));
      WIRE_TRY_ASSIGN(b, encode_table_mod(tm, v, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kQueueGetConfigRequest:
    case OfpType::kQueueDescRequest: {
      DECODE(q, decode_queue_config_request(msg));
      bytes = encode_queue_config_request(q, v, xid);
      break;
    }
    case OfpType::kQueueGetConfigReply:
    case OfpType::kQueueDescReply: {
      DECODE(q, decode_queue_config_reply(msg));
      uint32_t port = 0;
      if (msg.type == OfpType::kQueueGetConfigReply)
        port = v == kOfp10 ? port_from_ofp10(get_u16(msg.body.data())) : get_u32(msg.body.data());
      bytes = one(encode_queue_config_reply(port, q, v, xid));
      break;
    }
    case OfpType::kRoleRequest: {
      DECODE(r, decode_role_message(msg));
      WIRE_TRY_ASSIGN(b, encode_role_request(r, v, msg.raw == OfpRaw::NXT_ROLE_REQUEST, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kRoleReply: {
      DECODE(r, decode_role_message(msg));
      OfpMessage request = msg;
      request.raw = msg.raw == OfpRaw::NXT_ROLE_REPLY ? OfpRaw::NXT_ROLE_REQUEST
                                                      : OfpRaw::OFPT12_ROLE_REQUEST;
      WIRE_TRY_ASSIGN(b, encode_role_reply(r, request));
      bytes = std::move(b);
      break;
    }
    case OfpType::kGetAsyncReply: {
      DECODE(c, decode_async_config(msg, true));
      bytes = encode_get_async_reply(c, v, xid);
      break;
    }
    case OfpType::kSetAsyncConfig: {
      DECODE(c, decode_async_config(msg, false));
      bytes = encode_set_async_config(c, v, xid);
      break;
    }
    case OfpType::kMeterMod: {
      DECODE(mm, decode_meter_mod(msg));
      bytes = encode_meter_mod(mm, v, xid);
      break;
    }
    case OfpType::kRoleStatus: {
      DECODE(rs, decode_role_status(msg));
      auto b = encode_role_status(rs, v);
      if (!b) return wire_error(OfpErrorCode::OFPBRC_BAD_VERSION, "role status before 1.3");
      bytes = std::move(*b);
      break;
    }
    case OfpType::kTableStatus: {
      DECODE(ts, decode_table_status(msg));
      bytes = encode_table_status(ts, v);
      break;
    }
    case OfpType::kRequestForward: {
      DECODE(rf, decode_request_forward(msg));
      WIRE_TRY_ASSIGN(b, encode_request_forward(rf, v));
      bytes = std::move(b);
      break;
    }
    case OfpType::kBundleControl: {
      DECODE(bc, decode_bundle_control(msg));
      WIRE_TRY_ASSIGN(b, encode_bundle_control(bc, v, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kBundleAddMessage: {
      WIRE_TRY_ASSIGN(add, decode_bundle_add(msg));
      Bytes inner;
      WIRE_TRY(run(add.message, protocol, out ? &inner : nullptr));
      if (!out) return Ok{};
      WIRE_TRY_ASSIGN(b, encode_bundle_add(add.bundle_id, add.flags, inner, v));
      bytes = std::move(b);
      break;
    }
    case OfpType::kDescStatsReply: {
      DECODE(d, decode_desc_stats_reply(msg));
      bytes = encode_desc_stats_reply(d, v, xid);
      break;
    }
    case OfpType::kFlowStatsRequest:
    case OfpType::kAggregateStatsRequest: {
      DECODE(r, decode_flow_stats_request(msg));
      WIRE_TRY_ASSIGN(b, encode_flow_stats_request(r, Protocol{v, is_nxm(msg), false}, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kFlowStatsReply: {
      DECODE(flows, decode_flow_stats_reply(msg));
      for (const FlowStats& f : flows)
        if (auto problem = flow_stats_encoding_problem(f, v, is_nxm(msg)))
          return wire_error(OfpErrorCode::OFPBRC_BAD_LEN, "flow stats: " + *problem);
      bytes = one(encode_flow_stats_reply(flows, v, is_nxm(msg), xid));
      break;
    }
    case OfpType::kAggregateStatsReply: {
      DECODE(a, decode_aggregate_stats_reply(msg));
      bytes = encode_aggregate_stats_reply(a, v, is_nxm(msg), xid);
      break;
    }
    case OfpType::kTableStatsReply: {
      DECODE(t, decode_table_stats_reply(msg));
      bytes = one(encode_table_stats_reply(t, v, xid));
      break;
    }
    case OfpType::kPortStatsRequest: {
      DECODE(port, decode_port_stats_request(msg));
      bytes = encode_port_stats_request(port, v, xid);
      break;
    }
    case OfpType::kPortStatsReply: {
      DECODE(p, decode_port_stats_reply(msg));
      bytes = one(encode_port_stats_reply(p, v, xid));
      break;
    }
    case OfpType::kQueueStatsRequest: {
      DECODE(q, decode_queue_stats_request(msg));
      bytes = encode_queue_stats_request(q, v, xid);
      break;
    }
    case OfpType::kQueueStatsReply: {
      DECODE(q, decode_queue_stats_reply(msg));
      bytes = one(encode_queue_stats_reply(q, v, xid));
      break;
    }
    case OfpType::kGroupStatsRequest: {
      DECODE(g, decode_group_stats_request(msg));
      bytes = encode_group_stats_request(g, v, xid);
      break;
    }
    case OfpType::kGroupStatsReply: {
      DECODE(g, decode_group_stats_reply(msg));
      bytes = one(encode_group_stats_reply(g, v, xid));
      break;
    }
    case OfpType::kGroupDescStatsRequest: {
      DECODE(g, decode_group_desc_request(msg));
      bytes = encode_group_desc_request(g, v, xid);
      break;
    }
    case OfpType::kGroupDescStatsReply: {
      DECODE(g, decode_group_desc_reply(msg));
      bytes = one(encode_group_desc_reply(g, v, xid));
      break;
    }
    case OfpType::kGroupFeaturesStatsReply: {
      DECODE(f, decode_group_features_reply(msg));
      bytes = encode_group_features_reply(f, v, xid);
      break;
    }
    case OfpType::kMeterStatsRequest:
    case OfpType::kMeterConfigStatsRequest: {
      DECODE(id, decode_meter_request(msg));
      bytes = encode_meter_request(msg.type == OfpType::kMeterStatsRequest
                                       ? MeterRequestKind::kStats
                                       : MeterRequestKind::kConfig,
                                   id, v, xid);
      break;
    }
    case OfpType::kMeterStatsReply: {
      DECODE(m, decode_meter_stats_reply(msg));
      bytes = one(encode_meter_stats_reply(m, v, xid));
      break;
    }
    case OfpType::kMeterConfigStatsReply: {
      DECODE(m, decode_meter_config_reply(msg));
      bytes = one(encode_meter_config_reply(m, v, xid));
      break;
    }
    case OfpType::kMeterFeaturesStatsReply: {
      DECODE(f, decode_meter_features_reply(msg));
      bytes = encode_meter_features_reply(f, v, xid);
      break;
    }
    case OfpType::kTableFeaturesStatsRequest:
    case OfpType::kTableFeaturesStatsReply: {
      DECODE(t, decode_table_features(msg));
      bytes = one(encode_table_features(t, msg.type == OfpType::kTableFeaturesStatsRequest, v, xid));
      break;
    }
    case OfpType::kTableDescReply: {
      DECODE(t, decode_table_desc_reply(msg));
      bytes = one(encode_table_desc_reply(t, v, xid));
      break;
    }
    case OfpType::kPortDescStatsRequest: {
      DECODE(port, decode_port_desc_request(msg));
      bytes = encode_port_desc_request(port, v, xid);
      break;
    }
    case OfpType::kPortDescStatsReply: {
      DECODE(p, decode_port_desc_reply(msg));
      bytes = one(encode_port_desc_reply(p, v, xid));
      break;
    }
    case OfpType::kFlowMonitorStatsRequest: {
      DECODE(m, decode_flow_monitor_request(msg));
      WIRE_TRY_ASSIGN(b, encode_flow_monitor_request(m, v, xid));
      bytes = std::move(b);
      break;
    }
    case OfpType::kFlowMonitorStatsReply: {
      DECODE(u, decode_flow_monitor_reply(msg));
      bytes = one(encode_flow_monitor_reply(u, v, xid));
      break;
    }
    case OfpType::kFlowMonitorCancel: {
      DECODE(id, decode_flow_monitor_cancel(msg));
      bytes = encode_flow_monitor_cancel(id, v, xid);
      break;
    }
    case OfpType::kNxSetFlowFormat: {
      DECODE(f, decode_set_flow_format(msg));
      bytes = encode_set_flow_format(f, xid);
      break;
    }
    case OfpType::kNxFlowModTableId: {
      DECODE(on, decode_flow_mod_table_id(msg));
      bytes = encode_flow_mod_table_id(on, v, xid);
      break;
    }
    case OfpType::kNxSetPacketInFormat: {
      DECODE(f, decode_set_packet_in_format(msg));
      bytes = encode_set_packet_in_format(f, v, xid);
      break;
    }
    case OfpType::kNxSetControllerId: {
      DECODE(id, decode_set_controller_id(msg));
      bytes = encode_set_controller_id(id, v, xid);
      break;
    }
    case OfpType::kNxTlvTableMod: {
      DECODE(t, decode_tlv_table_mod(msg));
      bytes = encode_tlv_table_mod(t, v, xid);
      break;
    }
    case OfpType::kNxTlvTableReply: {
      DECODE(t, decode_tlv_table_reply(msg));
      bytes = encode_tlv_table_reply(t, v, xid);
      break;
    }
    case OfpType::kNxCtFlushZone: {
      DECODE(zone, decode_ct_flush_zone(msg));
      bytes = encode_ct_flush_zone(zone, v, xid);
      break;
    }
    case OfpType::kNxCtFlush: {
      DECODE(f, decode_ct_flush(msg));
      bytes = encode_ct_flush(f, v, xid);
      break;
    }
    case OfpType::kNxIpfixBridgeStatsReply:
    case OfpType::kNxIpfixFlowStatsReply: {
      DECODE(s, decode_ipfix_stats_reply(msg));
      bytes = one(encode_ipfix_stats_reply(s, msg.type == OfpType::kNxIpfixFlowStatsReply, v, xid));
      break;
    }
    default:
      // Messages without a body: the framing has checked all there is.
      if (!out) return Ok{};
      bytes = empty_body(msg);
  }
#undef DECODE
  if (out) {
    // Multipart flags (more to come) belong to the message, not its content.
    if (raw_info(msg.raw).kind >= RawKind::kOfpstRequest && bytes.size() >= 12)
      put_u16_at(bytes.data() + 10, msg.multipart_flags);
    *out = std::move(bytes);
  }
  return Ok{};
}

}  // namespace

WireStatus decode_message_body(const OfpMessage& msg, const Protocol& protocol) {
  return run(msg, protocol, nullptr);
}

WireResult<Bytes> reencode_message(const OfpMessage& msg, const Protocol& protocol) {
  Bytes out;
  WIRE_TRY(run(msg, protocol, &out));
  return out;
}

}  // namespace flowpath::openflow::wire
