// Connection tracking actions: ct (commit/force, zone from a field or an
// immediate, recirculation table, ALG, and the nested nat and ct_mark /
// ct_label writes), nat (source or destination ranges of addresses and
// ports) and ct_clear.
#include <cstring>

#include "openflow/wire/action_internal.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

constexpr uint16_t kCtCommit = 1, kCtForce = 2;
constexpr uint16_t kNatSrc = 1, kNatDst = 2, kNatPersistent = 4, kNatProtoHash = 8,
                   kNatProtoRandom = 16, kNatFlagsMask = 31;
constexpr uint16_t kRangeIpv4Min = 1, kRangeIpv4Max = 2, kRangeIpv6Min = 4, kRangeIpv6Max = 8,
                   kRangeProtoMin = 16, kRangeProtoMax = 32;

WireStatus decode_nat(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  action::Nat nat;
  nat.flags = get_u16(p + 12);
  const uint16_t present = get_u16(p + 14);
  auto bad = [&](const std::string& what) { return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, what); };
  if ((nat.flags & ~kNatFlagsMask) || ((nat.flags & kNatSrc) && (nat.flags & kNatDst)) ||
      ((nat.flags & kNatProtoHash) && (nat.flags & kNatProtoRandom)))
    return bad("flags " + std::to_string(nat.flags) + " are unknown or contradict");
  WireReader r = a.reader(16);
  if (present & kRangeIpv4Min) {
    if (present & (kRangeIpv6Min | kRangeIpv6Max)) return bad("both IPv4 and IPv6 ranges");
    WIRE_TRY_ASSIGN(min, r.pull(4, "IPv4 minimum"));
    if (all_zero(min)) return bad("IPv4 minimum is 0.0.0.0");
    std::memcpy(nat.addr_min, min.data(), 4);
    nat.family = action::Nat::Family::kIpv4;
    if (present & kRangeIpv4Max) {
      WIRE_TRY_ASSIGN(max, r.pull(4, "IPv4 maximum"));
      if (get_u32(max.data()) < get_u32(min.data())) return bad("IPv4 range is reversed");
      std::memcpy(nat.addr_max, max.data(), 4);
    }
  } else if (present & kRangeIpv4Max) {
    return bad("IPv4 maximum without minimum");
  } else if (present & kRangeIpv6Min) {
    WIRE_TRY_ASSIGN(min, r.pull(16, "IPv6 minimum"));
    if (all_zero(min)) return bad("IPv6 minimum is ::");
    std::memcpy(nat.addr_min, min.data(), 16);
    nat.family = action::Nat::Family::kIpv6;
    if (present & kRangeIpv6Max) {
      WIRE_TRY_ASSIGN(max, r.pull(16, "IPv6 maximum"));
      if (std::memcmp(max.data(), min.data(), 16) < 0) return bad("IPv6 range is reversed");
      std::memcpy(nat.addr_max, max.data(), 16);
    }
  } else if (present & kRangeIpv6Max) {
    return bad("IPv6 maximum without minimum");
  }
  if (present & kRangeProtoMin) {
    if (nat.family == action::Nat::Family::kNone) return bad("port range without addresses");
    WIRE_TRY_ASSIGN(min, r.u16("port minimum"));
    if (!min) return bad("port minimum is 0");
    nat.proto_min = min;
    if (present & kRangeProtoMax) {
      WIRE_TRY_ASSIGN(max, r.u16("port maximum"));
      if (max < min) return bad("port range is reversed");
      nat.proto_max = max;
    }
  } else if (present & kRangeProtoMax) {
    return bad("port maximum without minimum");
  }
  out.emplace_back(nat);
  return Ok{};
}

