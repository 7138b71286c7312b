#include "vport/tap_port.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vport/virtio_net_header.h"
#include "common/log_modules.h"
#include "vport/vport_options.h"

namespace flowpath {

namespace {

constexpr const char* kTunDevice = "/dev/net/tun";

// errno values of a tun descriptor whose device was deleted underneath it.
bool device_gone(int err) { return err == EBADFD || err == ENODEV || err == ENXIO; }

}  // namespace

Result<std::unique_ptr<TapPort>> TapPort::create(VportKind kind, const std::string& name,
                                                 const VportOptions& options) {
  std::string prefix(to_string(kind));
  if (Status known = check_known_options(kind, name, options, {"mtu", "offloads"}); !known) {
    return make_error(known.error());
  }
  Result<uint32_t> requested_mtu = mtu_option(kind, name, options);
  if (!requested_mtu) return make_error(requested_mtu.error());
  Result<bool> offloads = on_off_option(kind, name, options, "offloads", true);
  if (!offloads) return make_error(offloads.error());
  if (Status valid = check_interface_name(name); !valid) {
    return make_error(prefix + ": " + valid.error());
  }

  UniqueFd fd(::open(kTunDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    return make_error(prefix + ": cannot open " + kTunDevice + ": " + errno_text(errno));
  }
  ifreq request;
  std::memset(&request, 0, sizeof request);
  std::memcpy(request.ifr_name, name.data(), name.size());
  request.ifr_flags = IFF_TAP | IFF_NO_PI | (*offloads ? IFF_VNET_HDR : 0);
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) {
    return make_error(prefix + ": cannot create device " + name + ": " + errno_text(errno));
  }
  // What the host stack may hand the port unfinished (the device's
  // tx-checksumming and TSO features follow).
  unsigned int features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
  if (*offloads && ::ioctl(fd.get(), TUNSETOFFLOAD, features) < 0) {
    return make_error(prefix + ": cannot announce offloads on " + name + " (TUNSETOFFLOAD): " +
                      errno_text(errno));
  }
  // From here on, returning an error closes fd, which deletes the device again.
  if (*requested_mtu != 0) {
    if (Status set = set_interface_mtu(name, *requested_mtu); !set) {
      return make_error(prefix + ": " + set.error());
    }
  }
  if (Status up = bring_interface_up(name); !up) return make_error(prefix + ": " + up.error());
  Result<uint32_t> mtu = interface_mtu(name);
  if (!mtu) return make_error(prefix + ": " + mtu.error());
  module_log(LogModule::kVport)
      .info("{} port {}: device created, mtu {}, offloads {}", prefix, name, *mtu,
            *offloads ? "on (virtio-net headers, checksum and TSO)" : "off");
  return std::unique_ptr<TapPort>(new TapPort(kind, name, std::move(fd), *mtu, *offloads));
}

TapPort::TapPort(VportKind kind, std::string name, UniqueFd fd, uint32_t mtu, bool offloads)
    : Vport(kind, std::move(name)), fd_(std::move(fd)), mtu_(mtu),
      vnet_header_size_(offloads ? kVirtioNetHeaderSize : 0),
      overflow_(new uint8_t[kOverflowSize]) {
  if (offloads) set_accepted_offloads(kVirtioNetOffloads);
}

void TapPort::mark_gone(int err) {
  int expected = 0;
  gone_errno_.compare_exchange_strong(expected, err, std::memory_order_relaxed);
}

size_t TapPort::receive(PacketPool& pool, PacketBatch& out) {
  if (gone_errno_.load(std::memory_order_relaxed) != 0) return 0;
  size_t received = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0, runts = 0;
  while (!out.full()) {
    Packet* packet = pool.allocate();
    if (packet == nullptr) break;
    // A frame larger than the buffer runs on into the overflow area, so
    // every frame is read whole, whatever its size.
    const uint32_t room = packet->tailroom();
    VirtioNetHeader vnet;
    iovec parts[3] = {{&vnet, vnet_header_size_},
                      {packet->data(), room},
                      {overflow_.get(), kOverflowSize}};
    ssize_t n = ::readv(fd_.get(), parts, 3);
    if (n > 0 && vnet_header_size_ != 0) {
      n = n >= static_cast<ssize_t>(vnet_header_size_) ? n - vnet_header_size_ : 0;
    }
    if (n <= 0) {
      pool.release(packet);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) {
        if (device_gone(errno)) {
          mark_gone(errno);
        } else {
          ++errors;
        }
      }
      break;
    }
    const uint32_t length = static_cast<uint32_t>(n);
    if (length < kMinFrameSize) {
      pool.release(packet);
      ++runts;
      continue;
    }
    if (length > room) {
      // Rare: a jumbo frame moves into a large buffer (or is dropped when
      // none is free, as the frame cannot wait in the device).
      Packet* large = length <= pool.max_frame_size() ? pool.allocate(length) : nullptr;
      if (large == nullptr) {
        pool.release(packet);
        ++dropped;
        continue;
      }
      uint8_t* copy = large->put(length);
      std::memcpy(copy, packet->data(), room);
      std::memcpy(copy + room, overflow_.get(), length - room);
      pool.release(packet);
      packet = large;
    } else {
      packet->put(length);
    }
    if (vnet_header_size_ != 0 && !read_virtio_net_header(vnet, 0, *packet)) [[unlikely]] {
      pool.release(packet);
      ++dropped;
      continue;
    }
    packet->md.in_port = port_no();
    out.add(packet);
    ++received;
    bytes += length;
  }
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  counters_.add_rx_errors(errors);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

size_t TapPort::send(PacketBatch& batch) {
  bool gone = gone_errno_.load(std::memory_order_relaxed) != 0;
  size_t sent = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0;
  for (Packet* packet : batch) {
    if (gone) {
      ++errors;
    } else {
      VirtioNetHeader vnet;
      if (vnet_header_size_ != 0) write_virtio_net_header(*packet, &vnet);
      iovec parts[2] = {{&vnet, vnet_header_size_}, {packet->data(), packet->size()}};
      ssize_t n = ::writev(fd_.get(), parts, 2);
      if (n == static_cast<ssize_t>(vnet_header_size_ + packet->size())) {
        ++sent;
        bytes += packet->size();
      } else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
        ++dropped;
      } else {
        if (n < 0 && device_gone(errno)) {
          mark_gone(errno);
          gone = true;
        }
        ++errors;
      }
    }
    packet->pool()->release(packet);
  }
  batch.clear();
  counters_.add_tx(sent, bytes);
  counters_.add_tx_dropped(dropped);
  counters_.add_tx_errors(errors);
  return sent;
}

uint32_t TapPort::mtu() const { return mtu_; }

Status TapPort::set_device_persistent(bool persistent) {
  if (::ioctl(fd_.get(), TUNSETPERSIST, persistent ? 1 : 0) < 0) {
    return make_error(describe_port(type(), name()) + ": cannot make the device " +
                      (persistent ? "persistent: " : "transient: ") + errno_text(errno));
  }
  return Ok{};
}

Status TapPort::take_pending_error() {
  std::string what = describe_port(type(), name());
  int gone = gone_errno_.load(std::memory_order_relaxed);
  if (gone == 0) {
    // A deleted device detaches the descriptor; asking for its name tells.
    ifreq request;
    std::memset(&request, 0, sizeof request);
    if (::ioctl(fd_.get(), TUNGETIFF, &request) < 0 && device_gone(errno)) {
      mark_gone(errno);
      gone = errno;
    }
  }
  if (gone != 0) return make_error(what + ": device is gone (" + errno_text(gone) + ")");
  return Ok{};
}

}  // namespace flowpath
