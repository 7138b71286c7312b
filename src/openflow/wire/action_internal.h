// Internal to the action codec: the table of action wire forms ("raw"
// actions: OFPAT10_OUTPUT, NXAST_LEARN, ...), the decoded-action handle the
// family decoders receive, and the encoder state they share. The families
// live in actions_*.cc; action_codec.cc dispatches.
#pragma once

#include <string>
#include <vector>

#include "openflow/nxm_field.h"
#include "openflow/wire/action_codec.h"
#include "openflow/wire/nxm_entry.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire::action_wire {

// X(RAW, vendor (0 standard, NX, ONF), type or subtype, first version, last
// version, length (fixed), variable (length is a minimum), argument offset,
// argument bytes).
#define FLOWPATH_ACTION_RAWS(X)                           \
  X(OFPAT10_OUTPUT, 0, 0, 1, 1, 8, false, 0, 0)           \
  X(OFPAT11_OUTPUT, 0, 0, 2, 6, 16, false, 0, 0)          \
  X(OFPAT10_SET_VLAN_VID, 0, 1, 1, 1, 8, false, 4, 2)     \
  X(OFPAT10_SET_VLAN_PCP, 0, 2, 1, 1, 8, false, 4, 1)     \
  X(OFPAT11_SET_VLAN_VID, 0, 1, 2, 6, 8, false, 4, 2)     \
  X(OFPAT11_SET_VLAN_PCP, 0, 2, 2, 6, 8, false, 4, 1)     \
  X(OFPAT11_PUSH_VLAN, 0, 17, 2, 6, 8, false, 4, 2)       \
  X(OFPAT10_STRIP_VLAN, 0, 3, 1, 1, 8, false, 0, 0)       \
  X(OFPAT11_POP_VLAN, 0, 18, 2, 6, 8, false, 0, 0)        \
  X(OFPAT10_SET_DL_SRC, 0, 4, 1, 1, 16, false, 0, 0)      \
  X(OFPAT11_SET_DL_SRC, 0, 3, 2, 6, 16, false, 0, 0)      \
  X(OFPAT10_SET_DL_DST, 0, 5, 1, 1, 16, false, 0, 0)      \
  X(OFPAT11_SET_DL_DST, 0, 4, 2, 6, 16, false, 0, 0)      \
  X(OFPAT10_SET_NW_SRC, 0, 6, 1, 1, 8, false, 4, 4)       \
  X(OFPAT11_SET_NW_SRC, 0, 5, 2, 6, 8, false, 4, 4)       \
  X(OFPAT10_SET_NW_DST, 0, 7, 1, 1, 8, false, 4, 4)       \
  X(OFPAT11_SET_NW_DST, 0, 6, 2, 6, 8, false, 4, 4)       \
  X(OFPAT10_SET_NW_TOS, 0, 8, 1, 1, 8, false, 4, 1)       \
  X(OFPAT11_SET_NW_TOS, 0, 7, 2, 6, 8, false, 4, 1)       \
  X(OFPAT11_SET_NW_ECN, 0, 8, 2, 6, 8, false, 4, 1)       \
  X(OFPAT10_SET_TP_SRC, 0, 9, 1, 1, 8, false, 4, 2)       \
  X(OFPAT11_SET_TP_SRC, 0, 9, 2, 6, 8, false, 4, 2)       \
  X(OFPAT10_SET_TP_DST, 0, 10, 1, 1, 8, false, 4, 2)      \
  X(OFPAT11_SET_TP_DST, 0, 10, 2, 6, 8, false, 4, 2)      \
  X(OFPAT10_ENQUEUE, 0, 11, 1, 1, 16, false, 0, 0)        \
  X(NXAST_SET_MPLS_LABEL, kNx, 30, 1, 1, 16, false, 12, 4) \
  X(OFPAT11_SET_MPLS_LABEL, 0, 13, 2, 6, 8, false, 4, 4)  \
  X(NXAST_SET_MPLS_TC, kNx, 31, 1, 1, 16, false, 10, 1)   \
  X(OFPAT11_SET_MPLS_TC, 0, 14, 2, 6, 8, false, 4, 1)     \
  X(NXAST_SET_MPLS_TTL, kNx, 25, 1, 1, 16, false, 10, 1)  \
  X(OFPAT11_SET_MPLS_TTL, 0, 15, 2, 6, 8, false, 4, 1)    \
  X(NXAST_DEC_MPLS_TTL, kNx, 26, 1, 1, 16, false, 0, 0)   \
  X(OFPAT11_DEC_MPLS_TTL, 0, 16, 2, 6, 8, false, 0, 0)    \
  X(NXAST_PUSH_MPLS, kNx, 23, 1, 1, 16, false, 10, 2)     \
  X(OFPAT11_PUSH_MPLS, 0, 19, 2, 6, 8, false, 4, 2)       \
  X(NXAST_POP_MPLS, kNx, 24, 1, 1, 16, false, 10, 2)      \
  X(OFPAT11_POP_MPLS, 0, 20, 2, 6, 8, false, 4, 2)        \
  X(NXAST_SET_QUEUE, kNx, 4, 1, 1, 16, false, 12, 4)      \
  X(OFPAT11_SET_QUEUE, 0, 21, 2, 6, 8, false, 4, 4)       \
  X(NXAST_GROUP, kNx, 40, 1, 1, 16, false, 12, 4)         \
  X(OFPAT11_GROUP, 0, 22, 2, 6, 8, false, 4, 4)           \
  X(OFPAT11_SET_NW_TTL, 0, 23, 2, 6, 8, false, 4, 1)      \
  X(NXAST_DEC_NW_TTL, kNx, 18, 1, 1, 16, false, 0, 0)     \
  X(OFPAT11_DEC_NW_TTL, 0, 24, 2, 6, 8, false, 0, 0)      \
  X(NXAST_DEC_TTL_CNT_IDS, kNx, 21, 1, 6, 16, true, 0, 0) \
  X(OFPAT12_SET_FIELD, 0, 25, 3, 5, 8, true, 0, 0)        \
  X(OFPAT15_SET_FIELD, 0, 25, 6, 6, 8, true, 0, 0)        \
  X(NXAST_REG_LOAD, kNx, 7, 1, 5, 24, false, 0, 0)        \
  X(NXAST_REG_LOAD2, kNx, 33, 1, 5, 16, true, 0, 0)       \
  X(OFPAT15_COPY_FIELD, 0, 28, 6, 6, 16, true, 0, 0)      \
  X(ONFACT13_COPY_FIELD, kOnf, 3200, 4, 5, 24, true, 0, 0) \
  X(NXAST_REG_MOVE, kNx, 6, 1, 5, 16, true, 0, 0)         \
  X(OFPAT15_METER, 0, 29, 6, 6, 8, false, 4, 4)           \
  X(NXAST_RESUBMIT, kNx, 1, 1, 6, 16, false, 10, 2)       \
  X(NXAST_RESUBMIT_TABLE, kNx, 14, 1, 6, 16, false, 0, 0) \
  X(NXAST_RESUBMIT_TABLE_CT, kNx, 44, 1, 6, 16, false, 0, 0) \
  X(NXAST_SET_TUNNEL, kNx, 2, 1, 6, 16, false, 12, 4)     \
  X(NXAST_SET_TUNNEL64, kNx, 9, 1, 6, 24, false, 16, 8)   \
  X(NXAST_POP_QUEUE, kNx, 5, 1, 6, 16, false, 0, 0)       \
  X(NXAST_NOTE, kNx, 8, 1, 6, 16, true, 0, 0)             \
  X(NXAST_MULTIPATH, kNx, 10, 1, 6, 32, false, 0, 0)      \
  X(NXAST_BUNDLE, kNx, 12, 1, 6, 32, true, 0, 0)          \
  X(NXAST_BUNDLE_LOAD, kNx, 13, 1, 6, 32, true, 0, 0)     \
  X(NXAST_OUTPUT_REG, kNx, 15, 1, 6, 24, false, 0, 0)     \
  X(NXAST_OUTPUT_REG2, kNx, 32, 1, 6, 24, false, 0, 0)    \
  X(NXAST_LEARN, kNx, 16, 1, 6, 32, true, 0, 0)           \
  X(NXAST_LEARN2, kNx, 45, 1, 6, 40, true, 0, 0)          \
  X(NXAST_EXIT, kNx, 17, 1, 6, 16, false, 0, 0)           \
  X(NXAST_FIN_TIMEOUT, kNx, 19, 1, 6, 16, false, 0, 0)    \
  X(NXAST_CONTROLLER, kNx, 20, 1, 6, 16, false, 0, 0)     \
  X(NXAST_CONTROLLER2, kNx, 37, 1, 6, 16, true, 0, 0)     \
  X(NXAST_WRITE_METADATA, kNx, 22, 1, 6, 32, false, 0, 0) \
  X(NXAST_STACK_PUSH, kNx, 27, 1, 6, 24, false, 0, 0)     \
  X(NXAST_STACK_POP, kNx, 28, 1, 6, 24, false, 0, 0)      \
  X(NXAST_SAMPLE, kNx, 29, 1, 6, 24, false, 0, 0)         \
  X(NXAST_SAMPLE2, kNx, 38, 1, 6, 32, false, 0, 0)        \
  X(NXAST_SAMPLE3, kNx, 41, 1, 6, 32, false, 0, 0)        \
  X(NXAST_CONJUNCTION, kNx, 34, 1, 6, 16, false, 0, 0)    \
  X(NXAST_CT, kNx, 35, 1, 6, 24, true, 0, 0)              \
  X(NXAST_NAT, kNx, 36, 1, 6, 16, true, 0, 0)             \
  X(NXAST_OUTPUT_TRUNC, kNx, 39, 1, 6, 16, false, 0, 0)   \
  X(NXAST_CLONE, kNx, 42, 1, 6, 16, true, 0, 0)           \
  X(NXAST_CT_CLEAR, kNx, 43, 1, 6, 16, false, 0, 0)       \
  X(NXAST_ENCAP, kNx, 46, 4, 6, 16, true, 0, 0)           \
  X(NXAST_DECAP, kNx, 47, 4, 6, 16, true, 0, 0)           \
  X(NXAST_DEC_NSH_TTL, kNx, 48, 4, 6, 16, false, 0, 0)    \
  X(NXAST_CHECK_PKT_LARGER, kNx, 49, 1, 6, 24, true, 0, 0) \
  X(NXAST_DELETE_FIELD, kNx, 50, 1, 6, 24, false, 0, 0)   \
  X(NXAST_DEBUG_SLOW, kNx, 254, 1, 6, 16, false, 0, 0)    \
  X(NXAST_DEBUG_RECIRC, kNx, 255, 1, 6, 16, false, 0, 0)

