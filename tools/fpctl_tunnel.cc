#include "fpctl_tunnel.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "control/switch_text.h"
#include "fpctl_vsctl.h"

namespace flowpath::fpctl {

using control::Json;

void add_tunnel_commands(CLI::App& app, GlobalOptions& options, int& exit_code) {
  auto verbs = std::make_shared<BridgeVerbs>(options, exit_code);
  auto args = std::make_shared<std::vector<std::string>>();

  auto* c = app.add_subcommand("ovs/route/show",
                               "The underlay route table: the kernel's routes and user routes");
  c->callback([verbs] {
    verbs->run("route.show", Json::object(), [](const Json& r) {
      std::fputs(control::route_show_text(r).c_str(), stdout);
    });
  });

  c = app.add_subcommand("ovs/route/add",
                         "Add a user route: IP/PLEN DEVICE [GW] [src=IP]");
  c->add_option("IP/PLEN DEVICE GW src=IP", *args);
  c->callback([verbs, args] {
    if (!verbs->need(*args, 2, 4, "ovs/route/add IP/PLEN DEVICE [GW] [src=IP]")) return;
    Json params{{"prefix", (*args)[0]}, {"dev", (*args)[1]}};
    for (size_t i = 2; i < args->size(); ++i) {
      const std::string& word = (*args)[i];
      if (word.rfind("src=", 0) == 0) {
        params["src"] = word.substr(4);
      } else if (word.rfind("pkt_mark=", 0) == 0) {
        verbs->fail("ovs/route/add: pkt_mark routes are not supported", 2);
        return;
      } else if (word.find('=') == std::string::npos && !params.contains("gw")) {
        params["gw"] = word;
      } else {
        verbs->fail("ovs/route/add: \"" + word + "\" is not a gateway address or src=IP", 2);
        return;
      }
    }
    verbs->run("route.add", params, [](const Json&) { std::printf("OK\n"); });
  });

  c = app.add_subcommand("ovs/route/del", "Delete a user route: IP/PLEN");
  c->add_option("IP/PLEN", *args);
  c->callback([verbs, args] {
    if (!verbs->need(*args, 1, 1, "ovs/route/del IP/PLEN")) return;
    verbs->run("route.del", {{"prefix", (*args)[0]}}, [](const Json&) { std::printf("OK\n"); });
  });

  c = app.add_subcommand("ovs/route/lookup", "The route to an address: IP");
  c->add_option("IP", *args);
  c->callback([verbs, args] {
    if (!verbs->need(*args, 1, 1, "ovs/route/lookup IP")) return;
    verbs->run("route.lookup", {{"ip", (*args)[0]}}, [](const Json& r) {
      std::printf("src %s\ngateway %s\ndev %s\n", r["src"].get<std::string>().c_str(),
                  r["gw"].get<std::string>().c_str(), r["dev"].get<std::string>().c_str());
    });
  });

  // The neighbour cache, as ovs-appctl tnl/neigh/show prints it.
  // tnl/arp/* are Open vSwitch's older names for the same commands.
  for (const char* name : {"tnl/neigh/show", "tnl/arp/show"}) {
    c = app.add_subcommand(name, "Native tunnelling's neighbour cache");
    c->callback([verbs] {
      verbs->run("neigh.show", Json::object(), [](const Json& r) {
        std::fputs(control::neighbour_show_text(r).c_str(), stdout);
      });
    });
  }
  for (const char* name : {"tnl/neigh/flush", "tnl/arp/flush"}) {
    c = app.add_subcommand(name, "Empty native tunnelling's neighbour cache");
    c->callback([verbs] {
      verbs->run("neigh.flush", Json::object(), [](const Json&) { std::printf("OK\n"); });
    });
  }
}

}  // namespace flowpath::fpctl
