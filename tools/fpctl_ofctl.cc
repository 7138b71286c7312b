#include "fpctl_ofctl.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "fpctl_output.h"
#include "fpctl_vsctl.h"

namespace flowpath::fpctl {

namespace {

using control::Json;

struct OfctlArgs {
  std::vector<std::string> args;
  bool strict = false;
  bool no_stats = false;
};

// ovs-ofctl's durations: whole seconds without decimals, else milliseconds.
std::string duration_text(uint64_t ms) {
  char buf[40];
  if (ms % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lus", ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%lu.%03lus", ms / 1000, ms % 1000);
  }
  return buf;
}

// One rule as ovs-ofctl dump-flows prints it (after its leading space):
// statistics, non-default timeouts, the match with its priority, actions.
std::string rule_line(const Json& r, bool with_stats) {
  char buf[64];
  std::string line;
  uint64_t cookie = r["cookie"];
  if (with_stats || cookie != 0) {
    std::snprintf(buf, sizeof buf, "cookie=0x%lx, ", cookie);
    line += buf;
  }
  if (with_stats) line += "duration=" + duration_text(r["duration_ms"]) + ", ";
  unsigned table = r["table"];
  if (with_stats || table != 0) line += "table=" + std::to_string(table) + ", ";
  if (with_stats) {
    line += "n_packets=" + std::to_string(r["packets"].get<uint64_t>()) + ", ";
    line += "n_bytes=" + std::to_string(r["bytes"].get<uint64_t>()) + ", ";
  }
  unsigned idle_timeout = r["idle_timeout"], hard_timeout = r["hard_timeout"];
  if (idle_timeout) line += "idle_timeout=" + std::to_string(idle_timeout) + ", ";
  if (hard_timeout) line += "hard_timeout=" + std::to_string(hard_timeout) + ", ";
  if (with_stats) line += "idle_age=" + std::to_string(r["idle_ms"].get<uint64_t>() / 1000) + ", ";
  std::string match = r["match"];
  if (!match.empty()) line += match + " ";
  line += "actions=" + r["actions"].get<std::string>();
  return line;
}

// A PORT argument: an OpenFlow number, else an interface name (or LOCAL).
Json port_arg(const std::string& port) {
  bool number = !port.empty() && port.size() < 11 &&
                port.find_first_not_of("0123456789") == std::string::npos;
  return number ? Json(std::stoull(port)) : Json(port);
}

// Sorted by OpenFlow number, LOCAL (the largest) last, as ovs-ofctl show.
std::vector<Json> ports_by_number(const Json& ports) {
  std::vector<Json> out(ports.begin(), ports.end());
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
    return a["ofport"].get<uint64_t>() < b["ofport"].get<uint64_t>();
  });
  return out;
}

void print_show(const Json& bridge, const Json& ports) {
  std::printf("bridge %s: mac_table_size=%lu mac_aging=%lus max_idle=%lums\n",
              bridge["name"].get<std::string>().c_str(), bridge["mac_table_size"].get<uint64_t>(),
              bridge["mac_aging"].get<uint64_t>(), bridge["max_idle_ms"].get<uint64_t>());
  if (bridge.contains("fail_mode") && !bridge["fail_mode"].is_null())
    std::printf(" fail_mode: %s\n", bridge["fail_mode"].get<std::string>().c_str());
  if (bridge.contains("controllers")) {
    for (const Json& c : bridge["controllers"]) {
      std::string line = " Controller \"" + c["target"].get<std::string>() + "\": " +
                         c["state"].get<std::string>();
      line += c["is_connected"].get<bool>() ? " is_connected=true" : " is_connected=false";
      if (c.contains("role")) line += " role=" + c["role"].get<std::string>();
      if (c.contains("sec_since_connect"))
        line += " sec_since_connect=" + std::to_string(c["sec_since_connect"].get<uint64_t>());
      if (c.contains("sec_since_disconnect"))
        line += " sec_since_disconnect=" + std::to_string(c["sec_since_disconnect"].get<uint64_t>());
      if (c.contains("n_connections"))
        line += " n_connections=" + std::to_string(c["n_connections"].get<uint64_t>());
      if (c.contains("bound_port"))
        line += " bound_port=" + std::to_string(c["bound_port"].get<uint64_t>());
      if (c.contains("last_error")) line += " last_error=\"" + c["last_error"].get<std::string>() + "\"";
      std::printf("%s\n", line.c_str());
    }
  }
  for (const Json& p : ports_by_number(ports)) {
    std::printf(" %s(%s): type=%s", ofport_text(p["ofport"]).c_str(),
                p["name"].get<std::string>().c_str(), p["type"].get<std::string>().c_str());
    for (const auto& [key, value] : p["options"].items()) {
      std::printf(" %s=%s", key.c_str(), value.get<std::string>().c_str());
    }
    std::printf(" dp_port=%lu\n", p["dp_port"].get<uint64_t>());
    std::printf("     config:     %s\n", p["admin_up"].get<bool>() ? "0" : "PORT_DOWN");
    std::printf("     state:      %s\n", p["link_up"].get<bool>() ? "0" : "LINK_DOWN");
    std::string vlan = "     vlan_mode:  " + p["vlan_mode"].get<std::string>();
    if (!p["tag"].is_null()) vlan += " tag=" + std::to_string(p["tag"].get<unsigned>());
    if (!p["trunks"].empty()) {
      vlan += " trunks=";
      for (size_t i = 0; i < p["trunks"].size(); ++i) {
        vlan += (i ? "," : "") + std::to_string(p["trunks"][i].get<unsigned>());
      }
    }
    std::printf("%s\n", vlan.c_str());
  }
}