inline constexpr uint32_t kNx = kNxVendorId;
inline constexpr uint32_t kOnf = kOnfVendorId;

enum class ActionRaw : uint8_t {
#define FLOWPATH_ACTION_RAW_ENUM(raw, vendor, type, v1, v2, len, variable, arg_ofs, arg_len) raw,
  FLOWPATH_ACTION_RAWS(FLOWPATH_ACTION_RAW_ENUM)
#undef FLOWPATH_ACTION_RAW_ENUM
};

struct RawActionInfo {
  ActionRaw raw;
  std::string_view name;
  uint32_t vendor;
  uint16_t type;
  uint8_t min_version, max_version;
  uint16_t length;
  bool variable;
  uint8_t arg_offset, arg_bytes;
};
const RawActionInfo& raw_action_info(ActionRaw raw);
// The raw of `version` for a base name ("SET_VLAN_VID": OFPAT10_... in 1.0,
// OFPAT11_... later).
const RawActionInfo* raw_action_for(ActionRaw raw_1_0, ActionRaw raw_1_1, uint8_t version);

// One action as it came: header checked, length within its raw's bounds.
struct RawAction {
  const RawActionInfo* info;
  ByteView bytes;     // the whole action
  uint64_t arg = 0;   // the argument of simple actions
  uint8_t version;
  size_t offset;      // within the action list, for error details

