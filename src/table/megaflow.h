// Megaflow: one installed datapath flow (masked key, UFID, actions,
// statistics).
//
// Memory layout, one block from the table's FlowMemory, a multiple of 64
// bytes and 64-byte aligned:
//   [Megaflow: 64 bytes]  actions pointer, statistics, slot, subtable,
//                         creation time: the line a thread writes after a
//                         hit (one line per flow, so hits on different flows
//                         never share a written line)
//   [packed key words]    the masked key words the subtable compares, in the
//                         subtable's word order: a hit check reads these only
//   [UFID]                16 bytes
//   [actions]             the action list the flow was created with
//   [key outside mask]    only for a flow put with key bits its mask does not
//                         cover: a 128-bit map of the key words holding such
//                         bits, then those bits, word by word
// The mask is the subtable's: a flow stores only the key words its mask
// covers (a 4-word mask and one output action: 128 bytes in all), and
// match() rebuilds the full key and mask from them. Open vSwitch dumps a
// flow's key as it was given, bits outside the mask included; such keys come
// only from hand-added flows (the slow path's are masked), so only those
// flows carry the extra bits, and matching never reads them. Flows are
// created and freed by MegaflowTable only.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>

#include "flow/flow_key.h"
#include "flow/ufid.h"

namespace flowpath {

class FlowMemory;
class Subtable;

// A snapshot of a flow's statistics.
struct MegaflowStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t used_ms = 0;    // monotonic_ms() of the last hit, 0 = never
  uint16_t tcp_flags = 0;  // OR of the TCP flags seen, host order (0x02 = SYN)

  friend bool operator==(const MegaflowStats&, const MegaflowStats&) = default;
};

// A flow's actions: immutable OVS_ACTION_ATTR_* Netlink bytes, which follow
// this header. The list a flow is created with lives inside the flow's own
// block; modifying a flow publishes a list in a block of its own and frees
// the old one after a grace period, so a reader always sees one whole,
// consistent action list.
class MegaflowActions {
 public:
  // Bytes a list of `size` action bytes takes, header included.
  static constexpr size_t bytes_for(size_t size) { return sizeof(MegaflowActions) + size; }

  // Writes a list at `memory` (bytes_for(bytes.size()) bytes).
  static MegaflowActions* write(void* memory, std::span<const uint8_t> bytes) {
    auto* actions = new (memory) MegaflowActions(static_cast<uint32_t>(bytes.size()));
    if (!bytes.empty()) std::memcpy(actions + 1, bytes.data(), bytes.size());
    return actions;
  }

  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(this + 1), size_};
  }

 private:
  explicit MegaflowActions(uint32_t size) : size_(size) {}
  uint32_t size_;
};

class alignas(64) Megaflow {
 public:
  Megaflow(const Megaflow&) = delete;
  Megaflow& operator=(const Megaflow&) = delete;

  // The flow's match: its key as it was put (bits outside the mask
  // included) and its mask, rebuilt from the packed key words, the
  // subtable's mask and the stored bits outside it.
  Match match() const;
  // Was the flow put with key bits outside its mask (match() not normalised)?
  bool key_has_bits_outside_mask() const { return words_outside_mask_ != 0; }
  // Is `normalised` (key & mask == key) this flow's match? Cheaper than
  // comparing with match().
  bool has_match(const Match& normalised) const;
  const Ufid& ufid() const {
    return *reinterpret_cast<const Ufid*>(packed_words() + packed_word_count_);
  }
  uint64_t created_ms() const { return created_ms_; }

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

  // Bytes of the flow's block (its own memory, actions included, until it
  // is modified).
  size_t block_bytes() const { return block_bytes_; }
  // The block a flow with `words` packed words and `action_bytes` bytes of
  // actions takes: a multiple of 64, and room for Subtable::kPaddedWords
  // packed words whatever the count (the hit check reads that many).
  // `outside_words`: key words with bits outside the mask, stored after the
  // actions (0 for a normalised key).
  static size_t block_bytes_for(size_t words, size_t action_bytes, size_t outside_words = 0);

 private:
  friend class MegaflowTable;
  friend class RetireList;

  // Creates a flow for `match` (its key as given: bits outside the mask are
  // kept for match()) in `subtable`, its block from `memory`.
  static Megaflow* create(const Match& match, const Ufid& ufid, Subtable& subtable,
                          std::span<const uint8_t> actions, uint64_t now_ms, FlowMemory& memory);

  // Frees a flow's block, and its action list if that has a block of its own.
  static void free(Megaflow* flow, FlowMemory& memory);
  // Frees an action list that has a block of its own.
  static void free_actions(const MegaflowActions* actions, FlowMemory& memory);

  // Installs `actions` (a block from the table's FlowMemory, or the flow's
  // own list) and returns the list it replaces if that one has a block of
  // its own (to be freed after a grace period), else nullptr.
  const MegaflowActions* replace_actions(const MegaflowActions* actions);
  // The list the flow was created with, inside its own block.
  const MegaflowActions* own_actions() const {
    return reinterpret_cast<const MegaflowActions*>(reinterpret_cast<const uint8_t*>(&ufid()) +
                                                    sizeof(Ufid));
  }
  void clear_stats();
  // Where the key bits outside the mask are stored: after the list the flow
  // was created with (immutable, so the place never moves).
  const uint64_t* words_outside_mask() const {
    const MegaflowActions* own = own_actions();
    const uintptr_t end =
        reinterpret_cast<uintptr_t>(own) + MegaflowActions::bytes_for(own->bytes().size());
    const uintptr_t aligned = (end + alignof(uint64_t) - 1) & ~(alignof(uint64_t) - 1);
    return reinterpret_cast<const uint64_t*>(aligned);
  }

  Megaflow(const MegaflowActions* actions, uint8_t packed_word_count, uint32_t block_bytes,
           Subtable* subtable, uint64_t now_ms)
      : actions_(actions),
        packed_word_count_(packed_word_count),
        block_bytes_(block_bytes),
        subtable_(subtable),
        created_ms_(now_ms) {}
  ~Megaflow() = default;

  uint64_t* packed_words_mutable() { return reinterpret_cast<uint64_t*>(this + 1); }

  std::atomic<const MegaflowActions*> actions_;
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> used_ms_{0};
  std::atomic<uint16_t> tcp_flags_{0};
  uint8_t packed_word_count_;
  uint8_t words_outside_mask_ = 0;  // key words with bits outside the mask
  uint32_t slot_ = 0;  // index in the table's dump slots
  uint32_t block_bytes_;
  Subtable* subtable_;
  uint64_t created_ms_;
};
static_assert(sizeof(Megaflow) == 64);
static_assert(FlowKey::kWords <= 255, "packed_word_count_ is one byte");

}  // namespace flowpath