void print_port_stats(const Json& ports) {
  std::printf("OFPST_PORT reply: %zu ports\n", ports.size());
  for (const Json& p : ports_by_number(ports)) {
    const Json& s = p["stats"];
    uint64_t ofport = p["ofport"];
    std::printf("  port %s%s: rx pkts=%lu, bytes=%lu, drop=%lu, errs=%lu, frame=?, over=?, crc=?\n",
                ofport < 10 ? " " : "", ofport_text(ofport).c_str(),
                s["rx_packets"].get<uint64_t>(), s["rx_bytes"].get<uint64_t>(),
                s["rx_dropped"].get<uint64_t>(), s["rx_errors"].get<uint64_t>());
    std::printf("           tx pkts=%lu, bytes=%lu, drop=%lu, errs=%lu, coll=?\n",
                s["tx_packets"].get<uint64_t>(), s["tx_bytes"].get<uint64_t>(),
                s["tx_dropped"].get<uint64_t>(), s["tx_errors"].get<uint64_t>());
  }
}

struct FlowFileLine {
  size_t number;  // in the file, from 1
  std::string text;
};

// The rules of an add-flows file ("-": stdin): every line but blank ones and
// "#" comments, trimmed. Nullopt (after an error message) if it cannot be read.
std::optional<std::vector<FlowFileLine>> read_flow_file(BridgeVerbs& verbs,
                                                        const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) {
      verbs.fail(path + ": cannot open: " + std::strerror(errno));
      return std::nullopt;
    }
    in = &file;
  }
  std::vector<FlowFileLine> lines;
  std::string line;
  for (size_t number = 1; std::getline(*in, line); ++number) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t end = line.find_last_not_of(" \t\r");
    lines.push_back({number, line.substr(start, end - start + 1)});
  }
  if (in->bad()) {
    verbs.fail(path + ": read error");
    return std::nullopt;
  }
  return lines;
}

// The daemon names a bad rule of a batch by its place ("line 3: ..."; no
// place when the batch has one rule): say where it is in the file instead.
std::string locate_in_file(const std::string& error, const std::string& path,
                           const std::vector<FlowFileLine>& lines) {
  std::string name = path == "-" ? "stdin" : path;
  size_t index = 0, digits = 0;
  if (error.rfind("line ", 0) == 0) {
    while (5 + digits < error.size() && std::isdigit(static_cast<unsigned char>(error[5 + digits]))) {
      index = index * 10 + static_cast<size_t>(error[5 + digits] - '0');
      ++digits;
    }
  }
  if (digits > 0 && digits < 10 && index >= 1 && index <= lines.size() &&
      error.compare(5 + digits, 2, ": ") == 0) {
    return name + ":" + std::to_string(lines[index - 1].number) + ": " + error.substr(7 + digits);
  }
  if (lines.size() == 1) return name + ":" + std::to_string(lines[0].number) + ": " + error;
  return name + ": " + error;
}

