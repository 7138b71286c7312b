// Runs a packet the slow path or the control plane hands in (a missed packet,
// a packet-out) through an action list, in one thread's context. Each thread
// that executes owns one: the handler threads, the control path.
#pragma once

#include <memory>
#include <span>

#include "common/result.h"
#include "datapath/packet_processor.h"
#include "packet/packet.h"
#include "packet/packet_pool.h"

namespace flowpath {

class Datapath;

class PacketExecutor {
 public:
  PacketExecutor();
  ~PacketExecutor();
  PacketExecutor(const PacketExecutor&) = delete;
  PacketExecutor& operator=(const PacketExecutor&) = delete;

  // Runs `actions` on a copy of `frame` with metadata `md` (md.in_port is the
  // input port, which need not exist) and says what became of it. The frame
  // must be at least 14 bytes and fit a packet buffer. Takes its own RCU
  // read section.
  Result<ExecuteOutcome> execute(Datapath& dp, std::span<const uint8_t> frame,
                                 const PacketMetadata& md, std::span<const uint8_t> actions);

 private:
  std::unique_ptr<PacketPool> pool_;
  std::unique_ptr<PacketProcessor> processor_;
};

}  // namespace flowpath
