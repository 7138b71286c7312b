// Vport: one port of the datapath (Linux net/openvswitch/vport*.c has the
// same split). A forwarding thread polls a port for a batch of received
// packets and hands it whole batches to send; the virtual calls are per batch,
// never per packet.
//
// Threading: receive() is called by one thread at a time and send() by one
// thread at a time, but the receiving and the sending thread may differ and
// run at once (rx and tx state are disjoint). stats() may be read from any
// thread at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "packet/drop_counters.h"
#include "packet/packet_batch.h"
#include "packet/packet_pool.h"

namespace flowpath {

enum class VportKind : uint8_t { kAfPacket, kTap, kInternal, kPcap, kAfXdp, kVxlan, kGeneve, kGre };

// "afpacket", "tap", "internal", "pcap", "afxdp", "vxlan", "geneve", "gre".
std::string_view to_string(VportKind kind);
Result<VportKind> vport_kind_from_string(std::string_view text);

// Port options as `ovs-dpctl add-if DP IFACE,type=T,key=value,...` gives them.
using VportOptions = std::map<std::string, std::string, std::less<>>;

// "IFACE[,type=T][,key=value]..." split into its parts. Without type= the
// kind is afpacket (an existing Linux interface).
struct VportSpec {
  std::string name;
  VportKind kind = VportKind::kAfPacket;
  VportOptions options;
};
Result<VportSpec> parse_vport_spec(std::string_view text);

// ---- Frame sizes: the rules every port type applies on receive.
//
// A port delivers any frame from kMinFrameSize bytes up to the pool's
// largest buffer (PacketPool::kLargeFrameSize), whatever its MTU, the way a
// Linux device accepts what its peer hands over. Shorter frames ("runts",
// which no flow can meaningfully match) are dropped and counted under
// DropReason::kRxInvalidPacket against the port and its datapath
// (count_receive_drops()); Open vSwitch drops them at its datapath's input
// the same way. On transmit the datapath keeps frames above a port's MTU
// from it (DatapathPort::fits_mtu); a port refuses only what its device
// cannot take (counted in tx_errors).
inline constexpr uint32_t kMinFrameSize = 14;  // an Ethernet header

// A snapshot of a port's counters.
struct VportStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_errors = 0;   // the system reported a failure while receiving
  uint64_t rx_dropped = 0;  // frames lost: too large, truncated, kernel ring overrun
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_errors = 0;   // the system refused the frame (too large, device down/gone)
  uint64_t tx_dropped = 0;  // no room in the device's queue or socket buffer
  // Packets the datapath dropped that belong to this port, by reason: runts
  // it received and its upcalls lost (as input port), frames over its MTU
  // (as output port).
  DropCounts drops;
};

// The live counters. Each field has one writer at a time (the rx or the tx
// thread), which adds once per batch; readers on other threads see relaxed
// atomic values.
class VportCounters {
 public:
  void add_rx(uint64_t packets, uint64_t bytes) {
    add(rx_packets_, packets);
    add(rx_bytes_, bytes);
  }
  void add_tx(uint64_t packets, uint64_t bytes) {
    add(tx_packets_, packets);
    add(tx_bytes_, bytes);
  }
  void add_rx_errors(uint64_t n) { add(rx_errors_, n); }
  void add_rx_dropped(uint64_t n) { add(rx_dropped_, n); }
  void add_tx_errors(uint64_t n) { add(tx_errors_, n); }
  void add_tx_dropped(uint64_t n) { add(tx_dropped_, n); }
  void add_drops(DropReason why, uint64_t n) { drops_.add(why, n); }
  VportStats snapshot() const;

 private:
  static void add(std::atomic<uint64_t>& counter, uint64_t n) {
    if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> rx_packets_{0}, rx_bytes_{0}, rx_errors_{0}, rx_dropped_{0};
  std::atomic<uint64_t> tx_packets_{0}, tx_bytes_{0}, tx_errors_{0}, tx_dropped_{0};
  DropCounters drops_{CounterWriters::kMany};  // any thread
};

class Vport {
 public:
  virtual ~Vport() = default;
  Vport(const Vport&) = delete;
  Vport& operator=(const Vport&) = delete;

  const std::string& name() const { return name_; }
  VportKind type() const { return kind_; }

  // The datapath's number for this port; received packets get it as
  // md.in_port. 0 until set.
  uint32_t port_no() const { return port_no_; }
  void set_port_no(uint32_t port_no) { port_no_ = port_no; }

  // Non-blocking. Appends up to the batch's free space of received packets,
  // allocated from `pool` (metadata reset, md.in_port = port_no()), and
  // returns how many it appended. Stops early when the pool runs dry; the
  // frames not taken stay queued for the next call.
  virtual size_t receive(PacketPool& pool, PacketBatch& out) = 0;

