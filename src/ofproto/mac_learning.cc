#include "ofproto/mac_learning.h"

#include <algorithm>
#include <random>

namespace flowpath::ofproto {

namespace {

// A table of zero entries or zero seconds would learn nothing useful and
// churn seq() on every packet; the smallest meaningful values stand in.
size_t usable_max_entries(size_t max_entries) { return std::max<size_t>(max_entries, 1); }
uint64_t usable_aging_ms(uint32_t seconds) { return std::max<uint64_t>(seconds, 1) * 1000; }

bool is_multicast(const EthAddr& mac) { return (mac.bytes[0] & 0x01) != 0; }

EthAddr mac_of_key(uint64_t key) {
  EthAddr mac{};
  for (int i = kEthAddrLen - 1; i >= 0; --i) {
    mac.bytes[i] = static_cast<uint8_t>(key);
    key >>= 8;
  }
  return mac;
}

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

size_t MacLearningTable::KeyHash::operator()(uint64_t key) const noexcept {
  // The 64-bit finaliser of MurmurHash3: every input bit reaches every output bit.
  uint64_t h = key ^ seed;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

MacLearningTable::MacLearningTable(size_t max_entries, uint32_t aging_seconds)
    : index_(0, KeyHash{random_seed()}),
      max_entries_(usable_max_entries(max_entries)),
      aging_ms_(usable_aging_ms(aging_seconds)) {}

uint64_t MacLearningTable::make_key(const EthAddr& mac, uint16_t vlan) {
  uint64_t key = vlan;
  for (uint8_t byte : mac.bytes) key = (key << 8) | byte;
  return key;
}

bool MacLearningTable::is_stale(const Node& node, uint64_t now_ms) const {
  // A timestamp ahead of `now_ms` comes from a thread that read the clock a
  // little later than the caller: the entry is as fresh as can be.
  return now_ms >= node.last_seen_ms && now_ms - node.last_seen_ms >= aging_ms_;
}

void MacLearningTable::remove_least_recent() {
  note_change(lru_.back().key);
  index_.erase(lru_.back().key);
  lru_.pop_back();
}

MacLearningTable::LearnResult MacLearningTable::learn(const EthAddr& mac, uint16_t vlan,
                                                      uint32_t port, uint64_t now_ms) {
  // A multicast source is a broken or hostile sender; learning it would
  // turn the group's traffic into unicast towards that port.
  if (is_multicast(mac)) return LearnResult::kRefreshed;
  const uint64_t key = make_key(mac, vlan);
  std::lock_guard guard(mutex_);
  // Handler threads read the clock before taking the lock, so `now_ms` may
  // be slightly older than the newest entry. Stamping no earlier than the
  // front keeps the list sorted by time, which expire() relies on.
  const uint64_t stamp = lru_.empty() ? now_ms : std::max(now_ms, lru_.front().last_seen_ms);

  if (auto found = index_.find(key); found != index_.end()) {
    LruList::iterator node = found->second;
    const bool was_stale = is_stale(*node, now_ms);
    const uint32_t old_port = node->port;
    lru_.splice(lru_.begin(), lru_, node);
    node->last_seen_ms = stamp;
    node->port = port;
    if (was_stale) {
      // lookup() no longer saw it: the old entry expired, and coming back
      // is a new forwarding decision.
      ++stats_.expired;
      ++stats_.learned;
      note_change(key);
      bump_seq();
      return LearnResult::kLearned;
    }
    if (old_port == port) return LearnResult::kRefreshed;
    ++stats_.moved;
    note_change(key);
    bump_seq();
    return LearnResult::kMoved;
  }

  if (lru_.size() >= max_entries_) {
    // Reuse the least recently used node rather than free and allocate.
    Node& victim = lru_.back();
    if (is_stale(victim, now_ms)) {
      ++stats_.expired;
    } else {
      ++stats_.evicted;
    }
    note_change(victim.key);
    index_.erase(victim.key);
    lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
    lru_.front() = Node{key, port, stamp};
  } else {
    lru_.push_front(Node{key, port, stamp});
  }
  index_.emplace(key, lru_.begin());
  ++stats_.learned;
  note_change(key);
  bump_seq();
  return LearnResult::kLearned;
}

std::optional<uint32_t> MacLearningTable::lookup(const EthAddr& mac, uint16_t vlan,
                                                 uint64_t now_ms) const {
  const uint64_t key = make_key(mac, vlan);
  std::lock_guard guard(mutex_);
  auto found = index_.find(key);
  if (found == index_.end() || is_stale(*found->second, now_ms)) return std::nullopt;
  return found->second->port;
}

size_t MacLearningTable::expire(uint64_t now_ms) {
  std::lock_guard guard(mutex_);
  size_t removed = 0;
  while (!lru_.empty() && is_stale(lru_.back(), now_ms)) {
    remove_least_recent();
    ++removed;
  }
  if (removed != 0) {
    stats_.expired += removed;
    bump_seq();
  }
  return removed;
}

void MacLearningTable::flush() {
  std::lock_guard guard(mutex_);
  if (lru_.empty()) return;
  lru_.clear();
  index_.clear();
  all_changed_ = true;
  journal_.clear();
  bump_seq();
}

size_t MacLearningTable::flush_port(uint32_t port) {
  std::lock_guard guard(mutex_);
  size_t removed = 0;
  for (auto node = lru_.begin(); node != lru_.end();) {
    if (node->port == port) {
      note_change(node->key);
      index_.erase(node->key);
      node = lru_.erase(node);
      ++removed;
    } else {
      ++node;
    }
  }
  if (removed != 0) bump_seq();
  return removed;
}

void MacLearningTable::set_max_entries(size_t max_entries) {
  std::lock_guard guard(mutex_);
  max_entries_ = usable_max_entries(max_entries);
  size_t evicted = 0;
  while (lru_.size() > max_entries_) {
    remove_least_recent();
    ++evicted;
  }
  if (evicted != 0) {
    stats_.evicted += evicted;
    bump_seq();
  }
}

void MacLearningTable::set_aging_seconds(uint32_t seconds) {
  std::lock_guard guard(mutex_);
  const uint64_t aging_ms = usable_aging_ms(seconds);
  if (aging_ms == aging_ms_) return;
  aging_ms_ = aging_ms;
  // A different aging time hides or reveals entries to lookup().
  if (!lru_.empty()) {
    all_changed_ = true;
    journal_.clear();
    bump_seq();
  }
}

size_t MacLearningTable::max_entries() const {
  std::lock_guard guard(mutex_);
  return max_entries_;
}

uint32_t MacLearningTable::aging_seconds() const {
  std::lock_guard guard(mutex_);
  return static_cast<uint32_t>(aging_ms_ / 1000);
}

std::vector<MacLearningTable::Entry> MacLearningTable::entries(uint64_t now_ms) const {
  std::lock_guard guard(mutex_);
  std::vector<Entry> out;
  out.reserve(lru_.size());
  for (const Node& node : lru_) {
    if (is_stale(node, now_ms)) break;  // everything behind it is older still
    const uint64_t age = now_ms > node.last_seen_ms ? now_ms - node.last_seen_ms : 0;
    out.push_back(Entry{mac_of_key(node.key), static_cast<uint16_t>(node.key >> 48), node.port,
                        age});
  }
  return out;
}

size_t MacLearningTable::size() const {
  std::lock_guard guard(mutex_);
  return lru_.size();
}

std::vector<uint64_t> MacLearningTable::take_changes(bool* all) {
  std::lock_guard guard(mutex_);
  *all = all_changed_;
  all_changed_ = false;
  std::vector<uint64_t> out;
  out.swap(journal_);
  return out;
}

uint64_t MacLearningTable::seq() const { return seq_.load(std::memory_order_acquire); }

MacLearningTable::Stats MacLearningTable::stats() const {
  std::lock_guard guard(mutex_);
  return stats_;
}

}  // namespace flowpath::ofproto
