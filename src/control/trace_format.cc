#include "control/trace_format.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"

namespace flowpath::control {

namespace {

std::string utc_time(uint64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1000000000u);
  tm t{};
  gmtime_r(&seconds, &t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<unsigned>(ns % 1000000000u / 1000));
  return buf;
}

Json port_json(uint32_t port, const PortNumberNames& names) {
  Json out{{"port", port}};
  if (auto it = names.find(port); it != names.end()) out["name"] = it->second;
  return out;
}

std::string port_text(uint32_t port, const PortNumberNames& names) {
  auto it = names.find(port);
  return std::to_string(port) + (it != names.end() ? " (" + it->second + ")" : "");
}

Json flow_json(const Ufid& ufid, const Match& match, std::span<const uint8_t> actions,
               const PortNumberNames& names, int vlan_headers) {
  return Json{{"ufid", ufid.to_string()},
              {"flow", format_flow(match, false, vlan_headers, &names)},
              {"actions", format_odp_actions(actions, &names)}};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// What an action did, in words.
std::string action_result(const TraceAction& a, std::span<const uint8_t> attr,
                          const PortNumberNames& names) {
  auto u32 = [&]() -> std::optional<uint32_t> {
    if (attr.size() < kNlaHeaderLen + 4) return std::nullopt;
    uint32_t v;
    std::memcpy(&v, attr.data() + kNlaHeaderLen, 4);
    return v;
  };
  if (a.packets_before == 0) return "no packet left";
  if (a.dropped && a.packets_after == 0 && a.type != odp::kActionOutput)
    return "dropped (" + std::string(drop_reason_name(a.drop_reason)) + ")";
  switch (a.type) {
    case odp::kActionOutput: {
      auto port = u32();
      std::string to = port ? "port " + port_text(*port, names) : "a port";
      if (a.dropped) return "not sent to " + to + " (" + std::string(drop_reason_name(a.drop_reason)) + ")";
      return "queued to " + to;
    }
    case odp::kActionRecirc: {
      auto id = u32();
      return "recirculated with recirc_id " + (id ? hex32(*id) : std::string("?")) +
             ": the next pass";
    }
    case odp::kActionTunnelPop: {
      auto port = u32();
      return "decapsulated: the next pass is as received on port " +
             (port ? port_text(*port, names) : std::string("?"));
    }
    case odp::kActionCt:
      return a.packets_after != 0 ? "tracked: ct_state " + ct_state_text(a.ct_state)
                                  : "tracked, handed on";
    case odp::kActionMeter: return "within the meter's rate: passed";
    case odp::kActionUserspace: return "upcall to the slow path";
    case odp::kActionDrop: return "dropped";
    default: break;
  }
  return a.packets_after == 0 ? "handed off" : "applied";
}

}  // namespace

std::string ct_state_text(uint32_t s) {
  static constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {odp::kCsNew, "new"},       {odp::kCsEstablished, "est"}, {odp::kCsRelated, "rel"},
      {odp::kCsReplyDir, "rpl"},  {odp::kCsInvalid, "inv"},     {odp::kCsTracked, "trk"},
      {odp::kCsSrcNat, "snat"},   {odp::kCsDstNat, "dnat"}};
  std::string out;
  for (auto [bit, name] : kFlags)
    if (s & bit) out += std::string("+") + name;
  return out.empty() ? "0" : out;
}

Json trace_record_json(const TraceRecord& r, const PortNumberNames& names, int vlan_headers,
                       const std::vector<std::optional<FlowEntry>>& installed) {
  Json out{{"sequence", r.sequence},
           {"time", utc_time(r.time_ns)},
           {"thread", r.thread},
           {"in_port", r.in_port}};
  if (auto it = names.find(r.in_port); it != names.end()) out["in_port_name"] = it->second;
  out["length"] = r.length;
  Json truncated = Json::array();
  if (r.passes_truncated) truncated.push_back("passes beyond " + std::to_string(TraceRecord::kMaxPasses));
  if (r.actions_truncated) truncated.push_back("actions beyond " + std::to_string(TraceRecord::kMaxActions));
  Json passes = Json::array();
  for (uint32_t i = 0; i < r.n_passes; ++i) {
    const TracePass& p = r.passes[i];
    Json pass{{"pass", i},
              {"key", format_packet_key(p.key)},
              {"layer", trace_layer_name(p.layer)},
              {"subtables_searched", p.subtables_searched}};
    const uint32_t recorded = std::min(p.actions_size, TracePass::kMaxActionBytes);
    if (p.layer == TraceLayer::kMiss) {
      pass["upcall"] = p.upcall == TraceUpcall::kLost ? "lost" : "queued";
      if (i < installed.size() && installed[i]) {
        const FlowEntry& f = *installed[i];
        pass["installed"] = flow_json(f.ufid, f.match, f.actions, names, vlan_headers);
      } else {
        pass["installed"] = nullptr;
      }
    } else {
      if (p.actions_size > TracePass::kMaxActionBytes)
        truncated.push_back("pass " + std::to_string(i) + "'s actions beyond " +
                            std::to_string(TracePass::kMaxActionBytes) + " bytes");
      pass["flow"] = flow_json(p.ufid, p.match, {p.actions, recorded}, names, vlan_headers);
    }
    Json actions = Json::array();
    for (uint32_t k = 0; k < r.n_actions; ++k) {
      const TraceAction& a = r.actions[k];
      if (a.pass != i) continue;
      Json action;
      if (a.offset + a.size <= recorded) {
        const size_t len = std::min<size_t>(nla_align(a.size), recorded - a.offset);
        const std::span<const uint8_t> attr(p.actions + a.offset, len);
        action["action"] = format_odp_actions(attr, &names);
        action["result"] = action_result(a, attr, names);
      } else {
        action["action"] = "(action " + std::to_string(a.type) + " beyond the recorded bytes)";
        action["result"] = action_result(a, {}, names);
      }
      action["depth"] = a.depth;
      action["packets_before"] = a.packets_before;
      action["packets_after"] = a.packets_after;
      if (a.dropped) {
        action["dropped"] = Json{{"reason", std::string(drop_reason_name(a.drop_reason))},
                                 {"packets", a.drops}};
      }
      actions.push_back(std::move(action));
    }
    pass["actions"] = std::move(actions);
    passes.push_back(std::move(pass));
  }
  out["passes"] = std::move(passes);
  Json outputs = Json::array();
  for (uint32_t i = 0; i < r.n_outputs; ++i) outputs.push_back(port_json(r.outputs[i], names));
  out["outputs"] = std::move(outputs);
  out["sent"] = r.sent;
  out["upcalls"] = r.upcalls;
  out["dropped"] = r.drops.total();
  Json drops = Json::object();
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (r.drops.count[i] != 0)
      drops[std::string(drop_reason_name(static_cast<DropReason>(i)))] = r.drops.count[i];
  }
  out["drops"] = std::move(drops);
  if (!truncated.empty()) out["truncated"] = std::move(truncated);
  return out;
}

}  // namespace flowpath::control
