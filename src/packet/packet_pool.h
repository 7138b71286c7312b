// A fixed set of packet buffers allocated once. Allocation and release are a
// pointer pop/push on a free list: no heap traffic per packet. A pool belongs
// to one thread (each forwarding thread owns its own); it is not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "packet/packet.h"

namespace flowpath {

class PacketPool {
 public:
  // `count` packets, each with `buffer_size` bytes (headroom + frame).
  PacketPool(uint32_t count, uint32_t buffer_size = 2048 + Packet::kDefaultHeadroom);
  ~PacketPool();
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // A packet with an empty frame, default headroom and reset metadata, or
  // nullptr when the pool is exhausted.
  Packet* allocate() {
    Packet* p = free_list_;
    if (p == nullptr) return nullptr;
    free_list_ = p->next_free_;
    --available_;
    p->data_offset_ = p->capacity_ > Packet::kDefaultHeadroom ? Packet::kDefaultHeadroom : 0;
    p->size_ = 0;
    p->reset_offsets();
    p->reset_metadata(0);
    p->rss_hash = 0;
    return p;
  }
  // Fills `out` with up to out.size() packets; returns how many.
  size_t allocate_bulk(std::span<Packet*> out);

  void release(Packet* p) {
    p->next_free_ = free_list_;
    free_list_ = p;
    ++available_;
  }

  // A new packet holding a copy of `p` (frame, offsets, metadata), or nullptr.
  Packet* clone(const Packet& p);

  uint32_t available() const { return available_; }
  uint32_t count() const { return count_; }
  uint32_t buffer_size() const { return buffer_size_; }

 private:
  uint32_t count_;
  uint32_t buffer_size_;
  uint32_t available_ = 0;
  std::unique_ptr<Packet[]> packets_;
  uint8_t* memory_ = nullptr;
  Packet* free_list_ = nullptr;
};

}  // namespace flowpath
