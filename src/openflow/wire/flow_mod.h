// Flow mods: OFPT_FLOW_MOD of OpenFlow 1.0 (ofp_match), 1.1+ (OXM and
// instructions) and Nicira's NXT_FLOW_MOD (NXM, cookie matching), in the
// "protocol" a session has settled on.
#pragma once

#include "openflow/flow_mod.h"
#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

// How flow mods and flow statistics travel in a session: the version and,
// in OpenFlow 1.0, the flow format (NXT_SET_FLOW_FORMAT: ofp_match or NXM)
// and whether flow mod commands carry a table id (NXT_FLOW_MOD_TABLE_ID).
struct Protocol {
  uint8_t version = kOfp10;
  bool nxm = false;       // OpenFlow 1.0 only
  bool table_id = false;  // OpenFlow 1.0 only

  friend bool operator==(const Protocol&, const Protocol&) = default;
};
// Open vSwitch's names: "OpenFlow10-table_id", "NXM+table_id", "OXM-OpenFlow13".
std::string protocol_name(const Protocol& p);
std::optional<Protocol> protocol_from_name(std::string_view name);

inline constexpr uint32_t kNoBuffer = 0xffffffff;
inline constexpr uint64_t kNoCookie = ~uint64_t{0};

struct FlowMod {
  FlowModCommand command = FlowModCommand::kAdd;  // kAdd .. kDeleteStrict
  // The rule: match, priority, table (kTableAll: every table, for modify and
  // delete), timeouts, flags, importance, out_port/out_group (delete
  // filters), actions. spec.cookie/cookie_mask select rules by cookie; for
  // an add, spec.cookie is the new rule's cookie.
  FlowModSpec spec;
  uint64_t new_cookie = kNoCookie;  // the cookie rules get; kNoCookie: unchanged
  bool modify_cookie = false;       // modify commands change matching rules' cookies
  uint32_t buffer_id = kNoBuffer;
};

// Decodes and checks a flow mod as Open vSwitch accepts one: match (with
// prerequisites), command, table, flags (OFPFMFC_BAD_FLAGS; the OpenFlow 1.0
// emergency cache is refused), instructions, and their consistency with the
// match. `protocol` says whether OpenFlow 1.0 commands carry a table id.
WireResult<FlowMod> decode_flow_mod(const OfpMessage& msg, const Protocol& protocol);
// Fails when `protocol` cannot carry the flow mod (a match OpenFlow 1.0's
// ofp_match cannot express, instructions OpenFlow 1.0 lacks).
WireResult<Bytes> encode_flow_mod(const FlowMod& fm, const Protocol& protocol, uint32_t xid);

// Flow mod flags (send_flow_rem, check_overlap, reset_counts,
// no_packet_counts, no_byte_counts), shared with flow statistics and
// monitors. OFPFMFC_BAD_FLAGS for flags `version` does not define.
WireStatus decode_flow_mod_flags(uint16_t raw, uint8_t version, FlowModSpec& spec);
uint16_t encode_flow_mod_flags(const FlowModSpec& spec, uint8_t version);

}  // namespace flowpath::openflow::wire
