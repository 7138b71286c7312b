// Header actions: VLAN (set VID/PCP in the OpenFlow 1.0 push-if-absent form
// and the 1.1 form, push, pop/strip), MPLS (push, pop, set and decrement
// TTL) and IP TTL decrement, with Open vSwitch's dec_ttl(ids) extension.
#include "openflow/wire/action_internal.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire::action_wire {

namespace {

bool is_vlan_tpid(uint16_t t) { return t == ethertype::kVlan8021Q || t == ethertype::kVlan8021AD; }
bool is_mpls(uint16_t t) { return t == ethertype::kMplsUnicast || t == ethertype::kMplsMulticast; }

WireStatus decode_cnt_ids(const RawAction& a, Actions& out) {
  const uint8_t* p = a.bytes.data();
  const uint16_t n = get_u16(p + 10);
  if (!all_zero(a.bytes.subspan(12, 4)))
    return a.error(OfpErrorCode::NXBRC_MUST_BE_ZERO, "reserved bytes are not zero");
  const size_t room = a.bytes.size() - 16;
  if (room < n * 2u)
    return a.error(OfpErrorCode::OFPBAC_BAD_LEN, std::to_string(n) + " controller ids need " +
                                                     std::to_string(n * 2) + " bytes, " +
                                                     std::to_string(room) + " present");
  action::DecTtl d;
  d.cnt_ids_form = true;
  d.controller_ids.clear();
  for (uint16_t i = 0; i < n; ++i) d.controller_ids.push_back(get_u16(p + 16 + 2 * i));
  out.emplace_back(std::move(d));
  return Ok{};
}

}  // namespace

WireStatus decode_header_family(const RawAction& a, Actions& out) {
  const auto arg16 = static_cast<uint16_t>(a.arg);
  const auto arg8 = static_cast<uint8_t>(a.arg);
  switch (a.info->raw) {
    case ActionRaw::OFPAT10_SET_VLAN_VID:
    case ActionRaw::OFPAT11_SET_VLAN_VID:
      if (arg16 & ~0x0fff)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "VLAN VID " + std::to_string(arg16) + " is more than 12 bits");
      out.emplace_back(action::SetVlanVid{arg16, a.info->raw == ActionRaw::OFPAT10_SET_VLAN_VID});
      return Ok{};
    case ActionRaw::OFPAT10_SET_VLAN_PCP:
    case ActionRaw::OFPAT11_SET_VLAN_PCP:
      if (arg8 & ~7)
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "VLAN PCP " + std::to_string(arg8) + " is more than 3 bits");
      out.emplace_back(action::SetVlanPcp{arg8, a.info->raw == ActionRaw::OFPAT10_SET_VLAN_PCP});
      return Ok{};
    case ActionRaw::OFPAT11_PUSH_VLAN:
      if (!is_vlan_tpid(arg16))
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "EtherType " + std::to_string(arg16) + " is not a VLAN TPID");
      out.emplace_back(action::PushVlan{arg16});
      return Ok{};
    case ActionRaw::OFPAT10_STRIP_VLAN:
    case ActionRaw::OFPAT11_POP_VLAN: out.emplace_back(action::PopVlan{}); return Ok{};
    case ActionRaw::NXAST_SET_MPLS_TTL:
    case ActionRaw::OFPAT11_SET_MPLS_TTL: out.emplace_back(action::SetMplsTtl{arg8}); return Ok{};
    case ActionRaw::NXAST_DEC_MPLS_TTL:
    case ActionRaw::OFPAT11_DEC_MPLS_TTL: out.emplace_back(action::DecMplsTtl{}); return Ok{};
    case ActionRaw::NXAST_PUSH_MPLS:
    case ActionRaw::OFPAT11_PUSH_MPLS:
      if (!is_mpls(arg16))
        return a.error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                       "EtherType " + std::to_string(arg16) + " is not MPLS");
      out.emplace_back(action::PushMpls{arg16});
      return Ok{};
    case ActionRaw::NXAST_POP_MPLS:
    case ActionRaw::OFPAT11_POP_MPLS: out.emplace_back(action::PopMpls{arg16}); return Ok{};
    case ActionRaw::NXAST_DEC_NW_TTL:
    case ActionRaw::OFPAT11_DEC_NW_TTL: out.emplace_back(action::DecTtl{}); return Ok{};
    case ActionRaw::NXAST_DEC_TTL_CNT_IDS: return decode_cnt_ids(a, out);
    default: return a.error(OfpErrorCode::OFPBAC_BAD_TYPE, "not a header action");
  }
}

