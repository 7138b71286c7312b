#include "vport/afxdp_port.h"

#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <mutex>
#include <thread>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "common/log_modules.h"
#include "vport/vport_options.h"
#include "vport/xsk_redirect_program.h"

// Multi-buffer AF_XDP (Linux 6.6); Debian 12's kernel headers predate it.
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

namespace flowpath {

// The rings libxdp maps for the UMEM (fill, completion) and the socket (rx,
// tx). Fill and rx belong to the receiving thread, tx and completion to the
// sending one.
struct XskRings {
  xsk_ring_prod fill{};
  xsk_ring_cons completion{};
  xsk_ring_cons rx{};
  xsk_ring_prod tx{};
};

namespace {

constexpr VportKind kKind = VportKind::kAfXdp;
constexpr uint32_t kVlanTagSize = 4;
// What the kernel keeps in front of every received frame in a UMEM chunk.
constexpr uint32_t kXdpHeadroom = 256;  // XDP_PACKET_HEADROOM
// The most chunks one frame may span: the kernel builds a transmitted
// multi-buffer frame as an skb of at most MAX_SKB_FRAGS (17) fragments.
constexpr uint32_t kMaxChunksPerFrame = 17;
// Kicks per send() while the kernel reports it sent a budget's worth
// (EAGAIN) or the device refused a frame (EBUSY); what is left goes with the
// next send().
constexpr int kMaxKicks = 4;
// How long a queue may stay busy after its last socket closed.
constexpr auto kQueueReleaseWait = std::chrono::milliseconds(200);

// ------------------------------------------------------------ library logs
// libbpf and libxdp print through callbacks, to stderr unless told
// otherwise. Their chatter ("No bpffs found", every ELF section) has no place
// in a daemon's output, so it is dropped; while a port is being attached on
// this thread the last warning or notice is kept, because it often says why
// an attach failed ("XDP mode not supported; try using SKB mode").
thread_local std::string* library_log_sink = nullptr;

void keep_library_message(const char* format, va_list args) {
  if (library_log_sink == nullptr) return;
  char line[256];
  std::vsnprintf(line, sizeof line, format, args);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!text.empty()) *library_log_sink = std::move(text);
}

int print_libxdp(enum libxdp_print_level level, const char* format, va_list args) {
  if (level != LIBXDP_DEBUG) keep_library_message(format, args);
  return 0;
}

int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_DEBUG) keep_library_message(format, args);
  return 0;
}

// Routes the libraries' messages to `sink` (nullptr: dropped) while alive.
class LibraryLogCapture {
 public:
  explicit LibraryLogCapture(std::string* sink) {
    static std::once_flag installed;
    std::call_once(installed, [] {
      libxdp_set_print(print_libxdp);
      libbpf_set_print(print_libbpf);
    });
    library_log_sink = sink;
  }
  ~LibraryLogCapture() { library_log_sink = nullptr; }
  LibraryLogCapture(const LibraryLogCapture&) = delete;
  LibraryLogCapture& operator=(const LibraryLogCapture&) = delete;
};

// ----------------------------------------------------------------- options
// Index of the value of option `key` in `choices`, `fallback` when absent.
Result<size_t> choice_option(std::string_view name, const VportOptions& options,
                             std::string_view key, std::initializer_list<std::string_view> choices,
                             size_t fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  size_t index = 0;
  std::string listed;
  for (std::string_view choice : choices) {
    if (choice == it->second) return index;
    listed += (index == 0 ? "" : ", ") + std::string(choice);
    ++index;
  }
  return make_error(describe_port(kKind, name) + ": option " + std::string(key) + "=" +
                    it->second + " is not one of " + listed);
}

