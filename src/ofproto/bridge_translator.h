// Internal to ofproto*.cc: a bridge as the upcall layer beneath sees it
// (upcall/upcall_translator.h). Misses are translated through the bridge's
// OpenFlow pipeline with their side effects (MAC and learn-action learning,
// the missed packet counted by its rules, native tunnelling's neighbour
// requests); CONTROLLER's userspace() upcalls become packet-ins; the
// traffic the revalidator credits goes to the rules' and groups' counters
// and keeps the MAC entries and learned flows it depends on alive; each
// full round ends with rules expiring and the MAC table aging.
#pragma once

#include <vector>

#include "ofproto/xlate.h"
#include "upcall/upcall_translator.h"

namespace flowpath::ofproto {

class Bridge;
class Ofproto;

// What a translation used, kept with its datapath flow's ukey.
struct BridgeTranslationCache final : upcall::TranslationCache {
  std::vector<std::shared_ptr<RuleCounters>> counters;  // credited with its traffic
  // The MAC entry NORMAL learned from the source: its traffic keeps it fresh.
  std::optional<XlateResult::Learned> learned;
  // The flows its translation learned: traffic on the megaflow learns them
  // again (refreshes them, or adds them back once they expired), as Open
  // vSwitch's xlate cache does.
  std::vector<LearnedFlow> learned_flows;
};

// Lives while the upcall layer serves the bridge's datapath; the bridge
// outlives it there (Ofproto::del_bridge removes the datapath from the
// upcall layer before the bridge goes).
class BridgeTranslator final : public upcall::UpcallTranslator {
 public:
  BridgeTranslator(Ofproto& ofproto, Bridge& bridge) : ofproto_(ofproto), bridge_(bridge) {}

  upcall::Translation translate_miss(const Upcall& upcall) override;
  void handle_action(Upcall& upcall) override;
  upcall::TranslationStamp stamp() const override;
  std::vector<uint64_t> take_changed_tags(bool* all) override;
  upcall::Translation retranslate(const FlowKey& key) override;
  void credit(upcall::TranslationCache* cache, uint64_t packets, uint64_t bytes,
              uint64_t now_ms) override;
  void end_round(uint64_t now_ms) override;

 private:
  Ofproto& ofproto_;
  Bridge& bridge_;
  // What credit() found alive, applied by end_round() (the revalidator's).
  std::vector<XlateResult::Learned> refresh_;
  std::vector<LearnedFlow> relearn_;
};

}  // namespace flowpath::ofproto
