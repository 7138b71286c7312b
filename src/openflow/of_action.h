// OpenFlow actions and instructions as the pipeline runs them, with the text
// syntax of ovs-ofctl ("output:2,mod_vlan_vid:10,resubmit(,1)").
//
// One model for every source: the text parser and the wire codec
// (openflow/wire) both produce these, and both can express every action here,
// including Open vSwitch's extension actions. A few members record how an
// action was written on the wire (`form`) where Open vSwitch sends it back the
// same way; they never change what the action does.
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

struct OfAction;

// Bits [ofs, ofs + n_bits) of a field's value, as in "NXM_NX_REG0[0..15]".
// Bit 0 is the least significant bit of the field's value (field_value_bits()).
struct Subfield {
  const OfFieldInfo* field = nullptr;
  uint16_t ofs = 0;
  uint16_t n_bits = 0;

  friend bool operator==(const Subfield&, const Subfield&) = default;
};

namespace action {

struct Output {       // output:N, output:NAME, NORMAL, FLOOD, ALL, IN_PORT, LOCAL, drop-less "2"
  uint32_t port;      // OpenFlow number or kOfpp* reserved port
  uint16_t max_len = 0;  // bytes to send when port is CONTROLLER (OpenFlow's max_len)
  friend bool operator==(const Output&, const Output&) = default;
};
struct OutputTrunc {  // output(port=N,max_len=M): output truncated to max_len bytes
  uint32_t port;
  uint32_t max_len;
  friend bool operator==(const OutputTrunc&, const OutputTrunc&) = default;
};
struct Enqueue {      // enqueue:PORT:QUEUE (OpenFlow 1.0 enqueue)
  uint32_t port;
  uint32_t queue;
  friend bool operator==(const Enqueue&, const Enqueue&) = default;
};
struct OutputReg {    // output:NXM_NX_REG0[0..15]: output to the port number in a subfield
  Subfield src;
  uint16_t max_len = 0xffff;
  bool reg2_form = false;  // came as NXAST_OUTPUT_REG2
  friend bool operator==(const OutputReg&, const OutputReg&) = default;
};
struct Controller {   // CONTROLLER, controller:max_len, controller(reason=..,max_len=..,id=..)
  uint16_t max_len = 0xffff;
  uint8_t reason = 1;  // OFPR_ACTION; 0 = no_match, 2 = invalid_ttl
  uint16_t controller_id = 0;
  std::vector<uint8_t> userdata;  // controller(userdata=01.02...)
  bool pause = false;              // controller(pause): continuation to NXT_RESUME
  uint32_t meter_id = 0xffffffff;  // controller(meter_id=N); all-ones: none
  bool controller2_form = false;   // came as NXAST_CONTROLLER2
  friend bool operator==(const Controller&, const Controller&) = default;
};
struct Bundle {       // bundle(fields,basis,algorithm,ofport,members:1,2) and bundle_load
  uint16_t algorithm = 0;   // NX_BD_ALG_*: 0 active_backup, 1 hrw
  uint16_t fields = 0;      // NX_HASH_FIELDS_*
  uint16_t basis = 0;
  std::vector<uint32_t> members;  // OpenFlow port numbers
  Subfield dst;  // bundle_load: where the chosen port goes; field null for bundle
  friend bool operator==(const Bundle&, const Bundle&) = default;
};

// How a set_field came in, so it goes back out the same way.
enum class SetFieldForm : uint8_t {
  kSetField,  // set_field / OFPAT_SET_FIELD
  kLoad,      // load: / NXAST_REG_LOAD
  kLoad2,     // NXAST_REG_LOAD2
  kLegacy,    // mod_dl_src, mod_nw_dst, mod_nw_tos, mod_tp_src, set_mpls_label, ... (the
              // OpenFlow 1.0/1.1 set actions; eth_src, eth_dst, ip_src, ip_dst, nw_tos,
              // nw_ecn, nw_ttl, tp_src, tp_dst, mpls_label, mpls_tc only)
};
struct SetField {     // set_field:VALUE[/MASK]->FIELD, load:VALUE->FIELD, mod_dl_src:..., mod_nw_dst:...
  FieldValue field;
  SetFieldForm form = SetFieldForm::kSetField;
  friend bool operator==(const SetField&, const SetField&) = default;
};
struct RegMove {      // move:SRC[a..b]->DST[c..d] (src.n_bits == dst.n_bits)
  Subfield src;
  Subfield dst;
  bool copy_field_form = false;  // came as ONF's OpenFlow 1.3 copy_field extension
  friend bool operator==(const RegMove&, const RegMove&) = default;
};
struct StackPush {  // push:FIELD[a..b]
  Subfield field;
  friend bool operator==(const StackPush&, const StackPush&) = default;
};
struct StackPop {  // pop:FIELD[a..b]
  Subfield field;
  friend bool operator==(const StackPop&, const StackPop&) = default;
};
struct SetVlanVid {   // mod_vlan_vid:N (pushes a tag when there is none), set_vlan_vid
  uint16_t vid;
  bool push_if_absent = true;
  friend bool operator==(const SetVlanVid&, const SetVlanVid&) = default;
};
struct SetVlanPcp {   // mod_vlan_pcp:N
  uint8_t pcp;
  bool push_if_absent = true;
  friend bool operator==(const SetVlanPcp&, const SetVlanPcp&) = default;
};
struct PushVlan {  // push_vlan:0x8100 (host order)
  uint16_t tpid = 0x8100;
  friend bool operator==(const PushVlan&, const PushVlan&) = default;
};
struct PopVlan {  // pop_vlan, strip_vlan
  friend bool operator==(const PopVlan&, const PopVlan&) = default;
};
struct PushMpls {
  uint16_t ethertype = 0x8847;
  friend bool operator==(const PushMpls&, const PushMpls&) = default;
};
struct PopMpls {  // pop_mpls:0x0800
  uint16_t ethertype;
  friend bool operator==(const PopMpls&, const PopMpls&) = default;
};
struct DecTtl {                                 // dec_ttl, dec_ttl(id1,id2,...)
  std::vector<uint16_t> controller_ids{0};      // who gets the packet-in when it expires
  bool cnt_ids_form = false;                    // came as NXAST_DEC_TTL_CNT_IDS
  friend bool operator==(const DecTtl&, const DecTtl&) = default;
};
struct SetMplsTtl {  // set_mpls_ttl:N
  uint8_t ttl;
  friend bool operator==(const SetMplsTtl&, const SetMplsTtl&) = default;
};
struct DecMplsTtl {  // dec_mpls_ttl
  friend bool operator==(const DecMplsTtl&, const DecMplsTtl&) = default;
};
struct SetTunnel {    // set_tunnel:ID, set_tunnel64:ID
  uint64_t tun_id;
  bool tunnel64_form = false;
  friend bool operator==(const SetTunnel&, const SetTunnel&) = default;
};
struct SetQueue {  // set_queue:N
  uint32_t queue_id;
  friend bool operator==(const SetQueue&, const SetQueue&) = default;
};
struct PopQueue {  // pop_queue
  friend bool operator==(const PopQueue&, const PopQueue&) = default;
};
struct FinTimeout {   // fin_timeout(idle_timeout=N,hard_timeout=N)
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  friend bool operator==(const FinTimeout&, const FinTimeout&) = default;
};
struct Resubmit {     // resubmit:PORT, resubmit(PORT,TABLE), resubmit(,TABLE[,ct])
  uint32_t in_port = kOfppInPort;  // kOfppInPort: keep the current in_port
  uint8_t table = kTableAll;       // kTableAll: the current table
  bool with_ct_orig = false;       // resubmit(,T,ct): look up with the conntrack tuple
  bool table_form = false;         // came as NXAST_RESUBMIT_TABLE with table 255
  friend bool operator==(const Resubmit&, const Resubmit&) = default;
};

// One element of learn(...): where bits come from and where they go.
struct LearnSpec {
  enum class Src : uint8_t { kField, kImmediate };
  enum class Dst : uint8_t { kMatch, kLoad, kOutput };
  Src src_type = Src::kField;
  Dst dst_type = Dst::kMatch;
  uint16_t n_bits = 0;
  Subfield src;                    // kField
  std::vector<uint8_t> immediate;  // kImmediate: ceil(n_bits / 8) bytes, network order
  Subfield dst;                    // kMatch, kLoad
  friend bool operator==(const LearnSpec&, const LearnSpec&) = default;
};
struct Learn {        // learn(table=N,idle_timeout=..,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],...)
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint16_t priority = kDefaultPriority;
  uint64_t cookie = 0;
  uint16_t flags = 0;  // NX_LEARN_F_*: 1 send_flow_rem, 2 delete_learned, 4 write_result
  uint8_t table = 1;
  uint16_t fin_idle_timeout = 0;
  uint16_t fin_hard_timeout = 0;
  uint32_t limit = 0;   // learn2: at most this many learned flows, 0 = no limit
  Subfield result_dst;  // learn2 with write_result: 1 bit, whether the flow was learned
  std::vector<LearnSpec> specs;
  bool learn2_form = false;  // came as NXAST_LEARN2
  friend bool operator==(const Learn&, const Learn&) = default;
};
struct Conjunction {  // conjunction(ID,K/N)
  uint32_t id;
  uint8_t clause;     // K - 1
  uint8_t n_clauses;  // N
  friend bool operator==(const Conjunction&, const Conjunction&) = default;
};
struct Multipath {    // multipath(fields,basis,algorithm,max_link,arg,dst[a..b])
  uint16_t fields = 0;
  uint16_t basis = 0;
  uint16_t algorithm = 0;  // NX_MP_ALG_*: 0 modulo_n, 1 hash_threshold, 2 hrw, 3 iter_hash
  uint16_t max_link = 0;
  uint32_t arg = 0;
  Subfield dst;
  friend bool operator==(const Multipath&, const Multipath&) = default;
};
struct Note {  // note:01.02.03
  std::vector<uint8_t> data;
  friend bool operator==(const Note&, const Note&) = default;
};
struct Exit {  // exit
  friend bool operator==(const Exit&, const Exit&) = default;
};
struct Sample {       // sample(probability=..,collector_set_id=..,obs_domain_id=..,...)
  uint16_t probability = 0;
  uint32_t collector_set_id = 0;
  uint32_t obs_domain_id = 0;
  uint32_t obs_point_id = 0;
  uint32_t sampling_port = kOfppAny;  // OpenFlow port, kOfppAny: none
  uint8_t direction = 0;              // 0 default, 1 ingress, 2 egress
  uint8_t form = 1;                   // 1, 2, 3: came as NXAST_SAMPLE, SAMPLE2, SAMPLE3
  friend bool operator==(const Sample&, const Sample&) = default;
};
inline constexpr uint16_t kCtFlagCommit = 1;  // NX_CT_F_COMMIT
inline constexpr uint16_t kCtFlagForce = 2;   // NX_CT_F_FORCE
struct Conntrack {    // ct(commit,zone=N,table=T,alg=ftp,exec(...),nat(...))
  uint16_t flags = 0;   // kCtFlag*
  Subfield zone_src;    // zone from a field (16 bits), else zone_imm
  uint16_t zone_imm = 0;
  uint8_t recirc_table = 0xff;  // 0xff: no recirculation
  uint16_t alg = 0;             // 0 none, 21 ftp, 69 tftp
  std::vector<OfAction> actions;  // exec(...) and nat(...)
  friend bool operator==(const Conntrack&, const Conntrack&) = default;
};
struct CtClear {  // ct_clear
  friend bool operator==(const CtClear&, const CtClear&) = default;
};
struct Nat {          // nat(src|dst=ADDR[-ADDR][:PORT[-PORT]],persistent,hash|random)
  enum class Family : uint8_t { kNone, kIpv4, kIpv6 };
  uint16_t flags = 0;  // NX_NAT_F_*: 1 src, 2 dst, 4 persistent, 8 proto_hash, 16 proto_random
  Family family = Family::kNone;
  uint8_t addr_min[16] = {};  // IPv4 uses the first 4 bytes; network order
  uint8_t addr_max[16] = {};  // all-zero: not given
  uint16_t proto_min = 0;     // 0: not given
  uint16_t proto_max = 0;
  friend bool operator==(const Nat&, const Nat&) = default;
};
struct Clone {  // clone(...)
  std::vector<OfAction> actions;
  friend bool operator==(const Clone&, const Clone&) = default;
};
struct CheckPktLarger {  // check_pkt_larger(LEN)->DST[bit]
  uint16_t pkt_len = 0;
  Subfield dst;  // one bit
  friend bool operator==(const CheckPktLarger&, const CheckPktLarger&) = default;
};
struct DecNshTtl {  // dec_nsh_ttl
  friend bool operator==(const DecNshTtl&, const DecNshTtl&) = default;
};
struct Decap {  // decap(packet_type(ns=,type=)), (ns << 16 | type)
  uint32_t packet_type = 0xfffe;
  friend bool operator==(const Decap&, const Decap&) = default;
};
struct GotoTable {  // goto_table:N (must be last)
  uint8_t table;
  friend bool operator==(const GotoTable&, const GotoTable&) = default;
};
struct WriteMetadata {  // write_metadata:V[/M]
  uint64_t value;
  uint64_t mask = ~0ull;
  friend bool operator==(const WriteMetadata&, const WriteMetadata&) = default;
};
struct Group {  // group:N
  uint32_t group_id;
  friend bool operator==(const Group&, const Group&) = default;
};
struct Meter {  // meter:N
  uint32_t meter_id;
  friend bool operator==(const Meter&, const Meter&) = default;
};
struct ClearActions {  // clear_actions
  friend bool operator==(const ClearActions&, const ClearActions&) = default;
};
struct WriteActions {  // write_actions(...)
  std::vector<OfAction> actions;
  friend bool operator==(const WriteActions&, const WriteActions&) = default;
};

}  // namespace action