void encode_action(const action::SetVlanVid& a, ActionEncoder& e) {
  if (e.version > kOfp10 && a.push_if_absent && !e.flow.has_vlan)
    e.put_raw(ActionRaw::OFPAT11_PUSH_VLAN, ethertype::kVlan8021Q);
  if (e.version == kOfp10) e.put_raw(ActionRaw::OFPAT10_SET_VLAN_VID, a.vid);
  else put_set_field(e, *find_field("vlan_vid"), a.vid | kVlanCfi);
  e.flow.has_vlan = true;
}

void encode_action(const action::SetVlanPcp& a, ActionEncoder& e) {
  if (e.version > kOfp10 && a.push_if_absent && !e.flow.has_vlan)
    e.put_raw(ActionRaw::OFPAT11_PUSH_VLAN, ethertype::kVlan8021Q);
  if (e.version == kOfp10) e.put_raw(ActionRaw::OFPAT10_SET_VLAN_PCP, a.pcp);
  else put_set_field(e, *find_field("vlan_pcp"), a.pcp);
  e.flow.has_vlan = true;
}

void encode_action(const action::PushVlan& a, ActionEncoder& e) {
  // OpenFlow 1.0 pushes as a side effect of the set_vlan_vid that follows.
  if (e.version > kOfp10) e.put_raw(ActionRaw::OFPAT11_PUSH_VLAN, a.tpid);
  e.flow.has_vlan = true;
}

void encode_action(const action::PopVlan&, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::OFPAT10_STRIP_VLAN : ActionRaw::OFPAT11_POP_VLAN);
  e.flow.has_vlan = false;
}

void encode_action(const action::PushMpls& a, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_PUSH_MPLS : ActionRaw::OFPAT11_PUSH_MPLS,
            a.ethertype);
  e.flow.eth_type = a.ethertype;
  e.flow.nw_proto = 0;
}

void encode_action(const action::PopMpls& a, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_POP_MPLS : ActionRaw::OFPAT11_POP_MPLS,
            a.ethertype);
  e.flow.eth_type = a.ethertype;
}

void encode_action(const action::SetMplsTtl& a, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_SET_MPLS_TTL : ActionRaw::OFPAT11_SET_MPLS_TTL,
            a.ttl);
}

void encode_action(const action::DecMplsTtl&, ActionEncoder& e) {
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_DEC_MPLS_TTL : ActionRaw::OFPAT11_DEC_MPLS_TTL);
}

void encode_action(const action::DecTtl& a, ActionEncoder& e) {
  if (a.cnt_ids_form || a.controller_ids.size() != 1 || a.controller_ids[0] != 0) {
    size_t s = e.put_raw(ActionRaw::NXAST_DEC_TTL_CNT_IDS);
    put_u16_at(e.w.at(s + 10), static_cast<uint16_t>(a.controller_ids.size()));
    for (uint16_t id : a.controller_ids) e.w.put_u16(id);
    e.finish(s);
    return;
  }
  e.put_raw(e.version == kOfp10 ? ActionRaw::NXAST_DEC_NW_TTL : ActionRaw::OFPAT11_DEC_NW_TTL);
}

}  // namespace flowpath::openflow::wire::action_wire
