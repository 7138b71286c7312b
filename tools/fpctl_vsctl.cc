#include "fpctl_vsctl.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "control/control_client.h"
#include "control/switch_text.h"

namespace flowpath::fpctl {

using control::Json;

Result<Json> BridgeVerbs::request(const std::string& method, const Json& params) {
  control::ControlClient client;
  if (auto st = client.connect(options_->socket); !st.ok()) return make_error(st.error());
  return client.call(method, params);
}

std::optional<Json> BridgeVerbs::call(const std::string& method, const Json& params) {
  auto result = request(method, params);
  if (!result.ok()) {
    fail(result.error());
    return std::nullopt;
  }
  return std::move(*result);
}

void BridgeVerbs::print(const std::optional<Json>& result,
                        const std::function<void(const Json&)>& text) {
  if (!result) return;  // call() has reported it
  if (json()) {
    std::cout << result->dump(2) << '\n';
  } else if (text) {
    text(*result);
  }
}

bool BridgeVerbs::need(const std::vector<std::string>& args, size_t min, size_t max,
                       const char* usage) {
  if (args.size() >= min && args.size() <= max) return true;
  fail(std::string("usage: fpctl ") + usage, 2);
  return false;
}

void BridgeVerbs::fail(const std::string& message, int code) {
  std::cerr << "fpctl: " << message << '\n';
  *exit_code_ = code;
}

std::string ofport_text(uint64_t ofport) { return control::ofport_text(ofport); }

namespace {

// Parsed positionals and flags of the verbs; CLI11 writes into them.
struct VsctlArgs {
  std::vector<std::string> args;
  bool may_exist = false;
  bool if_exists = false;
  std::optional<uint32_t> inactivity_probe_ms, max_backoff_ms;
};

std::vector<std::string> sorted_strings(const Json& list) {
  std::vector<std::string> out;
  for (const Json& item : list) out.push_back(item.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

void print_fdb(const Json& entries) { std::fputs(control::fdb_text(entries).c_str(), stdout); }

void print_trace(const Json& trace) { std::fputs(control::trace_text(trace).c_str(), stdout); }

// "size=N" / "aging=S" of set-mac-table into br.set params.
bool parse_mac_table_words(BridgeVerbs& verbs, const std::vector<std::string>& words, Json& params) {
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    std::string key = word.substr(0, eq);
    const char* param = key == "size" ? "mac_table_size" : key == "aging" ? "mac_aging" : nullptr;
    if (eq == std::string::npos || param == nullptr) {
      verbs.fail("set-mac-table: \"" + word + "\" is not size=N or aging=SECONDS", 2);
      return false;
    }
    std::string value = word.substr(eq + 1);
    uint64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      verbs.fail("set-mac-table: " + key + " \"" + value + "\" is not a non-negative integer", 2);
      return false;
    }
    params[param] = number;
  }
  return true;
}

void add_bridge_verbs(CLI::App& app, const std::shared_ptr<BridgeVerbs>& verbs,
                      const std::shared_ptr<VsctlArgs>& a) {
  auto* c = app.add_subcommand("add-br", "Create a bridge with the rule actions=NORMAL");
  c->add_option("BRIDGE", a->args);
  c->add_flag("--may-exist", a->may_exist, "succeed if the bridge already exists");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "add-br BRIDGE [--may-exist]")) return;
    verbs->run("br.add", {{"bridge", a->args[0]}, {"may_exist", a->may_exist}});
  });

  c = app.add_subcommand("del-br", "Delete a bridge, its ports and rules");
  c->add_option("BRIDGE", a->args);
  c->add_flag("--if-exists", a->if_exists, "succeed if the bridge does not exist");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "del-br BRIDGE [--if-exists]")) return;
    verbs->run("br.del", {{"bridge", a->args[0]}, {"if_exists", a->if_exists}});
  });

  c = app.add_subcommand("list-br", "List the bridges");
  c->callback([verbs] {
    verbs->run("br.list", Json::object(), [](const Json& r) {
      for (const std::string& name : sorted_strings(r)) std::printf("%s\n", name.c_str());
    });
  });

  c = app.add_subcommand("br-exists", "Exit 0 if the bridge exists, 2 if not");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "br-exists BRIDGE")) return;
    auto list = verbs->call("br.list", Json::object());
    if (!list) return;
    bool exists = std::find(list->begin(), list->end(), Json(a->args[0])) != list->end();
    if (verbs->json()) std::cout << Json{{"exists", exists}}.dump(2) << '\n';
    if (!exists) verbs->set_exit(2);
  });

  c = app.add_subcommand("set-mac-table", "Set a bridge's MAC table: [size=N] [aging=SECONDS]");
  c->add_option("BRIDGE SETTINGS", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 3, "set-mac-table BRIDGE [size=N] [aging=SECONDS]")) return;
    Json params{{"bridge", a->args[0]}};
    if (!parse_mac_table_words(*verbs, {a->args.begin() + 1, a->args.end()}, params)) return;
    verbs->run("br.set", params);
  });
}

