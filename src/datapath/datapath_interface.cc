#include "datapath/datapath_interface.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include <sched.h>

#include "common/log_modules.h"
#include "common/rcu.h"
#include "datapath/cpu_mask.h"
#include "vport/netdev.h"

namespace flowpath {

namespace {

spdlog::logger& log() { return module_log(LogModule::kDatapath); }

// The last reference to a datapath goes: no forwarding thread polls its ports
// any more (the interface let go of it after rebalancing), and a grace period
// later no reader can hold one of its flows either.
void destroy_datapath(Datapath* dp) {
  rcu::wait_for_grace_period();
  delete dp;
  rcu::wait_for_deferred_frees();
}

// Applies what `settings` sets; they were checked (check_datapath_settings).
void apply_settings(Datapath& dp, const DatapathSettings& settings) {
  if (settings.vlan_limit) (void)dp.set_vlan_limit(*settings.vlan_limit);
  if (settings.flow_limit) (void)dp.set_flow_limit(*settings.flow_limit);
  if (settings.upcall_rate) dp.upcalls().set_rate_limit(*settings.upcall_rate);
  if (settings.emc) dp.set_emc(*settings.emc);
  if (settings.emc_insert_inv_prob) dp.set_emc_insert_inv_prob(*settings.emc_insert_inv_prob);
}

}  // namespace

unsigned default_handler_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned cores = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = static_cast<unsigned>(CPU_COUNT(&set));
  const unsigned revalidators = cores / 4 + 1;
  return cores > revalidators ? cores - revalidators : 1;
}

Status check_datapath_settings(const DatapathSettings& settings) {
  if (settings.vlan_limit && *settings.vlan_limit < 0)
    return make_error("vlan-limit " + std::to_string(*settings.vlan_limit) + " is negative");
  if (settings.flow_limit &&
      (*settings.flow_limit == 0 || *settings.flow_limit > MegaflowTable::kMaxFlowLimit)) {
    return make_error("flow-limit " + std::to_string(*settings.flow_limit) + " out of range 1.." +
                      std::to_string(MegaflowTable::kMaxFlowLimit));
  }
  if (settings.upcall_rate && *settings.upcall_rate > UpcallRateLimiter::kMaxRate) {
    return make_error("upcall-rate " + std::to_string(*settings.upcall_rate) +
                      " out of range 0.." + std::to_string(UpcallRateLimiter::kMaxRate) +
                      " (0: unlimited)");
  }
  return Ok{};
}

// ---------------------------------------------------------------- interface

DatapathInterface::DatapathInterface(DatapathConfig config) : config_(std::move(config)) {
  handler_ = config_.upcall_handler ? config_.upcall_handler
                                    : std::make_shared<DropUpcallHandler>();
  handler_threads_ = config_.handler_threads ? config_.handler_threads : default_handler_threads();
  CPU_ZERO(&process_cpus_);
  if (sched_getaffinity(0, sizeof process_cpus_, &process_cpus_) != 0)
    for (unsigned cpu = 0; cpu < std::thread::hardware_concurrency(); ++cpu) CPU_SET(cpu, &process_cpus_);
  if (config_.caller_driven) config_.forwarding_cpus.clear();
  else if (config_.forwarding_cpus.empty()) config_.forwarding_cpus.push_back(std::nullopt);
  unsigned id = 0;
  for (const auto& cpu : config_.forwarding_cpus) {
    threads_.push_back(std::make_unique<ForwardingThread>(id++, cpu, config_.poll_policy));
  }
}

DatapathInterface::~DatapathInterface() {
  std::vector<std::string> names = datapath_names();
  for (const std::string& name : names) (void)close_datapath(name, false);
  threads_.clear();
}

Result<Datapath*> DatapathInterface::lookup(const std::string& name) const {
  auto it = datapaths_.find(name);
  if (it == datapaths_.end()) return make_error("datapath " + name + " does not exist");
  return it->second.dp.get();
}

Result<DatapathHandle> DatapathInterface::handle(const std::string& name) const {
  std::lock_guard guard(mutex_);
  auto it = datapaths_.find(name);
  if (it == datapaths_.end()) return make_error("datapath " + name + " does not exist");
  return DatapathHandle(it->second.dp);
}

