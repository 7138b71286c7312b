// MegaflowTable: the datapath's flow table (megaflows), searched by tuple
// space search as in the Linux openvswitch module and OVS's dpcls.
//
// Design, and why:
//  - One Subtable per distinct mask. A packet key is hashed and compared under
//    each subtable's mask in turn, touching only the 64-bit key words that the
//    mask uses (its word map), until one subtable holds a matching flow.
//    Within a subtable at most one flow matches a key (one mask, distinct
//    masked keys). Across subtables flows may overlap (a packet could match
//    several), as in Open vSwitch: the packet then gets whichever flow the
//    search finds first, which depends on subtable ranking. The caches
//    (table/exact_match_cache.h, table/signature_cache.h) may remember another
//    of them; every answer matches the packet and is alive.
//  - Subtable order is by recent hits: forwarding threads bump a per-subtable
//    counter (lossy, no atomic RMW) and the owner calls rank_subtables()
//    about once a second; the busiest masks are then probed first, which is
//    what makes many-mask tables affordable.
//  - Each subtable's flows sit in an RcuHashIndex: 64-byte buckets of 5
//    (hash, flow) pairs with two bucket choices, so a miss usually costs one
//    cache line and never dereferences a flow. The flow's masked key words are
//    stored packed right after its 64-byte header, so a hit check reads one
//    more line.
//  - A flow stores only what its mask covers: the packed key words, its UFID,
//    times and actions, in one block (table/megaflow.h); the mask is the
//    subtable's. Blocks come from size-classed slabs (table/flow_memory.h)
//    and index arrays and slot chunks from mapped pages, so the memory of
//    expired flows goes back to the system.
//  - Concurrency is RCU (liburcu, memb flavour: see table/rcu.h for why not
//    QSBR). Lookups take no lock, never block and never allocate; they must
//    run inside an rcu::ReadSection, and the flows and actions they return
//    stay valid until it ends. Writers (put/remove/flush/rank/limit) serialise
//    on one mutex, publish new subtable lists, index arrays and action lists
//    with release stores (std::atomic, which the C++ memory model and the
//    sanitizers understand, in place of liburcu's C pointer macros), and free
//    what they unlinked after a grace period: one call_rcu per writer
//    operation for all the flows and action lists it unlinked, so a flow
//    carries no link of its own. Writers never wait for a grace period, so
//    they may run inside a read section.
//  - A flow's action list is immutable: the one it is created with lives in
//    its block, and a modify publishes a new list with one atomic store, so a
//    reader sees the old list or the new one, never a mix.
//  - Statistics are relaxed atomics on the flow's own cache line.
//  - Dumps walk numbered flow slots (table/flow_slots.h): the cursor is a slot
//    number, which survives any insert or delete; every flow present for the
//    whole dump is reported, and no flow twice.
//  - Flow identity is the UFID; a flow put without one gets a UFID hashed
//    from its normalised match, so re-putting the same match finds it again.
//  - Which flow a put creates or modifies (FlowOverlap::kAllow, the default,
//    Open vSwitch's userspace datapath): the new flow's own key, as given, is
//    looked up as a packet would be. A put without a UFID modifies the flow
//    found (whatever its mask), or creates one if none is found; a create
//    finding one is refused ("File exists" in Open vSwitch). A put with a
//    UFID modifies the flow with that UFID (which must have the same match);
//    with a UFID no flow has, a create is refused if the lookup finds a flow
//    (UFIDs stay unique: Open vSwitch would modify the flow found instead).
//    Other overlaps are accepted.
//  - FlowOverlap::kRefuse (a per-datapath option) keeps flows disjoint: an
//    existing flow is found by UFID or exact match only, and a create is
//    refused if it overlaps any flow (best effort, never a false alarm): for
//    every subtable, the new flow's key is probed under that subtable's mask
//    (exact when the subtable's mask is within the new mask, and it catches
//    the common case of the same traffic arriving with a wider or narrower
//    mask); subtables of at most overlap_scan_limit() flows are also scanned
//    flow by flow, comparing under the intersection of the two masks, which
//    is exact. Larger subtables whose mask is not within the new one get the
//    probe only, to keep puts cheap.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "flow/flow_key.h"
#include "table/flow_memory.h"
#include "table/flow_slots.h"
#include "table/megaflow.h"
#include "common/rcu.h"
#include "table/rcu_hash_index.h"
#include "table/retire_list.h"
#include "flow/ufid.h"

