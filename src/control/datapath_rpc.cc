#include "control/datapath_rpc.h"

#include <charconv>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "datapath/cpu_mask.h"
#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"

namespace flowpath::control {

namespace {

// Every reason, zero or not, so that the keys are the same in every reply.
Json drops_json(const DropCounts& drops) {
  Json out = Json::object();
  for (size_t i = 0; i < kDropReasonCount; ++i)
    out[std::string(drop_reason_name(static_cast<DropReason>(i)))] = drops.count[i];
  return out;
}

// The largest vlan_limit a request may give (Open vSwitch takes any int and
// parses at most what the datapath can: so does a datapath here).
constexpr uint64_t kMaxVlanLimitParam = 1u << 16;

// Flows a dump writes per piece: a few milliseconds of work.
constexpr size_t kFlowsPerChunk = 256;

Json stats_json(const DatapathStats& s) {
  return Json{{"hit", s.hit},
              {"missed", s.missed},
              {"lost", s.lost},
              {"flows", s.flows},
              {"masks", s.masks},
              {"masks_hit", s.masks_hit},
              {"flow_limit", s.flow_limit},
              {"flow_limit_configured", s.flow_limit_configured},
              {"upcall_rate", s.upcall_rate},
              {"emc", s.emc},
              {"emc_insert_inv_prob", s.emc_insert_inv_prob},
              {"handler_threads", s.handler_threads},
              {"flow_overlap", flow_overlap_name(s.flow_overlap)},
              {"upcalls_queued", s.upcalls_queued},
              {"dropped", s.drops.total()},
              {"drops", drops_json(s.drops)}};
}

Json port_json(const PortInfo& p) {
  Json options = Json::object();
  for (const auto& [k, v] : p.options) options[k] = v;
  const VportStats& s = p.stats;
  Json port = Json{{"port_no", p.port_no},
              {"name", p.name},
              {"type", std::string(to_string(p.kind))},
              {"options", options},
              {"mtu", p.mtu},
              {"stats",
               {{"rx_packets", s.rx_packets}, {"rx_bytes", s.rx_bytes},
                {"rx_errors", s.rx_errors}, {"rx_dropped", s.rx_dropped},
                {"tx_packets", s.tx_packets}, {"tx_bytes", s.tx_bytes},
                {"tx_errors", s.tx_errors}, {"tx_dropped", s.tx_dropped}}},
              {"dropped", s.drops.total()},
              {"drops", drops_json(s.drops)}};
  if (!p.last_error.empty()) port["last_error"] = p.last_error;
  if (p.absent) {
    port["state"] = "absent";
    port["absent_reason"] = p.absent_reason;
  }
  return port;
}

// A flow as JSON-RPC results carry it (see datapath_rpc.h), written
// directly: a dump writes hundreds of thousands.
// How a flow prints: ovs-dpctl dump-flows' default, or its verbose form (-m:
// every attribute with its mask) and/or ports by name (--names), with as many
// VLAN tags as the datapath's vlan-limit gives a key.
struct FlowTextOptions {
  bool verbose = false;
  std::optional<PortNumberNames> names;
  int vlan_headers = kMaxVlanTags;
};

void append_flow_json(std::string& out, const FlowEntry& f, uint64_t now,
                      const FlowTextOptions& text) {
  const PortNumberNames* names = text.names ? &*text.names : nullptr;
  auto number = [&out](uint64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  };
  out += R"({"ufid":")";
  out += f.ufid.to_string();
  out += R"(","flow":)";
  append_json_string(out, format_flow(f.match, text.verbose, text.vlan_headers, names));
  out += R"(,"actions":)";
  append_json_string(out, format_odp_actions(f.actions, names));
  out += R"(,"packets":)";
  number(f.stats.packets);
  out += R"(,"bytes":)";
  number(f.stats.bytes);
  out += R"(,"used_ms":)";
  if (f.stats.used_ms == 0) out += "null";  // never used
  else number(now >= f.stats.used_ms ? now - f.stats.used_ms : 0);
  out += R"(,"tcp_flags":)";
  number(f.stats.tcp_flags);
  out += R"(,"age_ms":)";
  number(now >= f.created_ms ? now - f.created_ms : 0);
  out += '}';
}

