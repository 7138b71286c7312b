// What a rule's or a group bucket's actions refer to must exist when the rule
// or group is added: groups and meters, and goto_table must go forward; and
// what they ask for must be supported (not controller(pause)). The
// errors are OpenFlow's, so a flow mod from the wire gets the standard code.
#pragma once

#include <map>
#include <vector>

#include "ofproto/bridge_state.h"
#include "openflow/wire/ofp_error.h"

namespace flowpath::ofproto {

// `table` < 0: a group bucket (no goto_table check). `pending_groups`: groups
// being added in the same change.
openflow::wire::WireStatus check_rule_references(
    const BridgeState& state, const std::vector<OfAction>& actions, int table,
    const std::map<uint32_t, GroupSpec>* pending_groups = nullptr);

}  // namespace flowpath::ofproto
