// Attaches an existing Linux interface through an AF_PACKET socket.
//
// Receive: a TPACKET_V2 ring of fixed-size slots shared with the kernel
// (mmap), sized for the MTU. The kernel marks each slot the user's as soon
// as its frame is in and wakes a thread sleeping in poll() on wait_fd() for
// it, so a lone frame is seen within microseconds (TPACKET_V3 hands frames
// over a block at a time, which for a lone frame means its block timer,
// about a millisecond). Under load receive() walks the filled slots, up to
// a batch, without a system call: batching comes from the ring, not from a
// delay. A frame larger than a slot (a super-frame, or a frame above the
// MTU) reaches the ring cut short, marked TP_STATUS_COPY, with the whole
// frame queued on the socket beside it (PACKET_COPY_THRESH): receive()
// reads that one with recvmsg(). Each frame is copied into a pool packet
// and its slot returned at once.
//   - promiscuous mode (PACKET_MR_PROMISC membership, dropped with the socket);
//   - PACKET_IGNORE_OUTGOING: frames sent on the interface (by this port,
//     another port or the host) are not received back; frames still marked
//     PACKET_OUTGOING (older kernels) are skipped and counted;
//   - the kernel takes the outer VLAN tag off into the frame header; it is put
//     back so the datapath sees the frame as it was on the wire;
//   - frames of any size up to 64 KiB are delivered (the pool's size class
//     that fits them, packet_pool.h); runts are dropped (vport.h); a frame
//     left cut short (the socket's queue was full) is dropped and counted
//     in rx_dropped, as are the kernel's ring overruns.
// Offloads (offloads=on, the default): the socket speaks virtio-net headers
// (PACKET_VNET_HDR, virtio_net_header.h). A frame whose sender left its
// checksum partial or that is a TSO/GSO super-frame (up to 64 KiB, as a
// veth with default settings hands them over) keeps that state as packet
// metadata (packet_offload.h); sent back through such a port it goes with
// its header and the kernel finishes it, through any other port it is
// finished in software (Vport::output). offloads=off: frames as they are,
// without headers (partial checksums and super-frames then need
// `ethtool -K IF tx off tso off gso off` on the peer).
//
// Transmit (tx_ring=on, the default without offloads): a TPACKET_V2
// transmit ring of `tx_frames` fixed-size slots, mapped together with the
// receive ring. send() copies the batch into the
// slots, marks them TP_STATUS_SEND_REQUEST and kicks the kernel with one
// sendto() per batch; the kernel walks the slots in order from its own
// position, which this port mirrors (tx_head_). A slot stays the kernel's
// until the frame has left (TP_STATUS_SENDING). Outcomes, read back from the
// slots' status right after the kick:
//   - taken by the kernel: tx_packets / tx_bytes;
//   - TP_STATUS_WRONG_FORMAT (too long for the MTU, shorter than an Ethernet
//     header): tx_errors. The kernel stops at such a slot, so it and the
//     slots behind it are taken back and the frames behind it queued again;
//   - refused by the device (ENOBUFS; the kernel leaves the slot queued):
//     tx_dropped, and the frames behind it queued again;
//   - no free slot (the kernel still holds the next one) or no socket-buffer
//     room: the rest of the batch is tx_dropped at once, never waited for;
//   - interface down or gone: every frame not taken is a tx_error.
// Frames are sent as they are, VLAN tags inline; the kernel allows 4 bytes
// beyond the MTU for a frame whose outer tag is 802.1Q. Slots are sized for
// the MTU set or read at open (plus Ethernet header and one tag); a larger
// frame is a tx_error without reaching the kernel. Frames keep going through
// the device's qdisc (no PACKET_QDISC_BYPASS), as with sendmmsg().
//
// Transmit (tx_ring=off): sendmmsg(), one system call per batch, straight
// from the pool buffers; each frame's failure is reported synchronously.
// With offloads this is the default: the ring's fixed slots are sized for
// the MTU, so a port with tx_ring=on takes partial checksums but has
// super-frames segmented in software.
//
// The interface going down or away is not fatal: the port receives nothing,
// sends count errors, and take_pending_error() says what happened. An
// interface deleted and created again is not re-attached.
//
// Options: mtu=N (68..65535) sets the interface's MTU when the port opens
// (Open vSwitch's mtu_request; without it the interface keeps its own);
// offloads=on|off (on); tx_ring=on|off (off with offloads, on without),
// tx_frames=N (power of two, 64..65536, 256; only with tx_ring=on).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "vport/netdev.h"
#include "vport/virtio_net_header.h"
#include "vport/vport.h"

struct tpacket2_hdr;

