#include "tunnel/neighbour_cache.h"

#include <algorithm>
#include <tuple>

namespace flowpath::tunnel {

namespace {
bool expired(const NeighbourCache::Entry& e, uint64_t now_ms) {
  return now_ms >= e.refreshed_ms + NeighbourCache::kIdleMs;
}
}  // namespace

bool NeighbourCache::set(const std::string& device, const Address& ip, const EthAddr& mac,
                         uint64_t now_ms, uint64_t sequence) {
  std::lock_guard guard(mutex_);
  for (Entry& e : entries_) {
    if (e.device != device || e.ip != ip) continue;
    // Taught by a packet received after this one: this one is out of date
    // (unless the entry itself is, or the caller has no order to give).
    if (sequence != 0 && sequence < e.sequence && !expired(e, now_ms)) return false;
    bool changed = !(e.mac == mac) || expired(e, now_ms);
    e.mac = mac;
    e.refreshed_ms = now_ms;
    if (sequence != 0) e.sequence = sequence;
    if (changed) ++seq_;
    return changed;
  }
  entries_.push_back(Entry{ip, mac, device, now_ms, sequence});
  ++seq_;
  return true;
}

std::optional<EthAddr> NeighbourCache::lookup(const std::string& device, const Address& ip,
                                              uint64_t now_ms) const {
  std::lock_guard guard(mutex_);
  for (const Entry& e : entries_)
    if (e.device == device && e.ip == ip && !expired(e, now_ms)) return e.mac;
  return std::nullopt;
}

std::vector<NeighbourCache::Entry> NeighbourCache::entries(uint64_t now_ms) const {
  std::vector<Entry> out;
  {
    std::lock_guard guard(mutex_);
    for (const Entry& e : entries_)
      if (!expired(e, now_ms)) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.device, a.ip) < std::tie(b.device, b.ip);
  });
  return out;
}

void NeighbourCache::flush() {
  std::lock_guard guard(mutex_);
  entries_.clear();
  ++seq_;
}

uint64_t NeighbourCache::seq() const {
  std::lock_guard guard(mutex_);
  return seq_;
}

}  // namespace flowpath::tunnel
