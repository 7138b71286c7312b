#include "table/megaflow_table.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <string>

#include "common/clock.h"
#include "table/bit_count.h"
#include "table/subtable.h"
#include "table/subtable_probe.h"

namespace flowpath {

namespace {


// Is every bit of `inner` also set in `outer`?
bool mask_within(const FlowMask& inner, const FlowMask& outer) {
  const uint64_t* in = inner.bits.words();
  const uint64_t* out = outer.bits.words();
  uint64_t outside = 0;
  for (size_t i = 0; i < FlowKey::kWords; ++i) outside |= in[i] & ~out[i];
  return outside == 0;
}

// Of the flows in `subtable`, one that agrees with `match` on every bit both
// masks care about (a packet could then match both), by a full scan.
const Megaflow* scan_for_overlap(const Subtable& subtable, const Match& match) {
  uint64_t common[FlowKey::kWords];
  uint64_t target[FlowKey::kWords];
  const size_t n = subtable.word_count();
  for (size_t j = 0; j < n; ++j) {
    uint32_t w = subtable.word_index(j);
    common[j] = subtable.mask_word(j) & match.mask.bits.words()[w];
    target[j] = match.key.words()[w] & common[j];
  }
  const Megaflow* found = nullptr;
  subtable.flows().for_each([&](const Megaflow* flow, uint32_t) {
    if (found != nullptr) return;
    const uint64_t* packed = flow->packed_words();
    uint64_t diff = 0;
    for (size_t j = 0; j < n; ++j) diff |= (packed[j] & common[j]) ^ target[j];
    if (diff == 0) found = flow;
  });
  return found;
}

}  // namespace

const char* flow_overlap_name(FlowOverlap overlap) {
  return overlap == FlowOverlap::kRefuse ? "refuse" : "allow";
}

Result<FlowOverlap> parse_flow_overlap(std::string_view text) {
  if (text == "allow") return FlowOverlap::kAllow;
  if (text == "refuse") return FlowOverlap::kRefuse;
  return make_error("flow-overlap must be allow or refuse, not \"" + std::string(text) + "\"");
}

MegaflowTable::MegaflowTable() : retired_(memory_), subtables_(new SubtableList) {}

MegaflowTable::~MegaflowTable() {
  // What was unlinked is already queued for freeing: let that finish, then
  // free the rest directly (no reader may remain).
  rcu::wait_for_deferred_frees();
  for (uint32_t slot = 0; slot < slots_.end(); ++slot)
    if (Megaflow* flow = slots_.owner(slot)) Megaflow::free(flow, memory_);
  SubtableList* list = subtables_.load(std::memory_order_relaxed);
  for (Subtable* subtable : list->items) delete subtable;
  delete list;
}

// ---------------------------------------------------------------- read side

Subtable* MegaflowTable::find_subtable(const std::vector<Subtable*>& subtables,
                                       const FlowMask& mask) {
  for (Subtable* subtable : subtables)
    if (subtable->mask() == mask) return subtable;
  return nullptr;
}

Megaflow* MegaflowTable::find_exact(const std::vector<Subtable*>& subtables,
                                    const Match& normalised) {
  Subtable* subtable = find_subtable(subtables, normalised.mask);
  return subtable ? subtable->find(normalised.key) : nullptr;
}

Megaflow* MegaflowTable::find_by_ufid(const Ufid& ufid) const {
  return by_ufid_.view().find(ufid.hash(),
                              [&](const Megaflow* flow) { return flow->ufid() == ufid; });
}

Megaflow* MegaflowTable::find_matching(const std::vector<Subtable*>& subtables,
                                       const FlowKey& key) {
  for (Subtable* subtable : subtables)
    if (Megaflow* flow = subtable->find(key)) return flow;
  return nullptr;
}

Megaflow* MegaflowTable::get(const Ufid& ufid) const {
  assert(rcu::in_read_section());
  return find_by_ufid(ufid);
}

Megaflow* MegaflowTable::get(const Match& match) const {
  assert(rcu::in_read_section());
  Match normalised = match;
  normalised.normalize();
  return find_exact(subtable_list()->items, normalised);
}

MegaflowLookup MegaflowTable::lookup(const FlowKey& key) const {
  assert(rcu::in_read_section());
  uint32_t searched = 0;
  for (Subtable* subtable : subtable_list()->items) {
    ++searched;
    if (Megaflow* flow = subtable->find(key)) {
      subtable->count_hits(1);
      return {flow, searched};
    }
  }
  return {nullptr, searched};
}

uint64_t MegaflowTable::lookup_batch(const FlowKey* const keys[], size_t n, Megaflow* flows[],
                                     SubtableSearches* searches) const {
  assert(rcu::in_read_section());
  assert(n <= kMaxBatch);
  const uint64_t all = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  uint64_t pending = all;
  uint32_t pending_count = static_cast<uint32_t>(n);  // count_bits(pending)
  uint32_t searched = 0;
  for (size_t i = 0; i < n; ++i) flows[i] = nullptr;

  const auto& subtables = subtable_list()->items;
  for (Subtable* subtable : subtables) {
    if (pending == 0) break;
    searched += pending_count;
    const uint64_t hits = subtable_probe::probe_batch_dispatch(*subtable, keys, pending, flows);
    if (hits != 0) {
      const uint32_t hit_count = count_bits(hits);
      subtable->count_hits(hit_count);
      pending &= ~hits;
      pending_count -= hit_count;
    }
  }
  if (searches != nullptr) {
    // A key that hit searched up to its subtable; one that missed searched
    // them all (the loop ends early only when nothing is pending).
    const uint32_t by_misses = pending_count * static_cast<uint32_t>(subtables.size());
    *searches = SubtableSearches{searched, searched - by_misses};
  }
  return all & ~pending;
}

uint64_t MegaflowTable::lookup_batch(std::span<const FlowKey> keys, Megaflow* flows[],
                                     SubtableSearches* searches) const {
  const FlowKey* pointers[kMaxBatch];
  size_t n = std::min(keys.size(), kMaxBatch);
  for (size_t i = 0; i < n; ++i) pointers[i] = &keys[i];
  return lookup_batch(pointers, n, flows, searches);
}

size_t MegaflowTable::dump(MegaflowDumpCursor* cursor, std::span<Megaflow*> out) const {
  assert(rcu::in_read_section());
  const uint32_t end = slots_.end();
  uint32_t slot = cursor->next_slot;
  size_t written = 0;
  for (; slot < end && written < out.size(); ++slot)
    if (Megaflow* flow = slots_.get(slot)) out[written++] = flow;
  cursor->next_slot = slot;
  cursor->done = slot >= end;
  return written;
}

// --------------------------------------------------------------- write side
//
// Writers read the published structures with the same acquire loads as
// readers; holding writer_mutex_ guarantees nothing they read is retired
// under them.

Result<MegaflowPutResult> MegaflowTable::put(const MegaflowPut& request) {
  rcu::ensure_thread_registered();
  std::lock_guard lock(writer_mutex_);
  Result<MegaflowPutResult> result = put_locked(request);
  finish_write();
  return result;
}

std::vector<Result<MegaflowPutResult>> MegaflowTable::put_batch(
    std::span<const MegaflowPut> requests) {
  rcu::ensure_thread_registered();
  std::vector<Result<MegaflowPutResult>> results;
  results.reserve(requests.size());
  std::lock_guard lock(writer_mutex_);
  for (const MegaflowPut& request : requests) results.push_back(put_locked(request));
  finish_write();
  return results;
}

Result<MegaflowPutResult> MegaflowTable::put_locked(const MegaflowPut& request) {
  Match match = request.match;
  match.normalize();

  // What an existing flow that blocks a create is called in the error.
  auto exists_error = [&](const Megaflow& other) {
    const std::string name = "flow " + other.ufid().to_string();
    if (other.has_match(match)) return make_error(name + " already exists");
    return make_error(name + " already matches this flow's key");
  };

  Megaflow* existing;
  if (request.ufid) {
    existing = find_by_ufid(*request.ufid);
    if (existing != nullptr && !existing->has_match(match))
      return make_error(request.ufid->to_string() + " already names a flow with a different match");
    if (existing == nullptr && request.mode != PutMode::kModify) {
      // UFIDs stay unique: a flow of another UFID that the put would find
      // is not taken over.
      if (const Megaflow* other = find_for_put(request, match)) {
        if (other->has_match(match)) {
          return make_error("a flow with this match already exists as " +
                            other->ufid().to_string());
        }
        return exists_error(*other);
      }
    }
  } else {
    existing = find_for_put(request, match);
  }

  if (existing != nullptr) {
    if (request.mode == PutMode::kCreate) return exists_error(*existing);
    return modify(existing, request);
  }
  if (request.mode == PutMode::kModify) {
    if (request.ufid) return make_error("no flow with " + request.ufid->to_string());
    return make_error(flow_overlap_ == FlowOverlap::kRefuse ? "no flow with this match"
                                                            : "no flow matches this flow's key");
  }
  return create(match, request);
}

Megaflow* MegaflowTable::find_for_put(const MegaflowPut& request, const Match& normalised) const {
  if (flow_overlap_ == FlowOverlap::kRefuse) return find_exact(writer_subtables_, normalised);
  // Open vSwitch looks the key up as given, bits outside the mask included.
  return find_matching(writer_subtables_, request.match.key);
}

Result<MegaflowPutResult> MegaflowTable::modify(Megaflow* flow, const MegaflowPut& request) {
  MegaflowPutResult result{flow->ufid(), false, flow->stats()};
  const std::span<const uint8_t> current = flow->actions();
  // The revalidator re-puts flows whose actions did not change: keep the
  // list rather than copy it and wait a grace period to free the old one.
  const bool same = current.size() == request.actions.size() &&
                    (current.empty() ||
                     std::memcmp(current.data(), request.actions.data(), current.size()) == 0);
  if (!same) {
    const size_t bytes = MegaflowActions::bytes_for(request.actions.size());
    const MegaflowActions* fresh = MegaflowActions::write(memory_.allocate(bytes), request.actions);
    if (const MegaflowActions* old = flow->replace_actions(fresh)) retired_.retire(old);
  }
  if (request.clear_stats) flow->clear_stats();
  return result;
}

Result<MegaflowPutResult> MegaflowTable::create(const Match& match, const MegaflowPut& request) {
  const size_t limit = flow_limit();
  if (count() >= limit) return make_error("flow table full (" + std::to_string(limit) + " flows)");

  const Ufid ufid = request.ufid ? *request.ufid : Ufid::from_match(match);
  if (!request.ufid && find_by_ufid(ufid) != nullptr)
    return make_error("derived " + ufid.to_string() + " is already used by another flow");
  if (flow_overlap_ == FlowOverlap::kRefuse) {
    if (const Megaflow* other = find_overlap(match)) {
      return make_error("flow overlaps existing flow " + other->ufid().to_string() +
                        " (a packet could match both)");
    }
  }

  Subtable* subtable = find_subtable(writer_subtables_, match.mask);
  const bool new_subtable = subtable == nullptr;
  if (new_subtable) subtable = new Subtable(match.mask);

  Megaflow* flow =
      Megaflow::create(request.match, ufid, *subtable, request.actions, monotonic_ms(), memory_);
  flow->slot_ = slots_.take();
  subtable->flows().insert(flow, subtable->hash(match.key));
  by_ufid_.insert(flow, ufid.hash());
  slots_.set(flow->slot_, flow);
  if (new_subtable) {
    writer_subtables_.push_back(subtable);  // new masks start last; ranking moves them up
    subtables_changed_ = true;
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  return MegaflowPutResult{ufid, true, {}};
}

const Megaflow* MegaflowTable::find_overlap(const Match& match) const {
  for (const Subtable* subtable : writer_subtables_) {
    if (subtable->mask() == match.mask) continue;  // distinct keys, one mask: disjoint
    // Would the new flow's own key (wildcarded bits zero) hit this subtable?
    // Exact when this subtable's mask lies within the new one.
    if (const Megaflow* flow = subtable->find(match.key)) return flow;
    if (mask_within(subtable->mask(), match.mask)) continue;
    if (subtable->flows().size() > overlap_scan_limit_) continue;
    if (const Megaflow* flow = scan_for_overlap(*subtable, match)) return flow;
  }
  return nullptr;
}

void MegaflowTable::finish_write() {
  if (subtables_changed_) {
    subtables_changed_ = false;
    auto* list = new SubtableList;
    list->items = writer_subtables_;
    mask_count_.store(list->items.size(), std::memory_order_relaxed);
    SubtableList* old = subtables_.exchange(list, std::memory_order_acq_rel);
    rcu::free_after_grace_period<SubtableList, rcu::delete_object<SubtableList>>(old,
                                                                                 &old->deferred);
  }
  retired_.submit();
}

MegaflowStats MegaflowTable::unlink_and_retire(Megaflow* flow) {
  Subtable* subtable = flow->subtable_;
  bool in_subtable = subtable->flows().remove(flow, subtable->hash_packed(flow->packed_words()));
  bool in_ufids = by_ufid_.remove(flow, flow->ufid().hash());
  assert(in_subtable && in_ufids);
  (void)in_subtable;
  (void)in_ufids;
  slots_.give_back(flow->slot_);
  count_.fetch_sub(1, std::memory_order_relaxed);

  if (subtable->flows().size() == 0) {
    std::erase(writer_subtables_, subtable);
    subtables_changed_ = true;
    retired_.retire(subtable);
  }
  retired_.retire(flow);
  return flow->stats();
}

Result<MegaflowStats> MegaflowTable::remove(const Ufid& ufid) {
  rcu::ensure_thread_registered();
  std::lock_guard lock(writer_mutex_);
  Megaflow* flow = find_by_ufid(ufid);
  if (flow == nullptr) return make_error("no flow with " + ufid.to_string());
  MegaflowStats stats = unlink_and_retire(flow);
  finish_write();
  return stats;
}

Result<MegaflowStats> MegaflowTable::remove(const Match& match) {
  rcu::ensure_thread_registered();
  Match normalised = match;
  normalised.normalize();
  std::lock_guard lock(writer_mutex_);
  Megaflow* flow = find_exact(writer_subtables_, normalised);
  if (flow == nullptr) return make_error("no flow with this match");
  MegaflowStats stats = unlink_and_retire(flow);
  finish_write();
  return stats;
}

void MegaflowTable::flush() {
  rcu::ensure_thread_registered();
  std::lock_guard lock(writer_mutex_);
  std::vector<Subtable*> old_subtables = std::move(writer_subtables_);
  writer_subtables_.clear();
  subtables_changed_ = true;
  by_ufid_.clear();
  for (uint32_t slot = 0; slot < slots_.end(); ++slot) {
    Megaflow* flow = slots_.owner(slot);
    if (flow == nullptr) continue;
    slots_.give_back(slot);
    retired_.retire(flow);
  }
  for (Subtable* subtable : old_subtables) retired_.retire(subtable);
  count_.store(0, std::memory_order_relaxed);
  finish_write();
}

Status MegaflowTable::set_flow_limit(size_t limit) {
  if (limit == 0 || limit > kMaxFlowLimit) {
    return make_error("flow limit " + std::to_string(limit) + " out of range 1.." +
                      std::to_string(kMaxFlowLimit));
  }
  flow_limit_.store(limit, std::memory_order_relaxed);
  return Ok{};
}

void MegaflowTable::set_flow_overlap(FlowOverlap overlap) {
  std::lock_guard lock(writer_mutex_);
  flow_overlap_ = overlap;
}

FlowOverlap MegaflowTable::flow_overlap() const {
  std::lock_guard lock(writer_mutex_);
  return flow_overlap_;
}

void MegaflowTable::set_overlap_scan_limit(size_t flows) {
  std::lock_guard lock(writer_mutex_);
  overlap_scan_limit_ = flows;
}

size_t MegaflowTable::overlap_scan_limit() const {
  std::lock_guard lock(writer_mutex_);
  return overlap_scan_limit_;
}

bool MegaflowTable::rank_subtables() {
  rcu::ensure_thread_registered();
  std::lock_guard lock(writer_mutex_);
  const std::vector<Subtable*>& current = writer_subtables_;
  std::vector<std::pair<uint64_t, Subtable*>> ranked;
  ranked.reserve(current.size());
  for (Subtable* subtable : current)
    ranked.emplace_back(subtable->take_hits_since_ranking(), subtable);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  bool changed = false;
  std::vector<Subtable*> order;
  order.reserve(ranked.size());
  for (size_t i = 0; i < ranked.size(); ++i) {
    order.push_back(ranked[i].second);
    if (ranked[i].second != current[i]) changed = true;
  }
  if (changed) {
    writer_subtables_ = std::move(order);
    subtables_changed_ = true;
    finish_write();
  }
  return changed;
}

size_t MegaflowTable::footprint_bytes() const {
  std::lock_guard lock(writer_mutex_);
  size_t bytes = memory_.footprint_bytes() + by_ufid_.footprint_bytes() + slots_.footprint_bytes();
  for (const Subtable* subtable : writer_subtables_)
    bytes += sizeof(Subtable) + subtable->flows().footprint_bytes();
  return bytes;
}

std::vector<SubtableInfo> MegaflowTable::subtables() const {
  std::lock_guard lock(writer_mutex_);
  std::vector<SubtableInfo> infos;
  for (const Subtable* subtable : writer_subtables_)
    infos.push_back({subtable->mask(), subtable->flows().size(), subtable->hits_since_ranking()});
  return infos;
}

}  // namespace flowpath
