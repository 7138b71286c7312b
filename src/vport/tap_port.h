// A TAP device owned by the datapath: created on open (/dev/net/tun,
// IFF_TAP | IFF_NO_PI, non-blocking), brought up, removed again when the port
// is destroyed unless it was made persistent, in which case the next open
// under its name attaches to it again, addresses and routes intact. Frames move with one read()/write() each: a tun descriptor
// has no batched read or write for ordinary processes.
//
// Frame sizes (vport.h): every frame the device hands over is read whole
// (into a standard buffer, running on into an overflow area): one larger
// than a standard buffer is copied into a large one, or dropped (rx_dropped)
// when none is free; runts are dropped (kRxInvalidPacket).
//
// Offloads (offloads=on, the default): the device speaks virtio-net headers
// (IFF_VNET_HDR, virtio_net_header.h) and announces with TUNSETOFFLOAD that
// it takes partial checksums and TCP super-frames from the host stack, as
// a virtio NIC does; their state travels as packet metadata
// (packet_offload.h), and the port hands the device offloaded packets with
// their header. offloads=off: plain frames.
//
// Options: mtu=N (68..65535) sets the device's MTU; offloads=on|off (on).
//
// The internal port (internal_port.h) is the same device under another kind.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "vport/netdev.h"
#include "vport/vport.h"

namespace flowpath {

class TapPort : public Vport {
 public:
  // kind is VportKind::kTap or VportKind::kInternal: it only changes how the
  // port is named in messages and listings.
  static Result<std::unique_ptr<TapPort>> create(VportKind kind, const std::string& name,
                                                 const VportOptions& options);
  ~TapPort() override = default;

  size_t receive(PacketPool& pool, PacketBatch& out) override;
  size_t send(PacketBatch& batch) override;
  // None once the device is gone: its descriptor would poll as an error
  // for ever.
  int wait_fd() const override {
    return gone_errno_.load(std::memory_order_relaxed) != 0 ? -1 : fd_.get();
  }
  uint32_t mtu() const override;
  Status take_pending_error() override;
  Status set_device_persistent(bool persistent) override;  // TUNSETPERSIST

 private:
  // Larger than any frame a TAP device can hand over (64 KiB MTU + header).
  static constexpr size_t kOverflowSize = 65536 + 64;

  TapPort(VportKind kind, std::string name, UniqueFd fd, uint32_t mtu, bool offloads);
  // Remembers that the device went away (errno `err`); the port goes inert.
  void mark_gone(int err);

  UniqueFd fd_;
  uint32_t mtu_;
  uint32_t vnet_header_size_;  // kVirtioNetHeaderSize with offloads=on, else 0
  std::atomic<int> gone_errno_{0};
  // readv() puts the tail of a frame larger than a standard buffer here.
  std::unique_ptr<uint8_t[]> overflow_;
};

}  // namespace flowpath
