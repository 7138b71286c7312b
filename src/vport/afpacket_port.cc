#include "vport/afpacket_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log_modules.h"
#include "vport/vport_options.h"

namespace flowpath {

namespace {

constexpr VportKind kKind = VportKind::kAfPacket;

constexpr uint32_t kMacAddressesSize = 12;  // destination + source
constexpr uint32_t kEthernetHeaderSize = 14;
constexpr uint32_t kVlanTagSize = 4;

// Receive ring. The kernel puts a frame's network header at the first
// aligned offset past the slot header, sockaddr_ll and at least 16 bytes of
// link header, then the virtio-net header in front of the frame.
constexpr uint32_t kRxFrameOffset = TPACKET_ALIGN(TPACKET2_HDRLEN + 16);
constexpr uint32_t kMinFrameSlotSize = 2048;
// Transmit ring. Without PACKET_TX_HAS_OFF the kernel takes a slot's frame
// from right after the aligned tpacket2_hdr (TPACKET2_HDRLEN less the
// sockaddr_ll, which only the receive side fills in).
constexpr uint32_t kTxFrameOffset = TPACKET2_HDRLEN - sizeof(sockaddr_ll);
constexpr uint32_t kMinTxFrames = 64;
constexpr uint32_t kMaxTxFrames = 65536;
// A slot is free (TP_STATUS_AVAILABLE) when none of these is set; the
// kernel may add timestamp bits to a free slot's status.
constexpr uint32_t kTxSlotBusy = TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT;
// Still queued: the kernel did not take the frame (yet).
constexpr uint32_t kTxSlotNotTaken = TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT;

template <typename Option>
Status set_packet_option(int fd, int option, const Option& value, const std::string& what,
                         const char* option_name) {
  if (::setsockopt(fd, SOL_PACKET, option, &value, sizeof value) < 0) {
    return make_error(what + ": cannot set " + option_name + ": " + errno_text(errno));
  }
  return Ok{};
}

// Slot status words are shared with the kernel: acquire what it published,
// release what we hand over.
uint32_t slot_status(const tpacket2_hdr* slot) {
  return __atomic_load_n(&slot->tp_status, __ATOMIC_ACQUIRE);
}
void set_slot_status(tpacket2_hdr* slot, uint32_t status) {
  __atomic_store_n(&slot->tp_status, status, __ATOMIC_RELEASE);
}

// A slot of at least `needed` bytes, as a power of two so slots tile the
// ring's blocks exactly.
uint32_t frame_slot_size(uint64_t needed) {
  uint64_t size = kMinFrameSlotSize;
  while (size < needed) size <<= 1;
  return static_cast<uint32_t>(size);
}

// Receive slots hold a frame up to the MTU (Ethernet header and, should the
// kernel leave one inline, a VLAN tag) after the slot header and the
// virtio-net header; the kernel puts the frame's network header, not its
// first byte, at the aligned offset.
uint32_t rx_frame_size_for(uint32_t mtu, uint32_t vnet_header_size) {
  return frame_slot_size(uint64_t{kRxFrameOffset} + vnet_header_size + mtu + kVlanTagSize);
}

// Transmit slots: room for the largest frame the kernel sends at this MTU
// (Ethernet header and one 802.1Q tag beyond it) after the slot header.
uint32_t tx_frame_size_for(uint32_t mtu) {
  return frame_slot_size(uint64_t{kTxFrameOffset} + mtu + kEthernetHeaderSize + kVlanTagSize);
}

// Puts the outer VLAN tag the kernel took out of `frame` (noted in its slot)
// back between the addresses and the type. The frame's bytes start 4 bytes
// into `frame`, which has room for the tag.
void put_back_vlan_tag(const tpacket2_hdr& slot, uint8_t* frame) {
  const uint16_t tpid = (slot.tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? slot.tp_vlan_tpid
                                                                          : ETH_P_8021Q;
  const uint16_t tci = slot.tp_vlan_tci;
  std::memmove(frame, frame + kVlanTagSize, kMacAddressesSize);
  frame[12] = static_cast<uint8_t>(tpid >> 8);
  frame[13] = static_cast<uint8_t>(tpid);
  frame[14] = static_cast<uint8_t>(tci >> 8);
  frame[15] = static_cast<uint8_t>(tci);
}

const sockaddr_ll& slot_link_address(const tpacket2_hdr& slot) {
  return *reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<const uint8_t*>(&slot) +
                                               TPACKET_ALIGN(sizeof slot));
}

// errno values of sendmsg() on a packet socket whose interface is down or gone.
bool interface_unusable(int err) { return err == ENETDOWN || err == ENXIO || err == ENODEV; }

}  // namespace

Result<AfPacketConfig> parse_afpacket_options(std::string_view name,
                                              const VportOptions& options) {
  if (Status known = check_known_options(kKind, name, options,
                                         {"mtu", "offloads", "tx_ring", "tx_frames"});
      !known) {
    return make_error(known.error());
  }
  AfPacketConfig config;
  Result<uint32_t> mtu = mtu_option(kKind, name, options);
  if (!mtu) return make_error(mtu.error());
  config.mtu = *mtu;
  Result<bool> offloads = on_off_option(kKind, name, options, "offloads", true);
  if (!offloads) return make_error(offloads.error());
  config.offloads = *offloads;
  // The ring's slots cannot hold super-frames: with offloads, sendmmsg().
  Result<bool> tx_ring = on_off_option(kKind, name, options, "tx_ring", !config.offloads);
  if (!tx_ring) return make_error(tx_ring.error());
  config.tx_ring = *tx_ring;
  Result<uint64_t> frames = integer_option(kKind, name, options, "tx_frames", kMinTxFrames,
                                           kMaxTxFrames, config.tx_frames);
  if (!frames) return make_error(frames.error());
  if ((*frames & (*frames - 1)) != 0) {
    return make_error(describe_port(kKind, name) + ": option tx_frames=" +
                      std::to_string(*frames) + " is not a power of two");
  }
  if (!config.tx_ring && options.contains("tx_frames")) {
    return make_error(describe_port(kKind, name) + ": option tx_frames=" +
                      std::to_string(*frames) + " needs tx_ring=on");
  }
  config.tx_frames = static_cast<uint32_t>(*frames);
  return config;
}

Result<std::unique_ptr<AfPacketPort>> AfPacketPort::open(const std::string& name,
                                                        const VportOptions& options) {
  Result<AfPacketConfig> config = parse_afpacket_options(name, options);
  if (!config) return make_error(config.error());
  Result<int> ifindex = interface_index(name);
  if (!ifindex) return make_error(ifindex.error());
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return make_error(describe_port(kKind, name) +
                      ": cannot open an AF_PACKET socket: " + errno_text(errno));
  }
  std::unique_ptr<AfPacketPort> port(new AfPacketPort(name, UniqueFd(fd), *ifindex));
  if (Status ready = port->set_up_socket(*config); !ready) return make_error(ready.error());
  return port;
}

