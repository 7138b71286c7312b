#include "control/appctl_commands.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/datapath_text.h"
#include "control/switch_text.h"

namespace flowpath::control {

namespace {

using Args = std::vector<std::string>;

// Calls a JSON-RPC method of the daemon as fpctl would, without a socket.
class MethodCaller {
 public:
  explicit MethodCaller(const JsonRpcDispatcher& dispatcher) : dispatcher_(dispatcher) {}
  Result<Json> operator()(const std::string& method, const Json& params) const {
    std::string request =
        Json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}}.dump();
    Json response = Json::parse(dispatcher_.handle_line(request), nullptr, false);
    if (response.is_discarded() || !response.is_object()) {
      return make_error(method + ": the reply is not JSON");
    }
    if (response.contains("error")) {
      const Json& error = response["error"];
      if (error.is_object() && error.contains("message") && error["message"].is_string()) {
        return make_error(error["message"].get<std::string>());
      }
      return make_error(method + " failed");
    }
    return response["result"];
  }

 private:
  const JsonRpcDispatcher& dispatcher_;
};

// The bridges, sorted by name (as Open vSwitch lists its ofprotos).
Result<std::vector<std::string>> bridges(const MethodCaller& call) {
  TRY_ASSIGN(list, call("br.list", Json::object()));
  std::vector<std::string> names;
  for (const Json& name : list) names.push_back(name.get<std::string>());
  std::sort(names.begin(), names.end());
  return names;
}

// The OpenFlow number of a bridge's own port is LOCAL, which Open vSwitch's
// dpif/show prints in OpenFlow 1.0's numbering.
uint64_t openflow10_port(uint64_t ofport) { return ofport == 0xfffffffe ? 65534 : ofport; }

// dpif/show: each bridge's datapath with its lookups, then its ports as
// "NAME OFPORT/DP_PORT: (TYPE: OPTIONS)", sorted by name. Each bridge has a
// datapath of its own in flowpath (one "backer" per bridge).
Result<std::string> dpif_show(const MethodCaller& call) {
  TRY_ASSIGN(names, bridges(call));
  std::string out;
  for (const std::string& bridge : names) {
    TRY_ASSIGN(shown, call("dp.show", {{"dp", bridge}}));
    if (shown.empty()) continue;
    const Json& stats = shown[0]["stats"];
    out += "flowpath@" + bridge + ": hit:" + std::to_string(stats["hit"].get<uint64_t>()) +
           " missed:" + std::to_string(stats["missed"].get<uint64_t>()) + "\n";
    out += "  " + bridge + ":\n";
    TRY_ASSIGN(ports, call("br.port.list", {{"bridge", bridge}}));
    std::vector<Json> sorted(ports.begin(), ports.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const Json& a, const Json& b) { return a["name"] < b["name"]; });
    for (const Json& port : sorted) {
      out += "    " + port["name"].get<std::string>() + " " +
             std::to_string(openflow10_port(port["ofport"].get<uint64_t>())) + "/" +
             std::to_string(port["dp_port"].get<uint64_t>()) + ": (" +
             port["type"].get<std::string>();
      char separator = ':';
      for (const auto& [key, value] : port["options"].items()) {
        out += std::string(1, separator) + " " + key + "=" + value.get<std::string>();
        separator = ',';
      }
      out += ")\n";
    }
  }
  return out;
}

// The leading options of a dpctl/ command: each of `known` that appears
// (before the first argument that is not an option) is set; another option
// is an error, as in Open vSwitch's dpctl.
Result<Args> take_options(const std::string& command, const Args& args,
                          std::map<std::string, bool*> known) {
  Args rest;
  bool options = true;
  for (const std::string& arg : args) {
    if (options && arg.size() > 1 && arg[0] == '-') {
      auto it = known.find(arg);
      if (it == known.end()) return make_error(command + ": unknown option \"" + arg + "\"");
      *it->second = true;
      continue;
    }
    options = false;
    rest.push_back(arg);
  }
  return rest;
}

