// flowpath-replay: feeds pcap files from memory through a real datapath on
// the calling thread and reports its cost per packet.
//
//   flowpath-replay --pcap F [--pcap F2 ...] --flows FLOWS --seconds N
//                   [--empty-pipeline] [--profile-name NAME] [--cpu C]
//                   [--packets N] [--tunnel-port N=SPEC ...] [--route R ...]
//                   [--neighbour NB ...] [--port-mac DEV=MAC ...]
//                   [--write-output FILE [--write-output-frames N]]
//
// Input ports 1..n replay one pcap each (a buffer from the pool and a copy
// per frame, like a real receive); port 100 is a null port that counts and
// frees. The flows file holds one "FLOW ACTIONS" per line, as `fpctl
// add-flow` takes them; '#' starts a comment. --empty-pipeline measures only
// receive -> null (the I/O floor); --profile-name measures the floor for N/3
// seconds, then the pipeline for N seconds, and prints a RESULT line.
// --packets N ends every run (warm-ups included) after N packets instead of
// after a time: the same work on every run, for instruction counts under
// callgrind, where the clock says little.
// Tunnels (replay_tunnels.h): --tunnel-port adds a vxlan/geneve/gre port;
// the flows file's tnl_pop(N) pops on it, and an output to it is resolved as
// native tunnelling's translation does (tnl_push of the outer header from
// --route, --neighbour and --port-mac, then the underlay port). The flows
// are printed as installed. --write-output keeps the first frames the null
// port is sent (64 by default) and writes them to a capture file at the end.
#include <pthread.h>
#include <sched.h>
#include <x86intrin.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "odp/odp_action_text.h"
#include "datapath/datapath.h"
#include "datapath/datapath_interface.h"
#include "datapath/packet_processor.h"
#include "odp/odp_flow.h"
#include "memory_replay_port.h"
#include "null_port.h"
#include "replay_capture.h"
#include "replay_tunnels.h"
#include "common/rcu.h"

namespace flowpath {
namespace {

constexpr uint32_t kNullPortNumber = 100;

struct Options {
  std::vector<std::string> pcaps;
  std::string flows_path;
  double seconds = 5;
  bool empty_pipeline = false;
  std::string profile_name;
  uint32_t pool_size = 4096;
  bool no_caches = false;
  bool emc = false;
  int cpu = -1;
  uint64_t packets = 0;  // 0: runs are timed
  std::vector<std::string> tunnel_ports, routes, neighbours, port_macs;
  std::string write_output;
  size_t write_output_frames = 64;
};

// What one timed run measured.
struct RunResult {
  uint64_t packets = 0;  // received, and so offered to the pipeline or the null port
  uint64_t bytes_out = 0;  // frame bytes that reached the null port
  uint64_t cycles = 0;   // TSC cycles
  double seconds = 0;
  ProcessorStats processor;  // the run's share of the processor's counters
  DropCounts drops;          // what the datapath dropped during the run

