// Translation: the OpenFlow pipeline (tables, actions, groups). Datapath
// output and set actions are in xlate_commit.cc, NORMAL in xlate_normal.cc.
#include "ofproto/xlate.h"

#include <fmt/format.h>

#include <cstring>
#include <variant>

#include "common/rcu.h"
#include "flow/odp_abi.h"
#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

constexpr uint16_t kVlanCfi = 0x1000;

bool is_ip(const FlowKey& k) {
  return k.eth_type == hton16(ethertype::kIpv4) || k.eth_type == hton16(ethertype::kIpv6);
}

uint64_t hash_bytes(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

}  // namespace

XlateResult translate(const BridgeState& bridge, const FlowKey& key, const XlateOptions& options) {
  XlateResult result;
  // Rules are looked up lock-free: the read section keeps every rule of the
  // version the context reads alive until the translation is over.
  rcu::ReadSection section;
  XlateContext ctx(bridge, key, options, result);
  ctx.run();
  return result;
}

XlateResult translate_packet_out(const BridgeState& bridge, const FlowKey& key,
                                 std::span<const OfAction> actions, const XlateOptions& options) {
  XlateResult result;
  XlateContext ctx(bridge, key, options, result);
  ctx.run_packet_out(actions);
  return result;
}

XlateContext::XlateContext(const BridgeState& bridge, const FlowKey& key,
                           const XlateOptions& options, XlateResult& result)
    : bridge_(bridge), options_(options), result_(result), out_(&result.odp_actions),
      rules_version_(bridge.tables.version()), in_port_(key.md.in_port),
      orig_skb_priority_(key.md.skb_priority) {
  flow_.clear();
  flow_.key = key;
  base_ = key;
  wc_.clear();
  // Fields every translation depends on (as Open vSwitch's megaflows do):
  // the input port, the recirculation id, the packet type, the EtherType
  // and, for IP, the fragment bits; and which VLAN tags are present.
  FlowKey& m = wc_.key;
  m.md.in_port = ~0u;
  m.md.recirc_id = ~0u;
  m.md.packet_type = ~0u;
  m.eth_type = 0xffff;
  if (is_ip(key)) m.nw_frag = kFragMask;
  unwildcard_vlans();
}

void XlateContext::unwildcard_vlans() {
  FlowKey& m = wc_.key;
  for (int i = 0; i < kMaxVlanTags; ++i) {
    m.vlans[i].tci |= hton16(kVlanCfi);
    if (!(flow_.key.vlans[i].tci & hton16(kVlanCfi))) break;
    m.vlans[i].tpid = 0xffff;
  }
}

void XlateContext::run() {
  const BridgePort* in = bridge_.port(in_port_);
  if (tracing()) {
    if (tracing()) trace(fmt::format("bridge(\"{}\")", bridge_.name));
    trace("-------------");
  }
  if (!in) {
    if (tracing()) trace(fmt::format("input port {} is not a port of this bridge: drop", in_port_));
  } else if (!in->config.admin_up) {
    if (tracing()) trace(fmt::format("input port {} is administratively down: drop", in->config.name));
  } else if (in->tunnel && !tunnel_input_accepted(*in)) {
    // Decapsulated with a key or from a peer that is not this port's.
  } else if (uint8_t table = 0; !resume_frozen(&table)) {
    // A recirculation without its context: dropped (resume_frozen says why).
  } else if (flow_.key.md.recirc_id == 0 && bridge_.fail_open) {
    // Open vSwitch's fail-open rule: above every other in table 0.
    if (tracing()) trace("fail-open: no controller reachable, NORMAL forwards");
    normal();
  } else {
    // A table miss is a packet-in for a packet's first lookup, not after a
    // recirculation.
    do_table(table, flow_.key.md.recirc_id == 0);
    run_action_set();
  }
  finish();
}

