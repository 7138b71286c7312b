// OpenFlow actions and instructions as the pipeline runs them, with the text
// syntax of ovs-ofctl ("output:2,mod_vlan_vid:10,resubmit(,1)").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "openflow/of_field.h"
#include "openflow/of_flow.h"

namespace flowpath::openflow {

namespace action {

struct Output {       // output:N, output:NAME, NORMAL, FLOOD, ALL, IN_PORT, LOCAL, drop-less "2"
  uint32_t port;      // OpenFlow number or kOfpp* reserved port
  uint16_t max_len = 0;
};
struct Controller {   // CONTROLLER, controller:max_len, controller(reason=..,max_len=..,id=..)
  uint16_t max_len = 0xffff;
  uint8_t reason = 1;  // OFPR_ACTION; 0 = no_match, 2 = invalid_ttl
  uint16_t controller_id = 0;
};
struct SetField {     // set_field:VALUE[/MASK]->FIELD, load:VALUE->FIELD, mod_dl_src:..., mod_nw_dst:...
  FieldValue field;
};
struct SetVlanVid {   // mod_vlan_vid:N (pushes a tag when there is none), set_vlan_vid
  uint16_t vid;
  bool push_if_absent = true;
};
struct SetVlanPcp {   // mod_vlan_pcp:N
  uint8_t pcp;
  bool push_if_absent = true;
};
struct PushVlan { uint16_t tpid = 0x8100; };  // push_vlan:0x8100 (host order)
struct PopVlan {};                             // pop_vlan, strip_vlan
struct PushMpls { uint16_t ethertype = 0x8847; };
struct PopMpls { uint16_t ethertype; };        // pop_mpls:0x0800
struct DecTtl {};                               // dec_ttl
struct SetMplsTtl { uint8_t ttl; };             // set_mpls_ttl:N
struct DecMplsTtl {};                           // dec_mpls_ttl
struct Resubmit {     // resubmit:PORT, resubmit(PORT,TABLE), resubmit(,TABLE)
  uint32_t in_port = kOfppInPort;  // kOfppInPort: keep the current in_port
  uint8_t table = kTableAll;       // kTableAll: the current table
};
struct GotoTable { uint8_t table; };            // goto_table:N (must be last)
struct WriteMetadata { uint64_t value; uint64_t mask = ~0ull; };  // write_metadata:V[/M]
struct Group { uint32_t group_id; };            // group:N
struct Meter { uint32_t meter_id; };            // meter:N

}  // namespace action

using OfAction =
    std::variant<action::Output, action::Controller, action::SetField, action::SetVlanVid,
                 action::SetVlanPcp, action::PushVlan, action::PopVlan, action::PushMpls,
                 action::PopMpls, action::DecTtl, action::SetMplsTtl, action::DecMplsTtl,
                 action::Resubmit, action::GotoTable, action::WriteMetadata, action::Group,
                 action::Meter>;

// "drop" or "" is the empty list. Errors name the action and what is wrong
// ("output: port 70000 is out of range", "goto_table must be the last
// instruction", "set_field: field nw_ttl ...").
Result<std::vector<OfAction>> parse_of_actions(std::string_view text,
                                               const PortNameResolver& ports = {});
// ovs-ofctl's dump-flows form ("output:2,NORMAL", "drop" when empty).
std::string format_of_actions(std::span<const OfAction> actions);

}  // namespace flowpath::openflow
