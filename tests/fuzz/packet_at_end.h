// A fuzz target's frame at the very end of its pool's memory, so that
// AddressSanitizer catches any read past the frame.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "packet/packet_pool.h"

namespace flowpath::fuzz {

// A single-packet pool whose frame ends where the pool's memory ends.
struct PacketAtEnd {
  std::unique_ptr<PacketPool> pool;
  Packet* packet;

  PacketAtEnd(const uint8_t* frame, uint32_t n) {
    uint32_t buffer = (Packet::kDefaultHeadroom + n + 63) / 64 * 64;
    pool = std::make_unique<PacketPool>(1, buffer);
    packet = pool->allocate();
    packet->put(packet->tailroom());
    packet->pull(packet->size() - n);
    if (n > 0) std::memcpy(packet->data(), frame, n);
  }
  ~PacketAtEnd() { pool->release(packet); }
  PacketAtEnd(const PacketAtEnd&) = delete;
  PacketAtEnd& operator=(const PacketAtEnd&) = delete;
};

}  // namespace flowpath::fuzz