void XlateContext::run_packet_out(std::span<const OfAction> actions) {
  packet_out_ = true;
  if (tracing()) trace(fmt::format("bridge(\"{}\"): packet-out", bridge_.name));
  do_actions(actions, 0, 0);
  run_action_set();
  finish();
}

void XlateContext::finish() {
  if (stop_ && result_.error) result_.odp_actions.clear();
  // A clone(tnl_push(...),...) that is the last action needs no clone: the
  // packet is not used after it (Open vSwitch's is_last_action).
  if (!result_.error && tunnel_clone_offset_ != SIZE_MAX &&
      tunnel_clone_end_ == result_.odp_actions.size()) {
    auto at = result_.odp_actions.begin() + static_cast<ptrdiff_t>(tunnel_clone_offset_);
    result_.odp_actions.erase(at, at + 4);  // the clone's attribute header
  }
  if (!out_.ok() || result_.odp_actions.size() > kMaxActionBytes) {
    result_.odp_actions.clear();
    result_.error = true;
    result_.error_message = "datapath actions too long";
  }

  // The megaflow mask: the key part of wc, completed with the prerequisites
  // the datapath needs to interpret it (an L3 field needs its EtherType, an
  // L4 field its IP protocol, ND fields the ICMPv6 type and code).
  FlowKey& m = wc_.key;
  const FlowKey& k = flow_.key;
  (void)k;
  auto any = [](const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i)
      if (b[i]) return true;
    return false;
  };
  bool l4 = m.tp_src || m.tp_dst || m.tcp_flags ||
            any(m.nd_target, sizeof m.nd_target + 12 + 4) || m.nd_options_type;
  bool l3 = l4 || m.ipv4_src || m.ipv4_dst || any(m.ipv6_src, 32) || m.ipv6_label || m.nw_proto ||
            m.nw_tos || m.nw_ttl || any(&m.arp_sha, 14);
  if (l3) m.eth_type = 0xffff;
  if (l4) m.nw_proto = 0xff;
  if (any(m.nd_target, 16) || any(&m.nd_sll, 12) || m.nd_reserved || m.nd_options_type) {
    m.tp_src = 0xffff;
    m.tp_dst = 0xffff;
  }
  result_.mask.bits = m;
}

void XlateContext::fail(std::string message) {
  if (!stop_) trace(indent() + ">>>> " + message + " <<<<");
  stop_ = true;
  result_.error = true;
  result_.error_message = std::move(message);
}

void XlateContext::trace(std::string line) {
  if (options_.trace) options_.trace->push_back(std::move(line));
}

void XlateContext::do_table(uint8_t table, bool honor_miss) {
  if (stop_) return;
  if (depth_ >= kMaxResubmitDepth) return fail("over max translation depth 64");
  if (++resubmits_ > kMaxResubmits) return fail("over 4096 resubmit actions");
  classifier::ConjunctionMatch conjunction;
  const Rule* rule =
      bridge_.tables[table].lookup(flow_, rules_version_, &wc_, tracing() ? &conjunction : nullptr);
  if (conjunction.matched) trace_conjunction(table, conjunction);
  uint8_t saved_table = table_;
  table_ = table;
  if (!rule && honor_miss && bridge_.packet_in_on_miss) {
    if (tracing()) trace(fmt::format("{}{}. No match: table miss", indent(), table));
    action::Controller miss;
    miss.reason = 0;  // no_match
    do_controller(miss, table, ControllerUserdata::kNoCookie);
  } else if (!rule) {
    if (tracing())
      if (tracing()) trace(fmt::format("{}{}. No match.\n{}    drop", indent(), table, indent()));
  } else {
    result_.counters.push_back(rule->counters);
    if (tracing())
      if (tracing()) trace(fmt::format("{}{}. {}, cookie {:#x}\n{}    {}", indent(), table,
                        rule->match.catch_all() && rule->priority == kDefaultPriority
                            ? std::string("priority 32768")
                            : format_of_match(rule->match, rule->priority),
                        rule->cookie, indent(), format_of_actions(rule->actions)));
    ++depth_;
    const Rule* saved_rule = rule_;
    rule_ = rule;
    do_actions(rule->actions, table, rule->cookie);
    rule_ = saved_rule;
    --depth_;
  }
  table_ = saved_table;
}