Json flow_json(const FlowEntry& f, int vlan_headers) {
  std::string text;
  FlowTextOptions options;
  options.vlan_headers = vlan_headers;
  append_flow_json(text, f, monotonic_ms(), options);
  return Json::parse(text);
}

// Reads port names the way Open vSwitch's dpctl does: in_port(NAME) and an
// output action NAME name a port of the request's datapath. The ports are
// listed once, when the first name is looked up.
PortNameResolver port_names(const DatapathInterface& dpif, const std::string& dp) {
  auto ports = std::make_shared<std::optional<std::vector<PortInfo>>>();
  return [&dpif, dp, ports](std::string_view name) -> std::optional<uint32_t> {
    if (!*ports) {
      auto listed = dpif.list_ports(dp);
      *ports = listed.ok() ? std::move(*listed) : std::vector<PortInfo>{};
    }
    for (const PortInfo& port : **ports)
      if (port.name == name) return port.port_no;
    return std::nullopt;
  };
}

// What a flow text is for: a flow to install, or one to find.
enum class MatchUse { kPut, kFind };

Result<Match> parse_match(const std::string& text, MatchUse use, int max_vlan_headers,
                          const PortNameResolver& ports) {
  auto flow = parse_flow(text, max_vlan_headers, &ports);
  if (!flow.ok()) return make_error("flow: " + flow.error());
  // An attribute the key's headers do not explain would be dropped by the
  // conversion, and the flow would match more than was written: refuse it.
  // A key that lacks an attribute its headers imply ("eth_type(0x0800)"
  // without ipv4()) is refused for a put, as Open vSwitch's datapath does;
  // to find a flow it is fine, since that is how a dump prints a megaflow
  // that wildcards the whole attribute.
  if (flow->fitness == KeyFitness::kTooMuch ||
      (use == MatchUse::kPut && flow->fitness == KeyFitness::kTooLittle)) {
    return make_error("flow: " + flow->fitness_detail);
  }
  return flow->match;
}

Result<std::vector<uint8_t>> parse_actions_param(const Json& params,
                                                 const PortNameResolver& ports) {
  TRY_ASSIGN(text, get_string(params, "actions"));
  auto actions = parse_odp_actions(text, &ports);
  if (!actions.ok()) return make_error("actions: " + actions.error());
  return std::move(actions.value());
}

Result<std::vector<uint8_t>> parse_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  if (hex.size() % 2 != 0) return invalid_params("packet: odd number of hex digits");
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return invalid_params("packet: '" + hex.substr(i, 2) + "' at offset " + std::to_string(i) +
                            " is not hex");
    }
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

// Finds the flow a request names by "ufid" or by "flow".
template <typename ByUfid, typename ByMatch>
Result<FlowEntry> with_flow_id(const Json& params, int max_vlan_headers,
                               const PortNameResolver& ports, ByUfid by_ufid,
                               ByMatch by_match) {
  if (params.contains("ufid")) {
    TRY_ASSIGN(text, get_string(params, "ufid"));
    auto ufid = Ufid::parse(text);
    if (!ufid.ok()) return invalid_params("ufid: " + ufid.error());
    return by_ufid(*ufid);
  }
  if (params.contains("flow")) {
    TRY_ASSIGN(text, get_string(params, "flow"));
    TRY_ASSIGN(match, parse_match(text, MatchUse::kFind, max_vlan_headers, ports));
    return by_match(match);
  }
  return invalid_params("give \"ufid\" or \"flow\"");
}

}  // namespace

