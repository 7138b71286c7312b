// Internal to translation (xlate*.cc): the state of one translation.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/netlink.h"
#include "ofproto/xlate.h"

namespace flowpath::ofproto {

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
  bool dec_ttl();
  uint32_t select_bucket_hash(const GroupSpec& group);
  bool bucket_live(const GroupBucket& bucket, int depth) const;

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
  const Rule* rule_ = nullptr;  // whose actions run (a table-miss rule's packet-in is a miss)
  uint8_t table_ = 0;
  VlanTag normal_input_tags_[kMaxVlanTags] = {};  // flow_'s tags when NORMAL began
};

}  // namespace flowpath::ofproto
