#include "control/trace_rpc.h"

#include <map>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "control/trace_format.h"

namespace flowpath::control {

namespace {

// Records held back until the flow their miss installed shows up.
struct HeldRecord {
  std::unique_ptr<TraceRecord> record;
  uint64_t since_ms;
};

struct TraceState {
  std::mutex mutex;
  std::map<std::pair<std::string, uint64_t>, std::vector<HeldRecord>> held;
};

Result<uint32_t> resolve_port(const DatapathInterface& dpif, const std::string& dp,
                              const Json& value) {
  TRY_ASSIGN(ports, dpif.list_ports(dp));
  if (value.is_number_unsigned()) {
    const uint64_t n = value.get<uint64_t>();
    for (const PortInfo& p : ports)
      if (p.port_no == n) return p.port_no;
    return make_error("datapath " + dp + " has no port " + std::to_string(n));
  }
  if (!value.is_string()) return invalid_params("params.port: expected a port name or number");
  const std::string name = value.get<std::string>();
  for (const PortInfo& p : ports)
    if (p.name == name || std::to_string(p.port_no) == name) return p.port_no;
  return make_error("datapath " + dp + " has no port " + name);
}

PortNumberNames names_of(const DatapathInterface& dpif, const std::string& dp) {
  PortNumberNames names;
  if (auto ports = dpif.list_ports(dp); ports.ok())
    for (const PortInfo& p : *ports) names[p.port_no] = p.name;
  return names;
}

// The flows each missed pass of `r` installed (nullopt where none is found);
// false when one is missing.
bool find_installed(const DatapathInterface& dpif, const std::string& dp, const TraceRecord& r,
                    std::vector<std::optional<FlowEntry>>* installed) {
  bool all = true;
  installed->assign(r.n_passes, std::nullopt);
  for (uint32_t i = 0; i < r.n_passes; ++i) {
    const TracePass& p = r.passes[i];
    if (p.layer != TraceLayer::kMiss || p.upcall != TraceUpcall::kQueued) continue;
    auto flow = dpif.lookup_flow(dp, p.key);
    if (flow.ok()) (*installed)[i] = std::move(*flow);
    else all = false;
  }
  return all;
}

Result<Json> collect(DatapathInterface& dpif, TraceState& state, const Json& p, bool stop) {
  TRY_ASSIGN(dp, get_string(p, "dp"));
  TRY_ASSIGN(id, get_unsigned(p, "id", UINT64_MAX));
  std::vector<TraceRecord> fresh;
  TRY_ASSIGN(progress, dpif.collect_trace(dp, id, &fresh, stop));
  TRY_ASSIGN(vlan_limit, dpif.vlan_limit(dp));
  const int vlan_headers = vlan_headers_for_limit(vlan_limit);
  const PortNumberNames names = names_of(dpif, dp);
  const uint64_t now = monotonic_ms();

  std::lock_guard lock(state.mutex);
  auto& held = state.held[{dp, id}];
  for (TraceRecord& r : fresh)
    held.push_back(HeldRecord{std::make_unique<TraceRecord>(r), now});
  std::vector<std::pair<uint64_t, Json>> ready;
  std::vector<HeldRecord> still;
  for (HeldRecord& h : held) {
    std::vector<std::optional<FlowEntry>> installed;
    const bool found = find_installed(dpif, dp, *h.record, &installed);
    if (found || stop || now - h.since_ms >= kInstallWaitMs) {
      ready.emplace_back(h.record->sequence,
                         trace_record_json(*h.record, names, vlan_headers, installed));
    } else {
      still.push_back(std::move(h));
    }
  }
  held = std::move(still);
  std::sort(ready.begin(), ready.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json records = Json::array();
  for (auto& [sequence, record] : ready) records.push_back(std::move(record));
  const bool pending = !held.empty();
  // Erased only now: `held` refers into the map until this line.
  if (stop || !pending) state.held.erase({dp, id});
  return Json{{"id", id},
              {"armed", progress.armed},
              {"traced", progress.claimed},
              {"count", progress.count},
              {"expired", progress.expired},
              {"ring_full", progress.ring_full},
              {"held", pending},
              {"records", std::move(records)}};
}

}  // namespace

void add_trace_methods(JsonRpcDispatcher& d, DatapathInterface& dpif) {
  auto state = std::make_shared<TraceState>();
  d.add("trace.start", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TraceRequest request;
    Json reply{{"dp", dp}};
    if (p.contains("count")) {
      TRY_ASSIGN(count, get_unsigned(p, "count", UINT32_MAX));
      request.count = static_cast<uint32_t>(count);
    }
    if (p.contains("timeout_ms")) {
      TRY_ASSIGN(timeout, get_unsigned(p, "timeout_ms", UINT64_MAX));
      request.timeout_ms = timeout;
    }
    if (p.contains("port")) {
      TRY_ASSIGN(port, resolve_port(dpif, dp, p["port"]));
      request.port = port;
      reply["port"] = port;
    }
    if (p.contains("filter")) {
      TRY_ASSIGN(text, get_string(p, "filter"));
      TRY_ASSIGN(filter, PacketFilter::compile(text));
      reply["filter"] = text;
      request.filter = std::move(filter);
    }
    reply["count"] = request.count;
    reply["timeout_ms"] = request.timeout_ms;
    TRY_ASSIGN(id, dpif.start_trace(dp, std::move(request)));
    reply["id"] = id;
    return reply;
  });
  d.add("trace.poll", [&dpif, state](const Json& p) { return collect(dpif, *state, p, false); });
  d.add("trace.stop", [&dpif, state](const Json& p) { return collect(dpif, *state, p, true); });
}

}  // namespace flowpath::control
