#include "fpctl_trace.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "fpctl_output.h"

namespace flowpath::fpctl {

namespace {

using control::Json;

volatile sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

// How often trace-packets asks for records.
constexpr auto kPollInterval = std::chrono::milliseconds(100);

std::string port_text(const Json& port_no, const Json* name) {
  std::string out = std::to_string(port_no.get<uint64_t>());
  if (name != nullptr && name->is_string()) out += " (" + name->get<std::string>() + ")";
  return out;
}

const Json* member(const Json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string flow_text(const Json& flow) {
  return flow["ufid"].get<std::string>() + " " + flow["flow"].get<std::string>() +
         ", actions:" + flow["actions"].get<std::string>();
}

}  // namespace

std::string trace_record_text(const Json& r) {
  std::string out = "packet " + std::to_string(r["sequence"].get<uint64_t>()) +
                    ": received on port " + port_text(r["in_port"], member(r, "in_port_name")) +
                    " by thread " + std::to_string(r["thread"].get<uint64_t>()) + ", " +
                    std::to_string(r["length"].get<uint64_t>()) + " bytes, " +
                    r["time"].get<std::string>() + "\n";
  for (const Json& pass : r["passes"]) {
    const uint64_t index = pass["pass"];
    out += "  pass " + std::to_string(index) + (index == 0 ? "" : " (recirculated)") + ": " +
           pass["key"].get<std::string>() + "\n";
    const std::string layer = pass["layer"];
    const uint64_t searched = pass["subtables_searched"];
    out += "    layer: ";
    if (layer == "emc") out += "exact-match cache hit\n";
    else if (layer == "smc") out += "signature cache hit\n";
    else if (layer == "megaflow")
      out += "megaflow classifier hit, " + std::to_string(searched) +
             (searched == 1 ? " subtable" : " subtables") + " searched\n";
    else
      out += "miss (" + std::to_string(searched) +
             (searched == 1 ? " subtable" : " subtables") + " searched) -> upcall " +
             pass["upcall"].get<std::string>() + "\n";
    if (const Json* flow = member(pass, "flow")) out += "    flow: " + flow_text(*flow) + "\n";
    if (const Json* installed = member(pass, "installed")) {
      out += installed->is_null()
                 ? "    installed: no flow for this key (yet): the slow path put none\n"
                 : "    installed: " + flow_text(*installed) + "\n";
    }
    for (const Json& a : pass["actions"]) {
      out += std::string(6 + 2 * a["depth"].get<size_t>(), ' ') + a["action"].get<std::string>() +
             " -> " + a["result"].get<std::string>();
      if (const Json* dropped = member(a, "dropped"))
        out += " [dropped " + std::to_string((*dropped)["packets"].get<uint64_t>()) + ": " +
               (*dropped)["reason"].get<std::string>() + "]";
      out += "\n";
    }
  }
  std::string outputs;
  for (const Json& o : r["outputs"])
    outputs += (outputs.empty() ? "" : ", ") + port_text(o["port"], member(o, "name"));
  out += "  outputs: " + (outputs.empty() ? std::string("none") : outputs) + "\n";
  out += "  result: sent " + std::to_string(r["sent"].get<uint64_t>()) + ", upcalls " +
         std::to_string(r["upcalls"].get<uint64_t>()) + ", dropped " +
         std::to_string(r["dropped"].get<uint64_t>());
  std::string reasons;
  for (const auto& [reason, n] : r["drops"].items())
    reasons += (reasons.empty() ? "" : ", ") + reason + " " + std::to_string(n.get<uint64_t>());
  if (!reasons.empty()) out += " (" + reasons + ")";
  out += "\n";
  if (const Json* truncated = member(r, "truncated")) {
    for (const Json& t : *truncated) out += "  not recorded: " + t.get<std::string>() + "\n";
  }
  return out;
}

void add_trace_commands(CLI::App& app, GlobalOptions& options, int& exit_code_out) {
  GlobalOptions* const opt = &options;
  int* const exit_code = &exit_code_out;
  static std::string dp, port, filter;
  static uint32_t count = 1;
  static double timeout_s = 10;
  auto* c = app.add_subcommand(
      "trace-packets",
      "Trace what the forwarding threads do with the next packets: DP [PORT] [-c N] "
      "[--filter BPF] [--timeout SECONDS]");
  c->add_option("DP", dp, "datapath")->required();
  c->add_option("PORT", port, "only packets received on this port (name or number)");
  c->add_option("-c,--count", count, "packets to trace (1 to 10000)")->capture_default_str();
  c->add_option("--filter", filter, "only packets this BPF filter (tcpdump syntax) matches");
  c->add_option("--timeout", timeout_s, "give up after this many seconds")->capture_default_str();
  c->callback([=] {
    if (!(timeout_s > 0) || timeout_s > 3600) {
      std::cerr << "fpctl: trace-packets: --timeout " << timeout_s
                << " is out of range (above 0, at most 3600 seconds)\n";
      *exit_code = 2;
      return;
    }
    Json params{{"dp", dp}, {"count", count},
                {"timeout_ms", static_cast<uint64_t>(timeout_s * 1000 + 0.5)}};
    if (!port.empty()) params["port"] = port;
    if (c->count("--filter") != 0) params["filter"] = filter;
    auto started = call(*opt, "trace.start", params);
    if (!started) {
      *exit_code = 1;
      return;
    }
    const uint64_t id = (*started)["id"];
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    const bool json = opt->format == "json";
    // On stderr, so that stdout holds only the records (and scripts can
    // wait for this line to know the trace is armed).
    std::fprintf(stderr, "tracing %u packet%s on datapath %s%s%s (Ctrl-C stops)\n", count,
                 count == 1 ? "" : "s", dp.c_str(), port.empty() ? "" : (", port " + port).c_str(),
                 c->count("--filter") ? (", filter \"" + filter + "\"").c_str() : "");
    JsonArrayPrinter printer;
    uint64_t printed = 0;
    auto print = [&](const Json& reply) {
      for (const Json& record : reply["records"]) {
        ++printed;
        if (json) printer.add(record);
        else std::fputs(trace_record_text(record).c_str(), stdout);
      }
      std::fflush(stdout);
    };
    std::string why;
    const Json which{{"dp", dp}, {"id", id}};
    while (true) {
      if (interrupted) {
        why = "interrupted";
        break;
      }
      auto reply = call(*opt, "trace.poll", which);
      if (!reply) {
        *exit_code = 1;
        if (json) printer.finish();
        return;
      }
      print(*reply);
      if ((*reply)["expired"].get<bool>()) {
        why = "timed out";
        break;
      }
      if (!(*reply)["armed"].get<bool>() && !(*reply)["held"].get<bool>() &&
          printed >= (*reply)["traced"].get<uint64_t>()) {
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    auto last = call(*opt, "trace.stop", which);
    if (last) print(*last);
    if (json) printer.finish();
    if (!last) {
      *exit_code = 1;
      return;
    }
    if (printed < count) {
      std::cerr << "fpctl: trace-packets: " << why << " after " << printed << " of " << count
                << " packet" << (count == 1 ? "" : "s") << "\n";
      *exit_code = 1;
    }
  });
}

}  // namespace flowpath::fpctl
