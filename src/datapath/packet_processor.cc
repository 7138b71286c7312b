#include "common/clock.h"
#include "datapath/packet_processor.h"

#include <bit>
#include <cstring>

#include "conntrack/ct_request.h"
#include "flow/key_extract.h"
#include "flow/key_netlink.h"
#include "packet/offload_finish.h"
#include "table/bit_count.h"
#include "table/megaflow_table.h"
#include "tunnel/tunnel_decap.h"
#include "vport/tunnel_port.h"

namespace flowpath {

namespace {

// Do two action lists hold the same bytes?
inline bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() &&
         (a.data() == b.data() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// The caches' packet hash: equal keys must hash equally, so any subset of
// the key's words will do. These few cover what varies between flows
// (in_port, recirc_id, EtherType, IPv4 or the low IPv6 address halves, L4
// ports). They are combined as a sum of products with distinct odd
// constants, independent multiplies rather than a chain of mixing steps
// (half the instructions): keys that differ in one word always differ in
// the sum, and hash_finish() spreads every bit of it over the result.
inline uint32_t cache_hash(const FlowKey& key) {
  constexpr size_t kInPort = FlowKey::word_of(offsetof(FlowKey, md.in_port));
  constexpr size_t kRecircId = FlowKey::word_of(offsetof(FlowKey, md.recirc_id));
  constexpr size_t kEthType = FlowKey::word_of(offsetof(FlowKey, eth_type));
  constexpr size_t kIpv4 = FlowKey::word_of(offsetof(FlowKey, ipv4_src));
  constexpr size_t kIpv6SrcLow = FlowKey::word_of(offsetof(FlowKey, ipv6_src) + 8);
  constexpr size_t kIpv6DstLow = FlowKey::word_of(offsetof(FlowKey, ipv6_dst) + 8);
  constexpr size_t kPorts = FlowKey::word_of(offsetof(FlowKey, tp_src));
  static_assert(kInPort != kRecircId && FlowKey::word_of(offsetof(FlowKey, ipv4_dst)) == kIpv4 &&
                FlowKey::word_of(offsetof(FlowKey, tp_dst)) == kPorts);
  const uint64_t* w = key.words();
  const uint64_t h = w[kInPort] * 0x9e3779b97f4a7c15ULL + w[kRecircId] * 0xc2b2ae3d27d4eb4fULL +
                     w[kEthType] * 0x165667b19e3779f9ULL + w[kIpv4] * 0xd6e8feb86659fd93ULL +
                     w[kIpv6SrcLow] * 0xff51afd7ed558ccdULL +
                     w[kIpv6DstLow] * 0xc4ceb9fe1a85ec53ULL + w[kPorts] * 0x94d049bb133111ebULL;
  return hash_finish(h);
}

}  // namespace

PacketProcessor::PacketProcessor(PacketPool& pool, int thread)
    : ActionContext(pool), thread_(thread) {
  key_attrs_.reserve(1024);
}

void PacketProcessor::process(Datapath& dp, PacketBatch& batch) {
  dp_ = &dp;
  counters_ = &dp.counters(thread_);
  set_drop_counters(&counters_->drops());
  stats_.packets += batch.size();
  ++stats_.batches;
  recirc_depth_ = 0;
  // The trace's one test per batch: off, it costs this predictable branch.
  if (PacketTrace* trace = dp.armed_trace(); trace != nullptr) [[unlikely]] {
    process_traced(*trace, batch);
    return;
  }
  classify_and_execute(batch);
  run_recirculations();
  flush_outputs();
}

ExecuteOutcome PacketProcessor::execute(Datapath& dp, PacketBatch& batch,
                                        std::span<const uint8_t> actions) {
  dp_ = &dp;
  counters_ = &dp.counters(thread_);
  // This execution's drops are counted apart first, to tell the caller.
  DropCounters execution_drops(CounterWriters::kOne);
  set_drop_counters(&execution_drops);
  const ProcessorStats before = stats_;
  recirc_depth_ = 0;
  // Actions that rewrite headers need the layer offsets the extractor sets.
  extract_keys(batch, keys_.data(), dp_->vlan_headers());
  execute_actions(batch, actions, *this);
  run_recirculations();
  flush_outputs();
  set_drop_counters(&counters_->drops());
  ExecuteOutcome outcome;
  outcome.drops = execution_drops.snapshot();
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (outcome.drops.count[i] != 0)
      counters_->count_drops(static_cast<DropReason>(i), outcome.drops.count[i]);
  }
  outcome.sent = stats_.sent_packets - before.sent_packets - outcome.drops[DropReason::kTxFailure];
  outcome.upcalls = (stats_.misses - before.misses) - (stats_.lost - before.lost) +
                    (stats_.userspace_upcalls - before.userspace_upcalls);
  return outcome;
}

void PacketProcessor::drop(PacketBatch& batch, DropReason why) {
  count_drops(why, batch.size());
  for (Packet* p : batch) p->pool()->release(p);
  batch.clear();
}

void PacketProcessor::classify_and_execute(PacketBatch& batch) {
  const size_t n = batch.size();
  if (n == 0) return;
  extract_keys(batch, keys_.data(), dp_->vlan_headers());
  uint64_t hit_map = lookup(n);
  const uint64_t all = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  if (hit_map != all) upcall_misses(batch, hit_map);

  if (hit_map != 0) execute_hits(batch, hit_map);
  batch.clear();  // every packet was executed, or queued to userspace and released
}

// Hits are grouped by flow (each flow's statistics are updated once per
// batch), then flows whose action lists are byte-identical are executed
// together: many megaflows often share one list ("output to the uplink"),
// and one execution per list instead of per flow is most of the gain on
// many-flow batches. Within an execution packets keep their batch order.
void PacketProcessor::execute_hits(const PacketBatch& received, uint64_t hit_map) {
  // Consecutive packets of one flow (the usual case) are counted in locals
  // and added to their group when the flow changes.
  uint8_t group_of[PacketBatch::kMaxSize];
  size_t n_groups = 0;
  Megaflow* current = nullptr;
  uint8_t g = 0;
  uint32_t packets = 0;
  uint64_t bytes = 0;
  be16 tcp_flags = 0;
  auto add_to_group = [&] {
    FlowGroup& group = groups_[g];
    group.packets += packets;
    group.bytes += bytes;
    group.tcp_flags |= ntoh16(tcp_flags);
  };
  for (uint64_t m = hit_map; m != 0; m &= m - 1) {
    const int i = std::countr_zero(m);
    Megaflow* flow = flows_[i];
    if (flow != current) {
      if (current != nullptr) add_to_group();
      current = flow;
      g = find_or_add_group(flow, &n_groups);
      packets = 0;
      bytes = 0;
      tcp_flags = 0;
    }
    group_of[i] = g;
    ++packets;
    bytes += received[i]->size();
    // The flags a flow's statistics show are the key's TCP-flags slot, as in
    // Open vSwitch, where an ICMPv6 neighbour discovery packet keeps the
    // type of its link-layer address option (1 or 2) there.
    tcp_flags |= keys_[i].tcp_flags | hton16(keys_[i].nd_options_type);
  }
  add_to_group();

  // Statistics per flow; one run per distinct action list.
  const uint64_t now = monotonic_ms();
  size_t n_runs = 0;
  for (size_t k = 0; k < n_groups; ++k) {
    FlowGroup& group = groups_[k];
    group.flow->record(group.packets, group.bytes, now, group.tcp_flags);
    const std::span<const uint8_t> actions = group.flow->actions();
    size_t r = 0;
    while (r < n_runs && !same_bytes(run_actions_[r], actions)) ++r;
    if (r == n_runs) run_actions_[n_runs++] = actions;
    group.run = static_cast<uint8_t>(r);
    group_slots_[group.slot] = nullptr;  // leave the lookup table empty for the next batch
  }

  if (n_runs == 1) {
    PacketBatch& run = runs_[0];
    if (hit_map == (uint64_t{1} << received.size()) - 1) {
      run = received;
    } else {
      run.clear();
      for (uint64_t m = hit_map; m != 0; m &= m - 1) run.add(received[std::countr_zero(m)]);
    }
  } else {
    for (size_t r = 0; r < n_runs; ++r) runs_[r].clear();
    for (uint64_t m = hit_map; m != 0; m &= m - 1) {
      const int i = std::countr_zero(m);
      runs_[groups_[group_of[i]].run].add(received[i]);
    }
  }
  for (size_t r = 0; r < n_runs; ++r) execute_actions(runs_[r], run_actions_[r], *this);
}

uint8_t PacketProcessor::find_or_add_group(Megaflow* flow, size_t* n_groups) {
  // Flows are 64-byte aligned: the bits above those spread well once mixed.
  uint32_t slot = static_cast<uint32_t>(
      ((reinterpret_cast<uintptr_t>(flow) >> 6) * 0x9e3779b97f4a7c15ULL) >> (64 - kGroupSlotBits));
  while (group_slots_[slot] != nullptr) {
    if (group_slots_[slot] == flow) return group_index_[slot];
    slot = (slot + 1) & (kGroupSlots - 1);
  }
  const uint8_t g = static_cast<uint8_t>((*n_groups)++);
  group_slots_[slot] = flow;
  group_index_[slot] = g;
  groups_[g] = FlowGroup{flow, 0, 0, 0, static_cast<uint8_t>(slot), 0};
  return g;
}

uint64_t PacketProcessor::lookup(size_t n) {
  const uint64_t all = (uint64_t{1} << n) - 1;  // n <= 32
  SubtableSearches searched;
  uint64_t hit_map;
  uint64_t emc_hits = 0;
  uint64_t smc_hits = 0;
  FlowCaches* caches = dp_->caches(thread_);
  // With one mask the classifier is a single probe, as cheap as the
  // signature cache; the cache pays off from two masks up.
  const bool use_smc = caches && caches->use_smc && dp_->flows().mask_count() > 1;
  const bool use_emc = caches && caches->use_emc.load(std::memory_order_relaxed);
  if (caches == nullptr || (!use_smc && !use_emc)) {
    hit_map = dp_->flows().lookup_batch(std::span<const FlowKey>(keys_.data(), n), flows_.data(),
                                        &searched);
  } else {
    // Exact-match cache, then signature cache, then the classifier for what
    // is left; hits of a lower layer are offered to the layers above.
    const FlowKey* key_ptrs[PacketBatch::kMaxSize] = {};
    uint32_t hashes[PacketBatch::kMaxSize] = {};
    for (size_t i = 0; i < n; ++i) {
      key_ptrs[i] = &keys_[i];
      hashes[i] = cache_hash(keys_[i]);
    }
    if (use_emc) {
      // A change of emc-insert-inv-prob reaches the thread's own cache here,
      // once per batch: one relaxed load, no lock.
      const uint32_t inverse = caches->emc_insert_inv_prob.load(std::memory_order_relaxed);
      if (inverse != caches->emc.inverse_probability()) caches->emc.set_inverse_probability(inverse);
      emc_hits = caches->emc.lookup_batch(key_ptrs, hashes, n, flows_.data());
    }
    uint64_t wanted = all & ~emc_hits;
    if (wanted && use_smc) {
      smc_hits = caches->smc.lookup_batch(key_ptrs, hashes, n, flows_.data(), wanted);
    }
    wanted &= ~smc_hits;
    uint64_t table_hits = 0;
    if (wanted) {
      const FlowKey* rest[PacketBatch::kMaxSize];
      Megaflow* rest_flows[PacketBatch::kMaxSize];
      uint8_t index[PacketBatch::kMaxSize];
      size_t k = 0;
      for (uint64_t m = wanted; m; m &= m - 1) {
        int i = __builtin_ctzll(m);
        index[k] = static_cast<uint8_t>(i);
        rest[k++] = key_ptrs[i];
      }
      uint64_t rest_hits = dp_->flows().lookup_batch(rest, k, rest_flows, &searched);
      for (size_t j = 0; j < k; ++j) {
        int i = index[j];
        flows_[i] = rest_flows[j];
        if (!(rest_hits & (uint64_t{1} << j))) continue;
        table_hits |= uint64_t{1} << i;
        if (use_smc) caches->smc.insert(hashes[i], *rest_flows[j]);
        if (use_emc) caches->emc.offer(keys_[i], hashes[i], *rest_flows[j]);
      }
    }
    for (uint64_t m = use_emc ? smc_hits : 0; m; m &= m - 1) {
      int i = __builtin_ctzll(m);
      caches->emc.offer(keys_[i], hashes[i], *flows_[i]);
    }
    stats_.emc_hits += static_cast<uint64_t>(count_bits(emc_hits));
    stats_.smc_hits += static_cast<uint64_t>(count_bits(smc_hits));
    hit_map = emc_hits | smc_hits | table_hits;
  }
  last_emc_hits_ = emc_hits;
  last_smc_hits_ = smc_hits;
  last_subtables_searched_ = searched.all;
  const uint64_t n_hits = static_cast<uint64_t>(count_bits(hit_map));
  stats_.hits += n_hits;
  stats_.megaflow_hit_lookups += searched.by_hits;
  counters_->count_lookups(n_hits, n - n_hits, searched.all);
  return hit_map;
}

// An upcall carries the frame's bytes only, not its offload state (the slow
// path executes them as a new packet), so a checksum the sender left
// partial is completed first: the packet the slow path sends out again is
// then valid on any port. (A super-frame stays one: executed, it is above
// the output port's MTU and dropped, and its sender retransmits through the
// megaflow the upcall installed.)
void PacketProcessor::finish_checksum_for_upcall(Packet& p) {
  if ((p.offload.needs & offload::kPartialChecksum) != 0) [[unlikely]] finish_checksum(p);
}

void PacketProcessor::upcall_misses(const PacketBatch& batch, uint64_t hit_map) {
  uint64_t misses = 0, lost = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (hit_map & (uint64_t{1} << i)) continue;
    ++misses;
    Packet* p = batch[i];
    finish_checksum_for_upcall(*p);
    NetlinkWriter writer(&key_attrs_);
    writer.truncate(0);
    encode_key(keys_[i], writer, nullptr, dp_->vlan_headers());
    if (auto why = dp_->upcalls().enqueue(UpcallType::kMiss, {p->data(), p->size()}, keys_[i],
                                          key_attrs_)) {
      ++lost;
      dp_->count_upcall_lost(drops(), keys_[i].md.in_port, *why, 1);
    }
    p->pool()->release(p);
  }
  stats_.misses += misses;
  if (lost != 0) {
    stats_.lost += lost;
    counters_->count_lost_misses(lost);
  }
}