AfPacketPort::AfPacketPort(std::string name, UniqueFd fd, int ifindex)
    : Vport(VportKind::kAfPacket, std::move(name)), fd_(std::move(fd)), ifindex_(ifindex) {
  std::memset(messages_.data(), 0, sizeof messages_);
  for (size_t i = 0; i < messages_.size(); ++i) {
    frames_[i][0] = {&vnet_headers_[i], kVirtioNetHeaderSize};
    messages_[i].msg_hdr.msg_iov = frames_[i].data();
    messages_[i].msg_hdr.msg_iovlen = 2;
  }
}

AfPacketPort::~AfPacketPort() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

Status AfPacketPort::set_up_socket(const AfPacketConfig& config) {
  const std::string what = describe_port(type(), name());
  // Set and read first: the transmit ring's slots are sized for it.
  if (config.mtu != 0) {
    if (Status set = set_interface_mtu(name(), config.mtu); !set) {
      return make_error(what + ": " + set.error());
    }
  }
  Result<uint32_t> mtu = interface_mtu(name());
  if (!mtu) return make_error(what + ": " + mtu.error());
  mtu_ = *mtu;
  // Before the rings: the kernel lays frames out around the header.
  if (config.offloads) {
    int on = 1;
    if (Status s = set_packet_option(fd_.get(), PACKET_VNET_HDR, on, what, "PACKET_VNET_HDR");
        !s) {
      return s;
    }
    vnet_header_size_ = kVirtioNetHeaderSize;
    // The transmit ring's slots hold frames up to the MTU only.
    set_accepted_offloads(config.tx_ring ? offload::kPartialChecksum : kVirtioNetOffloads);
  }
  int version = TPACKET_V2;
  if (Status s = set_packet_option(fd_.get(), PACKET_VERSION, version, what, "PACKET_VERSION");
      !s) {
    return s;
  }
  if (Status s = map_rings(config); !s) return s;
  // Frames larger than a slot (super-frames, frames above the MTU) are also
  // queued whole on the socket; its buffer holds a few dozen 64 KiB ones.
  int copy_larger_frames = 1;
  if (Status s = set_packet_option(fd_.get(), PACKET_COPY_THRESH, copy_larger_frames, what,
                                   "PACKET_COPY_THRESH");
      !s) {
    return s;
  }
  int buffer = kReceiveBufferBytes;
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) < 0 &&
      ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) < 0) {
    return make_error(what + ": cannot size the socket's receive buffer: " + errno_text(errno));
  }

  // Older kernels lack the option; receive() then skips outgoing frames itself.
  int ignore = 1;
  kernel_ignores_outgoing_ =
      ::setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &ignore, sizeof ignore) == 0;

  // Bound only now, with the ring in place, so no frame queues elsewhere.
  sockaddr_ll address;
  std::memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = ifindex_;
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    return make_error(what + ": cannot bind to the interface: " + errno_text(errno));
  }

  packet_mreq membership;
  std::memset(&membership, 0, sizeof membership);
  membership.mr_ifindex = ifindex_;
  membership.mr_type = PACKET_MR_PROMISC;
  if (Status s = set_packet_option(fd_.get(), PACKET_ADD_MEMBERSHIP, membership, what,
                                   "promiscuous mode");
      !s) {
    return s;
  }
  module_log(LogModule::kVport)
      .info("{}: socket bound to ifindex {}, mtu {}: receive ring {} frames of {} bytes ({} KiB), "
            "transmit {}, offloads {}",
            what, ifindex_, mtu_, rx_frame_count_, rx_frame_size_,
            uint64_t{rx_frame_count_} * rx_frame_size_ / 1024,
            config.tx_ring ? "ring " + std::to_string(tx_frame_count_) + " frames of " +
                                 std::to_string(tx_frame_size_) + " bytes"
                           : std::string("by sendmmsg"),
            config.offloads ? "on (virtio-net headers)" : "off");
  return Ok{};
}