// The datapath of a dpctl/ command: the first argument if there is one
// (taken from `args`), else the only datapath.
Result<std::string> pick_datapath(const MethodCaller& call, Args& args) {
  if (!args.empty()) {
    std::string dp = args.front();
    // "flowpath@NAME" as dpctl/show and dump-dps print it, or NAME.
    if (dp.rfind("flowpath@", 0) == 0) dp = dp.substr(9);
    args.erase(args.begin());
    return dp;
  }
  TRY_ASSIGN(list, call("dp.list", Json::object()));
  if (list.size() != 1) {
    return make_error(list.empty() ? "no datapaths exist"
                                    : "multiple datapaths, specify one");
  }
  return list[0].get<std::string>();
}

Result<std::string> dpctl_show(const MethodCaller& call, const Args& args) {
  bool statistics = false;
  TRY_ASSIGN(rest, take_options("dpctl/show", args, {{"-s", &statistics}, {"--statistics", &statistics}}));
  if (rest.empty()) {
    TRY_ASSIGN(all, call("dp.show", Json::object()));
    return datapath_show_text(all, statistics);
  }
  std::string out;
  for (std::string dp : rest) {
    if (dp.rfind("flowpath@", 0) == 0) dp = dp.substr(9);
    TRY_ASSIGN(one, call("dp.show", {{"dp", dp}}));
    out += datapath_show_text(one, statistics);
  }
  return out;
}

Result<std::string> dpctl_dump_flows(const MethodCaller& call, const Args& args) {
  bool more = false, names = false, no_names = false;
  TRY_ASSIGN(rest, take_options("dpctl/dump-flows", args,
                                {{"-m", &more}, {"--more", &more}, {"--names", &names},
                                 {"--no-names", &no_names}}));
  // The last argument is a filter when it has parentheses (an ODP key).
  std::optional<std::string> filter;
  if (!rest.empty() && rest.back().find('(') != std::string::npos) {
    filter = rest.back();
    rest.pop_back();
  }
  if (rest.size() > 1) return make_error("dpctl/dump-flows: too many arguments");
  TRY_ASSIGN(dp, pick_datapath(call, rest));
  Json params{{"dp", dp}, {"verbose", more}, {"names", no_names ? false : names || more}};
  if (filter) params["filter"] = *filter;
  TRY_ASSIGN(flows, call("flow.dump", params));
  std::string out;
  for (const Json& flow : flows) out += flow_text(flow, more) + "\n";
  return out;
}

Result<std::string> dpctl_dump_conntrack(const MethodCaller& call, const Args& args) {
  bool more = false, statistics = false;
  TRY_ASSIGN(rest, take_options("dpctl/dump-conntrack", args,
                                {{"-m", &more}, {"--more", &more}, {"-s", &statistics},
                                 {"--statistics", &statistics}}));
  std::optional<uint16_t> zone;
  if (!rest.empty() && rest.back().rfind("zone=", 0) == 0) {
    std::string text = rest.back().substr(5);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535) {
      return make_error("dpctl/dump-conntrack: \"" + rest.back() + "\" is not zone=N (0 to 65535)");
    }
    zone = static_cast<uint16_t>(value);
    rest.pop_back();
  }
  if (rest.size() > 1) return make_error("dpctl/dump-conntrack: too many arguments");
  TRY_ASSIGN(dp, pick_datapath(call, rest));
  Json params{{"dp", dp}, {"verbose", more}, {"statistics", statistics}};
  if (zone) params["zone"] = *zone;
  TRY_ASSIGN(connections, call("ct.dump", params));
  std::string out;
  for (const Json& connection : connections) out += connection["text"].get<std::string>() + "\n";
  return out;
}

// What dpif-netdev/pmd-stats-clear zeroed: the counters of each thread at
// that moment, subtracted from what pmd-stats-show prints after it (as
// Open vSwitch keeps its own baseline). It applies to ovs-appctl's view;
// fpctl pmd-stats-show prints the counters since the start.
class ThreadStatsBaseline {
 public:
  // `threads` less the baseline.
  Json subtract(Json threads) const {
    for (Json& thread : threads) {
      auto it = baseline_.find(key(thread));
      if (it != baseline_.end()) subtract_counters(thread, it->second);
    }
    return threads;
  }
  // Zeroes `threads` (all of them, or those of -pmd CORE).
  void set(const Json& threads) {
    for (const Json& thread : threads) baseline_[key(thread)] = thread;
  }