WireStatus decode_ct(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  action::Conntrack ct;
  ct.flags = get_u16(p + 10);
  if ((ct.flags & kCtForce) && !(ct.flags & kCtCommit))
    return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "force without commit");
  const uint32_t zone_src = get_u32(p + 12);
  const uint16_t zone = get_u16(p + 16);
  if (zone_src) {
    WIRE_TRY_ASSIGN(sf, subfield_from_header(a, zone_src, zone >> 6, (zone & 63) + 1));
    if (sf.n_bits != 16)
      return a.error(OfpErrorCode::OFPBAC_BAD_SET_LEN,
                     "zone takes 16 bits, not " + std::to_string(sf.n_bits));
    ct.zone_src = sf;
  } else {
    ct.zone_imm = zone;
  }
  ct.recirc_table = p[18];
  ct.alg = get_u16(p + 22);
  WIRE_TRY_ASSIGN(nested, decode_nested_actions(a.bytes.subspan(24), a.version, "ct"));
  if (!nested.empty() && !(ct.flags & kCtCommit)) {
    for (const OfAction& n : nested) {
      const auto* nat = std::get_if<action::Nat>(&n);
      if (!nat || nat->flags || nat->family != action::Nat::Family::kNone)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "actions other than a bare nat need commit");
    }
  }
  ct.actions = std::move(nested);
  out.emplace_back(std::move(ct));
  return Ok{};
}

}  // namespace

WireStatus decode_ct_family(const RawAction& a, Actions& out) {
  switch (a.info->raw) {
    case ActionRaw::NXAST_CT: return decode_ct(a, out);
    case ActionRaw::NXAST_NAT: return decode_nat(a, out);
    case ActionRaw::NXAST_CT_CLEAR: out.emplace_back(action::CtClear{}); return Ok{};
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "not a conntrack action");
  }
}

void encode_action(const action::Conntrack& a, ActionEncoder& e) {
  const size_t s = e.put_raw(ActionRaw::NXAST_CT);
  uint8_t* p = e.w.at(s);
  put_u16_at(p + 10, a.flags);
  if (a.zone_src.field) {
    put_u32_at(p + 12, nxm_header32(*a.zone_src.field));
    put_u16_at(p + 16, ofs_nbits(a.zone_src.ofs, a.zone_src.n_bits));
  } else {
    put_u16_at(p + 16, a.zone_imm);
  }
  p[18] = a.recirc_table;
  put_u16_at(p + 22, a.alg);
  ActionEncoder nested(e.w, e.version, e.flow);
  nested.encode_list(a.actions);
  e.w.patch_length16(s + 2, s);
}

void encode_action(const action::Nat& a, ActionEncoder& e) {
  const size_t s = e.put_raw(ActionRaw::NXAST_NAT);
  put_u16_at(e.w.at(s + 12), a.flags);
  uint16_t present = 0;
  static constexpr uint8_t kZero[16] = {};
  if (a.family == action::Nat::Family::kIpv4) {
    if (std::memcmp(a.addr_min, kZero, 4)) {
      e.w.put_bytes(a.addr_min, 4);
      present |= kRangeIpv4Min;
    }
    if (std::memcmp(a.addr_max, kZero, 4)) {
      e.w.put_bytes(a.addr_max, 4);
      present |= kRangeIpv4Max;
    }
  } else if (a.family == action::Nat::Family::kIpv6) {
    if (std::memcmp(a.addr_min, kZero, 16)) {
      e.w.put_bytes(a.addr_min, 16);
      present |= kRangeIpv6Min;
    }
    if (std::memcmp(a.addr_max, kZero, 16)) {
      e.w.put_bytes(a.addr_max, 16);
      present |= kRangeIpv6Max;
    }
  }
  if (a.family != action::Nat::Family::kNone) {
    if (a.proto_min) {
      e.w.put_u16(a.proto_min);
      present |= kRangeProtoMin;
    }
    if (a.proto_max) {
      e.w.put_u16(a.proto_max);
      present |= kRangeProtoMax;
    }
  }
  e.finish(s);
  put_u16_at(e.w.at(s + 14), present);
}

void encode_action(const action::CtClear&, ActionEncoder& e) { e.put_raw(ActionRaw::NXAST_CT_CLEAR); }

}  // namespace flowpath::openflow::wire::action_wire
