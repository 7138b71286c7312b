#include "datapath/packet_processor.h"

#include "flow/key_extract.h"
#include "flow/key_netlink.h"
#include "table/megaflow_table.h"

namespace flowpath {

namespace {

// The caches' packet hash: equal keys must hash equally, so any subset of
// the key's words will do. These few cover what varies between flows
// (in_port, recirc_id, EtherType, IPv4 or the low IPv6 address halves, L4
// ports) at a fraction of hash_key()'s cost.
inline uint32_t cache_hash(const FlowKey& key) {
  const uint64_t* w = key.words();
  uint64_t h = 0;
  for (size_t i : {size_t{9}, size_t{10}, size_t{22}, size_t{26}, size_t{28}, size_t{30},
                   size_t{34}}) {
    h = hash_mix_word(h, w[i]);
  }
  return hash_finish(h);
}

}  // namespace

PacketProcessor::PacketProcessor(PacketPool& pool, int thread)
    : ActionContext(pool), thread_(thread) {
  key_attrs_.reserve(1024);
}

void PacketProcessor::process(Datapath& dp, PacketBatch& batch) {
  dp_ = &dp;
  stats_.packets += batch.size();
  recirc_depth_ = 0;
  classify_and_execute(batch);
  run_recirculations();
  flush_outputs();
}

void PacketProcessor::execute(Datapath& dp, PacketBatch& batch, std::span<const uint8_t> actions) {
  dp_ = &dp;
  recirc_depth_ = 0;
  // Actions that rewrite headers need the layer offsets the extractor sets.
  extract_keys(batch, keys_.data());
  execute_actions(batch, actions, *this);
  run_recirculations();
  flush_outputs();
}

void PacketProcessor::classify_and_execute(PacketBatch& batch) {
  const size_t n = batch.size();
  if (n == 0) return;
  extract_keys(batch, keys_.data());
  uint64_t hit_map = lookup(n);
  const uint64_t all = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  if (hit_map != all) upcall_misses(batch, hit_map);

  // Group hits by flow, in order of first appearance; each group runs its
  // flow's actions once. A batch rarely holds more than a few flows.
  uint64_t remaining = hit_map;
  batch.clear();  // every packet now belongs to a group or was queued/released
  if (remaining == 0) return;
  const uint64_t now = MegaflowTable::now_ms();
  while (remaining) {
    int first = __builtin_ctzll(remaining);
    Megaflow* flow = flows_[first];
    PacketBatch group;
    uint64_t bytes = 0;
    uint16_t tcp_flags = 0;
    for (uint64_t m = remaining; m; m &= m - 1) {
      int i = __builtin_ctzll(m);
      if (flows_[i] != flow) continue;
      Packet* p = batch.data()[i];
      group.add(p);
      bytes += p->size();
      tcp_flags |= ntoh16(keys_[i].tcp_flags);
      remaining &= ~(uint64_t{1} << i);
    }
    flow->record(group.size(), bytes, now, tcp_flags);
    execute_actions(group, flow->actions(), *this);
  }
}

uint64_t PacketProcessor::lookup(size_t n) {
  const uint64_t all = (uint64_t{1} << n) - 1;  // n <= 32
  uint32_t searched = 0;
  uint64_t hit_map;
  FlowCaches* caches = dp_->caches(thread_);
  // With one mask the classifier is a single probe, as cheap as the
  // signature cache; the cache pays off from two masks up.
  const bool use_smc = caches && caches->use_smc && dp_->flows().mask_count() > 1;
  if (caches == nullptr || (!use_smc && !caches->use_emc)) {
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
    uint64_t emc_hits = 0;
    if (caches->use_emc) emc_hits = caches->emc.lookup_batch(key_ptrs, hashes, n, flows_.data());
    uint64_t wanted = all & ~emc_hits;
    uint64_t smc_hits = 0;
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
        if (caches->use_emc) caches->emc.offer(keys_[i], hashes[i], *rest_flows[j]);
      }
    }
    for (uint64_t m = caches->use_emc ? smc_hits : 0; m; m &= m - 1) {
      int i = __builtin_ctzll(m);
      caches->emc.offer(keys_[i], hashes[i], *flows_[i]);
    }
    stats_.emc_hits += static_cast<uint64_t>(__builtin_popcountll(emc_hits));
    stats_.smc_hits += static_cast<uint64_t>(__builtin_popcountll(smc_hits));
    hit_map = emc_hits | smc_hits | table_hits;
  }
  const uint64_t n_hits = static_cast<uint64_t>(__builtin_popcountll(hit_map));
  stats_.hits += n_hits;
  stats_.subtables_searched += searched;
  if (n_hits) dp_->count_hits(n_hits, searched);
  return hit_map;
}

