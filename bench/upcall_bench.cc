// Upcall throughput: how many new megaflows per second the slow path
// installs from datapath misses. A bridge with the default NORMAL rule gets
// frames from N distinct source MACs (a pcap port replaying them forever)
// and forwards them to a second port; every new source is a miss that the
// handler translates (learning the MAC), installs as a megaflow and
// executes. The figure is N divided by the time until all N megaflows are
// installed, end to end: forwarding thread, upcall queue, handler.
//
//   upcall_bench [--flows N] [--timeout SECONDS] [--direct] [--handler-threads N]
// --direct measures the slow path alone: the benchmark thread hands the
// upcalls straight to Ofproto::handle() (the upcall layer) in batches of 64, as a handler
// thread does, with no forwarding thread competing for the CPU.
// Needs root (the bridge's local port is a TAP device).
#include <pcap/pcap.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "datapath/datapath_interface.h"
#include "ofproto/ofproto.h"

using namespace flowpath;

namespace {

bool write_pcap(const std::string& path, unsigned flows) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (!dumper) {
    std::fprintf(stderr, "upcall_bench: %s: %s\n", path.c_str(), pcap_geterr(dead));
    pcap_close(dead);
    return false;
  }
  uint8_t frame[60] = {};
  // Destination: one unicast MAC that never sends, so every frame floods.
  const uint8_t dst[6] = {0x02, 0xee, 0, 0, 0, 1};
  std::memcpy(frame, dst, 6);
  frame[12] = 0x08;  // IPv4 / UDP
  frame[14] = 0x45;
  frame[16] = 0;
  frame[17] = 46;
  frame[22] = 64;
  frame[23] = 17;
  for (unsigned i = 0; i < flows; ++i) {
    uint8_t src[6] = {0x02, 0x10, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    std::memcpy(frame + 6, src, 6);
    pcap_pkthdr header{};
    header.caplen = header.len = sizeof frame;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame);
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned flows = 100000;
  double timeout_s = 30;
  bool direct = false;
  unsigned handler_threads = 0;  // flowpathd's default: from the cores available
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--direct") direct = true;
    else if (arg == "--flows" && i + 1 < argc) flows = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (arg == "--timeout" && i + 1 < argc) timeout_s = std::atof(argv[++i]);
    else if (arg == "--handler-threads" && i + 1 < argc)
      handler_threads = static_cast<unsigned>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr,
                   "usage: upcall_bench [--flows N] [--timeout SECONDS] [--direct] "
                   "[--handler-threads N]\n");
      return 2;
    }
  }
  if (flows == 0 || flows > 190000) {
    std::fprintf(stderr, "upcall_bench: --flows must be 1..190000 (the datapath holds 200,000)\n");
    return 2;
  }
  std::string dir = "/tmp/upcall_bench." + std::to_string(getpid());
  std::string rx = dir + "/rx.pcap";
  if (std::system(("mkdir -p " + dir).c_str()) != 0 || !write_pcap(rx, flows)) return 1;

  ofproto::OfprotoOptions options;
  if (std::getenv("UPCALL_BENCH_NO_REVALIDATOR")) options.revalidate_interval_ms = 600000;
  auto ofproto = std::make_shared<ofproto::Ofproto>(options);
  DatapathConfig config;
  config.upcall_handler = ofproto->upcall_handler();
  config.upcall_depth_per_port = 4096;
  config.handler_threads = handler_threads;
  DatapathInterface dpif(config);
  ofproto->attach(dpif);
  const std::string br = "upbench" + std::to_string(getpid() % 10000);
  auto check = [](const Status& st, const char* what) {
    if (!st.ok()) {
      std::fprintf(stderr, "upcall_bench: %s: %s\n", what, st.error().c_str());
      std::exit(1);
    }
  };
  check(ofproto->add_bridge(br), "add-br");
  check(ofproto->set_port_admin(br, "LOCAL", false), "LOCAL down");
  check(ofproto->set_mac_table(br, flows * 2, std::nullopt), "mac table size");
  auto out_port = ofproto::parse_port_settings("out0", {"type=pcap", "tx=/dev/null"});
  if (!out_port.ok()) { std::fprintf(stderr, "%s\n", out_port.error().c_str()); return 1; }
  auto r2 = ofproto->add_port(br, *out_port);
  if (!r2.ok()) { std::fprintf(stderr, "upcall_bench: add-port out0: %s\n", r2.error().c_str()); return 1; }

  if (direct) {
    auto in_port = ofproto::parse_port_settings("in0", {"type=pcap", "tx=/dev/null"});
    auto r1 = ofproto->add_port(br, *in_port);
    if (!r1.ok()) { std::fprintf(stderr, "upcall_bench: add-port in0: %s\n", r1.error().c_str()); return 1; }
    auto dp = dpif.open_handle(br);
    if (!dp.ok()) { std::fprintf(stderr, "upcall_bench: %s\n", dp.error().c_str()); return 1; }
    std::vector<Upcall> upcalls(flows);
    uint8_t frame[60] = {};
    const uint8_t dst[6] = {0x02, 0xee, 0, 0, 0, 1};
    std::memcpy(frame, dst, 6);
    frame[12] = 0x08;
    for (unsigned i = 0; i < flows; ++i) {
      Upcall& u = upcalls[i];
      u.type = UpcallType::kMiss;
      u.in_port = *r1;
      uint8_t src[6] = {0x02, 0x10, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
      std::memcpy(frame + 6, src, 6);
      u.packet.assign(frame, frame + sizeof frame);
      u.key.clear();
      u.key.md.in_port = *r1;
      std::memcpy(u.key.eth_src.bytes, src, 6);
      std::memcpy(u.key.eth_dst.bytes, dst, 6);
      u.key.eth_type = hton16(0x0800);
    }
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < upcalls.size(); i += 64) {
      size_t n = std::min<size_t>(64, upcalls.size() - i);
      ofproto->handle(**dp, std::span<Upcall>(upcalls.data() + i, n));
    }
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto s = ofproto->stats();
    std::printf("upcall_bench --direct: %u distinct sources, NORMAL rule, batches of 64\n", flows);
    std::printf("  megaflows installed: %lu in %.3f s -> %.0f flows/s (%.2f us per upcall)\n",
                s.flows_installed, t, static_cast<double>(s.flows_installed) / t,
                t * 1e6 / static_cast<double>(flows));
    ofproto->stop();
    (void)ofproto->del_bridge(br);
    std::system(("rm -rf " + dir).c_str());
    return s.flows_installed >= flows ? 0 : 1;
  }

  auto in_port = ofproto::parse_port_settings("in0", {"type=pcap", "rx=" + rx, "loop=0"});
  if (!in_port.ok()) { std::fprintf(stderr, "%s\n", in_port.error().c_str()); return 1; }
  auto start = std::chrono::steady_clock::now();
  auto r1 = ofproto->add_port(br, *in_port);
  if (!r1.ok()) { std::fprintf(stderr, "upcall_bench: add-port in0: %s\n", r1.error().c_str()); return 1; }

  uint64_t installed = 0;
  double elapsed = 0;
  double half_time = 0;
  while (true) {
    installed = ofproto->stats().flows_installed;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (half_time == 0 && installed >= flows / 2) half_time = elapsed;
    if (installed >= flows || elapsed > timeout_s) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto s = ofproto->stats();
  auto dp = dpif.datapath_stats(br);
  std::printf("upcall_bench: %u distinct sources, NORMAL rule, %u handler thread(s)\n", flows,
              dpif.handler_threads());
  std::printf("  megaflows installed: %lu in %.3f s -> %.0f flows/s (first half: %.0f flows/s)\n",
              installed, elapsed, static_cast<double>(installed) / elapsed,
              half_time > 0 ? (flows / 2) / half_time : 0.0);
  std::printf("  upcalls handled: %lu, install failures: %lu\n", s.upcalls, s.install_failures);
  if (dp.ok())
    std::printf("  datapath: hits %lu, missed %lu, lost %lu\n", dp->hit, dp->missed, dp->lost);
  ofproto->stop();
  (void)ofproto->del_bridge(br);
  std::system(("rm -rf " + dir).c_str());
  return installed >= flows ? 0 : 1;
}
