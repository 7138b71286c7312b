// Internal to ofproto*.cc: one bridge — its state for translation, its
// settings, and what its OpenFlow connections are told. The datapath flows
// translated for it (ukeys) are the upcall layer's (upcall/).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "ofproto/bridge_state.h"
#include "ofproto/ofproto.h"
#include "ofproto/xlate.h"
#include "upcall/upcall_translator.h"

namespace flowpath::ofproto {

class Bridge {
 public:
  static constexpr size_t kMaxPacketIns = 1024;

  explicit Bridge(std::string bridge_name) : name(std::move(bridge_name)) { state.name = name; }

  // What the bridge's state looks like now, for the flows translated from
  // it: `state` moves with rules, groups, meters and ports, `tags` with the
  // MAC learning table. The upcall layer re-translates a flow whose stamp
  // is no longer current.
  upcall::TranslationStamp stamp() const {
    return upcall::TranslationStamp{config_seq.load(std::memory_order_acquire), state.mac.seq()};
  }
  void changed() { config_seq.fetch_add(1, std::memory_order_acq_rel); }

  const std::string name;
  std::shared_ptr<DatapathHandle> dp;  // the bridge's datapath
  mutable std::shared_mutex state_mutex;  // guards `state` except the MAC table
  BridgeState state;
  // Datapath flows idle this long are removed: persisted here, applied by
  // the upcall layer (changed with the config mutex held, read with either).
  std::atomic<uint32_t> max_idle_ms{10000};
  // The datapath settings set for this bridge (persisted; config mutex held).
  BridgeConfig::DatapathSettingsConfig datapath_settings;
  std::atomic<uint64_t> config_seq{1};

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