void PacketProcessor::upcall_misses(const PacketBatch& batch, uint64_t hit_map) {
  uint64_t misses = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (hit_map & (uint64_t{1} << i)) continue;
    ++misses;
    Packet* p = batch[i];
    NetlinkWriter writer(&key_attrs_);
    writer.truncate(0);
    encode_key(keys_[i], writer);
    if (!dp_->upcalls().enqueue(UpcallType::kMiss, {p->data(), p->size()}, keys_[i],
                                key_attrs_)) {
      ++stats_.lost;
    }
    p->pool()->release(p);
  }
  stats_.misses += misses;
  dp_->count_misses(misses);
}

void PacketProcessor::output(uint32_t port_no, PacketBatch& batch) {
  DatapathPort* port = dp_->port(port_no);
  if (port == nullptr) {
    stats_.output_dropped += batch.size();
    for (Packet* p : batch) p->pool()->release(p);
    batch.clear();
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
  for (Packet* p : batch) {
    if (pending->batch.full()) port->send(pending->batch);
    pending->batch.add(p);
  }
  batch.clear();
}

void PacketProcessor::flush_outputs() {
  for (size_t i = 0; i < n_pending_; ++i) {
    PendingOutput& out = pending_[i];
    if (!out.batch.empty()) out.port->send(out.batch);
    out.port = nullptr;
  }
  n_pending_ = 0;
}

void PacketProcessor::userspace(const PacketBatch& batch, const UserspaceRequest& request) {
  FlowKey key;
  for (size_t i = 0; i < batch.size(); ++i) {
    Packet* p = batch[i];
    // The key as the packet is now (after any set actions before this one).
    extract_key(*p, &key);
    NetlinkWriter writer(&key_attrs_);
    writer.truncate(0);
    encode_key(key, writer);
    uint32_t len = p->size();
    if (!request.cut.empty() && request.cut[i] < len) len -= request.cut[i];
    std::span<const uint8_t> actions;
    if (request.include_actions) actions = request.actions;
    if (!dp_->upcalls().enqueue(UpcallType::kAction, {p->data(), len}, key, key_attrs_,
                                request.userdata, request.pid, actions)) {
      ++stats_.lost;
    }
  }
}

void PacketProcessor::recirculate(PacketBatch& batch, uint32_t /*recirc_id*/) {
  stats_.recirculations += batch.size();
  for (Packet* p : batch) {
    if (n_recirc_ == 0 || recirc_queue_[n_recirc_ - 1].full()) {
      if (n_recirc_ == recirc_queue_.size()) {
        ++stats_.recirc_dropped;
        p->pool()->release(p);
        continue;
      }
      recirc_queue_[n_recirc_++].clear();
    }
    recirc_queue_[n_recirc_ - 1].add(p);
  }
  batch.clear();
}

void PacketProcessor::run_recirculations() {
  while (n_recirc_ > 0) {
    if (++recirc_depth_ > kMaxRecirculationDepth) {
      for (size_t b = 0; b < n_recirc_; ++b) {
        stats_.recirc_dropped += recirc_queue_[b].size();
        for (Packet* p : recirc_queue_[b]) p->pool()->release(p);
        recirc_queue_[b].clear();
      }
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

}  // namespace flowpath