  double mpps() const { return packets / seconds / 1e6; }
  double ns_per_packet() const { return seconds * 1e9 / packets; }
  double cycles_per_packet() const { return static_cast<double>(cycles) / packets; }
  double gbits_per_second() const { return bytes_out * 8 / seconds / 1e9; }
};

// The TSC rate, timed against steady_clock over `span`.
double measure_tsc_hz(std::chrono::milliseconds span) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t start_tsc = __rdtsc();
  std::this_thread::sleep_for(span);
  const uint64_t end_tsc = __rdtsc();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<double>(end_tsc - start_tsc) / elapsed.count();
}

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Installs every flow of the file, outputs to tunnel ports resolved through
// `underlay`, and prints each as installed; returns how many.
Result<size_t> install_flows(Datapath& dp, const ReplayUnderlay& underlay,
                             const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot open flows file " + path);
  std::string line;
  size_t line_no = 0;
  size_t installed = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view text = line;
    text = trim(text.substr(0, text.find('#')));
    if (text.empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    auto parts = split_flow_line(text);
    if (!parts.ok()) return make_error(where + parts.error());
    auto flow = parse_flow(parts->first);
    if (!flow.ok()) return make_error(where + "flow: " + flow.error());
    // As `fpctl add-flow`: a key that does not fit (headers implied and
    // missing, attributes unexplained) is refused, not installed as a guess.
    if (flow->fitness != KeyFitness::kPerfect) {
      return make_error(where + "flow: " + flow->fitness_detail);
    }
    auto actions = parse_odp_actions(parts->second);
    if (!actions.ok()) return make_error(where + "actions: " + actions.error());
    auto resolved = underlay.resolve_tunnel_outputs(dp, *actions);
    if (!resolved.ok()) return make_error(where + resolved.error());
    *actions = std::move(*resolved);
    if (Status valid = validate_flow_actions(dp, *actions); !valid.ok()) {
      return make_error(where + "actions: " + valid.error());
    }
    auto put = dp.flows().put(MegaflowPut{flow->match, std::nullopt, *actions, PutMode::kCreate});
    if (!put.ok()) return make_error(where + put.error());
    std::printf("flow: %s %s\n", std::string(parts->first).c_str(),
                format_odp_actions(*actions).c_str());
    ++installed;
  }
  return installed;
}

void attach_port(Datapath& dp, uint32_t port_no, std::unique_ptr<Vport> vport) {
  VportSpec spec{vport->name(), vport->type(), {}};
  dp.upcalls().add_port(port_no);
  dp.swap_port(port_no, new DatapathPort(port_no, std::move(vport), std::move(spec)));
}

ProcessorStats minus(const ProcessorStats& after, const ProcessorStats& before) {
  ProcessorStats d;
  d.packets = after.packets - before.packets;
  d.hits = after.hits - before.hits;
  d.emc_hits = after.emc_hits - before.emc_hits;
  d.smc_hits = after.smc_hits - before.smc_hits;
  d.misses = after.misses - before.misses;
  d.lost = after.lost - before.lost;
  d.recirculations = after.recirculations - before.recirculations;
  d.megaflow_hit_lookups = after.megaflow_hit_lookups - before.megaflow_hit_lookups;
  d.sent_packets = after.sent_packets - before.sent_packets;
  d.sent_batches = after.sent_batches - before.sent_batches;
  d.userspace_upcalls = after.userspace_upcalls - before.userspace_upcalls;
  return d;
}

class ReplayBench {
 public:
  ReplayBench(const Options& options, double tsc_hz)
      : packet_limit_(options.packets),
        dp_("replay", options.no_caches ? 0 : 1),
        pool_(options.pool_size, PacketPool::kStandardBufferSize, ForwardingThread::kLargeBuffers),
        processor_(pool_, options.no_caches ? -1 : 0),
        tsc_hz_(tsc_hz) {}

  Status setup(const Options& options) {
    if (FlowCaches* caches = dp_.caches(0)) caches->use_emc = options.emc;
    for (size_t i = 0; i < options.pcaps.size(); ++i) {
      auto port = MemoryReplayPort::load("replay" + std::to_string(i + 1), options.pcaps[i]);
      if (!port.ok()) return make_error(port.error());
      std::printf("port %zu: %s, %zu frames, %.1f MB\n", i + 1, options.pcaps[i].c_str(),
                  (*port)->frame_count(), (*port)->total_bytes() / 1e6);
      attach_port(dp_, static_cast<uint32_t>(i + 1), std::move(*port));
      inputs_.push_back(dp_.port(static_cast<uint32_t>(i + 1)));
    }
    auto null_port = std::make_unique<NullPort>("null");
    null_port_ = null_port.get();
    attach_port(dp_, kNullPortNumber, std::move(null_port));
    null_ = dp_.port(kNullPortNumber);
    for (const std::string& spec : options.tunnel_ports) {
      if (Status s = add_tunnel_port(dp_, spec); !s.ok()) return s;
    }
    for (const std::string& route : options.routes) {
      if (Status s = underlay_.add_route(route); !s.ok()) return s;
    }
    for (const std::string& neighbour : options.neighbours) {
      if (Status s = underlay_.add_neighbour(neighbour); !s.ok()) return s;
    }
    for (const std::string& mac : options.port_macs) {
      if (Status s = underlay_.set_device_mac(mac); !s.ok()) return s;
    }
    auto installed = install_flows(dp_, underlay_, options.flows_path);
    if (!installed.ok()) return make_error(installed.error());
    std::printf("flows: %zu installed from %s\n", *installed, options.flows_path.c_str());
    return Ok{};
  }

  // Receive -> PacketProcessor::process for `seconds`.
  RunResult run_pipeline(double seconds) {
    const ProcessorStats before = processor_.processor_stats();
    const DropCounts drops_before = dp_.stats().drops;
    RunResult r = run(seconds, [this](PacketBatch& batch) {
      rcu::ReadSection section;
      processor_.process(dp_, batch);
    });
    r.processor = minus(processor_.processor_stats(), before);
    r.drops = dp_.stats().drops - drops_before;
    return r;
  }

  // Receive -> null port, no datapath: the I/O floor.
  RunResult run_floor(double seconds) {
    return run(seconds, [this](PacketBatch& batch) { null_->send(batch); });
  }

