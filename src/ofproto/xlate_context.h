// Internal to translation (xlate*.cc): the state of one translation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/netlink.h"
#include "ofproto/xlate.h"

namespace flowpath::ofproto {

using FieldBits = field_internal::U128;  // a subfield's bits, up to 128

class XlateContext {
 public:
  static constexpr int kMaxResubmitDepth = 64;     // as Open vSwitch
  static constexpr int kMaxResubmits = 4096;
  static constexpr size_t kMaxActionBytes = 32 * 1024;

  XlateContext(const BridgeState& bridge, const FlowKey& key, const XlateOptions& options,
               XlateResult& result);
  void run();
  // A packet-out: `actions` on the packet, from any input port (CONTROLLER,
  // LOCAL or a port); output:TABLE runs it through the pipeline.
  void run_packet_out(std::span<const OfAction> actions);

 private:

  void finish();  // the megaflow mask, action length check

  // Pipeline (xlate.cc)
  // `honor_miss`: a miss follows the table-miss behaviour (packet-in while
  // BridgeState::packet_in_on_miss), as the first table and goto_table do;
  // a resubmit's miss is silent.
  void do_table(uint8_t table, bool honor_miss = false);
  void do_actions(std::span<const OfAction> actions, uint8_t table, uint64_t cookie);
  void do_output(uint32_t of_port, uint16_t max_len, bool from_in_port_keyword);
  void do_group(uint32_t group_id, int depth);
  void do_bucket(const GroupBucket& bucket);
  void do_controller(const action::Controller& c, uint8_t table, uint64_t cookie);
  void set_vlan_vid(uint16_t vid, bool push_if_absent);
  void set_vlan_pcp(uint8_t pcp, bool push_if_absent);
  void push_vlan(uint16_t tpid);
  void pop_vlan();
  void push_mpls(uint16_t ethertype);
  void pop_mpls(uint16_t ethertype);
  bool dec_ttl(const action::DecTtl& d);
  uint32_t select_bucket_hash(const GroupSpec& group);
  bool bucket_live(const GroupBucket& bucket, int depth) const;

  // Fields: set_field, move, the stack, output:FIELD (xlate_fields.cc)
  // Writes `value` into the pipeline's flow, with its bits exact in the
  // megaflow (the datapath must rewrite them whatever they were).
  void set_field(const FieldValue& value);
  // Is the field meaningful for the packet as it is now? Un-wildcards what
  // it looked at (the EtherType, the IP protocol).
  bool field_present(const OfFieldInfo& field);
  void unwildcard(const Subfield& sub);
  FieldBits read_subfield(const Subfield& sub) const;
  // The write of `bits` into the subfield, as a set_field would make it.
  FieldValue subfield_value(const Subfield& sub, FieldBits bits) const;
  void write_subfield(const Subfield& sub, FieldBits bits);
  void do_move(const action::RegMove& move);
  void do_stack_push(const action::StackPush& push);
  void do_stack_pop(const action::StackPop& pop);
  void do_output_reg(const action::OutputReg& out);
  void do_output_trunc(const action::OutputTrunc& out);

  // Nested translations and the action set (xlate_nested.cc)
  struct Nested {  // what a nested translation must leave as it found it
    OfFlow flow;
    std::vector<OfAction> action_set;
    std::vector<FieldBits> stack;
  };
  Nested save_nested() const;
  void restore_nested(Nested&& saved);
  void do_clone(std::span<const OfAction> actions);
  // `rest`: the actions after check_pkt_larger in its list, which run in
  // both branches (and not again after).
  void do_check_pkt_larger(const action::CheckPktLarger& check, std::span<const OfAction> rest);
  void write_actions(std::span<const OfAction> actions);
  void clear_actions();
  // The action set, in OpenFlow's order, at the end of the pipeline (or of
  // a clone or check_pkt_larger branch); empties it.
  void run_action_set();

  // multipath and bundle (xlate_select.cc)
  // A hash of the NX_HASH_FIELDS_* set `fields`; those fields become exact.
  uint32_t hash_fields(uint16_t fields, uint16_t basis);
  void do_multipath(const action::Multipath& mp);
  bool member_enabled(uint32_t of_port) const;
  void do_bundle(const action::Bundle& b);