void XlateContext::do_actions(std::span<const OfAction> actions, uint8_t table, uint64_t cookie) {
  for (size_t i = 0; i < actions.size(); ++i) {
    const OfAction& a = actions[i];
    if (stop_ || exit_) return;
    if (const auto* o = std::get_if<action::Output>(&a)) {
      do_output(o->port, o->max_len, false);
    } else if (const auto* c = std::get_if<action::Controller>(&a)) {
      do_controller(*c, table, cookie);
    } else if (const auto* s = std::get_if<action::SetField>(&a)) {
      set_field(s->field);
    } else if (const auto* mv = std::get_if<action::RegMove>(&a)) {
      do_move(*mv);
    } else if (const auto* push = std::get_if<action::StackPush>(&a)) {
      do_stack_push(*push);
    } else if (const auto* pop = std::get_if<action::StackPop>(&a)) {
      do_stack_pop(*pop);
    } else if (const auto* oreg = std::get_if<action::OutputReg>(&a)) {
      do_output_reg(*oreg);
    } else if (const auto* trunc = std::get_if<action::OutputTrunc>(&a)) {
      do_output_trunc(*trunc);
    } else if (const auto* clone = std::get_if<action::Clone>(&a)) {
      do_clone(clone->actions);
    } else if (const auto* check = std::get_if<action::CheckPktLarger>(&a)) {
      do_check_pkt_larger(*check, actions.subspan(i + 1));
      return;
    } else if (const auto* write = std::get_if<action::WriteActions>(&a)) {
      write_actions(write->actions);
    } else if (std::holds_alternative<action::ClearActions>(a)) {
      clear_actions();
    } else if (std::holds_alternative<action::Exit>(a)) {
      trace(indent() + "exit: no further action runs");
      exit_ = true;
    } else if (const auto* v = std::get_if<action::SetVlanVid>(&a)) {
      set_vlan_vid(v->vid, v->push_if_absent);
    } else if (const auto* p = std::get_if<action::SetVlanPcp>(&a)) {
      set_vlan_pcp(p->pcp, p->push_if_absent);
    } else if (const auto* pv = std::get_if<action::PushVlan>(&a)) {
      push_vlan(pv->tpid);
    } else if (std::holds_alternative<action::PopVlan>(a)) {
      pop_vlan();
    } else if (const auto* pm = std::get_if<action::PushMpls>(&a)) {
      push_mpls(pm->ethertype);
    } else if (const auto* pp = std::get_if<action::PopMpls>(&a)) {
      pop_mpls(pp->ethertype);
    } else if (const auto* dt = std::get_if<action::DecTtl>(&a)) {
      if (!dec_ttl(*dt)) return;
    } else if (const auto* mp = std::get_if<action::Multipath>(&a)) {
      do_multipath(*mp);
    } else if (const auto* bundle = std::get_if<action::Bundle>(&a)) {
      do_bundle(*bundle);
    } else if (const auto* sq = std::get_if<action::SetQueue>(&a)) {
      wc_.key.md.skb_priority = ~0u;
      flow_.key.md.skb_priority = sq->queue_id;
      if (tracing()) trace(fmt::format("{}queue = {:#x}", indent(), sq->queue_id));
    } else if (std::holds_alternative<action::PopQueue>(a)) {
      wc_.key.md.skb_priority = ~0u;
      flow_.key.md.skb_priority = orig_skb_priority_;
    } else if (const auto* learn = std::get_if<action::Learn>(&a)) {
      do_learn(*learn);
    } else if (const auto* enq = std::get_if<action::Enqueue>(&a)) {
      do_enqueue(*enq);
    } else if (const auto* st = std::get_if<action::SetMplsTtl>(&a)) {
      if (!flow_.key.mpls_lse[0] && flow_.key.eth_type != hton16(0x8847) &&
          flow_.key.eth_type != hton16(0x8848))
        continue;
      wc_.key.mpls_lse[0] |= hton32(0xff);
      flow_.key.mpls_lse[0] = (flow_.key.mpls_lse[0] & hton32(~0xffu)) | hton32(st->ttl);
    } else if (std::holds_alternative<action::DecMplsTtl>(a)) {
      if (flow_.key.eth_type != hton16(0x8847) && flow_.key.eth_type != hton16(0x8848)) continue;
      wc_.key.mpls_lse[0] |= hton32(0xff);
      uint32_t lse = ntoh32(flow_.key.mpls_lse[0]);
      if ((lse & 0xff) <= 1) {
        trace(indent() + "MPLS TTL expired: the rest of this action list is skipped");
        return;
      }
      flow_.key.mpls_lse[0] = hton32(lse - 1);
    } else if (const auto* r = std::get_if<action::Resubmit>(&a)) {
      uint8_t t = r->table == kTableAll ? table : r->table;
      uint32_t saved = flow_.key.md.in_port;
      if (r->in_port != kOfppInPort) flow_.key.md.in_port = of_port_to_dp(r->in_port);
      do_table(t);
      flow_.key.md.in_port = saved;
    } else if (const auto* g = std::get_if<action::GotoTable>(&a)) {
      do_table(g->table, true);
    } else if (const auto* wm = std::get_if<action::WriteMetadata>(&a)) {
      flow_.metadata = (flow_.metadata & ~wm->mask) | (wm->value & wm->mask);
    } else if (const auto* gr = std::get_if<action::Group>(&a)) {
      do_group(gr->group_id, 0);
    } else if (const auto* me = std::get_if<action::Meter>(&a)) {
      if (!bridge_.meters.count(me->meter_id)) {
        if (tracing()) trace(fmt::format("{}meter {} does not exist: drop", indent(), me->meter_id));
        return;
      }
      out_.put_u32(odp::kActionMeter, me->meter_id);
    } else if (const auto* ct = std::get_if<action::Conntrack>(&a)) {
      do_conntrack(*ct);
    } else if (std::holds_alternative<action::CtClear>(a)) {
      do_ct_clear();
    } else if (std::holds_alternative<action::Conjunction>(a)) {
      // Only a packet-out, clone or bucket can run one: a rule of
      // conjunction actions is never the rule a lookup returns.
      if (tracing()) trace(indent() + "conjunction: does nothing outside a conjunctive match");
    } else if (const auto* tun = std::get_if<action::SetTunnel>(&a)) {
      // Tunnel metadata is consumed by output to a tunnel port (key=flow);
      // nothing is written to the packet.
      flow_.key.md.tunnel.tun_id = hton64(tun->tun_id);
    }
  }
}