void PacketProcessor::output(uint32_t port_no, PacketBatch& batch) {
  DatapathPort* port = dp_->port(port_no);
  if (port == nullptr) {
    drop(batch, DropReason::kInvalidPort);
    return;
  }
  PendingOutput* pending = nullptr;
  for (size_t i = 0; i < n_pending_; ++i) {
    if (pending_[i].port == port) {
      pending = &pending_[i];
      break;
    }
  }
  if (pending == nullptr) {
    if (n_pending_ == kMaxPendingPorts) flush_outputs();
    pending = &pending_[n_pending_++];
    pending->port = port;
  }
  // The pending batch's size stays in a local: stores through the packet
  // pointers would otherwise make the compiler reload it for every packet.
  const uint32_t untagged_limit = port->max_untagged_frame();
  Packet** out = pending->batch.data();
  size_t n = pending->batch.size();
  uint32_t too_big = 0;
  uint32_t not_ethernet = 0;
  for (Packet* p : batch) {
    if (p->size() > untagged_limit && !port->fits_mtu(*p)) [[unlikely]] {
      p->pool()->release(p);
      ++too_big;
      continue;
    }
    // Every port takes Ethernet frames only: a packet left without its
    // Ethernet header (add_mpls without the L3 flag, pop_eth) is not sent,
    // as Open vSwitch's userspace datapath does not send it either.
    if (p->md.packet_type != 0) [[unlikely]] {
      p->pool()->release(p);
      ++not_ethernet;
      continue;
    }
    if (n == PacketBatch::kMaxSize) [[unlikely]] {
      pending->batch.resize(n);
      send(*port, pending->batch);
      n = 0;
    }
    out[n++] = p;
  }
  pending->batch.resize(n);
  batch.clear();
  if (too_big != 0) [[unlikely]] {
    count_drops(DropReason::kMtuExceeded, too_big);
    port->vport().count_drops(DropReason::kMtuExceeded, too_big);
  }
  if (not_ethernet != 0) [[unlikely]] {
    count_drops(DropReason::kNotEthernet, not_ethernet);
    port->vport().count_drops(DropReason::kNotEthernet, not_ethernet);
  }
}

