// A fixed set of packet buffers allocated once. Allocation and release are a
// pointer pop/push on a free list: no heap traffic per packet. A pool belongs
// to one thread (each forwarding thread owns its own); it is not thread-safe.
//
// Size classes. A pool is one class of equal buffers and may chain a pool of
// larger ones (`large_count` buffers for frames up to kLargeFrameSize): the
// standard class holds every frame of the usual 1500-byte MTU and is all the
// fast path touches for such traffic; the large class holds jumbo frames
// (MTU 9000 and beyond) and the 64 KB super-frames of ports that take
// segmentation offloads. allocate(frame_size) takes the first class whose
// buffers fit the frame. A packet remembers its class's pool, so
// `p->pool()->release(p)` returns it to the right free list at no extra cost.
// The large class's memory is mapped but never touched until a frame uses
// it: a pool costs resident memory only for the buffers traffic has used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "packet/packet.h"

namespace flowpath {

class PacketPool {
 public:
  // Frame bytes a standard buffer holds after the default headroom: a
  // 1500-byte MTU frame with Ethernet header and tags, with room to spare.
  static constexpr uint32_t kStandardFrameSize = 2048;
  static constexpr uint32_t kStandardBufferSize = kStandardFrameSize + Packet::kDefaultHeadroom;
  // The largest frame a large buffer holds after the default headroom: an
  // IP packet of 65,535 bytes with its Ethernet header and two VLAN tags
  // (65,557 bytes), rounded up so that the buffer is whole cache lines.
  static constexpr uint32_t kLargeFrameSize = 65600;
  static constexpr uint32_t kLargeBufferSize = kLargeFrameSize + Packet::kDefaultHeadroom;
  static_assert(kLargeFrameSize >= 65535 + 14 + 2 * 4 && kLargeBufferSize % 64 == 0);

  // `count` packets, each with `buffer_size` bytes (headroom + frame), and,
  // when `large_count` is not 0, a chained class of that many large buffers.
  explicit PacketPool(uint32_t count, uint32_t buffer_size = kStandardBufferSize,
                      uint32_t large_count = 0);
  ~PacketPool();
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  // A packet of this class with an empty frame, default headroom and reset
  // metadata, or nullptr when the class is exhausted.
  Packet* allocate() {
    Packet* p = free_list_;
    if (p == nullptr) return nullptr;
    free_list_ = p->next_free_;
    --available_;
    p->data_offset_ = default_headroom_;
    p->size_ = 0;
    p->reset_offsets();
    p->reset_metadata(0);
    p->rss_hash = 0;
    p->offload.clear();
    return p;
  }
  // As allocate(), from the first class whose buffers hold `frame_size`
  // bytes after the default headroom. nullptr when that class is exhausted
  // (the frame may wait for buffers to come back) or when no class is large
  // enough (check max_frame_size() first to tell the two apart).
  Packet* allocate(uint32_t frame_size) {
    if (frame_size <= frame_capacity()) [[likely]] return allocate();
    return larger_ != nullptr ? larger_->allocate(frame_size) : nullptr;
  }
  // Fills `out` with up to out.size() packets of this class; returns how many.
  size_t allocate_bulk(std::span<Packet*> out);

  // Returns `p` to the free list of its own class, whichever pool of the
  // chain this is called on.
  void release(Packet* p) {
    PacketPool* own = p->pool_;
    p->next_free_ = own->free_list_;
    own->free_list_ = p;
    ++own->available_;
  }

  // A new packet holding a copy of `p` (frame, offsets, metadata, and the
  // headroom in front of the frame), from the first class that fits it, or
  // nullptr.
  Packet* clone(const Packet& p);

  // This class.
  uint32_t available() const { return available_; }
  uint32_t count() const { return count_; }
  uint32_t buffer_size() const { return buffer_size_; }
  // The largest frame a buffer of this class holds after the default headroom.
  uint32_t frame_capacity() const { return buffer_size_ - default_headroom_; }
  // The next larger class, or nullptr.
  PacketPool* larger() const { return larger_.get(); }
  // The first (smallest) class of the chain this class belongs to: where
  // allocate(frame_size) starts for frames of any size.
  PacketPool& first_class() { return *first_class_; }
  // The largest frame allocate(frame_size) can ever satisfy.
  uint32_t max_frame_size() const { return max_frame_size_; }

 private:
  uint32_t count_;
  uint32_t buffer_size_;
  uint32_t default_headroom_;
  uint32_t max_frame_size_;
  uint32_t available_ = 0;
  std::unique_ptr<Packet[]> packets_;
  uint8_t* memory_ = nullptr;
  size_t memory_size_ = 0;
  Packet* free_list_ = nullptr;
  std::unique_ptr<PacketPool> larger_;
  PacketPool* first_class_ = this;
};

}  // namespace flowpath