 private:
  static std::string key(const Json& thread) {
    auto id = thread.find("id");
    return id == thread.end() ? "null" : id->dump();
  }
  // Every unsigned counter, in nested objects too; the thread's id and CPU
  // are not counters.
  static void subtract_counters(Json& now, const Json& then) {
    for (auto& [name, value] : now.items()) {
      if (name == "id" || name == "cpu" || !then.contains(name)) continue;
      const Json& before = then[name];
      if (value.is_number_unsigned() && before.is_number_unsigned()) {
        uint64_t a = value.get<uint64_t>(), b = before.get<uint64_t>();
        value = a >= b ? a - b : 0;
      } else if (value.is_object() && before.is_object()) {
        subtract_counters(value, before);
      }
    }
  }
  std::map<std::string, Json> baseline_;
};

// "-pmd CORE": only the forwarding thread pinned to CORE. The threads are
// shared by every datapath, so a datapath argument is refused rather than
// ignored.
Result<std::optional<uint64_t>> pmd_core(const std::string& command, const Args& args) {
  if (args.empty()) return std::optional<uint64_t>{};
  if (args.size() == 2 && args[0] == "-pmd") {
    uint64_t core = 0;
    const std::string& text = args[1];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), core);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return make_error("Invalid pmd");
    }
    return std::optional<uint64_t>{core};
  }
  return make_error(command + ": flowpath's forwarding threads serve every datapath: give no "
                              "datapath, or -pmd CORE");
}

Json threads_of_core(const Json& threads, std::optional<uint64_t> core) {
  if (!core) return threads;
  Json out = Json::array();
  for (const Json& thread : threads) {
    auto cpu = thread.find("cpu");  // the main thread has none
    if (cpu != thread.end() && cpu->is_number_unsigned() && cpu->get<uint64_t>() == *core)
      out.push_back(thread);
  }
  return out;
}

// memory/show: what flowpath counts of what ovs-vswitchd reports, in its
// "name:count" layout.
Result<std::string> memory_show(const MethodCaller& call) {
  TRY_ASSIGN(datapaths, call("dp.show", Json::object()));
  uint64_t handlers = 0, ports = 0, flows = 0;
  for (const Json& dp : datapaths) {
    handlers += dp["stats"]["handler_threads"].get<uint64_t>();
    ports += dp["ports"].size();
    flows += dp["stats"]["flows"].get<uint64_t>();
  }
  TRY_ASSIGN(names, bridges(call));
  uint64_t rules = 0;
  for (const std::string& bridge : names) {
    TRY_ASSIGN(config, call("br.get", {{"bridge", bridge}}));
    rules += config["flows"].size();
  }
  TRY_ASSIGN(upcalls, call("upcall.show", Json::object()));
  uint64_t ukeys = 0;
  for (const Json& u : upcalls) ukeys += u["ukeys"].get<uint64_t>();
  return "datapath flows:" + std::to_string(flows) + " handlers:" + std::to_string(handlers) +
         " ports:" + std::to_string(ports) + " rules:" + std::to_string(rules) +
         " udpif keys:" + std::to_string(ukeys) + "\n";
}

}  // namespace