Result<std::shared_ptr<DatapathHandle>> DatapathInterface::open_handle(const std::string& name) const {
  TRY_ASSIGN(h, handle(name));
  return std::make_shared<DatapathHandle>(std::move(h));
}

Datapath* DatapathInterface::find(const std::string& name) const {
  std::lock_guard guard(mutex_);
  auto it = datapaths_.find(name);
  return it == datapaths_.end() ? nullptr : it->second.dp.get();
}

Status DatapathInterface::create_datapath(const std::string& name,
                                         const DatapathOptions& options) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return make_error("datapath name \"" + name + "\" must be 1 to " +
                      std::to_string(kMaxNameLength) + " characters (it names its local port)");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return make_error("datapath name \"" + name +
                        "\" may only hold letters, digits, '-', '_' and '.'");
    }
  }
  std::lock_guard guard(mutex_);
  if (datapaths_.count(name)) return make_error("datapath " + name + " already exists");
  std::string where;
  if (interface_in_use(name, &where)) {
    return make_error("cannot create datapath " + name + ": an interface of that name is " + where);
  }
  std::shared_ptr<Datapath> dp(new Datapath(name, static_cast<unsigned>(threads_.size())),
                               destroy_datapath);
  dp->set_keep_devices(options.keep_devices);
  dp->flows().set_flow_overlap(options.flow_overlap);
  DatapathSettings settings = options.settings;
  if (!settings.vlan_limit) settings.vlan_limit = options.vlan_limit;
  if (!settings.upcall_rate) settings.upcall_rate = config_.upcall_rate;
  if (!settings.emc) settings.emc = config_.emc;
  if (!settings.emc_insert_inv_prob) settings.emc_insert_inv_prob = config_.emc_insert_inv_prob;
  if (auto st = check_datapath_settings(settings); !st.ok()) {
    return make_error("cannot create datapath " + name + ": " + st.error());
  }
  apply_settings(*dp, settings);
  VportSpec local = config_.local_port ? config_.local_port(name)
                                       : VportSpec{name, VportKind::kInternal, {}};
  auto port = dp->add_port(local, Datapath::kLocalPort);
  if (!port.ok()) return make_error("cannot create local port of " + name + ": " + port.error());
  Entry entry{dp, {}};
  if (!config_.caller_driven) {
    for (unsigned i = 0; i < handler_threads_; ++i)
      entry.handlers.push_back(std::make_unique<UpcallHandlerThread>(DatapathHandle(dp), handler_, i));
  }
  datapaths_.emplace(name, std::move(entry));
  rebalance();
  return Ok{};
}

Status DatapathInterface::delete_datapath(const std::string& name) {
  return close_datapath(name, true);
}

Status DatapathInterface::close_datapath(const std::string& name, bool release_devices) {
  Entry entry;
  {
    std::lock_guard guard(mutex_);
    auto it = datapaths_.find(name);
    if (it == datapaths_.end()) return make_error("datapath " + name + " does not exist");
    entry = std::move(it->second);
    datapaths_.erase(it);
    if (release_devices) entry.dp->release_devices();
    rebalance();  // forwarding threads stop polling its ports
  }
  entry.handlers.clear();  // joins the handler threads
  // Closes the ports (removing the devices it created) now, whoever still
  // holds a handle; the last reference frees the rest.
  entry.dp->close();
  entry.dp.reset();
  return Ok{};
}

unsigned DatapathInterface::handler_threads() const {
  std::lock_guard guard(mutex_);
  return handler_threads_;
}

