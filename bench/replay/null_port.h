// A transmit-only port that counts what it is sent and frees it: the output
// side of the replay benchmark, costing as little as a real port can. Like
// every port it refuses (tx_errors) runts and frames above its MTU.
#pragma once

#include <cstdint>
#include <string>

#include "vport/vport.h"

namespace flowpath {

class NullPort final : public Vport {
 public:
  explicit NullPort(std::string name) : Vport(VportKind::kPcap, std::move(name)) {}

  size_t receive(PacketPool&, PacketBatch&) override { return 0; }
  // Counts the packets it may send (vport.h) and their bytes, the others as
  // tx_errors; releases every packet and clears the batch.
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return kMtu; }

 private:
  static constexpr uint32_t kMtu = 65535;
};

}  // namespace flowpath
