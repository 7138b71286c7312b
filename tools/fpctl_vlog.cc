#include "fpctl_vlog.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fpctl_vsctl.h"

namespace flowpath::fpctl {

using control::Json;

std::vector<std::string> vlog_settings(const std::vector<std::string>& args) {
  bool separated = false;
  for (const std::string& arg : args) separated = separated || arg.find_first_of(":,") != std::string::npos;
  if (separated) return args;
  std::string words;
  for (const std::string& arg : args) words += (words.empty() ? "" : " ") + arg;
  return {words};
}

void add_vlog_commands(CLI::App& app, GlobalOptions& options, int& exit_code) {
  auto verbs = std::make_shared<BridgeVerbs>(options, exit_code);
  auto args = std::make_shared<std::vector<std::string>>();

  auto* c = app.add_subcommand("vlog/list", "Each log module's level on each destination");
  c->callback([verbs] {
    verbs->run("vlog.list", Json::object(), [](const Json& r) {
      std::fputs(r["text"].get<std::string>().c_str(), stdout);
    });
  });

  c = app.add_subcommand(
      "vlog/set", "Set log levels: MODULE[:DESTINATION][:LEVEL]... (ANY for every module or "
                  "destination; levels off, emer, err, warn, info, dbg)");
  c->add_option("SPEC", *args);
  c->callback([verbs, args] {
    if (!verbs->need(*args, 1, 64, "vlog/set MODULE[:DESTINATION][:LEVEL]...")) return;
    auto result = verbs->call("vlog.set", {{"settings", vlog_settings(*args)}});
    if (!result) return;
    if (verbs->json()) {
      std::cout << result->dump(2) << '\n';
      return;
    }
    for (const Json& note : (*result)["notes"]) std::cerr << "fpctl: note: " << note.get<std::string>() << '\n';
  });
}

}  // namespace flowpath::fpctl
