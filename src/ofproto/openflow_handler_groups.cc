// Group and meter mods from the wire, and the group (statistics,
// descriptions, features) and meter (statistics, configuration, features)
// multiparts, answered from the bridge as it is now.
#include <algorithm>

#include "ofproto/openflow_handler_internal.h"
#include "openflow/wire/error_message.h"
#include "openflow/wire/group_desc.h"
#include "openflow/wire/group_mod.h"
#include "openflow/wire/group_stats.h"
#include "openflow/wire/meter.h"

namespace flowpath::ofproto {

using wire::Bytes;
using wire::OfpErrorCode;
using wire::OfpMessage;
using wire::OfpType;

namespace {

// What flowpath's groups can do (group features): every group type; select
// buckets have weights (liveness is not considered for select), groups may
// chain, and a chain that would loop is refused.
wire::GroupFeatures group_features(uint8_t version) {
  wire::GroupFeatures f;
  f.types = 0xf;
  f.capabilities = 1 /* select weight */ | 4 /* chaining */ | 8 /* chaining checks */;
  const uint32_t actions = version == wire::kOfp10 ? kOfp10Actions : kActionTypes;
  for (int t = 0; t < 4; ++t) {
    f.max_groups[t] = wire::kGroupMax;
    f.actions[t] = actions;
  }
  return f;
}

std::vector<Bytes> group_stats(Ofproto& ofproto, const std::string& bridge, const OfpMessage& msg,
                               const Bytes& message) {
  auto groups = ofproto.dump_groups(bridge);
  if (!groups.ok())
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_EPERM, groups.error()), message);
  if (msg.type == OfpType::kGroupFeaturesStatsRequest)
    return {wire::encode_group_features_reply(group_features(msg.version), msg.version, msg.xid)};
  if (msg.type == OfpType::kGroupDescStatsRequest) {
    auto id = wire::decode_group_desc_request(msg);
    if (!id.ok()) return error_reply(id.error(), message);
    std::vector<GroupSpec> specs;
    for (GroupInfo& g : *groups)
      if (*id == wire::kGroupAll || g.spec.group_id == *id) specs.push_back(std::move(g.spec));
    return wire::encode_group_desc_reply(specs, msg.version, msg.xid);
  }
  auto id = wire::decode_group_stats_request(msg);
  if (!id.ok()) return error_reply(id.error(), message);
  std::vector<wire::GroupStats> stats;
  for (const GroupInfo& g : *groups) {
    if (*id != wire::kGroupAll && g.spec.group_id != *id) continue;
    wire::GroupStats s;
    s.group_id = g.spec.group_id;
    s.ref_count = g.rules;
    s.packet_count = g.packets;
    s.byte_count = g.bytes;
    s.duration_sec = static_cast<uint32_t>(g.duration_ms / 1000);
    s.duration_nsec = static_cast<uint32_t>(g.duration_ms % 1000 * 1000000);
    // Every bucket of an "all" or indirect group sees each of its packets;
    // which bucket of a select or fast failover group took a packet is not
    // counted, so those buckets report nothing rather than a guess.
    if (g.spec.type == GroupType::kAll || g.spec.type == GroupType::kIndirect)
      s.buckets.assign(g.spec.buckets.size(), wire::BucketCounter{g.packets, g.bytes});
    stats.push_back(std::move(s));
  }
  return wire::encode_group_stats_reply(stats, msg.version, msg.xid);
}

}  // namespace

std::vector<Bytes> handle_group_mod(Ofproto& ofproto, const std::string& bridge,
                                    const OfpMessage& msg, const Bytes& message) {
  auto gm = wire::decode_group_mod(msg);
  if (!gm.ok()) return error_reply(gm.error(), message);
  if (auto st = ofproto.group_mod(bridge, *gm); !st.ok()) return error_reply(st.error(), message);
  return {};
}

std::vector<Bytes> handle_meter_mod(Ofproto& ofproto, const std::string& bridge,
                                    const OfpMessage& msg, const Bytes& message) {
  auto mm = wire::decode_meter_mod(msg);
  if (!mm.ok()) return error_reply(mm.error(), message);
  if (auto st = ofproto.meter_mod(bridge, *mm); !st.ok()) return error_reply(st.error(), message);
  return {};
}

std::vector<Bytes> handle_group_stats(Ofproto& ofproto, const std::string& bridge,
                                      const OfpMessage& msg, const Bytes& message) {
  return group_stats(ofproto, bridge, msg, message);
}

std::vector<Bytes> handle_meter_stats(Ofproto& ofproto, const std::string& bridge,
                                      const OfpMessage& msg, const Bytes& message) {
  if (msg.type == OfpType::kMeterFeaturesStatsRequest) {
    wire::MeterFeatures f;
    f.max_meters = MeterTable::kMaxMeters - 1;
    f.band_types = 1u << 1;  // drop
    f.capabilities = 1 /* kbps */ | 2 /* pktps */ | 4 /* burst */ | 8 /* stats */;
    f.max_bands = static_cast<uint8_t>(MeterTable::kMaxBands);
    f.max_color = 0;
    return {wire::encode_meter_features_reply(f, msg.version, msg.xid)};
  }
  auto id = wire::decode_meter_request(msg);
  if (!id.ok()) return error_reply(id.error(), message);
  auto meters = ofproto.meters(bridge);
  if (!meters.ok())
    return error_reply(wire::wire_error(OfpErrorCode::OFPBRC_EPERM, meters.error()), message);
  std::erase_if(*meters, [&](const MeterInfo& m) {
    return *id != wire::kMeterAll && m.spec.meter_id != *id;
  });
  if (*id != wire::kMeterAll && meters->empty())
    return error_reply(wire::wire_error(OfpErrorCode::OFPMMFC_UNKNOWN_METER, "no such meter"),
                       message);
  if (msg.type == OfpType::kMeterConfigStatsRequest) {
    std::vector<MeterSpec> specs;
    for (MeterInfo& m : *meters) specs.push_back(std::move(m.spec));
    return wire::encode_meter_config_reply(specs, msg.version, msg.xid);
  }
  std::vector<wire::MeterStats> stats;
  for (const MeterInfo& m : *meters) {
    wire::MeterStats s;
    s.meter_id = m.spec.meter_id;
    s.flow_count = m.rules;
    s.packet_in_count = m.packets;
    s.byte_in_count = m.bytes;
    s.duration_sec = static_cast<uint32_t>(m.duration_ms / 1000);
    s.duration_nsec = static_cast<uint32_t>(m.duration_ms % 1000 * 1000000);
    for (const MeterInfo::Band& b : m.bands) s.bands.push_back({b.packets, b.bytes});
    stats.push_back(std::move(s));
  }
  return wire::encode_meter_stats_reply(stats, msg.version, msg.xid);
}

}  // namespace flowpath::ofproto
