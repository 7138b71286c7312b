// Translation of ct and ct_clear, and the start of a recirculated packet's
// translation (its frozen state).
//
// ct(...) becomes the datapath ct() (commit or force_commit, the zone,
// ct_mark/ct_label writes from exec()) and, with table=N, recirc(ID): the
// datapath tracks the packet and sends it through the flow table again,
// where the upcall resumes the pipeline in table N with the frozen
// registers and metadata and the ct_* fields the tracker wrote. As in Open
// vSwitch, the original packet goes on with the rest of the action list
// untracked: the ct_* fields exist only in the table=N pipeline.
// nat(...) inside ct becomes the ct()'s nat attribute: the datapath
// translates the packet, so the table=N pipeline sees its new addresses.
#include <fmt/format.h>

#include <cstring>

#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

void clear_conntrack_fields(FlowKey& k) {
  k.md.ct_state = 0;
  k.md.ct_zone = 0;
  k.md.ct_mark = 0;
  std::memset(k.md.ct_label, 0, sizeof k.md.ct_label);
  std::memset(&k.md.ct_orig_tuple, 0, sizeof k.md.ct_orig_tuple);
}

}  // namespace

// The datapath's nat attribute, as Open vSwitch composes it: flags and a
// range only with src or dst; a maximum only when above the minimum.
void XlateContext::put_nat(const action::Nat& nat) {
  constexpr uint16_t kSrc = 1, kDst = 2, kPersistent = 4, kHash = 8, kRandom = 16;
  const size_t nest = out_.begin_nested(odp::kCtNat);
  if (nat.flags & (kSrc | kDst)) {
    out_.put_flag(nat.flags & kSrc ? odp::kNatSrc : odp::kNatDst);
    if (nat.flags & kPersistent) out_.put_flag(odp::kNatPersistent);
    if (nat.flags & kHash) out_.put_flag(odp::kNatProtoHash);
    else if (nat.flags & kRandom) out_.put_flag(odp::kNatProtoRandom);
    if (nat.family != action::Nat::Family::kNone) {
      const size_t n = nat.family == action::Nat::Family::kIpv4 ? 4 : 16;
      out_.put(odp::kNatIpMin, nat.addr_min, n);
      if (std::memcmp(nat.addr_max, nat.addr_min, n) > 0) out_.put(odp::kNatIpMax, nat.addr_max, n);
      if (nat.proto_min != 0) {
        out_.put_u16(odp::kNatProtoMin, nat.proto_min);
        if (nat.proto_max > nat.proto_min) out_.put_u16(odp::kNatProtoMax, nat.proto_max);
      }
    }
  }
  out_.end_nested(nest);
}

bool XlateContext::resume_frozen(uint8_t* table) {
  const uint32_t id = flow_.key.md.recirc_id;
  if (id == 0) {
    *table = 0;
    return true;
  }
  std::optional<FrozenState> state = bridge_.recirculations.find(id);
  if (!state) {
    fail(fmt::format("recirc_id {:#x} has no recirculation context: drop", id));
    return false;
  }
  flow_.key.md.in_port = state->in_port;
  flow_.metadata = state->metadata;
  std::memcpy(flow_.regs, state->regs, sizeof flow_.regs);
  *table = static_cast<uint8_t>(state->table);
  if (tracing())
    trace(fmt::format("resuming recirculation {:#x} in table {}", id, state->table));
  return true;
}

void XlateContext::do_conntrack(const action::Conntrack& ct) {
  // The text parser refuses these; a rule from the wire may still carry them.
  if (ct.alg != 0)
    return fail(fmt::format("ct: alg={} is not supported: the connection tracker has no helpers",
                            ct.alg));
  uint16_t zone = ct.zone_imm;
  if (const OfFieldInfo* field = ct.zone_src.field) {
    zone = static_cast<uint16_t>(read_field_bits(flow_, *field, ct.zone_src.ofs, 16));
    // Every packet of the megaflow must come from the same zone.
    FieldValue examined = field_bits_value(*field, ct.zone_src.ofs, 16, 0);
    uint8_t* w = wc_.bytes() + field->offset;
    for (unsigned i = 0; i < field->bytes; ++i) w[i] |= examined.mask[i];
  }

  // exec(): the connection's mark and label writes.
  OfFlow value, mask;
  value.clear();
  mask.clear();
  const action::Nat* nat = nullptr;
  for (const OfAction& a : ct.actions) {
    if (const auto* n = std::get_if<action::Nat>(&a)) {
      nat = n;  // as Open vSwitch: the last one given
      continue;
    }
    const auto* write = std::get_if<action::SetField>(&a);
    const std::string_view name = write ? write->field.field->name : action_name(a);
    if (write == nullptr || (name != "ct_mark" && name != "ct_label"))
      return fail(fmt::format("ct: exec({}) is not supported: only writes to ct_mark and "
                              "ct_label (and nat) run inside ct",
                              name));
    write->field.apply_to(value);
    for (unsigned i = 0; i < write->field.field->bytes; ++i)
      mask.bytes()[write->field.field->offset + i] |= write->field.mask[i];
  }
  commit();  // the packet's pending changes reach the datapath before ct

  size_t nest = out_.begin_nested(odp::kActionCt);
  if (ct.flags & action::kCtFlagCommit)
    out_.put_flag(ct.flags & action::kCtFlagForce ? odp::kCtForceCommit : odp::kCtCommit);
  out_.put_u16(odp::kCtZone, zone);
  if (mask.key.md.ct_mark != 0)
    out_.put_struct(odp::kCtMark, odp::CtMark{value.key.md.ct_mark, mask.key.md.ct_mark});
  bool any_label = false;
  for (uint8_t b : mask.key.md.ct_label) any_label |= b != 0;
  if (any_label) {
    odp::CtLabels labels;
    std::memcpy(labels.value, value.key.md.ct_label, 16);
    std::memcpy(labels.mask, mask.key.md.ct_label, 16);
    out_.put_struct(odp::kCtLabels, labels);
  }
  if (nat != nullptr) put_nat(*nat);
  out_.end_nested(nest);

  if (ct.recirc_table != kTableAll) {
    FrozenState state;
    state.table = ct.recirc_table;
    state.in_port = flow_.key.md.in_port;
    state.metadata = flow_.metadata;
    std::memcpy(state.regs, flow_.regs, sizeof state.regs);
    const uint32_t id = bridge_.recirculations.id_for(state);
    if (id == 0) return fail("too many recirculation states on this bridge");
    out_.put_u32(odp::kActionRecirc, id);
    if (tracing())
      trace(fmt::format("{}-> tracked in zone {}, recirculated as {:#x} to table {}", indent(),
                        zone, id, ct.recirc_table));
  } else if (tracing()) {
    trace(fmt::format("{}-> tracked in zone {}", indent(), zone));
  }
  clear_conntrack_fields(flow_.key);
  clear_conntrack_fields(base_);
}

void XlateContext::do_ct_clear() {
  clear_conntrack_fields(flow_.key);
  clear_conntrack_fields(base_);
  out_.put_flag(odp::kActionCtClear);
}

}  // namespace flowpath::ofproto