  // What the datapath calls to send a batch: send(), after finishing in
  // software (offload_finish.h) what packets left to the device and this
  // port cannot take (accepted_offloads()): checksums completed,
  // super-frames cut into segments, sent in batches of their own. The
  // check costs one OR per packet. Returns how many of the batch's packets
  // the system accepted; a lost segment counts as a lost packet.
  size_t output(PacketBatch& batch) {
    uint8_t needs = 0;
    for (const Packet* p : batch) needs |= p->offload.needs;
    if ((needs & ~accepted_offloads_) == 0) [[likely]] return send(batch);
    return finish_offloads_and_send(batch);
  }
  // The offloads (packet_offload.h) a packet may still need when send()
  // gets it: the port passes them to its device (a virtio-net header).
  uint8_t accepted_offloads() const { return accepted_offloads_; }

  // Sends every packet of `batch` in as few system calls as the device
  // allows, then releases each packet to its pool (ownership passes, also for
  // packets that failed) and clears the batch. Returns how many the system
  // accepted; failures are counted in the statistics.
  virtual size_t send(PacketBatch& batch) = 0;

  // A descriptor that becomes readable (poll/epoll) when receive() has work,
  // or -1 when there is none to wait on (poll receive() instead).
  virtual int wait_fd() const = 0;

  // The largest L3 payload a frame may carry (DatapathPort::fits_mtu): the
  // device's MTU as set (option mtu=N) or read when the port was opened (no
  // system call here).
  virtual uint32_t mtu() const = 0;

  // Reports, and clears, an asynchronous failure of the device: it went down
  // or was deleted. Call it when poll() flags POLLERR/POLLHUP on wait_fd()
  // (ForwardingThread does, and records it: device_error()).
  // A port whose device is gone stays inert (receive 0, send counts errors);
  // the datapath should remove it.
  virtual Status take_pending_error() { return Ok{}; }

  // Whether the device this port created (tap, internal) outlives the port.
  // A persistent device stays when the port is closed or the process ends,
  // keeping its addresses, routes and MAC address, and a port opened later
  // under the same name attaches to it again. Ports of devices they did not
  // create (afpacket, afxdp, pcap) have nothing to keep and accept either.
  virtual Status set_device_persistent(bool persistent) {
    (void)persistent;
    return Ok{};
  }

  VportStats stats() const { return counters_.snapshot(); }
  // Counts packets of this port the datapath dropped (any thread).
  void count_drops(DropReason why, uint64_t n) { counters_.add_drops(why, n); }

  // The drop counters of the datapath the port is attached to (any thread
  // may add to them): what the port drops on receive counts there too. Set
  // when the port is attached, before the first receive(); none until then.
  void set_datapath_drops(DropCounters* drops) { datapath_drops_ = drops; }

  // The last failure of the device take_pending_error() reported to the
  // thread that polls the port ("... interface veth1 no longer exists
  // (Network is down)"), or "" when there was none. Any thread; recorded
  // when poll() flags the port's descriptor, never per packet.
  std::string device_error() const {
    std::lock_guard lock(device_error_mutex_);
    return device_error_;
  }
  void record_device_error(std::string error) {
    std::lock_guard lock(device_error_mutex_);
    device_error_ = std::move(error);
  }

 protected:
  Vport(VportKind kind, std::string name) : name_(std::move(name)), kind_(kind) {}

  // A drop the port decided on receive (once per batch, n may be 0):
  // counted against the port and its datapath.
  void count_receive_drops(DropReason why, uint64_t n) {
    if (n == 0) [[likely]] return;
    counters_.add_drops(why, n);
    if (datapath_drops_ != nullptr) datapath_drops_->add(why, n);
  }

  // Set once by a port that takes offloads, before it is attached.
  void set_accepted_offloads(uint8_t bits) { accepted_offloads_ = bits; }

  VportCounters counters_;

 private:
  size_t finish_offloads_and_send(PacketBatch& batch);

  std::string name_;
  VportKind kind_;
  uint32_t port_no_ = 0;
  DropCounters* datapath_drops_ = nullptr;
  uint8_t accepted_offloads_ = 0;
  mutable std::mutex device_error_mutex_;
  std::string device_error_;
};

// Whether a port of `kind` opens an existing Linux interface by its name
// (afpacket, afxdp): such a port can wait, absent, for its interface to
// appear, and goes when the interface does.
inline bool opens_interface_by_name(VportKind kind) {
  return kind == VportKind::kAfPacket || kind == VportKind::kAfXdp;
}

// For a port of `kind` that opens an interface by name: checks the name and
// the options without touching any device (what create_vport() would refuse
// before opening it), so a port whose interface does not exist yet is
// refused for a bad option all the same.
Status check_interface_port_spec(VportKind kind, const std::string& name,
                                 const VportOptions& options);

// Opens or creates a port of `kind`. Unknown options are an error naming the
// option; system failures name the device and the reason, e.g.
// "interface veth9 does not exist",
// "tap: cannot create device fp0: Operation not permitted".
Result<std::unique_ptr<Vport>> create_vport(VportKind kind, const std::string& name,
                                            const VportOptions& options);

}  // namespace flowpath
