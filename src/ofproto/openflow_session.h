// The switch's side of one OpenFlow connection: what the peer has set for
// itself (flow format, packet-in format, controller id, role, which
// asynchronous messages it wants) and whether it is a controller (a target
// of set-controller, active or passive) or a service connection (the
// management socket, where ovs-ofctl comes in).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>
#include <string_view>

#include "openflow/wire/async_config.h"
#include "openflow/wire/flow_mod.h"
#include "openflow/wire/packet_in.h"
#include "openflow/wire/role.h"
#include "openflow/wire/switch_config.h"

namespace flowpath::ofproto {

namespace wire = openflow::wire;

// A bundle the peer has opened on this connection: the bundle-add messages
// it has sent (each checked when it came), in order.
struct OpenBundle {
  uint16_t flags = 0;
  bool closed = false;
  std::vector<wire::Bytes> adds;
};

struct OpenFlowSession {
  enum class Kind : uint8_t { kService, kController };
  Kind kind = Kind::kService;
  wire::Protocol protocol;  // version set once the hello exchange is done
  wire::PacketInFormat packet_in_format = wire::PacketInFormat::kStandard;
  // Open vSwitch's defaults: controllers get asynchronous messages, service
  // connections none until they set a miss_send_len (ovs-ofctl monitor
  // does). No packet is buffered, so it does not truncate packet-ins.
  uint16_t miss_send_len = 0;
  uint16_t controller_id = 0;
  wire::ControllerRole role = wire::ControllerRole::kEqual;
  wire::AsyncConfig async;
  // The peer sent something beyond the handshake (hello, echo, features):
  // a controller that does so ends fail-open, as Open vSwitch's "admitted".
  bool admitted = false;
  // Bundles open on this connection, by id (they end with it).
  std::map<uint32_t, OpenBundle> bundles;

  static OpenFlowSession for_kind(Kind kind, uint8_t version);
  // Does this session get an asynchronous message of `type` for `reason`?
  bool receives(wire::AsyncMessage type, uint8_t reason) const;
  // A packet-in (table misses as OpenFlow 1.0-1.2 get them, explicit misses,
  // controller actions): the reason to send, or nullopt if not wanted.
  std::optional<uint8_t> packet_in_reason(uint8_t reason, bool implicit_miss,
                                          bool explicit_miss) const;
};

// "equal", "master", "slave" (as ovs-vsctl shows a controller's role).
std::string_view role_name(wire::ControllerRole role);

// Open vSwitch's default asynchronous configuration for a version: primary
// and equal controllers get packet-ins (no invalid_ttl), port status and
// flow removed; secondaries only port status.
wire::AsyncConfig default_async_config(uint8_t version);

}  // namespace flowpath::ofproto
