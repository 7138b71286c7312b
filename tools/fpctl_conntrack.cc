#include "fpctl_conntrack.h"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace flowpath::fpctl {

namespace {

using control::Json;

// Does this argument name a datapath (and not a zone=, default=, limit or tuple)?
bool is_datapath_argument(const std::string& arg) {
  return arg.find('=') == std::string::npos && arg != "verbose";
}

std::optional<uint64_t> number(std::string_view text, uint64_t max) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n > max) return std::nullopt;
  return n;
}

// "zone=N" → N.
std::optional<uint16_t> zone_argument(const std::string& arg) {
  if (arg.rfind("zone=", 0) != 0) return std::nullopt;
  auto n = number(std::string_view(arg).substr(5), 65535);
  if (!n) return std::nullopt;
  return static_cast<uint16_t>(*n);
}

// "zone=N1[,N2]..." → zones.
std::optional<std::vector<uint16_t>> zone_list(const std::string& arg) {
  if (arg.rfind("zone=", 0) != 0) return std::nullopt;
  std::vector<uint16_t> zones;
  std::string_view rest = std::string_view(arg).substr(5);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    auto n = number(rest.substr(0, comma), 65535);
    if (!n) return std::nullopt;
    zones.push_back(static_cast<uint16_t>(*n));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (zones.empty()) return std::nullopt;
  return zones;
}

}  // namespace