inline void PacketProcessor::send(DatapathPort& port, PacketBatch& batch) {
  const size_t n = batch.size();
  const size_t sent = port.send(batch);
  stats_.sent_packets += n;
  ++stats_.sent_batches;
  // The port counts its own TX dropped/errors; the datapath counts the loss.
  if (sent != n) [[unlikely]] count_drops(DropReason::kTxFailure, n - sent);
}

// Inlined: it ends every batch.
[[gnu::always_inline]] inline void PacketProcessor::flush_outputs() {
  for (size_t i = 0; i < n_pending_; ++i) {
    PendingOutput& out = pending_[i];
    if (!out.batch.empty()) send(*out.port, out.batch);
    out.port = nullptr;
  }
  n_pending_ = 0;
}

void PacketProcessor::flush_outputs_traced() { flush_outputs(); }

void PacketProcessor::userspace(const PacketBatch& batch, const UserspaceRequest& request) {
  FlowKey key;
  for (size_t i = 0; i < batch.size(); ++i) {
    Packet* p = batch[i];
    // The key as the packet is now (after any set actions before this one).
    extract_key(*p, &key, dp_->vlan_headers());
    NetlinkWriter writer(&key_attrs_);
    writer.truncate(0);
    encode_key(key, writer, nullptr, dp_->vlan_headers());
    finish_checksum_for_upcall(*p);
    uint32_t len = p->size();
    if (!request.cut.empty() && request.cut[i] < len) len -= request.cut[i];
    std::span<const uint8_t> actions;
    if (request.include_actions) actions = request.actions;
    if (auto why = dp_->upcalls().enqueue(UpcallType::kAction, {p->data(), len}, key,
                                          key_attrs_, request.userdata, request.pid, actions)) {
      dp_->count_upcall_lost(drops(), key.md.in_port, *why, 1);
    } else {
      ++stats_.userspace_upcalls;
    }
  }
}

