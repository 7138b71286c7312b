// Attaches an existing Linux interface through an AF_PACKET socket.
//
// Receive: a TPACKET_V3 ring shared with the kernel (mmap). The kernel fills
// blocks of frames; receive() walks the blocks the kernel has handed over,
// copies each frame into a pool packet and returns each block once walked.
// A partly filled block reaches userspace when it fills or after
// kBlockTimeoutMs, which bounds the added latency.
//   - promiscuous mode (PACKET_MR_PROMISC membership, dropped with the socket);
//   - PACKET_IGNORE_OUTGOING: frames sent on the interface (by this port,
//     another port or the host) are not received back; frames still marked
//     PACKET_OUTGOING (older kernels) are skipped and counted;
//   - the kernel takes the outer VLAN tag off into the frame header; it is put
//     back so the datapath sees the frame as it was on the wire;
//   - frames larger than a pool buffer, or cut short by the ring, are dropped
//     and counted in rx_dropped, as are the kernel's ring overruns.
// Partial checksums (TP_STATUS_CSUMNOTREADY, from checksum offload on the
// host side) are not completed yet: run with offloads off
// (`ethtool -K IF tx off tso off gso off`).
//
// Transmit: sendmmsg(), one system call per batch. It sends straight from
// the pool buffers (a TX ring would need an extra copy into the ring),
// reports each frame's failure synchronously so the error counters are exact,
// and needs no bookkeeping of ring slots the kernel still holds.
//
// The interface going down or away is not fatal: the port receives nothing,
// sends count errors, and take_pending_error() says what happened. An
// interface deleted and created again is not re-attached.
//
// Options: none.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "vport/netdev.h"
#include "vport/vport.h"

struct tpacket3_hdr;

namespace flowpath {

class AfPacketPort final : public Vport {
 public:
  static constexpr uint32_t kBlockSize = 1u << 17;  // fits any 64 KiB frame
  static constexpr uint32_t kBlockCount = 32;
  static constexpr uint32_t kBlockTimeoutMs = 1;

  static Result<std::unique_ptr<AfPacketPort>> open(const std::string& name,
                                                    const VportOptions& options);
  ~AfPacketPort() override;

  size_t receive(PacketPool& pool, PacketBatch& out) override;
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return fd_.get(); }
  uint32_t mtu() const override { return mtu_; }
  Status take_pending_error() override;

  // Frames marked PACKET_OUTGOING that reached the ring anyway and were
  // skipped: stays 0 where the kernel honours PACKET_IGNORE_OUTGOING.
  uint64_t outgoing_skipped() const { return outgoing_skipped_.load(std::memory_order_relaxed); }
  // Whether the kernel accepted PACKET_IGNORE_OUTGOING (Linux 4.20+).
  bool kernel_ignores_outgoing() const { return kernel_ignores_outgoing_; }

 private:
  enum class FrameVerdict { kDelivered, kSkipped, kDropped, kNoBuffer };

  AfPacketPort(std::string name, UniqueFd fd, int ifindex);
  Status set_up_socket();
  Status map_ring();

  uint8_t* block(uint32_t index) const { return ring_ + static_cast<size_t>(index) * kBlockSize; }
  // Opens the next block if the kernel handed it over; false when it did not.
  bool open_next_block();
  void return_block();
  FrameVerdict copy_frame(const tpacket3_hdr& frame, PacketPool& pool, PacketBatch& out,
                          uint64_t* bytes);
  // Adds the frames the kernel dropped for lack of ring space to rx_dropped.
  void collect_kernel_drops();

  UniqueFd fd_;
  int ifindex_;
  uint32_t mtu_ = 0;
  bool kernel_ignores_outgoing_ = false;

  // Receive ring and the walk's position in it (receive thread only).
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  uint32_t block_index_ = 0;
  bool block_open_ = false;
  uint32_t frames_left_ = 0;  // in the open block
  uint8_t* next_frame_ = nullptr;
  std::atomic<uint64_t> outgoing_skipped_{0};

  // sendmmsg() arguments, wired once (send thread only).
  std::array<mmsghdr, PacketBatch::kMaxSize> messages_;
  std::array<iovec, PacketBatch::kMaxSize> frames_;
};

}  // namespace flowpath
