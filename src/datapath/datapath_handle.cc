#include "datapath/datapath_handle.h"

#include <array>
#include <cstdio>
#include <optional>

#include "actions/action_validate.h"
#include "actions/tunnel_push_header.h"
#include "common/netlink.h"
#include "common/rcu.h"
#include "conntrack/ct_request.h"
#include "flow/odp_abi.h"
#include "tunnel/tunnel_encap.h"
#include "vport/tunnel_port.h"

namespace flowpath {

namespace {

// Calls f(action) for every action of a list that holds no list itself,
// the actions of nested lists (clone, sample, check_pkt_len) included.
template <typename F>
void for_each_leaf_action(std::span<const uint8_t> actions, F&& f, int depth = 0) {
  if (depth > kMaxActionNesting) return;
  (void)for_each_attribute(actions, [&](const NetlinkAttr& a) -> Status {
    switch (a.type) {
      case odp::kActionClone:
        for_each_leaf_action(a.payload, f, depth + 1);
        break;
      case odp::kActionSample:
      case odp::kActionCheckPktLen:
        (void)for_each_attribute(a.payload, [&](const NetlinkAttr& inner) -> Status {
          bool nested_actions =
              (a.type == odp::kActionSample && inner.type == odp::kSampleActions) ||
              (a.type == odp::kActionCheckPktLen &&
               (inner.type == odp::kCheckPktLenActionsIfGreater ||
                inner.type == odp::kCheckPktLenActionsIfLessEqual));
          if (nested_actions) for_each_leaf_action(inner.payload, f, depth + 1);
          return Ok{};
        });
        break;
      default:
        f(a);
        break;
    }
    return Ok{};
  });
}

// What validate_actions() cannot know, for a well-formed list: every output
// port exists in this datapath and every ct() asks for what the connection
// tracker supports. Inside a read section.
Status check_against_datapath(const Datapath& dp, std::span<const uint8_t> actions) {
  std::string missing;
  std::string unsupported;
  for_each_leaf_action(actions, [&](const NetlinkAttr& a) {
    std::optional<uint32_t> port;
    if ((a.type == odp::kActionOutput || a.type == odp::kActionTunnelPop) && a.size() == 4)
      port = a.get_u32();
    if (a.type == odp::kActionTunnelPush && a.size() >= 8)
      port = load_unaligned<uint32_t>(a.data() + 4);
    if (port && missing.empty() && dp.port(*port) == nullptr) missing = std::to_string(*port);
    if (a.type == odp::kActionTunnelPop && port && unsupported.empty()) {
      const DatapathPort* target = dp.port(*port);
      if (target != nullptr && !tunnel_type_of(target->vport().type()))
        unsupported = "tnl_pop(" + std::to_string(*port) + "): port " + target->vport().name() +
                      " of datapath " + dp.name() + " is no tunnel port";
    }
    if (a.type == odp::kActionTunnelPush && a.size() >= 16 && unsupported.empty()) {
      const uint32_t type = load_unaligned<uint32_t>(a.data() + 12);
      const char* name = tunnel_push::type_name(type);
      if (!tunnel::can_push(type))
        unsupported = std::string("tnl_push: this datapath does not push ") +
                      (name ? name : std::to_string(type).c_str()) +
                      " headers yet (vxlan, geneve and gre only)";
      else if (const char* refusal = tunnel::push_refusal(a.payload))
        unsupported = refusal;
    }
    if (a.type == odp::kActionCt && unsupported.empty()) {
      auto request = conntrack::decode_ct_action(a.payload);
      if (!request.ok()) unsupported = request.error();
    }
  });
  if (!unsupported.empty()) return make_error(unsupported);
  if (!missing.empty()) {
    return make_error("action outputs to port " + missing + ", which datapath " + dp.name() +
                      " does not have");
  }
  return Ok{};
}

FlowEntry make_entry(const Megaflow& flow) {
  auto actions = flow.actions();
  return FlowEntry{flow.ufid(), flow.match(), std::vector<uint8_t>(actions.begin(), actions.end()),
                   flow.stats(), flow.created_ms()};
}

}  // namespace

Status validate_flow_actions(const Datapath& dp, std::span<const uint8_t> actions) {
  if (auto st = validate_actions(actions); !st.ok()) return st;
  rcu::ReadSection section;
  return check_against_datapath(dp, actions);
}

Status check_flow_match(const Datapath& dp, const Match& match) {
  // A datapath flow belongs to one input port (packets are looked up per
  // port, as in Open vSwitch's userspace datapath, which refuses the rest).
  uint32_t in_port_mask = match.mask.bits.md.in_port;
  if (in_port_mask == 0) {
    return make_error("flow does not match in_port: a datapath flow must name its input port");
  }
  if (in_port_mask != 0xffffffff) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%#x", in_port_mask);
    return make_error(std::string("in_port mask ") + buf +
                      " is not exact: a datapath flow must match in_port exactly");
  }
  // No packet's key has a tag past the vlan-limit: a flow that wants one
  // would never match (Open vSwitch refuses its key as fitting too much).
  const int tags = dp.vlan_headers();
  for (int depth = tags; depth < kMaxVlanTags; ++depth) {
    if (match.key.vlans[depth].tci & hton16(kVlanCfi)) {
      return make_error("flow has " + std::to_string(depth + 1) +
                        " VLAN tags, but datapath " + dp.name() + " parses " +
                        std::to_string(tags) + " (vlan-limit " +
                        std::to_string(dp.vlan_limit()) + ")");
    }
  }
  return Ok{};
}

