// IP fragment reassembly in front of the connection tracker, as Open
// vSwitch's userspace datapath does it (its lib/ipf.c): fragments reaching
// ct() are held and reassembled per (zone, recirculation id, source,
// destination, identification, protocol), for IPv4 and IPv6; the whole
// packet is tracked (so ct_state is set on it and its transport header is
// seen), and the fragments, not the whole packet, go on, each carrying the
// whole packet's ct_* metadata (and its NAT translation).
//
// Memory is preallocated (no heap allocation on the packet path): up to
// kMaxFragmentsBound fragment records and datagram records, and a buffer of
// kSlotBytes per fragment in one anonymous mapping touched only where
// fragments have been held.
//
// Threads: one store per tracker, shared by the forwarding threads and the
// handlers executing packets. Only fragments take its lock (a packet that is
// no fragment never does), as Open vSwitch's ipf_lock; settings and counters
// are atomics.
//
// Limits (as Open vSwitch): at most max_fragments() fragments held
// (ipf-set-max-nfrags, default 1000, at most 5000), a fragment other than a
// datagram's last must be at least min_fragment_size() bytes of IP packet
// (ipf-set-min-frag, defaults 1200 for IPv4 and 1280 for IPv6, at least
// 400); a datagram not complete 15 s after its first fragment is dropped.
// Fragments the store does not take (too small, store full, family
// disabled, larger than a buffer, a datagram already complete) are tracked
// as they are: conntrack marks a fragment +trk+inv. A fragment overlapping
// one held for its datagram and one that would make the datagram larger
// than an IP packet can be (or past the end its last fragment set) are
// dropped (DropReason::kFragmentOverlap, kFragmentOversized) and counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "packet/packet.h"
#include "packet/packet_batch.h"
#include "packet/packet_pool.h"

namespace flowpath::conntrack {

// Per address family (ipf-get-status's counters).
struct FragmentCounters {
  uint64_t accepted = 0;    // fragments held
  uint64_t completed = 0;   // fragments sent on after their datagram was tracked
  uint64_t expired = 0;     // fragments dropped with a datagram that timed out
  uint64_t too_small = 0;   // not held: below the minimum size (tracked as they are: +inv)
  uint64_t overlapped = 0;  // dropped: overlapping a held fragment of the datagram
  uint64_t oversized = 0;   // dropped: beyond 65,535 bytes or past the datagram's end
  uint64_t not_held = 0;    // not held: the store was full or the frame larger than a buffer
  uint64_t purged = 0;      // dropped after reassembly: no buffer, or ct() dropped the datagram
};

struct FragmentStatus {
  bool v4_enabled = true, v6_enabled = true;
  uint32_t max_fragments = 0;  // held at once
  uint32_t fragments = 0;      // held now
  uint32_t datagrams = 0;      // incomplete datagrams now
  uint32_t v4_min_size = 0, v6_min_size = 0;
  FragmentCounters v4, v6;
};

// One datagram being reassembled, as `ipf-get-status -m` lists it.
struct FragmentListEntry {
  bool ipv6 = false;
  uint16_t zone = 0;
  uint32_t recirc_id = 0;
  uint8_t src[16] = {}, dst[16] = {};
  uint32_t id = 0;
  uint8_t proto = 0;
  uint32_t fragments = 0;
  bool first_seen = false, last_seen = false;
  uint32_t expires_in_ms = 0;
};

class FragmentStore {
 public:
  static constexpr uint32_t kMaxFragmentsBound = 5000;   // Open vSwitch's IPF_NFRAG_UBOUND
  static constexpr uint32_t kDefaultMaxFragments = 1000;
  static constexpr uint32_t kMinFragmentSizeBound = 400;
  static constexpr uint32_t kDefaultMinV4 = 1200, kDefaultMinV6 = 1280;
  static constexpr uint64_t kTimeoutMs = 15000;
  // Frame bytes a held fragment may have: a 9000-byte MTU frame with tags.
  static constexpr uint32_t kFrameBytes = 9216;

  enum class Result : uint8_t {
    kNotFragment,  // track it as it is
    kPassed,       // a fragment the store did not take: track it as it is (+inv)
    kHeld,         // copied into the store: release the packet
    kCompleted,    // held, and its datagram is now complete (*datagram names it)
    kOverlap,      // drop (DropReason::kFragmentOverlap)
    kOversized,    // drop (DropReason::kFragmentOversized)
  };

  FragmentStore();
  ~FragmentStore();
  FragmentStore(const FragmentStore&) = delete;
  FragmentStore& operator=(const FragmentStore&) = delete;

  // Cheap test that needs no lock: might `p` be a fragment this store
  // takes? (IPv4 with MF or an offset; IPv6 with extension headers.)
  bool may_take(const Packet& p) const;

  // Offers a packet to the store. Uses Packet::l3_offset (set by key
  // extraction). The packet itself stays the caller's.
  Result add(const Packet& p, uint16_t zone, uint64_t now_ms, uint32_t* datagram);