void XlateContext::do_controller(const action::Controller& c, uint8_t table, uint64_t cookie) {
  commit();
  ControllerUserdata ud{};
  ud.reason = c.reason;
  // A packet sent by a table-miss rule is a miss to OpenFlow 1.3+
  // controllers (reason no_match), an action to older ones.
  if (c.reason == 1 && rule_ && rule_->priority == 0 && rule_->match.catch_all())
    ud.flags |= ControllerUserdata::kExplicitMiss;
  ud.table = table;
  ud.max_len = c.max_len;
  ud.controller_id = c.controller_id;
  ud.cookie = cookie;
  size_t nest = out_.begin_nested(odp::kActionUserspace);
  out_.put_u32(odp::kUserspacePid, 0);
  std::vector<uint8_t> userdata(sizeof ud + c.userdata.size());
  std::memcpy(userdata.data(), &ud, sizeof ud);
  std::copy(c.userdata.begin(), c.userdata.end(), userdata.begin() + sizeof ud);
  out_.put(odp::kUserspaceUserdata, userdata.data(), userdata.size());
  out_.end_nested(nest);
  trace(indent() + "-> sent to the controller (queued as a packet-in)");
}

void XlateContext::do_output(uint32_t of_port, uint16_t /*max_len*/, bool) {
  switch (of_port) {
    case kOfppNormal:
      normal();
      return;
    case kOfppFlood:
    case kOfppAll:
      for (const auto& [dp_port, port] : bridge_.ports) {
        if (dp_port == flow_.key.md.in_port || !port.live()) continue;
        output_to_dp_port(dp_port);
      }
      return;
    case kOfppInPort:
      output_to_dp_port(flow_.key.md.in_port);
      return;
    case kOfppController:
      do_controller(action::Controller{}, table_, 0);
      return;
    case kOfppTable:
      if (packet_out_) {  // a packet-out's output:TABLE runs the pipeline
        do_table(0, true);
        return;
      }
      [[fallthrough]];
    case kOfppAny:
      trace(indent() + "output to TABLE/ANY is only valid in packet-outs: ignored");
      return;
    default:
      break;
  }
  uint32_t dp_port = of_port_to_dp(of_port);
  if (dp_port == flow_.key.md.in_port) {
    if (tracing()) trace(fmt::format("{}skipping output to input port {}", indent(), of_port));
    return;
  }
  output_to_dp_port(dp_port);
}

