#include "ofproto/openflow_session.h"

namespace flowpath::ofproto {

namespace {

constexpr int index_of(wire::AsyncMessage type) { return static_cast<int>(type); }

}  // namespace

std::string_view role_name(wire::ControllerRole role) {
  switch (role) {
    case wire::ControllerRole::kPrimary: return "master";
    case wire::ControllerRole::kSecondary: return "slave";
    default: return "equal";
  }
}

wire::AsyncConfig default_async_config(uint8_t version) {
  wire::AsyncConfig c;
  using wire::AsyncMessage;
  // packet-in: no_match, action, action_set, group, packet_out (not invalid_ttl)
  c.primary[index_of(AsyncMessage::kPacketIn)] = 0x3b;
  c.primary[index_of(AsyncMessage::kPortStatus)] = 0x7;    // add, delete, modify
  c.secondary[index_of(AsyncMessage::kPortStatus)] = 0x7;
  // flow removed: idle, hard, delete; + group delete (1.3); + meter delete, eviction (1.4)
  c.primary[index_of(AsyncMessage::kFlowRemoved)] =
      version >= wire::kOfp14 ? 0x3f : version == wire::kOfp13 ? 0xf : 0x7;
  return c;
}

OpenFlowSession OpenFlowSession::for_kind(Kind kind, uint8_t version) {
  OpenFlowSession s;
  s.kind = kind;
  s.protocol.version = version;
  s.miss_send_len = kind == Kind::kController ? 128 : 0;
  s.async = default_async_config(version);
  return s;
}

bool OpenFlowSession::receives(wire::AsyncMessage type, uint8_t reason) const {
  if (kind == Kind::kService && miss_send_len == 0) return false;
  if (reason >= 32) return false;
  const uint32_t* masks = role == wire::ControllerRole::kSecondary ? async.secondary : async.primary;
  return masks[index_of(type)] & (1u << reason);
}

std::optional<uint8_t> OpenFlowSession::packet_in_reason(uint8_t reason, bool implicit_miss,
                                                         bool explicit_miss) const {
  if (implicit_miss) {
    // Only OpenFlow 1.0-1.2 (and no controller id) send table misses to the controller.
    if (protocol.version >= wire::kOfp13 || controller_id != 0) return std::nullopt;
    reason = wire::packet_in_reason::kNoMatch;
  } else if (explicit_miss) {
    reason = protocol.version >= wire::kOfp13 ? wire::packet_in_reason::kNoMatch
                                              : wire::packet_in_reason::kAction;
  }
  if (!receives(wire::AsyncMessage::kPacketIn, reason)) return std::nullopt;
  return reason;
}

}  // namespace flowpath::ofproto