using OfActionVariant =
    std::variant<action::Output, action::Controller, action::SetField, action::SetVlanVid,
                 action::SetVlanPcp, action::PushVlan, action::PopVlan, action::PushMpls,
                 action::PopMpls, action::DecTtl, action::SetMplsTtl, action::DecMplsTtl,
                 action::Resubmit, action::GotoTable, action::WriteMetadata, action::Group,
                 action::Meter, action::OutputTrunc, action::Enqueue, action::OutputReg,
                 action::Bundle, action::RegMove, action::StackPush, action::StackPop,
                 action::SetTunnel, action::SetQueue, action::PopQueue, action::FinTimeout,
                 action::Learn, action::Conjunction, action::Multipath, action::Note,
                 action::Exit, action::Sample, action::Conntrack, action::CtClear, action::Nat,
                 action::Clone, action::CheckPktLarger, action::DecNshTtl, action::Decap,
                 action::ClearActions, action::WriteActions>;

// An action. A struct rather than an alias so that clone, ct and
// write_actions can hold lists of actions; std::get_if, std::holds_alternative
// and std::visit take it as the variant it is.
struct OfAction : OfActionVariant {
  using OfActionVariant::OfActionVariant;
  using OfActionVariant::operator=;
};

// The action's name as ovs-ofctl spells it ("output", "learn", "set_field").
std::string_view action_name(const OfAction& action);

// "drop" or "" is the empty list. Errors name the action and what is wrong
// ("output: port 70000 is out of range", "goto_table must be the last
// instruction", "set_field: field nw_ttl ...").
Result<std::vector<OfAction>> parse_of_actions(std::string_view text,
                                               const PortNameResolver& ports = {});
// ovs-ofctl's dump-flows form ("output:2,NORMAL", "drop" when empty).
std::string format_of_actions(std::span<const OfAction> actions);

// ct(...)'s arguments (the text inside the parentheses). nat and alg are
// refused: the tracker has neither yet.
Result<action::Conntrack> parse_ct_action(std::string_view args);
// A rule with ct must match IP (the datapath could not run it otherwise),
// and may not commit packets it matched as +inv: as Open vSwitch checks.
Status check_ct_actions(const OfMatch& match, std::span<const OfAction> actions);

}  // namespace flowpath::openflow

