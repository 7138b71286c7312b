#include "flow/flow_key.h"


namespace flowpath {


FlowMask::WordMap FlowMask::word_map() const {
  WordMap map;
  const uint64_t* w = bits.words();
  for (size_t i = 0; i < FlowKey::kWords; ++i) {
    if (w[i] == 0) continue;
    if (i < 64) map.lo |= uint64_t{1} << i;
    else map.hi |= uint64_t{1} << (i - 64);
  }
  return map;
}

void Match::normalize() { apply_mask(key, mask, &key); }

void apply_mask(const FlowKey& key, const FlowMask& mask, FlowKey* out) {
  const uint64_t* k = key.words();
  const uint64_t* m = mask.bits.words();
  uint64_t* o = out->words();
  for (size_t i = 0; i < FlowKey::kWords; ++i) o[i] = k[i] & m[i];
}

bool match_equal(const Match& match, const FlowKey& key) {
  return equal_masked(match.key, key, match.mask);
}

bool equal_masked(const FlowKey& a, const FlowKey& b, const FlowMask& mask) {
  const uint64_t* x = a.words();
  const uint64_t* y = b.words();
  const uint64_t* m = mask.bits.words();
  uint64_t diff = 0;
  for (size_t i = 0; i < FlowKey::kWords; ++i) diff |= (x[i] ^ y[i]) & m[i];
  return diff == 0;
}

uint32_t hash_masked(const FlowKey& key, const FlowMask& mask, uint32_t basis) {
  const uint64_t* k = key.words();
  const uint64_t* m = mask.bits.words();
  uint64_t h = basis;
  for (size_t i = 0; i < FlowKey::kWords; ++i) {
    if (m[i] != 0) h = hash_mix_word(h, (k[i] & m[i]) ^ i);
  }
  return hash_finish(h);
}

uint32_t hash_key(const FlowKey& key, uint32_t basis) {
  const uint64_t* k = key.words();
  uint64_t h = basis;
  size_t n = key.md.tunnel.geneve_length ? FlowKey::kWords : FlowKey::kFixedWords;
  for (size_t i = 0; i < n; ++i) h = hash_mix_word(h, k[i]);
  return hash_finish(h);
}

}  // namespace flowpath
