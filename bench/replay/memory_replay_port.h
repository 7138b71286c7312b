// A receive-only port that replays frames held in memory, for the replay
// benchmark. Each receive() does what a real receive does per packet: takes
// a buffer from the pool and copies the frame into it, so the datapath sees
// the same memory traffic it would with a NIC ring. It loops over its frames
// forever and never blocks.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "vport/vport.h"

namespace flowpath {

class MemoryReplayPort final : public Vport {
 public:
  // Loads every frame of an Ethernet (EN10MB) capture file. Frames captured
  // shorter than they were on the wire are an error: replaying a truncated
  // frame would measure different traffic than the file describes.
  static Result<std::unique_ptr<MemoryReplayPort>> load(const std::string& name,
                                                        const std::string& pcap_path);
  // Replays the given frames (tests, generated traffic).
  MemoryReplayPort(std::string name, const std::vector<std::vector<uint8_t>>& frames);

  size_t receive(PacketPool& pool, PacketBatch& out) override;
  // Receive-only: anything sent here is counted as dropped and released.
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return -1; }
  uint32_t mtu() const override { return 65535; }

  size_t frame_count() const { return frames_.size(); }
  uint64_t total_bytes() const { return bytes_.size(); }

 private:
  struct FrameRef {
    uint64_t offset;
    uint32_t length;
  };
  explicit MemoryReplayPort(std::string name);
  void append_frame(std::span<const uint8_t> frame);

  // All frames back to back in one allocation, as a capture file holds them.
  std::vector<uint8_t> bytes_;
  std::vector<FrameRef> frames_;
  size_t next_ = 0;  // the frame the next receive starts with
};

}  // namespace flowpath