void XlateContext::do_enqueue(const action::Enqueue& e) {
  wc_.key.md.skb_priority = ~0u;
  uint32_t dp_port = of_port_to_dp(e.port);
  if (e.port == kOfppInPort) {
    dp_port = flow_.key.md.in_port;
  } else if (dp_port == flow_.key.md.in_port) {
    return;
  }
  const uint32_t saved = flow_.key.md.skb_priority;
  flow_.key.md.skb_priority = e.queue;
  if (tracing()) trace(fmt::format("{}enqueue: queue {} (skb_priority {:#x})", indent(), e.queue, e.queue));
  output_to_dp_port(dp_port);
  flow_.key.md.skb_priority = saved;
}

bool XlateContext::dec_ttl(const action::DecTtl& d) {
  FlowKey& k = flow_.key;
  if (k.eth_type != hton16(ethertype::kIpv4) && k.eth_type != hton16(ethertype::kIpv6)) {
    trace(indent() + "dec_ttl on a non-IP packet: ignored");
    return true;
  }
  wc_.key.nw_ttl = 0xff;
  wc_.key.nw_proto = 0xff;
  if (k.nw_ttl <= 1) {
    // Each listed controller gets the packet (reason invalid_ttl).
    for (uint16_t id : d.controller_ids) {
      action::Controller c;
      c.reason = 2;  // OFPR_INVALID_TTL
      c.controller_id = id;
      do_controller(c, table_, rule_ ? rule_->cookie : 0);
    }
    trace(indent() + "TTL exceeded: the rest of this action list is skipped");
    return false;
  }
  --k.nw_ttl;
  return true;
}

void XlateContext::set_vlan_vid(uint16_t vid, bool push_if_absent) {
  unwildcard_vlans();
  VlanTag& t = flow_.key.vlans[0];
  if (!(t.tci & hton16(kVlanCfi))) {
    if (!push_if_absent) return;
    push_vlan(0x8100);
  }
  wc_.key.vlans[0].tci |= hton16(0x0fff);
  t.tci = hton16(static_cast<uint16_t>((ntoh16(t.tci) & 0xf000) | (vid & 0xfff) | kVlanCfi));
}

void XlateContext::set_vlan_pcp(uint8_t pcp, bool push_if_absent) {
  unwildcard_vlans();
  VlanTag& t = flow_.key.vlans[0];
  if (!(t.tci & hton16(kVlanCfi))) {
    if (!push_if_absent) return;
    push_vlan(0x8100);
  }
  wc_.key.vlans[0].tci |= hton16(0xe000);
  t.tci = hton16(static_cast<uint16_t>((ntoh16(t.tci) & 0x1fff) | ((pcp & 7) << 13)));
}

