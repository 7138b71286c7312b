// A packet buffer: headroom for pushed encapsulations, the frame, the layer
// offsets the parser found and the datapath metadata that travels with it.
// Packets live in a PacketPool; nothing here allocates.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "packet/packet_offload.h"
#include "packet/tunnel_metadata.h"

namespace flowpath {

class PacketPool;

// Connection-tracking original-direction tuple (IPv4 uses the first 4 bytes
// of each address).
struct ConntrackTuple {
  uint8_t src[16];
  uint8_t dst[16];
  be16 src_port;
  be16 dst_port;
  uint8_t proto;
  uint8_t pad[3];
};
static_assert(sizeof(ConntrackTuple) == 40);

// The datapath metadata of a packet. FlowKey embeds exactly this struct, so
// key extraction copies it in one go; keep it free of pointers and padding
// holes (they would be hashed).
struct PacketMetadata {
  TunnelMetadata tunnel;
  uint32_t in_port;
  uint32_t skb_priority;
  uint32_t skb_mark;
  uint32_t recirc_id;
  uint32_t dp_hash;
  uint32_t ct_state;       // odp::CtStateBits
  uint16_t ct_zone;
  uint16_t pad0;
  uint32_t ct_mark;
  uint8_t ct_label[16];
  ConntrackTuple ct_orig_tuple;
  be32 packet_type;        // (namespace << 16) | type, network order; 0 = Ethernet
  uint32_t pad1;
};
static_assert(sizeof(PacketMetadata) == 168);

class Packet {
 public:
  static constexpr uint16_t kNoOffset = 0xffff;
  static constexpr uint32_t kDefaultHeadroom = 192;

  // Frame bytes.
  uint8_t* data() { return buffer_ + data_offset_; }
  const uint8_t* data() const { return buffer_ + data_offset_; }
  uint32_t size() const { return size_; }
  uint32_t headroom() const { return data_offset_; }
  uint32_t tailroom() const { return capacity_ - data_offset_ - size_; }
  uint32_t capacity() const { return capacity_; }

  // Grows the frame at the front by n bytes (n <= headroom()) and returns the new start.
  uint8_t* push(uint32_t n) {
    assert(n <= data_offset_);
    data_offset_ -= n;
    size_ += n;
    shift_offsets(static_cast<int>(n));
    return data();
  }
  // Removes n bytes from the front (n <= size()).
  void pull(uint32_t n) {
    assert(n <= size_);
    data_offset_ += n;
    size_ -= n;
    shift_offsets(-static_cast<int>(n));
  }
  // Appends n bytes at the end (n <= tailroom()) and returns where they start.
  uint8_t* put(uint32_t n) {
    assert(n <= tailroom());
    uint8_t* p = data() + size_;
    size_ += n;
    return p;
  }
  // Cuts the frame to n bytes. A cut super-frame is no longer one; a partial
  // checksum whose field is cut off is dropped with it.
  void truncate(uint32_t n) {
    if (n >= size_) return;
    size_ = n;
    if (offload.needs != 0) [[unlikely]] {
      offload.needs &= static_cast<uint8_t>(~offload::kSegmentation);
      if (offload.l4_offset + offload.checksum_offset + 2u > n) offload.clear();
    }
  }
  // Replaces the frame with a copy of [bytes, bytes+n), keeping the default
  // headroom. Returns false (frame unchanged) when it does not fit.
  bool assign(const void* bytes, uint32_t n) {
    uint32_t headroom = capacity_ > kDefaultHeadroom ? kDefaultHeadroom : 0;
    if (n > capacity_ - headroom) return false;
    data_offset_ = headroom;
    size_ = n;
    if (n != 0) std::memcpy(data(), bytes, n);
    reset_offsets();
    return true;
  }

  // Layer offsets from data(), kNoOffset when absent. Set by the parser.
  uint16_t l2_5_offset = kNoOffset;  // first MPLS label
  uint16_t l3_offset = kNoOffset;
  uint16_t l4_offset = kNoOffset;
  void reset_offsets() { l2_5_offset = l3_offset = l4_offset = kNoOffset; }
  const uint8_t* l3() const { return l3_offset == kNoOffset ? nullptr : data() + l3_offset; }
  const uint8_t* l4() const { return l4_offset == kNoOffset ? nullptr : data() + l4_offset; }
  uint8_t* l3() { return l3_offset == kNoOffset ? nullptr : data() + l3_offset; }
  uint8_t* l4() { return l4_offset == kNoOffset ? nullptr : data() + l4_offset; }

  // Resets metadata for a packet received on `port`.
  void reset_metadata(uint32_t port) {
    // A copy from a zero object compiles to a few vector stores; a memset of
    // this size becomes `rep stos`, which the replay profile showed costing
    // most of the per-packet receive time.
    static constexpr PacketMetadata kZero{};
    __builtin_memcpy(static_cast<void*>(&md), &kZero, sizeof md);
    md.in_port = port;
  }

  PacketMetadata md = {};
  // Geneve options of the tunnel the packet came from: the first
  // md.tunnel.geneve_length bytes are valid, the rest is garbage.
  uint8_t geneve_options[kGeneveMaxLength];
  uint32_t rss_hash = 0;  // 0: not computed
  PacketOffload offload;  // what the sender left to the device (packet_offload.h)

  PacketPool* pool() const { return pool_; }

 private:
  friend class PacketPool;
  void shift_offsets(int delta) {
    if (l2_5_offset != kNoOffset) l2_5_offset = static_cast<uint16_t>(l2_5_offset + delta);
    if (l3_offset != kNoOffset) l3_offset = static_cast<uint16_t>(l3_offset + delta);
    if (l4_offset != kNoOffset) l4_offset = static_cast<uint16_t>(l4_offset + delta);
    if (offload.needs != 0) [[unlikely]] offload.shift(delta);
  }

  uint8_t* buffer_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t data_offset_ = 0;
  uint32_t size_ = 0;
  PacketPool* pool_ = nullptr;
  Packet* next_free_ = nullptr;
};

}  // namespace flowpath
