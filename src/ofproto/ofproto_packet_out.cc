// Ofproto: packet-outs. The packet's key is extracted as the datapath would,
// the OpenFlow actions are translated on it (from any input port: a
// controller's packet comes from CONTROLLER) and the datapath executes the
// result. Nothing is installed.
#include <fmt/format.h>

#include "common/clock.h"
#include "flow/key_extract.h"
#include "ofproto/bridge.h"
#include "ofproto/ofproto.h"
#include "ofproto/xlate.h"
#include "packet/packet_pool.h"

namespace flowpath::ofproto {

using wire::OfpErrorCode;
using wire::wire_error;

wire::WireStatus Ofproto::packet_out(const std::string& bridge_name, uint32_t in_port,
                                     const std::vector<OfAction>& actions,
                                     std::span<const uint8_t> frame) {
  constexpr size_t kMaxFrame = 65535;
  if (frame.size() < 14 || frame.size() > kMaxFrame)
    return wire_error(OfpErrorCode::OFPBRC_BAD_PACKET,
                      fmt::format("packet-out of {} bytes (an Ethernet frame of 14 to {} bytes)",
                                  frame.size(), kMaxFrame));
  XlateResult result;
  FlowKey key;
  // The key the datapath would extract: as many VLAN tags as its vlan-limit
  // takes (a missing datapath is reported below, as the bridge's).
  auto vlan_limit = dpif_->vlan_limit(bridge_name);
  const int vlan_headers = vlan_headers_for_limit(vlan_limit.ok() ? *vlan_limit : kDefaultVlanLimit);
  {
    std::shared_lock bridges(bridges_mutex_);
    auto found = find_bridge(bridge_name);
    if (!found.ok()) return wire_error(OfpErrorCode::OFPBRC_EPERM, found.error());
    Bridge& bridge = **found;
    uint32_t dp_in_port = of_port_to_dp(in_port);
    std::shared_lock lock(bridge.state_mutex);
    if (in_port != kOfppController && !bridge.state.port(dp_in_port))
      return wire_error(OfpErrorCode::OFPBRC_BAD_PORT,
                        fmt::format("packet-out from port {}, which bridge {} does not have",
                                    in_port, bridge_name));
    for (const OfAction& a : actions)
      if (const auto* g = std::get_if<action::Group>(&a); g && !bridge.state.groups.count(g->group_id))
        return wire_error(OfpErrorCode::OFPBAC_BAD_OUT_GROUP,
                          fmt::format("group {} does not exist", g->group_id));
    thread_local PacketPool pool(1, kMaxFrame + Packet::kDefaultHeadroom);
    Packet* packet = pool.allocate();
    (void)packet->assign(frame.data(), static_cast<uint32_t>(frame.size()));  // size checked above
    packet->reset_metadata(dp_in_port);
    extract_key(*packet, &key, vlan_headers);
    pool.release(packet);
    XlateOptions options;
    options.may_learn = false;
    options.now_ms = monotonic_ms();
    result = translate_packet_out(bridge.state, key, actions, options);
    lock.unlock();
    // A packet-out learns as a packet from a port does (Open vSwitch runs
    // its side effects too).
    if (!result.error && apply_learned(bridge, result.learned_flows, options.now_ms)) {
      bridge.changed();
      revalidate_now();
    }
  }
  if (result.error)
    return wire_error(OfpErrorCode::OFPBAC_BAD_ARGUMENT, "packet-out: " + result.error_message);
  if (result.odp_actions.empty()) return Ok{};
  auto outcome = dpif_->execute(bridge_name, frame, key.md, result.odp_actions);
  if (!outcome.ok()) return wire_error(OfpErrorCode::OFPBRC_EPERM, "packet-out: " + outcome.error());
  return Ok{};
}

}  // namespace flowpath::ofproto
