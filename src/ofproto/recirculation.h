// Recirculation ids of a bridge: what a packet resumes with when the
// datapath sends it through the flow table again after ct(table=N) (Open
// vSwitch's "frozen state", ofproto-dpif-rid). The datapath key carries the
// packet and its conntrack fields; the pipeline-only fields (registers,
// metadata) and the table to continue in are frozen here under an id, which
// the recirc() action and the recirculated megaflows carry.
//
// One id per distinct state, kept for the bridge's life: translations and
// revalidations of the same state get the same id, so megaflows stay valid.
// Thread-safe (translations run on several handler threads).
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "openflow/of_flow.h"

namespace flowpath::ofproto {

struct FrozenState {
  uint32_t table = 0;          // resume in this table (32 bits: no padding to compare)
  uint32_t in_port = 0;        // datapath numbering, as the pipeline had it
  uint64_t metadata = 0;
  uint32_t regs[openflow::kNumRegisters] = {};

  friend bool operator<(const FrozenState& a, const FrozenState& b) {
    return std::memcmp(&a, &b, sizeof a) < 0;
  }
};

class RecirculationIds {
 public:
  static constexpr uint32_t kMaxIds = 1u << 20;

  // The id of `state` (a new one the first time); 0 when the bridge already
  // holds kMaxIds states.
  uint32_t id_for(const FrozenState& state);
  std::optional<FrozenState> find(uint32_t id) const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<FrozenState, uint32_t> by_state_;
  std::unordered_map<uint32_t, FrozenState> by_id_;
  uint32_t next_id_ = 1;
};

}  // namespace flowpath::ofproto