Result<uint32_t> power_of_two_option(std::string_view name, const VportOptions& options,
                                     std::string_view key, uint32_t min, uint32_t max,
                                     uint32_t fallback) {
  Result<uint64_t> value = integer_option(kKind, name, options, key, min, max, fallback);
  if (!value) return make_error(value.error());
  if ((*value & (*value - 1)) != 0) {
    return make_error(describe_port(kKind, name) + ": option " + std::string(key) + "=" +
                      std::to_string(*value) + " is not a power of two");
  }
  return static_cast<uint32_t>(*value);
}

// Receive queues as the driver counts them (ETHTOOL_GCHANNELS), or 0 when
// it does not say.
uint32_t receive_queue_count(const std::string& name) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return 0;
  ethtool_channels channels;
  std::memset(&channels, 0, sizeof channels);
  channels.cmd = ETHTOOL_GCHANNELS;
  ifreq request;
  std::memset(&request, 0, sizeof request);
  std::memcpy(request.ifr_name, name.data(), std::min(name.size(), sizeof request.ifr_name - 1));
  request.ifr_data = reinterpret_cast<char*>(&channels);
  if (::ioctl(fd.get(), SIOCETHTOOL, &request) < 0) return 0;
  return channels.rx_count + channels.combined_count;
}

std::string bind_description(uint16_t bind_flags) {
  if ((bind_flags & XDP_ZEROCOPY) != 0) return " with zero-copy";
  if ((bind_flags & XDP_COPY) != 0) return " in copy mode";
  return "";
}

// errno values of a transmit kick on a socket whose device is down or gone.
bool device_unusable(int err) { return err == ENETDOWN || err == ENXIO || err == ENODEV; }

}  // namespace

Result<AfXdpConfig> parse_afxdp_options(std::string_view name, const VportOptions& options) {
  if (Status known = check_known_options(kKind, name, options,
                                         {"queue", "mode", "zerocopy", "frames", "frame_size",
                                          "ring", "mtu"});
      !known) {
    return make_error(known.error());
  }
  AfXdpConfig config;
  Result<uint32_t> mtu = mtu_option(kKind, name, options);
  if (!mtu) return make_error(mtu.error());
  config.mtu = *mtu;
  Result<uint64_t> queue = integer_option(kKind, name, options, "queue", 0, 65535, 0);
  if (!queue) return make_error(queue.error());
  config.queue = static_cast<uint32_t>(*queue);

  Result<size_t> mode = choice_option(name, options, "mode", {"native", "generic", "auto"}, 2);
  if (!mode) return make_error(mode.error());
  config.mode = std::array{XdpAttachMode::kNative, XdpAttachMode::kGeneric,
                           XdpAttachMode::kAuto}[*mode];
  Result<size_t> zero_copy = choice_option(name, options, "zerocopy", {"auto", "on", "off"}, 0);
  if (!zero_copy) return make_error(zero_copy.error());
  config.zero_copy = std::array{XdpZeroCopy::kAuto, XdpZeroCopy::kOn, XdpZeroCopy::kOff}[*zero_copy];
  if (config.zero_copy == XdpZeroCopy::kOn && config.mode == XdpAttachMode::kGeneric) {
    return make_error(describe_port(kKind, name) +
                      ": option zerocopy=on needs native XDP (mode=native or auto), not "
                      "mode=generic");
  }

  Result<uint32_t> frame_size = power_of_two_option(name, options, "frame_size", 2048, 4096, 4096);
  if (!frame_size) return make_error(frame_size.error());
  config.frame_size = *frame_size;
  Result<uint32_t> ring = power_of_two_option(name, options, "ring", 32, 16384, 2048);
  if (!ring) return make_error(ring.error());
  config.ring = *ring;
  Result<uint32_t> frames = power_of_two_option(name, options, "frames", 64, 262144, 4096);
  if (!frames) return make_error(frames.error());
  config.frames = *frames;
  // Half the frames receive, half transmit; a side never has more than a
  // ring's worth in flight, so more frames would sit unused.
  if (config.frames / 2 > config.ring) {
    return make_error(describe_port(kKind, name) + ": option frames=" +
                      std::to_string(config.frames) + " is more than twice ring=" +
                      std::to_string(config.ring) +
                      " (each direction uses half the frames, at most one ring's worth)");
  }
  return config;
}

