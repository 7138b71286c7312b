// fpctl: the flowpath control CLI. `odp` verbs work offline on the flow syntax.
#include <CLI/CLI.hpp>

#include "fpctl_odp.h"

int main(int argc, char** argv) {
  CLI::App app{"fpctl: control and inspect flowpath datapaths"};
  app.require_subcommand(1);
  int exit_code = 0;
  flowpath::fpctl::add_odp_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