Status DatapathInterface::set_handler_threads(unsigned threads) {
  if (threads > kMaxHandlerThreads)
    return make_error("handler threads " + std::to_string(threads) + " out of range 0.." +
                      std::to_string(kMaxHandlerThreads) + " (0: the default, " +
                      std::to_string(default_handler_threads()) + " here)");
  if (config_.caller_driven)
    return make_error("caller-driven datapaths have no handler threads");
  const unsigned wanted = threads ? threads : default_handler_threads();
  // Stopped outside the mutex: a handler finishing its batch may be in the
  // slow path, which must not wait for the control operations.
  std::vector<std::unique_ptr<UpcallHandlerThread>> stopping;
  {
    std::lock_guard guard(mutex_);
    if (wanted == handler_threads_) return Ok{};
    for (auto& [name, entry] : datapaths_) {
      while (entry.handlers.size() > wanted) {
        stopping.push_back(std::move(entry.handlers.back()));
        entry.handlers.pop_back();
      }
      for (unsigned i = static_cast<unsigned>(entry.handlers.size()); i < wanted; ++i)
        entry.handlers.push_back(
            std::make_unique<UpcallHandlerThread>(DatapathHandle(entry.dp), handler_, i));
    }
    log().info("handler threads per datapath: {} (were {})", wanted, handler_threads_);
    handler_threads_ = wanted;
  }
  stopping.clear();  // joins them
  return Ok{};
}

std::vector<std::string> DatapathInterface::datapath_names() const {
  std::lock_guard guard(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : datapaths_) out.push_back(name);
  return out;
}

Result<DatapathStats> DatapathInterface::datapath_stats(const std::string& name) const {
  std::lock_guard guard(mutex_);
  auto dp = lookup(name);
  if (!dp.ok()) return make_error(dp.error());
  DatapathStats stats = (*dp)->stats();
  stats.handler_threads = config_.caller_driven ? 0 : handler_threads_;  // mutex_ held
  return stats;
}

Status DatapathInterface::set_settings(const std::string& name, const DatapathSettings& settings) {
  if (auto st = check_datapath_settings(settings); !st.ok()) return st;
  std::lock_guard guard(mutex_);
  TRY_ASSIGN(dp, lookup(name));
  apply_settings(*dp, settings);
  return Ok{};
}

Result<DatapathSettings> DatapathInterface::settings(const std::string& name) const {
  std::lock_guard guard(mutex_);
  TRY_ASSIGN(dp, lookup(name));
  DatapathSettings s;
  s.vlan_limit = dp->vlan_limit();
  s.flow_limit = dp->configured_flow_limit();
  s.upcall_rate = dp->upcalls().rate_limit();
  s.emc = dp->emc();
  s.emc_insert_inv_prob = dp->emc_insert_inv_prob();
  return s;
}

Status DatapathInterface::set_vlan_limit(const std::string& name, int vlan_limit) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->set_vlan_limit(vlan_limit);
}

Result<int> DatapathInterface::vlan_limit(const std::string& name) const {
  std::lock_guard guard(mutex_);
  auto dp = lookup(name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->vlan_limit();
}

bool DatapathInterface::interface_in_use(const std::string& name, std::string* where) const {
  for (const auto& [dp_name, entry] : datapaths_) {
    auto n = entry.dp->port_number(name);
    if (n.ok()) {
      *where = "already port " + std::to_string(*n) + " of datapath " + dp_name;
      return true;
    }
  }
  return false;
}

Result<uint32_t> DatapathInterface::add_port(const std::string& dp_name, const VportSpec& spec,
                                             MissingInterface missing) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  std::string where;
  if (interface_in_use(spec.name, &where)) {
    return make_error("cannot add " + spec.name + ": it is " + where);
  }
  VportSpec open_spec = spec;
  std::optional<uint32_t> port_no;
  if (auto it = open_spec.options.find("port_no"); it != open_spec.options.end()) {
    uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec != std::errc() || ptr != it->second.data() + it->second.size() || n == 0) {
      return make_error("port_no=" + it->second + " is not a port number (1.." +
                        std::to_string(Datapath::kMaxPorts - 1) + ")");
    }
    port_no = n;
    open_spec.options.erase(it);
  }
  if (missing == MissingInterface::kWait && opens_interface_by_name(open_spec.kind)) {
    if (auto index = interface_index(open_spec.name); !index.ok()) {
      // Refused for a bad name or option now, not when the interface appears.
      TRY_STATUS(check_interface_port_spec(open_spec.kind, open_spec.name, open_spec.options));
      auto waiting = (*dp)->add_absent_port(open_spec, port_no, index.error());
      if (waiting.ok()) {
        log().warn("datapath {}: port {} {} ({}) added without its interface ({}): it opens "
                   "when the interface appears",
                   dp_name, *waiting, open_spec.name, to_string(open_spec.kind), index.error());
      }
      return waiting;
    }
  }
  auto added = (*dp)->add_port(open_spec, port_no);
  if (!added.ok()) {
    log().warn("datapath {}: cannot attach {} port {}: {}", dp_name, to_string(open_spec.kind),
               open_spec.name, added.error());
    return added;
  }
  log().info("datapath {}: port {} {} ({}) attached", dp_name, *added, open_spec.name,
             to_string(open_spec.kind));
  rebalance();
  return added;
}

