#include "fpctl_replay.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/log_modules.h"
#include "common/rcu.h"
#include "control/datapath_rpc.h"
#include "datapath/datapath_interface.h"
#include "datapath/packet_processor.h"
#include "flow/key_extract.h"
#include "flow/odp_abi.h"
#include "odp/odp_action_text.h"
#include "odp/odp_flow.h"
#include "ofproto/ofproto.h"
#include "vport/pcap_port.h"

namespace flowpath::fpctl {

namespace {

using control::Json;

// The datapath (and, with --bridge, the bridge) a replay runs: its local
// port 0 is a pcap port writing DIR/port-0.pcap.
constexpr const char* kDatapathName = "br0";
constexpr uint32_t kMaxBatch = PacketBatch::kMaxSize;

struct ReplayOptions {
  std::string flows_path;
  std::vector<std::string> inputs;  // PORT=FILE
  std::vector<std::string> ports;   // N or N=NAME
  std::vector<std::string> mtus;    // PORT=BYTES
  std::string out_dir;
  uint32_t batch = 1;
  std::optional<uint32_t> vlan_limit;  // Open vSwitch's vlan-limit; the datapath's default
  std::string bridge_rules;
  bool json = false;  // --format json: counters.json's document on stdout as well
};

// A numbered line of a text file (blank lines and '#' comments left out).
struct TextLine {
  size_t number;
  std::string text;
};

Result<std::vector<TextLine>> read_lines(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(what + " " + path + ": cannot open: " + std::strerror(errno));
  std::vector<TextLine> lines;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    lines.push_back({number, line.substr(start, end - start + 1)});
  }
  if (in.bad()) return make_error(what + " " + path + ": read error");
  return lines;
}

Result<uint32_t> parse_port_number(std::string_view text, const std::string& where) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n >= Datapath::kMaxPorts) {
    return make_error(where + ": \"" + std::string(text) + "\" is not a port number (0.." +
                      std::to_string(Datapath::kMaxPorts - 1) + ")");
  }
  return n;
}

// "PORT=VALUE" of --in and --mtu.
Result<std::pair<uint32_t, std::string>> split_port_value(const std::string& text,
                                                          const std::string& option) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals + 1 == text.size()) {
    return make_error(option + " " + text + ": expected PORT=VALUE");
  }
  TRY_ASSIGN(port, parse_port_number(std::string_view(text).substr(0, equals), option + " " + text));
  return std::pair{port, text.substr(equals + 1)};
}

// The ports an action list outputs to, nested lists (clone, sample) included.
void collect_output_ports(std::span<const uint8_t> actions, std::vector<uint32_t>* out) {
  (void)for_each_attribute(actions, [out](const NetlinkAttr& a) -> Status {
    if (a.type == odp::kActionOutput && a.size() == sizeof(uint32_t)) out->push_back(a.get_u32());
    if (a.type == odp::kActionClone) collect_output_ports(a.payload, out);
    if (a.type == odp::kActionSample) {
      (void)for_each_attribute(a.payload, [out](const NetlinkAttr& s) -> Status {
        if (s.type == odp::kSampleActions) collect_output_ports(s.payload, out);
        return Ok{};
      });
    }
    return Ok{};
  });
}

struct PortPlan {
  std::string name;
  std::string input;  // capture to receive, or ""
  std::optional<std::string> mtu;
};

