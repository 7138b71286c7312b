// Action lists and instructions: raw action identification and length
// checks, dispatch to the family codecs, Open vSwitch's ordering and nesting
// rules, and the OpenFlow 1.1+ instruction framing.
#include "openflow/wire/action_codec.h"

#include <map>
#include <tuple>

#include "openflow/wire/action_internal.h"

namespace flowpath::openflow::wire {

namespace action_wire {

namespace {

constexpr RawActionInfo kRawActions[] = {
#define FLOWPATH_ACTION_RAW_INFO(raw, vendor, type, v1, v2, len, variable, arg_ofs, arg_len) \
  {ActionRaw::raw, #raw, vendor, type, v1, v2, len, variable, arg_ofs, arg_len},
    FLOWPATH_ACTION_RAWS(FLOWPATH_ACTION_RAW_INFO)
#undef FLOWPATH_ACTION_RAW_INFO
};

constexpr uint16_t kOfpatVendor = 0xffff;
constexpr size_t kMaxActionLen = 65528;

using DecodeKey = std::tuple<uint32_t, uint16_t, uint8_t>;  // vendor, type, version
const std::map<DecodeKey, const RawActionInfo*>& decode_index() {
  static const auto* map = [] {
    auto* m = new std::map<DecodeKey, const RawActionInfo*>;
    for (const RawActionInfo& r : kRawActions)
      for (unsigned v = r.min_version; v <= r.max_version; ++v)
        m->emplace(DecodeKey{r.vendor, r.type, static_cast<uint8_t>(v)}, &r);
    return m;
  }();
  return *map;
}

// Which family decodes a raw.
WireStatus decode_raw(const RawAction& a, Actions& out) {
  switch (a.info->raw) {
    case ActionRaw::OFPAT10_OUTPUT:
    case ActionRaw::OFPAT11_OUTPUT:
    case ActionRaw::OFPAT10_ENQUEUE:
    case ActionRaw::NXAST_OUTPUT_REG:
    case ActionRaw::NXAST_OUTPUT_REG2:
    case ActionRaw::NXAST_OUTPUT_TRUNC:
    case ActionRaw::NXAST_CONTROLLER:
    case ActionRaw::NXAST_CONTROLLER2:
    case ActionRaw::NXAST_GROUP:
    case ActionRaw::OFPAT11_GROUP:
    case ActionRaw::NXAST_SET_QUEUE:
    case ActionRaw::OFPAT11_SET_QUEUE:
    case ActionRaw::NXAST_POP_QUEUE:
      return decode_output_family(a, out);
    case ActionRaw::OFPAT10_SET_VLAN_VID:
    case ActionRaw::OFPAT10_SET_VLAN_PCP:
    case ActionRaw::OFPAT11_SET_VLAN_VID:
    case ActionRaw::OFPAT11_SET_VLAN_PCP:
    case ActionRaw::OFPAT11_PUSH_VLAN:
    case ActionRaw::OFPAT10_STRIP_VLAN:
    case ActionRaw::OFPAT11_POP_VLAN:
    case ActionRaw::NXAST_SET_MPLS_TTL:
    case ActionRaw::OFPAT11_SET_MPLS_TTL:
    case ActionRaw::NXAST_DEC_MPLS_TTL:
    case ActionRaw::OFPAT11_DEC_MPLS_TTL:
    case ActionRaw::NXAST_PUSH_MPLS:
    case ActionRaw::OFPAT11_PUSH_MPLS:
    case ActionRaw::NXAST_POP_MPLS:
    case ActionRaw::OFPAT11_POP_MPLS:
    case ActionRaw::NXAST_DEC_NW_TTL:
    case ActionRaw::OFPAT11_DEC_NW_TTL:
    case ActionRaw::NXAST_DEC_TTL_CNT_IDS:
      return decode_header_family(a, out);
    case ActionRaw::OFPAT10_SET_DL_SRC:
    case ActionRaw::OFPAT11_SET_DL_SRC:
    case ActionRaw::OFPAT10_SET_DL_DST:
    case ActionRaw::OFPAT11_SET_DL_DST:
    case ActionRaw::OFPAT10_SET_NW_SRC:
    case ActionRaw::OFPAT11_SET_NW_SRC:
    case ActionRaw::OFPAT10_SET_NW_DST:
    case ActionRaw::OFPAT11_SET_NW_DST:
    case ActionRaw::OFPAT10_SET_NW_TOS:
    case ActionRaw::OFPAT11_SET_NW_TOS:
    case ActionRaw::OFPAT11_SET_NW_ECN:
    case ActionRaw::OFPAT10_SET_TP_SRC:
    case ActionRaw::OFPAT11_SET_TP_SRC:
    case ActionRaw::OFPAT10_SET_TP_DST:
    case ActionRaw::OFPAT11_SET_TP_DST:
    case ActionRaw::NXAST_SET_MPLS_LABEL:
    case ActionRaw::OFPAT11_SET_MPLS_LABEL:
    case ActionRaw::NXAST_SET_MPLS_TC:
    case ActionRaw::OFPAT11_SET_MPLS_TC:
    case ActionRaw::OFPAT11_SET_NW_TTL:
    case ActionRaw::OFPAT12_SET_FIELD:
    case ActionRaw::OFPAT15_SET_FIELD:
    case ActionRaw::NXAST_REG_LOAD:
    case ActionRaw::NXAST_REG_LOAD2:
    case ActionRaw::NXAST_SET_TUNNEL:
    case ActionRaw::NXAST_SET_TUNNEL64:
      return decode_set_field_family(a, out);
    case ActionRaw::NXAST_LEARN:
    case ActionRaw::NXAST_LEARN2:
      return decode_learn(a, out);
    case ActionRaw::NXAST_CT:
    case ActionRaw::NXAST_NAT:
    case ActionRaw::NXAST_CT_CLEAR:
      return decode_ct_family(a, out);
    case ActionRaw::NXAST_MULTIPATH:
    case ActionRaw::NXAST_BUNDLE:
    case ActionRaw::NXAST_BUNDLE_LOAD:
      return decode_hash_family(a, out);
    default:
      return decode_nx_family(a, out);
  }
}

// One action from the front of `r`.
WireStatus decode_one(WireReader& r, uint8_t version, Actions& out) {
  const size_t offset = r.offset();
  const size_t left = r.remaining();
  auto fail = [&](OfpErrorCode code, const std::string& detail) {
    return wire_error(code, "action at offset " + std::to_string(offset) + ": " + detail);
  };
  if (left < 8) return fail(OfpErrorCode::OFPBAC_BAD_LEN, std::to_string(left) + " bytes left");
  const uint8_t* p = r.peek();
  const uint16_t type = get_u16(p), length = get_u16(p + 2);
  uint32_t vendor = 0;
  uint16_t subtype = type;
  if (type == kOfpatVendor) {
    vendor = get_u32(p + 4);
    if (vendor != kNx && vendor != kOnf)
      return fail(OfpErrorCode::OFPBAC_BAD_VENDOR, "vendor " + std::to_string(vendor) +
                                                       " is not supported");
    if (left < 16 || length < 16)
      return fail(OfpErrorCode::OFPBAC_BAD_LEN, "vendor action shorter than 16 bytes");
    subtype = get_u16(p + 8);
  }
  const auto& index = decode_index();
  auto it = index.find(DecodeKey{vendor, subtype, version});
  if (it == index.end()) {
    if (vendor)
      return fail(OfpErrorCode::OFPBAC_BAD_VENDOR_TYPE,
                  std::string(vendor == kNx ? "Nicira" : "ONF") + " action subtype " +
                      std::to_string(subtype) + " is not known in " + version_name(version));
    return fail(OfpErrorCode::OFPBAC_BAD_TYPE, "action type " + std::to_string(type) +
                                                   " is not known in " + version_name(version));
  }
  const RawActionInfo& info = *it->second;
  const std::string name(info.name);
  if (length > left)
    return fail(OfpErrorCode::OFPBAC_BAD_LEN, name + " length " + std::to_string(length) +
                                                  " overruns the " + std::to_string(left) +
                                                  " bytes of actions left");
  if (info.variable ? (length < info.length || length > kMaxActionLen) : length != info.length)
    return fail(OfpErrorCode::OFPBAC_BAD_LEN,
                name + " length " + std::to_string(length) +
                    (info.variable ? " is less than " : " is not ") + std::to_string(info.length));
  if (length % 8)
    return fail(OfpErrorCode::OFPBAC_BAD_LEN,
                name + " length " + std::to_string(length) + " is not a multiple of 8");
  if (info.raw == ActionRaw::NXAST_DEBUG_SLOW || info.raw == ActionRaw::NXAST_DEBUG_RECIRC)
    return fail(OfpErrorCode::OFPBAC_BAD_VENDOR_TYPE, name + " is for Open vSwitch's tests only");
  WIRE_TRY_ASSIGN(bytes, r.pull(length, name));
  RawAction a{&info, bytes, 0, version, offset};
  for (unsigned i = 0; i < info.arg_bytes; ++i) a.arg = (a.arg << 8) | bytes[info.arg_offset + i];
  return decode_raw(a, out);
}

WireResult<Actions> decode_list(ByteView bytes, uint8_t version) {
  Actions out;
  WireReader r(bytes, OfpErrorCode::OFPBAC_BAD_LEN, "actions");
  while (!r.empty()) WIRE_TRY(decode_one(r, version, out));
  return out;
}

const OfFieldInfo* written_field(const OfAction& a) {
  if (const auto* s = std::get_if<action::SetField>(&a)) return s->field.field;
  if (const auto* m = std::get_if<action::RegMove>(&a)) return m->dst.field;
  return nullptr;
}

bool is_ct_field(const OfFieldInfo* f) {
  return f && (f->name == "ct_mark" || f->name == "ct_label");
}

// Open vSwitch's ordering and nesting rules (ofpacts_verify): conjunction
// alone (with notes), instructions in order and only where allowed, nat and
// ct_mark/ct_label writes only inside ct, ct holding nothing else.
WireStatus verify(const Actions& actions, uint8_t version, bool instructions,
                  std::string_view outer) {
  for (const OfAction& a : actions) {
    if (std::holds_alternative<action::Conjunction>(a)) {
      for (const OfAction& b : actions)
        if (!std::holds_alternative<action::Conjunction>(b) &&
            !std::holds_alternative<action::Note>(b))
          return wire_error(OfpErrorCode::NXBAC_BAD_CONJUNCTION,
                            "\"conjunction\" may only go with \"note\", not with \"" +
                                std::string(action_name(b)) + "\"");
      return Ok{};
    }
  }
  InstructionSlot previous = InstructionSlot::kMeter;
  bool first = true;
  for (const OfAction& a : actions) {
    const OfFieldInfo* field = written_field(a);
    if (is_ct_field(field) && outer != "ct")
      return wire_error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                        "ct_mark and ct_label may only be set inside a \"ct\" action");
    if (std::holds_alternative<action::Nat>(a)) {
      if (outer != "ct")
        return wire_error(OfpErrorCode::OFPBAC_BAD_SET_ARGUMENT,
                          "\"nat\" may only appear inside a \"ct\" action");
      continue;
    }
    if (outer == "ct") {
      if (!field)
        return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                          "ct cannot hold \"" + std::string(action_name(a)) + "\"");
      if (!is_ct_field(field))
        return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                          "ct may only modify ct_mark or ct_label, not " +
                              std::string(field->name));
    }
    if (!outer.empty() && std::holds_alternative<action::Meter>(a))
      return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT,
                        std::string(outer) + " cannot hold \"meter\"");
    InstructionSlot slot = instruction_slot(a, version);
    if (!first && (previous == InstructionSlot::kApplyActions ? slot < previous : slot <= previous))
      return wire_error(OfpErrorCode::OFPBAC_UNSUPPORTED_ORDER,
                        "\"" + std::string(action_name(a)) + "\" is out of instruction order "
                        "(meter, actions, clear_actions, write_actions, write_metadata, goto_table)");
    const bool allowed = slot == InstructionSlot::kApplyActions ||
                         (slot == InstructionSlot::kMeter && outer.empty()) || instructions;
    if (!allowed) {
      if (slot == InstructionSlot::kMeter && version >= kOfp15)
        return wire_error(OfpErrorCode::OFPBAC_BAD_TYPE, "\"meter\" is not allowed here");
      return wire_error(OfpErrorCode::OFPBIC_UNSUP_INST,
                        "instruction \"" + std::string(action_name(a)) + "\" is not allowed here");
    }
    previous = slot;
    first = false;
  }
  return Ok{};
}

}  // namespace

