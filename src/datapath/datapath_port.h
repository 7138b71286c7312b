// A vport attached to a datapath under a port number.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/rcu.h"
#include "vport/vport.h"

namespace flowpath {

class DatapathPort {
 public:
  DatapathPort(uint32_t port_no, std::unique_ptr<Vport> vport, VportSpec spec)
      : port_no_(port_no), vport_(std::move(vport)), spec_(std::move(spec)) {
    vport_->set_port_no(port_no);
  }

  uint32_t port_no() const { return port_no_; }
  Vport& vport() { return *vport_; }
  const Vport& vport() const { return *vport_; }
  const VportSpec& spec() const { return spec_; }

  // Sends a batch. Several threads may send to one port (forwarding threads,
  // handlers executing packet-outs) while Vport::send() allows one at a
  // time, so sends take the port's transmit lock: once per batch, and
  // uncontended with the default single forwarding thread.
  void send(PacketBatch& batch) {
    while (tx_lock_.test_and_set(std::memory_order_acquire)) {
      __builtin_ia32_pause();
    }
    vport_->send(batch);
    tx_lock_.clear(std::memory_order_release);
  }

  rcu::DeferredFree deferred;  // for removal after a grace period

 private:
  uint32_t port_no_;
  std::unique_ptr<Vport> vport_;
  VportSpec spec_;
  std::atomic_flag tx_lock_ = ATOMIC_FLAG_INIT;
};

}  // namespace flowpath
