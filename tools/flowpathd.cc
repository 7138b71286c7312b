// flowpathd: the daemon that owns the datapaths and the slow path (bridges,
// rules, NORMAL switching). It serves JSON-RPC 2.0 on a Unix socket
// (newline-delimited), logs with spdlog, keeps the bridges' configuration in
// a state file that it restores at start, and on SIGTERM/SIGINT closes every
// port and removes every device it created (the state file stays).
#include <signal.h>
#include <pthread.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>

#include "common/escaping_log_sink.h"
#include "control/control_server.h"
#include "control/conntrack_rpc.h"
#include "control/datapath_rpc.h"
#include "control/ofproto_rpc.h"
#include "datapath/datapath_interface.h"
#include "ofproto/ofproto.h"

namespace {

// "1,3" or "0-2" or "none" → one forwarding thread per entry.
flowpath::Result<std::vector<std::optional<unsigned>>> parse_cpu_list(const std::string& text) {
  std::vector<std::optional<unsigned>> out;
  if (text == "none") return std::vector<std::optional<unsigned>>{std::nullopt};
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    unsigned lo = 0, hi = 0;
    size_t dash = item.find('-');
    auto parse = [](const std::string& s, unsigned& v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && p == s.data() + s.size() && !s.empty();
    };
    bool ok = dash == std::string::npos ? parse(item, lo) && (hi = lo, true)
                                        : parse(item.substr(0, dash), lo) &&
                                              parse(item.substr(dash + 1), hi) && lo <= hi;
    if (!ok) return flowpath::make_error("bad CPU list \"" + text + "\" at \"" + item + "\"");
    for (unsigned c = lo; c <= hi; ++c) out.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) return flowpath::make_error("empty CPU list");
  return out;
}

// The state file's directory may not exist yet on a fresh system; saving
// would fail on every change without it.
void ensure_state_directory(const std::string& state_file) {
  std::filesystem::path dir = std::filesystem::path(state_file).parent_path();
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) spdlog::warn("state directory {}: {}; changes will not persist", dir.string(), ec.message());
}

