// Port mods (a port's administrative state), table mods (what a table's
// configuration may say: flowpath's tables neither evict nor send vacancy
// events, so a table mod may only ask for that) and queue configuration
// (flowpath's ports have no queues).
#include <cstring>

#include "ofproto/openflow_handler.h"
#include "ofproto/openflow_handler_internal.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/port_status.h"
#include "openflow/wire/queue_config.h"
#include "openflow/wire/table_mod.h"

namespace flowpath::ofproto {

using wire::Bytes;
using wire::OfpErrorCode;
using wire::OfpMessage;

namespace {

// Configuration bits a port mod may set, and those it may only clear
// (they are never set on flowpath's ports): no_stp, no_recv, no_recv_stp,
// no_flood, no_fwd, no_packet_in are not carried out.
constexpr uint32_t kSettableConfig = wire::port_config::kPortDown;

}  // namespace

std::vector<Bytes> handle_port_mod(Ofproto& ofproto, const std::string& bridge,
                                   const OfpMessage& msg, const Bytes& message) {
  auto pm = wire::decode_port_mod(msg);
  if (!pm.ok()) return error_reply(pm.error(), message);
  auto ports = ofproto.list_ports(bridge);
  if (!ports.ok())
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_EPERM, ports.error()), message);
  const PortStatus* port = nullptr;
  for (const PortStatus& p : *ports)
    if (p.ofport == pm->port_no) port = &p;
  if (!port)
    return error_reply(wire::wire_error(OfpErrorCode::OFPPMFC_BAD_PORT,
                                        "no port " + std::to_string(pm->port_no)),
                       message);
  wire::PortDesc desc = port_desc_of(bridge, *port);
  if (std::memcmp(desc.hw_addr, pm->hw_addr, sizeof desc.hw_addr) != 0)
    return error_reply(wire::wire_error(OfpErrorCode::OFPPMFC_BAD_HW_ADDR,
                                        "the Ethernet address is not port " +
                                            std::to_string(pm->port_no) + "'s"),
                       message);
  if (uint32_t unsupported = pm->config & pm->mask & ~kSettableConfig)
    return error_reply(wire::wire_error(OfpErrorCode::OFPPMFC_BAD_CONFIG,
                                        "port configuration bits " + std::to_string(unsupported) +
                                            " are not supported (only port_down)"),
                       message);
  if (pm->advertise)
    return error_reply(wire::wire_error(OfpErrorCode::OFPPMFC_BAD_ADVERTISE,
                                        "flowpath does not change advertised port features"),
                       message);
  if (pm->mask & wire::port_config::kPortDown) {
    bool up = !(pm->config & wire::port_config::kPortDown);
    if (auto st = ofproto.set_port_admin(bridge, port->config.name, up); !st.ok())
      return error_reply(wire::wire_error(OfpErrorCode::OFPPMFC_EPERM, st.error()), message);
  }
  return {};
}

std::vector<Bytes> handle_table_mod(const OfpMessage& msg, const Bytes& message) {
  auto tm = wire::decode_table_mod(msg);
  if (!tm.ok()) return error_reply(tm.error(), message);
  if (tm->table_id != 0xff && tm->table_id >= kMaxTableId)
    return error_reply(wire::wire_error(OfpErrorCode::OFPTMFC_BAD_TABLE,
                                        "no table " + std::to_string(tm->table_id)),
                       message);
  if (msg.version < wire::kOfp13 && tm->config)
    return error_reply(wire::wire_error(OfpErrorCode::OFPTMFC_BAD_CONFIG,
                                        "table-miss configuration is not supported"),
                       message);
  if (tm->config & wire::kTableConfigEviction || tm->eviction_flags)
    return error_reply(wire::wire_error(OfpErrorCode::OFPTMFC_BAD_CONFIG,
                                        "flowpath's tables do not evict rules"),
                       message);
  if (tm->config & wire::kTableConfigVacancyEvents || tm->vacancy)
    return error_reply(wire::wire_error(OfpErrorCode::OFPTMFC_BAD_CONFIG,
                                        "flowpath's tables send no vacancy events"),
                       message);
  if (tm->config & ~(wire::kTableConfigEviction | wire::kTableConfigVacancyEvents))
    return error_reply(wire::wire_error(OfpErrorCode::OFPTMFC_BAD_CONFIG,
                                        "unknown table configuration bits"),
                       message);
  // What remains asks for the tables as they are: nothing to change.
  return {};
}

std::optional<wire::OfpError> queue_port_error(Ofproto& ofproto, const std::string& bridge,
                                               uint32_t port_no) {
  if (port_no == kOfppAny) return std::nullopt;
  if (auto ports = ofproto.list_ports(bridge); ports.ok())
    for (const PortStatus& p : *ports)
      if (p.ofport == port_no) return std::nullopt;
  return wire::wire_error(OfpErrorCode::OFPQOFC_BAD_PORT, "no such port");
}

std::vector<Bytes> handle_queue_get_config(Ofproto& ofproto, const std::string& bridge,
                                           const OfpMessage& msg, const Bytes& message) {
  auto request = wire::decode_queue_config_request(msg);
  if (!request.ok()) return error_reply(request.error(), message);
  if (auto error = queue_port_error(ofproto, bridge, request->port_no))
    return error_reply(*error, message);
  // flowpath's ports have no queues.
  return wire::encode_queue_config_reply(request->port_no, {}, msg.version, msg.xid);
}

}  // namespace flowpath::ofproto
