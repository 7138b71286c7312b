// fpctl: the flowpath control CLI. Datapath verbs follow ovs-dpctl, bridge
// verbs ovs-vsctl (and the slow path's ovs-appctl commands), `of` verbs
// ovs-ofctl; `odp` verbs work offline on the flow syntax.
//
// Exit codes: 0 success, 1 the operation failed (one line "fpctl: REASON" on
// stderr), 2 a usage error (an unknown command, a wrong number of
// arguments, an unknown option).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "control/control_server.h"
#include "fpctl_command_line.h"
#include "fpctl_conntrack.h"
#include "fpctl_ipf.h"
#include "fpctl_dpctl.h"
#include "fpctl_odp.h"
#include "fpctl_ofctl.h"
#include "fpctl_replay.h"
#include "fpctl_trace.h"
#include "fpctl_tunnel.h"
#include "fpctl_vlog.h"
#include "fpctl_vsctl.h"

namespace {

// "of dump-flows": the names of `command` and the commands above it.
std::string command_path(const CLI::App* command) {
  std::string path;
  for (; command != nullptr && command->get_parent() != nullptr; command = command->get_parent()) {
    path = command->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// Every verb, one per line ("of dump-flows" for a verb under "of"), in the
// order of --help: what fpctl offers, for scripts and for the test that every
// verb has a test (tests/integration/fpctl_verbs_netns_test.sh).
void print_verbs(const CLI::App& command) {
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_subcommands([](const CLI::App*) { return true; }).empty()) {
      std::cout << command_path(sub) << '\n';
    } else {
      print_verbs(*sub);
    }
  }
}

int usage_error(const std::string& message) {
  std::cerr << "fpctl: " << message << " (fpctl --help lists commands and options)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fpctl: control and inspect flowpath datapaths"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fpctl (flowpath) " FLOWPATH_VERSION);
  app.fallthrough();  // --socket/--format may also follow the verb
  flowpath::fpctl::GlobalOptions options;
  const char* env_socket = std::getenv("FLOWPATH_SOCKET");
  options.socket = env_socket ? env_socket : flowpath::control::kDefaultSocketPath;
  app.add_option("--socket", options.socket, "flowpathd control socket (env FLOWPATH_SOCKET)")
      ->capture_default_str();
  app.add_option("--format", options.format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_flag_callback(
      "--list-verbs",
      [&app] {
        print_verbs(app);
        throw CLI::Success();
      },
      "print every verb, one per line, and exit");
  int exit_code = 0;
  flowpath::fpctl::add_odp_commands(app, options, exit_code);
  flowpath::fpctl::add_dpctl_commands(app, options, exit_code);
  flowpath::fpctl::add_conntrack_commands(app, options, exit_code);
  flowpath::fpctl::add_ipf_commands(app, options, exit_code);
  flowpath::fpctl::add_vsctl_commands(app, options, exit_code);
  flowpath::fpctl::add_ofctl_commands(app, options, exit_code);
  flowpath::fpctl::add_tunnel_commands(app, options, exit_code);
  flowpath::fpctl::add_vlog_commands(app, options, exit_code);
  flowpath::fpctl::add_trace_commands(app, options, exit_code);
  flowpath::fpctl::add_replay_command(app, options, exit_code);

  flowpath::fpctl::CommandLine line = flowpath::fpctl::arrange_command_line(app, argc, argv);
  if (!line.unknown_command.empty()) {
    std::string path = command_path(line.command);
    return usage_error("unknown command \"" + (path.empty() ? "" : path + " ") +
                       line.unknown_command + "\"");
  }
  std::vector<const char*> words;
  for (const std::string& word : line.words) words.push_back(word.c_str());
  try {
    app.parse(static_cast<int>(words.size()), words.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr &&
        line.command->get_require_subcommand_min() > 0 && line.command->get_subcommands().empty()) {
      std::string path = command_path(line.command);
      return usage_error(path.empty() ? "no command given" : "no command given after \"" + path + "\"");
    }
    return usage_error(e.what());
  }
  return exit_code;
}
