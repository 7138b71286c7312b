// A vport attached to a datapath under a port number.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/rcu.h"
#include "packet/headers.h"
#include "packet/packet.h"
#include "vport/vport.h"

namespace flowpath {

class DatapathPort {
 public:
  DatapathPort(uint32_t port_no, std::unique_ptr<Vport> vport, VportSpec spec)
      : port_no_(port_no),
        vport_(std::move(vport)),
        spec_(std::move(spec)),
        max_untagged_frame_(vport_->mtu() + kEthernetHeaderSize) {
    vport_->set_port_no(port_no);
  }

  uint32_t port_no() const { return port_no_; }
  Vport& vport() { return *vport_; }
  const Vport& vport() const { return *vport_; }
  const VportSpec& spec() const { return spec_; }

  // Does the frame fit the port's MTU? As in Linux's datapath, what follows
  // the Ethernet header, and one VLAN tag when the frame has one, must not
  // be larger than the MTU. Frames up to max_untagged_frame() always fit;
  // only larger ones need fits_mtu().
  uint32_t max_untagged_frame() const { return max_untagged_frame_; }
  // A super-frame (packet_offload.h) fits when each of its segments will.
  bool fits_mtu(const Packet& p) const {
    if (p.size() <= max_untagged_frame_) return true;
    if ((p.offload.needs & offload::kSegmentation) != 0) {
      const uint32_t segment = p.offload.l4_offset + segment_header_room(p) + p.offload.segment_size;
      return segment <= max_untagged_frame_ + (tagged(p) ? kVlanTagSize : 0);
    }
    if (p.size() > max_untagged_frame_ + kVlanTagSize) return false;
    return tagged(p);
  }

  // Sends a batch; returns how many packets the device took. Several
  // threads may send to one port (forwarding threads, handlers executing
  // packet-outs) while Vport::send() allows one at a time, so sends take the
  // port's transmit lock: once per batch, and uncontended with the default
  // single forwarding thread.
  size_t send(PacketBatch& batch) {
    while (tx_lock_.test_and_set(std::memory_order_acquire)) {
      __builtin_ia32_pause();
    }
    size_t sent = vport_->output(batch);
    tx_lock_.clear(std::memory_order_release);
    return sent;
  }

  rcu::DeferredFree deferred;  // for removal after a grace period

 private:
  static bool tagged(const Packet& p) {
    const uint16_t type = static_cast<uint16_t>(p.data()[12] << 8 | p.data()[13]);
    return type == ethertype::kVlan8021Q || type == ethertype::kVlan8021AD;
  }
  // The transport header's length in a super-frame's segments.
  static uint32_t segment_header_room(const Packet& p) {
    if ((p.offload.needs & offload::kUdpSegmentation) != 0) return 8;
    const uint32_t offset = p.offload.l4_offset + 12u;
    return offset < p.size() ? (p.data()[offset] >> 4) * 4u : 0;
  }

  static constexpr uint32_t kEthernetHeaderSize = 14;
  static constexpr uint32_t kVlanTagSize = 4;

  uint32_t port_no_;
  std::unique_ptr<Vport> vport_;
  VportSpec spec_;
  uint32_t max_untagged_frame_;
  std::atomic_flag tx_lock_ = ATOMIC_FLAG_INIT;
};

}  // namespace flowpath