// ------------------------------------------------------------------- setup

Result<std::unique_ptr<AfXdpPort>> AfXdpPort::open(const std::string& name,
                                                   const VportOptions& options) {
  Result<AfXdpConfig> config = parse_afxdp_options(name, options);
  if (!config) return make_error(config.error());
  Result<int> ifindex = interface_index(name);
  if (!ifindex) return make_error(ifindex.error());
  const std::string what = describe_port(kKind, name);
  uint32_t queues = receive_queue_count(name);
  if (queues != 0 && config->queue >= queues) {
    return make_error(what + ": interface " + name + " has no queue " +
                      std::to_string(config->queue) + " (it has " + std::to_string(queues) +
                      (queues == 1 ? " receive queue)" : " receive queues)"));
  }
  if (config->mtu != 0) {
    if (Status set = set_interface_mtu(name, config->mtu); !set) {
      return make_error(what + ": " + set.error());
    }
  }
  Result<uint32_t> mtu = interface_mtu(name);
  if (!mtu) return make_error(what + ": " + mtu.error());

  std::unique_ptr<AfXdpPort> port(new AfXdpPort(name, *config, *ifindex));
  port->mtu_ = *mtu;
  // A frame at the MTU (with one VLAN tag) that does not fit one chunk
  // after the kernel's headroom needs multi-buffer sockets.
  const uint32_t largest_frame = *mtu + ETH_HLEN + kVlanTagSize;
  port->multi_buffer_ = largest_frame > config->frame_size - kXdpHeadroom;
  if (port->multi_buffer_ && largest_frame > config->frame_size * kMaxChunksPerFrame) {
    return make_error(what + ": MTU " + std::to_string(*mtu) + " needs frames of " +
                      std::to_string(largest_frame) + " bytes, more than " +
                      std::to_string(kMaxChunksPerFrame) + " chunks of frame_size=" +
                      std::to_string(config->frame_size));
  }
  if (Status mapped = port->map_umem_area(); !mapped) return make_error(mapped.error());
  if (Status attached = port->attach(); !attached) return make_error(attached.error());
  port->prime_rings();
  return port;
}

AfXdpPort::AfXdpPort(std::string name, const AfXdpConfig& config, int ifindex)
    : Vport(kKind, std::move(name)),
      config_(config),
      ifindex_(ifindex),
      rings_(std::make_unique<XskRings>()) {}

AfXdpPort::~AfXdpPort() {
  {
    LibraryLogCapture quiet(nullptr);
    // Deleting the last socket of the interface also detaches libxdp's
    // program; a multi-buffer port detaches its own afterwards.
    destroy_socket(&xsk_);
    program_.reset();
  }
  if (umem_area_ != nullptr) ::munmap(umem_area_, umem_size_);
}