// Both rings must exist before the one mmap() the kernel allows for them; it
// lays the receive ring out first, the transmit ring right after it.
Status AfPacketPort::map_rings(const AfPacketConfig& config) {
  const std::string what = describe_port(type(), name());
  // V2 rings are slots of tp_frame_size in blocks of whole pages.
  const size_t page_size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  rx_frame_size_ = rx_frame_size_for(mtu_, vnet_header_size_);
  rx_frame_count_ = std::max(kMinRxFrames, kRxRingBytes / rx_frame_size_);
  const uint32_t rx_block_size =
      std::max(rx_frame_size_, static_cast<uint32_t>(page_size));
  tpacket_req request;
  request.tp_block_size = rx_block_size;
  request.tp_frame_size = rx_frame_size_;
  request.tp_frame_nr = rx_frame_count_;
  request.tp_block_nr =
      static_cast<uint32_t>(uint64_t{rx_frame_count_} * rx_frame_size_ / rx_block_size);
  if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_RX_RING, &request, sizeof request) < 0) {
    return make_error(what + ": cannot set PACKET_RX_RING (" + std::to_string(rx_frame_count_) +
                      " frames of " + std::to_string(rx_frame_size_) +
                      " bytes): " + errno_text(errno));
  }
  const size_t rx_size = static_cast<size_t>(rx_block_size) * request.tp_block_nr;
  size_t tx_size = 0;
  if (config.tx_ring) {
    const uint32_t frame_size = tx_frame_size_for(mtu_ + vnet_header_size_);
    const uint32_t block_size = std::max(frame_size, static_cast<uint32_t>(page_size));
    tpacket_req tx;
    tx.tp_block_size = block_size;
    tx.tp_frame_size = frame_size;
    tx.tp_frame_nr = config.tx_frames;
    tx.tp_block_nr =
        static_cast<uint32_t>(uint64_t{config.tx_frames} * frame_size / block_size);
    if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_TX_RING, &tx, sizeof tx) < 0) {
      return make_error(what + ": cannot set PACKET_TX_RING (" +
                        std::to_string(config.tx_frames) + " frames of " +
                        std::to_string(frame_size) + " bytes): " + errno_text(errno));
    }
    tx_size = static_cast<size_t>(block_size) * tx.tp_block_nr;
    tx_frame_count_ = config.tx_frames;
    tx_frame_size_ = frame_size;
    tx_frame_capacity_ = frame_size - kTxFrameOffset - vnet_header_size_;
  }
  mapping_size_ = rx_size + tx_size;
  void* memory = ::mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
  if (memory == MAP_FAILED) {
    mapping_size_ = 0;
    return make_error(what + (config.tx_ring ? ": cannot map the receive and transmit rings: "
                                             : ": cannot map the receive ring: ") +
                      errno_text(errno));
  }
  mapping_ = static_cast<uint8_t*>(memory);
  rx_ring_ = mapping_;
  if (config.tx_ring) tx_ring_ = mapping_ + rx_size;
  return Ok{};
}

