#include "ofproto/classifier/prefix_trie.h"

#include <bit>
#include <cassert>

namespace flowpath::ofproto::classifier {

namespace {

constexpr uint32_t leading_mask(unsigned n) { return n == 0 ? 0 : ~uint32_t{0} << (32 - n); }

// `n` (<= 32) bits of `value` from bit `offset`, left-aligned.
uint32_t get_bits(const uint8_t* value, unsigned offset, unsigned n) {
  if (n == 0) return 0;
  unsigned first = offset / 8, shift = offset % 8;
  unsigned n_bytes = (n + shift + 7) / 8;  // <= 5
  uint64_t acc = 0;
  for (unsigned i = 0; i < n_bytes; ++i) acc = acc << 8 | value[first + i];
  acc <<= 8 * (8 - n_bytes) + shift;
  return static_cast<uint32_t>(acc >> 32) & leading_mask(n);
}

unsigned bit_at(const uint8_t* value, unsigned offset) {
  return value[offset / 8] >> (7 - offset % 8) & 1;
}

unsigned bit_of(uint32_t bits, unsigned index) { return bits >> (31 - index) & 1; }

}  // namespace

PrefixTrie::~PrefixTrie() { destroy(root_.load(std::memory_order_relaxed)); }

void PrefixTrie::destroy(Node* node) {
  if (!node) return;
  destroy(node->edges[0].load(std::memory_order_relaxed));
  destroy(node->edges[1].load(std::memory_order_relaxed));
  delete node;
}

void PrefixTrie::retire(Node* node) {
  rcu::free_after_grace_period<Node, rcu::delete_object<Node>>(node, &node->free_link);
}

unsigned PrefixTrie::lookup(const uint8_t* value, PrefixLengths* lengths) const {
  const Node* prev = nullptr;
  const Node* node = root_.load(std::memory_order_acquire);
  unsigned matched = 0;
  while (node) {
    unsigned n = node->n_bits;
    uint32_t diff = (get_bits(value, matched, n) ^ node->bits) & leading_mask(n);
    if (diff) return matched + static_cast<unsigned>(std::countl_zero(diff)) + 1;
    matched += n;
    if (matched > 0 && node->n_rules.load(std::memory_order_relaxed) > 0) lengths->set(matched);
    if (matched >= field_bits_) return field_bits_;
    prev = node;
    node = node->edges[bit_at(value, matched)].load(std::memory_order_acquire);
  }
  // Off the trie after `matched` bits. The next bit told the way unless the
  // last node had no branch at all.
  if (!prev) return 0;
  bool leaf = !prev->edges[0].load(std::memory_order_acquire) &&
              !prev->edges[1].load(std::memory_order_acquire);
  return leaf ? matched : matched + 1;
}

PrefixTrie::Node* PrefixTrie::make_chain(const uint8_t* value, unsigned offset, unsigned length) {
  // Built from the bottom up, published by the caller with one store.
  Node* below = nullptr;
  unsigned n_nodes = (length - offset + 31) / 32;
  for (unsigned i = n_nodes; i-- > 0;) {
    unsigned begin = offset + i * 32;
    unsigned n = std::min(32u, length - begin);
    auto* node = new Node;
    node->bits = get_bits(value, begin, n);
    node->n_bits = static_cast<uint8_t>(n);
    if (!below) {
      node->n_rules.store(1, std::memory_order_relaxed);
    } else {
      node->edges[bit_of(below->bits, 0)].store(below, std::memory_order_relaxed);
    }
    below = node;
  }
  return below;
}

void PrefixTrie::insert(const uint8_t* value, unsigned length) {
  assert(length >= 1 && length <= field_bits_);
  std::atomic<Node*>* edge = &root_;
  unsigned offset = 0;
  for (;;) {
    Node* node = edge->load(std::memory_order_relaxed);
    if (!node) {
      edge->store(make_chain(value, offset, length), std::memory_order_release);
      return;
    }
    unsigned n = node->n_bits;
    unsigned compared = std::min(n, length - offset);
    uint32_t diff = (get_bits(value, offset, compared) ^ node->bits) & leading_mask(compared);
    unsigned equal = diff ? static_cast<unsigned>(std::countl_zero(diff)) : compared;
    if (equal == n) {
      offset += n;
      if (offset == length) {
        node->n_rules.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      edge = &node->edges[bit_at(value, offset)];
      continue;
    }
    // The prefix leaves the node after `equal` bits (or ends inside it):
    // split it into a node for the common part and one for the rest.
    auto* rest = new Node;
    rest->bits = node->bits << equal;
    rest->n_bits = static_cast<uint8_t>(n - equal);
    rest->n_rules.store(node->n_rules.load(std::memory_order_relaxed), std::memory_order_relaxed);
    for (int b = 0; b < 2; ++b)
      rest->edges[b].store(node->edges[b].load(std::memory_order_relaxed), std::memory_order_relaxed);
    auto* top = new Node;
    top->bits = node->bits & leading_mask(equal);
    top->n_bits = static_cast<uint8_t>(equal);
    top->edges[bit_of(node->bits, equal)].store(rest, std::memory_order_relaxed);
    if (offset + equal == length) {
      top->n_rules.store(1, std::memory_order_relaxed);
    } else {
      Node* chain = make_chain(value, offset + equal, length);
      top->edges[bit_at(value, offset + equal)].store(chain, std::memory_order_relaxed);
    }
    edge->store(top, std::memory_order_release);
    retire(node);
    return;
  }
}

void PrefixTrie::remove(const uint8_t* value, unsigned length) {
  std::array<std::atomic<Node*>*, kMaxBits + 2> path;
  unsigned depth = 0;
  std::atomic<Node*>* edge = &root_;
  unsigned offset = 0;
  Node* node = nullptr;
  for (;;) {
    node = edge->load(std::memory_order_relaxed);
    assert(node && "removing a prefix that was never inserted");
    if (!node) return;
    path[depth++] = edge;
    offset += node->n_bits;
    if (offset >= length) break;
    edge = &node->edges[bit_at(value, offset)];
  }
  assert(offset == length && node->n_rules.load(std::memory_order_relaxed) > 0);
  if (node->n_rules.fetch_sub(1, std::memory_order_relaxed) == 1) compact(path.data(), depth);
}

void PrefixTrie::compact(std::atomic<Node*>** path, unsigned depth) {
  for (unsigned i = depth; i-- > 0;) {
    std::atomic<Node*>* edge = path[i];
    Node* node = edge->load(std::memory_order_relaxed);
    if (node->n_rules.load(std::memory_order_relaxed) > 0) return;
    Node* zero = node->edges[0].load(std::memory_order_relaxed);
    Node* one = node->edges[1].load(std::memory_order_relaxed);
    if (!zero && !one) {  // an empty leaf: drop it, then look at its parent
      edge->store(nullptr, std::memory_order_release);
      retire(node);
      continue;
    }
    if (zero && one) return;  // a branch point stays
    Node* child = zero ? zero : one;
    if (node->n_bits + child->n_bits <= 32) {
      auto* merged = new Node;
      merged->bits = node->bits | child->bits >> node->n_bits;
      merged->n_bits = static_cast<uint8_t>(node->n_bits + child->n_bits);
      merged->n_rules.store(child->n_rules.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
      for (int b = 0; b < 2; ++b)
        merged->edges[b].store(child->edges[b].load(std::memory_order_relaxed),
                               std::memory_order_relaxed);
      edge->store(merged, std::memory_order_release);
      retire(node);
      retire(child);
    }
    return;
  }
}

}  // namespace flowpath::ofproto::classifier
