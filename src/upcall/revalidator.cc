// UpcallLayer: the revalidator thread. It runs two kinds of pass per datapath.
//
// The fix-up pass runs whenever something changed (it is woken at once) and
// re-translates only the datapath flows the change may affect: all of them
// after a change of the translator's state (rules, groups, meters, ports) or
// revalidate_everything(); after tagged changes (MAC learning) only the
// flows that looked up the tags that changed, plus flows installed from
// translations that raced with a change. A flow whose mask would differ is
// deleted (the next packet installs the right megaflow); a flow whose
// actions differ is modified in place.
//
// The full pass runs every interval (500 ms): it dumps the datapath flows,
// credits their traffic to what their translations used (the translator's
// caches: rules, groups, the MAC entries their sources taught), deletes
// flows idle for longer than max-idle and flows it did not install, then
// lets the translator end the round (rules expire by idle/hard timeout, the
// MAC table ages).
//
// Each full pass times its dump of a datapath's flows and adapts the
// datapath's flow limit to it (upcall/flow_limit.h); while the datapath
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
#include "common/rcu.h"
#include "upcall/datapath_upcalls.h"
#include "upcall/flow_limit.h"
#include "upcall/upcall_layer.h"

namespace flowpath::upcall {

void UpcallLayer::revalidator_main() {
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
      std::shared_lock datapaths(datapaths_mutex_);
      for (auto& [name, datapath] : datapaths_) {
        if (full) revalidate_datapath(*datapath);
        fix_up_datapath(*datapath);
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

// Credits the traffic a flow carried since the last push (ukey mutex held).
void credit(UpcallTranslator& translator, UKey& ukey, uint64_t packets, uint64_t bytes,
            uint64_t now) {
  uint64_t dp = packets - std::min(packets, ukey.pushed_packets);
  uint64_t db = bytes - std::min(bytes, ukey.pushed_bytes);
  if (dp == 0) return;
  translator.credit(ukey.cache.get(), dp, db, now);
  ukey.pushed_packets = packets;
  ukey.pushed_bytes = bytes;
}

}  // namespace

void UpcallLayer::remove_flow(DatapathUpcalls& datapath, const Ufid& ufid, uint64_t now_ms) {
  auto final_stats = datapath.dp->remove(ufid);
  std::lock_guard ukeys(datapath.ukey_mutex);
  auto it = datapath.ukeys.find(ufid);
  if (it == datapath.ukeys.end()) return;
  if (final_stats.ok())
    credit(*datapath.translator, it->second, final_stats->stats.packets, final_stats->stats.bytes,
           now_ms);
  datapath.ukeys.erase(it);
}

void UpcallLayer::revalidate_datapath(DatapathUpcalls& datapath) {
  const DatapathHandle& dp = *datapath.dp;
  const auto dump_start = std::chrono::steady_clock::now();
  uint64_t now = monotonic_ms();
  const size_t flows_before = dp.flow_count();
  const uint64_t configured_max_idle = datapath.max_idle_ms.load(std::memory_order_relaxed);
  const uint64_t max_idle = flows_before > dp.flow_limit()
                                ? std::min(kAggressiveMaxIdleMs, configured_max_idle)
                                : configured_max_idle;
  std::vector<Ufid> doomed;
  std::unordered_set<Ufid, UfidHasher> seen;
  seen.reserve(dp.flow_count());
  // In chunks, so handlers recording new ukeys never wait for a whole dump.
  std::array<FlowStatsEntry, 64> chunk;
  FlowDumpCursor cursor;
  while (!cursor.done()) {
    size_t n = dp.dump(&cursor, chunk);
    std::lock_guard ukeys(datapath.ukey_mutex);
    for (size_t i = 0; i < n; ++i) {
      const FlowStatsEntry& flow = chunk[i];
      seen.insert(flow.ufid);
      auto it = datapath.ukeys.find(flow.ufid);
      if (it == datapath.ukeys.end()) {
        // Not installed by this layer (e.g. added with fpctl add-flow):
        // removed as Open vSwitch does, so the datapath reflects the rules.
        doomed.push_back(flow.ufid);
        continue;
      }
      UKey& ukey = it->second;
      credit(*datapath.translator, ukey, flow.stats.packets, flow.stats.bytes, now);
      uint64_t last = flow.stats.used_ms ? flow.stats.used_ms : ukey.created_ms;
      if (now > last && now - last > max_idle) {
        doomed.push_back(flow.ufid);
        stats_.flows_deleted_idle.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  {
    std::lock_guard ukeys(datapath.ukey_mutex);
    // Ukeys whose flows vanished (deleted by hand, or flushed); a ukey
    // younger than a second may belong to a flow the dump predates.
    for (auto it = datapath.ukeys.begin(); it != datapath.ukeys.end();) {
      if (!seen.count(it->first) && it->second.created_ms + 1000 < now) it = datapath.ukeys.erase(it);
      else ++it;
    }
    // Rebuild the tag index: drops ufids of deleted flows.
    datapath.tag_index.clear();
    for (const auto& [ufid, ukey] : datapath.ukeys)
      for (uint64_t tag : ukey.tags) datapath.tag_index[tag].push_back(ufid);
  }
  for (const Ufid& ufid : doomed) remove_flow(datapath, ufid, now);
  const uint64_t dump_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                     std::chrono::steady_clock::now() - dump_start)
                                                     .count());
  datapath.last_dump_us.store(dump_us, std::memory_order_relaxed);
  if (seen.size() > datapath.flows_max.load(std::memory_order_relaxed))
    datapath.flows_max.store(seen.size(), std::memory_order_relaxed);
  const size_t limit_before = dp.flow_limit();
  const size_t limit = dp.adapt_flow_limit(
      next_flow_limit(limit_before, seen.size(), dump_us / 1000, dp.configured_flow_limit()));
  if (limit != limit_before) {
    // The adaptive flow limit moved (upcall/flow_limit.h): at most once a
    // dump, and a flapping limit is rate limited.
    static LogRateLimiter flow_limit_moves(60, 5);
    log_rate_limited(flow_limit_moves, module_log(LogModule::kUpcall),
                     limit < limit_before ? spdlog::level::warn : spdlog::level::info,
                     "bridge {}: flow limit {} -> {} (a dump of {} flows took {} ms; configured "
                     "limit {})",
                     dp.name(), limit_before, limit, seen.size(), dump_us / 1000,
                     dp.configured_flow_limit());
  }
  datapath.translator->end_round(now);
}

void UpcallLayer::fix_up_datapath(DatapathUpcalls& datapath) {
  UpcallTranslator& translator = *datapath.translator;
  // Order matters: read the stamps, then take the tag changes. A change
  // after the take is in the next journal; a flow translated before it is in
  // the index by then (handlers index a ukey when they record it).
  const TranslationStamp stamp = translator.stamp();
  const uint64_t everything = everything_generation_.load(std::memory_order_acquire);
  bool all_tags = false;
  std::vector<uint64_t> tag_changes = translator.take_changed_tags(&all_tags);

  std::unordered_set<Ufid, UfidHasher> stale;
  {
    std::lock_guard ukeys(datapath.ukey_mutex);
    const bool state_changed = datapath.state_seen != stamp.state;
    const bool all = all_tags || datapath.everything_seen != everything;
    datapath.state_seen = stamp.state;
    datapath.everything_seen = everything;
    if (state_changed || all) {
      for (const auto& [ufid, ukey] : datapath.ukeys)
        if (all || ukey.stamp.state != stamp.state) stale.insert(ufid);
    } else {
      for (uint64_t tag : tag_changes) {
        auto it = datapath.tag_index.find(tag);
        if (it == datapath.tag_index.end()) continue;
        for (const Ufid& ufid : it->second) stale.insert(ufid);
        datapath.tag_index.erase(it);  // re-added below for flows that stay
      }
    }
    // Flows installed since the last pass from a translation older than the
    // state this pass starts from.
    for (const Ufid& ufid : datapath.recent) {
      auto it = datapath.ukeys.find(ufid);
      if (it != datapath.ukeys.end() && !(it->second.stamp == stamp)) stale.insert(ufid);
    }
    datapath.recent.clear();
  }
  if (stale.empty()) return;

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
      std::lock_guard ukeys(datapath.ukey_mutex);
      auto it = datapath.ukeys.find(ufid);
      if (it == datapath.ukeys.end()) continue;
      key = it->second.key;
    }
    Translation translation = translator.retranslate(key);
    std::lock_guard ukeys(datapath.ukey_mutex);
    auto it = datapath.ukeys.find(ufid);
    if (it == datapath.ukeys.end()) continue;
    UKey& ukey = it->second;
    Match match{key, translation.mask};
    match.normalize();
    // A tunnel's next hop that is no longer known: removed, so that the
    // next packet's upcall asks for it again.
    if (translation.failed || !translation.install ||
        !(SparseMask::of(translation.mask) == ukey.mask)) {
      pending.push_back(Pending{ufid, true, match, {}});
      stats_.flows_deleted_changed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (translation.actions != ukey.actions) {
      ukey.actions = translation.actions;
      pending.push_back(Pending{ufid, false, match, std::move(translation.actions)});
      stats_.flows_modified.fetch_add(1, std::memory_order_relaxed);
    }
    ukey.stamp = stamp;
    ukey.tags = std::move(translation.tags);
    // Traffic from now on is credited to what the new translation used (a
    // replaced rule's successor).
    ukey.cache = std::move(translation.cache);
    for (uint64_t tag : ukey.tags) datapath.tag_index[tag].push_back(ufid);
  }

  uint64_t now = monotonic_ms();
  for (Pending& p : pending) {
    if (!p.remove) {
      MegaflowPut put;
      put.match = p.match;
      put.ufid = p.ufid;
      put.actions = p.actions;
      put.mode = PutMode::kModify;
      if (auto r = datapath.dp->put(put); r.ok()) continue;
      // The flow vanished or the actions no longer validate: remove it.
    }
    remove_flow(datapath, p.ufid, now);
  }
}

}  // namespace flowpath::upcall
