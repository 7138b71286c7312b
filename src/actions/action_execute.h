// Execution of datapath action lists (OVS_ACTION_ATTR_* Netlink attributes,
// already checked by validate_actions()) on a batch of packets.
//
// The list is walked once per batch: each action is decoded once and applied
// to every packet of the batch before the next one. What leaves the executor
// (packets sent to ports, upcalls, recirculation, meters, conntrack, tunnels)
// goes through ActionContext, one call per batch.
//
// Ownership: execute_actions() consumes the batch. Every packet ends up
// handed to the context (output, recirculate, ...) or released to its pool.
// A hand-off that is the last action of its list gives the context the
// packets themselves; an earlier one gives copies taken from the context's
// pool, so later actions still see the originals. clone(), sample() and
// check_pkt_len() run their nested lists on copies, or on the originals when
// they are the last action.
//
// Semantics follow the Linux datapath and Open vSwitch's userspace one:
//  - set/set_masked on a header the packet does not have is skipped, as is a
//    set of a field that is not settable (ct_*, in_port, vlan, ethertype,
//    packet_type); sets keep IPv4, TCP, UDP, ICMP, ICMPv6 checksums right by
//    incremental update (a zero UDP checksum stays zero; one that updates to
//    zero is sent as 0xffff) and recompute SCTP's CRC32c. Sets of ICMP
//    type/code, ARP, ND and nd_ext are accepted as Open vSwitch's userspace
//    datapath accepts them (the kernel rejects them at validation).
//  - L3/L4 sets locate headers from Packet::l3_offset / l2_5_offset (the key
//    extractor sets them); push/pop actions keep the offsets right.
//  - trunc(max_len) applies to the next output, lb_output, tnl_push or
//    userspace only; a recirc or tnl_pop in between forgets it.
//  - tnl_push(...) pushes the outer header in place (tunnel/tunnel_encap.h)
//    and the list goes on, as in Open vSwitch's userspace datapath: the
//    action after it outputs the encapsulated packet. Headers of a type the
//    executor cannot push are dropped as kTunnelPushError.
//  - ct(...) goes to the context, which may change packets (NAT), drop
//    some, hold IP fragments and hand back the fragments of a datagram it
//    completed (those beyond the batch's room run the rest of the list as
//    a batch of their own); its default marks every packet tracked+invalid
//    (see conntrack()). A pending trunc() stays with the packets that were
//    in the batch; fragments handed back have none.
//  - meter(id) asks the context which packets pass; the others are dropped.
//  - check_pkt_len() splits the batch; the "greater" branch runs first, then
//    the "less or equal" one, each on its own sub-batch.
//  - A set that changes addresses or ports clears Packet::rss_hash; sets do
//    not touch ct_* metadata (only ct_clear does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "actions/action_observer.h"
#include "packet/drop_counters.h"
#include "packet/packet_batch.h"
#include "packet/packet_pool.h"

namespace flowpath {

struct ActionStats {
  uint64_t copies = 0;  // packets copied for non-final hand-offs and nested lists
};

// Small, fast, seedable generator for sample(): tests seed it to make
// sampling deterministic. Not for anything that needs unpredictability.
class RandomSource {
 public:
  explicit RandomSource(uint64_t seed = 0x9e3779b97f4a7c15ull) : state_(seed) {}
  void seed(uint64_t seed) { state_ = seed; }
  uint32_t next_u32() {  // splitmix64, upper half
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
  }

 private:
  uint64_t state_;
};

// A userspace(...) action as handed to the context.
struct UserspaceRequest {
  uint32_t pid = 0;
  std::span<const uint8_t> userdata;  // OVS_USERSPACE_ATTR_USERDATA payload, may be empty
  bool has_userdata = false;          // the attribute was present (even if empty)
  bool has_egress_tunnel_port = false;
  uint32_t egress_tunnel_port = 0;   // OVS_USERSPACE_ATTR_EGRESS_TUN_PORT
  bool include_actions = false;      // OVS_USERSPACE_ATTR_ACTIONS flag
  std::span<const uint8_t> actions;  // the top-level list being executed
  // Bytes a pending trunc() leaves out of each packet's tail (parallel to the
  // batch); empty when no trunc is pending. The packets themselves are whole.
  std::span<const uint32_t> cut;
};

// What the datapath provides to the executor. One instance per forwarding
// thread; calls are per batch. Batches passed in hold 1..32 packets.
class ActionContext {
 public:
  explicit ActionContext(PacketPool& pool) : pool_(pool) {}
  virtual ~ActionContext() = default;
  ActionContext(const ActionContext&) = delete;
  ActionContext& operator=(const ActionContext&) = delete;

