#include "datapath/datapath.h"

#include <algorithm>

#include "common/rcu.h"

namespace flowpath {

Datapath::Datapath(std::string name, unsigned forwarding_threads)
    : name_(std::move(name)), ports_(new std::atomic<DatapathPort*>[kMaxPorts]) {
  for (uint32_t i = 0; i < kMaxPorts; ++i) ports_[i].store(nullptr);
  for (unsigned i = 0; i < forwarding_threads; ++i) {
    caches_.push_back(std::make_unique<FlowCaches>(flows_));
    thread_counters_.push_back(std::make_unique<DatapathCounters>(CounterWriters::kOne));
  }
}

Datapath::~Datapath() {
  for (uint32_t i = 0; i < kMaxPorts; ++i) delete ports_[i].exchange(nullptr);
}

void Datapath::close() {
  closed_.store(true, std::memory_order_release);
  std::vector<DatapathPort*> detached;
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    if (DatapathPort* p = ports_[i].exchange(nullptr, std::memory_order_acq_rel)) {
      upcalls_.remove_port(i);
      detached.push_back(p);
    }
  }
  // A packet-out or a handler's execute may still be sending through one.
  rcu::wait_for_grace_period();
  for (DatapathPort* p : detached) delete p;
}

Result<uint32_t> Datapath::choose_port_number(const VportSpec& spec,
                                              std::optional<uint32_t> port_no) const {
  auto in_use = [this](uint32_t i) -> const std::string* {
    if (DatapathPort* p = ports_[i].load()) return &p->vport().name();
    if (auto it = absent_.find(i); it != absent_.end()) return &it->second.spec.name;
    return nullptr;
  };
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    const std::string* name = in_use(i);
    if (name != nullptr && *name == spec.name) {
      return make_error("port " + spec.name + " is already port " + std::to_string(i) +
                        " of datapath " + name_);
    }
  }
  uint32_t number;
  if (port_no) {
    number = *port_no;
    if (number >= kMaxPorts) {
      return make_error("port number " + std::to_string(number) + " is out of range (0.." +
                        std::to_string(kMaxPorts - 1) + ")");
    }
    if (const std::string* name = in_use(number)) {
      return make_error("port number " + std::to_string(number) + " is in use by " + *name);
    }
  } else {
    number = 1;
    while (number < kMaxPorts && in_use(number) != nullptr) ++number;
    if (number == kMaxPorts) {
      return make_error("datapath " + name_ + " has no free port number (at most " +
                        std::to_string(kMaxPorts) + " ports)");
    }
  }
  return number;
}

void Datapath::attach(uint32_t number, std::unique_ptr<Vport> vport, const VportSpec& spec) {
  auto* port = new DatapathPort(number, std::move(vport), spec);
  port->vport().set_datapath_drops(&shared_counters_.drops());
  upcalls_.add_port(number);
  ports_[number].store(port, std::memory_order_release);
}

Result<uint32_t> Datapath::add_port(const VportSpec& spec, std::optional<uint32_t> port_no) {
  TRY_ASSIGN(number, choose_port_number(spec, port_no));
  auto vport = open_vport(spec);
  if (!vport.ok()) return make_error(vport.error());
  attach(number, std::move(vport.value()), spec);
  return number;
}

Result<uint32_t> Datapath::add_absent_port(const VportSpec& spec, std::optional<uint32_t> port_no,
                                           std::string reason) {
  if (!opens_interface_by_name(spec.kind)) {
    return make_error(std::string(to_string(spec.kind)) + " port " + spec.name +
                      " cannot wait for an interface");
  }
  TRY_ASSIGN(number, choose_port_number(spec, port_no));
  absent_[number] = AbsentPort{spec, std::move(reason)};
  return number;
}

Status Datapath::attach_absent_port(uint32_t port_no) {
  auto it = absent_.find(port_no);
  if (it == absent_.end()) {
    return make_error("port " + std::to_string(port_no) + " of datapath " + name_ +
                      " is not waiting for its interface");
  }
  auto vport = open_vport(it->second.spec);
  if (!vport.ok()) {
    it->second.reason = vport.error();
    return make_error(vport.error());
  }
  VportSpec spec = std::move(it->second.spec);
  absent_.erase(it);
  attach(port_no, std::move(vport.value()), spec);
  return Ok{};
}

Result<DatapathPort*> Datapath::make_port_absent(uint32_t port_no, std::string reason) {
  DatapathPort* port = port_no < kMaxPorts ? ports_[port_no].load() : nullptr;
  if (port == nullptr || !opens_interface_by_name(port->vport().type())) {
    return make_error("datapath " + name_ + " has no port " + std::to_string(port_no) +
                      " of an existing interface");
  }
  ports_[port_no].store(nullptr, std::memory_order_release);
  upcalls_.remove_port(port_no);
  absent_[port_no] = AbsentPort{port->spec(), std::move(reason)};
  return port;
}

Result<std::unique_ptr<Vport>> Datapath::open_vport(const VportSpec& spec) const {
  auto vport = create_vport(spec.kind, spec.name, spec.options);
  if (!vport.ok()) return vport;
  if (keep_devices_) {
    if (Status kept = (*vport)->set_device_persistent(true); !kept) return make_error(kept.error());
  }
  return vport;
}

void Datapath::release_devices() {
  if (!keep_devices_) return;
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    if (DatapathPort* p = ports_[i].load()) (void)p->vport().set_device_persistent(false);
  }
}