  // ---- A completed datagram (after add() returned kCompleted; only the
  // caller that got it touches it until emit() finishes or discard()).
  // The frame size of the whole packet.
  uint32_t whole_size(uint32_t datagram) const;
  // Writes the whole packet into `out` (an empty packet of a pool with
  // room for whole_size()), its metadata and offsets the first fragment's.
  void reassemble(uint32_t datagram, Packet& out);
  // Appends the datagram's fragments not yet sent to `out` while it has
  // room, as copies from `pool`, each with `tracked`'s ct_* metadata and
  // its addresses and payload (what NAT changed). True when every fragment
  // has gone (the datagram is freed). A fragment the pool has no buffer for
  // is dropped and counted in *no_buffer.
  bool emit(uint32_t datagram, const Packet& tracked, PacketPool& pool, PacketBatch& out,
            uint32_t* no_buffer);
  // Frees a completed datagram without sending it; returns how many
  // fragments it had (to count as dropped).
  uint32_t discard(uint32_t datagram);

  // Frees incomplete datagrams older than the timeout; returns how many
  // fragments they held (to count as DropReason::kFragmentExpired).
  uint32_t expire(uint64_t now_ms);

  // ---- Control.
  bool enabled(bool v6) const { return (v6 ? v6_enabled_ : v4_enabled_).load(std::memory_order_relaxed); }
  void set_enabled(bool v6, bool on) { (v6 ? v6_enabled_ : v4_enabled_).store(on, std::memory_order_relaxed); }
  uint32_t min_fragment_size(bool v6) const {
    return (v6 ? v6_min_ : v4_min_).load(std::memory_order_relaxed);
  }
  // An error naming what was wrong, or "" when set.
  std::string set_min_fragment_size(bool v6, uint32_t bytes);
  uint32_t max_fragments() const { return max_fragments_.load(std::memory_order_relaxed); }
  std::string set_max_fragments(uint32_t n);
  FragmentStatus status() const;
  std::vector<FragmentListEntry> lists(uint64_t now_ms) const;

 private:
  static constexpr uint32_t kNone = 0xffffffffu;
  static constexpr uint32_t kBuckets = 4096;
  static constexpr uint32_t kSlotBytes = kFrameBytes + kGeneveMaxLength;

  struct Key {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint32_t recirc_id;
    uint16_t zone;
    uint8_t proto;
    uint8_t ipv6;
    bool operator==(const Key&) const = default;
  };
  // What add() reads from a fragment.
  struct Parsed {
    Key key;
    uint32_t start = 0, end = 0;  // payload bytes [start, end) of the datagram
    bool last = false;            // no more fragments after it
    uint32_t payload_offset = 0;  // from the frame's start
    uint32_t l3_size = 0;         // the IP packet's bytes
    uint16_t next_header_at = 0;  // IPv6: from l3, the byte naming the fragment header
    uint8_t next_header = 0;      // IPv6: the fragment header's next header
  };
  struct Fragment {
    uint32_t next;  // in its datagram, by offset; or the free list
    uint32_t start, end;
    uint32_t size;            // frame bytes
    uint32_t payload_offset;  // from the frame's start
    uint16_t l2_5_offset, l3_offset, l4_offset;
    uint16_t next_header_at;
    uint8_t next_header;
    PacketMetadata md;
  };
  enum class State : uint8_t { kFree, kCollecting, kCompleted };
  struct Datagram {
    Key key;
    uint32_t hash_next;   // bucket chain; or the free list
    uint32_t age_prev, age_next;  // collecting datagrams, oldest first
    uint32_t fragments;   // first by offset
    uint32_t count;
    uint32_t received;    // payload bytes held
    uint32_t total;       // payload bytes in all: known once the last fragment came
    uint64_t expiration_ms;
    uint32_t to_emit;     // next fragment to send (completed)
    State state;
    bool first_seen, last_seen;
  };

  Result parse(const Packet& p, uint16_t zone, Parsed* out, bool* too_small, bool* v6) const;
  uint32_t hash(const Key& k) const;
  uint32_t lookup(const Key& k, uint32_t bucket) const;  // lock held
  void unlink(uint32_t datagram);  // from its bucket and the age list; lock held
  uint32_t free_datagram(uint32_t datagram);  // lock held; returns its fragment count
  uint8_t* slot(uint32_t fragment) const { return memory_ + size_t{fragment} * kSlotBytes; }
  FragmentCounters& family(bool v6) { return v6 ? v6_counters_ : v4_counters_; }

  std::atomic<bool> v4_enabled_{true}, v6_enabled_{true};
  std::atomic<uint32_t> v4_min_{kDefaultMinV4}, v6_min_{kDefaultMinV6};
  std::atomic<uint32_t> max_fragments_{kDefaultMaxFragments};
  std::atomic<uint32_t> held_{0};
  std::atomic<uint32_t> collecting_{0};

  mutable std::mutex lock_;  // the tables below
  std::unique_ptr<Fragment[]> fragments_;
  std::unique_ptr<Datagram[]> datagrams_;
  std::unique_ptr<uint32_t[]> buckets_;
  uint32_t free_fragments_ = kNone, free_datagrams_ = kNone;
  uint32_t oldest_ = kNone, newest_ = kNone;
  uint8_t* memory_ = nullptr;
  size_t memory_size_ = 0;
  const uint32_t basis_;

  // Counters under lock_ (read by status()).
  FragmentCounters v4_counters_, v6_counters_;
};

}  // namespace flowpath::conntrack
