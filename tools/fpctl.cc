// fpctl: the flowpath control CLI. Datapath verbs follow ovs-dpctl, bridge
// verbs ovs-vsctl (and the slow path's ovs-appctl commands), `of` verbs
// ovs-ofctl; `odp` verbs work offline on the flow syntax.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "control/control_server.h"
#include "fpctl_dpctl.h"
#include "fpctl_odp.h"
#include "fpctl_ofctl.h"
#include "fpctl_vsctl.h"

int main(int argc, char** argv) {
  CLI::App app{"fpctl: control and inspect flowpath datapaths"};
  app.require_subcommand(1);
  app.fallthrough();  // --socket/--format may also follow the verb
  flowpath::fpctl::GlobalOptions options;
  const char* env_socket = std::getenv("FLOWPATH_SOCKET");
  options.socket = env_socket ? env_socket : flowpath::control::kDefaultSocketPath;
  app.add_option("--socket", options.socket, "flowpathd control socket (env FLOWPATH_SOCKET)")
      ->capture_default_str();
  app.add_option("--format", options.format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  int exit_code = 0;
  flowpath::fpctl::add_odp_commands(app, exit_code);
  flowpath::fpctl::add_dpctl_commands(app, options, exit_code);
  flowpath::fpctl::add_vsctl_commands(app, options, exit_code);
  flowpath::fpctl::add_ofctl_commands(app, options, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
