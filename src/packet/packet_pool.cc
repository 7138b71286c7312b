#include "packet/packet_pool.h"

#include <cstdlib>
#include <new>

namespace flowpath {

namespace {
constexpr size_t kCacheLine = 64;
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
}  // namespace

PacketPool::PacketPool(uint32_t count, uint32_t buffer_size)
    : count_(count), buffer_size_(static_cast<uint32_t>(round_up(buffer_size, kCacheLine))),
      packets_(new Packet[count]) {
  size_t bytes = static_cast<size_t>(buffer_size_) * count_;
  memory_ = static_cast<uint8_t*>(std::aligned_alloc(kCacheLine, bytes == 0 ? kCacheLine : bytes));
  if (memory_ == nullptr) throw std::bad_alloc();
  // Push in reverse so the first allocation returns packet 0 (friendlier to caches).
  for (uint32_t i = count_; i-- > 0;) {
    Packet& p = packets_[i];
    p.buffer_ = memory_ + static_cast<size_t>(i) * buffer_size_;
    p.capacity_ = buffer_size_;
    p.pool_ = this;
    release(&p);
  }
}

PacketPool::~PacketPool() { std::free(memory_); }

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
  Packet* p = allocate();
  if (p == nullptr) return nullptr;
  p->data_offset_ = src.data_offset_ <= p->capacity_ ? src.data_offset_ : 0;
  if (p->data_offset_ + src.size_ > p->capacity_) {
    release(p);
    return nullptr;
  }
  p->size_ = src.size_;
  std::memcpy(p->data(), src.data(), src.size_);
  p->l2_5_offset = src.l2_5_offset;
  p->l3_offset = src.l3_offset;
  p->l4_offset = src.l4_offset;
  p->md = src.md;
  std::memcpy(p->geneve_options, src.geneve_options, src.md.tunnel.geneve_length);
  p->rss_hash = src.rss_hash;
  return p;
}

}  // namespace flowpath