void PacketProcessor::recirculate(PacketBatch& batch, uint32_t /*recirc_id*/) {
  stats_.recirculations += batch.size();
  uint32_t no_room = 0;
  for (Packet* p : batch) {
    if (n_recirc_ == 0 || recirc_queue_[n_recirc_ - 1].full()) {
      if (n_recirc_ == recirc_queue_.size()) {
        ++no_room;
        p->pool()->release(p);
        continue;
      }
      recirc_queue_[n_recirc_++].clear();
    }
    recirc_queue_[n_recirc_ - 1].add(p);
  }
  batch.clear();
  if (no_room != 0) count_drops(DropReason::kRecircQueueFull, no_room);
}

void PacketProcessor::run_recirculations() {
  while (n_recirc_ > 0) {
    if (++recirc_depth_ > kMaxRecirculationDepth) {
      for (size_t b = 0; b < n_recirc_; ++b) drop(recirc_queue_[b], DropReason::kRecircDepth);
      n_recirc_ = 0;
      return;
    }
    // Take the queued batches out first: processing them may queue more.
    std::array<PacketBatch, 4> round;
    size_t n_round = n_recirc_;
    for (size_t b = 0; b < n_round; ++b) {
      round[b] = recirc_queue_[b];
      recirc_queue_[b].clear();
    }
    n_recirc_ = 0;
    for (size_t b = 0; b < n_round; ++b) classify_and_execute(round[b]);
  }
}

