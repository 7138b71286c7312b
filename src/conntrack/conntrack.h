// A connection tracker: what the datapath's ct() action runs packets
// through (as Open vSwitch's userspace lib/conntrack.c, or the kernel's
// nf_conntrack behind net/openvswitch/conntrack.c). One per datapath.
//
// execute() classifies each packet of a batch against the connection
// table (zone + 5-tuple, both directions) and writes the packet's ct_state,
// ct_zone, ct_mark, ct_label and original-direction tuple exactly as Open
// vSwitch does; with commit it creates the connection, with force it first
// ends a connection seen in the reply direction, and it writes mark and
// labels into the connection.
//
// Threads: execute() runs on forwarding threads inside an rcu::ReadSection;
// lookups take no lock, and packets of one connection update it under its
// own lock. Connections expire by time; a sweeper thread unlinks expired
// ones a slice of the table at a time (no stop-the-world pass) and frees
// them after a grace period. Control calls (dump, flush, limits) may come
// from any thread, outside a ReadSection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "conntrack/connection_table.h"
#include "conntrack/fragment_store.h"
#include "conntrack/nat_range.h"
#include "conntrack/packet_tuple.h"
#include "conntrack/timeouts.h"
#include "packet/packet_batch.h"

namespace flowpath::conntrack {

// One ct() action's parameters (the datapath decodes them once per batch).
struct CtRequest {
  uint16_t zone = 0;
  bool commit = false;
  bool force = false;  // implies commit
  bool set_mark = false;
  uint32_t mark = 0, mark_mask = 0;
  bool set_label = false;
  uint8_t label[16] = {}, label_mask[16] = {};
  NatRange nat;  // nat.present: the action carries nat (bare or a range)
};

// A connection as dump-conntrack shows it.
struct ConnectionEntry {
  ConnectionKey original;
  ConnectionKey reply;
  uint32_t id = 0;
  uint32_t mark = 0;
  uint8_t label[16] = {};
  uint64_t packets[2] = {0, 0};  // original, reply
  uint64_t bytes[2] = {0, 0};
  uint64_t created_ms = 0;       // wall clock (ms since the epoch)
  uint32_t timeout_s = 0;        // seconds left
  bool tcp = false;
  TcpState tcp_state[2] = {TcpState::kClosed, TcpState::kClosed};  // originator, responder
  uint8_t tcp_wscale[2] = {0, 0};
  bool sctp = false;
  SctpState sctp_state = SctpState::kNone;
  uint32_t sctp_vtag[2] = {0, 0};  // original, reply; as on the wire (network order)
};

// What to flush: everything, a zone, and/or connections whose original
// direction has these fields.
struct FlushFilter {
  std::optional<uint16_t> zone;
  std::optional<ConnectionKey> original;  // fields compared: those flagged below
  bool has_src = false, has_dst = false, has_src_port = false, has_dst_port = false,
       has_proto = false;
};

struct ZoneLimit {
  uint16_t zone;
  uint32_t limit;  // 0: unlimited
  uint32_t count;
};

// Counters of what the tracker refused or found (ct-stats-show's tail).
struct ConntrackCounters {
  uint64_t created = 0;          // connections committed
  uint64_t expired = 0;          // removed by the sweeper
  uint64_t full = 0;             // commits refused: the global maximum
  uint64_t zone_limited = 0;     // commits refused: the zone's limit
  uint64_t invalid = 0;          // packets marked +inv
  uint64_t nat_exhausted = 0;    // new connections dropped: no free NAT tuple in the range
};

class Conntrack {
 public:
  static constexpr uint32_t kDefaultMaxConnections = 3000000;  // as Open vSwitch

  explicit Conntrack(uint32_t bucket_bits = ConnectionTable::kDefaultBucketBits);
  ~Conntrack();  // stops the sweeper; call when no thread runs execute()
  Conntrack(const Conntrack&) = delete;
  Conntrack& operator=(const Conntrack&) = delete;

  // Tracks every packet of `batch` (inside an rcu::ReadSection). Returns
  // the packets to keep, one bit each: a packet that would open a NAT'd
  // connection when the range has no free tuple left is to be dropped
  // (DropReason::kNatExhausted; counters().nat_exhausted).
  uint32_t execute(PacketBatch& batch, const CtRequest& request, uint64_t now_ms);