namespace {

constexpr const char* kSettingNames = "vlan_limit, flow_limit, upcall_rate, emc, emc_insert_inv_prob or max_idle_ms";

// dp.set's params: every key a setting, every value of its type.
Result<DatapathSettings> parse_settings(const Json& p, std::optional<uint32_t>* max_idle_ms) {
  DatapathSettings settings;
  bool any = false;
  for (const auto& [key, value] : p.items()) {
    if (key == "dp") continue;
    any = true;
    if (key == "vlan_limit") {
      TRY_ASSIGN(limit, get_unsigned(p, "vlan_limit", kMaxVlanLimitParam));
      settings.vlan_limit = static_cast<int>(limit);
    } else if (key == "flow_limit") {
      TRY_ASSIGN(limit, get_unsigned(p, "flow_limit", UINT64_MAX));
      settings.flow_limit = static_cast<size_t>(limit);
    } else if (key == "upcall_rate") {
      TRY_ASSIGN(rate, get_unsigned(p, "upcall_rate", UINT64_MAX));
      settings.upcall_rate = rate;
    } else if (key == "emc") {
      if (!value.is_boolean()) return invalid_params("\"emc\" must be true or false");
      settings.emc = value.get<bool>();
    } else if (key == "emc_insert_inv_prob") {
      // Open vSwitch's emc-insert-inv-prob: 0..4294967295.
      TRY_ASSIGN(inverse, get_unsigned(p, "emc_insert_inv_prob", UINT32_MAX));
      settings.emc_insert_inv_prob = static_cast<uint32_t>(inverse);
    } else if (key == "max_idle_ms") {
      TRY_ASSIGN(ms, get_unsigned(p, "max_idle_ms", UINT32_MAX));
      *max_idle_ms = static_cast<uint32_t>(ms);
    } else {
      return invalid_params("no datapath setting \"" + key + "\": give " + kSettingNames);
    }
  }
  if (!any) return invalid_params(std::string("give a setting to change: ") + kSettingNames);
  if (auto st = check_datapath_settings(settings); !st.ok()) return invalid_params(st.error());
  return settings;
}

}  // namespace

