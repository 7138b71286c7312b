// A binary trie of bit prefixes (IPv4/IPv6 addresses, transport port pairs)
// that counts the rules recorded at each prefix. Readers walk it under RCU
// while one writer changes it: a changed node is replaced by a new one and the
// old one freed after a grace period; counts change in place.
//
// Nodes are path-compressed (up to 32 bits of prefix each), so a trie of
// 100,000 /32 addresses has about two nodes per address.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "common/rcu.h"

namespace flowpath::ofproto::classifier {

// Bit L-1 is set for every prefix length L that a lookup found.
struct PrefixLengths {
  std::array<uint64_t, 2> bits{};  // lengths 1..128

  void set(unsigned length) { bits[(length - 1) / 64] |= uint64_t{1} << ((length - 1) % 64); }
  bool has(unsigned length) const { return bits[(length - 1) / 64] >> ((length - 1) % 64) & 1; }
};

class PrefixTrie {
 public:
  static constexpr unsigned kMaxBits = 128;

  explicit PrefixTrie(unsigned field_bits) : field_bits_(field_bits) {}
  ~PrefixTrie();
  PrefixTrie(const PrefixTrie&) = delete;
  PrefixTrie& operator=(const PrefixTrie&) = delete;

  // ---- Read side (inside an rcu::ReadSection)

  // Walks the trie along `value` (field_bits bits, most significant first)
  // and records in `*lengths` every prefix length at which a recorded prefix
  // equals the value's leading bits. Returns how many leading bits of the
  // value that answer depends on: any value that agrees on them gets the same
  // lengths.
  unsigned lookup(const uint8_t* value, PrefixLengths* lengths) const;

  // ---- Write side (one writer at a time, outside any read section)

  // Records one rule at the first `length` bits (1..field_bits) of `value`.
  void insert(const uint8_t* value, unsigned length);
  // Forgets one rule recorded by insert() with the same arguments.
  void remove(const uint8_t* value, unsigned length);

  bool empty() const { return root_.load(std::memory_order_relaxed) == nullptr; }
  unsigned field_bits() const { return field_bits_; }

 private:
  struct Node {
    uint32_t bits = 0;     // the node's prefix bits, left-aligned
    uint8_t n_bits = 0;    // 1..32 (0 only for a branch at the root)
    std::atomic<uint32_t> n_rules{0};
    std::atomic<Node*> edges[2] = {nullptr, nullptr};
    rcu::DeferredFree free_link;
  };

  Node* make_chain(const uint8_t* value, unsigned offset, unsigned length);
  // After a count reached zero: drops empty leaves and merges a node that
  // holds no rule into its only child, from the node at `path[depth - 1]` up.
  void compact(std::atomic<Node*>** path, unsigned depth);
  static void retire(Node* node);
  static void destroy(Node* node);

  const unsigned field_bits_;
  std::atomic<Node*> root_{nullptr};
};

}  // namespace flowpath::ofproto::classifier