// Every port of the replay: those --ports lists, those --in feeds and those
// the flows output to. Port 0 is the datapath's local port.
Result<std::map<uint32_t, PortPlan>> plan_ports(const ReplayOptions& o,
                                                const std::vector<TextLine>& flows) {
  std::map<uint32_t, PortPlan> plan;
  auto ensure = [&plan](uint32_t n) -> PortPlan& {
    PortPlan& p = plan[n];
    if (p.name.empty()) p.name = n == 0 ? kDatapathName : "p" + std::to_string(n);
    return p;
  };
  for (const std::string& entry : o.ports) {
    const size_t equals = entry.find('=');
    TRY_ASSIGN(n, parse_port_number(std::string_view(entry).substr(0, equals), "--ports"));
    PortPlan& p = ensure(n);
    if (equals != std::string::npos) {
      if (n == 0) return make_error("--ports " + entry + ": port 0 is the local port, named " +
                                    kDatapathName);
      p.name = entry.substr(equals + 1);
      if (p.name.empty() || p.name.size() > DatapathInterface::kMaxNameLength) {
        return make_error("--ports " + entry + ": a port name has 1 to " +
                          std::to_string(DatapathInterface::kMaxNameLength) + " characters");
      }
    }
  }
  for (const std::string& entry : o.inputs) {
    TRY_ASSIGN(in, split_port_value(entry, "--in"));
    PortPlan& p = ensure(in.first);
    if (!p.input.empty()) return make_error("--in: port " + std::to_string(in.first) +
                                            " is given two captures");
    p.input = in.second;
  }
  for (const std::string& entry : o.mtus) {
    TRY_ASSIGN(mtu, split_port_value(entry, "--mtu"));
    ensure(mtu.first).mtu = mtu.second;
  }
  for (const TextLine& line : flows) {
    auto parts = split_flow_line(line.text);
    if (!parts.ok()) continue;  // flows.result says why
    auto actions = parse_odp_actions(parts->second);
    if (!actions.ok()) continue;
    std::vector<uint32_t> outputs;
    collect_output_ports(*actions, &outputs);
    for (uint32_t n : outputs)
      if (n < Datapath::kMaxPorts) ensure(n);
  }
  // A port's options are written "key=value,..." (PortConfig::vport_spec).
  for (const auto& [n, p] : plan) {
    for (const std::string* text : {&p.name, &p.input}) {
      if (text->find_first_of(",=") != std::string::npos) {
        return make_error("port " + std::to_string(n) + ": \"" + *text +
                          "\" may not hold ',' or '='");
      }
    }
  }
  if (o.out_dir.find_first_of(",=") != std::string::npos) {
    return make_error("--out " + o.out_dir + ": the directory may not hold ',' or '='");
  }
  return plan;
}

std::string port_capture_path(const std::string& dir, uint32_t n) {
  return dir + "/port-" + std::to_string(n) + ".pcap";
}

VportOptions pcap_options(const std::string& dir, uint32_t n, const PortPlan& p) {
  VportOptions options{{"tx", port_capture_path(dir, n)}};
  if (!p.input.empty()) options["rx"] = p.input;
  if (p.mtu) options["mtu"] = *p.mtu;
  return options;
}

// A JSON-RPC method of the in-process dispatcher: the very handlers
// flowpathd serves fpctl with.
Result<Json> call_local(const control::JsonRpcDispatcher& dispatcher, const std::string& method,
                        const Json& params) {
  const Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
  const Json reply = Json::parse(dispatcher.handle_line(request.dump()));
  if (reply.contains("error")) {
    const Json& e = reply["error"];
    return make_error(e.is_object() && e.contains("message") && e["message"].is_string()
                          ? e["message"].get<std::string>()
                          : std::string("unknown error"));
  }
  return reply["result"];
}

// What the datapath's counters say, taken around a step of the replay.
struct Snapshot {
  std::map<std::string, FlowEntry> flows;  // by ufid text
  std::map<uint32_t, VportStats> ports;
  DropCounts drops;
  uint64_t misses = 0;
};

// One input frame of a step.
struct InputFrame {
  uint64_t number;  // 1-based, over the merged inputs
  uint32_t in_port;
  std::optional<FlowKey> key;  // nullopt: the port dropped it on receive
  std::string receive_drop;    // why, then
};