  // An error naming the action and where it is.
  OfpError error(OfpErrorCode code, const std::string& detail) const;
  WireReader reader(size_t skip) const;  // the bytes after `skip`
};

using Actions = std::vector<OfAction>;

// ---- Decoders, one per family (actions_*.cc). They append to `out`.
WireStatus decode_output_family(const RawAction& a, Actions& out);     // actions_output.cc
WireStatus decode_header_family(const RawAction& a, Actions& out);     // actions_headers.cc
WireStatus decode_set_field_family(const RawAction& a, Actions& out);  // actions_set_field.cc
WireStatus decode_nx_family(const RawAction& a, Actions& out);         // actions_nx.cc
WireStatus decode_learn(const RawAction& a, Actions& out);             // actions_learn.cc
WireStatus decode_ct_family(const RawAction& a, Actions& out);         // actions_ct.cc
WireStatus decode_hash_family(const RawAction& a, Actions& out);       // actions_hash.cc

// Nested lists (clone, ct): decoded with the same rules; `outer` names the
// action that holds them for the nesting checks.
// Writable on the wire: the model's writable fields, and ct_mark and ct_label,
// which the text syntax refuses because only conntrack sets them; the wire
// allows them inside ct(exec(...)) and verification refuses them elsewhere.
inline bool wire_writable(const OfFieldInfo& f) {
  return f.writable || f.name == "ct_mark" || f.name == "ct_label";
}

