// ConnectionManager: what the switch tells its connections unasked
// (packet-ins, port status, flow removed, role status), each connection as
// its role and asynchronous configuration say, and role requests, which
// concern every connection of a bridge.
#include "common/log_modules.h"

#include "ofproto/connection_manager.h"
#include "ofproto/openflow_handler.h"
#include "ofproto/xlate.h"
#include "openflow/nxm_field.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/flow_removed.h"
#include "openflow/wire/packet_in.h"
#include "openflow/wire/port_status.h"
#include "openflow/wire/role.h"

namespace flowpath::ofproto {

namespace {

wire::PacketIn wire_packet_in(const PacketIn& pi, uint8_t reason, bool implicit_miss) {
  wire::PacketIn w;
  w.reason = reason;
  w.table_id = pi.table;
  w.cookie = implicit_miss ? wire::kNoCookie : pi.cookie;
  w.buffer_id = wire::kNoBuffer;
  w.total_len = pi.total_len;
  const OfFieldInfo& in_port = *find_field("in_port_oxm");
  store_nxm_number(in_port, pi.in_port, w.metadata.value.bytes() + in_port.offset);
  store_nxm_mask_number(in_port, 0xffffffffu, w.metadata.mask.bytes() + in_port.offset);
  w.packet = pi.packet;
  w.userdata = pi.userdata;
  return w;
}

// Reasons a version cannot say become "delete", as Open vSwitch sends them.
uint8_t flow_removed_reason_for(uint8_t reason, uint8_t version) {
  using namespace wire::flow_removed_reason;  // NOLINT(google-build-using-namespace)
  if (reason == kGroupDelete && version < wire::kOfp13) return kDelete;
  if ((reason == kMeterDelete || reason == kEviction) && version < wire::kOfp14) return kDelete;
  return reason;
}

wire::FlowRemoved wire_flow_removed(const RuleRemoved& removed, uint8_t reason) {
  const Rule& rule = *removed.rule;
  wire::FlowRemoved fr;
  fr.match = rule.match;
  fr.priority = rule.priority;
  fr.cookie = rule.cookie;
  fr.reason = reason;
  fr.table_id = rule.table;
  uint64_t age_ms = removed.removed_ms - std::min(removed.removed_ms, rule.created_ms);
  fr.duration_sec = static_cast<uint32_t>(age_ms / 1000);
  fr.duration_nsec = static_cast<uint32_t>(age_ms % 1000 * 1'000'000);
  fr.idle_timeout = rule.idle_timeout;
  fr.hard_timeout = rule.hard_timeout;
  fr.packet_count = rule.counters->packets.load(std::memory_order_relaxed);
  fr.byte_count = rule.counters->bytes.load(std::memory_order_relaxed);
  return fr;
}

}  // namespace

void ConnectionManager::send_async(const std::string& bridge, BridgeEntry& entry) {
  // Packet-ins stay queued (for fpctl of packet-ins) while no connection
  // can take them.
  bool any_takes_packet_ins = false;
  for_each_open(entry, [&](Connection& c) {
    any_takes_packet_ins |= c.session.kind == OpenFlowSession::Kind::kController ||
                            c.session.miss_send_len != 0;
  });
  auto backlog = ofproto_.take_async(bridge, any_takes_packet_ins);
  if (!backlog.ok()) return;
  for (const PacketIn& pi : backlog->packet_ins) {
    bool implicit_miss = pi.cookie == ControllerUserdata::kNoCookie &&
                         pi.reason == wire::packet_in_reason::kNoMatch;
    for_each_open(entry, [&](Connection& c) {
      if (c.session.controller_id != pi.controller_id) return;
      auto reason = c.session.packet_in_reason(pi.reason, implicit_miss, pi.explicit_miss);
      if (!reason) return;
      c.channel->send_async(wire::encode_packet_in(wire_packet_in(pi, *reason, implicit_miss),
                                                   c.session.protocol.version,
                                                   c.session.packet_in_format));
    });
  }
  for (const PortChange& change : backlog->port_changes) {
    wire::PortStatus status;
    status.reason = static_cast<wire::PortReason>(change.reason);
    status.desc = port_desc_of(bridge, change.port);
    for_each_open(entry, [&](Connection& c) {
      if (!c.session.receives(wire::AsyncMessage::kPortStatus, change.reason)) return;
      c.channel->send_async(wire::encode_port_status(status, c.session.protocol.version));
    });
  }
  for (const RuleRemoved& removed : backlog->rules_removed) {
    for_each_open(entry, [&](Connection& c) {
      uint8_t reason = flow_removed_reason_for(removed.reason, c.session.protocol.version);
      if (!c.session.receives(wire::AsyncMessage::kFlowRemoved, reason)) return;
      auto message = wire::encode_flow_removed(wire_flow_removed(removed, reason), c.session.protocol);
      if (message.ok()) c.channel->send_async(std::move(*message));
      else module_log(LogModule::kOfproto).warn("bridge {}: flow removed: {}", bridge, message.error().to_string());
    });
  }
}

std::vector<wire::Bytes> ConnectionManager::handle_role_request(BridgeEntry& entry,
                                                                Connection& connection,
                                                                const wire::OfpMessage& msg,
                                                                const wire::Bytes& message) {
  std::vector<wire::Bytes> out;
  auto request = wire::decode_role_message(msg);
  if (!request.ok()) {
    out.push_back(wire::encode_error_reply(request.error().code, message));
    return out;
  }
  using wire::ControllerRole;
  if (request->role != ControllerRole::kNoChange) {
    if (request->role != ControllerRole::kEqual && request->generation_id) {
      // Stale: older than the last one, in the wrap-around order OpenFlow
      // defines.
      if (entry.generation_id &&
          static_cast<int64_t>(*request->generation_id - *entry.generation_id) < 0) {
        out.push_back(wire::encode_error_reply(wire::OfpErrorCode::OFPRRFC_STALE, message));
        return out;
      }
      entry.generation_id = *request->generation_id;
    }
    if (request->role == ControllerRole::kPrimary && connection.session.role != ControllerRole::kPrimary) {
      // One master: the others become slaves and are told so.
      for_each_open(entry, [&](Connection& other) {
        if (&other == &connection || other.session.role != ControllerRole::kPrimary) return;
        other.session.role = ControllerRole::kSecondary;
        wire::RoleStatus status;
        status.role = ControllerRole::kSecondary;
        status.reason = static_cast<uint8_t>(wire::RoleStatusReason::kPrimaryRequest);
        status.generation_id = entry.generation_id.value_or(~uint64_t{0});
        if (auto bytes = wire::encode_role_status(status, other.session.protocol.version))
          other.channel->send(std::move(*bytes));
      });
    }
    connection.session.role = request->role;
  }
  wire::RoleMessage reply;
  reply.role = connection.session.role;
  reply.generation_id = entry.generation_id;
  auto bytes = wire::encode_role_reply(reply, msg);
  if (bytes.ok()) out.push_back(std::move(*bytes));
  else out.push_back(wire::encode_error_reply(bytes.error().code, message));
  return out;
}

}  // namespace flowpath::ofproto