  // Sends every packet of `batch` to datapath port `port`; takes ownership of
  // them (the datapath buffers per port and sends once per batch).
  virtual void output(uint32_t port, PacketBatch& batch) = 0;

  // An upcall for each packet of `batch`. The packets stay the executor's:
  // the context copies what it keeps (honouring request.cut).
  virtual void userspace(const PacketBatch& batch, const UserspaceRequest& request) = 0;

  // Processes `batch` again from the flow table; every packet's
  // md.recirc_id is already `recirc_id`. Takes ownership.
  virtual void recirculate(PacketBatch& batch, uint32_t recirc_id) = 0;

  // Runs meter `meter_id` (a MeterTable the context owns) over the batch;
  // returns a bit mask with bit i set when batch[i] passes. An unknown meter
  // passes everything, as in Linux. The executor drops the others.
  virtual uint32_t meter(uint32_t meter_id, const PacketBatch& batch) = 0;

  // ct(...): `attributes` are the nested OVS_CT_ATTR_* of the action. May
  // rewrite packets (NAT) and set their ct_* metadata; returns the mask of
  // packets that continue (the executor drops the others). Conntrack is not
  // part of this executor: the default marks each packet
  // ct_state = tracked|invalid with the action's zone (ct_mark/labels kept),
  // so flows that match on +inv see it, and keeps them all. `*why` (set to
  // kConntrack before the call) is the reason the dropped ones are counted
  // under.
  // The context may also reshape the batch for IP fragments: take
  // fragments out (held for reassembly, not dropped) and append the
  // fragments of datagrams it completed and tracked; the mask is over the
  // batch as it leaves it. Fragments that did not fit wait for
  // conntrack_more().
  virtual uint32_t conntrack(PacketBatch& batch, std::span<const uint8_t> attributes,
                             DropReason* why);
  // After conntrack(): fills `batch` (empty) with more packets that leave
  // the same ct() (fragments of completed datagrams that did not fit) and
  // returns true; the executor runs the rest of the action list on them
  // and asks again. The default has none.
  virtual bool conntrack_more(PacketBatch& batch);

  // Hand-offs the datapath may not support. Each returns true when it took
  // ownership of the packets, false to have the executor drop them
  // (counted as kTunnelPopError and kInvalidBond).
  // tnl_pop: decapsulate each packet as tunnel port `tunnel_port` receives
  // it and process it again as received there.
  virtual bool tunnel_pop(PacketBatch& batch, uint32_t tunnel_port);
  virtual bool lb_output(PacketBatch& batch, uint32_t bond_id);

  PacketPool& pool() { return pool_; }
  RandomSource& random() { return random_; }
  ActionStats& stats() { return stats_; }
  const ActionStats& stats() const { return stats_; }

  // Where the executor counts what it drops: the context's own counters
  // unless the owner points it elsewhere (a datapath's per-thread slot).
  DropCounters& drops() { return *drops_; }
  const DropCounters& drops() const { return *drops_; }
  void count_drops(DropReason why, uint64_t n) { drops_->add(why, n); }
  void set_drop_counters(DropCounters* counters) { drops_ = counters ? counters : &own_drops_; }

 private:
  PacketPool& pool_;  // copies come from here
  RandomSource random_;
  ActionStats stats_;
  DropCounters own_drops_{CounterWriters::kOne};
  DropCounters* drops_ = &own_drops_;
};

// Executes `actions` on every packet of `batch` and consumes the batch (it is
// empty on return). Every packet dropped is counted in ctx.drops() under its
// DropReason; packets that reach the end of the list without having been
// handed anywhere (an empty list, only header changes) count as kNoOutput.
// `observer`, if given, is told of every action after it ran (the
// fast-path trace); without one the cost is one test per list.
void execute_actions(PacketBatch& batch, std::span<const uint8_t> actions, ActionContext& ctx,
                     ActionObserver* observer = nullptr);

}  // namespace flowpath