const RawActionInfo& raw_action_info(ActionRaw raw) { return kRawActions[static_cast<size_t>(raw)]; }

const RawActionInfo* raw_action_for(ActionRaw raw_1_0, ActionRaw raw_1_1, uint8_t version) {
  return &raw_action_info(version == kOfp10 ? raw_1_0 : raw_1_1);
}

OfpError RawAction::error(OfpErrorCode code, const std::string& detail) const {
  return wire_error(code, std::string(info->name) + " at offset " + std::to_string(offset) + ": " +
                              detail);
}

WireReader RawAction::reader(size_t skip) const {
  return WireReader(bytes.subspan(skip), OfpErrorCode::OFPBAC_BAD_LEN, info->name);
}

WireResult<Actions> decode_nested_actions(ByteView bytes, uint8_t version, std::string_view outer) {
  WIRE_TRY_ASSIGN(actions, decode_list(bytes, version));
  WIRE_TRY(verify(actions, version, false, outer));
  return std::move(actions);
}

InstructionSlot instruction_slot(const OfAction& a, uint8_t version) {
  if (std::holds_alternative<action::Meter>(a))
    return version >= kOfp15 ? InstructionSlot::kApplyActions : InstructionSlot::kMeter;
  if (std::holds_alternative<action::ClearActions>(a)) return InstructionSlot::kClearActions;
  if (std::holds_alternative<action::WriteActions>(a)) return InstructionSlot::kWriteActions;
  if (std::holds_alternative<action::WriteMetadata>(a)) return InstructionSlot::kWriteMetadata;
  if (std::holds_alternative<action::GotoTable>(a)) return InstructionSlot::kGotoTable;
  return InstructionSlot::kApplyActions;
}

