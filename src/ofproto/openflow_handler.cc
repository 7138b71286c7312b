// What each OpenFlow message does to the bridge (see openflow_handler.h).
// Statistics replies are in openflow_handler_stats.cc.
#include "ofproto/openflow_handler.h"

#include "common/log_modules.h"

#include <fstream>

#include "ofproto/openflow_handler_internal.h"
#include "openflow/wire/async_config.h"
#include "openflow/wire/barrier.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/features.h"
#include "openflow/wire/flow_mod.h"
#include "openflow/wire/nx_control.h"
#include "openflow/wire/packet_out.h"
#include "openflow/wire/switch_config.h"

namespace flowpath::ofproto {

using wire::Bytes;
using wire::OfpErrorCode;
using wire::OfpMessage;
using wire::OfpType;

namespace {

Bytes features_reply(Ofproto& ofproto, const std::string& bridge, const OfpMessage& msg) {
  wire::FeaturesReply f;
  f.datapath_id = datapath_id_of(bridge);
  f.n_buffers = 0;  // packet-ins carry the whole packet: buffer_id is always none
  f.n_tables = kMaxTableId;
  f.capabilities = wire::capability::kFlowStats | wire::capability::kTableStats |
                   wire::capability::kPortStats;
  if (msg.version == wire::kOfp10) {
    f.capabilities |= wire::capability::kArpMatchIp;
    f.ofp10_actions = kOfp10Actions;
    if (auto ports = ofproto.list_ports(bridge); ports.ok())
      for (const PortStatus& p : *ports) f.ports.push_back(port_desc_of(bridge, p));
  } else {
    f.capabilities |= wire::capability::kGroupStats;
  }
  return wire::encode_features_reply(f, msg.version, msg.xid);
}

std::vector<Bytes> one(Bytes b) {
  std::vector<Bytes> out;
  out.push_back(std::move(b));
  return out;
}


// The error for a message flowpath does not handle: the kind of number that
// named it is what is "bad".
OfpErrorCode unsupported_code(const OfpMessage& msg) {
  switch (wire::raw_info(msg.raw).kind) {
    case wire::RawKind::kOfpt: return OfpErrorCode::OFPBRC_BAD_TYPE;
    case wire::RawKind::kNxt:
    case wire::RawKind::kOnft: return OfpErrorCode::OFPBRC_BAD_SUBTYPE;
    default: return OfpErrorCode::OFPBRC_BAD_STAT;
  }
}

std::vector<Bytes> handle_flow_mod(Ofproto& ofproto, const std::string& bridge,
                                   OpenFlowSession& session, const OfpMessage& msg,
                                   const Bytes& message) {
  uint32_t buffer_id = wire::kNoBuffer;
  auto request = flow_mod_request(msg, session.protocol, &buffer_id);
  if (!request.ok()) return error_reply(request.error(), message);
  auto changed = ofproto.flow_mod(bridge, *request);
  if (!changed.ok()) return error_reply(changed.error(), message);
  // No packet is ever buffered: a flow mod that names a buffer is applied,
  // and the buffer reported unknown (as Open vSwitch does for a stale one).
  if (buffer_id != wire::kNoBuffer)
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BUFFER_UNKNOWN, "no buffers"), message);
  return {};
}

std::vector<Bytes> handle_packet_out(Ofproto& ofproto, const std::string& bridge,
                                     const OfpMessage& msg, const Bytes& message) {
  auto po = wire::decode_packet_out(msg);
  if (!po.ok()) return error_reply(po.error(), message);
  if (po->buffer_id != wire::kNoBuffer)
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_BUFFER_UNKNOWN,
                                        "flowpath buffers no packets"),
                       message);
  auto st = ofproto.packet_out(bridge, po->in_port, po->actions, po->packet);
  if (!st.ok()) return error_reply(st.error(), message);
  return {};
}