Result<uint32_t> DatapathInterface::resolve_port(const Datapath& dp, const std::string& port) const {
  uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec == std::errc() && ptr == port.data() + port.size()) {
    rcu::ReadSection section;
    if (dp.port(n) == nullptr && !dp.is_absent(n)) {
      return make_error("datapath " + dp.name() + " has no port " + port);
    }
    return n;
  }
  return dp.port_number(port);
}

Status DatapathInterface::set_port(const std::string& dp_name, const VportSpec& spec) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  auto number = (*dp)->port_number(spec.name);
  if (!number.ok()) return make_error(number.error());
  if (spec.options.count("port_no")) {
    return make_error("port_no cannot be changed by set-if; delete and re-add the port");
  }
  if ((*dp)->is_absent(*number)) {
    // No device to reopen: the port waits for its interface with the new
    // options (checked now), or opens at once if the interface is there.
    PortInfo info{};
    for (const PortInfo& p : (*dp)->ports())
      if (p.port_no == *number) info = p;
    if (info.kind != spec.kind) {
      return make_error("port " + spec.name + " is of type " + std::string(to_string(info.kind)) +
                        ", not " + std::string(to_string(spec.kind)));
    }
    TRY_STATUS(check_interface_port_spec(spec.kind, spec.name, spec.options));
    (void)(*dp)->detach_port(*number);
    TRY_ASSIGN(kept, (*dp)->add_absent_port(spec, *number, info.absent_reason));
    if (interface_index(spec.name).ok() && (*dp)->attach_absent_port(kept).ok()) rebalance();
    return Ok{};
  }
  DatapathPort* old_port;
  {
    rcu::ReadSection section;
    old_port = (*dp)->port(*number);
  }
  if (old_port->vport().type() != spec.kind) {
    return make_error("port " + spec.name + " is of type " +
                      std::string(to_string(old_port->vport().type())) + ", not " +
                      std::string(to_string(spec.kind)));
  }
  return reopen_port(**dp, *number, spec);
}

Status DatapathInterface::reopen_port(Datapath& dp, uint32_t number, const VportSpec& spec) {
  DatapathPort* old_port;
  {
    rcu::ReadSection section;
    old_port = dp.port(number);
  }
  VportSpec old_spec = old_port->spec();
  // Stop polling the port before the old device is closed and the new one
  // opened (a TAP device cannot exist twice under one name).
  dp.swap_port(number, nullptr);
  rebalance();
  free_port(old_port);
  auto vport = dp.open_vport(spec);
  if (!vport.ok()) {
    // Put the port back as it was.
    auto restored = dp.add_port(old_spec, number);
    rebalance();
    if (!restored.ok()) {
      log().error("datapath {}: port {} {} cannot be reopened ({}) nor restored as it was ({}): "
                  "removed",
                  dp.name(), number, spec.name, vport.error(), restored.error());
      return make_error(vport.error() + "; the old port could not be reopened either (" +
                        restored.error() + "), so it was removed");
    }
    log().warn("datapath {}: port {} {} cannot be reopened: {}; kept as it was", dp.name(), number,
               spec.name, vport.error());
    return make_error(vport.error());
  }
  dp.swap_port(number, new DatapathPort(number, std::move(vport.value()), spec));
  log().info("datapath {}: port {} {} ({}) reopened", dp.name(), number, spec.name,
             to_string(spec.kind));
  rebalance();
  return Ok{};
}