WireResult<Actions> decode_nested_actions(ByteView bytes, uint8_t version, std::string_view outer);

// Subfields as NX actions carry them: an NXM header and "ofs_nbits" (offset
// << 6 | (n_bits - 1)), or a header read from a reader.
WireResult<Subfield> subfield_from_header(const RawAction& a, uint32_t header, uint16_t ofs,
                                          uint16_t n_bits);
WireResult<Subfield> pull_subfield_header(const RawAction& a, WireReader& r, uint16_t ofs,
                                          uint16_t n_bits);
// The 32-bit NXM header of a field (0 when it only has a 64-bit experimenter
// one).
uint32_t nxm_header32(const OfFieldInfo& field);
inline uint16_t ofs_nbits(uint16_t ofs, uint16_t n_bits) {
  return static_cast<uint16_t>(ofs << 6 | (n_bits - 1));
}

// ---- Encoding.

// What encoding needs of the flow: Open vSwitch annotates actions with it
// when it accepts them (VLAN present, IP protocol), following the changes
// earlier actions make.
struct FlowState {
  bool has_vlan = false;
  uint16_t eth_type = 0;
  uint8_t nw_proto = 0;
};
FlowState flow_state_of(const OfMatch* match);

class ActionEncoder {
 public:
  ActionEncoder(WireWriter& out, uint8_t ofp_version, FlowState state)
      : w(out), version(ofp_version), flow(state) {}

  // Writes the header (and argument) of `raw`, zero-filled to its length;
  // returns the action's start.
  size_t put_raw(ActionRaw raw, uint64_t arg = 0);
  // Pads a variable-length action to 8 bytes and sets its length.
  void finish(size_t start);
  void encode(const OfAction& action);
  void encode_list(std::span<const OfAction> actions);

  WireWriter& w;
  uint8_t version;
  FlowState flow;
};

