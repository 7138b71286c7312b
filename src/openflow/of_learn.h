// The learn action beyond its codecs: its ovs-ofctl text, the checks Open
// vSwitch makes of it against the rule that holds it, and the flow it adds
// for a packet (ovs-actions(7) "learn"). Translation (ofproto/xlate_learn.cc)
// builds the flow; ofproto adds it, or refreshes it when it is there already.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "openflow/flow_mod.h"
#include "openflow/of_action.h"

namespace flowpath::openflow {

// The text inside learn(...): table=, idle_timeout=, hard_timeout=,
// fin_idle_timeout=, fin_hard_timeout=, priority=, cookie=, send_flow_rem,
// delete_learned, limit=, result_dst=FIELD[bit], and the specs FIELD[a..b],
// FIELD[a..b]=FIELD[c..d], FIELD[a..b]=VALUE, load:FIELD[]->FIELD[],
// load:VALUE->FIELD[], output:FIELD[]. Errors name the element at fault.
Result<action::Learn> parse_learn_action(std::string_view args, const PortNameResolver& ports = {});

// As Open vSwitch's learn_check: every source field's prerequisites are in
// `rule_match` (the match of the rule holding the action), and every field
// the learned flow matches has its prerequisites among the immediate
// matches before it ("eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[]").
Status check_learn(const action::Learn& learn, const OfMatch& rule_match);

// check_learn for every learn action of `actions`, nested in clone and
// write_actions too.
Status check_learn_actions(const OfMatch& rule_match, std::span<const OfAction> actions);

// What flowpath does not carry out of a learn action (the learned flow's
// fin_timeout, result_dst), as an error naming it; Ok otherwise.
Status check_learn_supported(const action::Learn& learn);

// The flow a learn action adds for a packet whose pipeline flow is `flow`:
// table, priority, cookie, timeouts, send_flow_rem, the match built from the
// match specs and the actions (load specs become set_field writes, output
// specs outputs; an output whose port number is not a port is left out, as
// Open vSwitch does).
struct LearnedFlow {
  FlowModSpec spec;
  uint32_t limit = 0;  // learn's limit: at most this many rules with its cookie in the table
  friend bool operator==(const LearnedFlow& a, const LearnedFlow& b) {
    return a.spec.table == b.spec.table && a.spec.priority == b.spec.priority &&
           a.spec.match == b.spec.match && a.spec.cookie == b.spec.cookie &&
           a.spec.idle_timeout == b.spec.idle_timeout &&
           a.spec.hard_timeout == b.spec.hard_timeout &&
           a.spec.send_flow_rem == b.spec.send_flow_rem && a.spec.actions == b.spec.actions &&
           a.limit == b.limit;
  }
};
LearnedFlow learned_flow(const action::Learn& learn, const OfFlow& flow);

// ovs-ofctl's one-line form of a learned flow for traces:
// "table=10 priority=32768,dl_dst=... hard=300 actions=output:1".
std::string format_learned_flow(const LearnedFlow& flow);

}  // namespace flowpath::openflow
