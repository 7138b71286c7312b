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
  bool fits_mtu(const Packet& p) const {
    if (p.size() <= max_untagged_frame_) return true;
    if (p.size() > max_untagged_frame_ + kVlanTagSize) return false;
    const uint16_t type = static_cast<uint16_t>(p.data()[12] << 8 | p.data()[13]);
    return type == ethertype::kVlan8021Q || type == ethertype::kVlan8021AD;
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
    size_t sent = vport_->send(batch);
    tx_lock_.clear(std::memory_order_release);
    return sent;
  }

  rcu::DeferredFree deferred;  // for removal after a grace period

 private:
  static constexpr uint32_t kEthernetHeaderSize = 14;
  static constexpr uint32_t kVlanTagSize = 4;

  uint32_t port_no_;
  std::unique_ptr<Vport> vport_;
  VportSpec spec_;
  uint32_t max_untagged_frame_;
  std::atomic_flag tx_lock_ = ATOMIC_FLAG_INIT;
};

}  // namespace flowpath
