// A two-port wire for the vport integration test: opens two afpacket ports
// and forwards every batch received on one to the other, until SIGTERM/SIGINT
// or the time limit. Prints "ready" once both ports are attached, and at the
// end one line of counters per port plus the elapsed time.
//
//   afpacket_bridge IFACE_A IFACE_B MAX_SECONDS
//
// With --flood it is the load generator instead: it sends 60-byte
// UDP/IPv4 frames (10.200.0.1:9 -> 10.200.0.2:9, to a MAC no host owns, so
// the receiver's stack discards them cheaply) through one afpacket port, a
// full batch per send(), for SECONDS.
//
//   afpacket_bridge --flood IFACE SECONDS
#include <poll.h>

#include <array>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "vport/afpacket_port.h"
#include "vport/vport.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

std::unique_ptr<flowpath::Vport> open_port(const char* name) {
  auto port = flowpath::create_vport(flowpath::VportKind::kAfPacket, name, {});
  if (!port) {
    std::fprintf(stderr, "afpacket_bridge: %s\n", port.error().c_str());
    std::exit(1);
  }
  return std::move(*port);
}

// Moves one batch from `from` to `to`; returns how many packets moved.
size_t forward(flowpath::Vport& from, flowpath::Vport& to, flowpath::PacketPool& pool) {
  flowpath::PacketBatch batch;
  size_t n = from.receive(pool, batch);
  if (n != 0) to.send(batch);
  return n;
}

void report_errors(flowpath::Vport& port) {
  flowpath::Status error = port.take_pending_error();
  if (!error) std::fprintf(stderr, "afpacket_bridge: %s\n", error.error().c_str());
}

// Ethernet + IPv4 + UDP with an 18-byte zero payload: 60 bytes, the minimum
// frame. IPv4 header checksum precomputed; UDP checksum 0 (none).
constexpr std::array<uint8_t, 60> kFloodFrame = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,  // eth
    0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x25, 0x2d,              // ipv4
    10,   200,  0,    1,    10,   200,  0,    2,                                           //
    0x00, 0x09, 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00,                                       // udp
};

void print_counters(flowpath::Vport& port) {
  flowpath::VportStats s = port.stats();
  auto& afpacket = static_cast<flowpath::AfPacketPort&>(port);
  std::printf(
      "port %s rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " rx_dropped=%" PRIu64
      " rx_errors=%" PRIu64 " tx_packets=%" PRIu64 " tx_bytes=%" PRIu64 " tx_dropped=%" PRIu64
      " tx_errors=%" PRIu64 " outgoing_skipped=%" PRIu64 " kernel_ignores_outgoing=%d\n",
      port.name().c_str(), s.rx_packets, s.rx_bytes, s.rx_dropped, s.rx_errors, s.tx_packets,
      s.tx_bytes, s.tx_dropped, s.tx_errors, afpacket.outgoing_skipped(),
      afpacket.kernel_ignores_outgoing() ? 1 : 0);
}

}  // namespace

int flood(const char* interface, int seconds) {
  auto port = open_port(interface);
  flowpath::PacketPool pool(256);
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(seconds);
  while (stop_requested == 0 && std::chrono::steady_clock::now() < deadline) {
    flowpath::PacketBatch batch;
    while (!batch.full()) {
      flowpath::Packet* packet = pool.allocate();
      packet->assign(kFloodFrame.data(), kFloodFrame.size());
      batch.add(packet);
    }
    port->send(batch);
  }
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_counters(*port);
  std::printf("elapsed_seconds=%.3f\n", elapsed);
  return 0;
}

int main(int argc, char** argv) {
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  if (argc == 4 && std::string(argv[1]) == "--flood") return flood(argv[2], std::atoi(argv[3]));
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: %s IFACE_A IFACE_B MAX_SECONDS\n"
                 "       %s --flood IFACE SECONDS\n",
                 argv[0], argv[0]);
    return 2;
  }
  auto a = open_port(argv[1]);
  auto b = open_port(argv[2]);
  a->set_port_no(1);
  b->set_port_no(2);
  // Large buffers beside the standard ones, as a forwarding thread's pool
  // has: super-frames from peers with offloads on.
  flowpath::PacketPool pool(4096, flowpath::PacketPool::kStandardBufferSize, 256);
  std::printf("ready\n");
  std::fflush(stdout);

  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(std::atoi(argv[3]));
  while (stop_requested == 0 && std::chrono::steady_clock::now() < deadline) {
    size_t moved = forward(*a, *b, pool) + forward(*b, *a, pool);
    if (moved != 0) continue;
    pollfd waits[2] = {{a->wait_fd(), POLLIN, 0}, {b->wait_fd(), POLLIN, 0}};
    if (::poll(waits, 2, 10) > 0) {
      if ((waits[0].revents & (POLLERR | POLLHUP)) != 0) report_errors(*a);
      if ((waits[1].revents & (POLLERR | POLLHUP)) != 0) report_errors(*b);
    }
  }
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_counters(*a);
  print_counters(*b);
  std::printf("elapsed_seconds=%.3f\n", elapsed);
  return 0;
}