// OFPAT_SET_FIELD of `field` = `value` (whole field, as the wire numbers
// it), as Open vSwitch writes the OpenFlow 1.2+ form of the older set
// actions (actions_set_field.cc).
void put_set_field(ActionEncoder& e, const OfFieldInfo& field, NxmNumber value);
// NXAST_REG_LOAD of bits [ofs, ofs + n_bits) of `field`.
void put_reg_load(ActionEncoder& e, const OfFieldInfo& field, uint16_t ofs, uint16_t n_bits,
                  uint64_t value);

// One overload per action type, in the family files.
void encode_action(const action::Output& a, ActionEncoder& e);
void encode_action(const action::OutputTrunc& a, ActionEncoder& e);
void encode_action(const action::Enqueue& a, ActionEncoder& e);
void encode_action(const action::OutputReg& a, ActionEncoder& e);
void encode_action(const action::Controller& a, ActionEncoder& e);
void encode_action(const action::Group& a, ActionEncoder& e);
void encode_action(const action::SetQueue& a, ActionEncoder& e);
void encode_action(const action::PopQueue& a, ActionEncoder& e);
void encode_action(const action::SetField& a, ActionEncoder& e);
void encode_action(const action::SetTunnel& a, ActionEncoder& e);
void encode_action(const action::SetVlanVid& a, ActionEncoder& e);
void encode_action(const action::SetVlanPcp& a, ActionEncoder& e);
void encode_action(const action::PushVlan& a, ActionEncoder& e);
void encode_action(const action::PopVlan& a, ActionEncoder& e);
void encode_action(const action::PushMpls& a, ActionEncoder& e);
void encode_action(const action::PopMpls& a, ActionEncoder& e);
void encode_action(const action::DecTtl& a, ActionEncoder& e);
void encode_action(const action::SetMplsTtl& a, ActionEncoder& e);
void encode_action(const action::DecMplsTtl& a, ActionEncoder& e);
void encode_action(const action::RegMove& a, ActionEncoder& e);
void encode_action(const action::StackPush& a, ActionEncoder& e);
void encode_action(const action::StackPop& a, ActionEncoder& e);
void encode_action(const action::Resubmit& a, ActionEncoder& e);
void encode_action(const action::FinTimeout& a, ActionEncoder& e);
void encode_action(const action::Conjunction& a, ActionEncoder& e);
void encode_action(const action::Note& a, ActionEncoder& e);
void encode_action(const action::Exit& a, ActionEncoder& e);
void encode_action(const action::Sample& a, ActionEncoder& e);
void encode_action(const action::Clone& a, ActionEncoder& e);
void encode_action(const action::CheckPktLarger& a, ActionEncoder& e);
void encode_action(const action::DecNshTtl& a, ActionEncoder& e);
void encode_action(const action::Decap& a, ActionEncoder& e);
void encode_action(const action::CtClear& a, ActionEncoder& e);
void encode_action(const action::Learn& a, ActionEncoder& e);
void encode_action(const action::Conntrack& a, ActionEncoder& e);
void encode_action(const action::Nat& a, ActionEncoder& e);
void encode_action(const action::Multipath& a, ActionEncoder& e);
void encode_action(const action::Bundle& a, ActionEncoder& e);
// Instructions (written by the instruction encoder in OpenFlow 1.1+; these
// handle OpenFlow 1.0 and meter as a 1.5 action).
void encode_action(const action::GotoTable& a, ActionEncoder& e);
void encode_action(const action::WriteMetadata& a, ActionEncoder& e);
void encode_action(const action::Meter& a, ActionEncoder& e);
void encode_action(const action::ClearActions& a, ActionEncoder& e);
void encode_action(const action::WriteActions& a, ActionEncoder& e);

// Where an action sits: apply-actions, or one of the instructions (in the
// order OpenFlow 1.1+ requires them).
enum class InstructionSlot : uint8_t {
  kMeter, kApplyActions, kClearActions, kWriteActions, kWriteMetadata, kGotoTable,
};
InstructionSlot instruction_slot(const OfAction& a, uint8_t version);

}  // namespace flowpath::openflow::wire::action_wire
