#include "fpctl_ipf.h"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace flowpath::fpctl {

namespace {

using control::Json;

std::optional<uint64_t> number(std::string_view text, uint64_t max) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n > max) return std::nullopt;
  return n;
}

void print_status(const Json& r) {
  auto u = [](const Json& j, const char* k) { return j[k].get<uint64_t>(); };
  const Json& v4 = r["v4"];
  const Json& v6 = r["v6"];
  std::printf("        Fragmentation Module Status\n");
  std::printf("        ---------------------------\n");
  std::printf("        v4 enabled: %d\n", v4["enabled"].get<bool>() ? 1 : 0);
  std::printf("        v6 enabled: %d\n", v6["enabled"].get<bool>() ? 1 : 0);
  std::printf("        max num frags (v4/v6): %lu\n", u(r, "max_nfrags"));
  std::printf("        num frag: %lu\n", u(r, "nfrags"));
  for (const auto& [family, j] : {std::pair<const char*, const Json*>{"v4", &v4}, {"v6", &v6}}) {
    std::printf("        min %s frag size: %lu\n", family, u(*j, "min_frag_size"));
    std::printf("        %s frags accepted: %lu\n", family, u(*j, "accepted"));
    std::printf("        %s frags completed: %lu\n", family, u(*j, "completed"));
    std::printf("        %s frags expired: %lu\n", family, u(*j, "expired"));
    std::printf("        %s frags too small: %lu\n", family, u(*j, "too_small"));
    std::printf("        %s frags overlapped: %lu\n", family, u(*j, "overlapped"));
    std::printf("        %s frags oversized: %lu\n", family, u(*j, "oversized"));
    std::printf("        %s frags not held: %lu\n", family, u(*j, "not_held"));
    std::printf("        %s frags purged: %lu\n", family, u(*j, "purged"));
  }
  if (r.contains("lists")) {
    std::printf("\n        Fragment Lists:\n\n");
    for (const Json& l : r["lists"]) std::printf("%s\n", l["text"].get<std::string>().c_str());
  }
}

}  // namespace

void add_ipf_commands(CLI::App& app, GlobalOptions& options, int& exit_code_out) {
  GlobalOptions* const opt = &options;
  int* const exit_code = &exit_code_out;
  static std::vector<std::string> args;
  static bool more = false;

  auto fail = [exit_code](const std::string& message, int code = 2) {
    std::cerr << "fpctl: " << message << '\n';
    *exit_code = code;
  };
  auto run = [opt, exit_code](const std::string& method, const Json& params, auto&& print_text) {
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

  for (bool enable : {true, false}) {
    const char* verb = enable ? "ipf-set-enabled" : "ipf-set-disabled";
    auto* c = app.add_subcommand(verb, enable ? "Reassemble IP fragments before ct(): [DP] v4|v6"
                                              : "Track IP fragments unreassembled (+inv): [DP] v4|v6");
    c->add_option("DP FAMILY", args)->required();
    c->callback([=] {
      if (args.empty() || args.size() > 2) return fail(std::string("usage: fpctl ") + verb + " [DP] v4|v6");
      auto dp = pick_datapath(*opt, args, 1);
      if (!dp) return (void)(*exit_code = 1);
      if (args[0] != "v4" && args[0] != "v6")
        return fail(std::string(verb) + ": \"" + args[0] + "\" is neither v4 nor v6");
      run("ipf.enabled.set", {{"dp", *dp}, {"family", args[0]}, {"enabled", enable}},
          [verb](const Json&) { std::printf("%s successful\n", verb); });
    });
  }

  auto* c = app.add_subcommand("ipf-set-min-frag",
                               "Smallest fragment held (but a datagram's last): [DP] v4|v6 BYTES");
  c->add_option("DP FAMILY BYTES", args)->required();
  c->callback([=] {
    if (args.size() < 2 || args.size() > 3) return fail("usage: fpctl ipf-set-min-frag [DP] v4|v6 BYTES");
    auto dp = pick_datapath(*opt, args, 2);
    if (!dp) return (void)(*exit_code = 1);
    if (args[0] != "v4" && args[0] != "v6")
      return fail("ipf-set-min-frag: \"" + args[0] + "\" is neither v4 nor v6");
    auto n = number(args[1], 0xffffffffu);
    if (!n) return fail("ipf-set-min-frag: \"" + args[1] + "\" is not a number");
    run("ipf.min_frag.set", {{"dp", *dp}, {"family", args[0]}, {"bytes", *n}},
        [](const Json&) { std::printf("setting minimum fragment size successful\n"); });
  });

  c = app.add_subcommand("ipf-set-max-nfrags", "Most fragments held at once: [DP] MAXFRAGS");
  c->add_option("DP MAXFRAGS", args)->required();
  c->callback([=] {
    if (args.empty() || args.size() > 2) return fail("usage: fpctl ipf-set-max-nfrags [DP] MAXFRAGS");
    auto dp = pick_datapath(*opt, args, 1);
    if (!dp) return (void)(*exit_code = 1);
    auto n = number(args[0], 0xffffffffu);
    if (!n) return fail("ipf-set-max-nfrags: \"" + args[0] + "\" is not a number");
    run("ipf.max_nfrags.set", {{"dp", *dp}, {"max", *n}},
        [](const Json&) { std::printf("setting maximum fragments successful\n"); });
  });

  c = app.add_subcommand("ipf-get-status", "Print the fragment reassembly's settings and counters: [-m] [DP]");
  c->add_option("DP", args);
  c->add_flag("-m,--more", more, "also list the datagrams being reassembled");
  c->callback([=] {
    if (args.size() > 1) return fail("usage: fpctl ipf-get-status [-m] [DP]");
    auto dp = pick_datapath(*opt, args, 0);
    if (!dp) return (void)(*exit_code = 1);
    run("ipf.status", {{"dp", *dp}, {"lists", more}}, print_status);
  });
}

}  // namespace flowpath::fpctl