void add_datapath_methods(JsonRpcDispatcher& d, DatapathInterface& dpif,
                          DatapathOwnership ownership) {
  DatapathOwner owner = ownership.owner;
  // Changes to a datapath that another layer owns go through that layer.
  auto refuse_owned = [owner](const std::string& dp, const char* what) -> std::optional<Error> {
    if (!owner) return std::nullopt;
    if (auto who = owner(dp))
      return make_error("datapath " + dp + " belongs to " + *who + ": " + what);
    return std::nullopt;
  };
  d.add("dp.add", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    std::vector<VportSpec> specs;
    if (p.contains("interfaces")) {
      if (!p["interfaces"].is_array()) return invalid_params("\"interfaces\" must be an array");
      for (const Json& s : p["interfaces"]) {
        if (!s.is_string()) return invalid_params("\"interfaces\" must hold strings");
        auto spec = parse_vport_spec(s.get<std::string>());
        if (!spec.ok()) return make_error(spec.error());
        specs.push_back(*spec);
      }
    }
    DatapathOptions options;
    if (p.contains("flow_overlap")) {
      TRY_ASSIGN(text, get_string(p, "flow_overlap"));
      auto overlap = parse_flow_overlap(text);
      if (!overlap.ok()) return invalid_params(overlap.error());
      options.flow_overlap = *overlap;
    }
    if (p.contains("vlan_limit")) {
      TRY_ASSIGN(limit, get_unsigned(p, "vlan_limit", kMaxVlanLimitParam));
      options.vlan_limit = static_cast<int>(limit);
    }
    if (auto st = dpif.create_datapath(dp, options); !st.ok()) return make_error(st.error());
    for (const VportSpec& spec : specs) {
      if (auto added = dpif.add_port(dp, spec); !added.ok()) {
        (void)dpif.delete_datapath(dp);  // all or nothing
        return make_error(added.error());
      }
    }
    return Json{{"dp", dp}};
  });
  d.add("dp.del", [&dpif, refuse_owned](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    if (auto e = refuse_owned(dp, "delete the bridge instead (del-br)")) return *e;
    if (auto st = dpif.delete_datapath(dp); !st.ok()) return make_error(st.error());
    return Json::object();
  });
  // Datapath settings: vlan_limit (how it parses packets), flow_limit,
  // upcall_rate, emc, emc_insert_inv_prob, and for a bridge's datapath max_idle_ms. All or none.
  auto max_idle_of = [ownership](const std::string& dp) -> std::optional<uint32_t> {
    if (!ownership.owner || !ownership.max_idle_ms || !ownership.owner(dp)) return std::nullopt;
    return ownership.max_idle_ms(dp);
  };
  d.add("dp.set", [&dpif, ownership, max_idle_of](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    std::optional<uint32_t> max_idle_ms;
    TRY_ASSIGN(settings, parse_settings(p, &max_idle_ms));
    std::optional<std::string> owned = ownership.owner ? ownership.owner(dp) : std::nullopt;
    if (owned && ownership.set_settings) {
      if (auto st = ownership.set_settings(dp, settings, max_idle_ms); !st.ok())
        return make_error(st.error());
    } else if (max_idle_ms) {
      return make_error("datapath " + dp +
                        " belongs to no bridge: max-idle is how long a bridge's revalidator "
                        "keeps idle flows, and no revalidator removes this datapath's flows");
    } else if (auto st = dpif.set_settings(dp, settings); !st.ok()) {
      return make_error(st.error());
    }
    TRY_ASSIGN(now, dpif.settings(dp));
    Json out{{"dp", dp},
             {"vlan_limit", *now.vlan_limit},
             {"flow_limit", *now.flow_limit},
             {"upcall_rate", *now.upcall_rate},
             {"emc", *now.emc},
             {"emc_insert_inv_prob", *now.emc_insert_inv_prob}};
    if (auto idle = max_idle_of(dp)) out["max_idle_ms"] = *idle;
    return out;
  });
  d.add("dp.list", [&dpif](const Json&) -> Result<Json> { return Json(dpif.datapath_names()); });
  d.add("dp.show", [&dpif, max_idle_of](const Json& p) -> Result<Json> {
    std::vector<std::string> names;
    if (p.contains("dp")) {
      TRY_ASSIGN(dp, get_string(p, "dp"));
      names.push_back(dp);
    } else {
      names = dpif.datapath_names();
    }
    Json out = Json::array();
    for (const std::string& name : names) {
      auto stats = dpif.datapath_stats(name);
      auto ports = dpif.list_ports(name);
      if (!stats.ok()) return make_error(stats.error());
      if (!ports.ok()) return make_error(ports.error());
      Json port_list = Json::array();
      for (const PortInfo& info : *ports) port_list.push_back(port_json(info));
      auto vlan_limit = dpif.vlan_limit(name);
      if (!vlan_limit.ok()) return make_error(vlan_limit.error());
      Json entry{{"name", name},
                 {"vlan_limit", *vlan_limit},
                 {"stats", stats_json(*stats)},
                 {"ports", port_list}};
      if (auto idle = max_idle_of(name)) entry["max_idle_ms"] = *idle;
      out.push_back(std::move(entry));
    }
    return out;
  });
  d.add("port.add", [&dpif, refuse_owned](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    if (auto e = refuse_owned(dp, "add ports to the bridge instead (add-port)")) return *e;
    TRY_ASSIGN(text, get_string(p, "spec"));
    auto spec = parse_vport_spec(text);
    if (!spec.ok()) return make_error(spec.error());
    auto port_no = dpif.add_port(dp, *spec);
    if (!port_no.ok()) return make_error(port_no.error());
    return Json{{"port_no", *port_no}};
  });
  d.add("port.set", [&dpif, refuse_owned](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    if (auto e = refuse_owned(dp, "its ports are configured through the bridge")) return *e;
    TRY_ASSIGN(text, get_string(p, "spec"));
    auto spec = parse_vport_spec(text);
    if (!spec.ok()) return make_error(spec.error());
    if (auto st = dpif.set_port(dp, *spec); !st.ok()) return make_error(st.error());
    return Json::object();
  });
  d.add("port.del", [&dpif, refuse_owned](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    if (auto e = refuse_owned(dp, "delete ports from the bridge instead (del-port)")) return *e;
    std::string port;
    if (p.contains("port") && p["port"].is_number_unsigned()) {
      port = std::to_string(p["port"].get<uint64_t>());
    } else {
      TRY_ASSIGN(name, get_string(p, "port"));
      port = name;
    }
    if (auto st = dpif.remove_port(dp, port); !st.ok()) return make_error(st.error());
    return Json::object();
  });
  d.add("flow.put", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(flow_text, get_string(p, "flow"));
    TRY_ASSIGN(vlan_limit, dpif.vlan_limit(dp));
    const PortNameResolver ports = port_names(dpif, dp);
    TRY_ASSIGN(match, parse_match(flow_text, MatchUse::kPut, vlan_headers_for_limit(vlan_limit),
                                  ports));
    TRY_ASSIGN(actions, parse_actions_param(p, ports));
    TRY_ASSIGN(mode, get_optional_string(p, "mode", "create"));
    TRY_ASSIGN(clear, get_optional_bool(p, "clear", false));
    MegaflowPut put{match, std::nullopt, actions, PutMode::kCreate, clear};
    if (mode == "modify") put.mode = PutMode::kModify;
    else if (mode == "create-or-modify") put.mode = PutMode::kCreateOrModify;
    else if (mode != "create") {
      return invalid_params("mode must be create, modify or create-or-modify, not " + mode);
    }
    if (p.contains("ufid")) {
      TRY_ASSIGN(text, get_string(p, "ufid"));
      auto ufid = Ufid::parse(text);
      if (!ufid.ok()) return invalid_params("ufid: " + ufid.error());
      put.ufid = *ufid;
    }
    auto result = dpif.put_flow(dp, put);
    if (!result.ok()) return make_error(result.error());
    Json out{{"ufid", result->ufid.to_string()}, {"created", result->created}};
    if (!result->created) {
      out["previous"] = {{"packets", result->previous_stats.packets},
                         {"bytes", result->previous_stats.bytes}};
    }
    return out;
  });
  d.add("flow.get", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(vlan_limit, dpif.vlan_limit(dp));
    auto entry = with_flow_id(
        p, vlan_headers_for_limit(vlan_limit), port_names(dpif, dp),
        [&](const Ufid& u) { return dpif.get_flow(dp, u); },
        [&](const Match& m) { return dpif.get_flow(dp, m); });
    if (!entry.ok()) return make_error(entry.error());
    return flow_json(*entry, vlan_headers_for_limit(vlan_limit));
  });
  d.add("flow.del", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(vlan_limit, dpif.vlan_limit(dp));
    auto entry = with_flow_id(
        p, vlan_headers_for_limit(vlan_limit), port_names(dpif, dp),
        [&](const Ufid& u) { return dpif.delete_flow(dp, u); },
        [&](const Match& m) { return dpif.delete_flow(dp, m); });
    if (!entry.ok()) return make_error(entry.error());
    return flow_json(*entry, vlan_headers_for_limit(vlan_limit));
  });
  d.add("flow.flush", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    if (auto st = dpif.flush_flows(dp); !st.ok()) return make_error(st.error());
    return Json::object();
  });
  // Written out a chunk at a time between other clients' requests, so that
  // neither the reply nor the flows it lists are ever held whole.
  d.add_streaming("flow.dump", [&dpif](const Json& p) -> Result<std::unique_ptr<JsonStream>> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(vlan_limit, dpif.vlan_limit(dp));
    const int vlan_headers = vlan_headers_for_limit(vlan_limit);
    std::optional<Match> filter;
    if (p.contains("filter")) {
      TRY_ASSIGN(text, get_string(p, "filter"));
      const PortNameResolver ports = port_names(dpif, dp);
      auto parsed = parse_flow(text, vlan_headers, &ports);
      if (!parsed.ok()) return make_error("filter: " + parsed.error());
      filter = parsed->match;
    }
    struct Dump {
      FlowDumpCursor cursor;
      std::vector<FlowEntry> chunk;
      FlowTextOptions text;
    };
    auto dump = std::make_shared<Dump>();
    TRY_ASSIGN(verbose, get_optional_bool(p, "verbose", false));
    TRY_ASSIGN(with_names, get_optional_bool(p, "names", false));
    dump->text.verbose = verbose;
    dump->text.vlan_headers = vlan_headers;
    if (with_names) {
      TRY_ASSIGN(ports, dpif.list_ports(dp));
      dump->text.names.emplace();
      for (const PortInfo& port : ports) (*dump->text.names)[port.port_no] = port.name;
    }
    // The first chunk now, so that a missing datapath is an error reply.
    if (auto st = dpif.dump_flows(dp, &dump->cursor, kFlowsPerChunk, &dump->chunk); !st.ok()) {
      return make_error(st.error());
    }
    return make_array_stream([&dpif, dp, filter, dump](JsonArrayWriter& w) {
      uint64_t now = monotonic_ms();
      for (const FlowEntry& f : dump->chunk) {
        // A flow passes the filter when it agrees with every field the filter names.
        if (filter && !equal_masked(f.match.key, filter->key, filter->mask)) continue;
        w.add_text([&](std::string& out) { append_flow_json(out, f, now, dump->text); });
      }
      dump->chunk.clear();
      // A datapath deleted during the dump ends it.
      if (dump->cursor.done() || !dpif.dump_flows(dp, &dump->cursor, kFlowsPerChunk, &dump->chunk).ok()) {
        return true;
      }
      return false;
    });
  });
  d.add("packet.execute", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(hex, get_string(p, "packet"));
    TRY_ASSIGN(frame, parse_hex(hex));
    TRY_ASSIGN(actions, parse_actions_param(p, port_names(dpif, dp)));
    PacketMetadata md{};
    if (p.contains("in_port")) {
      TRY_ASSIGN(in_port, get_unsigned(p, "in_port", UINT32_MAX));
      md.in_port = static_cast<uint32_t>(in_port);
    }
    auto outcome = dpif.execute(dp, frame, md, actions);
    if (!outcome.ok()) return make_error(outcome.error());
    // The reasons this packet (or copies of it) were dropped for, only.
    Json drops = Json::object();
    for (size_t i = 0; i < kDropReasonCount; ++i) {
      if (outcome->drops.count[i] != 0)
        drops[std::string(drop_reason_name(static_cast<DropReason>(i)))] = outcome->drops.count[i];
    }
    return Json{{"sent", outcome->sent},
                {"upcalls", outcome->upcalls},
                {"dropped", outcome->drops.total()},
                {"drops", drops}};
  });
  d.add("meter.set", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(meter, get_unsigned(p, "meter", MeterTable::kMaxMeters - 1));
    TRY_ASSIGN(pktps, get_optional_bool(p, "pktps", false));
    MeterConfig config;
    config.packets_per_second = pktps;
    if (!p.contains("bands") || !p["bands"].is_array()) {
      return invalid_params("\"bands\" must be an array of {rate, burst?}");
    }
    for (const Json& b : p["bands"]) {
      if (!b.is_object()) return invalid_params("each band must be an object");
      TRY_ASSIGN(rate, get_unsigned(b, "rate", UINT32_MAX));
      uint64_t burst = 0;
      if (b.contains("burst")) {
        TRY_ASSIGN(value, get_unsigned(b, "burst", UINT32_MAX));
        burst = value;
      }
      config.bands.push_back(MeterBandConfig{MeterBandType::kDrop, static_cast<uint32_t>(rate),
                                             static_cast<uint32_t>(burst)});
    }
    if (auto st = dpif.set_meter(dp, static_cast<uint32_t>(meter), config); !st.ok()) {
      return make_error(st.error());
    }
    return Json::object();
  });
  d.add("meter.del", [&dpif](const Json& p) -> Result<Json> {
    TRY_ASSIGN(dp, get_string(p, "dp"));
    TRY_ASSIGN(meter, get_unsigned(p, "meter", MeterTable::kMaxMeters - 1));
    if (auto st = dpif.remove_meter(dp, static_cast<uint32_t>(meter)); !st.ok()) {
      return make_error(st.error());
    }
    return Json::object();
  });
  d.add("threads.show", [&dpif](const Json&) -> Result<Json> {
    Json out = Json::array();
    auto cpus = dpif.forwarding_cpus();
    auto stats = dpif.thread_stats();
    for (size_t i = 0; i < stats.size(); ++i) {
      const ForwardingThreadStats& s = stats[i];
      Json cpu = i < cpus.size() && cpus[i] ? Json(*cpus[i]) : Json();
      const ProcessorStats& p = s.processor;
      out.push_back(Json{{"id", i},
                         {"cpu", cpu},
                         {"ports", s.ports},
                         {"packets", p.packets},
                         {"batches", p.batches},
                         {"recirculations", p.recirculations},
                         {"hits", p.hits},
                         {"emc_hits", p.emc_hits},
                         {"smc_hits", p.smc_hits},
                         {"megaflow_hits", p.hits - p.emc_hits - p.smc_hits},
                         {"megaflow_hit_lookups", p.megaflow_hit_lookups},
                         {"misses", p.misses},
                         {"lost", p.lost},
                         {"sent_packets", p.sent_packets},
                         {"sent_batches", p.sent_batches},
                         {"busy_cycles", s.busy_cycles},
                         {"idle_cycles", s.idle_cycles},
                         {"sleeps", s.sleeps},
                         {"dropped", s.datapaths.drops.total()},
                         {"drops", drops_json(s.datapaths.drops)}});
    }
    // Every other thread (handlers, packet-outs), as Open vSwitch's "main thread".
    const DatapathCounts other = dpif.other_thread_counts();
    out.push_back(Json{{"id", nullptr},
                       {"hits", other.hit},
                       {"misses", other.missed},
                       {"lost", other.lost},
                       {"dropped", other.drops.total()},
                       {"drops", drops_json(other.drops)}});
    return out;
  });
  // The threads every datapath shares, changed at once: handler_threads
  // (Open vSwitch's n-handler-threads; 0: the default) and pmd_cpu_mask
  // (its pmd-cpu-mask: where the forwarding threads run). Both are checked
  // before either applies.
  d.add("threads.set", [&dpif](const Json& p) -> Result<Json> {
    bool any = false;
    for (const auto& [key, value] : p.items()) {
      if (key != "handler_threads" && key != "pmd_cpu_mask")
        return invalid_params("no thread setting \"" + key + "\": give handler_threads or pmd_cpu_mask");
      any = true;
    }
    if (!any) return invalid_params("give a setting to change: handler_threads or pmd_cpu_mask");
    std::optional<uint64_t> handlers;
    if (p.contains("handler_threads")) {
      TRY_ASSIGN(threads, get_unsigned(p, "handler_threads", DatapathInterface::kMaxHandlerThreads));
      handlers = threads;
    }
    // Both settings are read before either is applied; if the second cannot
    // be applied, the first is put back, so a refusal changes nothing.
    std::optional<std::vector<std::optional<unsigned>>> wanted_cpus;
    if (p.contains("pmd_cpu_mask")) {
      TRY_ASSIGN(text, get_string(p, "pmd_cpu_mask"));
      auto cpus = parse_cpu_mask(text);
      if (!cpus.ok()) return invalid_params(cpus.error());
      wanted_cpus.emplace(cpus->begin(), cpus->end());
    }
    const std::vector<std::optional<unsigned>> previous_cpus = dpif.forwarding_cpus();
    if (wanted_cpus)
      if (auto st = dpif.set_forwarding_cpus(*wanted_cpus); !st.ok()) return make_error(st.error());
    if (handlers)
      if (auto st = dpif.set_handler_threads(static_cast<unsigned>(*handlers)); !st.ok()) {
        if (wanted_cpus) (void)dpif.set_forwarding_cpus(previous_cpus);
        return make_error(st.error());
      }
    Json cpus = Json::array();
    for (const auto& cpu : dpif.forwarding_cpus()) cpus.push_back(cpu ? Json(*cpu) : Json());
    return Json{{"handler_threads", dpif.handler_threads()}, {"forwarding_cpus", cpus}};
  });
}

}  // namespace flowpath::control
