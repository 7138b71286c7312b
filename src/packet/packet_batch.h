// Up to 32 packets that move through every stage together.
#pragma once

#include <array>
#include <cstddef>

#include "packet/packet.h"

namespace flowpath {

class PacketBatch {
 public:
  static constexpr size_t kMaxSize = 32;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == kMaxSize; }
  // Appends p; returns false (batch unchanged) when full.
  bool add(Packet* p) {
    if (size_ == kMaxSize) return false;
    packets_[size_++] = p;
    return true;
  }
  void clear() { size_ = 0; }
  // Sets the size after packets were written through data() (n <= kMaxSize).
  void resize(size_t n) { size_ = n; }

  Packet* operator[](size_t i) const { return packets_[i]; }
  Packet** data() { return packets_.data(); }
  Packet* const* begin() const { return packets_.data(); }
  Packet* const* end() const { return packets_.data() + size_; }

 private:
  std::array<Packet*, kMaxSize> packets_;
  size_t size_ = 0;
};

}  // namespace flowpath