class Replay {
 public:
  explicit Replay(const ReplayOptions& options) : o_(options) {}
  // No revalidation while the datapath goes away (as flowpathd stops).
  ~Replay() {
    if (ofproto_) ofproto_->stop();
  }
  Replay(const Replay&) = delete;
  Replay& operator=(const Replay&) = delete;

  Status run() {
    if (o_.inputs.empty()) return make_error("--in: give at least one PORT=IN.pcap");
    std::vector<TextLine> flows;
    if (!o_.flows_path.empty()) {
      TRY_ASSIGN(lines, read_lines("--flows", o_.flows_path));
      flows = std::move(lines);
    }
    TRY_ASSIGN(plan, plan_ports(o_, flows));
    plan_ = std::move(plan);
    if (::mkdir(o_.out_dir.c_str(), 0777) != 0 && errno != EEXIST) {
      return make_error("--out " + o_.out_dir + ": cannot create: " + std::strerror(errno));
    }
    TRY_STATUS(compose());
    TRY_STATUS(install_flows(flows));
    TRY_STATUS(replay());
    return write_results();
  }

 private:
  // The datapath, and with --bridge the slow path over it, wired as
  // flowpathd wires them, except that this thread drives them.
  Status compose() {
    DatapathConfig config;
    config.caller_driven = true;
    config.local_port = [this](const std::string& dp) {
      return VportSpec{dp, VportKind::kPcap, pcap_options(o_.out_dir, 0, plan_[0])};
    };
    plan_[0].name = kDatapathName;
    if (!o_.bridge_rules.empty()) {
      ofproto_ = std::make_shared<ofproto::Ofproto>(ofproto::OfprotoOptions{});  // no state file
      dpif_ = ofproto::make_datapath_interface(ofproto_, config);
      TRY_STATUS(ofproto_->add_bridge(kDatapathName));
    } else {
      dpif_ = std::make_unique<DatapathInterface>(config);
      TRY_STATUS(dpif_->create_datapath(kDatapathName));
    }
    if (o_.vlan_limit) {
      if (auto st = dpif_->set_vlan_limit(kDatapathName, static_cast<int>(*o_.vlan_limit)); !st.ok())
        return make_error("--vlan-limit: " + st.error());
    }
    for (const auto& [n, p] : plan_) {
      if (n == 0) continue;
      VportOptions options = pcap_options(o_.out_dir, n, p);
      if (ofproto_) {
        ofproto::PortConfig port;
        port.name = p.name;
        port.type = "pcap";
        port.ofport = n;
        port.options.assign(options.begin(), options.end());
        if (auto added = ofproto_->add_port(kDatapathName, port); !added) {
          return make_error("port " + std::to_string(n) + ": " + added.error());
        }
      } else {
        options["port_no"] = std::to_string(n);
        if (auto added = dpif_->add_port(kDatapathName, VportSpec{p.name, VportKind::kPcap, options});
            !added) {
          return make_error("port " + std::to_string(n) + ": " + added.error());
        }
      }
    }
    if (ofproto_) TRY_STATUS(install_rules());
    dp_ = dpif_->find(kDatapathName);
    TRY_ASSIGN(handle, dpif_->open_handle(kDatapathName));
    handle_ = std::move(handle);
    control::add_datapath_methods(dispatcher_, *dpif_);
    rcu::ReadSection section;
    for (const auto& [n, p] : plan_) {
      auto* port = dynamic_cast<PcapPort*>(&dp_->port(n)->vport());
      if (port == nullptr) return make_error("port " + std::to_string(n) + " is not a pcap port");
      pcap_ports_[n] = port;
    }
    for (const std::string& entry : o_.inputs) {
      inputs_.push_back(static_cast<uint32_t>(std::stoul(entry.substr(0, entry.find('=')))));
    }
    return Ok{};
  }