void add_flow_verbs(CLI::App& of, const std::shared_ptr<BridgeVerbs>& verbs,
                    const std::shared_ptr<OfctlArgs>& a) {
  auto* c = of.add_subcommand("dump-flows", "Print a bridge's rules [matching FILTER]");
  c->add_option("BRIDGE FILTER", a->args);
  c->add_flag("--no-stats", a->no_stats, "leave out statistics (cookie, duration, counters)");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "of dump-flows BRIDGE [FILTER] [--no-stats]")) return;
    Json params{{"bridge", a->args[0]}};
    if (a->args.size() == 2) params["filter"] = a->args[1];
    // Streamed: each rule is printed as it arrives.
    std::string line;
    bool ok = print_list(verbs->options(), "of.flows.dump", params, [&](const Json& r) {
      line = " " + rule_line(r, !a->no_stats) + "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
    });
    if (!ok) verbs->set_exit(1);
  });

  c = of.add_subcommand("add-flow", "Add a rule: BRIDGE FLOW");
  c->add_option("BRIDGE FLOW", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "of add-flow BRIDGE FLOW")) return;
    verbs->run("of.flows.add", {{"bridge", a->args[0]}, {"flows", Json::array({a->args[1]})}});
  });

  c = of.add_subcommand("add-flows",
                        "Add the rules of FILE, one per line (- for stdin; # comments), all or none");
  c->add_option("BRIDGE FILE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "of add-flows BRIDGE FILE")) return;
    auto lines = read_flow_file(*verbs, a->args[1]);
    if (!lines) return;
    Json flows = Json::array();
    for (const FlowFileLine& line : *lines) flows.push_back(line.text);
    auto result = verbs->request("of.flows.add", {{"bridge", a->args[0]}, {"flows", flows}});
    if (!result.ok()) {
      verbs->fail(locate_in_file(result.error(), a->args[1], *lines) + " (no rule was added)");
      return;
    }
    verbs->print(*result);
  });

  c = of.add_subcommand("mod-flows", "Change the actions of the rules that FLOW matches");
  c->add_option("BRIDGE FLOW", a->args);
  c->add_flag("--strict", a->strict, "only the rule with exactly this match and priority");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "of mod-flows BRIDGE FLOW [--strict]")) return;
    verbs->run("of.flows.mod",
               {{"bridge", a->args[0]}, {"flow", a->args[1]}, {"strict", a->strict}});
  });

  c = of.add_subcommand("del-flows", "Delete the rules that FLOW matches (all without FLOW)");
  c->add_option("BRIDGE FLOW", a->args);
  c->add_flag("--strict", a->strict, "only the rule with exactly this match and priority");
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "of del-flows BRIDGE [FLOW] [--strict]")) return;
    Json params{{"bridge", a->args[0]}, {"strict", a->strict}};
    if (a->args.size() == 2) params["filter"] = a->args[1];
    verbs->run("of.flows.del", params);
  });
}

void add_group_meter_verbs(CLI::App& of, const std::shared_ptr<BridgeVerbs>& verbs,
                           const std::shared_ptr<OfctlArgs>& a) {
  auto group_put = [verbs, a](bool modify) {
    if (!verbs->need(a->args, 2, 2, modify ? "of mod-group BRIDGE GROUP" : "of add-group BRIDGE GROUP"))
      return;
    verbs->run("of.groups.add", {{"bridge", a->args[0]}, {"group", a->args[1]}, {"modify", modify}});
  };
  auto* c = of.add_subcommand("add-group", "Add a group: BRIDGE group_id=N,type=T,bucket=...");
  c->add_option("BRIDGE GROUP", a->args);
  c->callback([group_put] { group_put(false); });
  c = of.add_subcommand("mod-group", "Replace a group: BRIDGE group_id=N,type=T,bucket=...");
  c->add_option("BRIDGE GROUP", a->args);
  c->callback([group_put] { group_put(true); });

  c = of.add_subcommand("del-groups", "Delete a group (group_id=N), or every group");
  c->add_option("BRIDGE GROUP", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "of del-groups BRIDGE [group_id=N]")) return;
    Json params{{"bridge", a->args[0]}};
    if (a->args.size() == 2) params["group"] = a->args[1];
    verbs->run("of.groups.del", params);
  });

  c = of.add_subcommand("dump-groups", "Print a bridge's groups");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "of dump-groups BRIDGE")) return;
    verbs->run("of.groups.dump", {{"bridge", a->args[0]}}, [](const Json& groups) {
      for (const Json& g : groups) std::printf(" %s\n", g["text"].get<std::string>().c_str());
    });
  });

  c = of.add_subcommand("add-meter", "Add a meter: BRIDGE meter=N,kbps|pktps,bands=type=drop,rate=R");
  c->add_option("BRIDGE METER", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 2, 2, "of add-meter BRIDGE METER")) return;
    verbs->run("of.meters.add", {{"bridge", a->args[0]}, {"meter", a->args[1]}});
  });

  c = of.add_subcommand("del-meters", "Delete a meter (meter=N), or every meter");
  c->add_option("BRIDGE METER", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "of del-meters BRIDGE [meter=N]")) return;
    Json params{{"bridge", a->args[0]}};
    if (a->args.size() == 2) params["meter"] = a->args[1];
    verbs->run("of.meters.del", params);
  });

  c = of.add_subcommand("dump-meters", "Print a bridge's meters");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "of dump-meters BRIDGE")) return;
    verbs->run("of.meters.dump", {{"bridge", a->args[0]}}, [](const Json& meters) {
      for (const Json& m : meters) std::printf("%s\n", m.get<std::string>().c_str());
    });
  });
}