Status Datapath::set_vlan_limit(int vlan_limit) {
  if (vlan_limit < 0) {
    return make_error("vlan-limit " + std::to_string(vlan_limit) +
                      " is negative: give 0 (as many tags as a key holds, " +
                      std::to_string(kMaxVlanTags) + ") or a number of tags");
  }
  vlan_limit_.store(vlan_limit, std::memory_order_relaxed);
  vlan_headers_.store(vlan_headers_for_limit(vlan_limit), std::memory_order_relaxed);
  return Ok{};
}

Result<DatapathPort*> Datapath::detach_port(uint32_t port_no) {
  if (absent_.erase(port_no) != 0) return nullptr;
  DatapathPort* port = port_no < kMaxPorts ? ports_[port_no].exchange(nullptr) : nullptr;
  if (port == nullptr) {
    return make_error("datapath " + name_ + " has no port " + std::to_string(port_no));
  }
  upcalls_.remove_port(port_no);
  return port;
}

DatapathPort* Datapath::swap_port(uint32_t port_no, DatapathPort* replacement) {
  if (replacement != nullptr) replacement->vport().set_datapath_drops(&shared_counters_.drops());
  return ports_[port_no].exchange(replacement, std::memory_order_acq_rel);
}

Result<uint32_t> Datapath::port_number(const std::string& name) const {
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    DatapathPort* p = ports_[i].load(std::memory_order_acquire);
    if (p != nullptr && p->vport().name() == name) return i;
  }
  for (const auto& [number, absent] : absent_)
    if (absent.spec.name == name) return number;
  return make_error("datapath " + name_ + " has no port named " + name);
}

std::vector<PortInfo> Datapath::ports() const {
  std::vector<PortInfo> out;
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    DatapathPort* p = ports_[i].load(std::memory_order_acquire);
    if (p == nullptr) {
      if (auto it = absent_.find(i); it != absent_.end()) {
        PortInfo info{i, it->second.spec.name, it->second.spec.kind, it->second.spec.options,
                      VportStats{}, 0, ""};
        info.absent = true;
        info.absent_reason = it->second.reason;
        out.push_back(std::move(info));
      }
      continue;
    }
    out.push_back(PortInfo{i, p->vport().name(), p->vport().type(), p->spec().options,
                           p->vport().stats(), p->vport().mtu(), p->vport().device_error()});
  }
  return out;
}

std::vector<DatapathPort*> Datapath::port_objects() const {
  std::vector<DatapathPort*> out;
  for (uint32_t i = 0; i < kMaxPorts; ++i) {
    if (DatapathPort* p = ports_[i].load(std::memory_order_acquire)) out.push_back(p);
  }
  return out;
}

uint32_t Datapath::run_meter(uint32_t meter_id, const PacketBatch& batch) {
  std::lock_guard guard(meter_mutex_);
  return meters_.execute(meter_id, batch);
}

Status Datapath::set_meter(uint32_t meter_id, const MeterConfig& config) {
  std::lock_guard guard(meter_mutex_);
  return meters_.set(meter_id, config);
}

Status Datapath::remove_meter(uint32_t meter_id) {
  std::lock_guard guard(meter_mutex_);
  return meters_.remove(meter_id);
}

Result<MeterStats> Datapath::meter_stats(uint32_t meter_id) const {
  std::lock_guard guard(meter_mutex_);
  return meters_.stats(meter_id);
}

void Datapath::count_upcall_lost(DropCounters& drops, uint32_t in_port, DropReason why,
                                 uint64_t n) {
  drops.add(why, n);
  rcu::ReadSection section;
  if (DatapathPort* p = port(in_port)) p->vport().count_drops(why, n);
}

DatapathCounts Datapath::thread_counts(unsigned thread) const {
  return thread < thread_counters_.size() ? thread_counters_[thread]->read() : DatapathCounts{};
}

DatapathStats Datapath::stats() const {
  DatapathCounts sum = shared_counters_.read();
  for (const auto& slot : thread_counters_) sum += slot->read();
  DatapathStats s;
  s.hit = sum.hit;
  s.missed = sum.missed;
  s.lost = sum.lost;
  s.flows = flows_.count();
  s.masks = flows_.mask_count();
  s.masks_hit = sum.masks_hit;
  s.flow_limit = flows_.flow_limit();
  s.flow_limit_configured = configured_flow_limit();
  s.upcall_rate = upcalls_.rate_limit();
  s.emc = emc();
  s.emc_insert_inv_prob = emc_insert_inv_prob();
  s.flow_overlap = flows_.flow_overlap();
  s.upcalls_queued = upcalls_.queued();
  s.drops = sum.drops;
  return s;
}

Status Datapath::set_flow_limit(size_t limit) {
  if (auto st = flows_.set_flow_limit(limit); !st.ok()) return st;
  flow_limit_configured_.store(limit, std::memory_order_relaxed);
  return Ok{};
}

size_t Datapath::adapt_flow_limit(size_t wanted) {
  const size_t ceiling = configured_flow_limit();
  const size_t limit = std::clamp(wanted, std::min(kMinAdaptiveFlowLimit, ceiling), ceiling);
  (void)flows_.set_flow_limit(limit);  // within 1..ceiling, which the table took
  return limit;
}

void Datapath::set_emc(bool on) {
  emc_.store(on, std::memory_order_relaxed);
  for (auto& caches : caches_) caches->use_emc.store(on, std::memory_order_relaxed);
}

void Datapath::set_emc_insert_inv_prob(uint32_t inverse_probability) {
  emc_insert_inv_prob_.store(inverse_probability, std::memory_order_relaxed);
  for (auto& caches : caches_)
    caches->emc_insert_inv_prob.store(inverse_probability, std::memory_order_relaxed);
}

}  // namespace flowpath