void add_appctl_commands(UnixctlCommands& commands, const JsonRpcDispatcher& dispatcher) {
  MethodCaller call(dispatcher);
  // Open vSwitch's limit for commands that take any number of arguments.
  constexpr size_t kAny = INT32_MAX;

  commands.add("dpif/show", "", 0, 0, [call](const Args&) { return dpif_show(call); });
  commands.add("dpif/dump-dps", "", 0, 0, [call](const Args&) -> Result<std::string> {
    TRY_ASSIGN(names, bridges(call));
    std::string out;
    for (const std::string& name : names) out += "flowpath@" + name + "\n";
    return out;
  });

  commands.add("dpctl/show", "[-s] [dp...]", 0, kAny,
               [call](const Args& args) { return dpctl_show(call, args); });
  commands.add("dpctl/dump-dps", "", 0, 0, [call](const Args&) -> Result<std::string> {
    TRY_ASSIGN(list, call("dp.list", Json::object()));
    std::string out;
    for (const Json& name : list) out += "flowpath@" + name.get<std::string>() + "\n";
    return out;
  });
  commands.add("dpctl/dump-flows", "[-m] [--names | --no-names] [dp] [filter]", 0, 6,
               [call](const Args& args) { return dpctl_dump_flows(call, args); });
  commands.add("dpctl/dump-conntrack", "[-m] [-s] [dp] [zone=N]", 0, 5,
               [call](const Args& args) { return dpctl_dump_conntrack(call, args); });

  commands.add("fdb/show", "bridge", 1, 1, [call](const Args& args) -> Result<std::string> {
    TRY_ASSIGN(entries, call("fdb.show", {{"bridge", args[0]}}));
    return fdb_text(entries);
  });
  commands.add("fdb/flush", "[bridge]", 0, 1, [call](const Args& args) -> Result<std::string> {
    std::vector<std::string> which;
    if (args.empty()) {
      TRY_ASSIGN(names, bridges(call));
      which = names;
    } else {
      which = args;
    }
    for (const std::string& bridge : which) TRY_STATUS(call("fdb.flush", {{"bridge", bridge}}));
    return std::string("table successfully flushed");
  });

  commands.add("ofproto/trace", "bridge br_flow", 2, 2,
               [call](const Args& args) -> Result<std::string> {
                 TRY_ASSIGN(trace, call("trace", {{"bridge", args[0]}, {"flow", args[1]}}));
                 return trace_text(trace);
               });
  commands.add("upcall/show", "", 0, 0, [call](const Args&) -> Result<std::string> {
    TRY_ASSIGN(list, call("upcall.show", Json::object()));
    return upcall_show_text(list);
  });

  auto baseline = std::make_shared<ThreadStatsBaseline>();
  commands.add("dpif-netdev/pmd-stats-show", "[-pmd core]", 0, 2,
               [call, baseline](const Args& args) -> Result<std::string> {
                 TRY_ASSIGN(core, pmd_core("dpif-netdev/pmd-stats-show", args));
                 TRY_ASSIGN(threads, call("threads.show", Json::object()));
                 std::string out;
                 for (const Json& thread : baseline->subtract(threads_of_core(threads, core)))
                   out += thread_stats_text(thread);
                 return out;
               });
  commands.add("dpif-netdev/pmd-stats-clear", "[-pmd core]", 0, 2,
               [call, baseline](const Args& args) -> Result<std::string> {
                 TRY_ASSIGN(core, pmd_core("dpif-netdev/pmd-stats-clear", args));
                 TRY_ASSIGN(threads, call("threads.show", Json::object()));
                 baseline->set(threads_of_core(threads, core));
                 return std::string();
               });

  commands.add("ovs/route/show", "", 0, 0, [call](const Args&) -> Result<std::string> {
    TRY_ASSIGN(routes, call("route.show", Json::object()));
    return route_show_text(routes);
  });
  commands.add("ovs/route/lookup", "ip_addr", 1, 1, [call](const Args& args) -> Result<std::string> {
    TRY_ASSIGN(route, call("route.lookup", {{"ip", args[0]}}));
    return "src " + route["src"].get<std::string>() + "\ngateway " +
           route["gw"].get<std::string>() + "\ndev " + route["dev"].get<std::string>() + "\n";
  });
  for (const char* name : {"tnl/neigh/show", "tnl/arp/show"}) {
    commands.add(name, "", 0, 0, [call](const Args&) -> Result<std::string> {
      TRY_ASSIGN(neighbours, call("neigh.show", Json::object()));
      return neighbour_show_text(neighbours);
    });
  }
  for (const char* name : {"tnl/neigh/flush", "tnl/arp/flush"}) {
    commands.add(name, "", 0, 0, [call](const Args&) -> Result<std::string> {
      TRY_STATUS(call("neigh.flush", Json::object()));
      return std::string("OK");
    });
  }

  commands.add("vlog/list", "", 0, 0, [call](const Args&) -> Result<std::string> {
    TRY_ASSIGN(levels, call("vlog.list", Json::object()));
    return levels["text"].get<std::string>();
  });
  // Each argument is one setting; none sets every module on every
  // destination to dbg, as Open vSwitch does. What is said about a
  // destination that is not open is the reply.
  commands.add("vlog/set", "{spec}", 0, kAny, [call](const Args& args) -> Result<std::string> {
    Json settings = args.empty() ? Json::array({"ANY:ANY:dbg"}) : Json(args);
    TRY_ASSIGN(result, call("vlog.set", {{"settings", settings}}));
    std::string out;
    for (const Json& note : result["notes"]) out += note.get<std::string>() + "\n";
    return out;
  });

  commands.add("memory/show", "", 0, 0, [call](const Args&) { return memory_show(call); });
}

}  // namespace flowpath::control
