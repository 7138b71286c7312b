// Ofproto: the revalidator thread. It runs two kinds of pass per bridge.
//
// The fix-up pass runs whenever something changed (it is woken at once) and
// re-translates only the datapath flows the change may affect: all of them
// after a change of rules, groups, meters or ports; after MAC learning only
// the flows that looked up the (VLAN, MAC) entries that changed, plus flows
// installed from translations that raced with a change. A flow whose mask
// would differ is deleted (the next packet installs the right megaflow); a
// flow whose actions differ is modified in place.
//
// The full pass runs every interval (500 ms): it dumps the datapath flows,
// credits their traffic to the rules and groups that produced them (so rule
// counters are right and idle timeouts work) and refreshes the MAC entries
// their sources taught, deletes flows idle for longer than max-idle and
// flows it did not install, expires rules by idle/hard timeout, ages the MAC
// table and polls port carriers.
//
// Each full pass times its dump of a bridge's flows and adapts the
// datapath's flow limit to it (ofproto/flow_limit.h); while the datapath
// holds more flows than that limit, flows idle for 100 ms go.
//
// After rounds that removed many flows, the heap memory their ukeys and
// translations took is given back to the system (common/heap_release.h).

#include <array>
#include <chrono>
#include <unordered_set>

#include "common/clock.h"
#include "common/heap_release.h"
#include "common/log_modules.h"
#include "common/log_rate_limit.h"
#include "ofproto/bridge.h"
#include "ofproto/flow_limit.h"
#include "ofproto/ofproto.h"
#include "ofproto/xlate.h"
#include "common/rcu.h"

namespace flowpath::ofproto {

void Ofproto::revalidator_main() {
  pthread_setname_np(pthread_self(), "fp-revalidator");
  rcu::ensure_thread_registered();
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(options_.revalidate_interval_ms);
  // Fix-up passes woken by changes are at least this far apart, so a burst
  // of learning (one change per new host) costs one pass, not one each.
  const auto min_gap = std::chrono::milliseconds(5);
  auto next_full = Clock::now() + interval;
  auto last_pass = Clock::now() - min_gap;
  // Flows removed (idle or changed) so far, when the heap's free memory was
  // last given back and at the end of the previous pass: a storm's worth of
  // flows aging out leaves their ukeys' and translations' memory free but
  // resident in the arenas of the threads that allocated it. Given back every
  // few thousand removals while they go on, and once more when they stop; a
  // release costs about 5 ms of CPU per MB it returns, 2 ms when there is
  // nothing to return.
  constexpr uint64_t kHeapReleaseAfterRemovals = 4096;
  constexpr uint64_t kHeapReleaseWhenRemovalsStop = 512;
  uint64_t removed_at_heap_release = 0, removed_before_pass = 0;
  std::unique_lock lock(revalidator_mutex_);
  while (!revalidator_stop_) {
    revalidator_cv_.wait_until(lock, next_full,
                               [&] { return revalidator_wake_ || revalidator_stop_; });
    if (revalidator_stop_) break;
    if (!revalidator_force_full_ && Clock::now() < last_pass + min_gap) {
      revalidator_cv_.wait_until(lock, last_pass + min_gap, [&] { return revalidator_stop_; });
      if (revalidator_stop_) break;
    }
    revalidator_wake_ = false;
    wake_pending_.store(false, std::memory_order_release);
    bool full = revalidator_force_full_ || Clock::now() >= next_full;
    revalidator_force_full_ = false;
    if (full) next_full = Clock::now() + interval;
    ++rounds_started_;
    lock.unlock();
    const auto pass_start = Clock::now();
    {
      std::shared_lock bridges(bridges_mutex_);
      for (auto& [name, bridge] : bridges_) {
        if (full) revalidate_bridge(*bridge);
        fix_up_bridge(*bridge);
      }
    }
    if (full) {
      const auto us = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - pass_start).count());
      stats_.last_dump_duration_us.store(us, std::memory_order_relaxed);
      stats_.dump_duration_us.fetch_add(us, std::memory_order_relaxed);
      stats_.revalidation_rounds.fetch_add(1, std::memory_order_relaxed);
    }
    const uint64_t removed = stats_.flows_deleted_idle.load(std::memory_order_relaxed) +
                             stats_.flows_deleted_changed.load(std::memory_order_relaxed);
    const uint64_t since_release = removed - removed_at_heap_release;
    if (since_release >= kHeapReleaseAfterRemovals ||
        (removed == removed_before_pass && since_release >= kHeapReleaseWhenRemovalsStop)) {
      release_free_heap_memory();
      removed_at_heap_release = removed;
    }
    removed_before_pass = removed;
    lock.lock();
    last_pass = Clock::now();
    ++rounds_done_;
    round_done_cv_.notify_all();
  }
}

