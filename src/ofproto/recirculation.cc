#include "ofproto/recirculation.h"

namespace flowpath::ofproto {

static_assert(sizeof(FrozenState) == 8 + 8 + 4 * openflow::kNumRegisters,
              "FrozenState is compared bytewise: no padding holes beyond the zeroed ones");

uint32_t RecirculationIds::id_for(const FrozenState& state) {
  std::lock_guard lock(mutex_);
  auto it = by_state_.find(state);
  if (it != by_state_.end()) return it->second;
  if (by_id_.size() >= kMaxIds) return 0;
  const uint32_t id = next_id_++;
  by_state_.emplace(state, id);
  by_id_.emplace(id, state);
  return id;
}

std::optional<FrozenState> RecirculationIds::find(uint32_t id) const {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

size_t RecirculationIds::size() const {
  std::lock_guard lock(mutex_);
  return by_id_.size();
}

}  // namespace flowpath::ofproto