std::vector<InterfacePortChange> DatapathInterface::attach_interface(const std::string& name) {
  std::lock_guard guard(mutex_);
  std::vector<InterfacePortChange> out;
  for (const auto& [dp_name, entry] : datapaths_) {
    auto number = entry.dp->port_number(name);
    if (!number.ok() || !entry.dp->is_absent(*number)) continue;
    Status attached = entry.dp->attach_absent_port(*number);
    if (attached.ok()) {
      log().info("datapath {}: port {} {}: interface {} appeared: port attached", dp_name, *number,
                 name, name);
    } else {
      log().error("datapath {}: port {} {}: interface {} appeared but cannot be opened: {}",
                  dp_name, *number, name, name, attached.error());
    }
    out.push_back({dp_name, *number, attached.ok() ? "" : attached.error()});
  }
  if (!out.empty()) rebalance();
  return out;
}

std::vector<InterfacePortChange> DatapathInterface::detach_interface(const std::string& name,
                                                                     const std::string& reason) {
  std::lock_guard guard(mutex_);
  std::vector<InterfacePortChange> out;
  std::vector<DatapathPort*> detached;
  for (const auto& [dp_name, entry] : datapaths_) {
    auto number = entry.dp->port_number(name);
    if (!number.ok() || entry.dp->is_absent(*number)) continue;
    auto port = entry.dp->make_port_absent(*number, reason);
    if (!port.ok()) continue;  // a port of a device the datapath made (tap, internal)
    detached.push_back(*port);
    log().warn("datapath {}: port {} {}: {}: port detached, waiting for the interface to return",
               dp_name, *number, name, reason);
    out.push_back({dp_name, *number, ""});
  }
  if (detached.empty()) return out;
  rebalance();  // no forwarding thread polls them any more
  rcu::wait_for_grace_period();
  for (DatapathPort* port : detached) delete port;
  return out;
}

void DatapathInterface::interface_link_up(const std::string& name) {
  std::lock_guard guard(mutex_);
  for (const auto& [dp_name, entry] : datapaths_) {
    auto number = entry.dp->port_number(name);
    if (!number.ok()) continue;
    rcu::ReadSection section;
    if (DatapathPort* port = entry.dp->port(*number)) port->vport().record_device_error("");
  }
}

std::vector<InterfacePortChange> DatapathInterface::interface_mtu_changed(const std::string& name,
                                                                          uint32_t mtu) {
  std::lock_guard guard(mutex_);
  std::vector<InterfacePortChange> out;
  for (const auto& [dp_name, entry] : datapaths_) {
    auto number = entry.dp->port_number(name);
    if (!number.ok() || entry.dp->is_absent(*number)) continue;
    VportSpec spec;
    {
      rcu::ReadSection section;
      DatapathPort* port = entry.dp->port(*number);
      if (port == nullptr || !opens_interface_by_name(port->vport().type()) ||
          port->vport().mtu() == mtu)
        continue;
      spec = port->spec();
    }
    Status reopened = reopen_port(*entry.dp, *number, spec);
    out.push_back({dp_name, *number, reopened.ok() ? "" : reopened.error()});
  }
  return out;
}

Status DatapathInterface::remove_port(const std::string& dp_name, const std::string& port) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  auto number = resolve_port(**dp, port);
  if (!number.ok()) return make_error(number.error());
  if (*number == Datapath::kLocalPort) {
    return make_error("port 0 is the local port of " + dp_name +
                      "; it goes away with the datapath (del-dp)");
  }
  auto detached = (*dp)->detach_port(*number);
  if (!detached.ok()) return make_error(detached.error());
  if (*detached == nullptr) {  // absent: nothing was open
    log().info("datapath {}: port {} removed (it was waiting for its interface)", dp_name, *number);
    return Ok{};
  }
  log().info("datapath {}: port {} {} ({}) detached", dp_name, *number,
             (*detached)->vport().name(), to_string((*detached)->vport().type()));
  if ((*dp)->keep_devices()) (void)(*detached)->vport().set_device_persistent(false);
  rebalance();
  free_port(*detached);
  return Ok{};
}

