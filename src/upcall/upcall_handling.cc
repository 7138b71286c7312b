// UpcallLayer: handling upcalls. A miss is translated by the datapath's
// translator, its megaflow installed (the ukey first, so the revalidator
// never mistakes it for a stranger) and the packet executed with the same
// actions. An action upcall (a userspace() action, e.g. CONTROLLER's) goes
// to the translator.
#include "common/log_modules.h"

#include "common/clock.h"
#include "upcall/datapath_upcalls.h"
#include "upcall/upcall_layer.h"

namespace flowpath::upcall {

void UpcallLayer::handle(const DatapathHandle& dp, std::span<Upcall> upcalls) {
  BatchEffects effects;
  {
    std::shared_lock datapaths(datapaths_mutex_);
    auto it = datapaths_.find(dp.name());
    if (it == datapaths_.end()) {  // a datapath nobody translates for: no slow path for it
      count_unhandled_upcalls(dp.datapath(), upcalls);
      return;
    }
    DatapathUpcalls& datapath = *it->second;
    for (Upcall& upcall : upcalls) {
      stats_.upcalls.fetch_add(1, std::memory_order_relaxed);
      if (upcall.type == UpcallType::kAction) datapath.translator->handle_action(upcall);
      else handle_miss(datapath, dp, upcall, &effects);
    }
  }
  // Every datapath's flows that may depend on what changed (a neighbour the
  // process's cache resolved) are re-checked.
  if (effects.all_datapaths_stale) revalidate_everything();
  // Flows that flooded towards a MAC learned now must be fixed: once per batch.
  else if (effects.tags_changed) revalidate_now();
}

void UpcallLayer::handle_miss(DatapathUpcalls& datapath, const DatapathHandle& dp, Upcall& upcall,
                              BatchEffects* effects) {
  Translation translation = datapath.translator->translate_miss(upcall);
  if (translation.tags_changed) effects->tags_changed = true;
  if (translation.all_datapaths_stale) effects->all_datapaths_stale = true;

  Match match{upcall.key, translation.mask};
  match.normalize();
  Ufid ufid = Ufid::from_match(match);
  bool install = translation.install;
  if (install) {
    std::lock_guard guard(datapath.ukey_mutex);
    auto [pos, inserted] = datapath.ukeys.try_emplace(ufid);
    if (!inserted) {
      install = false;  // another upcall of the same megaflow got here first
    } else {
      UKey& ukey = pos->second;
      ukey.key = upcall.key;
      ukey.mask = SparseMask::of(match.mask);
      ukey.actions = translation.actions;
      ukey.stamp = translation.stamp;
      ukey.created_ms = monotonic_ms();
      ukey.tags = std::move(translation.tags);
      ukey.cache = std::move(translation.cache);
      for (uint64_t tag : ukey.tags) datapath.tag_index[tag].push_back(ufid);
      datapath.recent.push_back(ufid);
    }
  }
  if (install) {
    MegaflowPut put;
    put.match = match;
    put.ufid = ufid;
    put.actions = translation.actions;
    put.mode = PutMode::kCreate;
    auto r = dp.put(put);
    if (r.ok()) {
      stats_.flows_installed.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.install_failures.fetch_add(1, std::memory_order_relaxed);
      module_log(LogModule::kUpcall).debug("datapath {}: installing a megaflow: {}", dp.name(), r.error());
      std::lock_guard guard(datapath.ukey_mutex);
      datapath.ukeys.erase(ufid);
    }
  }
  if (translation.actions.empty()) {
    // Translation dropped it: counted as the megaflow's later packets are.
    dp.count_drop(DropReason::kNoOutput);
  } else if (upcall.packet.size() >= 14) {
    // The handler's own executor: the actions need no validation
    // (translation made them for this datapath's ports; one removed since
    // just drops).
    thread_local PacketExecutor executor;
    if (auto st = dp.execute(executor, upcall.packet, upcall.key.md, translation.actions); !st.ok())
      module_log(LogModule::kUpcall).debug("datapath {}: executing a missed packet: {}", dp.name(), st.error());
  }
}

}  // namespace flowpath::upcall
