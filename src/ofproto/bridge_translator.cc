// BridgeTranslator: a bridge's OpenFlow pipeline as the upcall layer's
// translator (see bridge_translator.h).
#include "ofproto/bridge_translator.h"

#include <cstring>

#include "common/clock.h"
#include "common/log_modules.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"

namespace flowpath::ofproto {

namespace {

// What the upcall layer installs and keeps from a translation.
upcall::Translation to_translation(XlateResult& result, upcall::TranslationStamp stamp) {
  upcall::Translation t;
  t.actions = std::move(result.odp_actions);
  t.mask = result.mask;
  t.stamp = stamp;
  t.tags = std::move(result.mac_dependencies);
  // A tunnel whose next hop is not resolved yet: not installed, so the
  // next packet translates again once the neighbour answered.
  t.install = !result.neighbour_miss;
  t.failed = result.error;
  if (!result.counters.empty() || result.learned || !result.learned_flows.empty()) {
    auto cache = std::make_unique<BridgeTranslationCache>();
    cache->counters = std::move(result.counters);
    cache->learned = result.learned;
    cache->learned_flows = std::move(result.learned_flows);
    t.cache = std::move(cache);
  }
  return t;
}

}  // namespace

upcall::Translation BridgeTranslator::translate_miss(const Upcall& upcall) {
  XlateOptions options;
  options.may_learn = true;
  options.now_ms = monotonic_ms();
  options.packet_sequence = upcall.sequence;
  XlateResult result;
  upcall::TranslationStamp stamp;
  {
    std::shared_lock lock(bridge_.state_mutex);
    // The stamp is taken before translating: a change that races with this
    // translation makes the revalidator check the flow again.
    stamp = bridge_.stamp();
    result = translate(bridge_.state, upcall.key, options);
    // If the only MAC table change since the stamp is this translation's own
    // learning, the flow is current with the table as it is now; anything
    // else (another thread's change) leaves the older stamp, and the
    // revalidator re-checks the flow.
    uint64_t mac_now = bridge_.state.mac.seq();
    if (mac_now == stamp.tags + (result.mac_changed ? 1 : 0)) stamp.tags = mac_now;
  }
  bool tags_changed = result.mac_changed;
  // Flows that a learn action added change what other flows do (a flood
  // becomes an output): those are re-translated, as after a MAC change.
  if (ofproto_.apply_learned(bridge_, result.learned_flows, options.now_ms)) {
    bridge_.changed();
    tags_changed = true;
  }
  if (result.error)
    module_log(LogModule::kUpcall).debug("bridge {}: translation failed: {}", bridge_.name, result.error_message);
  // The packet that missed is handled here, not by the megaflow: it counts
  // for the rules and groups now (the megaflow's own counters start at 0).
  for (auto& c : result.counters) c->add(1, upcall.packet.size(), options.now_ms);
  // Native tunnelling's ARP/ND requests go into the bridge as if received
  // on the underlay port (Open vSwitch's compose_table_xlate); no lock of
  // the bridge's is held here.
  for (const auto& request : result.neighbour_requests) {
    std::vector<OfAction> actions{action::Output{kOfppTable}};
    if (auto st = ofproto_.packet_out(bridge_.name, dp_port_to_of(request.in_port), actions,
                                      request.frame);
        !st.ok())
      module_log(LogModule::kUpcall).debug("bridge {}: sending a neighbour request: {}", bridge_.name, st.error().to_string());
  }
  const bool neighbour_changed = result.neighbour_changed;
  upcall::Translation t = to_translation(result, stamp);
  t.tags_changed = tags_changed || neighbour_changed;
  // The neighbour cache is the process's: every bridge's flows that
  // resolved a neighbour may be stale.
  t.all_datapaths_stale = neighbour_changed;
  return t;
}

upcall::Translation BridgeTranslator::retranslate(const FlowKey& key) {
  XlateOptions options;
  options.may_learn = false;
  options.now_ms = monotonic_ms();
  XlateResult result;
  upcall::TranslationStamp stamp;
  {
    std::shared_lock lock(bridge_.state_mutex);
    stamp = bridge_.stamp();
    result = translate(bridge_.state, key, options);
  }
  return to_translation(result, stamp);
}

void BridgeTranslator::handle_action(Upcall& upcall) {
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
    std::lock_guard guard(bridge_.packet_in_mutex);
    if (bridge_.packet_ins.size() >= Bridge::kMaxPacketIns) {
      ++bridge_.packet_ins_dropped;
      return;
    }
    bridge_.packet_ins.push_back(std::move(in));
  }
  if (ofproto_.change_observer_) ofproto_.change_observer_();
}

upcall::TranslationStamp BridgeTranslator::stamp() const { return bridge_.stamp(); }

std::vector<uint64_t> BridgeTranslator::take_changed_tags(bool* all) {
  return bridge_.state.mac.take_changes(all);
}

void BridgeTranslator::credit(upcall::TranslationCache* cache, uint64_t packets, uint64_t bytes,
                              uint64_t now_ms) {
  if (!cache) return;
  auto& used = static_cast<BridgeTranslationCache&>(*cache);  // only this translator makes them
  for (auto& c : used.counters) c->add(packets, bytes, now_ms);
  // Traffic keeps the source's MAC entry alive, as if each packet had been
  // seen by NORMAL, and learns its learned flows again.
  if (used.learned) refresh_.push_back(*used.learned);
  relearn_.insert(relearn_.end(), used.learned_flows.begin(), used.learned_flows.end());
}

void BridgeTranslator::end_round(uint64_t now_ms) {
  for (const auto& l : refresh_) bridge_.state.mac.learn(l.mac, l.vlan, l.port, now_ms);
  refresh_.clear();
  if (ofproto_.apply_learned(bridge_, relearn_, now_ms)) bridge_.changed();
  relearn_.clear();
  ofproto_.expire_rules(bridge_, now_ms);
  bridge_.state.mac.expire(now_ms);
}

}  // namespace flowpath::ofproto