// ---- Encoding.

FlowState flow_state_of(const OfMatch* match) {
  FlowState s;
  if (!match) return s;
  s.has_vlan = match->value.key.vlans[0].tci & hton16(kVlanCfi);
  s.eth_type = ntoh16(match->value.key.eth_type);
  s.nw_proto = match->value.key.nw_proto;
  return s;
}

size_t ActionEncoder::put_raw(ActionRaw raw, uint64_t arg) {
  const RawActionInfo& info = raw_action_info(raw);
  const size_t start = w.size();
  w.put_zeros(info.length);
  uint8_t* p = w.at(start);
  put_u16_at(p, info.vendor ? kOfpatVendor : info.type);
  put_u16_at(p + 2, info.length);
  if (info.vendor) {
    put_u32_at(p + 4, info.vendor);
    put_u16_at(p + 8, info.type);
  }
  for (unsigned i = info.arg_bytes; i-- > 0;) {
    p[info.arg_offset + i] = static_cast<uint8_t>(arg);
    arg >>= 8;
  }
  return start;
}

void ActionEncoder::finish(size_t start) {
  w.pad_to_8(start);
  w.patch_length16(start + 2, start);
}

void ActionEncoder::encode(const OfAction& action) {
  std::visit([this](const auto& a) { encode_action(a, *this); }, action);
}