  // learn (xlate_learn.cc): the flow it learns from the packet, for the
  // caller to add; its source bits become exact in the megaflow.
  void do_learn(const action::Learn& learn);

  // Queues: the datapath's skb_priority (queue N is priority N, as Open
  // vSwitch's userspace datapath maps them).
  void do_enqueue(const action::Enqueue& e);

  // Datapath output (xlate_commit.cc)
  void output_to_dp_port(uint32_t dp_port);
  // Brings the datapath packet (base_) in line with the pipeline's flow:
  // set/push/pop actions for every difference.
  void commit();
  void commit_vlans();
  void unwildcard_vlans();

  // Conntrack (xlate_conntrack.cc)
  // For a recirculated packet: restores its frozen state and says which
  // table to start in (false: unknown id, translation failed).
  bool resume_frozen(uint8_t* table);
  void do_conntrack(const action::Conntrack& ct);
  void put_nat(const action::Nat& nat);  // ct()'s nested nat attribute
  void do_ct_clear();

  // NORMAL (xlate_normal.cc)
  void normal();
  void normal_flood(uint16_t vlan, uint32_t in_dp_port);
  // Sets the outer tag of flow_ for `vlan` on `port` (tagged or not).
  void normal_set_vlan(const BridgePort& port, uint16_t vlan);

  // Native tunnelling (xlate_tunnel.cc)
  // Output to tunnel port `port`: route, neighbour, tnl_push, then the outer
  // packet through the pipeline as received on the underlay port.
  void tunnel_output(const BridgePort& port);
  // Output to `port` of a packet addressed to one of its device's addresses
  // on a tunnel's UDP port: tnl_pop instead (true). Snoops neighbour
  // replies on the way.
  bool terminate_tunnel(const BridgePort& port);
  void snoop_neighbour(const BridgePort& port);
  // A packet decapsulated on tunnel port `in`: does its tunnel key belong
  // to the port?
  bool tunnel_input_accepted(const BridgePort& in);

  // The trace lines of a lookup a conjunctive match decided (xlate_trace.cc).
  void trace_conjunction(uint8_t table, const classifier::ConjunctionMatch& conjunction);
  void fail(std::string message);
  void trace(std::string line);
  bool tracing() const { return options_.trace != nullptr; }
  std::string indent() const { return std::string(static_cast<size_t>(depth_) * 4, ' '); }

  const BridgeState& bridge_;
  const XlateOptions& options_;
  XlateResult& result_;
  OfFlow flow_;        // the packet as the pipeline sees it now
  FlowKey base_;       // the packet as the datapath actions leave it so far
  OfFlow wc_;          // bits examined (of the original packet)
  NetlinkWriter out_;
  const Version rules_version_;  // of the rule tables: one for the whole translation
  uint32_t in_port_;   // datapath numbering, of the original packet
  int depth_ = 0;
  int resubmits_ = 0;
  bool stop_ = false;  // an error or a drop that ends the translation
  bool packet_out_ = false;  // run_packet_out: output:TABLE is allowed
  const uint32_t orig_skb_priority_;  // pop_queue's
  const Rule* rule_ = nullptr;  // whose actions run (a table-miss rule's packet-in is a miss)
  uint8_t table_ = 0;
  VlanTag normal_input_tags_[kMaxVlanTags] = {};  // flow_'s tags when NORMAL began
  bool exit_ = false;  // `exit`: no further action runs (a group bucket's ends with the bucket)
  std::vector<FieldBits> stack_;  // push:/pop: values
  std::vector<OfAction> action_set_;  // write_actions, in the order written
  static constexpr size_t kMaxStack = 1024;
  // Translating a tunnel's outer packet through the underlay: tunnel ports
  // are skipped, nothing is learned.
  bool in_underlay_ = false;
  size_t tunnel_clone_offset_ = SIZE_MAX;  // the last clone(tnl_push...) emitted
  size_t tunnel_clone_end_ = 0;
};

}  // namespace flowpath::ofproto