tpacket2_hdr* AfPacketPort::rx_slot(uint32_t index) const {
  return reinterpret_cast<tpacket2_hdr*>(rx_ring_ + static_cast<size_t>(index) * rx_frame_size_);
}

void AfPacketPort::collect_kernel_drops() {
  tpacket_stats kernel_stats;
  socklen_t length = sizeof kernel_stats;
  // Reading the statistics also resets them, so each drop is added once.
  if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &kernel_stats, &length) == 0) {
    counters_.add_rx_dropped(kernel_stats.tp_drops);
  }
}

AfPacketPort::FrameVerdict AfPacketPort::copy_frame(const tpacket2_hdr& slot, PacketPool& pool,
                                                    PacketBatch& out, uint64_t* bytes) {
  if (slot_link_address(slot).sll_pkttype == PACKET_OUTGOING) {
    outgoing_skipped_.fetch_add(1, std::memory_order_relaxed);
    return FrameVerdict::kSkipped;
  }
  const uint32_t length = slot.tp_snaplen;
  const bool tagged = (slot.tp_status & TP_STATUS_VLAN_VALID) != 0;
  if (length < slot.tp_len || (tagged && length < kMacAddressesSize) ||
      uint64_t{slot.tp_mac} + length > rx_frame_size_) {
    return FrameVerdict::kDropped;  // cut short with no copy queued, or malformed
  }
  const uint32_t tag_size = tagged ? kVlanTagSize : 0;
  const uint32_t frame_size = length + tag_size;
  if (frame_size < kMinFrameSize) return FrameVerdict::kRunt;
  if (frame_size > pool.max_frame_size()) return FrameVerdict::kDropped;
  Packet* packet = pool.allocate(frame_size);
  if (packet == nullptr) return FrameVerdict::kNoBuffer;
  const uint8_t* data = reinterpret_cast<const uint8_t*>(&slot) + slot.tp_mac;
  uint8_t* copy = packet->put(frame_size);
  std::memcpy(copy + tag_size, data, length);
  if (tagged) put_back_vlan_tag(slot, copy);
  // The kernel puts the virtio-net header right before the frame; its
  // offsets do not count a tag it took out.
  if (vnet_header_size_ != 0 &&
      !read_virtio_net_header(
          *reinterpret_cast<const VirtioNetHeader*>(data - kVirtioNetHeaderSize), tag_size,
          *packet)) [[unlikely]] {
    pool.release(packet);
    return FrameVerdict::kDropped;
  }
  packet->md.in_port = port_no();
  out.add(packet);
  *bytes += frame_size;
  return FrameVerdict::kDelivered;
}