namespace {

void credit(UKey& ukey, uint64_t packets, uint64_t bytes, uint64_t now) {
  uint64_t dp = packets - std::min(packets, ukey.pushed_packets);
  uint64_t db = bytes - std::min(bytes, ukey.pushed_bytes);
  if (dp == 0) return;
  for (auto& c : ukey.counters) c->add(dp, db, now);
  ukey.pushed_packets = packets;
  ukey.pushed_bytes = bytes;
}

}  // namespace

void Ofproto::revalidate_bridge(Bridge& bridge) {
  const auto dump_start = std::chrono::steady_clock::now();
  uint64_t now = monotonic_ms();
  const size_t flows_before = bridge.dp->flow_count();
  const uint64_t configured_max_idle = bridge.max_idle_ms.load(std::memory_order_relaxed);
  const uint64_t max_idle = flows_before > bridge.dp->flow_limit()
                                ? std::min(kAggressiveMaxIdleMs, configured_max_idle)
                                : configured_max_idle;
  std::vector<Ufid> doomed;
  std::vector<XlateResult::Learned> refresh;
  std::vector<LearnedFlow> relearn;
  std::unordered_set<Ufid, UfidHasher> seen;
  seen.reserve(bridge.dp->flow_count());
  // In chunks, so handlers recording new ukeys never wait for a whole dump.
  std::array<FlowStatsEntry, 64> chunk;
  FlowDumpCursor cursor;
  while (!cursor.done()) {
    size_t n = bridge.dp->dump(&cursor, chunk);
    std::lock_guard ukeys(bridge.ukey_mutex);
    for (size_t i = 0; i < n; ++i) {
      const FlowStatsEntry& flow = chunk[i];
      seen.insert(flow.ufid);
      auto it = bridge.ukeys.find(flow.ufid);
      if (it == bridge.ukeys.end()) {
        // Not installed by this bridge's slow path (e.g. added with fpctl
        // add-flow): remove it as Open vSwitch does, so the datapath
        // reflects the rules.
        doomed.push_back(flow.ufid);
        continue;
      }
      UKey& ukey = it->second;
      bool active = flow.stats.packets > ukey.pushed_packets;
      credit(ukey, flow.stats.packets, flow.stats.bytes, now);
      // Traffic keeps the source's MAC entry alive, as if each packet had
      // been seen by NORMAL.
      if (active && ukey.learned) refresh.push_back(*ukey.learned);
      if (active)
        relearn.insert(relearn.end(), ukey.learned_flows.begin(), ukey.learned_flows.end());
      uint64_t last = flow.stats.used_ms ? flow.stats.used_ms : ukey.created_ms;
      if (now > last && now - last > max_idle) {
        doomed.push_back(flow.ufid);
        stats_.flows_deleted_idle.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  {
    std::lock_guard ukeys(bridge.ukey_mutex);
    // Ukeys whose flows vanished (deleted by hand, or flushed); a ukey
    // younger than a second may belong to a flow the dump predates.
    for (auto it = bridge.ukeys.begin(); it != bridge.ukeys.end();) {
      if (!seen.count(it->first) && it->second.created_ms + 1000 < now) it = bridge.ukeys.erase(it);
      else ++it;
    }
    // Rebuild the MAC dependency index: drops ufids of deleted flows.
    bridge.mac_index.clear();
    for (const auto& [ufid, ukey] : bridge.ukeys)
      for (uint64_t dep : ukey.mac_dependencies) bridge.mac_index[dep].push_back(ufid);
  }
  for (const auto& l : refresh) bridge.state.mac.learn(l.mac, l.vlan, l.port, now);
  if (apply_learned(bridge, relearn, now)) bridge.changed();
  for (const Ufid& ufid : doomed) {
    auto final_stats = bridge.dp->remove(ufid);
    std::lock_guard ukeys(bridge.ukey_mutex);
    auto it = bridge.ukeys.find(ufid);
    if (it == bridge.ukeys.end()) continue;
    if (final_stats.ok()) credit(it->second, final_stats->stats.packets, final_stats->stats.bytes, now);
    bridge.ukeys.erase(it);
  }
  const uint64_t dump_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                     std::chrono::steady_clock::now() - dump_start)
                                                     .count());
  bridge.last_dump_us.store(dump_us, std::memory_order_relaxed);
  if (seen.size() > bridge.flows_max.load(std::memory_order_relaxed))
    bridge.flows_max.store(seen.size(), std::memory_order_relaxed);
  const size_t limit_before = bridge.dp->flow_limit();
  const size_t limit = bridge.dp->adapt_flow_limit(
      next_flow_limit(limit_before, seen.size(), dump_us / 1000, bridge.dp->configured_flow_limit()));
  if (limit != limit_before) {
    // The adaptive flow limit moved (ofproto/flow_limit.h): at most once a
    // dump, and a flapping limit is rate limited.
    static LogRateLimiter flow_limit_moves(60, 5);
    log_rate_limited(flow_limit_moves, module_log(LogModule::kUpcall),
                     limit < limit_before ? spdlog::level::warn : spdlog::level::info,
                     "bridge {}: flow limit {} -> {} (a dump of {} flows took {} ms; configured "
                     "limit {})",
                     bridge.name, limit_before, limit, seen.size(), dump_us / 1000,
                     bridge.dp->configured_flow_limit());
  }
  expire_rules(bridge, now);
  bridge.state.mac.expire(now);
}

void Ofproto::fix_up_bridge(Bridge& bridge) {
  // Order matters: read the stamps, then take the MAC changes. A MAC change
  // after the take is in the next journal; a flow translated before it is in
  // the index by then (handlers index a ukey when they record it).
  ChangeStamp stamp = bridge.stamp();
  bool all_macs = false;
  std::vector<uint64_t> mac_changes = bridge.state.mac.take_changes(&all_macs);

  std::unordered_set<Ufid, UfidHasher> stale;
  {
    std::lock_guard ukeys(bridge.ukey_mutex);
    bool config_changed = bridge.config_seen != stamp.config;
    bridge.config_seen = stamp.config;
    if (config_changed || all_macs) {
      for (const auto& [ufid, ukey] : bridge.ukeys)
        if (all_macs || ukey.stamp.config != stamp.config) stale.insert(ufid);
    } else {
      for (uint64_t key : mac_changes) {
        auto it = bridge.mac_index.find(key);
        if (it == bridge.mac_index.end()) continue;
        for (const Ufid& ufid : it->second) stale.insert(ufid);
        bridge.mac_index.erase(it);  // re-added below for flows that stay
      }
    }
    // Flows installed since the last pass from a translation older than the
    // state this pass starts from.
    for (const Ufid& ufid : bridge.recent) {
      auto it = bridge.ukeys.find(ufid);
      if (it != bridge.ukeys.end() && !(it->second.stamp == stamp)) stale.insert(ufid);
    }
    bridge.recent.clear();
  }
  if (stale.empty()) return;

  XlateOptions options;
  options.may_learn = false;
  options.now_ms = monotonic_ms();
  struct Pending {
    Ufid ufid;
    bool remove;
    Match match;
    std::vector<uint8_t> actions;
  };
  std::vector<Pending> pending;
  for (const Ufid& ufid : stale) {
    FlowKey key;
    {
      std::lock_guard ukeys(bridge.ukey_mutex);
      auto it = bridge.ukeys.find(ufid);
      if (it == bridge.ukeys.end()) continue;
      key = it->second.key;
    }
    XlateResult result;
    {
      std::shared_lock lock(bridge.state_mutex);
      result = translate(bridge.state, key, options);
    }
    std::lock_guard ukeys(bridge.ukey_mutex);
    auto it = bridge.ukeys.find(ufid);
    if (it == bridge.ukeys.end()) continue;
    UKey& ukey = it->second;
    Match match{key, result.mask};
    match.normalize();
    // A tunnel's next hop that is no longer known: removed, so that the
    // next packet's upcall asks for it again.
    if (result.error || result.neighbour_miss || !(SparseMask::of(result.mask) == ukey.mask)) {
      pending.push_back(Pending{ufid, true, match, {}});
      stats_.flows_deleted_changed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (result.odp_actions != ukey.actions) {
      ukey.actions = result.odp_actions;
      pending.push_back(Pending{ufid, false, match, result.odp_actions});
      stats_.flows_modified.fetch_add(1, std::memory_order_relaxed);
    }
    ukey.counters = std::move(result.counters);
    ukey.stamp = stamp;
    ukey.mac_dependencies = std::move(result.mac_dependencies);
    ukey.learned = result.learned;
    ukey.learned_flows = std::move(result.learned_flows);
    for (uint64_t dep : ukey.mac_dependencies) bridge.mac_index[dep].push_back(ufid);
  }

  uint64_t now = monotonic_ms();
  for (Pending& p : pending) {
    if (!p.remove) {
      MegaflowPut put;
      put.match = p.match;
      put.ufid = p.ufid;
      put.actions = p.actions;
      put.mode = PutMode::kModify;
      if (auto r = bridge.dp->put(put); r.ok()) continue;
      // The flow vanished or the actions no longer validate: remove it.
    }
    auto final_stats = bridge.dp->remove(p.ufid);
    std::lock_guard ukeys(bridge.ukey_mutex);
    auto it = bridge.ukeys.find(p.ufid);
    if (it == bridge.ukeys.end()) continue;
    if (final_stats.ok()) credit(it->second, final_stats->stats.packets, final_stats->stats.bytes, now);
    bridge.ukeys.erase(it);
  }
}

}  // namespace flowpath::ofproto