uint32_t PacketProcessor::meter(uint32_t meter_id, const PacketBatch& batch) {
  return dp_->run_meter(meter_id, batch);
}

// The action was checked when its flow was put (validate_flow_actions()),
// so decoding fails only for a packet-out list that skipped that check:
// then nothing is tracked and the packets are dropped.
// The tracker drops only packets that would open a NAT'd connection when
// the range has no free tuple left.
//
// IP fragments (as Open vSwitch's ipf) are taken out of the batch and held;
// a fragment that completes its datagram has the whole packet tracked, and
// the datagram's fragments come back at the end of the batch with the
// whole packet's ct_* metadata (those that do not fit through
// conntrack_more()). Only fragments reach the store and its lock.
uint32_t PacketProcessor::conntrack(PacketBatch& batch, std::span<const uint8_t> attributes,
                                    DropReason* why) {
  auto request = conntrack::decode_ct_action(attributes);
  if (!request.ok()) return 0;
  *why = DropReason::kNatExhausted;
  conntrack::Conntrack& ct = dp_->conntrack();
  conntrack::FragmentStore& store = ct.fragments();
  const uint64_t now = monotonic_ms();
  const uint64_t call = ++ct_call_;
  ct_current_ = call;
  uint32_t completed[PacketBatch::kMaxSize];
  size_t n_completed = 0;
  bool any_fragment = false;
  for (Packet* p : batch) any_fragment |= store.may_take(*p);
  if (any_fragment) [[unlikely]] {
    using Result = conntrack::FragmentStore::Result;
    size_t kept = 0;
    uint32_t overlap = 0, oversized = 0;
    Packet** slots = batch.data();
    for (size_t i = 0; i < batch.size(); ++i) {
      Packet* p = slots[i];
      uint32_t datagram = 0;
      Result r = store.may_take(*p) ? store.add(*p, request->zone, now, &datagram)
                                    : Result::kNotFragment;
      switch (r) {
        case Result::kNotFragment:
        case Result::kPassed:
          slots[kept++] = p;
          continue;
        case Result::kCompleted:
          completed[n_completed++] = datagram;
          break;
        case Result::kHeld:
          break;
        case Result::kOverlap:
          ++overlap;
          break;
        case Result::kOversized:
          ++oversized;
          break;
      }
      p->pool()->release(p);
    }
    batch.resize(kept);
    if (overlap != 0) count_drops(DropReason::kFragmentOverlap, overlap);
    if (oversized != 0) count_drops(DropReason::kFragmentOversized, oversized);
  }
  if (uint32_t expired = store.expire(now); expired != 0) [[unlikely]]
    count_drops(DropReason::kFragmentExpired, expired);
  uint32_t keep = batch.empty() ? 0 : ct.execute(batch, *request, now);
  if (n_completed == 0) [[likely]] return keep;

  // Each completed datagram: track the whole packet, then its fragments.
  for (size_t i = 0; i < n_completed; ++i) {
    const uint32_t d = completed[i];
    Packet* whole = pool().first_class().allocate(store.whole_size(d));
    if (whole == nullptr || n_pending_datagrams_ == kMaxPendingDatagrams) {
      if (whole != nullptr) whole->pool()->release(whole);
      count_drops(DropReason::kNoBuffer, store.discard(d));
      continue;
    }
    store.reassemble(d, *whole);
    PacketBatch one;
    one.add(whole);
    if ((ct.execute(one, *request, now) & 1) == 0) {
      count_drops(DropReason::kNatExhausted, store.discard(d));
      whole->pool()->release(whole);
      continue;
    }
    pending_datagrams_[n_pending_datagrams_++] = {&store, d, whole, call};
  }
  // As many fragments as the batch holds go on now, oldest datagram first.
  const size_t first_new = batch.size();
  size_t done = 0;
  size_t base = n_pending_datagrams_;
  while (base > 0 && pending_datagrams_[base - 1].call == call) --base;
  for (size_t i = base; i < n_pending_datagrams_ && !batch.full(); ++i) {
    if (!emit_fragments(pending_datagrams_[i], batch)) break;
    ++done;
  }
  // Drop the ones fully sent; keep the rest in order.
  for (size_t i = base + done; i < n_pending_datagrams_; ++i)
    pending_datagrams_[i - done] = pending_datagrams_[i];
  n_pending_datagrams_ -= done;
  for (size_t i = first_new; i < batch.size(); ++i) keep |= 1u << i;
  return keep;
}

