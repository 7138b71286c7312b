// flowpathd: the daemon that owns the datapaths and the slow path (bridges,
// rules, NORMAL switching). It serves JSON-RPC 2.0 on a Unix socket
// (newline-delimited), keeps the bridges' configuration in a state file that
// it restores at start, and tells systemd when it is ready (Type=notify).
// SIGHUP reopens the log file; SIGTERM/SIGINT stop it: every port is closed,
// the devices of bridges (kept in the state file) stay with their addresses
// for the next start, every other device it created is removed.
// Its life as a daemon (log, signals, --detach, sd_notify) is in
// the daemon_*.cc files beside it; docs/operations.md is the operator's view.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>

#include "common/lock_file.h"
#include "control/appctl_commands.h"
#include "control/control_server.h"
#include "control/unixctl_commands.h"
#include "control/conntrack_rpc.h"
#include "control/ipf_rpc.h"
#include "control/trace_rpc.h"
#include "control/datapath_rpc.h"
#include "control/metrics_collector.h"
#include "control/metrics_http_server.h"
#include "control/ofproto_rpc.h"
#include "control/tunnel_rpc.h"
#include "control/vlog_rpc.h"
#include "common/log_setting.h"
#include "tunnel/underlay.h"
#include "daemon_detach.h"
#include "daemon_log.h"
#include "daemon_notify.h"
#include "daemon_signals.h"
#include "daemon_watchdog.h"
#include "datapath/datapath_interface.h"
#include "ofproto/connection_manager.h"
#include "ofproto/interface_monitor.h"
#include "ofproto/ofproto.h"
#include "ovsdb/switch_agent.h"
#include "flowpathd_ovsdb_methods.h"

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

// --detach works in /: every path an option gave must not depend on the
// directory flowpathd was started in.
void make_absolute(std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (!ec) path = absolute.string();
}

// Bad options exit 2, as fpctl's usage errors do.
constexpr int kUsageError = 2;

}  // namespace

