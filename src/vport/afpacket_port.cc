#include "vport/afpacket_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "vport/vport_options.h"

namespace flowpath {

namespace {

// Only used to size tp_frame_nr; V3 packs frames of any size into blocks.
constexpr uint32_t kNominalFrameSize = 2048;
constexpr uint32_t kMacAddressesSize = 12;  // destination + source
constexpr uint32_t kVlanTagSize = 4;

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

// errno values of sendmsg() on a packet socket whose interface is down or gone.
bool interface_unusable(int err) { return err == ENETDOWN || err == ENXIO || err == ENODEV; }

}  // namespace

Result<std::unique_ptr<AfPacketPort>> AfPacketPort::open(const std::string& name,
                                                        const VportOptions& options) {
  if (Status known = check_known_options(VportKind::kAfPacket, name, options, {}); !known) {
    return make_error(known.error());
  }
  Result<int> ifindex = interface_index(name);
  if (!ifindex) return make_error(ifindex.error());
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return make_error(describe_port(VportKind::kAfPacket, name) +
                      ": cannot open an AF_PACKET socket: " + errno_text(errno));
  }
  std::unique_ptr<AfPacketPort> port(new AfPacketPort(name, UniqueFd(fd), *ifindex));
  if (Status ready = port->set_up_socket(); !ready) return make_error(ready.error());
  return port;
}

AfPacketPort::AfPacketPort(std::string name, UniqueFd fd, int ifindex)
    : Vport(VportKind::kAfPacket, std::move(name)), fd_(std::move(fd)), ifindex_(ifindex) {
  std::memset(messages_.data(), 0, sizeof messages_);
  for (size_t i = 0; i < messages_.size(); ++i) {
    messages_[i].msg_hdr.msg_iov = &frames_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
}

AfPacketPort::~AfPacketPort() {
  if (ring_ != nullptr) ::munmap(ring_, ring_size_);
}

Status AfPacketPort::set_up_socket() {
  const std::string what = describe_port(type(), name());
  int version = TPACKET_V3;
  if (Status s = set_packet_option(fd_.get(), PACKET_VERSION, version, what, "PACKET_VERSION");
      !s) {
    return s;
  }
  if (Status s = map_ring(); !s) return s;

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

  Result<uint32_t> mtu = interface_mtu(name());
  if (!mtu) return make_error(what + ": " + mtu.error());
  mtu_ = *mtu;
  return Ok{};
}

Status AfPacketPort::map_ring() {
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
  ring_size_ = static_cast<size_t>(kBlockSize) * kBlockCount;
  void* memory =
      ::mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
  if (memory == MAP_FAILED) {
    return make_error(what + ": cannot map the receive ring: " + errno_text(errno));
  }
  ring_ = static_cast<uint8_t*>(memory);
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
  Packet* packet = pool.allocate();
  if (packet == nullptr) return FrameVerdict::kNoBuffer;
  uint32_t frame_size = length + (tagged ? kVlanTagSize : 0);
  if (frame_size > packet->tailroom()) {
    pool.release(packet);
    return FrameVerdict::kDropped;
  }
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
  packet->md.in_port = port_no();
  out.add(packet);
  *bytes += frame_size;
  return FrameVerdict::kDelivered;
}

size_t AfPacketPort::receive(PacketPool& pool, PacketBatch& out) {
  size_t received = 0;
  uint64_t bytes = 0, dropped = 0;
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
    next_frame_ += frame.tp_next_offset;
    if (--frames_left_ == 0) return_block();
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  return received;
}

size_t AfPacketPort::send(PacketBatch& batch) {
  const size_t count = batch.size();
  for (size_t i = 0; i < count; ++i) {
    frames_[i].iov_base = batch[i]->data();
    frames_[i].iov_len = batch[i]->size();
  }
  size_t next = 0, sent = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0;
  while (next < count) {
    int n = ::sendmmsg(fd_.get(), &messages_[next], static_cast<unsigned>(count - next),
                       MSG_DONTWAIT);
    if (n > 0) {
      for (size_t i = next; i < next + static_cast<size_t>(n); ++i) bytes += frames_[i].iov_len;
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
  for (Packet* packet : batch) packet->pool()->release(packet);
  batch.clear();
  counters_.add_tx(sent, bytes);
  counters_.add_tx_dropped(dropped);
  counters_.add_tx_errors(errors);
  return sent;
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
