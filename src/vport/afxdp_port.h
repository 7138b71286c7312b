// Attaches one receive queue of an existing Linux interface through an AF_XDP
// socket (libxdp's xsk API, with libxdp's default redirect program).
//
// UMEM: one per port, `frames` chunks of `frame_size` bytes, split in two
// disjoint halves so the receiving and the sending thread never share a frame:
//   - receive frames cycle fill ring -> kernel -> rx ring -> copy -> fill
//     ring. receive() copies each frame into a pool packet (the datapath
//     works on pool packets) and hands the frame straight back; frames the
//     fill ring has no room for yet wait on a small stack;
//   - transmit frames cycle free stack -> copy -> tx ring -> kernel ->
//     completion ring -> free stack. send() first reclaims what the
//     completion ring returned, copies the batch into free frames, submits
//     it whole and kicks the kernel (sendto) only when the ring asks for it
//     (XDP_USE_NEED_WAKEUP). No free frame or ring slot: counted tx_dropped.
// Each ring holds `ring` entries; a side owns at most `ring` frames, so the
// completion ring can never overflow.
//
// Attach modes (`mode=`): native runs the program in the driver (veth
// supports it); generic runs it on the kernel's skb path, slower but works on
// any device; auto tries native, then generic. `zerocopy=` asks the kernel to
// map the UMEM into the driver: on fails where the driver cannot (veth
// cannot), auto lets the kernel fall back to copying, off always copies.
// Zero-copy needs native mode.
//
// What native XDP on veth needs (checked on Linux 6.18): the XDP program on
// the receiving veth runs in the veth's own NAPI poll, enabled by attaching
// it, so nothing is needed on the peer. (The peer-side requirement -- an XDP
// program or GRO on the peer -- applies to XDP_REDIRECT and XDP_TX *into* a
// veth; AF_XDP transmit in copy mode builds an skb and never takes that
// path.)
//
// Frame sizes. A received frame must fit one UMEM chunk after the kernel's
// 256-byte XDP headroom (1,792 bytes with 2 KiB chunks, 3,840 with 4 KiB),
// unless the socket is multi-buffer (Linux 6.6+, XDP_USE_SG): then a frame
// spans several chunks (descriptors marked XDP_PKT_CONTD) and is copied into
// one pool packet, and a frame to send is split the same way. A port whose
// MTU (set with mtu=N, or the interface's) needs frames larger than one
// chunk opens multi-buffer, with the redirect program loaded with frags
// support (xsk_redirect_program.h); where the kernel or driver cannot,
// opening fails and says so. Runts are dropped (vport.h). Offloads: as for
// afpacket, run
// the peers with `ethtool -K IF tx off tso off gso off`. VLAN tags inside
// the frame arrive as sent; a tag the sender's stack kept out of band (VLAN
// tx offload) is not in the frame XDP sees and is not restored (untested
// here: this kernel builds neither 8021q nor act_vlan).
//
// Counters: rx/tx packets and bytes as the port moved them. tx_packets
// counts frames handed to the kernel's ring less those the device refused at
// once (EBUSY, e.g. a veth peer's backlog full: counted tx_dropped); tx_bytes
// counts every byte handed over, as the refused frame is not identified.
// The kernel's XDP_STATISTICS are read
// every kStatisticsInterval receive() calls (and by
// collect_kernel_statistics()): its drops for lack of rx ring space, for
// lack of a fill-ring frame and for oversize frames add to rx_dropped;
// invalid descriptors (a bug) to rx_errors / tx_errors.
//
// The interface going away is not fatal: receive() returns nothing, sends
// count errors, take_pending_error() says what happened.
//
// Options: queue=N (0), mode=native|generic|auto (auto),
// zerocopy=auto|on|off (auto), frames=N (power of two, 4096),
// frame_size=2048|4096 (4096), ring=N (power of two, 2048), mtu=N (68..65535:
// sets the interface's MTU before attaching; without it the interface keeps
// its own).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <linux/if_xdp.h>

#include "vport/netdev.h"
#include "vport/vport.h"

// libxdp's types stay out of this header: <xdp/xsk.h> pulls in <linux/bpf.h>,
// whose struct bpf_insn clashes with libpcap's (pcap_port.h).
struct xsk_umem;
struct xsk_socket;

