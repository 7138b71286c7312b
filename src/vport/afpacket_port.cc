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

#include "vport/vport_options.h"

namespace flowpath {

namespace {

constexpr VportKind kKind = VportKind::kAfPacket;

// Only used to size tp_frame_nr; V3 packs frames of any size into blocks.
constexpr uint32_t kNominalFrameSize = 2048;
constexpr uint32_t kMacAddressesSize = 12;  // destination + source
constexpr uint32_t kEthernetHeaderSize = 14;
constexpr uint32_t kVlanTagSize = 4;

// Transmit ring. Without PACKET_TX_HAS_OFF the kernel takes a slot's frame
// from right after the aligned tpacket3_hdr (TPACKET3_HDRLEN less the
// sockaddr_ll, which only the receive side fills in).
constexpr uint32_t kTxFrameOffset = TPACKET3_HDRLEN - sizeof(sockaddr_ll);
constexpr uint32_t kMinTxFrameSize = 2048;
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

tpacket_block_desc* block_desc(uint8_t* block) {
  return reinterpret_cast<tpacket_block_desc*>(block);
}

// Slot status words are shared with the kernel: acquire what it published,
// release what we hand over.
uint32_t slot_status(const tpacket3_hdr* slot) {
  return __atomic_load_n(&slot->tp_status, __ATOMIC_ACQUIRE);
}
void set_slot_status(tpacket3_hdr* slot, uint32_t status) {
  __atomic_store_n(&slot->tp_status, status, __ATOMIC_RELEASE);
}

// Room for the largest frame the kernel sends at this MTU (Ethernet header
// and one 802.1Q tag beyond it) after the slot header, as a power of two so
// slots tile the ring's blocks exactly.
uint32_t tx_frame_size_for(uint32_t mtu) {
  const uint64_t needed =
      uint64_t{kTxFrameOffset} + mtu + kEthernetHeaderSize + kVlanTagSize;
  uint64_t size = kMinTxFrameSize;
  while (size < needed) size <<= 1;
  return static_cast<uint32_t>(size);
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
  int version = TPACKET_V3;
  if (Status s = set_packet_option(fd_.get(), PACKET_VERSION, version, what, "PACKET_VERSION");
      !s) {
    return s;
  }
  if (Status s = map_rings(config); !s) return s;

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
  return Ok{};
}

// Both rings must exist before the one mmap() the kernel allows for them; it
// lays the receive ring out first, the transmit ring right after it.
Status AfPacketPort::map_rings(const AfPacketConfig& config) {
  const std::string what = describe_port(type(), name());
  tpacket_req3 request;
  std::memset(&request, 0, sizeof request);
  request.tp_block_size = kBlockSize;
  request.tp_block_nr = kBlockCount;
  request.tp_frame_size = kNominalFrameSize;
  request.tp_frame_nr = kBlockSize / kNominalFrameSize * kBlockCount;
  request.tp_retire_blk_tov = kBlockTimeoutMs;
  if (Status s = set_packet_option(fd_.get(), PACKET_RX_RING, request, what, "PACKET_RX_RING");
      !s) {
    return s;
  }
  const size_t rx_size = static_cast<size_t>(kBlockSize) * kBlockCount;
  size_t tx_size = 0;
  if (config.tx_ring) {
    // V3 transmits slot by slot: tp_frame_size is the slot, and the retire
    // timeout and private area (receive-only) must stay 0.
    const uint32_t frame_size = tx_frame_size_for(mtu_ + vnet_header_size_);
    const uint32_t block_size =
        std::max(frame_size, static_cast<uint32_t>(::sysconf(_SC_PAGESIZE)));
    tpacket_req3 tx;
    std::memset(&tx, 0, sizeof tx);
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
  ring_ = mapping_;
  if (config.tx_ring) tx_ring_ = mapping_ + rx_size;
  return Ok{};
}

bool AfPacketPort::open_next_block() {
  tpacket_block_desc* desc = block_desc(block(block_index_));
  // Acquire: the frames the kernel wrote must be visible once the status is.
  uint32_t status = __atomic_load_n(&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
  if ((status & TP_STATUS_USER) == 0) return false;
  if ((status & TP_STATUS_LOSING) != 0) collect_kernel_drops();
  block_open_ = true;
  frames_left_ = desc->hdr.bh1.num_pkts;
  next_frame_ = block(block_index_) + desc->hdr.bh1.offset_to_first_pkt;
  return true;
}

void AfPacketPort::return_block() {
  tpacket_block_desc* desc = block_desc(block(block_index_));
  // Release: our reads of the block are done before the kernel may refill it.
  __atomic_store_n(&desc->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  block_open_ = false;
  frames_left_ = 0;
  block_index_ = (block_index_ + 1) % kBlockCount;
}

void AfPacketPort::collect_kernel_drops() {
  tpacket_stats_v3 kernel_stats;
  socklen_t length = sizeof kernel_stats;
  // Reading the statistics also resets them, so each drop is added once.
  if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &kernel_stats, &length) == 0) {
    counters_.add_rx_dropped(kernel_stats.tp_drops);
  }
}

AfPacketPort::FrameVerdict AfPacketPort::copy_frame(const tpacket3_hdr& frame, PacketPool& pool,
                                                    PacketBatch& out, uint64_t* bytes) {
  const uint8_t* raw = reinterpret_cast<const uint8_t*>(&frame);
  const auto* link = reinterpret_cast<const sockaddr_ll*>(raw + TPACKET_ALIGN(sizeof frame));
  if (link->sll_pkttype == PACKET_OUTGOING) {
    outgoing_skipped_.fetch_add(1, std::memory_order_relaxed);
    return FrameVerdict::kSkipped;
  }
  uint32_t length = frame.tp_snaplen;
  bool tagged = (frame.tp_status & TP_STATUS_VLAN_VALID) != 0;
  size_t end_in_block = static_cast<size_t>(raw - block(block_index_)) + frame.tp_mac + length;
  if (length < frame.tp_len || (tagged && length < kMacAddressesSize) ||
      end_in_block > kBlockSize) {
    return FrameVerdict::kDropped;  // cut short by the ring, or malformed
  }
  const uint32_t frame_size = length + (tagged ? kVlanTagSize : 0);
  if (frame_size < kMinFrameSize) return FrameVerdict::kRunt;
  if (frame_size > pool.max_frame_size()) return FrameVerdict::kDropped;
  Packet* packet = pool.allocate(frame_size);
  if (packet == nullptr) return FrameVerdict::kNoBuffer;
  const uint8_t* data = raw + frame.tp_mac;
  uint8_t* copy = packet->put(frame_size);
  if (tagged) {
    // Put the tag the kernel took off back between the addresses and the type.
    uint16_t tpid = (frame.tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? frame.hv1.tp_vlan_tpid
                                                                        : ETH_P_8021Q;
    uint16_t tci = frame.hv1.tp_vlan_tci;
    std::memcpy(copy, data, kMacAddressesSize);
    copy[12] = static_cast<uint8_t>(tpid >> 8);
    copy[13] = static_cast<uint8_t>(tpid);
    copy[14] = static_cast<uint8_t>(tci >> 8);
    copy[15] = static_cast<uint8_t>(tci);
    std::memcpy(copy + kMacAddressesSize + kVlanTagSize, data + kMacAddressesSize,
                length - kMacAddressesSize);
  } else {
    std::memcpy(copy, data, length);
  }
  // The kernel puts the virtio-net header right before the frame; its
  // offsets do not count a tag it took out.
  if (vnet_header_size_ != 0 &&
      !read_virtio_net_header(
          *reinterpret_cast<const VirtioNetHeader*>(data - kVirtioNetHeaderSize),
          tagged ? kVlanTagSize : 0, *packet)) [[unlikely]] {
    pool.release(packet);
    return FrameVerdict::kDropped;
  }
  packet->md.in_port = port_no();
  out.add(packet);
  *bytes += frame_size;
  return FrameVerdict::kDelivered;
}

size_t AfPacketPort::receive(PacketPool& pool, PacketBatch& out) {
  size_t received = 0;
  uint64_t bytes = 0, dropped = 0, runts = 0;
  while (!out.full()) {
    if (!block_open_ && !open_next_block()) break;
    if (frames_left_ == 0) {
      return_block();
      continue;
    }
    const auto& frame = *reinterpret_cast<const tpacket3_hdr*>(next_frame_);
    FrameVerdict verdict = copy_frame(frame, pool, out, &bytes);
    if (verdict == FrameVerdict::kNoBuffer) break;  // the frame waits for the next call
    if (verdict == FrameVerdict::kDelivered) ++received;
    if (verdict == FrameVerdict::kDropped) ++dropped;
    if (verdict == FrameVerdict::kRunt) ++runts;
    next_frame_ += frame.tp_next_offset;
    if (--frames_left_ == 0) return_block();
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

size_t AfPacketPort::send(PacketBatch& batch) {
  return tx_ring_ != nullptr ? send_through_ring(batch) : send_with_sendmmsg(batch);
}

tpacket3_hdr* AfPacketPort::tx_slot(uint32_t index) const {
  return reinterpret_cast<tpacket3_hdr*>(tx_ring_ + static_cast<size_t>(index) * tx_frame_size_);
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
      tpacket3_hdr* slot = tx_slot(tx_index_after(start, filled));
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
      slot->tp_next_offset = 0;  // V3 transmit has fixed-size slots only
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
