// Controller roles (see role.h).
#include "openflow/wire/role.h"

#include "openflow/wire/ofp_property.h"

namespace flowpath::openflow::wire {

namespace {

bool is_nicira(OfpRaw raw) { return raw == OfpRaw::NXT_ROLE_REQUEST || raw == OfpRaw::NXT_ROLE_REPLY; }

OfpError bad_role(uint32_t role, std::string_view form) {
  return wire_error(OfpErrorCode::OFPRRFC_BAD_ROLE,
                    std::string(form) + ": role " + std::to_string(role) + " is unknown");
}

void put_role_body(Bytes& out, const RoleMessage& role, bool nicira) {
  WireWriter w(&out);
  if (nicira) {
    w.put_u32(static_cast<uint32_t>(role.role) - 1);
    return;
  }
  w.put_u32(static_cast<uint32_t>(role.role));
  w.put_zeros(4);
  w.put_u64(role.generation_id.value_or(~uint64_t{0}));
}

}  // namespace

WireResult<RoleMessage> decode_role_message(const OfpMessage& msg) {
  RoleMessage out;
  const uint32_t role = get_u32(msg.body.data());  // the framing fixed the length
  if (is_nicira(msg.raw)) {
    if (role > 2) return bad_role(role, "NXT_ROLE message");
    out.role = static_cast<ControllerRole>(role + 1);
    return out;
  }
  if (role > 3) return bad_role(role, "role message");
  out.role = static_cast<ControllerRole>(role);
  const uint64_t generation = get_u64(msg.body.data() + 8);
  const bool request = msg.raw == OfpRaw::OFPT12_ROLE_REQUEST;
  if (request ? out.role != ControllerRole::kNoChange : generation != ~uint64_t{0})
    out.generation_id = generation;
  return out;
}

WireResult<Bytes> encode_role_request(const RoleMessage& role, uint8_t version, bool nicira,
                                      uint32_t xid) {
  nicira = nicira || version < kOfp12;
  if (nicira && role.role == ControllerRole::kNoChange)
    return wire_error(OfpErrorCode::OFPRRFC_BAD_ROLE,
                      "NXT_ROLE_REQUEST cannot ask for no change of role");
  Bytes out;
  const size_t start =
      start_message(out, nicira ? OfpRaw::NXT_ROLE_REQUEST : OfpRaw::OFPT12_ROLE_REQUEST, version,
                    xid);
  put_role_body(out, role, nicira);
  finish_message(out, start);
  return out;
}

WireResult<Bytes> encode_role_reply(const RoleMessage& role, const OfpMessage& request) {
  const bool nicira = is_nicira(request.raw);
  if (nicira && role.role == ControllerRole::kNoChange)
    return wire_error(OfpErrorCode::OFPRRFC_BAD_ROLE, "NXT_ROLE_REPLY cannot say no change");
  Bytes out;
  const size_t start =
      start_message(out, nicira ? OfpRaw::NXT_ROLE_REPLY : OfpRaw::OFPT12_ROLE_REPLY,
                    request.version, request.xid);
  put_role_body(out, role, nicira);
  finish_message(out, start);
  return out;
}

WireResult<RoleStatus> decode_role_status(const OfpMessage& msg) {
  WireReader r(msg.body, OfpErrorCode::OFPBRC_BAD_LEN, "role status");
  WIRE_TRY_ASSIGN(role, r.u32("role"));
  WIRE_TRY_ASSIGN(reason, r.u8("reason"));
  WIRE_TRY(r.skip(3, "pad"));
  WIRE_TRY_ASSIGN(generation, r.u64("generation_id"));
  if (role > 3) return bad_role(role, "role status");
  // Properties (none defined but experimenter ones) are passed over.
  PropertyReader props(r.rest(), "role status property");
  while (!props.empty()) {
    WIRE_TRY_ASSIGN(prop, props.next());
    WIRE_TRY(props.unknown(prop, true));
  }
  return RoleStatus{static_cast<ControllerRole>(role), reason, generation};
}

std::optional<Bytes> encode_role_status(const RoleStatus& status, uint8_t version) {
  if (version < kOfp13) return std::nullopt;
  Bytes out;
  const size_t start = start_message(
      out, version >= kOfp14 ? OfpRaw::OFPT14_ROLE_STATUS : OfpRaw::ONFT13_ROLE_STATUS, version, 0);
  WireWriter w(&out);
  w.put_u32(static_cast<uint32_t>(status.role));
  w.put_u8(status.reason);
  w.put_zeros(3);
  w.put_u64(status.generation_id);
  finish_message(out, start);
  return out;
}

}  // namespace flowpath::openflow::wire