void XlateContext::push_vlan(uint16_t tpid) {
  unwildcard_vlans();
  FlowKey& k = flow_.key;
  if (k.vlans[kMaxVlanTags - 1].tci & hton16(kVlanCfi)) {
    trace(indent() + "push_vlan: already two tags, ignored");
    return;
  }
  // The new outer tag copies the VID and PCP of the old outer tag (OpenFlow).
  wc_.key.vlans[0].tci = 0xffff;
  for (int i = kMaxVlanTags - 1; i > 0; --i) k.vlans[i] = k.vlans[i - 1];
  k.vlans[0].tpid = hton16(tpid);
  k.vlans[0].tci = hton16(static_cast<uint16_t>(
      (k.vlans[1].tci & hton16(kVlanCfi) ? ntoh16(k.vlans[1].tci) : 0) | kVlanCfi));
}

void XlateContext::pop_vlan() {
  unwildcard_vlans();
  FlowKey& k = flow_.key;
  if (!(k.vlans[0].tci & hton16(kVlanCfi))) return;
  for (int i = 0; i < kMaxVlanTags - 1; ++i) k.vlans[i] = k.vlans[i + 1];
  k.vlans[kMaxVlanTags - 1] = VlanTag{0, 0};
}

void XlateContext::push_mpls(uint16_t ethertype) {
  // The datapath cannot rewrite L3/L4 under an MPLS header: commit first.
  commit();
  FlowKey& k = flow_.key;
  uint32_t lse;
  if (k.eth_type == hton16(0x8847) || k.eth_type == hton16(0x8848)) {
    wc_.key.mpls_lse[0] = 0xffffffff;
    lse = ntoh32(k.mpls_lse[0]) & ~0x100u;  // copy, not bottom of stack
  } else {
    wc_.key.nw_ttl = 0xff;
    wc_.key.nw_tos = 0xff;
    lse = 0x100u | (is_ip(k) ? k.nw_ttl : 64u) | (is_ip(k) ? ((k.nw_tos >> 5) & 7u) << 9 : 0u);
  }
  odp::ActionPushMpls push{hton32(lse), hton16(ethertype)};
  out_.put(odp::kActionPushMpls, &push, sizeof push);
  for (int i = kMaxMplsLabels - 1; i > 0; --i) k.mpls_lse[i] = k.mpls_lse[i - 1];
  k.mpls_lse[0] = hton32(lse);
  k.eth_type = hton16(ethertype);
  base_ = k;
}

void XlateContext::pop_mpls(uint16_t ethertype) {
  FlowKey& k = flow_.key;
  if (k.eth_type != hton16(0x8847) && k.eth_type != hton16(0x8848)) {
    trace(indent() + "pop_mpls on a non-MPLS packet: ignored");
    return;
  }
  commit();
  wc_.key.mpls_lse[0] = 0xffffffff;
  out_.put_u16(odp::kActionPopMpls, hton16(ethertype));
  bool bottom = ntoh32(k.mpls_lse[0]) & 0x100u;
  for (int i = 0; i < kMaxMplsLabels - 1; ++i) k.mpls_lse[i] = k.mpls_lse[i + 1];
  k.mpls_lse[kMaxMplsLabels - 1] = 0;
  if (bottom) {
    // What follows is not parsed yet: further L3 matches see nothing.
    k.eth_type = hton16(ethertype);
    k.mpls_lse[0] = 0;
  }
  base_ = k;
}

bool XlateContext::bucket_live(const GroupBucket& bucket, int depth) const {
  if (bucket.watch_port != kOfppAny) {
    const BridgePort* p = bridge_.port(of_port_to_dp(bucket.watch_port));
    if (!p || !p->live()) return false;
  }
  if (bucket.watch_group != kOfgAny) {
    if (depth > 8) return false;
    auto it = bridge_.groups.find(bucket.watch_group);
    if (it == bridge_.groups.end()) return false;
    bool any = false;
    for (const GroupBucket& b : it->second->spec.buckets) any = any || bucket_live(b, depth + 1);
    if (!any) return false;
  }
  return true;
}