namespace flowpath {

// The port's options, validated.
struct AfPacketConfig {
  uint32_t mtu = 0;  // 0: keep the interface's
  bool offloads = true;
  bool tx_ring = false;
  uint32_t tx_frames = 256;
};

// Checks the options of afpacket port `name` (no system call).
Result<AfPacketConfig> parse_afpacket_options(std::string_view name, const VportOptions& options);

class AfPacketPort final : public Vport {
 public:
  // The receive ring takes about this much memory; at least kMinRxFrames slots.
  static constexpr uint32_t kRxRingBytes = 4u << 20;
  static constexpr uint32_t kMinRxFrames = 64;
  // Socket buffer for frames that do not fit a slot (super-frames): room
  // for a few dozen 64 KiB ones.
  static constexpr int kReceiveBufferBytes = 4 << 20;

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
  // Whether frames move with virtio-net headers (offloads=on).
  bool offloads() const { return vnet_header_size_ != 0; }
  // The receive ring's slots and the size of each.
  uint32_t rx_frames() const { return rx_frame_count_; }
  uint32_t rx_frame_size() const { return rx_frame_size_; }
  // Whether send() goes through the transmit ring (tx_ring=on).
  bool uses_tx_ring() const { return tx_ring_ != nullptr; }
  // The transmit ring's slots and the largest frame one holds (0 without a ring).
  uint32_t tx_frames() const { return tx_frame_count_; }
  uint32_t tx_frame_capacity() const { return tx_frame_capacity_; }

 private:
  enum class FrameVerdict { kDelivered, kSkipped, kDropped, kRunt, kNoBuffer };

  AfPacketPort(std::string name, UniqueFd fd, int ifindex);
  Status set_up_socket(const AfPacketConfig& config);
  Status map_rings(const AfPacketConfig& config);

  tpacket2_hdr* rx_slot(uint32_t index) const;
  FrameVerdict copy_frame(const tpacket2_hdr& slot, PacketPool& pool, PacketBatch& out,
                          uint64_t* bytes);
  // The whole frame of a TP_STATUS_COPY slot, from the socket's queue.
  FrameVerdict read_queued_frame(const tpacket2_hdr& slot, PacketPool& pool, PacketBatch& out,
                                 uint64_t* bytes);
  // Drops the frame queued beside a TP_STATUS_COPY slot that is not delivered.
  void discard_queued_frame();
  // Adds the frames the kernel dropped for lack of ring space to rx_dropped.
  void collect_kernel_drops();

  size_t send_through_ring(PacketBatch& batch);
  size_t send_with_sendmmsg(PacketBatch& batch);
  // Releases the batch's packets, clears it and adds the outcome to the counters.
  void finish_send(PacketBatch& batch, size_t sent, uint64_t bytes, uint64_t dropped,
                   uint64_t errors);
  tpacket2_hdr* tx_slot(uint32_t index) const;
  uint32_t tx_index_after(uint32_t index, uint32_t steps) const {
    return (index + steps) & (tx_frame_count_ - 1);
  }

  UniqueFd fd_;
  int ifindex_;
  uint32_t mtu_ = 0;
  uint32_t vnet_header_size_ = 0;  // kVirtioNetHeaderSize with offloads=on
  bool kernel_ignores_outgoing_ = false;

  // One mapping: the receive ring, then the transmit ring when there is one.
  uint8_t* mapping_ = nullptr;
  size_t mapping_size_ = 0;

  // Receive ring and the slot the kernel fills next (receive thread only).
  uint8_t* rx_ring_ = nullptr;
  uint32_t rx_frame_count_ = 0;  // a power of two
  uint32_t rx_frame_size_ = 0;
  uint32_t rx_head_ = 0;
  std::atomic<uint64_t> outgoing_skipped_{0};

  // Transmit ring (send thread only): tx_head_ is the slot the kernel looks
  // at next, so the next one to fill.
  uint8_t* tx_ring_ = nullptr;
  uint32_t tx_frame_count_ = 0;  // a power of two
  uint32_t tx_frame_size_ = 0;
  uint32_t tx_frame_capacity_ = 0;
  uint32_t tx_head_ = 0;
  // Batch indexes of the frames a slot can hold, in batch order: the ring
  // takes them in this order (send thread only).
  std::array<uint8_t, PacketBatch::kMaxSize> tx_candidates_;

  // sendmmsg() arguments, wired once (send thread only, tx_ring=off): per
  // frame its virtio-net header (offloads=on) and its bytes.
  std::array<mmsghdr, PacketBatch::kMaxSize> messages_;
  std::array<std::array<iovec, 2>, PacketBatch::kMaxSize> frames_;
  std::array<VirtioNetHeader, PacketBatch::kMaxSize> vnet_headers_;
};

}  // namespace flowpath
