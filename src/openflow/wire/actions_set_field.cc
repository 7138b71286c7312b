// Field-setting actions: OpenFlow 1.2+ set_field (masked from 1.5),
// Nicira reg_load and reg_load2, the OpenFlow 1.0/1.1 set actions
// (mod_dl_src, mod_nw_dst, mod_nw_tos, mod_tp_src, set_mpls_label, ...) and
// set_tunnel/set_tunnel64. Each decodes to a SetField (or SetTunnel) that
// remembers its form; encoding picks the form Open vSwitch would send in the
// target version.
#include "openflow/wire/action_internal.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

using field_internal::low_bits;
using SetFieldForm = action::SetFieldForm;

constexpr uint16_t kOfpatSetField = 25;

FieldValue whole_value(const OfFieldInfo& field, NxmNumber value) {
  FieldValue v;
  v.field = &field;
  store_nxm_number(field, value, v.value);
  store_nxm_mask_number(field, low_bits(nxm_value_bits(field)), v.mask);
  return v;
}

void add_legacy(Actions& out, std::string_view field, NxmNumber value) {
  out.emplace_back(action::SetField{whole_value(*find_field(field), value), SetFieldForm::kLegacy});
}

bool whole_field(const FieldValue& v) {
  return nxm_mask_number(*v.field, v.mask) == low_bits(nxm_value_bits(*v.field));
}

WireStatus check_writable(const RawAction& a, const NxmEntry& entry) {
  if (!wire_writable(*entry.value.field))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                   std::string(entry.nxm->name) + " is read-only");
  return Ok{};
}

WireStatus decode_set_field(const RawAction& a, Actions& out) {
  WireReader r = a.reader(4);
  const bool may_mask = a.info->raw == ActionRaw::OFPAT15_SET_FIELD;
  WIRE_TRY_ASSIGN(entry, pull_nxm_entry(r, NxmContext::kAction, may_mask));
  if (!all_zero(r.rest()))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT, "padding is not zero");
  const OfFieldInfo& f = *entry.value.field;
  if (f.name == "in_port_oxm")
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT, "OpenFlow forbids set_field of in_port");
  WIRE_TRY(check_writable(a, entry));
  if (f.name == "vlan_vid") {
    const NxmNumber v = nxm_number(f, entry.value.value), m = nxm_mask_number(f, entry.value.mask);
    if (!(v & kVlanCfi) || !(m & kVlanCfi))
      return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                     "set_field of vlan_vid must set the OFPVID_PRESENT bit");
  }
  out.emplace_back(action::SetField{entry.value, SetFieldForm::kSetField});
  return Ok{};
}

WireStatus decode_reg_load(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  const uint16_t ofs_n = get_u16(p + 10);
  WIRE_TRY_ASSIGN(dst, subfield_from_header(a, get_u32(p + 12), ofs_n >> 6, (ofs_n & 63) + 1));
  if (!wire_writable(*dst.field))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                   std::string(nxm_name(*dst.field)) + " is read-only");
  const uint64_t value = get_u64(p + 16);
  if (dst.n_bits < 64 && value >> dst.n_bits)
    return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                   "value does not fit in " + std::to_string(dst.n_bits) + " bits");
  FieldValue v;
  v.field = dst.field;
  store_nxm_number(*dst.field, NxmNumber{value} << dst.ofs, v.value);
  store_nxm_mask_number(*dst.field, low_bits(dst.n_bits) << dst.ofs, v.mask);
  out.emplace_back(action::SetField{v, SetFieldForm::kLoad});
  return Ok{};
}

WireStatus decode_reg_load2(const RawAction& a, Actions& out) {
  WireReader r = a.reader(10);
  WIRE_TRY_ASSIGN(entry, pull_nxm_entry(r, NxmContext::kAction, true));
  if (!all_zero(r.rest()))
    return a.error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT, "padding is not zero");
  WIRE_TRY(check_writable(a, entry));
  out.emplace_back(action::SetField{entry.value, SetFieldForm::kLoad2});
  return Ok{};
}

// The NXM/OXM entry of a set_field action for `version`.
void put_set_field_entry(ActionEncoder& e, const FieldValue& v, bool masked) {
  const size_t s = e.w.size();
  e.w.put_u16(kOfpatSetField);
  e.w.put_u16(0);
  put_nxm_entry(e.w, *nxm_field_for(*v.field, e.version), v, masked);
  e.finish(s);
}

