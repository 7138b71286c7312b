// check_actions: the consistency of actions with the flow they act on, as
// Open vSwitch checks flow mods and packet-outs (ofpacts_check). Earlier
// actions change what later ones see (a pushed VLAN tag, an MPLS EtherType).
#include <cstring>

#include "openflow/wire/action_codec.h"
#include "openflow/wire/action_internal.h"
#include "openflow/of_learn.h"
#include "packet/headers.h"

namespace flowpath::openflow::wire {

namespace {

class Checker {
 public:
  Checker(const OfMatch& match, uint8_t version, uint8_t table, uint32_t max_ports)
      : match_(match), version_(version), table_(table), max_ports_(max_ports) {}

  WireStatus check(std::span<const OfAction> actions) {
    for (const OfAction& a : actions)
      WIRE_TRY(std::visit([this](const auto& x) { return check_one(x); }, a));
    return Ok{};
  }

 private:
  // An action the match makes meaningless: an error from OpenFlow 1.1 on.
  WireStatus inconsistent(std::string_view what) {
    if (version_ == kOfp10) return Ok{};
    return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT, std::string(what));
  }
  uint16_t eth_type() const { return ntoh16(match_.value.key.eth_type); }
  bool is_ip() const {
    return eth_type() == ethertype::kIpv4 || eth_type() == ethertype::kIpv6;
  }
  bool is_mpls() const {
    return eth_type() == ethertype::kMplsUnicast || eth_type() == ethertype::kMplsMulticast;
  }
  bool has_vlan() const { return match_.value.key.vlans[0].tci & hton16(kVlanCfi); }