// Every connection, port and TAP device takes a descriptor: use what the
// hard limit allows rather than the soft default (often 1024).
void raise_descriptor_limit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the descriptor limit to {}: {}", limit.rlim_max, std::strerror(errno));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"flowpathd: userspace Open vSwitch-style datapath daemon"};
  std::string socket_path = flowpath::control::kDefaultSocketPath;
  std::string cpus;
  unsigned threads = 1;
  std::string log_level = "info";
  uint32_t upcall_depth = flowpath::UpcallQueue::kDefaultDepthPerPort;
  std::string state_file = "/var/lib/flowpath/state.toml";
  bool no_state = false;
  flowpath::control::ControlLimits control_limits;
  double idle_timeout_s = static_cast<double>(control_limits.idle_timeout_ms) / 1000;
  app.add_option("--socket", socket_path, "control socket path")->capture_default_str();
  app.add_option("--max-connections", control_limits.max_connections,
                 "control connections served at once; beyond, a new client replaces the "
                 "connection idle longest, or is refused if none is idle")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  app.add_option("--control-idle-timeout", idle_timeout_s,
                 "seconds after which a control connection with no traffic is closed (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0 * 365));
  app.add_option("--cpus", cpus,
                 "CPUs for forwarding threads, one thread each (e.g. 1 or 0,1 or 0-3); "
                 "default: --threads unpinned threads");
  app.add_option("--threads", threads, "number of unpinned forwarding threads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--upcall-queue-depth", upcall_depth, "upcalls queued per port")
      ->capture_default_str()
      ->check(CLI::Range(1u, 65536u));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_option("--state-file", state_file,
                 "where bridges, ports, rules, groups and meters are kept across restarts "
                 "(\"\": nowhere)")
      ->capture_default_str();
  app.add_flag("--no-state", no_state, "keep no state file (same as --state-file \"\")");
  CLI11_PARSE(app, argc, argv);
  control_limits.idle_timeout_ms = static_cast<uint64_t>(idle_timeout_s * 1000);

  auto logger = spdlog::stderr_color_mt("flowpathd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  flowpath::escape_log_messages(*logger);
  raise_descriptor_limit();

  if (no_state) state_file.clear();
  if (!state_file.empty()) ensure_state_directory(state_file);
  auto ofproto =
      std::make_shared<flowpath::ofproto::Ofproto>(flowpath::ofproto::OfprotoOptions{state_file});

  flowpath::DatapathConfig config;
  config.upcall_depth_per_port = upcall_depth;
  config.upcall_handler = ofproto;
  if (!cpus.empty()) {
    auto list = parse_cpu_list(cpus);
    if (!list.ok()) {
      spdlog::error("{}", list.error());
      return 2;
    }
    config.forwarding_cpus = *list;
  } else {
    config.forwarding_cpus.assign(threads, std::nullopt);
  }

  // Signals go to one thread that waits for them; the others block them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  flowpath::control::JsonRpcDispatcher dispatcher;
  flowpath::control::ControlServer server(dispatcher, control_limits);
  if (auto st = server.listen(socket_path); !st.ok()) {
    spdlog::error("{}", st.error());
    return 1;
  }
  int status = 0;
  {
    flowpath::DatapathInterface dpif(config);
    ofproto->attach(dpif);
    if (state_file.empty()) {
      spdlog::info("no state file: bridges will not be kept across restarts");
    } else if (auto st = ofproto->restore(); !st.ok()) {
      // The next change would overwrite the file: keep it aside for a human.
      std::string kept = state_file + ".unreadable";
      std::error_code ec;
      std::filesystem::rename(state_file, kept, ec);
      spdlog::error("restoring from {}: {}; starting without bridges ({})", state_file, st.error(),
                    ec ? "could not move the file aside: " + ec.message() : "file moved to " + kept);
    } else {
      size_t n = ofproto->list_bridges().size();
      spdlog::info("restored {} bridge(s) from {}", n, state_file);
    }
    flowpath::control::add_datapath_methods(
        dispatcher, dpif, [&ofproto](const std::string& dp) -> std::optional<std::string> {
          for (const std::string& br : ofproto->list_bridges())
            if (br == dp) return "bridge " + br;
          return std::nullopt;
        });
    flowpath::control::add_conntrack_methods(dispatcher, dpif);
    flowpath::control::add_ofproto_methods(dispatcher, *ofproto);
    dispatcher.set_observer([](const std::string& method, const flowpath::control::Json& params,
                               const std::string* error) {
      // Queries are not worth a line; changes and failures are.
      bool query = method == "dp.list" || method == "dp.show" || method == "flow.dump" ||
                   method == "flow.get" || method == "threads.show" ||
                   method == "ct.dump" || method == "ct.stats" || method.ends_with(".get") ||
                   method == "ct.nconns" ||
                   flowpath::control::is_ofproto_query(method);
      std::string text = params.dump();
      if (text.size() > 300) text = text.substr(0, 300) + "...";  // e.g. packet hex
      if (error) {
        spdlog::warn("{} {}: {}", method, text, *error);
      } else if (!query) {
        spdlog::info("{} {}", method, text);
      }
    });
    std::thread signal_thread([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("received signal {}, shutting down", sig);
      server.stop();
    });
    spdlog::info("listening on {} with {} forwarding thread(s)", socket_path,
                 config.forwarding_cpus.size());
    server.run();
    pthread_kill(signal_thread.native_handle(), SIGTERM);  // no-op if already done
    signal_thread.join();
    ofproto->stop();  // no revalidation while the datapaths go away
    size_t n = dpif.datapath_names().size();
    if (n) spdlog::info("removing {} datapath(s)", n);
  }  // ~DatapathInterface: ports closed, devices removed
  spdlog::info("stopped");
  return status;
}
