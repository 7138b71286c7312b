#include "datapath/packet_executor.h"

#include <string>

#include "common/rcu.h"
#include "datapath/packet_processor.h"

namespace flowpath {

PacketExecutor::PacketExecutor()
    : pool_(std::make_unique<PacketPool>(256, 65536 + Packet::kDefaultHeadroom)),
      processor_(std::make_unique<PacketProcessor>(*pool_)) {}

PacketExecutor::~PacketExecutor() = default;

Result<ExecuteOutcome> PacketExecutor::execute(Datapath& dp, std::span<const uint8_t> frame,
                                               const PacketMetadata& md,
                                               std::span<const uint8_t> actions) {
  if (frame.size() < 14) {
    return make_error("packet of " + std::to_string(frame.size()) +
                      " bytes is shorter than an Ethernet header (14 bytes)");
  }
  Packet* packet = pool_->allocate();
  if (packet == nullptr) return make_error("no packet buffer available to execute");
  if (!packet->assign(frame.data(), static_cast<uint32_t>(frame.size()))) {
    pool_->release(packet);
    return make_error("packet of " + std::to_string(frame.size()) +
                      " bytes is larger than a packet buffer (" +
                      std::to_string(pool_->buffer_size() - Packet::kDefaultHeadroom) + " bytes)");
  }
  packet->md = md;
  PacketBatch batch;
  batch.add(packet);
  rcu::ReadSection section;
  return processor_->execute(dp, batch, actions);
}

}  // namespace flowpath