namespace flowpath {

// What put() may do when a flow with the same identity exists or not:
// ovs-dpctl add-flow is kCreate, mod-flow is kModify, mod-flow --may-create
// (and the upcall path) kCreateOrModify.
enum class PutMode { kCreate, kModify, kCreateOrModify };

// Whether a put may create a flow that overlaps existing ones (a packet
// could match both); see the design notes above.
enum class FlowOverlap : uint8_t {
  // Open vSwitch's userspace datapath: refused only when an existing flow
  // matches the new flow's own key; a modify changes the flow that key finds.
  kAllow,
  // Every overlap refused; existing flows found by UFID or exact match only.
  kRefuse,
};

// "allow" / "refuse", as the datapath option flow-overlap spells them.
const char* flow_overlap_name(FlowOverlap overlap);
Result<FlowOverlap> parse_flow_overlap(std::string_view text);

struct MegaflowPut {
  Match match;                       // normalised by put()
  std::optional<Ufid> ufid;          // derived from the match when absent
  std::span<const uint8_t> actions;  // OVS_ACTION_ATTR_* Netlink bytes, copied
  PutMode mode = PutMode::kCreateOrModify;
  bool clear_stats = false;  // when modifying: zero the statistics
};

struct MegaflowPutResult {
  Ufid ufid;
  bool created = false;          // false: an existing flow was modified
  MegaflowStats previous_stats;  // of the modified flow, before the change
};

struct MegaflowLookup {
  Megaflow* flow = nullptr;
  uint32_t subtables_searched = 0;  // including the one that hit
};

// Subtables a batch lookup searched, summed over its keys.
struct SubtableSearches {
  uint32_t all = 0;      // every key's, hit or not (a miss searches every subtable)
  uint32_t by_hits = 0;  // the keys that hit: up to and including the subtable that matched
};

struct MegaflowDumpCursor {
  uint32_t next_slot = 0;
  bool done = false;
};

struct SubtableInfo {
  FlowMask mask;
  size_t flows = 0;
  uint64_t hits = 0;  // since the last rank_subtables()
};

class Subtable;

class MegaflowTable {
 public:
  static constexpr size_t kDefaultFlowLimit = 200000;
  static constexpr size_t kMaxFlowLimit = FlowSlots::kMaxSlots;
  static constexpr size_t kDefaultOverlapScanLimit = 1024;
  static constexpr size_t kMaxBatch = 64;

  MegaflowTable();
  // No reader may use the table any more; not inside a read section.
  ~MegaflowTable();
  MegaflowTable(const MegaflowTable&) = delete;
  MegaflowTable& operator=(const MegaflowTable&) = delete;

  // ---- Control path (writers serialise internally; may be called inside a
  // read section; each call is atomic to readers).

  // Creates or modifies a flow, as `request.mode` allows. The existing flow
  // is the one with the request's UFID, or, without one, the first flow the
  // match's key (as given) hits; with FlowOverlap::kRefuse, the one with the
  // same match. Errors: exists (kCreate), absent (kModify), UFID bound to
  // another match, key matched by a flow of another UFID, overlap (kRefuse),
  // table full.
  Result<MegaflowPutResult> put(const MegaflowPut& request);

  // Puts several flows under one writer lock, as put() would one after the
  // other (a later request sees what an earlier one created), and publishes
  // the subtable list at most once: the upcall layer's way to install a
  // handler's batch of new flows without taking the lock and republishing
  // per flow. results[i] is the outcome of requests[i]; one failure does not
  // stop the others.
  std::vector<Result<MegaflowPutResult>> put_batch(std::span<const MegaflowPut> requests);

  // Deletes a flow; returns its final statistics.
  Result<MegaflowStats> remove(const Ufid& ufid);
  Result<MegaflowStats> remove(const Match& match);
  void flush();

  Status set_flow_limit(size_t limit);
  size_t flow_limit() const { return flow_limit_.load(std::memory_order_relaxed); }
  // How puts treat overlapping flows (default kAllow). Switching to kRefuse
  // checks only later creates: flows already there stay.
  void set_flow_overlap(FlowOverlap overlap);
  FlowOverlap flow_overlap() const;
  // With kRefuse: subtables of up to this many flows are scanned for overlaps.
  void set_overlap_scan_limit(size_t flows);
  size_t overlap_scan_limit() const;

  // Re-sorts the subtables by hits since the last call, most hit first (ties
  // keep their order), and starts counting anew. Returns true if the order
  // changed. Meant to be called about once a second by the table's owner.
  bool rank_subtables();

  // Subtables in search order (takes the writer lock).
  std::vector<SubtableInfo> subtables() const;

  size_t count() const { return count_.load(std::memory_order_relaxed); }
  size_t mask_count() const { return mask_count_.load(std::memory_order_relaxed); }