bool PacketProcessor::emit_fragments(const PendingDatagram& d, PacketBatch& batch) {
  uint32_t no_buffer = 0;
  const bool all = d.store->emit(d.datagram, *d.whole, pool().first_class(), batch, &no_buffer);
  if (no_buffer != 0) count_drops(DropReason::kNoBuffer, no_buffer);
  if (all) d.whole->pool()->release(d.whole);
  return all;
}

bool PacketProcessor::conntrack_more(PacketBatch& batch) {
  batch.clear();
  while (n_pending_datagrams_ > 0) {
    const PendingDatagram& top = pending_datagrams_[n_pending_datagrams_ - 1];
    if (top.call != ct_current_) {
      if (!batch.empty()) return true;
      // Done with the latest ct(): the one before it goes on draining.
      ct_current_ = top.call;
      return false;
    }
    // The oldest datagram of this call first.
    size_t first = n_pending_datagrams_ - 1;
    while (first > 0 && pending_datagrams_[first - 1].call == ct_current_) --first;
    if (emit_fragments(pending_datagrams_[first], batch)) {
      for (size_t i = first + 1; i < n_pending_datagrams_; ++i)
        pending_datagrams_[i - 1] = pending_datagrams_[i];
      --n_pending_datagrams_;
    }
    if (batch.full()) return true;
  }
  return !batch.empty();
}

