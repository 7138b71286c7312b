// The flow as the OpenFlow pipeline sees it: the datapath key plus the
// pipeline-only fields (OpenFlow metadata and registers), and a rule's match
// over it. Pipeline fields start at zero for every packet; the datapath never
// sees them, so they never reach a megaflow mask.
//
// Port numbering: an OpenFlow port number equals the datapath port number of
// the same port, except OFPP_LOCAL (0xfffffffe), which is datapath port 0.
// Matches store in_port in datapath numbering (key.md.in_port), so a rule's
// match compares directly with a datapath key; actions keep OpenFlow numbers.
#pragma once

#include <cstdint>
#include <cstring>

#include "flow/flow_key.h"

namespace flowpath::openflow {

// OpenFlow 1.3 reserved port numbers (32-bit).
inline constexpr uint32_t kOfppMax = 0xffffff00;
inline constexpr uint32_t kOfppInPort = 0xfffffff8;
inline constexpr uint32_t kOfppTable = 0xfffffff9;
inline constexpr uint32_t kOfppNormal = 0xfffffffa;
inline constexpr uint32_t kOfppFlood = 0xfffffffb;
inline constexpr uint32_t kOfppAll = 0xfffffffc;
inline constexpr uint32_t kOfppController = 0xfffffffd;
inline constexpr uint32_t kOfppLocal = 0xfffffffe;
inline constexpr uint32_t kOfppAny = 0xffffffff;  // "none" in filters

inline constexpr uint32_t kOfgAny = 0xffffffff;  // group wildcard in filters
inline constexpr uint8_t kMaxTableId = 254;
inline constexpr uint8_t kTableAll = 255;  // "every table" in flow-mod filters
inline constexpr uint16_t kDefaultPriority = 32768;

inline uint32_t of_port_to_dp(uint32_t of_port) { return of_port == kOfppLocal ? 0 : of_port; }
inline uint32_t dp_port_to_of(uint32_t dp_port) { return dp_port == 0 ? kOfppLocal : dp_port; }

inline constexpr int kNumRegisters = 16;

struct alignas(8) OfFlow {
  FlowKey key;
  uint64_t metadata;  // OpenFlow metadata (host order)
  uint32_t regs[kNumRegisters];  // NXM registers reg0..reg15 (host order)
  uint32_t conj_id;   // conjunction id of a matched conjunctive flow (host order)
  uint32_t pad_pipeline;

  void clear() { std::memset(static_cast<void*>(this), 0, sizeof *this); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this); }
  const uint64_t* words() const { return reinterpret_cast<const uint64_t*>(this); }
  uint64_t* words() { return reinterpret_cast<uint64_t*>(this); }
  static constexpr size_t kWords = sizeof(FlowKey) / 8 + 1 + kNumRegisters / 2 + 1;

  friend bool operator==(const OfFlow& a, const OfFlow& b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};
static_assert(sizeof(OfFlow) == OfFlow::kWords * 8);

// A rule's match: value & mask == value (normalised).
struct OfMatch {
  OfFlow value;
  OfFlow mask;

  OfMatch() { value.clear(); mask.clear(); }
  void normalize() {
    for (size_t i = 0; i < OfFlow::kWords; ++i) value.words()[i] &= mask.words()[i];
  }
  bool matches(const OfFlow& flow) const {
    for (size_t i = 0; i < OfFlow::kWords; ++i)
      if ((flow.words()[i] & mask.words()[i]) != value.words()[i]) return false;
    return true;
  }
  bool catch_all() const {
    for (size_t i = 0; i < OfFlow::kWords; ++i)
      if (mask.words()[i]) return false;
    return true;
  }
  friend bool operator==(const OfMatch& a, const OfMatch& b) {
    return a.value == b.value && a.mask == b.mask;
  }
};

}  // namespace flowpath::openflow