  // Memory the table holds for its flows: flow and action blocks (slabs
  // mapped), index arrays and slots. Excludes what waits for a grace period.
  // Takes the writer lock.
  size_t footprint_bytes() const;

  // ---- Read side: call inside an rcu::ReadSection (which also registers the
  // thread with RCU); returned flows stay valid until the section ends. No
  // locks, no allocation, never blocks.

  Megaflow* get(const Ufid& ufid) const;
  Megaflow* get(const Match& match) const;  // exact key and mask

  MegaflowLookup lookup(const FlowKey& key) const;

  // Looks up keys[0..n) (n <= kMaxBatch); sets flows[i] to the hit or
  // nullptr and returns the bitmap of hits (bit i for keys[i]). Probes all
  // keys against one subtable before the next, hashing and prefetching
  // first, so memory latency overlaps. `searches`, if given, gets the sums
  // over keys of what lookup() would report: for all keys, and for the keys
  // that hit.
  uint64_t lookup_batch(const FlowKey* const keys[], size_t n, Megaflow* flows[],
                        SubtableSearches* searches = nullptr) const;
  // The same for keys stored contiguously.
  uint64_t lookup_batch(std::span<const FlowKey> keys, Megaflow* flows[],
                        SubtableSearches* searches = nullptr) const;

  // The flow holding `slot` (Megaflow::slot()), or nullptr if none does: a
  // cache's check that a flow it remembers was not deleted, since remove()
  // and flush() empty the slot before they return. A slot may be reused by a
  // later flow, so callers must still check that the flow matches their key.
  Megaflow* flow_in_slot(uint32_t slot) const {
    return slot < FlowSlots::kMaxSlots ? slots_.get(slot) : nullptr;
  }

  // Fills `out` (not empty) with the next flows of a dump from `cursor` and
  // advances it; returns how many were written. The dump is over when
  // cursor->done. Each call may use its own read section: the cursor
  // survives any change to the table in between.
  size_t dump(MegaflowDumpCursor* cursor, std::span<Megaflow*> out) const;

 private:
  struct SubtableList {
    rcu::DeferredFree deferred;
    std::vector<Subtable*> items;
  };

  const SubtableList* subtable_list() const { return subtables_.load(std::memory_order_acquire); }
  static Subtable* find_subtable(const std::vector<Subtable*>& subtables, const FlowMask& mask);
  static Megaflow* find_exact(const std::vector<Subtable*>& subtables, const Match& normalised);
  Megaflow* find_by_ufid(const Ufid& ufid) const;
  // The first flow of `subtables` that `key` hits, as lookup() without the
  // hit counting.
  static Megaflow* find_matching(const std::vector<Subtable*>& subtables, const FlowKey& key);

  // Writer-side helpers (writer_mutex_ held). They work on writer_subtables_
  // and leave its publication to finish_write(), which every
  // writer operation calls once before it releases the lock.
  Result<MegaflowPutResult> put_locked(const MegaflowPut& request);
  // The flow a put without a UFID modifies, or that makes a create fail.
  Megaflow* find_for_put(const MegaflowPut& request, const Match& normalised) const;
  Result<MegaflowPutResult> modify(Megaflow* flow, const MegaflowPut& request);
  Result<MegaflowPutResult> create(const Match& match, const MegaflowPut& request);
  const Megaflow* find_overlap(const Match& match) const;
  MegaflowStats unlink_and_retire(Megaflow* flow);
  // Ends every writer operation: publishes the subtable list if it changed
  // and hands what was retired to RCU in one batch.
  void finish_write();

  FlowMemory memory_;
  RetireList retired_;  // writer_mutex_ held
  std::atomic<SubtableList*> subtables_;
  // The writer's subtable list: what subtables_ will hold at the next
  // publication (equal to it outside writer operations).
  std::vector<Subtable*> writer_subtables_;
  bool subtables_changed_ = false;
  // Looked up by the control path only: it may run fuller than a subtable's
  // index (RcuHashIndex), which saves memory per flow.
  static constexpr uint32_t kUfidIndexMaxLoadPercent = 85;
  RcuHashIndex<Megaflow> by_ufid_{kUfidIndexMaxLoadPercent};
  FlowSlots slots_;
  std::atomic<size_t> count_{0};
  std::atomic<size_t> mask_count_{0};
  std::atomic<size_t> flow_limit_{kDefaultFlowLimit};
  size_t overlap_scan_limit_ = kDefaultOverlapScanLimit;
  FlowOverlap flow_overlap_ = FlowOverlap::kAllow;  // writer_mutex_ held
  mutable std::mutex writer_mutex_;
};

}  // namespace flowpath
