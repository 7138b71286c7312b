// Internal to upcall/: what the upcall layer keeps for one datapath — its
// handle, the translator above it, the ukeys of the flows it installed and
// the revalidator's view of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "datapath/datapath_handle.h"
#include "upcall/ukey.h"
#include "upcall/upcall_translator.h"

namespace flowpath::upcall {

struct DatapathUpcalls {
  DatapathUpcalls(std::shared_ptr<DatapathHandle> handle, std::shared_ptr<UpcallTranslator> t)
      : dp(std::move(handle)), translator(std::move(t)) {}

  const std::shared_ptr<DatapathHandle> dp;
  const std::shared_ptr<UpcallTranslator> translator;
  std::atomic<uint32_t> max_idle_ms{10000};  // set while the revalidator reads it
  // The revalidator's last full dump of the flows: how long it took, and the
  // most flows a dump has seen (upcall/show).
  std::atomic<uint64_t> last_dump_us{0};
  std::atomic<uint64_t> flows_max{0};

  std::mutex ukey_mutex;  // guards the three below (lock order: upcall_layer.h)
  std::unordered_map<Ufid, UKey, UfidHasher> ukeys;
  // Tag -> ukeys whose translation looked it up (may hold stale ufids;
  // rebuilt by every full revalidation round).
  std::unordered_map<uint64_t, std::vector<Ufid>> tag_index;
  std::vector<Ufid> recent;  // installed since the last fix-up pass

  // The revalidator's own (no lock): the translator's state generation and
  // the layer's everything-is-stale generation the last fix-up pass acted on.
  uint64_t state_seen = 0;
  uint64_t everything_seen = 0;
};

}  // namespace flowpath::upcall
