#include "table/megaflow.h"

#include <cstddef>
#include <new>

#include "table/subtable.h"

namespace flowpath {

Megaflow* Megaflow::create(const Match& match, const Ufid& ufid, Subtable& subtable,
                           MegaflowActions* actions, uint64_t now_ms) {
  // Subtable::matches() reads kPaddedWords packed words whatever the count:
  // the cold part's leading words (the match key, always initialised) cover
  // any shortfall.
  static_assert(offsetof(Cold, match) == 0 &&
                sizeof(Match) >= Subtable::kPaddedWords * sizeof(uint64_t));
  size_t words = subtable.word_count();
  size_t size = sizeof(Megaflow) + words * sizeof(uint64_t) + sizeof(Cold);
  void* memory = ::operator new (size, std::align_val_t{alignof(Megaflow)});
  auto* flow = new (memory) Megaflow(actions, static_cast<uint16_t>(words), &subtable);
  subtable.pack(match.key, flow->packed_words_mutable());
  new (&flow->cold()) Cold{match, ufid, now_ms, {}};
  return flow;
}

void Megaflow::destroy(Megaflow* flow) {
  delete flow->actions_.load(std::memory_order_relaxed);
  flow->cold().~Cold();
  flow->~Megaflow();
  ::operator delete (flow, std::align_val_t{alignof(Megaflow)});
}

void Megaflow::destroy_after_grace_period(Megaflow* flow) {
  rcu::free_after_grace_period<Megaflow, &Megaflow::destroy>(flow, &flow->cold().deferred);
}

void Megaflow::replace_actions(MegaflowActions* actions) {
  MegaflowActions* old = actions_.exchange(actions, std::memory_order_acq_rel);
  rcu::free_after_grace_period<MegaflowActions, rcu::delete_object<MegaflowActions>>(
      old, &old->deferred_);
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