  VportStats null_stats() const { return null_->vport().stats(); }
  NullPort& null_port() { return *null_port_; }
  // Every port but the inputs and the null port (tunnel ports): name, stats.
  std::vector<PortInfo> other_ports() const {
    std::vector<PortInfo> out;
    for (PortInfo& p : dp_.ports()) {
      if (p.port_no != kNullPortNumber && p.port_no > inputs_.size()) out.push_back(std::move(p));
    }
    return out;
  }
  uint32_t pool_available() const { return pool_.available(); }

 private:
  template <typename Consume>
  RunResult run(double seconds, Consume consume) {
    constexpr uint32_t kBatchesPerClockCheck = 64;
    PacketBatch batch;
    RunResult r;
    const uint64_t bytes_before = null_->vport().stats().tx_bytes;
    const uint64_t budget = static_cast<uint64_t>(seconds * tsc_hz_);
    const auto start = std::chrono::steady_clock::now();
    const uint64_t start_tsc = __rdtsc();
    for (uint32_t round = 1;; ++round) {
      for (DatapathPort* port : inputs_) {
        batch.clear();
        r.packets += port->vport().receive(pool_, batch);
        consume(batch);
      }
      if (packet_limit_ != 0) {
        if (r.packets >= packet_limit_) break;
      } else if (round % kBatchesPerClockCheck == 0 && __rdtsc() - start_tsc >= budget) {
        break;
      }
    }
    r.cycles = __rdtsc() - start_tsc;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.bytes_out = null_->vport().stats().tx_bytes - bytes_before;
    return r;
  }

  uint64_t packet_limit_;
  Datapath dp_;
  PacketPool pool_;
  PacketProcessor processor_;
  double tsc_hz_;
  std::vector<DatapathPort*> inputs_;
  DatapathPort* null_ = nullptr;
  NullPort* null_port_ = nullptr;
  ReplayUnderlay underlay_;
};

void print_run(const char* what, const RunResult& r) {
  std::printf("%s: %.3f s, %llu packets, %.3f Mpps, %.2f ns/packet, %.1f cycles/packet, "
              "%.2f Gbit/s of frames out\n",
              what, r.seconds, static_cast<unsigned long long>(r.packets), r.mpps(),
              r.ns_per_packet(), r.cycles_per_packet(), r.gbits_per_second());
}

void print_pipeline_counters(const RunResult& r) {
  const ProcessorStats& s = r.processor;
  const uint64_t megaflow_hits = s.hits - s.emc_hits - s.smc_hits;
  const double per_hit =
      megaflow_hits ? static_cast<double>(s.megaflow_hit_lookups) / megaflow_hits : 0.0;
  std::printf("  emc hits %llu, smc hits %llu, megaflow hits %llu, misses %llu (lost %llu), "
              "subtables searched per megaflow hit %.2f\n",
              static_cast<unsigned long long>(s.emc_hits),
              static_cast<unsigned long long>(s.smc_hits),
              static_cast<unsigned long long>(megaflow_hits),
              static_cast<unsigned long long>(s.misses),
              static_cast<unsigned long long>(s.lost), per_hit);
  if (s.misses != 0) std::printf("  WARNING: misses: the flows file does not cover the traffic\n");
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    if (r.drops.count[i] != 0) {
      std::printf("  WARNING: %llu packets dropped: %s\n",
                  static_cast<unsigned long long>(r.drops.count[i]),
                  std::string(drop_reason_name(static_cast<DropReason>(i))).c_str());
    }
  }
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    std::fprintf(stderr, "warning: cannot pin to CPU %d\n", cpu);
  }
}

