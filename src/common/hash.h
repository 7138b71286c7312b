// The word hash behind every flow-key hash: hash_masked() and hash_key() in
// flow/, the classifier's subtable probes in table/ (which inline the same
// steps so their hashes equal hash_masked()) and the forwarding threads'
// cache hash. One definition, so the layers cannot drift apart.
#pragma once

#include <cstdint>

namespace flowpath {

// Mixes one 64-bit word into the running hash `h`.
inline uint64_t hash_mix_word(uint64_t h, uint64_t w) {
  w *= 0x9e3779b97f4a7c15ULL;
  w ^= w >> 29;
  h ^= w;
  return ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
}

// Final avalanche of a running hash down to 32 bits.
inline uint32_t hash_finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

}  // namespace flowpath