void DatapathInterface::free_port(DatapathPort* port) {
  if (port == nullptr) return;
  // Forwarding threads no longer poll it (rebalance returned); a grace period
  // later no thread can hold it from a flow's output either.
  rcu::wait_for_grace_period();
  delete port;
}

Result<std::vector<PortInfo>> DatapathInterface::list_ports(const std::string& dp_name) const {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->ports();
}

void DatapathInterface::rebalance() {
  // Round-robin every port's receive side over the threads, in datapath and
  // port order, so the assignment is stable for a stable configuration.
  if (threads_.empty()) return;  // caller-driven: nobody polls
  std::vector<std::vector<PollTarget>> lists(threads_.size());
  size_t next = 0;
  for (const auto& [name, entry] : datapaths_) {
    for (DatapathPort* port : entry.dp->port_objects()) {
      lists[next++ % lists.size()].push_back(PollTarget{entry.dp.get(), port});
    }
  }
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (log().should_log(spdlog::level::debug)) {
      std::string polled;
      for (const PollTarget& t : lists[i]) {
        polled += (polled.empty() ? "" : ", ") + t.dp->name() + "/" + t.port->vport().name();
      }
      log().debug("forwarding thread {} polls {} port(s){}{}", i, lists[i].size(),
                  polled.empty() ? "" : ": ", polled);
    }
    threads_[i]->set_ports(std::move(lists[i]));
  }
}

Result<MegaflowPutResult> DatapathInterface::put_flow(const std::string& dp_name,
                                                      const MegaflowPut& put) {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.put(put);
}

Result<FlowEntry> DatapathInterface::get_flow(const std::string& dp_name, const Ufid& ufid) const {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.get(ufid);
}

Result<FlowEntry> DatapathInterface::get_flow(const std::string& dp_name, const Match& match) const {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.get(match);
}

Result<FlowEntry> DatapathInterface::delete_flow(const std::string& dp_name, const Ufid& ufid) {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.remove(ufid);
}

Result<FlowEntry> DatapathInterface::delete_flow(const std::string& dp_name, const Match& match) {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.remove(match);
}

Status DatapathInterface::flush_flows(const std::string& dp_name) {
  TRY_ASSIGN(dp, handle(dp_name));
  return dp.flush();
}

Result<std::vector<FlowEntry>> DatapathInterface::dump_flows(const std::string& dp_name) const {
  // Chunk by chunk without the control mutex: a dump of 200,000 flows must
  // not stall port changes or other clients.
  TRY_ASSIGN(dp, handle(dp_name));
  std::vector<FlowEntry> out;
  FlowDumpCursor cursor;
  while (!cursor.done()) dp.dump(&cursor, &out, 1024);
  return out;
}

Status DatapathInterface::dump_flows(const std::string& dp_name, FlowDumpCursor* cursor,
                                     size_t max_flows, std::vector<FlowEntry>* out) const {
  // The mutex only to find the datapath (the handle keeps it alive): a dump
  // of 200,000 flows must not stall port changes, puts or other clients.
  TRY_ASSIGN(dp, handle(dp_name));
  dp.dump(cursor, out, max_flows);
  return Ok{};
}

Result<ExecuteOutcome> DatapathInterface::execute(const std::string& dp_name,
                                                  std::span<const uint8_t> frame,
                                                  const PacketMetadata& md,
                                                  std::span<const uint8_t> actions) {
  TRY_ASSIGN(dp, handle(dp_name));
  if (auto st = validate_flow_actions(dp.datapath(), actions); !st.ok()) return make_error(st.error());
  // No port of the datapath could carry a larger frame: refuse it here
  // rather than have every output drop it.
  uint32_t max_mtu = 0;
  {
    rcu::ReadSection section;
    for (DatapathPort* port : dp.datapath().port_objects())
      max_mtu = std::max(max_mtu, port->vport().mtu());
  }
  const uint32_t max_frame = max_mtu + kMaxFrameOverhead;
  if (frame.size() > max_frame) {
    return make_error("packet of " + std::to_string(frame.size()) +
                      " bytes is larger than any port of " + dp_name + " carries (" +
                      std::to_string(max_frame) + " bytes: MTU " + std::to_string(max_mtu) +
                      " plus Ethernet and two VLAN headers)");
  }
  std::lock_guard guard(executor_mutex_);
  return dp.execute(executor_, frame, md, actions);
}

