// OpenFlow actions and instructions of every version, with Open vSwitch's
// Nicira and ONF extension actions, to and from the model's OfAction list.
//
// The model keeps instructions in the action list, in OpenFlow 1.1's order,
// as Open vSwitch does: meter, apply-actions (the actions), clear_actions,
// write_actions(...), write_metadata, goto_table. OpenFlow 1.0 has no
// instructions; there Open vSwitch's extension actions stand in for
// write_metadata and goto_table (resubmit), and the others are refused.
//
// Encoding depends on the flow the actions belong to, as in Open vSwitch:
// mod_vlan_vid pushes a tag in OpenFlow 1.1+ only when the match does not
// promise one, and mod_tp_src becomes set_field of tcp_src, udp_src or
// sctp_src after the match's nw_proto. Give the match where there is one.
#pragma once

#include <span>
#include <vector>

#include "openflow/of_action.h"
#include "openflow/wire/ofp_buffer.h"

namespace flowpath::openflow::wire {

// An action list (OpenFlow 1.0 flow mods and packet-outs, apply-actions,
// bucket actions): every action's length and fields checked, OFPBAC_* errors
// naming the action and its offset. Instructions are refused.
WireResult<std::vector<OfAction>> decode_actions(ByteView bytes, uint8_t version);
// Instructions (OpenFlow 1.1+), or actions in OpenFlow 1.0 where Open
// vSwitch's write_metadata and goto_table stand-ins are allowed.
WireResult<std::vector<OfAction>> decode_instructions(ByteView bytes, uint8_t version);

void encode_actions(WireWriter& w, std::span<const OfAction> actions, uint8_t version,
                    const OfMatch* match = nullptr);
void encode_instructions(WireWriter& w, std::span<const OfAction> actions, uint8_t version,
                         const OfMatch* match = nullptr);

// What `version` cannot carry of `actions` (instructions in a bucket,
// clear_actions in OpenFlow 1.0, ...), so a caller can refuse before
// encoding; nullopt when all is well.
std::optional<std::string> actions_encoding_problem(std::span<const OfAction> actions,
                                                    uint8_t version, bool instructions);

// Checks `actions` against the flow they act on, as Open vSwitch does when it
// accepts a flow or packet-out: prerequisites of the fields they set or read,
// VLAN tags to strip, meter ids, goto_table forward only (`table`, 0xff for
// none), ports below `max_ports`. In OpenFlow 1.1+ an action the match makes
// meaningless is OFPBAC_MATCH_INCONSISTENT; OpenFlow 1.0 lets it pass.
WireStatus check_actions(std::span<const OfAction> actions, const OfMatch& match, uint8_t version,
                         uint8_t table = 0xff, uint32_t max_ports = 0xff00);

}  // namespace flowpath::openflow::wire