void ActionEncoder::encode_list(std::span<const OfAction> actions) {
  for (const OfAction& a : actions) encode(a);
}

}  // namespace action_wire

using namespace action_wire;

WireResult<std::vector<OfAction>> decode_actions(ByteView bytes, uint8_t version) {
  if (bytes.size() % 8)
    return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                      "actions length " + std::to_string(bytes.size()) +
                          " is not a multiple of 8");
  WIRE_TRY_ASSIGN(actions, decode_list(bytes, version));
  WIRE_TRY(verify(actions, version, false, ""));
  return std::move(actions);
}

namespace {

constexpr uint16_t kOfpitGotoTable = 1, kOfpitWriteMetadata = 2, kOfpitWriteActions = 3,
                   kOfpitApplyActions = 4, kOfpitClearActions = 5, kOfpitMeter = 6,
                   kOfpitExperimenter = 0xffff;

// Actions allowed in a write_actions set (Open vSwitch's action set).
bool allowed_in_action_set(const OfAction& a) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return std::is_same_v<T, action::Output> || std::is_same_v<T, action::Group> ||
               std::is_same_v<T, action::SetField> || std::is_same_v<T, action::SetVlanVid> ||
               std::is_same_v<T, action::SetVlanPcp> || std::is_same_v<T, action::PopVlan> ||
               std::is_same_v<T, action::PushVlan> || std::is_same_v<T, action::RegMove> ||
               std::is_same_v<T, action::DecTtl> || std::is_same_v<T, action::SetMplsTtl> ||
               std::is_same_v<T, action::DecMplsTtl> || std::is_same_v<T, action::PushMpls> ||
               std::is_same_v<T, action::PopMpls> || std::is_same_v<T, action::SetTunnel> ||
               std::is_same_v<T, action::SetQueue> || std::is_same_v<T, action::Conntrack> ||
               std::is_same_v<T, action::CtClear> || std::is_same_v<T, action::Resubmit> ||
               std::is_same_v<T, action::Decap> || std::is_same_v<T, action::DecNshTtl>;
      },
      a);
}

}  // namespace