Status DatapathInterface::with_conntrack(const std::string& dp,
                                         const std::function<void(conntrack::Conntrack&)>& fn) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(datapath, lookup(dp));
  fn(datapath->conntrack());
  return Ok{};
}

Status DatapathInterface::set_meter(const std::string& dp_name, uint32_t meter_id,
                                    const MeterConfig& config) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->set_meter(meter_id, config);
}

Status DatapathInterface::remove_meter(const std::string& dp_name, uint32_t meter_id) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->remove_meter(meter_id);
}

Result<MeterStats> DatapathInterface::meter_stats(const std::string& dp_name, uint32_t meter_id) {
  std::lock_guard guard(mutex_);
  auto dp = lookup(dp_name);
  if (!dp.ok()) return make_error(dp.error());
  return (*dp)->meter_stats(meter_id);
}

Result<size_t> DatapathInterface::handle_upcalls(const std::string& dp_name) {
  TRY_ASSIGN(dp, handle(dp_name));
  std::vector<Upcall> batch(UpcallHandlerThread::kUpcallBatch);
  size_t total = 0;
  while (size_t n = dp.receive_upcalls(batch, batch.size(), std::chrono::milliseconds(0))) {
    handler_->handle(dp, std::span<Upcall>(batch.data(), n));
    total += n;
  }
  return total;
}

std::vector<ForwardingThreadStats> DatapathInterface::thread_stats() const {
  std::lock_guard guard(mutex_);
  std::vector<ForwardingThreadStats> out;
  for (const auto& t : threads_) {
    ForwardingThreadStats s = t->stats();
    for (const auto& [name, entry] : datapaths_) s.datapaths += entry.dp->thread_counts(t->id());
    out.push_back(s);
  }
  return out;
}

DatapathCounts DatapathInterface::other_thread_counts() const {
  std::lock_guard guard(mutex_);
  DatapathCounts sum;
  for (const auto& [name, entry] : datapaths_) sum += entry.dp->shared_counts();
  return sum;
}

std::vector<std::optional<unsigned>> DatapathInterface::forwarding_cpus() const {
  std::lock_guard guard(mutex_);
  return config_.forwarding_cpus;
}

Status DatapathInterface::set_forwarding_cpus(const std::vector<std::optional<unsigned>>& cpus) {
  std::lock_guard guard(mutex_);
  if (config_.caller_driven) return make_error("caller-driven datapaths have no forwarding threads");
  if (cpus.size() != threads_.size())
    return make_error(std::to_string(cpus.size()) + " CPU(s) for " + std::to_string(threads_.size()) +
                      " forwarding thread(s): flowpath moves its forwarding threads at run time "
                      "but does not change their number (flowpathd --threads or --cpus at start)");
  for (const auto& cpu : cpus)
    if (cpu && (*cpu >= CPU_SETSIZE || !CPU_ISSET(*cpu, &process_cpus_)))
      return make_error("CPU " + std::to_string(*cpu) + " is not one flowpathd may run on (" +
                        cpu_list_text(process_cpus_) + ")");
  if (cpus == config_.forwarding_cpus) return Ok{};
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (auto st = threads_[i]->set_cpu(cpus[i], process_cpus_); !st.ok()) {
      for (size_t j = 0; j < i; ++j) (void)threads_[j]->set_cpu(config_.forwarding_cpus[j], process_cpus_);
      return st;
    }
  }
  std::string where;
  for (const auto& cpu : cpus) where += (where.empty() ? "" : ", ") + (cpu ? std::to_string(*cpu) : "unpinned");
  log().info("forwarding threads moved: {}", where);
  config_.forwarding_cpus = cpus;
  return Ok{};
}

}  // namespace flowpath
