// fpctl's command line before CLI11 parses it. CLI11 takes any word that
// starts with '-' for an option, so a value such as a negative number, a
// flow or a port named "-x" would need "--" before it. Here every word that
// is not a command name or an option of the command being given is moved,
// in order, behind a "--": positionals are taken for what they are, and
// options may still come before or after them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace flowpath::fpctl {

struct CommandLine {
  std::vector<std::string> words;  // program name first, ready for CLI11
  // The word given where a command was due that names none (empty if the
  // command line names one, or names none at all).
  std::string unknown_command;
  // The deepest command given; `words` names no command below it.
  const CLI::App* command = nullptr;
};

CommandLine arrange_command_line(const CLI::App& app, int argc, char** argv);

}  // namespace flowpath::fpctl