  // The bridge's rules are the file's (its default NORMAL rule goes; a file
  // that wants NORMAL says actions=NORMAL), as `fpctl of add-flows` takes them.
  Status install_rules() {
    TRY_ASSIGN(lines, read_lines("--bridge", o_.bridge_rules));
    std::vector<std::string> rules;
    for (const TextLine& line : lines) rules.push_back(line.text);
    if (auto deleted = ofproto_->del_flows(kDatapathName, "", false); !deleted) {
      return make_error("--bridge: " + deleted.error());
    }
    if (Status added = ofproto_->add_flows(kDatapathName, rules); !added) {
      return make_error("--bridge " + o_.bridge_rules + ": " + added.error());
    }
    return Ok{};
  }

  // Each line as `fpctl add-flow` puts it (create), through the same
  // handler; every outcome recorded, none stops the run.
  Status install_flows(const std::vector<TextLine>& lines) {
    std::ofstream result(o_.out_dir + "/flows.result");
    for (const TextLine& line : lines) {
      result << line.number << ": ";
      auto parts = split_flow_line(line.text);
      Result<Json> put = parts.ok() ? call_local(dispatcher_, "flow.put",
                                                 flow_put_params(kDatapathName,
                                                                 std::string(parts->first),
                                                                 std::string(parts->second),
                                                                 "create", false))
                                    : Result<Json>(make_error(parts.error()));
      if (put.ok()) result << "ok\n";
      else result << "error: " << put.error() << '\n';
    }
    result.close();
    if (!result) return make_error(o_.out_dir + "/flows.result: cannot write");
    return Ok{};
  }

  Snapshot snapshot(const PacketProcessor& processor) const {
    Snapshot s;
    FlowDumpCursor cursor;
    std::vector<FlowEntry> chunk;
    while (!cursor.done()) {
      chunk.clear();
      handle_->dump(&cursor, &chunk, 256);
      for (FlowEntry& f : chunk) s.flows.emplace(f.ufid.to_string(), std::move(f));
    }
    rcu::ReadSection section;
    for (const auto& [n, port] : pcap_ports_) s.ports[n] = port->stats();
    s.drops = dp_->stats().drops;
    s.misses = processor.processor_stats().misses;
    return s;
  }