  // ---- Control.
  // The connections alive at `now_ms` (monotonic_ms() outside tests).
  std::vector<ConnectionEntry> dump(std::optional<uint16_t> zone, uint64_t now_ms) const;
  size_t flush(const FlushFilter& filter);  // how many were removed
  uint32_t connection_count() const { return count_.load(std::memory_order_relaxed); }
  uint32_t max_connections() const { return max_.load(std::memory_order_relaxed); }
  void set_max_connections(uint32_t n) { max_.store(n, std::memory_order_relaxed); }
  bool tcp_sequence_check() const { return tcp_seq_check_.load(std::memory_order_relaxed); }
  void set_tcp_sequence_check(bool on) { tcp_seq_check_.store(on, std::memory_order_relaxed); }
  // Zone limits: 0 is unlimited; a zone without its own uses the default.
  uint32_t default_zone_limit() const;
  void set_default_zone_limit(uint32_t limit);
  void set_zone_limit(uint16_t zone, uint32_t limit);
  void delete_zone_limit(uint16_t zone);  // back to the default
  // The zones given (all with their own limit when empty), with counts.
  std::vector<ZoneLimit> zone_limits(const std::vector<uint16_t>& zones) const;
  TimeoutTable timeouts() const;
  void set_timeouts(const TimeoutTable& table);
  ConntrackCounters counters() const;

  // Unlinks the expired connections of the next `buckets` buckets (the
  // sweeper calls it; tests call it to expire without waiting).
  size_t sweep(uint64_t now_ms, uint32_t buckets);
  uint32_t bucket_count() const { return table_.bucket_count(); }

  // IP fragments are reassembled here before they are tracked (the
  // datapath's ct() runs them through it; see fragment_store.h).
  FragmentStore& fragments() { return fragments_; }
  const FragmentStore& fragments() const { return fragments_; }

 private:
  // False: drop the packet (NAT range exhausted).
  bool process(Packet& packet, const CtRequest& request, uint64_t now_ms);
  uint64_t expiration(Timeout t, uint64_t now_ms) const {
    return now_ms + uint64_t{timeout_s_[static_cast<size_t>(t)].load(std::memory_order_relaxed)} * 1000;
  }
  // Runs the protocol's state machine for a packet of `conn` (lock held).
  UpdateResult update_locked(Connection& conn, const PacketTuple& tuple, bool reply,
                             uint64_t now_ms);
  // Counts the packet, applies the mark and label writes and copies the
  // connection's mark and label to the packet (conn's lock held).
  void finish_locked(Connection& conn, uint32_t state, bool reply, uint64_t size,
                     const CtRequest& request, PacketMetadata& md);
  // ct_state and the original tuple (none for an invalid packet).
  void write_state(uint32_t state, const Connection* conn, const PacketTuple& tuple,
                   PacketMetadata& md);
  // Creates and links a connection for a new packet, translated by `nat`
  // when it names src or dst; nullptr when a limit refuses it or (with
  // *exhausted set) no NAT tuple is free. May return another thread's
  // connection for the same key.
  Connection* commit(const PacketTuple& tuple, const NatRange& nat, uint64_t now_ms,
                     bool* exhausted);
  // Translates a packet of `conn` travelling in direction `reply` (an ICMP
  // error when `related`) and returns the ct_state bit it earns.
  Connection* lookup_original_tuple(const ConnectionKey& packet_key, const ConntrackTuple& tuple,
                                    bool* reply, uint64_t now_ms) const;
  static uint32_t nat_packet(Packet& packet, const PacketTuple& tuple, const Connection& conn,
                             bool reply, bool related);
  void remove(Connection* conn);  // unlink, uncount, free after a grace period
  void sweeper_main();
  void ensure_sweeper();

  ConnectionTable table_;
  FragmentStore fragments_;
  std::atomic<uint32_t> count_{0};
  std::atomic<uint32_t> max_{kDefaultMaxConnections};
  std::atomic<bool> tcp_seq_check_{true};
  std::atomic<uint32_t> next_id_{1};
  // Per zone: connections counted and the limit in force (0: none).
  std::unique_ptr<std::atomic<uint32_t>[]> zone_count_;
  std::unique_ptr<std::atomic<uint32_t>[]> zone_limit_;
  mutable std::mutex limits_mutex_;              // serialises limit changes
  uint32_t default_limit_ = 0;                   // limits_mutex_
  std::map<uint16_t, uint32_t> explicit_limits_; // limits_mutex_
  std::atomic<uint32_t> timeout_s_[kTimeoutCount];
  std::atomic<uint64_t> created_{0}, expired_{0}, full_{0}, zone_limited_{0}, invalid_{0},
      nat_exhausted_{0};
  const uint64_t nat_basis_;  // hashes NAT tuples

  // The sweeper, started with the first connection.
  std::once_flag sweeper_once_;
  std::thread sweeper_;
  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool stopping_ = false;  // sweeper_mutex_
  uint32_t sweep_cursor_ = 0;
  std::mutex sweep_mutex_;  // one sweep() at a time
};

}  // namespace flowpath::conntrack
