#include "packet/packet_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <new>

namespace flowpath {

namespace {
constexpr size_t kCacheLine = 64;
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
}  // namespace

PacketPool::PacketPool(uint32_t count, uint32_t buffer_size, uint32_t large_count)
    : count_(count), buffer_size_(static_cast<uint32_t>(round_up(buffer_size, kCacheLine))),
      default_headroom_(buffer_size_ > Packet::kDefaultHeadroom ? Packet::kDefaultHeadroom : 0),
      packets_(new Packet[count]) {
  if (large_count != 0) {
    larger_ = std::make_unique<PacketPool>(large_count, kLargeBufferSize);
    larger_->first_class_ = this;
  }
  max_frame_size_ = larger_ != nullptr && larger_->max_frame_size() > frame_capacity()
                        ? larger_->max_frame_size()
                        : frame_capacity();
  // Anonymous memory is zero pages until written: buffers cost resident
  // memory only once a frame has used them.
  memory_size_ = std::max<size_t>(static_cast<size_t>(buffer_size_) * count_, kCacheLine);
  void* memory = ::mmap(nullptr, memory_size_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  memory_ = static_cast<uint8_t*>(memory);
  // Push in reverse so the first allocation returns packet 0 (friendlier to caches).
  for (uint32_t i = count_; i-- > 0;) {
    Packet& p = packets_[i];
    p.buffer_ = memory_ + static_cast<size_t>(i) * buffer_size_;
    p.capacity_ = buffer_size_;
    p.pool_ = this;
    release(&p);
  }
}

PacketPool::~PacketPool() { ::munmap(memory_, memory_size_); }

size_t PacketPool::allocate_bulk(std::span<Packet*> out) {
  size_t n = 0;
  for (; n < out.size(); ++n) {
    Packet* p = allocate();
    if (p == nullptr) break;
    out[n] = p;
  }
  return n;
}

Packet* PacketPool::clone(const Packet& src) {
  // The copy keeps the original's headroom, or the default one when that
  // lets it stay in this class.
  uint32_t headroom = src.data_offset_;
  if (headroom + src.size_ > buffer_size_) headroom = default_headroom_;
  if (headroom + src.size_ > buffer_size_) {
    return larger_ != nullptr ? larger_->clone(src) : nullptr;
  }
  Packet* p = allocate();
  if (p == nullptr) return nullptr;
  p->data_offset_ = headroom;
  p->size_ = src.size_;
  std::memcpy(p->data(), src.data(), src.size_);
  p->l2_5_offset = src.l2_5_offset;
  p->l3_offset = src.l3_offset;
  p->l4_offset = src.l4_offset;
  p->md = src.md;
  std::memcpy(p->geneve_options, src.geneve_options, src.md.tunnel.geneve_length);
  p->rss_hash = src.rss_hash;
  p->offload = src.offload;
  return p;
}

}  // namespace flowpath