int run_bench(const Options& options) {
  if (options.cpu >= 0) pin_to_cpu(options.cpu);
  const double tsc_hz = measure_tsc_hz(std::chrono::milliseconds(200));
  ReplayBench bench(options, tsc_hz);
  if (Status s = bench.setup(options); !s.ok()) {
    std::fprintf(stderr, "flowpath-replay: %s\n", s.error().c_str());
    return 1;
  }
  const uint32_t pool_at_start = bench.pool_available();
  const bool measure_floor = options.empty_pipeline || !options.profile_name.empty();
  const bool measure_pipeline = !options.empty_pipeline;
  const uint64_t total_cycles_start = __rdtsc();
  const auto total_start = std::chrono::steady_clock::now();

  RunResult floor;
  if (measure_floor) {
    const double floor_seconds = measure_pipeline ? options.seconds / 3 : options.seconds;
    bench.run_floor(0.2);  // warm the caches and the pool's free list
    floor = bench.run_floor(floor_seconds);
    print_run("I/O floor (receive -> null)", floor);
  }
  RunResult pipeline;
  if (measure_pipeline) {
    // What the pipeline sent, not the floor's copies of the input.
    if (!options.write_output.empty()) bench.null_port().keep_first(options.write_output_frames);
    bench.run_pipeline(0.2);
    pipeline = bench.run_pipeline(options.seconds);
    print_run("datapath pipeline", pipeline);
    print_pipeline_counters(pipeline);
    if (measure_floor) {
      std::printf("  datapath cost above the floor: %.1f cycles/packet, %.2f ns/packet\n",
                  pipeline.cycles_per_packet() - floor.cycles_per_packet(),
                  pipeline.ns_per_packet() - floor.ns_per_packet());
    }
  }

  // The TSC rate over the whole measurement, against steady_clock; the
  // deadline used the 200 ms calibration, which this confirms.
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - total_start).count();
  const double tsc_hz_run = static_cast<double>(__rdtsc() - total_cycles_start) / total_seconds;
  const VportStats out = bench.null_stats();
  std::printf("TSC %.4f GHz (200 ms calibration), %.4f GHz over the run\n", tsc_hz / 1e9,
              tsc_hz_run / 1e9);
  std::printf("null port: %llu packets, %llu bytes; pool %u of %u buffers free\n",
              static_cast<unsigned long long>(out.tx_packets),
              static_cast<unsigned long long>(out.tx_bytes), bench.pool_available(),
              pool_at_start);
  for (const PortInfo& p : bench.other_ports()) {
    std::printf("port %u (%s): rx %llu packets, %llu bytes; tx %llu, tx errors %llu\n", p.port_no,
                p.name.c_str(), static_cast<unsigned long long>(p.stats.rx_packets),
                static_cast<unsigned long long>(p.stats.rx_bytes),
                static_cast<unsigned long long>(p.stats.tx_packets),
                static_cast<unsigned long long>(p.stats.tx_errors));
  }
  if (!options.write_output.empty()) {
    if (Status s = write_capture(options.write_output, bench.null_port().kept()); !s.ok()) {
      std::fprintf(stderr, "flowpath-replay: %s\n", s.error().c_str());
      return 1;
    }
    std::printf("output: first %zu frames written to %s\n", bench.null_port().kept().size(),
                options.write_output.c_str());
  }
  if (!options.profile_name.empty()) {
    std::printf("RESULT profile=%s mpps=%.3f ns_per_packet=%.2f cycles_per_packet=%.1f "
                "floor_cycles_per_packet=%.1f\n",
                options.profile_name.c_str(), pipeline.mpps(), pipeline.ns_per_packet(),
                pipeline.cycles_per_packet(), floor.cycles_per_packet());
  }
  return 0;
}

}  // namespace
}  // namespace flowpath

int main(int argc, char** argv) {
  flowpath::Options options;
  CLI::App app{"flowpath-replay: pcap replay through a datapath on one thread"};
  app.add_option("--pcap", options.pcaps, "Capture to replay (one input port each, from 1)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--flows", options.flows_path, "Flows file: \"FLOW ACTIONS\" per line")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--seconds", options.seconds, "Measured duration")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_flag("--empty-pipeline", options.empty_pipeline,
               "Measure receive -> null only (the I/O floor)");
  app.add_option("--profile-name", options.profile_name,
                 "Measure floor and pipeline and print a RESULT line for this profile");
  app.add_option("--pool", options.pool_size, "Packet buffers in the pool")
      ->capture_default_str()
      ->check(CLI::Range(64u, 1u << 20));
  app.add_flag("--no-caches", options.no_caches,
               "Look every packet up in the classifier (no exact-match or signature cache)");
  app.add_flag("--emc", options.emc, "Also use the exact-match cache (off by default)");
  app.add_option("--cpu", options.cpu, "Pin the forwarding loop to this CPU");
  app.add_option("--packets", options.packets,
                 "End each run (warm-ups too) after this many packets instead of a time")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_option("--tunnel-port", options.tunnel_ports,
                 "N=IFACE,type=vxlan|geneve|gre,OPTION=VALUE,...: a tunnel port");
  app.add_option("--route", options.routes,
                 "\"PREFIX DEVICE [GATEWAY] [src=ADDRESS]\": an underlay route (ovs/route/add)");
  app.add_option("--neighbour", options.neighbours,
                 "\"DEVICE ADDRESS MAC\": a next hop's Ethernet address (tnl/arp/set)");
  app.add_option("--port-mac", options.port_macs, "DEVICE=MAC: an underlay port's own address");
  app.add_option("--write-output", options.write_output,
                 "Write the first frames sent to the null port to this capture file");
  app.add_option("--write-output-frames", options.write_output_frames,
                 "How many frames --write-output keeps")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  CLI11_PARSE(app, argc, argv);
  if (options.empty_pipeline && !options.profile_name.empty()) {
    std::fprintf(stderr, "flowpath-replay: --profile-name measures both; drop --empty-pipeline\n");
    return 2;
  }
  return flowpath::run_bench(options);
}
