#include "fpctl_dpctl.h"

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "control/control_client.h"
#include "control/datapath_text.h"
#include "fpctl_output.h"

namespace flowpath::fpctl {

using control::Json;

// Connects and calls `method`; prints "fpctl: reason" and returns nullopt on error.
std::optional<Json> call(const GlobalOptions& options, const std::string& method, const Json& params) {
  control::ControlClient client;
  if (auto st = client.connect(options.socket); !st.ok()) {
    std::cerr << "fpctl: " << st.error() << '\n';
    return std::nullopt;
  }
  auto result = client.call(method, params);
  if (!result.ok()) {
    std::cerr << "fpctl: " << result.error() << '\n';
    return std::nullopt;
  }
  return *result;
}

// With DP optional as in ovs-dpctl: one argument that names no datapath is
// taken as the rest, and the single existing datapath is used.
std::optional<std::string> pick_datapath(const GlobalOptions& options, std::vector<std::string>& args,
                                         size_t rest_count) {
  if (args.size() > rest_count) {
    std::string dp = args.front();
    args.erase(args.begin());
    return dp;
  }
  auto list = call(options, "dp.list", Json::object());
  if (!list) return std::nullopt;
  if (list->size() != 1) {
    std::cerr << "fpctl: " << (list->empty() ? "no datapath exists" : "several datapaths exist")
              << "; name one\n";
    return std::nullopt;
  }
  return (*list)[0].get<std::string>();
}

// One flow as ovs-dpctl dump-flows prints it (control/datapath_text.h).
std::string flow_line(const Json& f, bool verbose) { return control::flow_text(f, verbose); }

Json flow_put_params(const std::string& dp, std::string flow, const std::string& actions,
                     const std::string& mode, bool clear) {
  Json params{{"dp", dp}, {"actions", actions}, {"mode", mode}, {"clear", clear}};
  // "ufid:... FLOW" as ovs-dpctl accepts it.
  if (flow.rfind("ufid:", 0) == 0) {
    size_t space = flow.find_first_of(" ,");
    params["ufid"] = flow.substr(0, space);
    flow = space == std::string::npos ? "" : flow.substr(space + 1);
    while (!flow.empty() && (flow[0] == ' ' || flow[0] == ',')) flow.erase(0, 1);
  }
  params["flow"] = flow;
  return params;
}

void add_dpctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code_out) {
  // The callbacks run after this function returns: they hold pointers to the
  // caller's objects, never references to this function's parameters.
  GlobalOptions* const opt_ptr = &options;
  int* const exit_ptr = &exit_code_out;
  // Shared state of the subcommands; CLI11 keeps references to it.
  static std::vector<std::string> args;
  static bool stats_flag = false, more_flag = false, clear_flag = false, may_create_flag = false;
  static uint32_t in_port = 0;
  static std::optional<uint32_t> vlan_limit;
  static int names_flag = 0;  // 1: --names, -1: --no-names, 0: as -m

  auto json_or = [opt_ptr, exit_ptr](const std::optional<Json>& result, auto&& print_text) {
    if (!result) {
      (*exit_ptr) = 1;
      return;
    }
    if ((*opt_ptr).format == "json") {
      std::cout << result->dump(2) << '\n';
    } else {
      print_text(*result);
    }
  };
  auto need = [exit_ptr](size_t min, size_t max, const char* usage) {
    if (args.size() < min || args.size() > max) {
      std::cerr << "fpctl: usage: fpctl " << usage << '\n';
      (*exit_ptr) = 2;
      return false;
    }
    return true;
  };

  static std::string flow_overlap;
  auto* c = app.add_subcommand("add-dp", "Create a datapath (and attach interfaces)");
  c->add_option("DP IFACE", args)->required();
  c->add_option("--flow-overlap", flow_overlap,
                "allow (default, as Open vSwitch: refuse only a flow whose key an existing flow "
                "matches) or refuse (every overlapping megaflow)");
  c->add_option("--vlan-limit", vlan_limit,
                "VLAN tags a packet's key takes (Open vSwitch's other_config:vlan-limit; "
                "default 1, 0 for as many as a key holds)");
  c->callback([=] {
    Json ifaces = Json::array();
    for (size_t i = 1; i < args.size(); ++i) ifaces.push_back(args[i]);
    Json params{{"dp", args[0]}, {"interfaces", ifaces}};
    if (!flow_overlap.empty()) params["flow_overlap"] = flow_overlap;
    if (vlan_limit) params["vlan_limit"] = *vlan_limit;
    json_or(call((*opt_ptr), "dp.add", params), [](const Json&) {});
    (void)c;
  });

  static std::optional<uint64_t> flow_limit, upcall_rate, emc_insert_inv_prob;
  static std::optional<uint32_t> max_idle;
  static std::string emc;
  c = app.add_subcommand("set-dp", "Change a datapath's settings (a bridge's are kept with it)");
  c->add_option("DP", args)->required();
  c->add_option("--vlan-limit", vlan_limit,
                "VLAN tags a packet's key takes (Open vSwitch's other_config:vlan-limit; "
                "0 for as many as a key holds)");
  c->add_option("--flow-limit", flow_limit,
                "most megaflows the datapath holds (Open vSwitch's other_config:flow-limit); "
                "the revalidator lowers the limit in force while its dumps are slow");
  c->add_option("--max-idle", max_idle,
                "ms a flow of a bridge's datapath stays without traffic (Open vSwitch's "
                "other_config:max-idle; 500 at least)");
  c->add_option("--upcall-rate", upcall_rate,
                "upcalls per second admitted, 0 for unlimited; the rest are dropped as "
                "datapath_drop_upcall_rate_limited");
  c->add_option("--emc", emc, "the forwarding threads' exact-match cache: on or off");
  c->add_option("--emc-insert-inv-prob", emc_insert_inv_prob,
                "the exact-match cache takes 1 in N new keys (Open vSwitch's "
                "other_config:emc-insert-inv-prob, 0..4294967295; 0: none, default 100)");
  c->callback([=] {
    if (!need(1, 1, "set-dp DP [--vlan-limit N] [--flow-limit N] [--max-idle MS] "
                    "[--upcall-rate N] [--emc on|off] [--emc-insert-inv-prob N]"))
      return;
    Json params{{"dp", args[0]}};
    if (vlan_limit) params["vlan_limit"] = *vlan_limit;
    if (flow_limit) params["flow_limit"] = *flow_limit;
    if (max_idle) params["max_idle_ms"] = *max_idle;
    if (upcall_rate) params["upcall_rate"] = *upcall_rate;
    if (emc_insert_inv_prob) params["emc_insert_inv_prob"] = *emc_insert_inv_prob;
    if (!emc.empty()) {
      if (emc != "on" && emc != "off") {
        std::cerr << "fpctl: set-dp: --emc takes on or off, not \"" << emc << "\"\n";
        (*exit_ptr) = 2;
        return;
      }
      params["emc"] = emc == "on";
    }
    if (params.size() == 1) {
      std::cerr << "fpctl: set-dp: give a setting to change: --vlan-limit, --flow-limit, "
                   "--max-idle, --upcall-rate, --emc or --emc-insert-inv-prob\n";
      (*exit_ptr) = 2;
      return;
    }
    json_or(call((*opt_ptr), "dp.set", params), [](const Json&) {});
  });

  c = app.add_subcommand("del-dp", "Delete a datapath and its ports");
  c->add_option("DP", args)->required();
  c->callback([=] {
    if (!need(1, 1, "del-dp DP")) return;
    json_or(call((*opt_ptr), "dp.del", {{"dp", args[0]}}), [](const Json&) {});
  });

  c = app.add_subcommand("dump-dps", "List datapaths");
  c->callback([=] {
    json_or(call((*opt_ptr), "dp.list", Json::object()), [](const Json& r) {
      for (const Json& n : r) std::printf("flowpath@%s\n", n.get<std::string>().c_str());
    });
  });

  c = app.add_subcommand("show", "Show datapaths: counters, flows, masks, ports");
  c->add_option("DP", args);
  c->add_flag("-s,--statistics", stats_flag, "print port statistics");
  c->callback([=] {
    Json params = Json::object();
    if (!args.empty()) params["dp"] = args[0];
    json_or(call((*opt_ptr), "dp.show", params), [](const Json& r) {
      std::fputs(control::datapath_show_text(r, stats_flag).c_str(), stdout);
    });
  });

  c = app.add_subcommand("add-if", "Attach interfaces: IFACE[,type=afpacket|afxdp|tap|internal|pcap][,key=value...]");
  c->add_option("DP IFACE", args)->required();
  c->callback([=] {
    if (!need(2, 1000, "add-if DP IFACE[,type=T][,key=value]...")) return;
    // In JSON: [{interface, port_no}...] for the ports attached, in order.
    Json added = Json::array();
    for (size_t i = 1; i < args.size(); ++i) {
      auto r = call((*opt_ptr), "port.add", {{"dp", args[0]}, {"spec", args[i]}});
      if (!r) {
        (*exit_ptr) = 1;
        break;
      }
      added.push_back({{"interface", args[i].substr(0, args[i].find(','))}, {"port_no", (*r)["port_no"]}});
    }
    if ((*opt_ptr).format == "json") std::cout << added.dump(2) << '\n';
  });

  c = app.add_subcommand("set-if", "Reconfigure interfaces: IFACE[,key=value...]");
  c->add_option("DP IFACE", args)->required();
  c->callback([=] {
    if (!need(2, 1000, "set-if DP IFACE[,type=T][,key=value]...")) return;
    for (size_t i = 1; i < args.size(); ++i) {
      if (!call((*opt_ptr), "port.set", {{"dp", args[0]}, {"spec", args[i]}})) {
        (*exit_ptr) = 1;
        return;
      }
    }
    json_or(Json::object(), [](const Json&) {});
  });

  c = app.add_subcommand("del-if", "Detach interfaces (by name or port number)");
  c->add_option("DP IFACE", args)->required();
  c->callback([=] {
    if (!need(2, 1000, "del-if DP IFACE...")) return;
    for (size_t i = 1; i < args.size(); ++i) {
      if (!call((*opt_ptr), "port.del", {{"dp", args[0]}, {"port", args[i]}})) {
        (*exit_ptr) = 1;
        return;
      }
    }
    json_or(Json::object(), [](const Json&) {});
  });

  c = app.add_subcommand("dump-flows", "Print the flows of a datapath [matching FILTER]");
  c->add_option("DP FILTER", args);
  c->add_flag("-m,--more", more_flag,
              "verbose, as ovs-dpctl -m: the ufid, every attribute with its mask, dp:ovs, "
              "ports by name");
  c->add_flag("--names,!--no-names", names_flag,
              "print ports by name (default: with -m only, as ovs-dpctl)");
  c->callback([=] {
    if (!need(0, 2, "dump-flows [DP] [FILTER]")) return;
    // One argument: a datapath name, or a filter (which has parentheses).
    std::optional<std::string> filter;
    if (args.size() == 2 || (args.size() == 1 && args[0].find('(') != std::string::npos)) {
      filter = args.back();
      args.pop_back();
    }
    auto dp = pick_datapath((*opt_ptr), args, 0);
    if (!dp) { (*exit_ptr) = 1; return; }
    Json params{{"dp", *dp}};
    if (filter) params["filter"] = *filter;
    params["verbose"] = more_flag;
    params["names"] = names_flag == 0 ? more_flag : names_flag > 0;
    // Streamed: each flow is printed as it arrives.
    std::string line;
    bool ok = print_list(*opt_ptr, "flow.dump", params, [&line](const Json& f) {
      line = flow_line(f, more_flag);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
    });
    if (!ok) (*exit_ptr) = 1;
  });

  auto put = [=](const char* mode, const char* usage) {
    if (!need(2, 3, usage)) return;
    auto dp = pick_datapath((*opt_ptr), args, 2);
    if (!dp) { (*exit_ptr) = 1; return; }
    Json params = flow_put_params(*dp, args[0], args[1], mode, clear_flag);
    json_or(call((*opt_ptr), "flow.put", params), [](const Json&) {});
  };
  c = app.add_subcommand("add-flow", "Add a flow: [DP] FLOW ACTIONS");
  c->add_option("DP FLOW ACTIONS", args)->required();
  c->callback([=] { put("create", "add-flow [DP] FLOW ACTIONS"); });

  c = app.add_subcommand("mod-flow", "Change a flow's actions: [DP] FLOW ACTIONS");
  c->add_option("DP FLOW ACTIONS", args)->required();
  c->add_flag("--clear", clear_flag, "reset the flow's statistics");
  c->add_flag("--may-create", may_create_flag, "create the flow if it does not exist");
  c->callback([=] {
    put(may_create_flag ? "create-or-modify" : "modify", "mod-flow [DP] FLOW ACTIONS");
  });

  auto by_id = [=](const char* method, const char* usage, bool print_flow) {
    if (!need(1, 2, usage)) return;
    auto dp = pick_datapath((*opt_ptr), args, 1);
    if (!dp) { (*exit_ptr) = 1; return; }
    Json params{{"dp", *dp}};
    if (args[0].rfind("ufid:", 0) == 0) params["ufid"] = args[0];
    else params["flow"] = args[0];
    json_or(call((*opt_ptr), method, params), [print_flow](const Json& f) {
      if (print_flow) std::printf("%s\n", flow_line(f, true).c_str());
    });
  };
  c = app.add_subcommand("get-flow", "Print one flow: [DP] ufid:UFID");
  c->add_option("DP UFID", args)->required();
  c->callback([=] { by_id("flow.get", "get-flow [DP] ufid:UFID", true); });

  c = app.add_subcommand("del-flow", "Delete one flow: [DP] FLOW|ufid:UFID");
  c->add_option("DP FLOW", args)->required();
  c->callback([=] { by_id("flow.del", "del-flow [DP] FLOW|ufid:UFID", false); });

  c = app.add_subcommand("del-flows", "Delete every flow of a datapath");
  c->add_option("DP", args);
  c->callback([=] {
    if (!need(0, 1, "del-flows [DP]")) return;
    auto dp = pick_datapath((*opt_ptr), args, 0);
    if (!dp) { (*exit_ptr) = 1; return; }
    json_or(call((*opt_ptr), "flow.flush", {{"dp", *dp}}), [](const Json&) {});
  });

  c = app.add_subcommand("execute", "Run actions on a packet: DP PACKET-HEX ACTIONS");
  c->add_option("DP PACKET ACTIONS", args)->required();
  c->add_option("--in-port", in_port, "input port of the packet");
  c->callback([=] {
    if (!need(3, 3, "execute DP PACKET-HEX ACTIONS [--in-port N]")) return;
    auto result = call((*opt_ptr), "packet.execute",
                       {{"dp", args[0]}, {"packet", args[1]}, {"actions", args[2]}, {"in_port", in_port}});
    json_or(result, [](const Json&) {});
    if (!result) return;
    // Drops are reported on stderr, in either format. A packet that went
    // nowhere (nothing sent, nothing queued to the slow path) is a failure.
    const Json& r = *result;
    for (const auto& [name, n] : r["drops"].items()) {
      std::fprintf(stderr, "fpctl: execute: %lu packet%s dropped: %s\n", n.get<uint64_t>(),
                   n.get<uint64_t>() == 1 ? "" : "s", name.c_str());
    }
    if (r["dropped"].get<uint64_t>() != 0 && r["sent"].get<uint64_t>() == 0 &&
        r["upcalls"].get<uint64_t>() == 0) {
      (*exit_ptr) = 1;
    }
  });

  static std::optional<uint64_t> handler_threads;
  static std::string pmd_cpu_mask;
  c = app.add_subcommand("set-threads",
                         "Change the threads every datapath shares, at once (Open vSwitch's "
                         "other_config:n-handler-threads and pmd-cpu-mask)");
  c->add_option("--handler-threads", handler_threads,
                "threads taking each datapath's upcalls; 0: the default");
  c->add_option("--pmd-cpu-mask", pmd_cpu_mask,
                "hexadecimal CPU mask (0x optional, lowest bit CPU 0): one forwarding thread "
                "pinned to each CPU set, as many CPUs as there are forwarding threads");
  c->callback([=] {
    Json params = Json::object();
    if (handler_threads) params["handler_threads"] = *handler_threads;
    if (!pmd_cpu_mask.empty()) params["pmd_cpu_mask"] = pmd_cpu_mask;
    if (params.empty()) {
      std::cerr << "fpctl: set-threads: give a setting to change: --handler-threads N or "
                   "--pmd-cpu-mask MASK\n";
      (*exit_ptr) = 2;
      return;
    }
    json_or(call((*opt_ptr), "threads.set", params), [](const Json& r) {
      std::string cpus;
      for (const Json& cpu : r["forwarding_cpus"])
        cpus += (cpus.empty() ? "" : ", ") +
                (cpu.is_null() ? std::string("unpinned") : std::to_string(cpu.get<unsigned>()));
      std::printf("handler threads: %lu\nforwarding threads: %s\n",
                  r["handler_threads"].get<uint64_t>(), cpus.c_str());
    });
  });

  c = app.add_subcommand("pmd-stats-show", "Forwarding thread statistics (ovs-appctl dpif-netdev/pmd-stats-show)");
  c->callback([=] {
    json_or(call((*opt_ptr), "threads.show", Json::object()), [](const Json& r) {
      for (const Json& t : r) std::fputs(control::thread_stats_text(t).c_str(), stdout);
    });
  });
}

}  // namespace flowpath::fpctl
