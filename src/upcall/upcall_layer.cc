// UpcallLayer: the datapaths it serves, the revalidator's lifecycle and
// wake-ups, and its counters. Upcalls are handled in upcall_handling.cc,
// revalidation in revalidator.cc.
#include "upcall/upcall_layer.h"

#include "upcall/datapath_upcalls.h"

namespace flowpath::upcall {

UpcallLayer::UpcallLayer(UpcallLayerOptions options) : options_(options) {}

UpcallLayer::~UpcallLayer() { stop(); }

void UpcallLayer::start() {
  std::lock_guard guard(revalidator_mutex_);
  if (!revalidator_.joinable() && !revalidator_stop_)
    revalidator_ = std::thread([this] { revalidator_main(); });
}

void UpcallLayer::stop() {
  {
    std::lock_guard guard(revalidator_mutex_);
    revalidator_stop_ = true;
  }
  revalidator_cv_.notify_all();
  round_done_cv_.notify_all();
  if (revalidator_.joinable()) revalidator_.join();
}

Status UpcallLayer::add_datapath(std::shared_ptr<DatapathHandle> dp,
                                 std::shared_ptr<UpcallTranslator> translator) {
  if (!dp || !translator) return make_error("a datapath needs a handle and a translator");
  std::string name = dp->name();
  auto datapath = std::make_unique<DatapathUpcalls>(std::move(dp), std::move(translator));
  std::unique_lock lock(datapaths_mutex_);
  auto [it, inserted] = datapaths_.try_emplace(std::move(name), std::move(datapath));
  if (!inserted) return make_error("the upcalls of datapath " + it->first + " are already served");
  return Ok{};
}

void UpcallLayer::remove_datapath(const std::string& name) {
  std::unique_ptr<DatapathUpcalls> removed;
  {
    std::unique_lock lock(datapaths_mutex_);
    auto it = datapaths_.find(name);
    if (it == datapaths_.end()) return;
    removed = std::move(it->second);
    datapaths_.erase(it);
  }
  // Its ukeys (and the translator's caches in them) go here, outside the lock.
}

void UpcallLayer::remove_all_datapaths() {
  std::map<std::string, std::unique_ptr<DatapathUpcalls>, std::less<>> removed;
  std::unique_lock lock(datapaths_mutex_);
  removed.swap(datapaths_);
  lock.unlock();
}

Status UpcallLayer::set_max_idle(const std::string& name, uint32_t max_idle_ms) {
  std::shared_lock lock(datapaths_mutex_);
  auto it = datapaths_.find(name);
  if (it == datapaths_.end()) return make_error("the upcall layer serves no datapath " + name);
  it->second->max_idle_ms.store(max_idle_ms, std::memory_order_relaxed);
  return Ok{};
}

std::optional<DatapathUpcallStatus> UpcallLayer::status(const std::string& name) const {
  std::shared_lock lock(datapaths_mutex_);
  auto it = datapaths_.find(name);
  if (it == datapaths_.end()) return std::nullopt;
  DatapathUpcalls& datapath = *it->second;
  DatapathUpcallStatus s;
  s.flows_max = datapath.flows_max.load(std::memory_order_relaxed);
  s.last_dump_us = datapath.last_dump_us.load(std::memory_order_relaxed);
  s.max_idle_ms = datapath.max_idle_ms.load(std::memory_order_relaxed);
  std::lock_guard ukeys(datapath.ukey_mutex);
  s.ukeys = datapath.ukeys.size();
  return s;
}

void UpcallLayer::revalidate_now() {
  // Cheap when a wake-up is already pending: no lock, no futex.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  {
    std::lock_guard guard(revalidator_mutex_);
    revalidator_wake_ = true;
  }
  revalidator_cv_.notify_all();
}

void UpcallLayer::revalidate_everything() {
  everything_generation_.fetch_add(1, std::memory_order_acq_rel);
  revalidate_now();
}

void UpcallLayer::wait_revalidation_round() {
  std::unique_lock lock(revalidator_mutex_);
  uint64_t target = rounds_started_ + 1;
  revalidator_wake_ = true;
  revalidator_force_full_ = true;
  revalidator_cv_.notify_all();
  round_done_cv_.wait(lock, [&] { return rounds_done_ >= target || revalidator_stop_; });
}

UpcallStats UpcallLayer::stats() const {
  UpcallStats s;
  s.upcalls = stats_.upcalls.load();
  s.flows_installed = stats_.flows_installed.load();
  s.install_failures = stats_.install_failures.load();
  s.revalidation_rounds = stats_.revalidation_rounds.load();
  s.flows_deleted_idle = stats_.flows_deleted_idle.load();
  s.flows_modified = stats_.flows_modified.load();
  s.flows_deleted_changed = stats_.flows_deleted_changed.load();
  s.dump_duration_us = stats_.dump_duration_us.load();
  s.last_dump_duration_us = stats_.last_dump_duration_us.load();
  return s;
}

}  // namespace flowpath::upcall
