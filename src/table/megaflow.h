// Megaflow: one installed datapath flow (match, UFID, actions, statistics).
//
// Memory layout, chosen for the forwarding threads:
//   [Megaflow: 64 bytes]  actions pointer and statistics, the line a thread
//                         writes after a hit (one line per flow, so hits on
//                         different flows never share a written line)
//   [packed key words]    the masked key words the subtable compares, in the
//                         subtable's word order: a hit check reads these only
//   [cold part]           full match, UFID, creation time (control path)
// All three live in one allocation; flows are created and freed by
// MegaflowTable only.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "flow/flow_key.h"
#include "common/rcu.h"
#include "flow/ufid.h"

namespace flowpath {

class Subtable;

// A snapshot of a flow's statistics.
struct MegaflowStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t used_ms = 0;    // monotonic_ms() of the last hit, 0 = never
  uint16_t tcp_flags = 0;  // OR of the TCP flags seen, host order (0x02 = SYN)

  friend bool operator==(const MegaflowStats&, const MegaflowStats&) = default;
};

// A flow's actions: immutable OVS_ACTION_ATTR_* Netlink bytes. Modifying a
// flow publishes a new MegaflowActions and frees the old one after a grace
// period, so a reader always sees one whole, consistent action list.
class MegaflowActions {
 public:
  explicit MegaflowActions(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  friend class Megaflow;
  rcu::DeferredFree deferred_;
  std::vector<uint8_t> bytes_;
};

class alignas(64) Megaflow {
 public:
  Megaflow(const Megaflow&) = delete;
  Megaflow& operator=(const Megaflow&) = delete;

  // The flow's match (key and mask). By value: a flow need not store it
  // whole.
  Match match() const { return cold().match; }
  const Ufid& ufid() const { return cold().ufid; }
  uint64_t created_ms() const { return cold().created_ms; }

  // The current actions; the span stays valid until the caller's read
  // section ends, even if the flow is modified or deleted meanwhile.
  std::span<const uint8_t> actions() const {
    return actions_.load(std::memory_order_acquire)->bytes();
  }

  MegaflowStats stats() const;

  // Accounts packets that hit this flow. Lock-free and callable from any
  // number of forwarding threads at once: counts are exact, used_ms moves
  // forward (racing threads may leave a time a few ms older than the latest),
  // tcp_flags (host order) are OR-ed in.
  void record(uint64_t packets, uint64_t bytes, uint64_t now_ms, uint16_t tcp_flags) {
    packets_.fetch_add(packets, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (used_ms_.load(std::memory_order_relaxed) < now_ms)
      used_ms_.store(now_ms, std::memory_order_relaxed);
    // Skip the locked OR when the flags are already there (the usual case).
    if ((tcp_flags_.load(std::memory_order_relaxed) & tcp_flags) != tcp_flags)
      tcp_flags_.fetch_or(tcp_flags, std::memory_order_relaxed);
  }

  // ---- For the table, its tests and the per-thread flow caches.

  // The flow's slot number: fixed for its life; MegaflowTable::flow_in_slot()
  // returns the flow until remove()/flush() takes it out.
  uint32_t slot() const { return slot_; }
  // The subtable holding the flow (valid while the flow is readable);
  // subtable()->matches(*this, key) is the cheap masked compare.
  const Subtable* subtable() const { return subtable_; }

  // The masked key words in the owning subtable's word order.
  const uint64_t* packed_words() const { return reinterpret_cast<const uint64_t*>(this + 1); }
  size_t packed_word_count() const { return packed_word_count_; }

 private:
  friend class MegaflowTable;

  struct Cold {
    Match match;
    Ufid ufid;
    uint64_t created_ms;
    rcu::DeferredFree deferred;
  };

  // Allocates a flow for `match` (normalised) in `subtable`.
  static Megaflow* create(const Match& match, const Ufid& ufid, Subtable& subtable,
                          MegaflowActions* actions, uint64_t now_ms);
  // Frees the flow and its current actions immediately.
  static void destroy(Megaflow* flow);
  // Frees the flow and its actions after a grace period.
  static void destroy_after_grace_period(Megaflow* flow);

  // Installs new actions; the old ones are freed after a grace period.
  void replace_actions(MegaflowActions* actions);
  void clear_stats();

  Megaflow(MegaflowActions* actions, uint16_t packed_word_count, Subtable* subtable)
      : actions_(actions), packed_word_count_(packed_word_count), subtable_(subtable) {}
  ~Megaflow() = default;

  uint64_t* packed_words_mutable() { return reinterpret_cast<uint64_t*>(this + 1); }
  Cold& cold() { return *reinterpret_cast<Cold*>(packed_words_mutable() + packed_word_count_); }
  const Cold& cold() const {
    return *reinterpret_cast<const Cold*>(packed_words() + packed_word_count_);
  }

  std::atomic<MegaflowActions*> actions_;
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> used_ms_{0};
  std::atomic<uint16_t> tcp_flags_{0};
  uint16_t packed_word_count_;
  uint32_t slot_ = 0;  // index in the table's dump slots
  Subtable* subtable_;
};
static_assert(sizeof(Megaflow) == 64);

}  // namespace flowpath
