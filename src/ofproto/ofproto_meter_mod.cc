// Ofproto: meters (a datapath meter with the same number) in the OpenFlow
// model, from the wire's meter mods and fpctl's add-meter/del-meters, with
// OpenFlow's error codes as Open vSwitch gives them; and their statistics.
#include <fmt/format.h>
#include "common/log_modules.h"

#include <set>

#include "common/clock.h"
#include "ofproto/bridge.h"
#include "ofproto/id_filter.h"
#include "ofproto/ofproto.h"
#include "ofproto/rule_batch.h"
#include "ofproto/rules_undo.h"
#include "openflow/wire/flow_removed.h"

namespace flowpath::ofproto {

namespace {

using wire::MeterMod;
using wire::MeterModCommand;
using wire::OfpErrorCode;
using wire::wire_error;

// A meter as the datapath takes it, or why it cannot.
wire::WireResult<MeterConfig> datapath_meter(const MeterSpec& spec) {
  if (spec.bands.size() > MeterTable::kMaxBands)
    return wire_error(OfpErrorCode::OFPMMFC_OUT_OF_BANDS,
                      fmt::format("meter {} has {} bands (at most {})", spec.meter_id,
                                  spec.bands.size(), MeterTable::kMaxBands));
  MeterConfig config;
  config.packets_per_second = spec.pktps;
  for (const MeterBandSpec& band : spec.bands) {
    if (band.type != OfMeterBandType::kDrop)
      return wire_error(OfpErrorCode::OFPMMFC_BAD_BAND,
                        "only drop bands are supported (not dscp_remark)");
    if (band.rate == 0 || band.rate > UINT32_MAX)
      return wire_error(OfpErrorCode::OFPMMFC_BAD_RATE,
                        fmt::format("meter band rate {} is out of range (1..{})", band.rate,
                                    UINT32_MAX));
    if (band.burst_size > UINT32_MAX)
      return wire_error(OfpErrorCode::OFPMMFC_BAD_BURST,
                        fmt::format("meter band burst size {} is too large", band.burst_size));
    MeterBandConfig b;
    b.rate = static_cast<uint32_t>(band.rate);
    b.burst_size = static_cast<uint32_t>(band.burst_size);
    config.bands.push_back(b);
  }
  return config;
}

bool actions_use_meter(const std::vector<OfAction>& actions, uint32_t meter_id) {
  for (const OfAction& a : actions)
    if (const auto* m = std::get_if<action::Meter>(&a); m && m->meter_id == meter_id) return true;
  return false;
}

}  // namespace

wire::WireStatus Ofproto::meter_mod(const std::string& bridge_name, const MeterMod& mm) {
  std::lock_guard config(config_mutex_);
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return wire_error(OfpErrorCode::OFPBRC_EPERM, found.error());
  Bridge& bridge = **found;
  const uint32_t id = mm.meter.meter_id;
  RulesUndo before = snapshot_rules(bridge);

  if (mm.command == MeterModCommand::kDelete) {
    std::set<uint32_t> gone;
    {
      std::unique_lock state(bridge.state_mutex);
      for (const auto& [mid, meter] : bridge.state.meters)
        if (id == wire::kMeterAll || mid == id) gone.insert(mid);
      if (gone.empty()) return Ok{};  // deleting what does not exist is no error
      for (uint32_t mid : gone) bridge.state.meters.erase(mid);
      // As Open vSwitch: the rules that use a deleted meter go with it.
      std::lock_guard rules(bridge.state.tables.mutex());
      RuleBatch batch(bridge.state.tables);
      std::vector<RulePtr> all;
      for (const RuleTable& table : bridge.state.tables)
        if (table.size()) table.all(batch.version(), &all);
      RemovedRules removed;
      for (const RulePtr& rule : all)
        for (uint32_t mid : gone)
          if (actions_use_meter(rule->actions, mid)) {
            batch.remove(*rule);
            removed.emplace_back(rule, wire::flow_removed_reason::kMeterDelete);
            break;
          }
      before.rules = batch.changes();
      batch.commit();
      queue_removed(bridge, removed);
    }
    if (auto saved = commit_change(bridge, bridges, put_back(bridge, before)); !saved.ok())
      return wire_error(OfpErrorCode::OFPMMFC_UNKNOWN, "not saved: " + saved.error());
    // Saved without them: now the datapath lets them go.
    for (uint32_t mid : gone) {
      (void)dpif_->remove_meter(bridge_name, mid);
      std::unique_lock state(bridge.state_mutex);
      bridge.state.meter_created_ms.erase(mid);
    }
    return Ok{};
  }

  if (id == 0 || id > wire::kMeterMax)
    return wire_error(OfpErrorCode::OFPMMFC_INVALID_METER,
                      fmt::format("meter id {:#x} is not 1..{:#x}", id, wire::kMeterMax));
  if (id >= MeterTable::kMaxMeters)
    return wire_error(OfpErrorCode::OFPMMFC_OUT_OF_METERS,
                      fmt::format("meter {}: the datapath's meters are numbered 1..{}", id,
                                  MeterTable::kMaxMeters - 1));
  const bool exists = before.meters.count(id) != 0;
  if (mm.command == MeterModCommand::kAdd && exists)
    return wire_error(OfpErrorCode::OFPMMFC_METER_EXISTS, fmt::format("meter {} already exists", id));
  if (mm.command == MeterModCommand::kModify && !exists)
    return wire_error(OfpErrorCode::OFPMMFC_UNKNOWN_METER, fmt::format("meter {} does not exist", id));
  if (mm.command != MeterModCommand::kAdd && mm.command != MeterModCommand::kModify)
    return wire_error(OfpErrorCode::OFPMMFC_BAD_COMMAND,
                      fmt::format("unknown meter mod command {}", static_cast<unsigned>(mm.command)));
  auto dp_config = datapath_meter(mm.meter);
  if (!dp_config.ok()) return dp_config.error();
  if (auto st = dpif_->set_meter(bridge_name, id, *dp_config); !st.ok())
    return wire_error(OfpErrorCode::OFPMMFC_OUT_OF_METERS, st.error());
  {
    std::unique_lock lock(bridge.state_mutex);
    bridge.state.meters[id] = mm.meter;
    bridge.state.meter_created_ms[id] = monotonic_ms();  // the datapath's counters start again
  }
  std::optional<MeterSpec> old;
  if (auto it = before.meters.find(id); it != before.meters.end()) old = it->second;
  auto saved = commit_change(bridge, bridges, [&] {
    put_back(bridge, before)();
    // The datapath's meter as it was: the old one, or none.
    Status undone = Ok{};
    if (old) {
      auto old_config = datapath_meter(*old);
      undone = old_config.ok() ? dpif_->set_meter(bridge_name, id, *old_config)
                               : make_error(old_config.error().detail);
    } else {
      undone = dpif_->remove_meter(bridge_name, id);
    }
    if (!undone.ok())
      module_log(LogModule::kOfproto).warn("bridge {}: putting meter {} back: {}", bridge_name, id, undone.error());
  });
  if (!saved.ok()) return wire_error(OfpErrorCode::OFPMMFC_UNKNOWN, "not saved: " + saved.error());
  return Ok{};
}

Status Ofproto::add_meter(const std::string& bridge_name, const std::string& text) {
  TRY_ASSIGN(spec, parse_meter_spec(text));
  wire::MeterMod mm;
  {
    std::shared_lock bridges(bridges_mutex_);
    TRY_ASSIGN(bridge, find_bridge(bridge_name));
    std::shared_lock state(bridge->state_mutex);
    // fpctl's add-meter replaces a meter of the same number.
    mm.command = bridge->state.meters.count(spec.meter_id) ? MeterModCommand::kModify
                                                           : MeterModCommand::kAdd;
  }
  mm.meter = std::move(spec);
  if (auto st = meter_mod(bridge_name, mm); !st.ok()) return make_error(st.error().detail);
  return Ok{};
}

Status Ofproto::del_meters(const std::string& bridge_name, const std::string& text) {
  TRY_ASSIGN(filter, parse_id_filter(text, "meter", "del-meters", 1, 0xffff0000u));
  wire::MeterMod mm;
  mm.command = MeterModCommand::kDelete;
  mm.meter.meter_id = filter ? *filter : wire::kMeterAll;
  if (auto st = meter_mod(bridge_name, mm); !st.ok()) return make_error(st.error().detail);
  return Ok{};
}

Result<std::vector<std::string>> Ofproto::dump_meters(const std::string& bridge_name) const {
  std::shared_lock bridges(bridges_mutex_);
  auto found = find_bridge(bridge_name);
  if (!found.ok()) return make_error(found.error());
  std::shared_lock lock((*found)->state_mutex);
  std::vector<std::string> out;
  for (const auto& [id, meter] : (*found)->state.meters) out.push_back(format_meter_spec(meter));
  return out;
}

Result<std::vector<MeterInfo>> Ofproto::meters(const std::string& bridge_name) const {
  std::vector<MeterInfo> out;
  {
    std::shared_lock bridges(bridges_mutex_);
    TRY_ASSIGN(bridge, find_bridge(bridge_name));
    std::shared_lock lock(bridge->state_mutex);
    std::vector<RulePtr> all;
    {
      std::lock_guard rules(bridge->state.tables.mutex());
      Version version = bridge->state.tables.version();
      for (const RuleTable& table : bridge->state.tables)
        if (table.size()) table.all(version, &all);
    }
    uint64_t now = monotonic_ms();
    for (const auto& [id, meter] : bridge->state.meters) {
      MeterInfo info;
      info.spec = meter;
      if (auto it = bridge->state.meter_created_ms.find(id);
          it != bridge->state.meter_created_ms.end())
        info.duration_ms = now - std::min(now, it->second);
      for (const RulePtr& rule : all) info.rules += actions_use_meter(rule->actions, id) ? 1 : 0;
      out.push_back(std::move(info));
    }
  }
  for (MeterInfo& info : out) {
    auto stats = dpif_->meter_stats(bridge_name, info.spec.meter_id);
    if (!stats.ok()) return make_error(fmt::format("meter {}: {}", info.spec.meter_id, stats.error()));
    info.packets = stats->packets;
    info.bytes = stats->bytes;
    for (const MeterBandStats& b : stats->bands) info.bands.push_back({b.packets, b.bytes});
  }
  return out;
}

}  // namespace flowpath::ofproto