  // The input whose next frame comes first (ties: the earlier --in), or
  // nullopt when every capture is done.
  std::optional<size_t> next_input(std::optional<timeval>* time) {
    std::optional<size_t> best;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      std::optional<timeval> t = pcap_ports_[inputs_[i]]->next_rx_time();
      if (!t) continue;
      if (!best || timercmp(&*t, &**time, <)) {
        best = i;
        *time = t;
      }
    }
    return best;
  }

  Status replay() {
    std::ofstream trace(o_.out_dir + "/trace.txt");
    PacketPool pool(4096, PacketPool::kStandardBufferSize, ForwardingThread::kLargeBuffers);
    PacketProcessor processor(pool);
    uint64_t number = 0;
    std::optional<timeval> time;
    for (std::optional<size_t> input = next_input(&time); input; input = next_input(&time)) {
      // A step: the next frames of one capture in merged order, up to --batch.
      const uint32_t in_port = inputs_[*input];
      PcapPort& port = *pcap_ports_[in_port];
      for (const auto& [n, p] : pcap_ports_) p->set_tx_time(*time);
      std::vector<InputFrame> frames;
      PacketBatch batch;
      const Snapshot before = snapshot(processor);
      do {
        const VportStats rx_before = port.stats();
        InputFrame frame{++number, in_port, std::nullopt, ""};
        if (port.receive_at_most(pool, batch, 1) == 1) {
          FlowKey key;
          extract_key(*batch[batch.size() - 1], &key);
          frame.key = key;
        } else {
          const VportStats rx_after = port.stats();
          frame.receive_drop = rx_after.drops[DropReason::kRxInvalidPacket] !=
                                       rx_before.drops[DropReason::kRxInvalidPacket]
                                   ? std::string(drop_reason_name(DropReason::kRxInvalidPacket))
                                   : "rx_dropped: cut short by the capture or too large";
        }
        frames.push_back(std::move(frame));
        std::optional<timeval> next_time;
        const std::optional<size_t> next = next_input(&next_time);
        if (frames.size() >= o_.batch || next != input) break;
      } while (true);
      if (!batch.empty()) {
        rcu::ReadSection section;
        processor.process(*dp_, batch);
      }
      TRY_ASSIGN(upcalls, dpif_->handle_upcalls(kDatapathName));
      // The revalidator fixes what this step's learning made stale before
      // the next packet comes, the same on every run.
      if (ofproto_ && upcalls != 0) ofproto_->wait_revalidation_round();
      write_step(trace, frames, before, snapshot(processor));
    }
    trace.close();
    if (!trace) return make_error(o_.out_dir + "/trace.txt: cannot write");
    if (number == 0) return make_error("--in: the captures hold no frame");
    return Ok{};
  }

  void write_step(std::ostream& trace, const std::vector<InputFrame>& frames,
                  const Snapshot& before, const Snapshot& after) const {
    // Flows whose packet count rose, and flows the slow path installed.
    std::vector<const FlowEntry*> hit, installed;
    for (const auto& [ufid, flow] : after.flows) {
      auto was = before.flows.find(ufid);
      if (was == before.flows.end()) installed.push_back(&flow);
      else if (flow.stats.packets > was->second.stats.packets) hit.push_back(&flow);
    }
    const bool missed = after.misses != before.misses;
    for (size_t i = 0; i < frames.size(); ++i) {
      const InputFrame& frame = frames[i];
      trace << frame.number << " in_port " << frame.in_port;
      if (frame.key) {
        trace << ' ' << format_packet_key(*frame.key);
        bool any_hit = false;
        for (const FlowEntry* flow : hit) {
          // One packet: every flow it hit (recirculations too); a batch:
          // the flows that match this packet's own key.
          if (frames.size() > 1 && !match_equal(flow->match, *frame.key)) continue;
          trace << (any_hit ? ", then " : "; ") << "hit " << flow->ufid.to_string()
                << " actions:" << format_odp_actions(flow->actions);
          any_hit = true;
        }
        if (!any_hit) trace << (missed ? "; miss" : "; no flow");
      } else {
        trace << "; drop (" << frame.receive_drop << ')';
      }
      // What the step did: for one frame on its line, for a batch on its last.
      if (frames.size() > 1 && i + 1 == frames.size()) {
        trace << "; batch " << frames.front().number << '-' << frame.number;
        write_outcome(trace, installed, before, after);
      } else if (frames.size() == 1 && frame.key) {
        write_outcome(trace, installed, before, after);
      }
      trace << '\n';
    }
  }

  void write_outcome(std::ostream& trace, const std::vector<const FlowEntry*>& installed,
                     const Snapshot& before, const Snapshot& after) const {
    for (const FlowEntry* flow : installed) {
      trace << "; slow path installed " << flow->ufid.to_string() << ' '
            << format_flow(flow->match) << " actions:" << format_odp_actions(flow->actions);
    }
    std::string outputs;
    for (const auto& [n, stats] : after.ports) {
      const uint64_t sent = stats.tx_packets - before.ports.at(n).tx_packets;
      if (sent != 0) outputs += ' ' + std::to_string(n) + ':' + std::to_string(sent);
    }
    trace << "; output" << (outputs.empty() ? " none" : outputs);
    std::string drops;
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      const uint64_t n = after.drops.count[r] - before.drops.count[r];
      if (n == 0) continue;
      drops += (drops.empty() ? "" : ", ") +
               std::string(drop_reason_name(static_cast<DropReason>(r))) +
               (n > 1 ? " x" + std::to_string(n) : "");
    }
    if (!drops.empty()) trace << "; drop (" << drops << ')';
  }

  Status write_results() {
    TRY_ASSIGN(dump, call_local(dispatcher_, "flow.dump", Json{{"dp", kDatapathName}}));
    std::ofstream flows(o_.out_dir + "/dump-flows.txt");
    for (const Json& flow : dump) flows << flow_line(flow, false) << '\n';
    flows.close();
    if (!flows) return make_error(o_.out_dir + "/dump-flows.txt: cannot write");
    TRY_ASSIGN(show, call_local(dispatcher_, "dp.show", Json{{"dp", kDatapathName}}));
    std::ofstream counters(o_.out_dir + "/counters.json");
    counters << show.dump(2) << '\n';
    counters.close();
    if (!counters) return make_error(o_.out_dir + "/counters.json: cannot write");
    if (o_.json) std::cout << show.dump(2) << '\n';
    return Ok{};
  }

  const ReplayOptions& o_;
  std::map<uint32_t, PortPlan> plan_;
  std::shared_ptr<ofproto::Ofproto> ofproto_;
  std::unique_ptr<DatapathInterface> dpif_;
  Datapath* dp_ = nullptr;
  std::shared_ptr<DatapathHandle> handle_;
  control::JsonRpcDispatcher dispatcher_;
  std::map<uint32_t, PcapPort*> pcap_ports_;
  std::vector<uint32_t> inputs_;  // port numbers, in --in order
};

}  // namespace