namespace flowpath {

struct XskRings;  // the four rings, defined in afxdp_port.cc
class XskRedirectProgram;

enum class XdpAttachMode : uint8_t { kNative, kGeneric, kAuto };
enum class XdpZeroCopy : uint8_t { kAuto, kOn, kOff };

// The port's options, validated.
struct AfXdpConfig {
  uint32_t mtu = 0;  // 0: keep the interface's
  uint32_t queue = 0;
  XdpAttachMode mode = XdpAttachMode::kAuto;
  XdpZeroCopy zero_copy = XdpZeroCopy::kAuto;
  uint32_t frames = 4096;
  uint32_t frame_size = 4096;
  uint32_t ring = 2048;
};

// Checks `options` of afxdp port `name`; errors name the option and the rule.
Result<AfXdpConfig> parse_afxdp_options(std::string_view name, const VportOptions& options);

class AfXdpPort final : public Vport {
 public:
  // receive() calls between two reads of the kernel's XDP_STATISTICS.
  static constexpr uint32_t kStatisticsInterval = 1024;

  static Result<std::unique_ptr<AfXdpPort>> open(const std::string& name,
                                                 const VportOptions& options);
  ~AfXdpPort() override;

  size_t receive(PacketPool& pool, PacketBatch& out) override;
  size_t send(PacketBatch& batch) override;
  int wait_fd() const override { return socket_fd_; }
  uint32_t mtu() const override { return mtu_; }
  Status take_pending_error() override;

  // Folds the kernel's XDP_STATISTICS into the counters now. Call it from
  // the receiving thread (receive() does, every kStatisticsInterval calls).
  void collect_kernel_statistics();

  // How the socket ended up attached.
  bool native_mode() const { return native_mode_; }
  bool zero_copy() const { return zero_copy_; }
  // Whether frames may span several UMEM chunks (the MTU needs it).
  bool multi_buffer() const { return multi_buffer_; }
  const AfXdpConfig& config() const { return config_; }
  // Times the kernel found the fill ring empty (zero-copy: the driver had no
  // frame to receive into; copy mode: also counted in rx_dropped), and the
  // tx ring empty when asked to send (in copy mode every poll() on the
  // socket asks, so this is no loss). As of the last statistics read.
  uint64_t fill_ring_empty() const { return fill_ring_empty_.load(std::memory_order_relaxed); }
  uint64_t tx_ring_empty() const { return tx_ring_empty_.load(std::memory_order_relaxed); }

 private:
  // One way of attaching: XDP mode and bind flags.
  struct Attempt {
    bool native;
    uint16_t bind_flags;
  };
  // A UMEM and a socket bound to the queue (program loaded or not).
  struct Socket {
    xsk_umem* umem = nullptr;
    xsk_socket* socket = nullptr;
  };
  // 0, or the negative errno of registering the UMEM or creating the socket.
  struct SocketFailure {
    int err = 0;
    bool in_umem = false;
  };

  AfXdpPort(std::string name, const AfXdpConfig& config, int ifindex);
  Status map_umem_area();
  Status attach();
  // Creates a UMEM and a socket as `attempt` says, into this port's rings;
  // on failure nothing is left behind.
  SocketFailure create_socket(const Attempt& attempt, bool load_program, Socket* out);
  SocketFailure try_create_socket(const Attempt& attempt, bool load_program, Socket* out);
  static void destroy_socket(Socket* socket);
  // Multi-buffer: attaches the frags-aware redirect program in the mode
  // given and registers the socket in its map.
  Status attach_redirect_program(bool native);
  // Why `attempt` failed: the UMEM, binding, or the XDP program (with the
  // libraries' last message).
  std::string explain_failure(const Attempt& attempt, const SocketFailure& failure,
                              const std::string& library_log);
  void prime_rings();

  // Hands frames waiting on the receive stack to the fill ring.
  void refill();
  // Moves the frames the kernel finished sending back to the free stack.
  void reclaim_completions();
  // Asks the kernel to send what the tx ring holds; returns how many frames
  // the device refused, sets device_unusable_ and tx_backlog_.
  uint32_t kick_transmit();

  AfXdpConfig config_;
  int ifindex_;
  uint32_t mtu_ = 0;
  bool native_mode_ = false;
  bool zero_copy_ = false;
  bool multi_buffer_ = false;

  uint8_t* umem_area_ = nullptr;
  size_t umem_size_ = 0;
  Socket xsk_;
  std::unique_ptr<XskRedirectProgram> program_;  // multi-buffer only
  int socket_fd_ = -1;
  std::unique_ptr<XskRings> rings_;

  // Receive side (receive thread only).
  std::vector<uint64_t> rx_waiting_;  // frames not yet back on the fill ring
  size_t rx_waiting_count_ = 0;
  uint32_t calls_since_statistics_ = 0;
  xdp_statistics last_statistics_{};

  // Transmit side (send thread only).
  std::vector<uint64_t> tx_free_;  // frames free for sending
  size_t tx_free_count_ = 0;
  bool device_unusable_ = false;  // the last kick found the device down or gone
  bool tx_backlog_ = false;       // the last kick left frames in the tx ring

  std::atomic<uint64_t> fill_ring_empty_{0};
  std::atomic<uint64_t> tx_ring_empty_{0};
};

}  // namespace flowpath