// Messages a slave controller may not send (OFPBRC_IS_SLAVE), as Open
// vSwitch's reject_slave_controller().
bool changes_the_switch(OfpType type) {
  switch (type) {
    case OfpType::kFlowMod:
    case OfpType::kGroupMod:
    case OfpType::kPortMod:
    case OfpType::kTableMod:
    case OfpType::kMeterMod:
    case OfpType::kPacketOut:
    case OfpType::kNxTlvTableMod:
    case OfpType::kNxCtFlushZone:
    case OfpType::kNxCtFlush:
    case OfpType::kBundleControl:
    case OfpType::kBundleAddMessage:
      return true;
    default:
      return false;
  }
}

// NXT_SET_ASYNC_CONFIG, OFPT_SET_ASYNC: the masks the message sets replace
// the session's.
std::vector<Bytes> handle_set_async(OpenFlowSession& session, const OfpMessage& msg,
                                    const Bytes& message) {
  auto config = wire::decode_async_config(msg, false);
  if (!config.ok()) return error_reply(config.error(), message);
  for (int t = 0; t < wire::kAsyncMessages; ++t) {
    if (config->present & (1u << (2 * t))) session.async.secondary[t] = config->secondary[t];
    if (config->present & (1u << (2 * t + 1))) session.async.primary[t] = config->primary[t];
  }
  return {};
}

std::vector<Bytes> handle_set_config(OpenFlowSession& session, const OfpMessage& msg,
                                     const Bytes& message) {
  auto config = wire::decode_switch_config(msg);
  if (!config.ok()) return error_reply(config.error(), message);
  if (config->frag != wire::FragHandling::kNormal)
    return error_reply(wire::wire_error(OfpErrorCode::OFPSCFC_BAD_FLAGS,
                                        "only \"normal\" fragment handling is supported"),
                       message);
  session.miss_send_len = config->miss_send_len;
  return {};
}

}  // namespace

wire::WireResult<FlowModRequest> flow_mod_request(const OfpMessage& msg,
                                                  const wire::Protocol& protocol,
                                                  uint32_t* buffer_id) {
  auto fm = wire::decode_flow_mod(msg, protocol);
  if (!fm.ok()) return fm.error();
  FlowModRequest request;
  request.command = fm->command;
  request.spec = std::move(fm->spec);
  if (fm->modify_cookie && fm->new_cookie != wire::kNoCookie) request.new_cookie = fm->new_cookie;
  *buffer_id = fm->buffer_id;
  return request;
}

std::vector<Bytes> error_reply(const wire::OfpError& error, const Bytes& request) {
  module_log(LogModule::kOfproto).debug("openflow: answering with {}", error.to_string());
  return one(wire::encode_error_reply(error.code, request));
}

uint64_t datapath_id_of(const std::string& bridge) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bridge) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  // A unicast, locally administered Ethernet address in the low 48 bits.
  h &= 0xffffffffffffULL;
  h = (h & ~(uint64_t{0x01} << 40)) | (uint64_t{0x02} << 40);
  return h;
}

wire::PortDesc port_desc_of(const std::string& bridge, const PortStatus& port) {
  wire::PortDesc d;
  d.port_no = port.ofport;
  d.name = port.config.name;
  uint64_t mac = 0;
  if (port.dp_port == 0) {
    mac = datapath_id_of(bridge);
  } else {
    std::ifstream in("/sys/class/net/" + port.config.name + "/address");
    std::string text;
    unsigned b[6];
    if (in >> text && std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
                                  &b[4], &b[5]) == 6)
      for (unsigned v : b) mac = mac << 8 | (v & 0xff);
  }
  for (int i = 0; i < 6; ++i) d.hw_addr[i] = static_cast<uint8_t>(mac >> (8 * (5 - i)));
  if (!port.config.admin_up) d.config |= wire::port_config::kPortDown;
  if (!port.link_up) d.state |= wire::port_state::kLinkDown;
  else if (port.config.admin_up) d.state |= wire::port_state::kLive;
  return d;
}

