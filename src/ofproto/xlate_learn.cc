// Translation of learn: the flow the packet teaches (openflow/of_learn.h)
// goes into the result for the caller to add or refresh after translating
// (Ofproto::apply_learned), as Open vSwitch's xlate_learn_action does with a
// side effect or an xlate cache entry. The megaflow gets exactly the bits the
// learned flow reads from the packet (learn_mask): every packet that would
// learn another flow misses, and its own translation learns that one.
#include <fmt/format.h>

#include "ofproto/xlate_context.h"

namespace flowpath::ofproto {

namespace {

// A packet can run many learn actions (resubmits, clones); a list this long
// is a loop, not a pipeline.
constexpr size_t kMaxLearnedFlows = 256;

}  // namespace

void XlateContext::do_learn(const action::Learn& learn) {
  for (const action::LearnSpec& spec : learn.specs)
    if (spec.src_type == action::LearnSpec::Src::kField) unwildcard(spec.src);
  LearnedFlow flow = learned_flow(learn, flow_);
  if (tracing()) trace(fmt::format("{}learn: {}", indent(), format_learned_flow(flow)));
  if (result_.learned_flows.size() >= kMaxLearnedFlows) {
    fail(fmt::format("learn: more than {} flows learned by one packet", kMaxLearnedFlows));
    return;
  }
  result_.learned_flows.push_back(std::move(flow));
}

}  // namespace flowpath::ofproto