// reg_load2, or one reg_load per run of set bits (at most 64 bits each).
void set_field_to_nxast(const action::SetField& a, ActionEncoder& e) {
  const OfFieldInfo& f = *a.field.field;
  if (a.form == SetFieldForm::kLoad2 || !nxm_header32(f)) {
    const size_t s = e.put_raw(ActionRaw::NXAST_REG_LOAD2);
    e.w.truncate(s + 10);
    put_nxm_entry(e.w, *nxm_field_for(f, 0), a.field, !whole_field(a.field));
    e.finish(s);
    return;
  }
  const unsigned width = nxm_value_bits(f);
  const NxmNumber value = nxm_number(f, a.field.value), mask = nxm_mask_number(f, a.field.mask);
  for (unsigned i = 0; i < width;) {
    if (!((mask >> i) & 1)) {
      ++i;
      continue;
    }
    unsigned n = 0;
    while (i + n < width && n < 64 && ((mask >> (i + n)) & 1)) ++n;
    put_reg_load(e, f, static_cast<uint16_t>(i), static_cast<uint16_t>(n),
                 static_cast<uint64_t>((value >> i) & low_bits(n)));
    i += n;
  }
}

ActionRaw pick(uint8_t version, ActionRaw of10, ActionRaw of11) {
  return version == kOfp10 ? of10 : of11;
}

// OpenFlow 1.0/1.1 forms of a whole-field set_field (Open vSwitch's
// set_field_to_legacy_openflow), falling back to reg_load.
void set_field_to_legacy(const action::SetField& a, ActionEncoder& e) {
  const OfFieldInfo& f = *a.field.field;
  const std::string_view n = f.name;
  const NxmNumber v = nxm_number(f, a.field.value);
  const uint8_t ver = e.version;
  if (n == "vlan_tci") {
    const auto tci = static_cast<uint16_t>(v);
    if (tci & kVlanCfi) {
      e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_VLAN_VID, ActionRaw::OFPAT11_SET_VLAN_VID),
                tci & 0x0fff);
      e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_VLAN_PCP, ActionRaw::OFPAT11_SET_VLAN_PCP),
                tci >> 13);
    } else {
      e.put_raw(pick(ver, ActionRaw::OFPAT10_STRIP_VLAN, ActionRaw::OFPAT11_POP_VLAN));
    }
  } else if (n == "vlan_vid") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_VLAN_VID, ActionRaw::OFPAT11_SET_VLAN_VID),
              v & 0x0fff);
  } else if (n == "vlan_pcp") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_VLAN_PCP, ActionRaw::OFPAT11_SET_VLAN_PCP), v);
  } else if (n == "eth_src" || n == "eth_dst") {
    const size_t s = e.put_raw(n == "eth_src"
                                   ? pick(ver, ActionRaw::OFPAT10_SET_DL_SRC, ActionRaw::OFPAT11_SET_DL_SRC)
                                   : pick(ver, ActionRaw::OFPAT10_SET_DL_DST, ActionRaw::OFPAT11_SET_DL_DST));
    std::copy(a.field.value, a.field.value + 6, e.w.at(s + 4));
  } else if (n == "ip_src") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_NW_SRC, ActionRaw::OFPAT11_SET_NW_SRC), v);
  } else if (n == "ip_dst") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_NW_DST, ActionRaw::OFPAT11_SET_NW_DST), v);
  } else if (n == "nw_tos") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_NW_TOS, ActionRaw::OFPAT11_SET_NW_TOS), v);
  } else if (n == "ip_dscp") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_NW_TOS, ActionRaw::OFPAT11_SET_NW_TOS), v << 2);
  } else if (n == "nw_ecn") {
    if (ver == kOfp10) put_reg_load(e, f, 0, 2, static_cast<uint64_t>(v));
    else e.put_raw(ActionRaw::OFPAT11_SET_NW_ECN, v);
  } else if (n == "tcp_src" || n == "udp_src") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_TP_SRC, ActionRaw::OFPAT11_SET_TP_SRC), v);
  } else if (n == "tcp_dst" || n == "udp_dst") {
    e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_TP_DST, ActionRaw::OFPAT11_SET_TP_DST), v);
  } else {
    set_field_to_nxast(a, e);
  }
}

