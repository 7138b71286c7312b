#include "table/subtable.h"

#include <bit>

namespace flowpath {

Subtable::Subtable(const FlowMask& mask) : mask_(mask) {
  FlowMask::WordMap map = mask.word_map();
  const uint64_t* words = mask.bits.words();
  for (int half = 0; half < 2; ++half) {
    for (uint64_t bits = half == 0 ? map.lo : map.hi; bits != 0; bits &= bits - 1) {
      uint32_t w = static_cast<uint32_t>(half * 64 + std::countr_zero(bits));
      word_index_[word_count_] = static_cast<uint8_t>(w);
      mask_words_[word_count_] = words[w];
      ++word_count_;
    }
  }
}

}  // namespace flowpath
