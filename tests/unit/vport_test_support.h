// Frames and helpers shared by the vport tests: recognisable test frames,
// sending a list of frames through a port, receiving what a port delivers.
#pragma once

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "packet/packet_batch.h"
#include "packet/packet_pool.h"
#include "vport/vport.h"

namespace flowpath {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint16_t kTestEthertype = 0x88b5;  // IEEE local experimental: no stack consumes it

// dst 02:00:00:00:00:02, src 02:00:00:00:00:01, then the VLAN tags (TPID,
// TCI pairs), the test ethertype, a marker byte and filler up to `size`.
using VlanTags = std::vector<std::pair<uint16_t, uint16_t>>;  // (TPID, TCI), outermost first

Bytes make_frame(uint8_t marker, size_t size = 64, const VlanTags& tags = {}) {
  Bytes frame = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  for (auto [tpid, tci] : tags) {
    frame.insert(frame.end(), {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid),
                               static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)});
  }
  frame.insert(frame.end(), {kTestEthertype >> 8, kTestEthertype & 0xff, marker});
  for (size_t i = frame.size(); i < size; ++i) frame.push_back(static_cast<uint8_t>(i));
  return frame;
}

// The ethertype after any VLAN tags, and the marker byte after it.
bool is_test_frame(const Bytes& frame, uint8_t* marker) {
  size_t offset = 12;
  while (offset + 4 <= frame.size()) {
    uint16_t type = static_cast<uint16_t>(frame[offset] << 8 | frame[offset + 1]);
    if (type == 0x8100 || type == 0x88a8) {
      offset += 4;
      continue;
    }
    if (type != kTestEthertype || offset + 2 >= frame.size()) return false;
    *marker = frame[offset + 2];
    return true;
  }
  return false;
}

// Sends copies of `frames` through `port`, a full batch at a time.
size_t send_frames(Vport& port, PacketPool& pool, const std::vector<Bytes>& frames) {
  size_t sent = 0;
  PacketBatch batch;
  for (size_t i = 0; i < frames.size(); ++i) {
    Packet* packet = pool.allocate(static_cast<uint32_t>(frames[i].size()));
    EXPECT_NE(packet, nullptr);
    if (packet == nullptr) break;
    EXPECT_TRUE(packet->assign(frames[i].data(), static_cast<uint32_t>(frames[i].size())));
    batch.add(packet);
    if (batch.full() || i + 1 == frames.size()) {
      sent += port.send(batch);
      EXPECT_TRUE(batch.empty());
    }
  }
  return sent;
}

// Drains one receive() into byte vectors, releasing the packets.
std::vector<Bytes> receive_once(Vport& port, PacketPool& pool) {
  PacketBatch batch;
  port.receive(pool, batch);
  std::vector<Bytes> frames;
  for (Packet* packet : batch) {
    frames.emplace_back(packet->data(), packet->data() + packet->size());
    packet->pool()->release(packet);
  }
  return frames;
}

// Receives for up to `timeout` (sleeping on wait_fd()) and returns the test
// frames seen, in order; other traffic (the host's IPv6 chatter) is ignored.
// Returns as soon as `expected` test frames arrived.
std::vector<Bytes> receive_test_frames(Vport& port, PacketPool& pool, size_t expected,
                                       std::chrono::milliseconds timeout) {
  std::vector<Bytes> seen;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.size() < expected && std::chrono::steady_clock::now() < deadline) {
    for (Bytes& frame : receive_once(port, pool)) {
      uint8_t marker;
      if (is_test_frame(frame, &marker)) seen.push_back(std::move(frame));
    }
    pollfd wait = {port.wait_fd(), POLLIN, 0};
    ::poll(&wait, 1, 20);
  }
  return seen;
}

// A raw AF_PACKET socket on `name`, independent of the code under test.
int open_packet_socket(const std::string& name) {
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  sockaddr_ll address = {};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

}  // namespace
}  // namespace flowpath