void add_conntrack_commands(CLI::App& app, GlobalOptions& options, int& exit_code_out) {
  CLI::App* const root = &app;
  GlobalOptions* const opt = &options;
  int* const exit_code = &exit_code_out;
  static std::vector<std::string> args;
  static bool more = false, statistics = false;

  auto fail = [exit_code](const std::string& message, int code = 2) {
    std::cerr << "fpctl: " << message << '\n';
    *exit_code = code;
  };
  // The datapath: the first argument when it is one, else the only one.
  auto datapath = [opt, exit_code]() -> std::optional<std::string> {
    size_t rest = (!args.empty() && is_datapath_argument(args[0])) ? 0 : args.size();
    auto dp = pick_datapath(*opt, args, rest);
    if (!dp) *exit_code = 1;
    return dp;
  };
  auto run = [opt, exit_code](const std::string& method, const Json& params,
                              auto&& print_text) {
    auto result = call(*opt, method, params);
    if (!result) {
      *exit_code = 1;
      return;
    }
    if (opt->format == "json") {
      std::cout << result->dump(2) << '\n';
    } else {
      print_text(*result);
    }
  };

  auto* c = app.add_subcommand("dump-conntrack", "Print the tracked connections: [-m] [-s] [DP] [zone=N]");
  c->add_option("DP ZONE", args);
  c->add_flag("-m,--more", more, "also print ids and both sides' TCP states");
  c->add_flag("-s,--statistics", statistics, "also print counters, start time and timeout");
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    Json params{{"dp", *dp}, {"verbose", more}, {"statistics", statistics}};
    for (const std::string& a : args) {
      auto zone = zone_argument(a);
      if (!zone) return fail("dump-conntrack: \"" + a + "\" is not zone=N (0 to 65535)");
      params["zone"] = *zone;
    }
    run("ct.dump", params, [](const Json& r) {
      for (const Json& e : r) std::printf("%s\n", e["text"].get<std::string>().c_str());
    });
  });

  c = app.add_subcommand("flush-conntrack", "Delete tracked connections: [DP] [zone=N] [ct-orig-tuple]");
  c->add_option("DP ZONE TUPLE", args);
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    Json params{{"dp", *dp}};
    for (const std::string& a : args) {
      if (a.rfind("zone=", 0) == 0) {
        auto zone = zone_argument(a);
        if (!zone) return fail("flush-conntrack: \"" + a + "\" is not zone=N (0 to 65535)");
        params["zone"] = *zone;
      } else if (!params.contains("tuple")) {
        params["tuple"] = a;
      } else {
        return fail("flush-conntrack: only one tuple (the original direction's) is supported");
      }
    }
    run("ct.flush", params, [](const Json&) {});
  });

  c = app.add_subcommand("ct-stats-show", "Count connections by protocol: [DP] [zone=N] [verbose]");
  c->add_option("DP ZONE", args);
  c->add_flag("-m,--more", more, "also count TCP connections by state");
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    Json params{{"dp", *dp}};
    bool verbose = more;
    for (const std::string& a : args) {
      if (a == "verbose") {
        verbose = true;
        continue;
      }
      auto zone = zone_argument(a);
      if (!zone) return fail("ct-stats-show: \"" + a + "\" is not zone=N or verbose");
      params["zone"] = *zone;
    }
    run("ct.stats", params, [verbose](const Json& r) {
      std::printf("Connections Stats:\n    Total: %lu\n", r["total"].get<uint64_t>());
      const Json& p = r["protocols"];
      // ovs-dpctl's order and names; it counts ICMPv6 apart but does not
      // print it: flowpath does, after ICMP.
      static const std::pair<const char*, const char*> kOrder[] = {
          {"tcp", "TCP"},   {"udp", "UDP"},   {"udplite", "UDPLITE"}, {"sctp", "SCTP"},
          {"icmp", "ICMP"}, {"dccp", "DCCP"}, {"igmp", "IGMP"},       {"other", "Other"}};
      for (auto [key, name] : kOrder) {
        if (!p.contains(key)) continue;
        std::printf("  %s: %lu\n", name, p[key].get<uint64_t>());
        if (key == std::string("tcp") && verbose) {
          std::printf("    Conn per TCP states:\n");
          for (const auto& [state, n] : r["tcp_states"].items())
            std::printf("\t  [%s]=%lu\n", state.c_str(), n.get<uint64_t>());
        }
        if (key == std::string("icmp") && p.contains("icmpv6"))
          std::printf("  ICMPv6: %lu\n", p["icmpv6"].get<uint64_t>());
      }
      if (!p.contains("icmp") && p.contains("icmpv6"))
        std::printf("  ICMPv6: %lu\n", p["icmpv6"].get<uint64_t>());
    });
  });

  c = app.add_subcommand("ct-set-maxconns", "Set the most connections tracked: [DP] MAXCONNS");
  c->add_option("DP MAXCONNS", args)->required();
  c->callback([=] {
    if (args.empty() || args.size() > 2) return fail("usage: fpctl ct-set-maxconns [DP] MAXCONNS");
    auto dp = pick_datapath(*opt, args, 1);
    if (!dp) return (void)(*exit_code = 1);
    auto n = number(args[0], 0xffffffffu);
    if (!n) return fail("ct-set-maxconns: \"" + args[0] + "\" is not a number up to 4294967295");
    run("ct.maxconns.set", {{"dp", *dp}, {"maxconns", *n}},
        [](const Json&) { std::printf("setting maxconns successful\n"); });
  });

  auto simple_get = [=](const char* verb, const char* method, auto&& print) {
    auto* sub = root->add_subcommand(verb, std::string("ovs-dpctl ") + verb + " [DP]");
    sub->add_option("DP", args);
    sub->callback([=] {
      if (args.size() > 1) return fail(std::string("usage: fpctl ") + verb + " [DP]");
      auto dp = pick_datapath(*opt, args, 0);
      if (!dp) return (void)(*exit_code = 1);
      run(method, {{"dp", *dp}}, print);
    });
  };
  simple_get("ct-get-maxconns", "ct.maxconns.get",
             [](const Json& r) { std::printf("%lu\n", r["maxconns"].get<uint64_t>()); });
  simple_get("ct-get-nconns", "ct.nconns",
             [](const Json& r) { std::printf("%lu\n", r["nconns"].get<uint64_t>()); });
  simple_get("ct-get-tcp-seq-chk", "ct.tcp_seq_chk.get", [](const Json& r) {
    std::printf("TCP sequence checking: %s\n", r["enabled"].get<bool>() ? "enabled" : "disabled");
  });
  for (bool enable : {true, false}) {
    const char* verb = enable ? "ct-enable-tcp-seq-chk" : "ct-disable-tcp-seq-chk";
    auto* sub = app.add_subcommand(verb, enable ? "Check TCP sequence numbers (the default): [DP]"
                                                : "Stop checking TCP sequence numbers: [DP]");
    sub->add_option("DP", args);
    sub->callback([=] {
      if (args.size() > 1) return fail(std::string("usage: fpctl ") + verb + " [DP]");
      auto dp = pick_datapath(*opt, args, 0);
      if (!dp) return (void)(*exit_code = 1);
      run("ct.tcp_seq_chk.set", {{"dp", *dp}, {"enabled", enable}}, [](const Json&) {});
    });
  }

  c = app.add_subcommand("ct-set-limits", "Limit connections per zone: [DP] [default=L] [zone=N,limit=L]...");
  c->add_option("DP LIMITS", args)->required();
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    Json params{{"dp", *dp}};
    Json zones = Json::array();
    for (const std::string& a : args) {
      if (a.rfind("default=", 0) == 0) {
        auto n = number(std::string_view(a).substr(8), 0xffffffffu);
        if (!n) return fail("ct-set-limits: invalid default limit \"" + a + "\"");
        params["default"] = *n;
        continue;
      }
      // zone=N,limit=L
      size_t comma = a.find(",limit=");
      auto zone = comma == std::string::npos ? std::nullopt : zone_argument(a.substr(0, comma));
      auto limit = comma == std::string::npos
                       ? std::nullopt
                       : number(std::string_view(a).substr(comma + 7), 0xffffffffu);
      if (!zone || !limit) return fail("ct-set-limits: \"" + a + "\" is not zone=N,limit=L");
      zones.push_back(Json{{"zone", *zone}, {"limit", *limit}});
    }
    params["zones"] = zones;
    run("ct.limits.set", params, [](const Json&) {});
  });

  c = app.add_subcommand("ct-get-limits", "Print zone limits: [DP] [zone=N1[,N2]...]");
  c->add_option("DP ZONES", args);
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    Json params{{"dp", *dp}};
    if (args.size() > 1) return fail("usage: fpctl ct-get-limits [DP] [zone=N1[,N2]...]");
    if (args.size() == 1) {
      auto zones = zone_list(args[0]);
      if (!zones) return fail("ct-get-limits: \"" + args[0] + "\" is not zone=N1[,N2]...");
      params["zones"] = *zones;
    }
    run("ct.limits.get", params, [](const Json& r) {
      std::printf("default limit=%lu\n", r["default"].get<uint64_t>());
      for (const Json& z : r["zones"])
        std::printf("zone=%lu,limit=%lu,count=%lu\n", z["zone"].get<uint64_t>(),
                    z["limit"].get<uint64_t>(), z["count"].get<uint64_t>());
    });
  });

  c = app.add_subcommand("ct-del-limits", "Remove zone limits (back to the default): [DP] zone=N1[,N2]...");
  c->add_option("DP ZONES", args)->required();
  c->callback([=] {
    auto dp = datapath();
    if (!dp) return;
    if (args.size() != 1) return fail("usage: fpctl ct-del-limits [DP] zone=N1[,N2]...");
    auto zones = zone_list(args[0]);
    if (!zones) return fail("ct-del-limits: \"" + args[0] + "\" is not zone=N1[,N2]...");
    run("ct.limits.del", {{"dp", *dp}, {"zones", *zones}}, [](const Json&) {});
  });
}

}  // namespace flowpath::fpctl
