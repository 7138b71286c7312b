#include "fpctl_command_line.h"

namespace flowpath::fpctl {

namespace {

const CLI::App* find_command(const CLI::App& app, const std::string& name) {
  auto found = app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(name); });
  return found.empty() ? nullptr : found.front();
}

// The option named by `word` (up to an '='), on the command or the commands
// above it (their options may follow a verb).
const CLI::Option* find_option(const CLI::App* command, const std::string& word) {
  std::string name = word.substr(0, word.find('='));
  for (const CLI::App* app = command; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* option = app->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

// A flag takes no value. (CLI11 gives a flag bound to a bool type size 1,
// like an option's: only the expected count tells them apart.)
bool is_flag(const CLI::Option* option) { return option->get_expected_max() == 0; }

// "-ms": single-letter flags together.
bool is_flag_cluster(const CLI::App* command, const std::string& word) {
  if (word.size() < 3 || word[0] != '-' || word[1] == '-') return false;
  for (size_t i = 1; i < word.size(); ++i) {
    const CLI::Option* option = find_option(command, std::string{'-', word[i]});
    if (option == nullptr || !is_flag(option)) return false;
  }
  return true;
}

}  // namespace

CommandLine arrange_command_line(const CLI::App& app, int argc, char** argv) {
  CommandLine out;
  out.words.push_back(argc > 0 ? argv[0] : "fpctl");
  out.command = &app;
  std::vector<std::string> positionals;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") {
      positionals.insert(positionals.end(), argv + i + 1, argv + argc);
      break;
    }
    if (positionals.empty()) {
      if (const CLI::App* command = find_command(*out.command, word)) {
        out.words.push_back(word);
        out.command = command;
        continue;
      }
    }
    if (word.size() > 1 && word[0] == '-') {
      if (const CLI::Option* option = find_option(out.command, word)) {
        out.words.push_back(word);
        // "--socket PATH": the value goes with the option, whatever it is.
        if (!is_flag(option) && word.find('=') == std::string::npos && i + 1 < argc) {
          out.words.push_back(argv[++i]);
        }
        continue;
      }
      if (is_flag_cluster(out.command, word)) {
        out.words.push_back(word);
        continue;
      }
    }
    positionals.push_back(word);
  }
  // A command with commands beneath it takes no positionals of its own: the
  // first one was meant as a command.
  bool wants_command = !out.command->get_subcommands([](const CLI::App*) { return true; }).empty();
  if (wants_command && !positionals.empty()) out.unknown_command = positionals.front();
  if (!positionals.empty()) {
    out.words.push_back("--");
    out.words.insert(out.words.end(), positionals.begin(), positionals.end());
  }
  return out;
}

}  // namespace flowpath::fpctl
