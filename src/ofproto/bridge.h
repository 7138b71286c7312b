// Internal to ofproto*.cc: one bridge — its state for translation, the
// datapath flows it installed (ukeys), and its packet-in queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ofproto/bridge_state.h"
#include "ofproto/ofproto.h"
#include "ofproto/xlate.h"
#include "flow/ufid.h"

namespace flowpath::ofproto {

// What the bridge's state looked like when a flow was translated: the
// revalidator re-translates a flow whose stamp is no longer current.
struct ChangeStamp {
  uint64_t config = 0;  // rules, groups, meters, ports
  uint64_t mac = 0;     // MAC learning table
  friend bool operator==(const ChangeStamp&, const ChangeStamp&) = default;
};

// A megaflow mask kept as its non-zero words: a NORMAL megaflow uses about
// 6 of the key's 74 words, and a small ukey stays on the allocator's fast
// path (upcall throughput).
struct SparseMask {
  uint64_t map[2] = {0, 0};  // bit i: word i is non-zero
  std::vector<uint64_t> words;

  static SparseMask of(const FlowMask& mask) {
    SparseMask s;
    for (size_t i = 0; i < FlowKey::kWords; ++i) {
      uint64_t w = mask.bits.words()[i];
      if (!w) continue;
      s.map[i / 64] |= uint64_t{1} << (i % 64);
      s.words.push_back(w);
    }
    return s;
  }
  FlowMask expand() const {
    FlowMask mask = FlowMask::wildcard_all();
    size_t n = 0;
    for (size_t i = 0; i < FlowKey::kWords; ++i)
      if (map[i / 64] >> (i % 64) & 1) mask.bits.words()[i] = words[n++];
    return mask;
  }
  bool operator==(const SparseMask&) const = default;
};

// A datapath flow the slow path installed ("ukey" in Open vSwitch).
struct UKey {
  FlowKey key;  // the packet key it was translated from
  SparseMask mask;

  Match match() const {
    Match m{key, mask.expand()};
    m.normalize();
    return m;
  }
  std::vector<uint8_t> actions;
  std::vector<std::shared_ptr<RuleCounters>> counters;  // credited with its traffic
  ChangeStamp stamp;
  std::vector<uint64_t> mac_dependencies;            // see XlateResult
  std::optional<XlateResult::Learned> learned;
  // The flows its translation learned: traffic on the megaflow learns them
  // again (refreshes them, or adds them back once they expired), as Open
  // vSwitch's xlate cache does.
  std::vector<LearnedFlow> learned_flows;
  uint64_t pushed_packets = 0, pushed_bytes = 0;  // statistics already credited
  uint64_t created_ms = 0;  // monotonic_ms()
};

struct UfidHasher {
  size_t operator()(const Ufid& u) const { return u.hash(); }
};

class Bridge {
 public:
  static constexpr size_t kMaxPacketIns = 1024;

  explicit Bridge(std::string bridge_name) : name(std::move(bridge_name)) { state.name = name; }

  ChangeStamp stamp() const {
    return ChangeStamp{config_seq.load(std::memory_order_acquire), state.mac.seq()};
  }
  void changed() { config_seq.fetch_add(1, std::memory_order_acq_rel); }

  const std::string name;
  std::shared_ptr<DatapathHandle> dp;  // the bridge's datapath
  mutable std::shared_mutex state_mutex;  // guards `state` except the MAC table
  BridgeState state;
  std::atomic<uint32_t> max_idle_ms{10000};  // set while the revalidator reads it
  // The datapath settings set for this bridge (persisted; config mutex held).
  BridgeConfig::DatapathSettingsConfig datapath_settings;
  // The revalidator's last full dump of this bridge's flows: how long it
  // took, and the most flows a dump has seen (upcall/show).
  std::atomic<uint64_t> last_dump_us{0};
  std::atomic<uint64_t> flows_max{0};
  std::atomic<uint64_t> config_seq{1};

  std::mutex ukey_mutex;  // guards the three below
  std::unordered_map<Ufid, UKey, UfidHasher> ukeys;
  // MAC table key -> ukeys that looked it up (may hold stale ufids; rebuilt
  // by every full revalidation round).
  std::unordered_map<uint64_t, std::vector<Ufid>> mac_index;
  std::vector<Ufid> recent;  // installed since the last fix-up pass
  uint64_t config_seen = 0;  // config_seq the last fix-up pass acted on

  // What OpenFlow connections are told: packet-ins, port and rule changes.
  std::mutex packet_in_mutex;  // guards the four below
  std::deque<PacketIn> packet_ins;
  uint64_t packet_ins_dropped = 0;
  std::vector<PortChange> port_changes;
  std::vector<RuleRemoved> rules_removed;

  // OpenFlow controllers and the connection manager's report on them.
  // Changed with Ofproto's config mutex and this one held, read with either.
  mutable std::mutex controller_mutex;
  ControllerSettings controllers;
  std::optional<FailMode> fail_mode;
  std::vector<ControllerStatus> controller_status;
};

}  // namespace flowpath::ofproto
