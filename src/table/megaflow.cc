#include "table/megaflow.h"

#include <new>

#include "table/flow_memory.h"
#include "table/subtable.h"

namespace flowpath {

namespace {

// The key words with bits outside the mask: bit i of map[i / 64] for word i.
struct OutsideMask {
  uint64_t map[2] = {0, 0};
  size_t count = 0;
};
static_assert(FlowKey::kWords <= 128);

OutsideMask outside_mask(const Match& match) {
  OutsideMask outside;
  const uint64_t* key = match.key.words();
  const uint64_t* mask = match.mask.bits.words();
  for (size_t i = 0; i < FlowKey::kWords; ++i) {
    if ((key[i] & ~mask[i]) == 0) continue;
    outside.map[i / 64] |= uint64_t{1} << (i % 64);
    ++outside.count;
  }
  return outside;
}

// Calls fn(word index, n) for each word set in `map`, n counting from 0.
template <typename Fn>
void for_each_mapped_word(const uint64_t map[2], Fn fn) {
  size_t n = 0;
  for (size_t i = 0; i < FlowKey::kWords; ++i)
    if (map[i / 64] >> (i % 64) & 1) fn(i, n++);
}

}  // namespace

size_t Megaflow::block_bytes_for(size_t words, size_t action_bytes, size_t outside_words) {
  // Subtable::matches() reads kPaddedWords packed words whatever the count:
  // the UFID and actions after the words, and padding, cover any shortfall.
  size_t after_header = words * sizeof(uint64_t) + sizeof(Ufid) +
                        MegaflowActions::bytes_for(action_bytes);
  if (outside_words != 0) {
    after_header = (after_header + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
    after_header += (2 + outside_words) * sizeof(uint64_t);  // the map, then the words
  }
  const size_t minimum = Subtable::kPaddedWords * sizeof(uint64_t);
  const size_t bytes = sizeof(Megaflow) + (after_header > minimum ? after_header : minimum);
  return (bytes + alignof(Megaflow) - 1) & ~(alignof(Megaflow) - 1);
}

Megaflow* Megaflow::create(const Match& match, const Ufid& ufid, Subtable& subtable,
                           std::span<const uint8_t> actions, uint64_t now_ms,
                           FlowMemory& memory) {
  static_assert(alignof(Ufid) <= alignof(uint64_t) && sizeof(Ufid) % alignof(MegaflowActions) == 0);
  const size_t words = subtable.word_count();
  const OutsideMask outside = outside_mask(match);
  const size_t bytes = block_bytes_for(words, actions.size(), outside.count);
  void* block = memory.allocate(bytes);
  // The block's tail past the actions is padding the hit check may read:
  // give it a defined value.
  std::memset(static_cast<uint8_t*>(block) + bytes - alignof(Megaflow), 0, alignof(Megaflow));
  auto* flow = new (block) Megaflow(nullptr, static_cast<uint8_t>(words),
                                    static_cast<uint32_t>(bytes), &subtable, now_ms);
  subtable.pack(match.key, flow->packed_words_mutable());
  new (flow->packed_words_mutable() + words) Ufid(ufid);
  const MegaflowActions* own =
      MegaflowActions::write(const_cast<MegaflowActions*>(flow->own_actions()), actions);
  flow->actions_.store(own, std::memory_order_relaxed);
  if (outside.count != 0) {
    flow->words_outside_mask_ = static_cast<uint8_t>(outside.count);
    auto* stored = const_cast<uint64_t*>(flow->words_outside_mask());
    stored[0] = outside.map[0];
    stored[1] = outside.map[1];
    const uint64_t* key = match.key.words();
    const uint64_t* mask = match.mask.bits.words();
    for_each_mapped_word(outside.map, [&](size_t i, size_t n) { stored[2 + n] = key[i] & ~mask[i]; });
  }
  return flow;
}

void Megaflow::free(Megaflow* flow, FlowMemory& memory) {
  const MegaflowActions* actions = flow->actions_.load(std::memory_order_relaxed);
  if (actions != flow->own_actions()) free_actions(actions, memory);
  memory.free(flow, flow->block_bytes());
}

void Megaflow::free_actions(const MegaflowActions* actions, FlowMemory& memory) {
  memory.free(const_cast<MegaflowActions*>(actions),
              MegaflowActions::bytes_for(actions->bytes().size()));
}

Match Megaflow::match() const {
  Match match;
  match.key.clear();
  match.mask = subtable_->mask();
  uint64_t* key = match.key.words();
  const uint64_t* packed = packed_words();
  for (size_t i = 0; i < packed_word_count_; ++i) key[subtable_->word_index(i)] = packed[i];
  if (words_outside_mask_ != 0) {
    const uint64_t* stored = words_outside_mask();
    for_each_mapped_word(stored, [&](size_t i, size_t n) { key[i] |= stored[2 + n]; });
  }
  return match;
}

bool Megaflow::has_match(const Match& normalised) const {
  if (!(subtable_->mask() == normalised.mask)) return false;
  const uint64_t* key = normalised.key.words();
  const uint64_t* packed = packed_words();
  uint64_t diff = 0;
  for (size_t i = 0; i < packed_word_count_; ++i) diff |= key[subtable_->word_index(i)] ^ packed[i];
  return diff == 0;
}

const MegaflowActions* Megaflow::replace_actions(const MegaflowActions* actions) {
  const MegaflowActions* old = actions_.exchange(actions, std::memory_order_acq_rel);
  return old == own_actions() ? nullptr : old;
}

MegaflowStats Megaflow::stats() const {
  MegaflowStats s;
  s.packets = packets_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.used_ms = used_ms_.load(std::memory_order_relaxed);
  s.tcp_flags = tcp_flags_.load(std::memory_order_relaxed);
  return s;
}

void Megaflow::clear_stats() {
  packets_.store(0, std::memory_order_relaxed);
  bytes_.store(0, std::memory_order_relaxed);
  used_ms_.store(0, std::memory_order_relaxed);
  tcp_flags_.store(0, std::memory_order_relaxed);
}

}  // namespace flowpath