WireResult<std::vector<OfAction>> decode_instructions(ByteView bytes, uint8_t version) {
  if (version == kOfp10) {
    if (bytes.size() % 8)
      return wire_error(OfpErrorCode::OFPBRC_BAD_LEN,
                        "actions length " + std::to_string(bytes.size()) +
                            " is not a multiple of 8");
    WIRE_TRY_ASSIGN(actions, decode_list(bytes, version));
    WIRE_TRY(verify(actions, version, true, ""));
    return std::move(actions);
  }
  if (bytes.size() % 8)
    return wire_error(OfpErrorCode::OFPBIC_BAD_LEN,
                      "instructions length " + std::to_string(bytes.size()) +
                          " is not a multiple of 8");
  // Instructions may come in any order; the model keeps them in OpenFlow's.
  ByteView found[7];
  bool seen[7] = {};
  WireReader r(bytes, OfpErrorCode::OFPBIC_BAD_LEN, "instructions");
  while (!r.empty()) {
    const size_t offset = r.offset();
    if (r.remaining() < 8)
      return wire_error(OfpErrorCode::OFPBIC_BAD_LEN,
                        "instruction at offset " + std::to_string(offset) + " is cut short");
    const uint16_t type = get_u16(r.peek()), len = get_u16(r.peek() + 2);
    const std::string where = "instruction type " + std::to_string(type) + " at offset " +
                              std::to_string(offset);
    if (len < 8 || len % 8 || len > r.remaining())
      return wire_error(OfpErrorCode::OFPBIC_BAD_LEN,
                        where + " has length " + std::to_string(len));
    if (type == kOfpitExperimenter)
      return wire_error(OfpErrorCode::OFPBIC_BAD_EXPERIMENTER, where + ": no experimenter instructions are known");
    if (type < kOfpitGotoTable || type > kOfpitMeter ||
        (type == kOfpitMeter && version >= kOfp15))
      return wire_error(OfpErrorCode::OFPBIC_UNKNOWN_INST, where + " is not known in " +
                                                               version_name(version));
    const bool extensible = type == kOfpitWriteActions || type == kOfpitApplyActions;
    const size_t fixed = type == kOfpitWriteMetadata ? 24 : 8;
    if (extensible ? len < 8 : len != fixed)
      return wire_error(OfpErrorCode::OFPBIC_BAD_LEN,
                        where + " has length " + std::to_string(len) + ", not " +
                            std::to_string(fixed));
    if (seen[type])
      return wire_error(OfpErrorCode::OFPBIC_DUP_INST, where + " appears twice");
    seen[type] = true;
    WIRE_TRY_ASSIGN(inst, r.pull(len, "instruction"));
    found[type] = inst;
  }
  std::vector<OfAction> out;
  if (seen[kOfpitMeter]) out.emplace_back(action::Meter{get_u32(found[kOfpitMeter].data() + 4)});
  if (seen[kOfpitApplyActions]) {
    WIRE_TRY_ASSIGN(apply, decode_list(found[kOfpitApplyActions].subspan(8), version));
    for (OfAction& a : apply) out.push_back(std::move(a));
  }
  if (seen[kOfpitClearActions]) out.emplace_back(action::ClearActions{});
  if (seen[kOfpitWriteActions]) {
    WIRE_TRY_ASSIGN(set, decode_list(found[kOfpitWriteActions].subspan(8), version));
    for (const OfAction& a : set)
      if (!allowed_in_action_set(a))
        return wire_error(OfpErrorCode::OFPBAC_BAD_TYPE,
                          "\"" + std::string(action_name(a)) +
                              "\" is not allowed in write_actions");
    out.emplace_back(action::WriteActions{std::move(set)});
  }
  if (seen[kOfpitWriteMetadata]) {
    const uint8_t* p = found[kOfpitWriteMetadata].data();
    out.emplace_back(action::WriteMetadata{get_u64(p + 8), get_u64(p + 16)});
  }
  if (seen[kOfpitGotoTable]) out.emplace_back(action::GotoTable{found[kOfpitGotoTable][4]});
  WIRE_TRY(verify(out, version, true, ""));
  return out;
}