void add_port_verbs(CLI::App& app, const std::shared_ptr<BridgeVerbs>& verbs,
                    const std::shared_ptr<VsctlArgs>& a) {
  auto* c = app.add_subcommand(
      "add-port",
      "Add an interface to a bridge: BRIDGE IFACE [type=T] [tag=N] [trunks=N,M] "
      "[vlan_mode=M] [ofport_request=N] [mtu_request=N] [KEY=VALUE...]");
  c->add_option("BRIDGE IFACE SETTINGS", a->args);
  c->add_flag("--may-exist", a->may_exist, "succeed if the port is already on the bridge");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 1000, "add-port BRIDGE IFACE [SETTING...] [--may-exist]")) return;
    Json settings(std::vector<std::string>(a->args.begin() + 2, a->args.end()));
    verbs->run("br.port.add", {{"bridge", a->args[0]},
                               {"port", a->args[1]},
                               {"settings", settings},
                               {"may_exist", a->may_exist}});
  });

  c = app.add_subcommand("del-port", "Remove an interface from its bridge: [BRIDGE] IFACE");
  c->add_option("BRIDGE IFACE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "del-port [BRIDGE] IFACE")) return;
    Json params{{"port", a->args.back()}};
    if (a->args.size() == 2) params["bridge"] = a->args[0];
    verbs->run("br.port.del", params);
  });

  c = app.add_subcommand("list-ports", "List a bridge's interfaces (not its own port)");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "list-ports BRIDGE")) return;
    auto ports = verbs->call("br.port.list", {{"bridge", a->args[0]}});
    if (!ports) return;
    Json names = Json::array();
    for (const Json& port : *ports) {
      if (ofport_text(port["ofport"].get<uint64_t>()) != "LOCAL") names.push_back(port["name"]);
    }
    verbs->print(names, [](const Json& r) {
      for (const std::string& name : sorted_strings(r)) std::printf("%s\n", name.c_str());
    });
  });
}

// ovs-vsctl's controller verbs: set-controller, del-controller,
// get-controller, set-fail-mode, get-fail-mode, del-fail-mode.
void add_controller_verbs(CLI::App& app, const std::shared_ptr<BridgeVerbs>& verbs,
                          const std::shared_ptr<VsctlArgs>& a) {
  auto* c = app.add_subcommand(
      "set-controller",
      "Set a bridge's OpenFlow controllers: BRIDGE TARGET... (tcp:IP[:PORT], unix:PATH, "
      "ptcp:[PORT][:IP], punix:PATH)");
  c->add_option("BRIDGE TARGET", a->args);
  c->add_option("--inactivity-probe", a->inactivity_probe_ms,
                "ms without a message before an echo request (0: none; default 5000)");
  c->add_option("--max-backoff", a->max_backoff_ms,
                "longest wait between connection attempts, ms (default 8000)");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 1000,
                     "set-controller BRIDGE TARGET... [--inactivity-probe=MS] [--max-backoff=MS]"))
      return;
    Json params{{"bridge", a->args[0]},
                {"targets", std::vector<std::string>(a->args.begin() + 1, a->args.end())}};
    if (a->inactivity_probe_ms) params["inactivity_probe_ms"] = *a->inactivity_probe_ms;
    if (a->max_backoff_ms) params["max_backoff_ms"] = *a->max_backoff_ms;
    verbs->run("br.controller.set", params);
  });

  c = app.add_subcommand("del-controller", "Remove a bridge's OpenFlow controllers");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "del-controller BRIDGE")) return;
    verbs->run("br.controller.set", {{"bridge", a->args[0]}, {"targets", Json::array()}});
  });

  c = app.add_subcommand("get-controller", "Print a bridge's OpenFlow controllers");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "get-controller BRIDGE")) return;
    verbs->run("br.controller.get", {{"bridge", a->args[0]}}, [](const Json& r) {
      for (const std::string& target : sorted_strings(r["targets"])) std::printf("%s\n", target.c_str());
    });
  });

  c = app.add_subcommand("set-fail-mode",
                         "What a bridge does without a controller: BRIDGE standalone|secure");
  c->add_option("BRIDGE MODE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "set-fail-mode BRIDGE standalone|secure")) return;
    if (a->args[1] != "standalone" && a->args[1] != "secure") {
      verbs->fail("set-fail-mode: mode must be \"standalone\" or \"secure\", not \"" + a->args[1] + "\"", 2);
      return;
    }
    verbs->run("br.fail_mode.set", {{"bridge", a->args[0]}, {"mode", a->args[1]}});
  });

  c = app.add_subcommand("get-fail-mode", "Print a bridge's fail mode (nothing when unset)");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "get-fail-mode BRIDGE")) return;
    verbs->run("br.fail_mode.get", {{"bridge", a->args[0]}}, [](const Json& r) {
      if (!r["fail_mode"].is_null()) std::printf("%s\n", r["fail_mode"].get<std::string>().c_str());
    });
  });

  c = app.add_subcommand("del-fail-mode", "Unset a bridge's fail mode (standalone)");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "del-fail-mode BRIDGE")) return;
    verbs->run("br.fail_mode.set", {{"bridge", a->args[0]}, {"mode", nullptr}});
  });
}