// The transport field for the flow's protocol (Open vSwitch's
// flow_ip_proto annotation of mod_tp_src/mod_tp_dst).
const OfFieldInfo* l4_field(uint8_t proto, bool src) {
  if (proto == ipproto::kTcp) return find_field(src ? "tcp_src" : "tcp_dst");
  if (proto == ipproto::kUdp) return find_field(src ? "udp_src" : "udp_dst");
  if (proto == ipproto::kSctp) return find_field(src ? "sctp_src" : "sctp_dst");
  return nullptr;
}

// mod_dl_src, mod_nw_tos, mod_tp_src, ...: the old set actions below 1.2,
// set_field from 1.2.
void encode_legacy(const action::SetField& a, ActionEncoder& e) {
  const OfFieldInfo& f = *a.field.field;
  const std::string_view n = f.name;
  const NxmNumber v = nxm_number(f, a.field.value);
  const uint8_t ver = e.version;
  const bool modern = ver >= kOfp12;
  if (n == "eth_src" || n == "eth_dst" || n == "ip_src" || n == "ip_dst") {
    if (modern) put_set_field(e, f, v);
    else set_field_to_legacy(a, e);
  } else if (n == "nw_tos") {
    if (modern) put_set_field(e, *find_field("ip_dscp"), v >> 2);
    else e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_NW_TOS, ActionRaw::OFPAT11_SET_NW_TOS), v);
  } else if (n == "nw_ecn") {
    if (modern) put_set_field(e, f, v);
    else if (ver == kOfp11) e.put_raw(ActionRaw::OFPAT11_SET_NW_ECN, v);
    else put_reg_load(e, f, 0, 2, static_cast<uint64_t>(v));
  } else if (n == "nw_ttl") {
    if (ver >= kOfp11) e.put_raw(ActionRaw::OFPAT11_SET_NW_TTL, v);
    else put_reg_load(e, f, 0, 8, static_cast<uint64_t>(v));
  } else if (f.offset == find_field("tp_src")->offset || f.offset == find_field("tp_dst")->offset) {
    const bool src = f.offset == find_field("tp_src")->offset;
    const OfFieldInfo* field = l4_field(e.flow.nw_proto, src);
    if (modern && field) put_set_field(e, *field, v);
    else if (src) e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_TP_SRC, ActionRaw::OFPAT11_SET_TP_SRC), v);
    else e.put_raw(pick(ver, ActionRaw::OFPAT10_SET_TP_DST, ActionRaw::OFPAT11_SET_TP_DST), v);
  } else if (n == "mpls_label") {
    if (modern) put_set_field(e, f, v);
    else e.put_raw(pick(ver, ActionRaw::NXAST_SET_MPLS_LABEL, ActionRaw::OFPAT11_SET_MPLS_LABEL), v);
  } else if (n == "mpls_tc") {
    if (modern) put_set_field(e, f, v);
    else e.put_raw(pick(ver, ActionRaw::NXAST_SET_MPLS_TC, ActionRaw::OFPAT11_SET_MPLS_TC), v);
  } else {
    // Not one of the old actions' fields: as a plain set_field.
    action::SetField plain = a;
    plain.form = SetFieldForm::kSetField;
    encode_action(plain, e);
  }
}

}  // namespace