void encode_actions(WireWriter& w, std::span<const OfAction> actions, uint8_t version,
                    const OfMatch* match) {
  ActionEncoder e(w, version, flow_state_of(match));
  e.encode_list(actions);
}

void encode_instructions(WireWriter& w, std::span<const OfAction> actions, uint8_t version,
                         const OfMatch* match) {
  ActionEncoder e(w, version, flow_state_of(match));
  if (version == kOfp10) {
    e.encode_list(actions);
    return;
  }
  size_t i = 0;
  while (i < actions.size()) {
    const OfAction& a = actions[i];
    switch (instruction_slot(a, version)) {
      case InstructionSlot::kApplyActions: {
        const size_t start = w.size();
        w.put_u16(kOfpitApplyActions);
        w.put_u16(8);
        w.put_zeros(4);
        while (i < actions.size() &&
               instruction_slot(actions[i], version) == InstructionSlot::kApplyActions)
          e.encode(actions[i++]);
        // An instruction without actions is left out, as Open vSwitch does.
        if (w.size() == start + 8) w.truncate(start);
        else w.patch_length16(start + 2, start);
        continue;
      }
      case InstructionSlot::kMeter:
        w.put_u16(kOfpitMeter);
        w.put_u16(8);
        w.put_u32(std::get<action::Meter>(a).meter_id);
        break;
      case InstructionSlot::kClearActions:
        w.put_u16(kOfpitClearActions);
        w.put_u16(8);
        w.put_zeros(4);
        break;
      case InstructionSlot::kWriteActions: {
        const size_t start = w.size();
        w.put_u16(kOfpitWriteActions);
        w.put_u16(8);
        w.put_zeros(4);
        ActionEncoder nested(w, version, e.flow);
        nested.encode_list(std::get<action::WriteActions>(a).actions);
        if (w.size() == start + 8) w.truncate(start);
        else w.patch_length16(start + 2, start);
        break;
      }
      case InstructionSlot::kWriteMetadata: {
        const auto& m = std::get<action::WriteMetadata>(a);
        w.put_u16(kOfpitWriteMetadata);
        w.put_u16(24);
        w.put_zeros(4);
        w.put_u64(m.value);
        w.put_u64(m.mask);
        break;
      }
      case InstructionSlot::kGotoTable:
        w.put_u16(kOfpitGotoTable);
        w.put_u16(8);
        w.put_u8(std::get<action::GotoTable>(a).table);
        w.put_zeros(3);
        break;
    }
    ++i;
  }
}

