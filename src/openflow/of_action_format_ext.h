// Internal to the action formatter: the ovs-ofctl text of the actions that
// Open vSwitch's extensions add (learn, ct, bundle, move, ...), and of the
// set_field forms (load:, mod_dl_src:, ...). format_of_actions()
// (of_action_format.cc) finds these by argument-dependent lookup.
#pragma once

#include <string>

#include "openflow/of_action.h"

namespace flowpath::openflow {

// "NXM_NX_REG0[0..15]", "NXM_OF_ETH_SRC[]", "NXM_NX_REG1[3]".
std::string format_subfield(const Subfield& subfield);
// Hash field sets of bundle and multipath ("eth_src", "symmetric_l4", ...).
std::string_view hash_fields_name(uint16_t fields);

namespace action {

void format_action(const OutputTrunc& a, std::string& out);
void format_action(const Enqueue& a, std::string& out);
void format_action(const OutputReg& a, std::string& out);
void format_action(const Bundle& a, std::string& out);
void format_action(const RegMove& a, std::string& out);
void format_action(const StackPush& a, std::string& out);
void format_action(const StackPop& a, std::string& out);
void format_action(const SetTunnel& a, std::string& out);
void format_action(const SetQueue& a, std::string& out);
void format_action(const PopQueue& a, std::string& out);
void format_action(const FinTimeout& a, std::string& out);
void format_action(const Learn& a, std::string& out);
void format_action(const Conjunction& a, std::string& out);
void format_action(const Multipath& a, std::string& out);
void format_action(const Note& a, std::string& out);
void format_action(const Exit& a, std::string& out);
void format_action(const Sample& a, std::string& out);
void format_action(const Conntrack& a, std::string& out);
void format_action(const CtClear& a, std::string& out);
void format_action(const Nat& a, std::string& out);
void format_action(const Clone& a, std::string& out);
void format_action(const CheckPktLarger& a, std::string& out);
void format_action(const DecNshTtl& a, std::string& out);
void format_action(const Decap& a, std::string& out);
void format_action(const ClearActions& a, std::string& out);
void format_action(const WriteActions& a, std::string& out);

// set_field forms other than set_field:V->F; false when `a` is one.
bool format_set_field_form(const SetField& a, std::string& out);

}  // namespace action

}  // namespace flowpath::openflow