AfPacketPort::FrameVerdict AfPacketPort::read_queued_frame(const tpacket2_hdr& slot,
                                                           PacketPool& pool, PacketBatch& out,
                                                           uint64_t* bytes) {
  const uint32_t length = slot.tp_len;  // the whole frame; the slot has its start
  const bool tagged = (slot.tp_status & TP_STATUS_VLAN_VALID) != 0;
  const uint32_t tag_size = tagged ? kVlanTagSize : 0;
  const uint32_t frame_size = length + tag_size;
  if (slot_link_address(slot).sll_pkttype == PACKET_OUTGOING) {
    discard_queued_frame();
    outgoing_skipped_.fetch_add(1, std::memory_order_relaxed);
    return FrameVerdict::kSkipped;
  }
  if (frame_size > pool.max_frame_size()) {
    discard_queued_frame();
    return FrameVerdict::kDropped;
  }
  Packet* packet = pool.allocate(frame_size);
  if (packet == nullptr) return FrameVerdict::kNoBuffer;  // it stays queued, as the slot stays
  uint8_t* copy = packet->put(frame_size);
  VirtioNetHeader header;
  iovec parts[2] = {{&header, vnet_header_size_}, {copy + tag_size, length}};
  msghdr message;
  std::memset(&message, 0, sizeof message);
  message.msg_iov = vnet_header_size_ != 0 ? parts : parts + 1;
  message.msg_iovlen = vnet_header_size_ != 0 ? 2 : 1;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &message, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  // The queue is in slot order, so this is the slot's frame; anything else
  // (nothing queued) loses it.
  if (n != static_cast<ssize_t>(vnet_header_size_ + length) ||
      (tagged && length < kMacAddressesSize)) [[unlikely]] {
    pool.release(packet);
    return FrameVerdict::kDropped;
  }
  if (tagged) put_back_vlan_tag(slot, copy);
  if (vnet_header_size_ != 0 && !read_virtio_net_header(header, tag_size, *packet)) [[unlikely]] {
    pool.release(packet);
    return FrameVerdict::kDropped;
  }
  packet->md.in_port = port_no();
  out.add(packet);
  *bytes += frame_size;
  return FrameVerdict::kDelivered;
}

void AfPacketPort::discard_queued_frame() {
  VirtioNetHeader header;  // recvmsg() refuses a buffer shorter than the header
  iovec part = {&header, vnet_header_size_};
  msghdr message;
  std::memset(&message, 0, sizeof message);
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  while (::recvmsg(fd_.get(), &message, MSG_DONTWAIT | MSG_TRUNC) < 0 && errno == EINTR) {
  }
}

