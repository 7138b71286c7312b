// Ofproto: handling upcalls. A miss is translated, its megaflow installed
// (the ukey first, so the revalidator never mistakes it for a stranger) and
// the packet executed with the same actions. A userspace() action that came
// from CONTROLLER becomes a packet-in.
#include "common/log_modules.h"

#include <cstring>

#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/xlate.h"

namespace flowpath::ofproto {

void Ofproto::handle(const DatapathHandle& dp, std::span<Upcall> upcalls) {
  std::shared_lock bridges(bridges_mutex_);
  auto it = bridges_.find(dp.name());
  if (it == bridges_.end()) {  // a datapath without a bridge: no slow path for it
    count_unhandled_upcalls(dp.datapath(), upcalls);
    return;
  }
  Bridge& bridge = *it->second;
  bool mac_changed = false;
  NativeTunnelEvents tunnel_events;
  for (Upcall& upcall : upcalls) {
    stats_.upcalls.fetch_add(1, std::memory_order_relaxed);
    if (upcall.type == UpcallType::kAction) handle_action_upcall(bridge, upcall);
    else handle_miss(bridge, dp, upcall, &mac_changed, &tunnel_events);
  }
  if (tunnel_events.neighbour_changed) {
    // Every bridge's flows that resolved a neighbour may be stale (the cache
    // is the process's): the revalidator re-translates them.
    for (const auto& [name, other] : bridges_) other->changed();
    mac_changed = true;
  }
  // Flows that flooded towards a MAC learned now must be fixed: once per batch.
  if (mac_changed) revalidate_now();
  bridges.unlock();
  // Native tunnelling's ARP/ND requests go into the bridge as if received on
  // the underlay port (Open vSwitch's compose_table_xlate), once the
  // bridges' lock is no longer held.
  for (const auto& request : tunnel_events.requests) {
    std::vector<OfAction> actions{action::Output{kOfppTable}};
    if (auto st = packet_out(dp.name(), dp_port_to_of(request.in_port), actions, request.frame);
        !st.ok())
      module_log(LogModule::kUpcall).debug("bridge {}: sending a neighbour request: {}", dp.name(), st.error().to_string());
  }
}

void Ofproto::handle_action_upcall(Bridge& bridge, Upcall& upcall) {
  ControllerUserdata ud;
  if (upcall.userdata.size() < sizeof ud) return;
  std::memcpy(&ud, upcall.userdata.data(), sizeof ud);
  if (ud.magic != ControllerUserdata::kMagic) return;
  PacketIn in;
  in.in_port = dp_port_to_of(upcall.key.md.in_port);
  in.reason = ud.reason;
  in.explicit_miss = ud.flags & ControllerUserdata::kExplicitMiss;
  in.table = ud.table;
  in.cookie = ud.cookie;
  in.controller_id = ud.controller_id;
  in.total_len = static_cast<uint32_t>(upcall.packet.size());
  size_t len = std::min<size_t>(upcall.packet.size(), ud.max_len);
  in.packet.assign(upcall.packet.begin(), upcall.packet.begin() + static_cast<ptrdiff_t>(len));
  in.userdata.assign(upcall.userdata.begin() + sizeof ud, upcall.userdata.end());
  {
    std::lock_guard guard(bridge.packet_in_mutex);
    if (bridge.packet_ins.size() >= Bridge::kMaxPacketIns) {
      ++bridge.packet_ins_dropped;
      return;
    }
    bridge.packet_ins.push_back(std::move(in));
  }
  if (change_observer_) change_observer_();
}

void Ofproto::handle_miss(Bridge& bridge, const DatapathHandle& dp, Upcall& upcall,
                          bool* mac_changed, NativeTunnelEvents* tunnel_events) {
  XlateOptions options;
  options.may_learn = true;
  options.now_ms = monotonic_ms();
  options.packet_sequence = upcall.sequence;
  XlateResult result;
  ChangeStamp stamp;
  {
    std::shared_lock lock(bridge.state_mutex);
    // The stamp is taken before translating: a change that races with this
    // translation makes the revalidator check the flow again.
    stamp = bridge.stamp();
    result = translate(bridge.state, upcall.key, options);
    // If the only MAC table change since the stamp is this translation's own
    // learning, the flow is current with the table as it is now; anything
    // else (another thread's change) leaves the older stamp, and the
    // revalidator re-checks the flow.
    uint64_t mac_now = bridge.state.mac.seq();
    if (mac_now == stamp.mac + (result.mac_changed ? 1 : 0)) stamp.mac = mac_now;
  }
  if (result.mac_changed) *mac_changed = true;
  // Flows that a learn action added change what other flows do (a flood
  // becomes an output): those are re-translated, as after a MAC change.
  if (apply_learned(bridge, result.learned_flows, options.now_ms)) {
    bridge.changed();
    *mac_changed = true;
  }
  if (result.neighbour_changed) tunnel_events->neighbour_changed = true;
  for (auto& request : result.neighbour_requests) tunnel_events->requests.push_back(std::move(request));
  if (result.error) {
    module_log(LogModule::kUpcall).debug("bridge {}: translation failed: {}", bridge.name, result.error_message);
  }

  // The packet that missed is handled here, not by the megaflow: it counts
  // for the rules and groups now (the megaflow's own counters start at 0).
  for (auto& c : result.counters) c->add(1, upcall.packet.size(), options.now_ms);

  Match match{upcall.key, result.mask};
  match.normalize();
  Ufid ufid = Ufid::from_match(match);
  // A tunnel whose next hop is not resolved yet: not installed, so the
  // next packet translates again once the neighbour answered.
  bool install = !result.neighbour_miss;
  if (install) {
    std::lock_guard guard(bridge.ukey_mutex);
    auto [pos, inserted] = bridge.ukeys.try_emplace(ufid);
    if (!inserted) {
      install = false;  // another upcall of the same megaflow got here first
    } else {
      UKey& ukey = pos->second;
      ukey.key = upcall.key;
      ukey.mask = SparseMask::of(match.mask);
      ukey.actions = result.odp_actions;
      ukey.counters = result.counters;
      ukey.stamp = stamp;
      ukey.created_ms = options.now_ms;
      ukey.mac_dependencies = result.mac_dependencies;
      ukey.learned = result.learned;
      ukey.learned_flows = result.learned_flows;
      for (uint64_t dep : result.mac_dependencies) bridge.mac_index[dep].push_back(ufid);
      bridge.recent.push_back(ufid);
    }
  }
  if (install) {
    MegaflowPut put;
    put.match = match;
    put.ufid = ufid;
    put.actions = result.odp_actions;
    put.mode = PutMode::kCreate;
    auto r = dp.put(put);
    if (r.ok()) {
      stats_.flows_installed.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.install_failures.fetch_add(1, std::memory_order_relaxed);
      module_log(LogModule::kUpcall).debug("bridge {}: installing a megaflow: {}", bridge.name, r.error());
      std::lock_guard guard(bridge.ukey_mutex);
      bridge.ukeys.erase(ufid);
    }
  }
  if (result.odp_actions.empty()) {
    // Translation dropped it: counted as the megaflow's later packets are.
    dp.count_drop(DropReason::kNoOutput);
  } else if (upcall.packet.size() >= 14) {
    // The handler's own executor: the actions need no validation
    // (translation made them for this datapath's ports; one removed since
    // just drops).
    thread_local PacketExecutor executor;
    if (auto st = dp.execute(executor, upcall.packet, upcall.key.md, result.odp_actions); !st.ok())
      module_log(LogModule::kUpcall).debug("bridge {}: executing a missed packet: {}", bridge.name, st.error());
  }
}

}  // namespace flowpath::ofproto