WireStatus decode_set_field_family(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  switch (a.info->raw) {
    case ActionRaw::OFPAT12_SET_FIELD:
    case ActionRaw::OFPAT15_SET_FIELD: return decode_set_field(a, out);
    case ActionRaw::NXAST_REG_LOAD: return decode_reg_load(a, out);
    case ActionRaw::NXAST_REG_LOAD2: return decode_reg_load2(a, out);
    case ActionRaw::OFPAT10_SET_DL_SRC:
    case ActionRaw::OFPAT11_SET_DL_SRC:
    case ActionRaw::OFPAT10_SET_DL_DST:
    case ActionRaw::OFPAT11_SET_DL_DST: {
      NxmNumber mac = 0;
      for (int i = 0; i < 6; ++i) mac = (mac << 8) | p[4 + i];
      const bool src = a.info->raw == ActionRaw::OFPAT10_SET_DL_SRC ||
                       a.info->raw == ActionRaw::OFPAT11_SET_DL_SRC;
      add_legacy(out, src ? "eth_src" : "eth_dst", mac);
      return Ok{};
    }
    case ActionRaw::OFPAT10_SET_NW_SRC:
    case ActionRaw::OFPAT11_SET_NW_SRC: add_legacy(out, "ip_src", a.arg); return Ok{};
    case ActionRaw::OFPAT10_SET_NW_DST:
    case ActionRaw::OFPAT11_SET_NW_DST: add_legacy(out, "ip_dst", a.arg); return Ok{};
    case ActionRaw::OFPAT10_SET_NW_TOS:
    case ActionRaw::OFPAT11_SET_NW_TOS:
      if (a.arg & 3)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "TOS has ECN bits set");
      add_legacy(out, "nw_tos", a.arg);
      return Ok{};
    case ActionRaw::OFPAT11_SET_NW_ECN:
      if (a.arg & ~uint64_t{3})
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "ECN is more than 2 bits");
      add_legacy(out, "nw_ecn", a.arg);
      return Ok{};
    case ActionRaw::OFPAT11_SET_NW_TTL: add_legacy(out, "nw_ttl", a.arg); return Ok{};
    case ActionRaw::OFPAT10_SET_TP_SRC:
    case ActionRaw::OFPAT11_SET_TP_SRC: add_legacy(out, "tp_src", a.arg); return Ok{};
    case ActionRaw::OFPAT10_SET_TP_DST:
    case ActionRaw::OFPAT11_SET_TP_DST: add_legacy(out, "tp_dst", a.arg); return Ok{};
    case ActionRaw::NXAST_SET_MPLS_LABEL:
    case ActionRaw::OFPAT11_SET_MPLS_LABEL:
      if (a.arg >> 20)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "MPLS label is more than 20 bits");
      add_legacy(out, "mpls_label", a.arg);
      return Ok{};
    case ActionRaw::NXAST_SET_MPLS_TC:
    case ActionRaw::OFPAT11_SET_MPLS_TC:
      if (a.arg > 7) return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "MPLS TC is more than 3 bits");
      add_legacy(out, "mpls_tc", a.arg);
      return Ok{};
    case ActionRaw::NXAST_SET_TUNNEL: out.emplace_back(action::SetTunnel{a.arg, false}); return Ok{};
    case ActionRaw::NXAST_SET_TUNNEL64: out.emplace_back(action::SetTunnel{a.arg, true}); return Ok{};
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "not a set-field action");
  }
}

void put_set_field(ActionEncoder& e, const OfFieldInfo& field, NxmNumber value) {
  put_set_field_entry(e, whole_value(field, value), false);
}

void put_reg_load(ActionEncoder& e, const OfFieldInfo& field, uint16_t ofs, uint16_t n_bits,
                  uint64_t value) {
  const size_t s = e.put_raw(ActionRaw::NXAST_REG_LOAD);
  put_u16_at(e.w.at(s + 10), ofs_nbits(ofs, n_bits));
  put_u32_at(e.w.at(s + 12), nxm_header32(field));
  put_u64_at(e.w.at(s + 16), value);
}

void encode_action(const action::SetField& a, ActionEncoder& e) {
  if (a.form == SetFieldForm::kLegacy) return encode_legacy(a, e);
  if (e.version >= kOfp15) return put_set_field_entry(e, a.field, !whole_field(a.field));
  if (a.form == SetFieldForm::kLoad || a.form == SetFieldForm::kLoad2)
    return set_field_to_nxast(a, e);
  if (e.version < kOfp12) return set_field_to_legacy(a, e);
  if (whole_field(a.field)) return put_set_field_entry(e, a.field, false);
  set_field_to_nxast(a, e);
}

void encode_action(const action::SetTunnel& a, ActionEncoder& e) {
  if (e.version < kOfp12) {
    if (a.tun_id <= 0xffffffffull && !a.tunnel64_form)
      e.put_raw(ActionRaw::NXAST_SET_TUNNEL, a.tun_id);
    else
      e.put_raw(ActionRaw::NXAST_SET_TUNNEL64, a.tun_id);
    return;
  }
  put_set_field(e, *find_field("tun_id"), a.tun_id);
}

}  // namespace flowpath::openflow::wire::action_wire