size_t AfPacketPort::receive(PacketPool& pool, PacketBatch& out) {
  size_t received = 0;
  uint64_t bytes = 0, dropped = 0, runts = 0;
  while (!out.full()) {
    tpacket2_hdr* slot = rx_slot(rx_head_);
    // Acquire: the frame the kernel wrote is visible once the status is.
    const uint32_t status = slot_status(slot);
    if ((status & TP_STATUS_USER) == 0) break;
    if ((status & TP_STATUS_LOSING) != 0) collect_kernel_drops();
    FrameVerdict verdict = (status & TP_STATUS_COPY) != 0
                               ? read_queued_frame(*slot, pool, out, &bytes)
                               : copy_frame(*slot, pool, out, &bytes);
    if (verdict == FrameVerdict::kNoBuffer) break;  // the frame waits for the next call
    if (verdict == FrameVerdict::kDelivered) ++received;
    if (verdict == FrameVerdict::kDropped) ++dropped;
    if (verdict == FrameVerdict::kRunt) ++runts;
    // Release: our reads of the slot are done before the kernel may refill it.
    set_slot_status(slot, TP_STATUS_KERNEL);
    rx_head_ = (rx_head_ + 1) & (rx_frame_count_ - 1);
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

size_t AfPacketPort::send(PacketBatch& batch) {
  return tx_ring_ != nullptr ? send_through_ring(batch) : send_with_sendmmsg(batch);
}

tpacket2_hdr* AfPacketPort::tx_slot(uint32_t index) const {
  return reinterpret_cast<tpacket2_hdr*>(tx_ring_ + static_cast<size_t>(index) * tx_frame_size_);
}

size_t AfPacketPort::send_through_ring(PacketBatch& batch) {
  uint64_t bytes = 0, dropped = 0, errors = 0;
  size_t sent = 0;
  // A frame no slot can hold never reaches the ring (the datapath sends
  // none above the MTU, which the slots are sized for).
  size_t candidates = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->size() <= tx_frame_capacity_) {
      tx_candidates_[candidates++] = static_cast<uint8_t>(i);
    } else {
      ++errors;
    }
  }
  // Each round fills free slots from tx_head_ on, kicks the kernel once and
  // reads back how far it got. A round ends early only at a frame the
  // kernel stopped at, which is counted, so there are at most `candidates`
  // extra rounds.
  size_t next = 0;  // into tx_candidates_
  while (next < candidates) {
    const uint32_t start = tx_head_;
    const size_t first = next;
    uint32_t filled = 0;
    bool ring_full = false;
    for (; next < candidates; ++next, ++filled) {
      tpacket2_hdr* slot = tx_slot(tx_index_after(start, filled));
      if ((slot_status(slot) & kTxSlotBusy) != 0) {  // the kernel still holds it
        ring_full = true;
        break;
      }
      const Packet& packet = *batch[tx_candidates_[next]];
      // With offloads the slot starts with the frame's virtio-net header.
      uint8_t* frame = reinterpret_cast<uint8_t*>(slot) + kTxFrameOffset;
      if (vnet_header_size_ != 0) {
        write_virtio_net_header(packet, reinterpret_cast<VirtioNetHeader*>(frame));
      }
      std::memcpy(frame + vnet_header_size_, packet.data(), packet.size());
      slot->tp_len = packet.size() + vnet_header_size_;
      slot->tp_snaplen = slot->tp_len;
      set_slot_status(slot, TP_STATUS_SEND_REQUEST);
    }
    if (filled == 0) {  // not one free slot: never wait for the kernel
      dropped += candidates - next;
      break;
    }
    int err = 0;
    while (::sendto(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
      err = errno;
      if (err != EINTR) break;
      err = 0;
    }
    // The kernel takes slots strictly in order and stops at the first one it
    // cannot send, leaving it TP_STATUS_SEND_REQUEST or WRONG_FORMAT: its
    // position afterwards is the first such slot.
    uint32_t taken = 0;
    for (; taken < filled; ++taken) {
      if ((slot_status(tx_slot(tx_index_after(start, taken))) & kTxSlotNotTaken) != 0) break;
      bytes += batch[tx_candidates_[first + taken]]->size();
    }
    sent += taken;
    tx_head_ = tx_index_after(start, taken);
    if (taken == filled) {
      if (ring_full) {
        dropped += candidates - next;
        break;
      }
      continue;
    }
    // Take back the slot the kernel stopped at and those behind it (the
    // kernel touches SEND_REQUEST slots only inside our sendto()); the
    // frames behind the failed one go again in the next round.
    const uint32_t failed_status = slot_status(tx_slot(tx_head_));
    for (uint32_t k = taken; k < filled; ++k) {
      set_slot_status(tx_slot(tx_index_after(start, k)), TP_STATUS_AVAILABLE);
    }
    const size_t failed = first + taken;
    if ((failed_status & TP_STATUS_WRONG_FORMAT) != 0) {  // too long, too short
      ++errors;
      next = failed + 1;
    } else if (interface_unusable(err)) {
      errors += candidates - failed;
      break;
    } else if (err == 0 || err == EAGAIN) {  // socket buffer full: the rest cannot go now
      dropped += candidates - failed;
      break;
    } else if (err == ENOBUFS) {  // the device queue refused this frame
      ++dropped;
      next = failed + 1;
    } else {
      ++errors;
      next = failed + 1;
    }
  }
  finish_send(batch, sent, bytes, dropped, errors);
  return sent;
}

size_t AfPacketPort::send_with_sendmmsg(PacketBatch& batch) {
  const size_t count = batch.size();
  for (size_t i = 0; i < count; ++i) {
    if (vnet_header_size_ != 0) write_virtio_net_header(*batch[i], &vnet_headers_[i]);
    frames_[i][0].iov_len = vnet_header_size_;
    frames_[i][1] = {batch[i]->data(), batch[i]->size()};
  }
  uint64_t bytes = 0, dropped = 0, errors = 0;
  size_t next = 0, sent = 0;
  while (next < count) {
    int n = ::sendmmsg(fd_.get(), &messages_[next], static_cast<unsigned>(count - next),
                       MSG_DONTWAIT);
    if (n > 0) {
      for (size_t i = next; i < next + static_cast<size_t>(n); ++i) bytes += frames_[i][1].iov_len;
      sent += static_cast<size_t>(n);
      next += static_cast<size_t>(n);
      continue;
    }
    int err = errno;
    if (n < 0 && err == EINTR) continue;
    // sendmmsg() reports an error only for the first frame it tried.
    if (err == EAGAIN) {  // socket buffer full: the rest cannot go now
      dropped += count - next;
      break;
    }
    if (interface_unusable(err)) {
      errors += count - next;
      break;
    }
    if (err == ENOBUFS) {
      ++dropped;  // the device queue refused this frame
    } else {
      ++errors;  // this frame is unacceptable (too large, too short, ...)
    }
    ++next;
  }
  finish_send(batch, sent, bytes, dropped, errors);
  return sent;
}

void AfPacketPort::finish_send(PacketBatch& batch, size_t sent, uint64_t bytes, uint64_t dropped,
                               uint64_t errors) {
  for (Packet* packet : batch) packet->pool()->release(packet);
  batch.clear();
  counters_.add_tx(sent, bytes);
  counters_.add_tx_dropped(dropped);
  counters_.add_tx_errors(errors);
}

Status AfPacketPort::take_pending_error() {
  int err = 0;
  socklen_t length = sizeof err;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &length) < 0 || err == 0) return Ok{};
  const std::string what = describe_port(type(), name());
  char current_name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex_), current_name) == nullptr) {
    return make_error(what + ": interface " + name() + " no longer exists (" + errno_text(err) +
                      ")");
  }
  return make_error(what + ": interface " + name() + " went down (" + errno_text(err) + ")");
}

}  // namespace flowpath
