// A transmit-only port that counts what it is sent and frees it: the output
// side of the replay benchmark, costing as little as a real port can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

  // From now on, keeps a copy of the first `frames` frames it is sent (to
  // check what the datapath produced); 0, the default, keeps none.
  void keep_first(size_t frames) {
    kept_.clear();
    keep_ = frames;
  }
  const std::vector<std::vector<uint8_t>>& kept() const { return kept_; }

 private:
  void keep(const PacketBatch& batch);

  size_t keep_ = 0;
  std::vector<std::vector<uint8_t>> kept_;
};

}  // namespace flowpath