std::vector<Bytes> handle_openflow_message(Ofproto& ofproto, const std::string& bridge,
                                           OpenFlowSession& session, const Bytes& message) {
  auto decoded = wire::decode_message(message);
  if (!decoded.ok()) return error_reply(decoded.error(), message);
  const OfpMessage& msg = *decoded;
  if (session.role == wire::ControllerRole::kSecondary && changes_the_switch(msg.type))
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_IS_SECONDARY,
                                        "a slave controller may not change the switch"),
                       message);
  switch (msg.type) {
    case OfpType::kSetAsyncConfig:
      return handle_set_async(session, msg, message);
    case OfpType::kGetAsyncRequest:
      return one(wire::encode_get_async_reply(session.async, msg.version, msg.xid));
    case OfpType::kFeaturesRequest:
      return one(features_reply(ofproto, bridge, msg));
    case OfpType::kGetConfigRequest: {
      wire::SwitchConfig c;
      c.miss_send_len = session.miss_send_len;
      return one(wire::encode_get_config_reply(c, msg.version, msg.xid));
    }
    case OfpType::kSetConfig:
      return handle_set_config(session, msg, message);
    case OfpType::kFlowMod:
      return handle_flow_mod(ofproto, bridge, session, msg, message);
    case OfpType::kPacketOut:
      return handle_packet_out(ofproto, bridge, msg, message);
    case OfpType::kGroupMod:
      return handle_group_mod(ofproto, bridge, msg, message);
    case OfpType::kMeterMod:
      return handle_meter_mod(ofproto, bridge, msg, message);
    case OfpType::kPortMod:
      return handle_port_mod(ofproto, bridge, msg, message);
    case OfpType::kTableMod:
      return handle_table_mod(msg, message);
    case OfpType::kQueueGetConfigRequest:
      return handle_queue_get_config(ofproto, bridge, msg, message);
    case OfpType::kBundleControl:
      return handle_bundle_control(ofproto, bridge, session, msg, message);
    case OfpType::kBundleAddMessage:
      return handle_bundle_add(session, msg, message);
    case OfpType::kBarrierRequest:
      // Every earlier message has been carried out by now.
      return one(wire::encode_barrier_reply(msg.version, msg.xid));
    case OfpType::kNxSetFlowFormat: {
      auto format = wire::decode_set_flow_format(msg);
      if (!format.ok()) return error_reply(format.error(), message);
      session.protocol.nxm = *format == wire::FlowFormat::kNxm;
      return {};
    }
    case OfpType::kNxFlowModTableId: {
      auto enable = wire::decode_flow_mod_table_id(msg);
      if (!enable.ok()) return error_reply(enable.error(), message);
      session.protocol.table_id = *enable;
      return {};
    }
    case OfpType::kNxSetPacketInFormat: {
      auto format = wire::decode_set_packet_in_format(msg);
      if (!format.ok()) return error_reply(format.error(), message);
      session.packet_in_format = *format;
      return {};
    }
    case OfpType::kNxSetControllerId: {
      auto id = wire::decode_set_controller_id(msg);
      if (!id.ok()) return error_reply(id.error(), message);
      session.controller_id = *id;
      return {};
    }
    case OfpType::kDescStatsRequest:
    case OfpType::kFlowStatsRequest:
    case OfpType::kAggregateStatsRequest:
    case OfpType::kPortStatsRequest:
    case OfpType::kPortDescStatsRequest:
    case OfpType::kTableStatsRequest:
    case OfpType::kTableFeaturesStatsRequest:
    case OfpType::kQueueStatsRequest:
    case OfpType::kQueueDescRequest:
    case OfpType::kTableDescRequest:
    case OfpType::kGroupStatsRequest:
    case OfpType::kGroupDescStatsRequest:
    case OfpType::kGroupFeaturesStatsRequest:
    case OfpType::kMeterStatsRequest:
    case OfpType::kMeterConfigStatsRequest:
    case OfpType::kMeterFeaturesStatsRequest:
      return handle_stats_request(ofproto, bridge, session, msg, message);
    default:
      return error_reply(wire::wire_error(unsupported_code(msg),
                                          std::string(wire::raw_name(msg.raw)) +
                                              " is not supported"),
                         message);
  }
}

}  // namespace flowpath::ofproto