Status AfXdpPort::map_umem_area() {
  umem_size_ = static_cast<size_t>(config_.frames) * config_.frame_size;
  void* memory = ::mmap(nullptr, umem_size_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (memory == MAP_FAILED) {
    return make_error(describe_port(type(), name()) + ": cannot allocate " +
                      std::to_string(umem_size_ >> 20) + " MiB of UMEM: " + errno_text(errno));
  }
  umem_area_ = static_cast<uint8_t*>(memory);
  return Ok{};
}

Status AfXdpPort::attach() {
  const uint16_t common_flags = XDP_USE_NEED_WAKEUP | (multi_buffer_ ? XDP_USE_SG : 0);
  uint16_t native_flags = common_flags;
  if (config_.zero_copy == XdpZeroCopy::kOn) native_flags |= XDP_ZEROCOPY;
  if (config_.zero_copy == XdpZeroCopy::kOff) native_flags |= XDP_COPY;
  // Without XDP_ZEROCOPY or XDP_COPY the kernel tries zero-copy and falls
  // back to copying by itself. Generic XDP always copies.
  std::vector<Attempt> plan;
  if (config_.mode != XdpAttachMode::kGeneric) plan.push_back({true, native_flags});
  if (config_.mode == XdpAttachMode::kGeneric ||
      (config_.mode == XdpAttachMode::kAuto && config_.zero_copy != XdpZeroCopy::kOn)) {
    plan.push_back({false, static_cast<uint16_t>(common_flags | XDP_COPY)});
  }

  std::string failures;
  for (const Attempt& attempt : plan) {
    std::string library_log;
    SocketFailure failure;
    {
      LibraryLogCapture capture(&library_log);
      // Multi-buffer sockets need the program with frags support, which
      // the port attaches itself (xsk_redirect_program.h).
      failure = create_socket(attempt, /*load_program=*/!multi_buffer_, &xsk_);
      if (failure.err == 0 && multi_buffer_) {
        Status redirected = attach_redirect_program(attempt.native);
        if (!redirected) {
          destroy_socket(&xsk_);
          failures += (failures.empty() ? "" : "; ") + redirected.error();
          if (!library_log.empty()) failures += " [" + library_log + "]";
          continue;
        }
      }
    }
    if (failure.err == 0) {
      native_mode_ = attempt.native;
      socket_fd_ = xsk_socket__fd(xsk_.socket);
      xdp_options options{};
      socklen_t length = sizeof options;
      zero_copy_ = ::getsockopt(socket_fd_, SOL_XDP, XDP_OPTIONS, &options, &length) == 0 &&
                   (options.flags & XDP_OPTIONS_ZEROCOPY) != 0;
      module_log(LogModule::kVport)
          .info("{}: XDP socket on queue {} in {} mode, {}, {} MiB of UMEM{}{}",
                describe_port(type(), name()), config_.queue, attempt.native ? "native" : "generic",
                zero_copy_ ? "zero-copy" : "copying", umem_size_ >> 20,
                multi_buffer_ ? ", multi-buffer" : "",
                failures.empty() ? "" : " (after: " + failures + ")");
      return Ok{};
    }
    std::string reason = explain_failure(attempt, failure, library_log);
    if (failures.find(reason) == std::string::npos) {
      failures += (failures.empty() ? "" : "; ") + reason;
    }
  }
  return make_error(describe_port(type(), name()) + ": " + failures);
}

AfXdpPort::SocketFailure AfXdpPort::create_socket(const Attempt& attempt, bool load_program,
                                                  Socket* out) {
  // The kernel frees a closed socket's hold on its queue from a work item,
  // shortly after close(): a port reopened at once (set-if), or the next
  // attempt here, may find the queue still busy for a moment.
  auto deadline = std::chrono::steady_clock::now() + kQueueReleaseWait;
  while (true) {
    SocketFailure failure = try_create_socket(attempt, load_program, out);
    if (failure.err != -EBUSY || failure.in_umem || std::chrono::steady_clock::now() > deadline) {
      return failure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

AfXdpPort::SocketFailure AfXdpPort::try_create_socket(const Attempt& attempt, bool load_program,
                                                      Socket* out) {
  xsk_umem_config umem_config;
  std::memset(&umem_config, 0, sizeof umem_config);
  umem_config.fill_size = config_.ring;
  umem_config.comp_size = config_.ring;
  umem_config.frame_size = config_.frame_size;
  umem_config.frame_headroom = 0;
  int err = xsk_umem__create(&out->umem, umem_area_, umem_size_, &rings_->fill,
                             &rings_->completion, &umem_config);
  if (err != 0) {
    out->umem = nullptr;
    return {err, true};
  }
  xsk_socket_config socket_config;
  std::memset(&socket_config, 0, sizeof socket_config);
  socket_config.rx_size = config_.ring;
  socket_config.tx_size = config_.ring;
  socket_config.libxdp_flags = load_program ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  socket_config.xdp_flags = attempt.native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
  socket_config.bind_flags = attempt.bind_flags;
  err = xsk_socket__create(&out->socket, name().c_str(), config_.queue, out->umem, &rings_->rx,
                           &rings_->tx, &socket_config);
  if (err != 0) {
    out->socket = nullptr;
    destroy_socket(out);  // a fresh UMEM for the next attempt: this one may be bound
    return {err, false};
  }
  return {};
}

Status AfXdpPort::attach_redirect_program(bool native) {
  Result<std::unique_ptr<XskRedirectProgram>> program =
      XskRedirectProgram::attach(ifindex_, native);
  if (!program) return make_error(program.error());
  if (int err = xsk_socket__update_xskmap(xsk_.socket, (*program)->socket_map_fd()); err != 0) {
    return make_error("cannot register the socket with the XDP program: " + errno_text(-err));
  }
  program_ = std::move(*program);
  return Ok{};
}

void AfXdpPort::destroy_socket(Socket* socket) {
  if (socket->socket != nullptr) xsk_socket__delete(socket->socket);
  if (socket->umem != nullptr) xsk_umem__delete(socket->umem);
  socket->socket = nullptr;
  socket->umem = nullptr;
}

std::string AfXdpPort::explain_failure(const Attempt& attempt, const SocketFailure& failure,
                                       const std::string& library_log) {
  const std::string mode = attempt.native ? "native" : "generic";
  if (failure.in_umem) {
    return "cannot register " + std::to_string(umem_size_ >> 20) + " MiB of UMEM: " +
           errno_text(-failure.err) +
           (failure.err == -ENOBUFS || failure.err == -ENOMEM || failure.err == -EPERM
                ? " (locked memory limit? see ulimit -l)"
                : "");
  }
  // xsk_socket__create binds the socket, then loads and attaches the
  // program; binding again without the program tells which step failed.
  Socket probe;
  SocketFailure bind_failure;
  {
    LibraryLogCapture quiet(nullptr);
    bind_failure = create_socket(attempt, /*load_program=*/false, &probe);
    destroy_socket(&probe);
  }
  if (bind_failure.err == 0) {
    std::string message =
        "cannot attach the XDP program in " + mode + " mode: " + errno_text(-failure.err);
    if (!library_log.empty()) message += " [" + library_log + "]";
    return message;
  }
  std::string message = "cannot bind an AF_XDP socket to queue " + std::to_string(config_.queue) +
                        bind_description(attempt.bind_flags) + ": " +
                        errno_text(-bind_failure.err);
  if ((attempt.bind_flags & XDP_USE_SG) != 0 &&
      (bind_failure.err == -EINVAL || bind_failure.err == -EOPNOTSUPP)) {
    message += " (MTU " + std::to_string(mtu_) + " needs frames larger than one " +
               std::to_string(config_.frame_size) +
               "-byte chunk, so multi-buffer AF_XDP, which this kernel or driver does not "
               "offer: it needs Linux 6.6 or later; lower the MTU to " +
               std::to_string(config_.frame_size - kXdpHeadroom - ETH_HLEN - kVlanTagSize) +
               " or use an afpacket port)";
  } else if (bind_failure.err == -EOPNOTSUPP && (attempt.bind_flags & XDP_ZEROCOPY) != 0) {
    message += " (the driver has no zero-copy support: use zerocopy=auto or off)";
  } else if (bind_failure.err == -EBUSY) {
    message += " (another AF_XDP socket is bound to this queue)";
  } else if (bind_failure.err == -EAFNOSUPPORT) {
    message += " (the kernel has no AF_XDP support)";
  }
  return message;
}

void AfXdpPort::prime_rings() {
  // Frames [0, frames/2) receive, [frames/2, frames) transmit.
  const uint32_t per_side = config_.frames / 2;
  rx_waiting_.resize(per_side);
  tx_free_.resize(per_side);
  for (uint32_t i = 0; i < per_side; ++i) {
    rx_waiting_[i] = static_cast<uint64_t>(i) * config_.frame_size;
    tx_free_[i] = static_cast<uint64_t>(per_side + i) * config_.frame_size;
  }
  rx_waiting_count_ = per_side;
  tx_free_count_ = per_side;
  refill();
}

// ----------------------------------------------------------------- receive

void AfXdpPort::refill() {
  if (rx_waiting_count_ == 0) return;
  uint32_t wanted = static_cast<uint32_t>(rx_waiting_count_);
  uint32_t count = std::min(xsk_prod_nb_free(&rings_->fill, wanted), wanted);
  uint32_t first = 0;
  if (count == 0 || xsk_ring_prod__reserve(&rings_->fill, count, &first) != count) return;
  for (uint32_t i = 0; i < count; ++i) {
    *xsk_ring_prod__fill_addr(&rings_->fill, first + i) = rx_waiting_[--rx_waiting_count_];
  }
  xsk_ring_prod__submit(&rings_->fill, count);
  // A zero-copy driver that ran out of frames waits to be told there are more.
  if (xsk_ring_prod__needs_wakeup(&rings_->fill)) {
    ::recvfrom(socket_fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  }
}

size_t AfXdpPort::receive(PacketPool& pool, PacketBatch& out) {
  if (++calls_since_statistics_ >= kStatisticsInterval) collect_kernel_statistics();
  const uint64_t frame_mask = ~static_cast<uint64_t>(config_.frame_size - 1);
  const uint32_t room = static_cast<uint32_t>(PacketBatch::kMaxSize - out.size());
  // A multi-buffer frame spans several descriptors (XDP_PKT_CONTD on all
  // but its last); the kernel publishes a frame's descriptors together.
  const uint32_t wanted = multi_buffer_ ? room * kMaxChunksPerFrame : room;
  uint32_t first = 0;
  const uint32_t ready = room == 0 ? 0 : xsk_ring_cons__peek(&rings_->rx, wanted, &first);
  uint32_t taken = 0;  // descriptors consumed
  size_t received = 0;
  uint64_t bytes = 0, dropped = 0, errors = 0, runts = 0;
  // Gives a frame's chunks back to the fill side.
  auto recycle = [&](uint32_t from, uint32_t to) {
    for (uint32_t k = from; k < to; ++k) {
      // The kernel returns only frames we gave it; the bound guards the stack.
      if (rx_waiting_count_ < rx_waiting_.size()) {
        rx_waiting_[rx_waiting_count_++] =
            xsk_ring_cons__rx_desc(&rings_->rx, first + k)->addr & frame_mask;
      }
    }
  };
  while (taken < ready && received < room) {
    // The frame: descriptors [taken, end), `length` bytes in all.
    uint32_t end = taken;
    uint64_t length = 0;
    bool valid = true;
    const xdp_desc* desc;
    do {
      desc = xsk_ring_cons__rx_desc(&rings_->rx, first + end);
      valid = valid && desc->addr + desc->len <= umem_size_;
      length += desc->len;
      ++end;
    } while ((desc->options & XDP_PKT_CONTD) != 0 && end < ready);
    if ((desc->options & XDP_PKT_CONTD) != 0) {
      if (taken != 0) break;  // the frame's tail lies beyond this peek: next call
      ++errors;               // longer than any frame the kernel makes
    } else if (!valid) {
      ++errors;  // the kernel never writes such a descriptor,
      taken = end;  // and the frames it names are not ours to return
      continue;
    } else if (length < kMinFrameSize) {
      ++runts;  // vport.h
    } else if (length > pool.max_frame_size()) {
      ++dropped;
    } else {
      Packet* packet = pool.allocate(static_cast<uint32_t>(length));
      if (packet == nullptr) break;  // this frame and the rest wait for the next call
      for (uint32_t k = taken; k < end; ++k) {
        const xdp_desc* part = xsk_ring_cons__rx_desc(&rings_->rx, first + k);
        std::memcpy(packet->put(part->len), umem_area_ + part->addr, part->len);
      }
      packet->md.in_port = port_no();
      out.add(packet);
      bytes += length;
      ++received;
    }
    recycle(taken, end);
    taken = end;
  }
  if (taken < ready) xsk_ring_cons__cancel(&rings_->rx, ready - taken);
  if (taken != 0) xsk_ring_cons__release(&rings_->rx, taken);
  refill();
  counters_.add_rx(received, bytes);
  counters_.add_rx_dropped(dropped);
  counters_.add_rx_errors(errors);
  count_receive_drops(DropReason::kRxInvalidPacket, runts);
  return received;
}

void AfXdpPort::collect_kernel_statistics() {
  calls_since_statistics_ = 0;
  xdp_statistics now{};
  socklen_t length = sizeof now;
  // Kernels before 5.9 fill only the first three fields.
  if (::getsockopt(socket_fd_, SOL_XDP, XDP_STATISTICS, &now, &length) != 0 ||
      length < offsetof(xdp_statistics, rx_ring_full)) {
    return;
  }
  // The kernel's counts only grow; fold in what is new since the last read.
  counters_.add_rx_dropped((now.rx_dropped - last_statistics_.rx_dropped) +
                           (now.rx_ring_full - last_statistics_.rx_ring_full));
  counters_.add_rx_errors(now.rx_invalid_descs - last_statistics_.rx_invalid_descs);
  // The one transmit-side count, added from the receiving thread: counters
  // add with an atomic fetch_add, so a second writer is safe.
  counters_.add_tx_errors(now.tx_invalid_descs - last_statistics_.tx_invalid_descs);
  fill_ring_empty_.store(now.rx_fill_ring_empty_descs, std::memory_order_relaxed);
  tx_ring_empty_.store(now.tx_ring_empty_descs, std::memory_order_relaxed);
  last_statistics_ = now;
}

// ---------------------------------------------------------------- transmit

void AfXdpPort::reclaim_completions() {
  const uint64_t frame_mask = ~static_cast<uint64_t>(config_.frame_size - 1);
  uint32_t first = 0;
  uint32_t done = xsk_ring_cons__peek(&rings_->completion, config_.ring, &first);
  for (uint32_t i = 0; i < done; ++i) {
    // The kernel returns only frames we gave it; the bound guards the stack.
    if (tx_free_count_ < tx_free_.size()) {
      tx_free_[tx_free_count_++] = *xsk_ring_cons__comp_addr(&rings_->completion, first + i) &
                                   frame_mask;
    }
  }
  if (done != 0) xsk_ring_cons__release(&rings_->completion, done);
}

uint32_t AfXdpPort::kick_transmit() {
  uint32_t refused = 0;
  tx_backlog_ = false;
  int kicks = 0;
  // A zero-copy driver that is polling the ring already needs no kick; in
  // copy mode the kernel always asks for one (it sends from the syscall).
  while (xsk_ring_prod__needs_wakeup(&rings_->tx)) {
    if (::sendto(socket_fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) {
      device_unusable_ = false;
      return refused;
    }
    int err = errno;
    if (err == EINTR) continue;
    device_unusable_ = device_unusable(err);
    if (device_unusable_ || ++kicks == kMaxKicks || (err != EAGAIN && err != EBUSY)) {
      tx_backlog_ = true;  // what the ring still holds goes with the next kick
      return refused;
    }
    // EBUSY: the device dropped one frame (it still completes); EAGAIN: the
    // kernel sent its per-call budget, or the device queue was busy.
    if (err == EBUSY) ++refused;
    reclaim_completions();
  }
  return refused;
}

size_t AfXdpPort::send(PacketBatch& batch) {
  reclaim_completions();
  const size_t count = batch.size();
  const uint32_t chunk = config_.frame_size;
  // A frame larger than a chunk goes as several descriptors (multi-buffer
  // sockets only: without them no frame within the MTU is that large).
  auto chunks_of = [chunk](uint32_t length) { return (length + chunk - 1) / chunk; };
  // What the socket can carry: an Ethernet frame within the chunks one
  // frame may span (the datapath sends none above the MTU).
  auto sendable = [&](uint32_t length) {
    return length >= kMinFrameSize &&
           (length <= chunk || (multi_buffer_ && chunks_of(length) <= kMaxChunksPerFrame));
  };
  // Which frames go: the sendable ones in batch order, as long as free
  // frames and ring slots last (the ring reserves exactly what is used: it
  // cannot give slots back).
  uint32_t wanted = 0;
  for (Packet* packet : batch) {
    if (sendable(packet->size())) wanted += chunks_of(packet->size());
  }
  uint32_t room = std::min<uint32_t>(wanted, static_cast<uint32_t>(tx_free_count_));
  if (room != 0) room = std::min(room, xsk_prod_nb_free(&rings_->tx, room));
  uint32_t going = 0;  // bit i: batch[i] goes
  uint32_t used = 0;   // descriptors the frames that go take
  uint64_t dropped = 0, errors = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t length = batch[i]->size();
    if (!sendable(length)) {
      ++errors;  // no device would take it
    } else if (used + chunks_of(length) > room) {
      ++dropped;  // no free frame or ring slot
    } else {
      going |= 1u << i;
      used += chunks_of(length);
    }
  }
  uint32_t first = 0;
  if (used != 0 && xsk_ring_prod__reserve(&rings_->tx, used, &first) != used) {
    dropped += static_cast<uint32_t>(__builtin_popcount(going));
    going = 0;
    used = 0;
  }

  uint32_t placed = 0, slot = 0;
  uint64_t bytes = 0;
  for (uint32_t rest = going; rest != 0; rest &= rest - 1) {
    const Packet& packet = *batch[static_cast<size_t>(__builtin_ctz(rest))];
    const uint32_t length = packet.size();
    for (uint32_t offset = 0; offset < length; offset += chunk) {
      const uint32_t part = std::min(chunk, length - offset);
      uint64_t frame = tx_free_[--tx_free_count_];
      std::memcpy(umem_area_ + frame, packet.data() + offset, part);
      xdp_desc* desc = xsk_ring_prod__tx_desc(&rings_->tx, first + slot);
      desc->addr = frame;
      desc->len = part;
      desc->options = offset + part < length ? XDP_PKT_CONTD : 0;
      ++slot;
    }
    bytes += length;
    ++placed;
  }
  uint32_t refused = 0;
  if (used != 0) xsk_ring_prod__submit(&rings_->tx, used);
  if (placed != 0 || tx_backlog_) refused = std::min(kick_transmit(), placed);

  size_t sent = placed;
  if (device_unusable_) {
    // The frames wait in the ring and leave only if the device comes back.
    errors += placed + dropped;
    dropped = 0;
    sent = 0;
    bytes = 0;
  } else {
    dropped += refused;
    sent -= refused;
  }
  for (Packet* packet : batch) packet->pool()->release(packet);
  batch.clear();
  counters_.add_tx(sent, bytes);
  counters_.add_tx_dropped(dropped);
  counters_.add_tx_errors(errors);
  return sent;
}

Status AfXdpPort::take_pending_error() {
  int err = 0;
  socklen_t length = sizeof err;
  if (::getsockopt(socket_fd_, SOL_SOCKET, SO_ERROR, &err, &length) < 0 || err == 0) {
    return Ok{};
  }
  const std::string what = describe_port(type(), name());
  char current_name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex_), current_name) == nullptr) {
    return make_error(what + ": interface " + name() + " no longer exists (" + errno_text(err) +
                      ")");
  }
  return make_error(what + ": interface " + name() + " failed (" + errno_text(err) + ")");
}

}  // namespace flowpath
