// fpctl's command-line arrangement (tools/fpctl_command_line.h): words that
// are neither commands nor options go behind "--", and an option's value
// stays with it, while a flag takes none. `fpctl mod-flow --may-create DP
// FLOW ACTIONS` (ovs-dpctl's order) took DP as the flag's value.
#include "fpctl_command_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace flowpath::fpctl {
namespace {

struct Cli {
  CLI::App app;
  std::vector<std::string> args;
  bool clear = false, may_create = false, statistics = false;
  std::string socket;
  Cli() {
    app.add_option("--socket", socket);
    CLI::App* mod = app.add_subcommand("mod-flow");
    mod->add_option("DP FLOW ACTIONS", args);
    mod->add_flag("--clear", clear);
    mod->add_flag("--may-create", may_create);
    CLI::App* show = app.add_subcommand("show");
    show->add_option("DP", args);
    show->add_flag("-s,--statistics", statistics);
  }
  std::vector<std::string> arrange(std::vector<std::string> words) {
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    return arrange_command_line(app, static_cast<int>(argv.size()), argv.data()).words;
  }
};

TEST(FpctlCommandLine, FlagsBeforePositionalsTakeNoValue) {
  Cli cli;
  EXPECT_EQ(cli.arrange({"fpctl", "mod-flow", "--may-create", "--clear", "dp0", "in_port(1)", "2"}),
            (std::vector<std::string>{"fpctl", "mod-flow", "--may-create", "--clear", "--", "dp0",
                                      "in_port(1)", "2"}));
  EXPECT_EQ(cli.arrange({"fpctl", "show", "-s", "dp0"}),
            (std::vector<std::string>{"fpctl", "show", "-s", "--", "dp0"}));
}

TEST(FpctlCommandLine, OptionsKeepTheirValue) {
  Cli cli;
  EXPECT_EQ(cli.arrange({"fpctl", "mod-flow", "--socket", "/tmp/s", "dp0", "-x", "2"}),
            (std::vector<std::string>{"fpctl", "mod-flow", "--socket", "/tmp/s", "--", "dp0", "-x",
                                      "2"}));
}

TEST(FpctlCommandLine, ParsedAsOvsDpctlOrdersThem) {
  Cli cli;
  std::vector<std::string> words =
      cli.arrange({"fpctl", "mod-flow", "--may-create", "dp0", "in_port(1)", "2"});
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  cli.app.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(cli.may_create);
  EXPECT_EQ(cli.args, (std::vector<std::string>{"dp0", "in_port(1)", "2"}));
}

}  // namespace
}  // namespace flowpath::fpctl
