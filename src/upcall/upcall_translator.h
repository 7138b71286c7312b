// The upcall layer's only way up: the OpenFlow layer above it (ofproto)
// implements UpcallTranslator, one per datapath it drives, and registers it
// with the UpcallLayer (upcall_layer.h). The upcall layer decides when to
// translate, what to install, modify or delete in the datapath, and when a
// flow's statistics are pushed; the translator decides what a packet's flow
// does (actions and megaflow mask) and keeps its own records of what a
// translation used (rules' counters, learned MAC entries, learned flows) in
// a TranslationCache the ukey carries for it, as Open vSwitch's ukeys carry
// an xlate cache.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "datapath/upcall_queue.h"
#include "flow/flow_key.h"

namespace flowpath::upcall {

// The generation of the translator's state a translation saw. `state` moves
// with every change that may alter any flow (rules, groups, meters, ports);
// `tags` with the journal of tagged changes (the MAC learning table), which
// alter only the flows whose translation looked the changed tags up.
struct TranslationStamp {
  uint64_t state = 0;
  uint64_t tags = 0;
  friend bool operator==(const TranslationStamp&, const TranslationStamp&) = default;
};

// The translator's own record of what a translation used, kept with the
// flow's ukey and handed back to UpcallTranslator::credit(). Opaque to the
// upcall layer.
class TranslationCache {
 public:
  virtual ~TranslationCache() = default;
};

// What a translation produced.
struct Translation {
  std::vector<uint8_t> actions;  // ODP Netlink form; empty: the packet is dropped
  FlowMask mask;                 // the megaflow mask (every bit the translation looked at)
  // The translator's state the translation saw (taken before translating:
  // a change that races with it makes the revalidator check the flow again).
  TranslationStamp stamp;
  // Tags (MAC table entries) the translation looked up: the flow is
  // re-translated when one of them changes.
  std::vector<uint64_t> tags;
  std::unique_ptr<TranslationCache> cache;
  // The flow must not be installed (a tunnel's next hop is not resolved
  // yet: the next packet translates again). When revalidating: the flow is
  // deleted.
  bool install = true;
  bool failed = false;  // the translation aborted; actions are empty

  // Side effects of a miss's translation (translate_miss only).
  bool tags_changed = false;  // flows depending on changed tags are re-checked at once
  // Something every datapath's flows may depend on changed (the process's
  // neighbour cache): every flow of every datapath is re-checked.
  bool all_datapaths_stale = false;
};

class UpcallTranslator {
 public:
  virtual ~UpcallTranslator() = default;

  // ---- Handler threads (several at once, each with its own upcalls)
  // A miss: the packet's flow, with its side effects (learning, the missed
  // packet counted by the rules it hit). Called with no lock of the upcall
  // layer's but its datapaths' read lock (lock order: upcall_layer.h).
  virtual Translation translate_miss(const Upcall& upcall) = 0;
  // An action upcall (userspace() actions, e.g. CONTROLLER's).
  virtual void handle_action(Upcall& upcall) = 0;

  // ---- The revalidator thread (one)
  // The translator's state now.
  virtual TranslationStamp stamp() const = 0;
  // The tags changed since the last call (*all: too many to list, every
  // flow that looked any tag up is stale).
  virtual std::vector<uint64_t> take_changed_tags(bool* all) = 0;
  // `key`'s flow translated again, without side effects.
  virtual Translation retranslate(const FlowKey& key) = 0;
  // A flow's traffic since its last push: `packets` (at least 1) and
  // `bytes`, last seen at `now_ms`, credited to what `cache` recorded.
  // Called with the ukeys' mutex held: it must take no lock.
  virtual void credit(TranslationCache* cache, uint64_t packets, uint64_t bytes,
                      uint64_t now_ms) = 0;
  // The end of a full revalidation round of this datapath: what the
  // credited traffic keeps alive is refreshed, timed-out rules and aged
  // MAC entries expire.
  virtual void end_round(uint64_t now_ms) = 0;
};

}  // namespace flowpath::upcall
