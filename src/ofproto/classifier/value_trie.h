// A trie of a subtable's rule values on some bytes of its mask, for proving
// misses with few bits: a flow whose value on those bytes leaves the trie
// after `n` leading bits differs there from every rule of the subtable, so
// those n bits (under the mask) prove that none matches.
//
// A subtable keeps two (see Subtable): one on its protocol bytes
// (EtherType, IP protocol, ...), one on the rest (addresses, ports,
// registers). A miss takes the cheaper proof of the two, as the linear scan
// before the classifier took, rule by rule, the cheapest field where a flow
// differed from a rule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ofproto/classifier/prefix_trie.h"
#include "openflow/of_flow.h"

namespace flowpath::ofproto::classifier {

using openflow::OfFlow;

class ValueTrie {
 public:
  static constexpr size_t kMaxBytes = PrefixTrie::kMaxBits / 8;

  // Keys on the bytes at `offsets` (in OfFlow, in this order) under `masks`.
  ValueTrie(const uint16_t* offsets, const uint8_t* masks, size_t n_bytes);

  // Read side (inside an rcu::ReadSection): the number of leading bits of
  // the key that tell `flow` apart from every rule recorded, or nullopt when
  // some recorded value equals the flow's.
  std::optional<unsigned> proof(const OfFlow& flow) const;
  // How many bits of the proof `wc` does not hold yet.
  unsigned cost(unsigned bits, const OfFlow& wc) const;
  // Adds the proof to `wc`.
  void apply(unsigned bits, OfFlow* wc) const;

  // Write side: one rule's value (a match value, already masked).
  void insert(const OfFlow& value);
  void remove(const OfFlow& value);

 private:
  void gather(const OfFlow& value, uint8_t* out) const;

  uint8_t n_bytes_;
  std::array<uint16_t, kMaxBytes> offsets_{};
  std::array<uint8_t, kMaxBytes> masks_{};
  PrefixTrie trie_;
};

}  // namespace flowpath::ofproto::classifier
