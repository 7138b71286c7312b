// A datapath flow the upcall layer installed ("ukey" in Open vSwitch): the
// key it was translated from, its mask, its actions, what its translation
// depended on, and the statistics already credited for it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "flow/flow_key.h"
#include "flow/ufid.h"
#include "upcall/upcall_translator.h"

namespace flowpath::upcall {

// A megaflow mask kept as its non-zero words: a NORMAL megaflow uses about
// 6 of the key's 74 words, and a small ukey stays on the allocator's fast
// path (upcall throughput).
struct SparseMask {
  uint64_t map[2] = {0, 0};  // bit i: word i is non-zero
  std::vector<uint64_t> words;

  static SparseMask of(const FlowMask& mask) {
    SparseMask s;
    for (size_t i = 0; i < FlowKey::kWords; ++i) {
      uint64_t w = mask.bits.words()[i];
      if (!w) continue;
      s.map[i / 64] |= uint64_t{1} << (i % 64);
      s.words.push_back(w);
    }
    return s;
  }
  FlowMask expand() const {
    FlowMask mask = FlowMask::wildcard_all();
    size_t n = 0;
    for (size_t i = 0; i < FlowKey::kWords; ++i)
      if (map[i / 64] >> (i % 64) & 1) mask.bits.words()[i] = words[n++];
    return mask;
  }
  bool operator==(const SparseMask&) const = default;
};

struct UKey {
  FlowKey key;  // the packet key it was translated from
  SparseMask mask;

  Match match() const {
    Match m{key, mask.expand()};
    m.normalize();
    return m;
  }
  std::vector<uint8_t> actions;
  TranslationStamp stamp;
  std::vector<uint64_t> tags;                // see Translation::tags
  std::unique_ptr<TranslationCache> cache;   // the translator's, credited with the traffic
  uint64_t pushed_packets = 0, pushed_bytes = 0;  // statistics already credited
  uint64_t created_ms = 0;  // monotonic_ms()
};

struct UfidHasher {
  size_t operator()(const Ufid& u) const { return u.hash(); }
};

}  // namespace flowpath::upcall