void add_replay_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  int* const exit_ptr = &exit_code;
  const GlobalOptions* const global_ptr = &global;
  static ReplayOptions options;
  CLI::App* c = app.add_subcommand(
      "replay",
      "Run a datapath in this process on pcap files (no daemon, no root): install FLOWS, "
      "feed the captures, write each port's output, a trace, the flows and the counters to DIR");
  c->add_option("--flows", options.flows_path,
                "datapath flows, one \"FLOW ACTIONS\" per line as add-flow takes them");
  c->add_option("--in", options.inputs, "PORT=IN.pcap: a capture received on port PORT")
      ->required();
  c->add_option("--ports", options.ports,
                "ports to create besides those of --in and of the flows' outputs: N or N=NAME")
      ->delimiter(',');
  c->add_option("--out", options.out_dir, "directory for the results (created if missing)")
      ->required();
  c->add_option("--batch", options.batch,
                "packets per receive (1..32), consecutive frames of one capture")
      ->check(CLI::Range(1u, kMaxBatch));
  c->add_option("--mtu", options.mtus, "PORT=BYTES: the MTU of a port (68..65535)");
  c->add_option("--vlan-limit", options.vlan_limit,
                "VLAN tags a packet's key takes (Open vSwitch's other_config:vlan-limit: "
                "default 1, 0 for as many as a key holds)")
      ->check(CLI::Range(0u, 4094u));
  c->add_option("--bridge", options.bridge_rules,
                "OpenFlow rules file (as of add-flows takes it): a bridge's slow path "
                "handles misses");
  c->callback([exit_ptr, global_ptr] {
    options.json = global_ptr->format == "json";
    if (options.flows_path.empty() && options.bridge_rules.empty()) {
      std::cerr << "fpctl: replay: give --flows FILE, --bridge RULES or both\n";
      *exit_ptr = 2;
      return;
    }
    rcu::ensure_thread_registered();
    // The slow path and the datapath log what a daemon's operator wants to
    // know (bridge added, port attached, ...); a replay's results are its
    // files, and a failure is the one "fpctl: replay: ..." line below.
    for (size_t m = 0; m < kLogModules; ++m)
      set_log_level(static_cast<LogModule>(m), LogDestination::kConsole, LogLevel::kOff);
    spdlog::set_level(spdlog::level::off);
    Replay replay(options);
    if (Status st = replay.run(); !st.ok()) {
      std::cerr << "fpctl: replay: " << st.error() << '\n';
      *exit_ptr = 1;
    }
  });
}

}  // namespace flowpath::fpctl