void add_port_verbs(CLI::App& of, const std::shared_ptr<BridgeVerbs>& verbs,
                    const std::shared_ptr<OfctlArgs>& a) {
  auto* c = of.add_subcommand("show", "Print a bridge's ports: OpenFlow numbers, names, state");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "of show BRIDGE")) return;
    auto bridge = verbs->call("br.get", {{"bridge", a->args[0]}});
    if (!bridge) return;
    auto ports = verbs->call("br.port.list", {{"bridge", a->args[0]}});
    if (!ports) return;
    verbs->print(Json{{"bridge", *bridge}, {"ports", *ports}},
                 [](const Json& r) { print_show(r["bridge"], r["ports"]); });
  });

  c = of.add_subcommand("dump-ports", "Print port counters: BRIDGE [PORT]");
  c->add_option("BRIDGE PORT", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 2, "of dump-ports BRIDGE [PORT]")) return;
    Json params{{"bridge", a->args[0]}};
    if (a->args.size() == 2) params["port"] = port_arg(a->args[1]);
    verbs->run("of.ports.dump", params, print_port_stats);
  });

  c = of.add_subcommand("mod-port", "Bring a port up or down: BRIDGE PORT up|down");
  c->add_option("BRIDGE PORT ACTION", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 3, 3, "of mod-port BRIDGE PORT up|down")) return;
    if (a->args[2] != "up" && a->args[2] != "down") {
      verbs->fail("mod-port: \"" + a->args[2] + "\" is not up or down", 2);
      return;
    }
    verbs->run("br.port.mod", {{"bridge", a->args[0]},
                               {"port", port_arg(a->args[1])},
                               {"admin", a->args[2]}});
  });

  c = of.add_subcommand("packet-ins", "Take and print the packets queued by CONTROLLER actions");
  c->add_option("BRIDGE", a->args);
  c->callback([verbs, a] {
    if (!verbs->need(a->args, 1, 1, "of packet-ins BRIDGE")) return;
    verbs->run("of.packet_ins", {{"bridge", a->args[0]}}, [](const Json& packets) {
      for (const Json& p : packets) {
        std::string hex = p["packet"];
        std::printf("packet_in in_port=%s reason=%s table_id=%u cookie=0x%lx total_len=%zu\n  %s\n",
                    ofport_text(p["in_port"]).c_str(), p["reason"].get<std::string>().c_str(),
                    p["table"].get<unsigned>(), p["cookie"].get<uint64_t>(), hex.size() / 2,
                    hex.c_str());
      }
    });
  });
}

}  // namespace

void add_ofctl_commands(CLI::App& app, GlobalOptions& options, int& exit_code) {
  auto verbs = std::make_shared<BridgeVerbs>(options, exit_code);
  auto args = std::make_shared<OfctlArgs>();
  CLI::App* of = app.add_subcommand("of", "OpenFlow verbs on a bridge (the ovs-ofctl set)");
  of->require_subcommand(1);
  add_flow_verbs(*of, verbs, args);
  add_group_meter_verbs(*of, verbs, args);
  add_port_verbs(*of, verbs, args);
}

}  // namespace flowpath::fpctl
