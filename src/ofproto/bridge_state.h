// What translation reads of a bridge: its ports, rule tables, groups, meters
// and MAC table. The owner (Bridge in ofproto.cc) guards it with a
// reader-writer lock: translations share it, configuration changes take it
// whole. The rule tables change under their own lock while translations go
// on (RuleTables), and the MAC table has its own lock, since translations
// learn.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ofproto/bridge_config.h"
#include "ofproto/mac_learning.h"
#include "ofproto/recirculation.h"
#include "openflow/of_group.h"
#include "ofproto/rule.h"
#include "ofproto/rule_tables.h"
#include "tunnel/tunnel_config.h"
#include "tunnel/underlay.h"

namespace flowpath::ofproto {

// The OpenFlow model (matches, actions, groups, flow mods) is the slow
// path's vocabulary.
using namespace openflow;  // NOLINT(google-build-using-namespace)

struct BridgePort {
  PortConfig config;    // for the local port: name = bridge, type internal, trunk
  uint32_t dp_port = 0;
  bool link_up = true;  // carrier, from rtnetlink events (Ofproto::interface_changed)
  // A tunnel port (type vxlan): its options, for the outer header.
  std::optional<tunnel::TunnelConfig> tunnel;

  bool live() const { return config.admin_up && link_up; }
};

struct GroupEntry {
  GroupSpec spec;
  std::shared_ptr<RuleCounters> counters = std::make_shared<RuleCounters>();
  uint64_t created_ms = 0;  // monotonic_ms() it was added at (group statistics)
};

struct BridgeState {
  std::string name;
  std::map<uint32_t, BridgePort> ports;  // by datapath port number (0 = local)
  RuleTables tables;  // its own lock for changes; lookups need none
  std::map<uint32_t, std::shared_ptr<const GroupEntry>> groups;
  std::map<uint32_t, MeterSpec> meters;
  std::map<uint32_t, uint64_t> meter_created_ms;  // monotonic_ms() (meter statistics)
  mutable MacLearningTable mac;  // translations learn
  mutable RecirculationIds recirculations;  // translations freeze state for ct(table=N)
  uint64_t next_rule_sequence = 1;
  // Set from the controllers' state (Ofproto::report_controllers): table 0
  // forwards with NORMAL whatever its rules (fail-open), a table miss
  // becomes a packet-in (an OpenFlow 1.0 controller is connected).
  bool fail_open = false;
  bool packet_in_on_miss = false;
  // Native tunnelling's routes and neighbours (Ofproto::set_underlay); null:
  // output to a tunnel port is dropped, with the reason in the trace.
  tunnel::Underlay* underlay = nullptr;

  const BridgePort* port(uint32_t dp_port) const {
    auto it = ports.find(dp_port);
    return it == ports.end() ? nullptr : &it->second;
  }
};

}  // namespace flowpath::ofproto
