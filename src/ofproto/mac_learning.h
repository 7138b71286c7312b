// The MAC learning table behind the NORMAL action: (VLAN, MAC) -> port, with
// aging and a size limit that evicts the least recently used entry. Every
// change that could alter a forwarding decision (learned, moved, expired,
// evicted, flushed) bumps seq(), which tells the revalidator to re-check the
// datapath flows. Thread-safe (handler threads learn, the revalidator ages,
// the control path reads).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "packet/headers.h"

namespace flowpath::ofproto {

class MacLearningTable {
 public:
  static constexpr size_t kDefaultMaxEntries = 8192;   // as Open vSwitch
  static constexpr uint32_t kDefaultAgingSeconds = 300;

  explicit MacLearningTable(size_t max_entries = kDefaultMaxEntries,
                            uint32_t aging_seconds = kDefaultAgingSeconds);

  enum class LearnResult : uint8_t { kRefreshed, kLearned, kMoved };
  // Records that `mac` was seen on `port` in `vlan` at `now_ms`. Multicast
  // sources are ignored (kRefreshed). May evict the least recently used entry.
  LearnResult learn(const EthAddr& mac, uint16_t vlan, uint32_t port, uint64_t now_ms);
  // The port `mac` was learned on in `vlan`, if the entry has not aged out.
  std::optional<uint32_t> lookup(const EthAddr& mac, uint16_t vlan, uint64_t now_ms) const;

  // Removes entries older than the aging time; returns how many.
  size_t expire(uint64_t now_ms);
  void flush();
  size_t flush_port(uint32_t port);  // a port left the bridge or went down

  void set_max_entries(size_t max_entries);  // evicts down to the new size
  void set_aging_seconds(uint32_t seconds);
  size_t max_entries() const;
  uint32_t aging_seconds() const;

  struct Entry {
    EthAddr mac;
    uint16_t vlan;
    uint32_t port;
    uint64_t age_ms;  // since last seen
  };
  std::vector<Entry> entries(uint64_t now_ms) const;  // most recently used first
  size_t size() const;
  uint64_t seq() const;

  // The keys (key_of()) whose forwarding changed since the last call:
  // learned, moved, expired, evicted, flushed by port. `all` is set instead
  // when too many piled up, or after flush() or an aging change. The
  // revalidator uses it to re-check only the flows that looked those up.
  std::vector<uint64_t> take_changes(bool* all);
  static uint64_t key_of(const EthAddr& mac, uint16_t vlan) { return make_key(mac, vlan); }

  struct Stats {
    uint64_t learned = 0, moved = 0, expired = 0, evicted = 0;
  };
  Stats stats() const;

 private:
  // One learned address. The key packs the VLAN above the 48-bit MAC.
  struct Node {
    uint64_t key;
    uint32_t port;
    uint64_t last_seen_ms;
  };
  using LruList = std::list<Node>;
  // Seeded per table, so hosts choosing their source MACs cannot pile every
  // entry into one bucket.
  struct KeyHash {
    uint64_t seed;
    size_t operator()(uint64_t key) const noexcept;
  };

  static uint64_t make_key(const EthAddr& mac, uint16_t vlan);
  // The caller holds mutex_ in all of these.
  bool is_stale(const Node& node, uint64_t now_ms) const;
  void remove_least_recent();
  void bump_seq() { seq_.fetch_add(1, std::memory_order_release); }
  static constexpr size_t kMaxJournal = 65536;
  void note_change(uint64_t key) {
    if (all_changed_) return;
    if (journal_.size() >= kMaxJournal) {
      all_changed_ = true;
      journal_.clear();
      return;
    }
    journal_.push_back(key);
  }

  mutable std::mutex mutex_;
  // Most recently learned first. Timestamps never increase towards the back
  // (see learn()), so aged entries gather at the back and expire() and
  // eviction take them from there in O(1) each.
  LruList lru_;
  std::unordered_map<uint64_t, LruList::iterator, KeyHash> index_;
  size_t max_entries_;   // at least 1
  uint64_t aging_ms_;    // at least 1000
  Stats stats_;
  std::atomic<uint64_t> seq_{0};
  std::vector<uint64_t> journal_;  // see take_changes()
  bool all_changed_ = false;
};

}  // namespace flowpath::ofproto
