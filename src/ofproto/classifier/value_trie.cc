#include "ofproto/classifier/value_trie.h"

#include <algorithm>
#include <bit>

namespace flowpath::ofproto::classifier {

namespace {

// Byte `byte` of a mask of the leading `bits` bits.
uint8_t prefix_byte(unsigned bits, size_t byte) {
  if (bits >= 8 * (byte + 1)) return 0xff;
  if (bits <= 8 * byte) return 0;
  return static_cast<uint8_t>(0xff << (8 - (bits - 8 * byte)));
}

}  // namespace

ValueTrie::ValueTrie(const uint16_t* offsets, const uint8_t* masks, size_t n_bytes)
    : n_bytes_(static_cast<uint8_t>(n_bytes)), trie_(static_cast<unsigned>(8 * n_bytes)) {
  std::copy(offsets, offsets + n_bytes, offsets_.begin());
  std::copy(masks, masks + n_bytes, masks_.begin());
}

void ValueTrie::gather(const OfFlow& value, uint8_t* out) const {
  for (size_t k = 0; k < n_bytes_; ++k) out[k] = static_cast<uint8_t>(value.bytes()[offsets_[k]] & masks_[k]);
}

std::optional<unsigned> ValueTrie::proof(const OfFlow& flow) const {
  uint8_t key[kMaxBytes];
  gather(flow, key);
  PrefixLengths lengths;
  unsigned bits = trie_.lookup(key, &lengths);
  // Every recorded value is full length: found whole, the flow has it.
  if (lengths.has(trie_.field_bits())) return std::nullopt;
  return bits;
}

unsigned ValueTrie::cost(unsigned bits, const OfFlow& wc) const {
  unsigned n = 0;
  for (size_t k = 0; k < n_bytes_ && 8 * k < bits; ++k)
    n += static_cast<unsigned>(
        std::popcount(static_cast<uint8_t>(masks_[k] & prefix_byte(bits, k) & ~wc.bytes()[offsets_[k]])));
  return n;
}

void ValueTrie::apply(unsigned bits, OfFlow* wc) const {
  for (size_t k = 0; k < n_bytes_ && 8 * k < bits; ++k)
    wc->bytes()[offsets_[k]] |= static_cast<uint8_t>(masks_[k] & prefix_byte(bits, k));
}

void ValueTrie::insert(const OfFlow& value) {
  uint8_t key[kMaxBytes];
  gather(value, key);
  trie_.insert(key, trie_.field_bits());
}

void ValueTrie::remove(const OfFlow& value) {
  uint8_t key[kMaxBytes];
  gather(value, key);
  trie_.remove(key, trie_.field_bits());
}

}  // namespace flowpath::ofproto::classifier