namespace {

// The fields an action reads or writes (nested actions included).
void collect_fields(const OfAction& a, std::vector<const OfFieldInfo*>& out) {
  auto add = [&](const Subfield& sf) {
    if (sf.field) out.push_back(sf.field);
  };
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, action::SetField>) out.push_back(x.field.field);
        else if constexpr (std::is_same_v<T, action::RegMove>) add(x.src), add(x.dst);
        else if constexpr (std::is_same_v<T, action::StackPush> || std::is_same_v<T, action::StackPop>)
          add(x.field);
        else if constexpr (std::is_same_v<T, action::OutputReg>) add(x.src);
        else if constexpr (std::is_same_v<T, action::Multipath> || std::is_same_v<T, action::Bundle> ||
                           std::is_same_v<T, action::CheckPktLarger>)
          add(x.dst);
        else if constexpr (std::is_same_v<T, action::Learn>) {
          add(x.result_dst);
          for (const action::LearnSpec& s : x.specs) add(s.src), add(s.dst);
        } else if constexpr (std::is_same_v<T, action::Conntrack>) {
          add(x.zone_src);
          for (const OfAction& n : x.actions) collect_fields(n, out);
        } else if constexpr (std::is_same_v<T, action::Clone> ||
                             std::is_same_v<T, action::WriteActions>) {
          for (const OfAction& n : x.actions) collect_fields(n, out);
        }
      },
      a);
}

}  // namespace

std::optional<std::string> actions_encoding_problem(std::span<const OfAction> actions,
                                                    uint8_t version, bool instructions) {
  for (const OfAction& a : actions) {
    std::vector<const OfFieldInfo*> fields;
    collect_fields(a, fields);
    for (const OfFieldInfo* f : fields)
      if (!nxm_field_for(*f, version))
        return "\"" + std::string(action_name(a)) + "\" uses " + std::string(f->name) +
               ", which OpenFlow cannot carry";
    const InstructionSlot slot = instruction_slot(a, version);
    if (slot != InstructionSlot::kApplyActions && !instructions)
      return "\"" + std::string(action_name(a)) + "\" is an instruction, not allowed here";
    if (version == kOfp10 && (slot == InstructionSlot::kMeter ||
                              slot == InstructionSlot::kClearActions ||
                              slot == InstructionSlot::kWriteActions))
      return "OpenFlow 1.0 has no \"" + std::string(action_name(a)) + "\"";
    if (version == kOfp10 && std::holds_alternative<action::Decap>(a))
      return std::string("OpenFlow 1.0 has no \"decap\"");
    if (version == kOfp10 && std::holds_alternative<action::DecNshTtl>(a))
      return std::string("OpenFlow 1.0 has no \"dec_nsh_ttl\"");
  }
  return std::nullopt;
}

}  // namespace flowpath::openflow::wire