void add_appctl_verbs(CLI::App& app, const std::shared_ptr<BridgeVerbs>& verbs,
                      const std::shared_ptr<VsctlArgs>& a) {
  auto* c = app.add_subcommand("fdb-show", "Print a bridge's MAC learning table");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "fdb-show BRIDGE")) return;
    verbs->run("fdb.show", {{"bridge", a->args[0]}}, print_fdb);
  });

  c = app.add_subcommand("fdb-flush", "Forget every MAC a bridge has learned");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "fdb-flush BRIDGE")) return;
    verbs->run("fdb.flush", {{"bridge", a->args[0]}},
               [](const Json&) { std::printf("table successfully flushed\n"); });
  });

  c = app.add_subcommand(
      "trace",
      "Show how a bridge would handle a packet: BRIDGE FLOW (ODP key text or an "
      "ovs-ofctl match such as in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=22); nothing is learned");
  c->add_option("BRIDGE FLOW", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "trace BRIDGE FLOW")) return;
    verbs->run("trace", {{"bridge", a->args[0]}, {"flow", a->args[1]}}, print_trace);
  });

  c = app.add_subcommand(
      "upcall/show",
      "Per bridge: flows against the flow limit (adaptive, and as set), the last dump's "
      "duration, handler threads and the upcall rate limit (ovs-appctl upcall/show)");
  c->callback([verbs] {
    verbs->run("upcall.show", Json::object(), [](const Json& list) {
      std::fputs(control::upcall_show_text(list).c_str(), stdout);
    });
  });

  c = app.add_subcommand("ofproto-stats", "Slow path counters: upcalls, installs, revalidation");
  c->callback([verbs] {
    verbs->run("ofproto.stats", Json::object(), [](const Json& s) {
      static const std::pair<const char*, const char*> kLines[] = {
          {"upcalls", "upcalls"},
          {"flows_installed", "flows installed"},
          {"install_failures", "install failures"},
          {"revalidation_rounds", "revalidation rounds"},
          {"flows_deleted_idle", "flows deleted (idle)"},
          {"flows_modified", "flows modified"},
          {"flows_deleted_changed", "flows deleted (changed)"},
          {"dump_duration_us", "revalidation time of every round (us)"},
          {"last_dump_duration_us", "revalidation time of the last round (us)"}};
      for (auto [key, label] : kLines) std::printf("%s: %lu\n", label, s[key].get<uint64_t>());
    });
  });
}

}  // namespace

void add_vsctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code) {
  auto verbs = std::make_shared<BridgeVerbs>(options, exit_code);
  auto args = std::make_shared<VsctlArgs>();
  add_bridge_verbs(app, verbs, args);
  add_port_verbs(app, verbs, args);
  add_controller_verbs(app, verbs, args);
  add_appctl_verbs(app, verbs, args);
}

}  // namespace flowpath::fpctl