int main(int argc, char** argv) {
  namespace daemon = flowpath::daemon;
  // Before any thread exists, so that every thread inherits the mask.
  daemon::block_daemon_signals();

  CLI::App app{"flowpathd: userspace Open vSwitch-style datapath daemon"};
  app.set_version_flag("--version", "flowpathd (flowpath) " FLOWPATH_VERSION);
  std::string socket_path = flowpath::control::kDefaultSocketPath;
  std::string cpus;
  unsigned threads = 1;
  daemon::LogOptions log;
  std::string pidfile_path;
  bool detach = false;
  uint32_t upcall_depth = flowpath::UpcallQueue::kDefaultDepthPerPort;
  std::string state_file = "/var/lib/flowpath/state.toml";
  bool no_state = false;
  std::string metrics_address;
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
  flowpath::PollPolicy poll_policy;
  app.add_option("--poll-spin-us", poll_policy.spin_us,
                 "microseconds a forwarding thread keeps polling its idle ports before it "
                 "sleeps until one has a packet")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1'000'000u));
  app.add_flag("--busy-poll", poll_policy.busy_poll,
               "forwarding threads never sleep (Open vSwitch's pmd threads): lowest latency, "
               "a whole core per thread");
  app.add_option("--upcall-queue-depth", upcall_depth, "upcalls queued per port")
      ->capture_default_str()
      ->check(CLI::Range(1u, 65536u));
  unsigned handler_threads = 0;
  app.add_option("--handler-threads", handler_threads,
                 "threads taking each datapath's upcalls (Open vSwitch's n-handler-threads); "
                 "default 0: the cores available less a quarter and one, at least 1 (here " +
                     std::to_string(flowpath::default_handler_threads()) + ")")
      ->capture_default_str()
      ->check(CLI::Range(0u, 64u));
  std::string emc = "off";
  app.add_option("--emc", emc,
                 "exact-match cache of new datapaths, on or off (fpctl set-dp --emc changes one); "
                 "off: it costs more than it saves on the profiles measured "
                 "(docs/performance.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  uint32_t emc_insert_inv_prob = flowpath::ExactMatchCache::kDefaultInverseProbability;
  app.add_option("--emc-insert-inv-prob", emc_insert_inv_prob,
                 "the exact-match cache takes 1 in N new keys, 0 for none (Open vSwitch's "
                 "other_config:emc-insert-inv-prob; fpctl set-dp --emc-insert-inv-prob "
                 "changes one datapath's, the database's key every bridge's)")
      ->capture_default_str();
  uint64_t upcall_rate = 0;
  app.add_option("--upcall-rate", upcall_rate,
                 "upcalls per second each new datapath admits, 0 for unlimited (fpctl set-dp "
                 "--upcall-rate changes one); what it refuses is counted as "
                 "datapath_drop_upcall_rate_limited")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, flowpath::UpcallRateLimiter::kMaxRate));
  app.add_option("--log-level", log.level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(daemon::kLogLevels),
                                                     std::end(daemon::kLogLevels))));
  app.add_option("-v,--verbose", log.verbose,
                 "MODULE[:DESTINATION][:LEVEL]: set log levels after --log-level, as "
                 "ovs-vswitchd's -v (fpctl vlog/set changes them at run time); repeatable")
      ->allow_extra_args(false);
  app.add_option("--log-file", log.file,
                 "also append the log to this file; SIGHUP reopens it (logrotate)");
  app.add_flag("--syslog", log.syslog, "also send the log to syslog (facility daemon)");
  app.add_option("--pidfile", pidfile_path,
                 "write the daemon's pid to this file, locked while it runs, removed at exit");
  app.add_flag("--detach", detach,
               "run in the background; return once bridges are restored and the socket "
               "listens (exit status 0), or with the failure's status");
  app.add_option("--state-file", state_file,
                 "where bridges, ports, rules, groups and meters are kept across restarts "
                 "(\"\": nowhere)")
      ->capture_default_str();
  app.add_flag("--no-state", no_state, "keep no state file (same as --state-file \"\")");
  std::string ovsdb_remote;
  app.add_option("--ovsdb", ovsdb_remote,
                 "take bridges, ports and interfaces from this OVSDB server (unix:PATH or "
                 "tcp:IP:PORT, the Open_vSwitch schema) as ovs-vswitchd does, instead of "
                 "the state file");
  std::string unixctl_path;
  app.add_option("--unixctl", unixctl_path,
                 "also serve Open vSwitch's ovs-appctl (its unixctl protocol) on this socket: "
                 "ovs-appctl -t SOCKET COMMAND");
  bool as_ovs_vswitchd = false;
  app.add_flag("--as-ovs-vswitchd", as_ovs_vswitchd,
               "answer ovs-appctl in place of ovs-vswitchd: serve RUNDIR/ovs-vswitchd.PID.ctl "
               "and write RUNDIR/ovs-vswitchd.pid, RUNDIR being the control socket's "
               "directory, so that OVS_RUNDIR=RUNDIR ovs-appctl COMMAND reaches flowpathd");
  app.add_option("--metrics", metrics_address,
                 "serve Prometheus metrics over HTTP on /metrics at PORT (loopback), "
                 "IPV4:PORT or [IPV6]:PORT; off by default");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    return app.exit(done);
  } catch (const CLI::ParseError& error) {
    (void)app.exit(error);
    return kUsageError;
  }
  if (auto settings = flowpath::parse_log_settings(log.verbose); !settings.ok()) {
    std::fprintf(stderr, "flowpathd: --verbose %s\n", settings.error().c_str());
    return kUsageError;
  }
  std::optional<flowpath::ovsdb::Remote> ovsdb;
  if (!ovsdb_remote.empty()) {
    auto remote = flowpath::ovsdb::parse_remote(ovsdb_remote);
    if (!remote.ok()) {
      std::fprintf(stderr, "flowpathd: --ovsdb: %s\n", remote.error().c_str());
      return kUsageError;
    }
    if (app.count("--state-file") && !state_file.empty()) {
      std::fprintf(stderr, "flowpathd: --ovsdb keeps the configuration in the database; "
                           "--state-file cannot be used with it\n");
      return kUsageError;
    }
    ovsdb = *remote;
    no_state = true;
  }
  if (as_ovs_vswitchd && !unixctl_path.empty()) {
    std::fprintf(stderr, "flowpathd: --as-ovs-vswitchd serves ovs-appctl on "
                         "RUNDIR/ovs-vswitchd.PID.ctl; --unixctl cannot be used with it\n");
    return kUsageError;
  }
  control_limits.idle_timeout_ms = static_cast<uint64_t>(idle_timeout_s * 1000);
  std::optional<flowpath::control::MetricsEndpoint> metrics_endpoint;
  if (!metrics_address.empty()) {
    auto endpoint = flowpath::control::parse_metrics_endpoint(metrics_address);
    if (!endpoint.ok()) {
      std::fprintf(stderr, "flowpathd: --metrics: %s\n", endpoint.error().c_str());
      return kUsageError;
    }
    metrics_endpoint = *endpoint;
  }

  if (no_state) state_file.clear();
  bool syslog_for_detach = false;
  if (detach) {
    for (std::string* path : {&socket_path, &state_file, &log.file, &pidfile_path, &unixctl_path})
      make_absolute(*path);
    // A detached daemon has no terminal: without a file its log goes to
    // syslog, as ovs-vswitchd's does.
    syslog_for_detach = log.file.empty() && !log.syslog;
    log.syslog = log.syslog || syslog_for_detach;
  }
  if (auto st = daemon::setup_log(log); !st.ok()) {
    std::fprintf(stderr, "flowpathd: %s\n", st.error().c_str());
    return 1;
  }
  raise_descriptor_limit();
  std::optional<daemon::Detach> detached;
  if (detach) {
    auto started = daemon::Detach::start();  // the parent exits in there
    if (!started.ok()) {
      spdlog::error("{}", started.error());
      return 1;
    }
    detached = *started;
  }
  spdlog::info("flowpathd {} starting, pid {}", FLOWPATH_VERSION, getpid());
  if (syslog_for_detach) spdlog::info("detached without --log-file: logging to syslog");
  std::unique_ptr<flowpath::LockFile> pidfile;
  if (!pidfile_path.empty()) {
    auto created = flowpath::LockFile::acquire(pidfile_path, "pidfile");
    if (!created.ok()) {
      spdlog::error("{}", created.error());
      return 1;
    }
    pidfile = std::move(*created);
  }

  // Native tunnelling's underlay: routes (ovs/route/*) and neighbours
  // (tnl/neigh/*), declared before the slow path that reads them.
  flowpath::tunnel::RouteTable routes;
  flowpath::tunnel::Underlay underlay(routes);
  auto ofproto =
      std::make_shared<flowpath::ofproto::Ofproto>(flowpath::ofproto::OfprotoOptions{state_file});
  ofproto->set_underlay(&underlay);
  // The state file is this daemon's alone from here on (its directory is
  // created if missing).
  if (auto st = ofproto->lock_state_file(); !st.ok()) {
    spdlog::error("{}", st.error());
    return 1;
  }

  flowpath::DatapathConfig config;
  config.upcall_depth_per_port = upcall_depth;
  config.poll_policy = poll_policy;
  config.handler_threads = handler_threads;
  config.emc = emc == "on";
  config.emc_insert_inv_prob = emc_insert_inv_prob;
  config.upcall_rate = upcall_rate;
  if (!cpus.empty()) {
    auto list = parse_cpu_list(cpus);
    if (!list.ok()) {
      spdlog::error("{}", list.error());
      return kUsageError;
    }
    config.forwarding_cpus = *list;
  } else {
    config.forwarding_cpus.assign(threads, std::nullopt);
  }

  flowpath::control::JsonRpcDispatcher dispatcher;
  // ovs-appctl's commands, on the control thread with the JSON-RPC methods
  // they call.
  flowpath::control::UnixctlCommands appctl("flowpathd (flowpath) " FLOWPATH_VERSION);
  flowpath::control::add_appctl_commands(appctl, dispatcher);
  flowpath::control::ControlServer server(dispatcher, control_limits);
  if (auto st = server.listen(socket_path); !st.ok()) {
    spdlog::error("{}", st.error());
    return 1;
  }
  int status = 0;
  // OpenFlow: each bridge's management socket lives beside the control
  // socket, as Open vSwitch's BRIDGE.mgmt beside its database socket; so do
  // ovs-vswitchd's pidfile and unixctl socket when flowpathd stands in for it.
  std::string run_dir = std::filesystem::path(socket_path).parent_path().string();
  if (run_dir.empty()) run_dir = ".";
  std::unique_ptr<flowpath::LockFile> vswitchd_pidfile;
  if (as_ovs_vswitchd) {
    // The socket first: ovs-appctl finds it through the pidfile.
    unixctl_path = run_dir + "/ovs-vswitchd." + std::to_string(getpid()) + ".ctl";
  }
  if (!unixctl_path.empty()) {
    if (auto st = server.listen(unixctl_path, appctl); !st.ok()) {
      spdlog::error("ovs-appctl socket: {}", st.error());
      return 1;
    }
    spdlog::info("serving ovs-appctl on {}", unixctl_path);
  }
  if (as_ovs_vswitchd) {
    auto created = flowpath::LockFile::acquire(run_dir + "/ovs-vswitchd.pid", "ovs-vswitchd pidfile");
    if (!created.ok()) {
      spdlog::error("{}", created.error());
      return 1;
    }
    vswitchd_pidfile = std::move(*created);
    if (auto st = vswitchd_pidfile->add_record_lock(); !st.ok()) {
      spdlog::error("{}", st.error());
      return 1;
    }
  }
  flowpath::ofproto::ConnectionManager openflow(*ofproto, run_dir);
  ofproto->set_change_observer([&openflow] { openflow.wake(); });
  {
    std::unique_ptr<flowpath::DatapathInterface> datapaths =
        flowpath::ofproto::make_datapath_interface(ofproto, config);
    flowpath::DatapathInterface& dpif = *datapaths;
    // Interfaces from rtnetlink: ports attach when their interface appears,
    // detach when it goes; link, MTU and address changes reach the bridges.
    auto interfaces = flowpath::ofproto::InterfaceMonitor::start(dpif, ofproto.get());
    if (!interfaces.ok()) {
      spdlog::error("{}", interfaces.error());
      return 1;
    }
    if (ovsdb) {
      spdlog::info("configuration from OVSDB at {}", ovsdb->text);
    } else if (state_file.empty()) {
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
    flowpath::control::DatapathOwnership ownership;
    ownership.owner = [&ofproto](const std::string& dp) -> std::optional<std::string> {
      for (const std::string& br : ofproto->list_bridges())
        if (br == dp) return "bridge " + br;
      return std::nullopt;
    };
    // A bridge's datapath keeps its settings in the bridge's state.
    ownership.set_settings = [&ofproto](const std::string& dp,
                                        const flowpath::DatapathSettings& settings,
                                        std::optional<uint32_t> max_idle_ms) {
      return ofproto->set_datapath_settings(dp, settings, max_idle_ms);
    };
    ownership.max_idle_ms = [&ofproto](const std::string& dp) -> std::optional<uint32_t> {
      auto bridge = ofproto->bridge_config(dp);
      if (!bridge.ok()) return std::nullopt;
      return bridge->max_idle_ms;
    };
    flowpath::control::add_datapath_methods(dispatcher, dpif, ownership);
    flowpath::control::add_conntrack_methods(dispatcher, dpif);
    flowpath::control::add_ipf_methods(dispatcher, dpif);
    flowpath::control::add_trace_methods(dispatcher, dpif);
    flowpath::control::add_ofproto_methods(dispatcher, *ofproto);
    std::unique_ptr<flowpath::ovsdb::SwitchAgent> ovsdb_agent;
    if (ovsdb) {
      ovsdb_agent = std::make_unique<flowpath::ovsdb::SwitchAgent>(
          flowpath::ovsdb::SwitchAgentOptions{
              .remote = *ovsdb,
              .defaults = {.emc = config.emc,
                           .emc_insert_inv_prob = config.emc_insert_inv_prob,
                           .handler_threads = config.handler_threads,
                           .forwarding_cpus = config.forwarding_cpus},
              .underlay = &underlay},
          *ofproto);
      if (auto st = ovsdb_agent->start(); !st.ok()) {
        spdlog::error("{}", st.error());
        return 1;
      }
      // The database owns bridges, ports and controllers: fpctl's bridge
      // verbs become transactions on it, as ovs-vsctl's.
      flowpath::tools::add_ovsdb_bridge_methods(dispatcher, *ovsdb_agent, *ofproto);
    }
    flowpath::control::add_tunnel_methods(dispatcher, routes);
    flowpath::control::add_vlog_methods(dispatcher);
    flowpath::control::add_neighbour_methods(dispatcher, underlay.neighbours());
    dispatcher.set_observer([](const std::string& method, const flowpath::control::Json& params,
                               const std::string* error) {
      // Queries are not worth a line; changes and failures are.
      bool query = method == "dp.list" || method == "dp.show" || method == "flow.dump" ||
                   method == "flow.get" || method == "threads.show" ||
                   method == "ct.dump" || method == "ct.stats" || method.ends_with(".get") ||
                   method == "ct.nconns" || method == "route.show" || method == "route.lookup" ||
                   method == "neigh.show" || method == "vlog.list" ||
                   flowpath::control::is_ofproto_query(method);
      std::string text = params.dump();
      if (text.size() > 300) text = text.substr(0, 300) + "...";  // e.g. packet hex
      if (error) {
        spdlog::warn("{} {}: {}", method, text, *error);
      } else if (!query) {
        spdlog::info("{} {}", method, text);
      }
    });
    if (auto st = openflow.start(); !st.ok()) {
      spdlog::error("OpenFlow connections: {}", st.error());
      return 1;
    }
    std::unique_ptr<flowpath::control::MetricsHttpServer> metrics;
    if (metrics_endpoint) {
      auto started = flowpath::control::MetricsHttpServer::start(
          *metrics_endpoint, [&dpif, &ofproto] { return flowpath::control::render_metrics(dpif, ofproto.get()); });
      if (!started.ok()) {
        spdlog::error("{}", started.error());
        ofproto->stop();
        return 1;
      }
      metrics = std::move(*started);
      spdlog::info("serving metrics on http://{}/metrics", metrics_endpoint->text);
    }
    daemon::SignalThread signals(
        [] {
          (void)daemon::reopen_log_file();
        },
        [&server](int signal_number) {
          spdlog::info("received signal {} ({}), shutting down", signal_number,
                       strsignal(signal_number));
          daemon::notify_stopping("stopping");
          server.stop();
        });
    std::string serving = "serving " + std::to_string(ofproto->list_bridges().size()) +
                          " bridge(s) on " + socket_path + " with " +
                          std::to_string(config.forwarding_cpus.size()) + " forwarding thread(s)";
    spdlog::info("{}", serving);
    // The socket listens (connections queue until run() serves them) and the
    // bridges are back: from here on, fpctl works.
    daemon::notify_ready(serving);
    if (detached) {
      detached->complete();
      daemon::stop_console_log();
    }
    daemon::Watchdog watchdog([&socket_path](std::chrono::milliseconds timeout) {
      return daemon::control_socket_answers(socket_path, timeout);
    });
    server.run();
    interfaces->reset();  // no port attaches or detaches while everything closes
    if (ovsdb_agent) ovsdb_agent->stop();  // no reconciliation while the bridges go away
    openflow.stop();  // no OpenFlow request reaches a bridge being torn down
    ofproto->stop();  // no revalidation while the datapaths go away
    size_t n = dpif.datapath_names().size();
    if (n) spdlog::info("closing {} datapath(s)", n);
    std::vector<std::string> bridges = ofproto->list_bridges();
    if (!state_file.empty() && !bridges.empty()) {
      std::string names;
      for (const std::string& bridge : bridges) names += (names.empty() ? "" : ", ") + bridge;
      spdlog::info("the devices of bridge(s) {} stay, with their addresses, for the next start",
                   names);
    }
  }  // ~DatapathInterface: ports closed; devices removed unless bridges keep them
  spdlog::info("stopped");
  return status;
}