uint32_t XlateContext::select_bucket_hash(const GroupSpec& group) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](size_t offset, size_t bytes) {
    h = hash_bytes(h, flow_.bytes() + offset, bytes);
    uint8_t* w = wc_.bytes() + offset;
    for (size_t i = 0; i < bytes; ++i) w[i] = 0xff;
  };
  constexpr size_t k = offsetof(OfFlow, key);
  if (group.selection_method == "hash" && !group.fields.empty()) {
    for (const OfFieldInfo* f : group.fields) mix(f->offset, f->bytes);
  } else {
    // Default: the L2-L4 addresses, as Open vSwitch's default select hash.
    mix(k + offsetof(FlowKey, eth_src), 6);
    mix(k + offsetof(FlowKey, eth_dst), 6);
    const FlowKey& key = flow_.key;
    if (key.eth_type == hton16(ethertype::kIpv4)) {
      mix(k + offsetof(FlowKey, ipv4_src), 8);
    } else if (key.eth_type == hton16(ethertype::kIpv6)) {
      mix(k + offsetof(FlowKey, ipv6_src), 32);
    }
    if (is_ip(key)) {
      mix(k + offsetof(FlowKey, nw_proto), 1);
      if ((key.nw_proto == 6 || key.nw_proto == 17 || key.nw_proto == 132) &&
          !(key.nw_frag & kFragLater))
        mix(k + offsetof(FlowKey, tp_src), 4);
    }
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

void XlateContext::do_bucket(const GroupBucket& bucket) {
  // Each bucket acts on its own copy of the packet (OpenFlow group
  // semantics): its changes do not leak to the next bucket or back.
  OfFlow saved = flow_;
  ++depth_;
  do_actions(bucket.actions, table_, 0);
  --depth_;
  flow_ = saved;
  exit_ = false;  // a bucket's exit ends the bucket, not what follows the group
}

void XlateContext::do_group(uint32_t group_id, int) {
  auto it = bridge_.groups.find(group_id);
  if (it == bridge_.groups.end()) {
    if (tracing()) trace(fmt::format("{}group {} does not exist: drop", indent(), group_id));
    return;
  }
  const GroupEntry& g = *it->second;
  result_.counters.push_back(g.counters);
  const auto& buckets = g.spec.buckets;
  if (tracing()) trace(fmt::format("{}group:{} ({})", indent(), group_id, to_string(g.spec.type)));
  switch (g.spec.type) {
    case GroupType::kAll:
      for (const GroupBucket& b : buckets) do_bucket(b);
      break;
    case GroupType::kIndirect:
      if (!buckets.empty()) do_bucket(buckets[0]);
      break;
    case GroupType::kFastFailover: {
      for (const GroupBucket& b : buckets) {
        // Liveness depends on port state, which the revalidator watches.
        if (bucket_live(b, 0)) {
          if (tracing()) trace(fmt::format("{}  bucket {} is live", indent(), b.bucket_id));
          do_bucket(b);
          return;
        }
      }
      trace(indent() + "  no live bucket: drop");
      break;
    }
    case GroupType::kSelect: {
      uint64_t total = 0;
      for (const GroupBucket& b : buckets) total += b.weight;
      if (total == 0) {
        trace(indent() + "  no bucket with weight: drop");
        break;
      }
      uint64_t pick = select_bucket_hash(g.spec) % total;
      for (const GroupBucket& b : buckets) {
        if (pick < b.weight) {
          if (tracing()) trace(fmt::format("{}  selected bucket {}", indent(), b.bucket_id));
          do_bucket(b);
          break;
        }
        pick -= b.weight;
      }
      break;
    }
  }
}

}  // namespace flowpath::ofproto