Error DatapathHandle::deleted_error() const {
  return make_error("datapath " + dp_->name() + " was deleted");
}

Result<MegaflowPutResult> DatapathHandle::put(const MegaflowPut& put) const {
  if (deleted()) return deleted_error();
  if (auto st = check_flow_match(*dp_, put.match); !st.ok()) return make_error(st.error());
  if (auto st = validate_flow_actions(*dp_, put.actions); !st.ok()) return make_error(st.error());
  return dp_->flows().put(put);
}

void DatapathHandle::put_batch(std::span<const MegaflowPut> puts,
                               std::vector<Result<MegaflowPutResult>>* results) const {
  results->clear();
  if (deleted()) {
    for (size_t i = 0; i < puts.size(); ++i) results->push_back(deleted_error());
    return;
  }
  // Checks first, in one read section; the table's writers may run inside
  // one too, so the puts follow in the same section.
  rcu::ReadSection section;
  for (const MegaflowPut& put : puts) {
    Status st = check_flow_match(*dp_, put.match);
    if (st.ok()) st = validate_actions(put.actions);
    if (st.ok()) st = check_against_datapath(*dp_, put.actions);
    if (!st.ok()) {
      results->push_back(make_error(st.error()));
      continue;
    }
    results->push_back(dp_->flows().put(put));
  }
}

Result<FlowEntry> DatapathHandle::get(const Ufid& ufid) const {
  if (deleted()) return deleted_error();
  rcu::ReadSection section;
  Megaflow* flow = dp_->flows().get(ufid);
  if (flow == nullptr)
    return make_error("datapath " + dp_->name() + " has no flow " + ufid.to_string());
  return make_entry(*flow);
}

Result<FlowEntry> DatapathHandle::get(const Match& match) const {
  if (deleted()) return deleted_error();
  rcu::ReadSection section;
  Megaflow* flow = dp_->flows().get(match);
  if (flow == nullptr) return make_error("datapath " + dp_->name() + " has no flow with that match");
  return make_entry(*flow);
}

Result<FlowEntry> DatapathHandle::lookup(const FlowKey& key) const {
  if (deleted()) return deleted_error();
  rcu::ReadSection section;
  Megaflow* flow = dp_->flows().lookup(key).flow;
  if (flow == nullptr) return make_error("datapath " + dp_->name() + " has no flow for that key");
  return make_entry(*flow);
}

Result<FlowEntry> DatapathHandle::remove(const Ufid& ufid) const {
  if (deleted()) return deleted_error();
  FlowEntry entry;
  {
    rcu::ReadSection section;
    Megaflow* flow = dp_->flows().get(ufid);
    if (flow == nullptr)
      return make_error("datapath " + dp_->name() + " has no flow " + ufid.to_string());
    entry = make_entry(*flow);
  }
  auto stats = dp_->flows().remove(ufid);
  if (!stats.ok()) return make_error(stats.error());
  entry.stats = *stats;
  return entry;
}

Result<FlowEntry> DatapathHandle::remove(const Match& match) const {
  Ufid ufid;
  {
    auto entry = get(match);
    if (!entry.ok()) return entry;
    ufid = entry->ufid;
  }
  return remove(ufid);
}

Status DatapathHandle::flush() const {
  if (deleted()) return deleted_error();
  dp_->flows().flush();
  return Ok{};
}

size_t DatapathHandle::dump(FlowDumpCursor* cursor, std::span<FlowStatsEntry> out) const {
  if (deleted() || out.empty()) {
    cursor->table.done = cursor->table.done || deleted();
    return 0;
  }
  constexpr size_t kChunk = 64;
  std::array<Megaflow*, kChunk> chunk;
  size_t want = std::min(out.size(), kChunk);
  rcu::ReadSection section;
  size_t n = dp_->flows().dump(&cursor->table, std::span<Megaflow*>(chunk.data(), want));
  for (size_t i = 0; i < n; ++i) out[i] = FlowStatsEntry{chunk[i]->ufid(), chunk[i]->stats()};
  return n;
}

size_t DatapathHandle::dump(FlowDumpCursor* cursor, std::vector<FlowEntry>* out, size_t max) const {
  if (deleted() || max == 0) {
    cursor->table.done = cursor->table.done || deleted();
    return 0;
  }
  constexpr size_t kChunk = 64;
  std::array<Megaflow*, kChunk> chunk;
  size_t written = 0;
  while (written < max && !cursor->done()) {
    rcu::ReadSection section;
    size_t want = std::min(max - written, kChunk);
    size_t n = dp_->flows().dump(&cursor->table, std::span<Megaflow*>(chunk.data(), want));
    for (size_t i = 0; i < n; ++i) out->push_back(make_entry(*chunk[i]));
    written += n;
  }
  return written;
}

Result<ExecuteOutcome> DatapathHandle::execute(PacketExecutor& executor,
                                               std::span<const uint8_t> frame,
                                               const PacketMetadata& md,
                                               std::span<const uint8_t> actions) const {
  if (deleted()) return deleted_error();
  return executor.execute(*dp_, frame, md, actions);
}

}  // namespace flowpath
