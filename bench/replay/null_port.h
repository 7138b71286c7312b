// A transmit-only port that counts what it is sent and frees it: the output
// side of the replay benchmark, costing as little as a real port can.
#pragma once

#include <cstdint>
#include <string>

#include "vport/vport.h"

namespace flowpath {

class NullPort final : public Vport {
 public:
  explicit NullPort(std::string name) : Vport(VportKind::kPcap, std::move(name)) {}

  size_t receive(PacketPool&, PacketBatch&) override { return 0; }
  // Counts every packet and its bytes, releases them and clears the batch.
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return 65535; }
};

}  // namespace flowpath