  WireStatus port(uint32_t p, std::string_view what) {
    if (p < max_ports_ || (p >= kOfppInPort && p <= kOfppLocal)) return Ok{};
    return wire_error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                      std::string(what) + ": port " + std::to_string(p) + " does not exist");
  }
  // Fields read or written need their prerequisites in the match.
  WireStatus field(const OfFieldInfo* f, std::string_view what) {
    if (!f || prereq_satisfied(match_, f->prereq)) return Ok{};
    return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                      std::string(what) + ": " + std::string(f->name) + " needs " +
                          std::string(prereq_name(f->prereq)) + " in the match");
  }

  WireStatus check_one(const action::Output& a) { return port(a.port, "output"); }
  WireStatus check_one(const action::OutputTrunc& a) { return port(a.port, "output"); }
  WireStatus check_one(const action::Enqueue& a) {
    if (a.port < max_ports_ || a.port == kOfppInPort || a.port == kOfppLocal) return Ok{};
    return wire_error(OfpErrorCode::OFPBAC_BAD_OUT_PORT,
                      "enqueue: port " + std::to_string(a.port) + " does not exist");
  }
  WireStatus check_one(const action::OutputReg& a) { return field(a.src.field, "output"); }
  WireStatus check_one(const action::SetField& a) {
    const OfFieldInfo* f = a.field.field;
    if (a.form == action::SetFieldForm::kLegacy) {
      const std::string_view n = f->name;
      if ((n == "ip_src" || n == "ip_dst") && eth_type() != ethertype::kIpv4)
        return inconsistent("mod_nw_src/mod_nw_dst needs an IPv4 match");
      if ((n == "nw_tos" || n == "nw_ecn" || n == "nw_ttl") && !is_ip())
        return inconsistent("mod_nw_tos/ecn/ttl needs an IP match");
      if ((n == "mpls_label" || n == "mpls_tc") && !is_mpls())
        return inconsistent("set_mpls_label/tc needs an MPLS match");
      if (f->offset == find_field("tp_src")->offset || f->offset == find_field("tp_dst")->offset) {
        const uint8_t p = match_.value.key.nw_proto;
        if (!is_ip() || (p != ipproto::kTcp && p != ipproto::kUdp && p != ipproto::kSctp))
          return inconsistent("mod_tp_src/mod_tp_dst needs a TCP, UDP or SCTP match");
      }
      return Ok{};
    }
    if (!prereq_satisfied(match_, f->prereq) || (f->name == "vlan_vid" && !has_vlan()))
      return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                        "set_field: " + std::string(f->name) + " needs " +
                            std::string(prereq_name(f->prereq)) + " in the match");
    if (f->name == "vlan_tci") {
      std::memcpy(&match_.value.key.vlans[0].tci, a.field.value, sizeof(be16));
    }
    return Ok{};
  }
  WireStatus check_one(const action::SetVlanVid& a) { return vlan_set(a.push_if_absent); }
  WireStatus check_one(const action::SetVlanPcp& a) { return vlan_set(a.push_if_absent); }
  WireStatus vlan_set(bool push_if_absent) {
    if (!has_vlan() && !push_if_absent) WIRE_TRY(inconsistent("set_vlan_* needs a VLAN tag"));
    set_vlan(true);
    return Ok{};
  }
  WireStatus check_one(const action::PopVlan&) {
    if (!has_vlan()) WIRE_TRY(inconsistent("strip_vlan needs a VLAN tag in the match"));
    set_vlan(false);
    return Ok{};
  }
  WireStatus check_one(const action::PushVlan&) {
    set_vlan(true);
    return Ok{};
  }
  void set_vlan(bool present) {
    if (present) match_.value.key.vlans[0].tci |= hton16(kVlanCfi);
    else match_.value.key.vlans[0].tci = 0;
  }
  WireStatus check_one(const action::PushMpls& a) {
    match_.value.key.eth_type = hton16(a.ethertype);
    match_.value.key.nw_proto = 0;
    return Ok{};
  }
  WireStatus check_one(const action::PopMpls& a) {
    if (!is_mpls()) WIRE_TRY(inconsistent("pop_mpls needs an MPLS match"));
    match_.value.key.eth_type = hton16(a.ethertype);
    return Ok{};
  }
  WireStatus check_one(const action::SetMplsTtl&) {
    return is_mpls() ? WireStatus(Ok{}) : inconsistent("set_mpls_ttl needs an MPLS match");
  }
  WireStatus check_one(const action::DecMplsTtl&) {
    return is_mpls() ? WireStatus(Ok{}) : inconsistent("dec_mpls_ttl needs an MPLS match");
  }
  WireStatus check_one(const action::DecTtl&) {
    return is_ip() ? WireStatus(Ok{}) : inconsistent("dec_ttl needs an IP match");
  }
  WireStatus check_one(const action::FinTimeout&) {
    return match_.value.key.nw_proto == ipproto::kTcp ? WireStatus(Ok{})
                                                       : inconsistent("fin_timeout needs a TCP match");
  }
  WireStatus check_one(const action::RegMove& a) {
    WIRE_TRY(field(a.src.field, "move"));
    return field(a.dst.field, "move");
  }
  WireStatus check_one(const action::StackPush& a) { return field(a.field.field, "push"); }
  WireStatus check_one(const action::StackPop& a) { return field(a.field.field, "pop"); }
  WireStatus check_one(const action::Multipath& a) { return field(a.dst.field, "multipath"); }
  WireStatus check_one(const action::Bundle& a) {
    for (uint32_t m : a.members)
      if (m != kOfppAny) WIRE_TRY(port(m, "bundle"));
    return a.dst.field ? field(a.dst.field, "bundle_load") : WireStatus(Ok{});
  }
  WireStatus check_one(const action::Learn& a) {
    if (Status s = check_learn(a, match_); !s)
      return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT, s.error());
    return Ok{};
  }
  WireStatus check_one(const action::Resubmit& a) {
    if (a.with_ct_orig && !prereq_satisfied(match_, FieldPrereq::kCtValid))
      return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                        "resubmit(...,ct) needs a tracked connection in the match");
    return Ok{};
  }
  WireStatus check_one(const action::Conntrack& a) {
    constexpr uint32_t kInvalid = 0x10;
    if (!is_ip() || ((match_.value.key.md.ct_state & kInvalid) && (a.flags & 1)) ||
        (a.alg == 21 && match_.value.key.nw_proto != ipproto::kTcp) ||
        (a.alg == 69 && match_.value.key.nw_proto != ipproto::kUdp))
      return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                        "ct needs an IP match (TCP for alg=ftp, UDP for alg=tftp) and cannot "
                        "commit invalid connections");
    if (a.zone_src.field) return field(a.zone_src.field, "ct");
    return Checker(match_, version_, table_, max_ports_).check(a.actions);
  }
  WireStatus check_one(const action::Nat& a) {
    const uint16_t t = eth_type();
    if (!is_ip() || (a.family == action::Nat::Family::kIpv4 && t != ethertype::kIpv4) ||
        (a.family == action::Nat::Family::kIpv6 && t != ethertype::kIpv6))
      return wire_error(OfpErrorCode::OFPBAC_MATCH_INCONSISTENT,
                        "nat needs an IP match of its address family");
    return Ok{};
  }
  WireStatus check_one(const action::Clone& a) { return check(a.actions); }
  WireStatus check_one(const action::WriteActions& a) {
    return Checker(match_, version_, table_, max_ports_).check(a.actions);
  }
  WireStatus check_one(const action::Meter& a) {
    if (a.meter_id == 0 || a.meter_id > 0xffff0000u)
      return wire_error(OfpErrorCode::OFPMMFC_INVALID_METER,
                        "meter " + std::to_string(a.meter_id) + " is not a valid meter id");
    return Ok{};
  }
  WireStatus check_one(const action::GotoTable& a) {
    if (table_ != 0xff && a.table <= table_)
      return wire_error(OfpErrorCode::OFPBIC_BAD_TABLE_ID,
                        "goto_table:" + std::to_string(a.table) + " does not go forward from table " +
                            std::to_string(table_));
    if (a.table > kMaxTableId)
      return wire_error(OfpErrorCode::OFPBIC_BAD_TABLE_ID,
                        "goto_table:" + std::to_string(a.table) + " is not a table");
    return Ok{};
  }
  WireStatus check_one(const action::DecNshTtl&) {
    return eth_type() == ethertype::kNsh ? WireStatus(Ok{})
                                         : inconsistent("dec_nsh_ttl needs an NSH match");
  }
  // Everything else has nothing to check against the flow.
  template <typename T>
  WireStatus check_one(const T&) {
    return Ok{};
  }

  OfMatch match_;
  uint8_t version_;
  uint8_t table_;
  uint32_t max_ports_;
};

}  // namespace

WireStatus check_actions(std::span<const OfAction> actions, const OfMatch& match, uint8_t version,
                         uint8_t table, uint32_t max_ports) {
  return Checker(match, version, table, max_ports).check(actions);
}

}  // namespace flowpath::openflow::wire
