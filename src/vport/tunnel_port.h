// A tunnel port (vxlan, geneve, gre): Open vSwitch's native tunnelling model, in which a
// tunnel port has no device. Packets reach it when a flow of the datapath
// decapsulates them (tnl_pop(port), which the datapath runs with this
// port's tunnel type), and leave through a tnl_push(...) the slow path built
// for it followed by an output to an underlay port. Its options say what
// the slow path puts in the outer header (tunnel/tunnel_config.h).
#pragma once

#include <memory>
#include <string>

#include "tunnel/tunnel_config.h"
#include "vport/vport.h"

namespace flowpath {

class TunnelPort final : public Vport {
 public:
  // Options as ovs-vsctl's options:KEY=VALUE (remote_ip=..., key=..., ...);
  // unsupported ones are refused by name.
  static Result<std::unique_ptr<TunnelPort>> create(VportKind kind, const std::string& name,
                                                    const VportOptions& options);

  const tunnel::TunnelConfig& config() const { return config_; }

  // Decapsulated packets entering the datapath here (any thread).
  void count_received(uint64_t packets, uint64_t bytes) { counters_.add_rx(packets, bytes); }

  // Nothing is received from a device: packets arrive through tnl_pop.
  size_t receive(PacketPool&, PacketBatch&) override { return 0; }
  // An output straight to a tunnel port has no device to go to (the slow
  // path emits tnl_push and an underlay output instead): the packets are
  // counted as transmit errors and released, as Open vSwitch's userspace
  // datapath fails such a send.
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return -1; }
  // No device MTU limits what enters the tunnel; the underlay port's does.
  uint32_t mtu() const override { return kMaxMtu; }

 private:
  static constexpr uint32_t kMaxMtu = 65535;
  TunnelPort(VportKind kind, std::string name, tunnel::TunnelConfig config)
      : Vport(kind, std::move(name)), config_(std::move(config)) {}

  tunnel::TunnelConfig config_;
};

// The tunnel type of a port kind, or nullopt for a port that is no tunnel.
std::optional<tunnel::TunnelType> tunnel_type_of(VportKind kind);

}  // namespace flowpath