// tnl_pop(port): each packet is decapsulated as `port` receives it and
// goes through the table again with in_port = port and its outer headers in
// the tunnel metadata (Open vSwitch's userspace datapath recirculates it the
// same way, and counts it against the recirculation depth). Packets that are
// not well-formed tunnel packets are dropped (kTunnelPopError); so is the
// whole batch when `port` is no tunnel port (the executor counts it).
bool PacketProcessor::tunnel_pop(PacketBatch& batch, uint32_t port_no) {
  DatapathPort* port = dp_->port(port_no);
  if (port == nullptr || !tunnel_type_of(port->vport().type())) return false;
  auto& tunnel_port = static_cast<TunnelPort&>(port->vport());
  // One call per batch decides the header; each packet's is then checked.
  tunnel::DecapError (*pop)(Packet&) = &tunnel::pop_vxlan;
  if (tunnel_port.config().type == tunnel::TunnelType::kGeneve) pop = &tunnel::pop_geneve;
  if (tunnel_port.config().type == tunnel::TunnelType::kGre) pop = &tunnel::pop_gre;
  size_t kept = 0;
  uint64_t bytes = 0;
  Packet** slots = batch.data();
  for (Packet* p : batch) {
    if (pop(*p) != tunnel::DecapError::kNone) [[unlikely]] {
      p->pool()->release(p);
      continue;
    }
    p->md.in_port = port_no;
    bytes += p->size();
    slots[kept++] = p;
  }
  if (kept != batch.size()) count_drops(DropReason::kTunnelPopError, batch.size() - kept);
  batch.resize(kept);
  tunnel_port.count_received(kept, bytes);
  if (kept != 0) recirculate(batch, 0);
  return true;
}

}  // namespace flowpath
