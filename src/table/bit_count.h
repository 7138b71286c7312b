// count_bits(): the number of set bits of a 64-bit word, for the hit bitmaps
// of the forwarding path.
//
// Baseline x86-64 (the build targets no newer CPU) has no popcnt
// instruction, so std::popcount and __builtin_popcountll become a call into
// libgcc. This is the branch-free SWAR count: a dozen ALU instructions,
// inlined, whatever the bitmap holds.
#pragma once

#include <cstdint>

namespace flowpath {

inline uint32_t count_bits(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);                            // 2-bit sums
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);  // 4-bit sums
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;                            // byte sums
  return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);       // their total
}

}  // namespace flowpath
