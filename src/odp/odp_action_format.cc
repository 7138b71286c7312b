// Netlink -> text for datapath action lists, in Open vSwitch's canonical
// form (lib/odp-util.c's format_odp_actions). Input need not be valid: bad
// lengths and malformed nesting print as Open vSwitch prints them, never
// crash. Conntrack and tnl_push print in their own files.
#include <cstdio>
#include <optional>

#include "actions/action_validate.h"
#include "odp/odp_action_text.h"
#include "odp/odp_action_text_impl.h"
#include "flow/odp_abi.h"
#include "odp/odp_key_text.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath {
namespace {

using namespace action_text;

constexpr int kFormatDepthLimit = kMaxActionNesting + 4;

void format_list(std::span<const uint8_t> actions, std::string& out, int depth,
                 const PortNumberNames* names);


void format_generic(const NetlinkAttr& a, std::string& out) {
  appendf(out, "action%u", a.type);
  for (size_t i = 0; i < a.size(); ++i) appendf(out, "%c%02x", i ? ' ' : '(', a.payload[i]);
  if (a.size()) out += ')';
}

// Nested attributes by type, for the formatters; false when the nesting is
// malformed, a type is out of range or repeats.
template <size_t N>
bool split_nested(std::span<const uint8_t> payload, std::optional<NetlinkAttr> (&by_type)[N]) {
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& a) -> Status {
    if (a.type >= N || by_type[a.type]) return make_error("");
    by_type[a.type] = a;
    return Ok{};
  });
  return st.ok();
}

void format_userspace(std::span<const uint8_t> payload, std::string& out,
                      const PortNumberNames* names) {
  std::optional<NetlinkAttr> a[odp::kUserspaceActions + 1];
  if (!split_nested(payload, a) || !a[odp::kUserspacePid] || a[odp::kUserspacePid]->size() != 4 ||
      (a[odp::kUserspaceEgressTunPort] && a[odp::kUserspaceEgressTunPort]->size() != 4)) {
    out += "userspace(error)";
    return;
  }
  appendf(out, "userspace(pid=%u", a[odp::kUserspacePid]->get_u32());
  if (a[odp::kUserspaceUserdata])
    format_userspace_userdata(a[odp::kUserspaceUserdata]->payload, out, names);
  if (a[odp::kUserspaceActions]) out += ",actions";
  if (a[odp::kUserspaceEgressTunPort]) {
    out += ",tunnel_out_port=";
    append_port(out, a[odp::kUserspaceEgressTunPort]->get_u32(), names);
  }
  out += ')';
}

// SET_MASKED of NSH: each sub-attribute is value then mask; the key formatter
// wants them as two NSH attributes.
void format_masked_nsh_set(const NetlinkAttr& attr, std::string& out) {
  std::vector<uint8_t> key_buf, mask_buf;
  NetlinkWriter key(&key_buf), mask(&mask_buf);
  size_t k = key.begin_nested(odp::kKeyNsh), m = mask.begin_nested(odp::kKeyNsh);
  auto st = for_each_attribute(attr.payload, [&](const NetlinkAttr& f) -> Status {
    if (f.size() % 2) return make_error("odd");
    size_t half = f.size() / 2;
    key.put(f.type, f.data(), half);
    mask.put(f.type, f.data() + half, half);
    return Ok{};
  });
  if (!st.ok()) {
    out += "set(nsh(error))";
    return;
  }
  key.end_nested(k);
  mask.end_nested(m);
  NetlinkAttr key_attr{odp::kKeyNsh, std::span(key_buf).subspan(kNlaHeaderLen)};
  NetlinkAttr mask_attr{odp::kKeyNsh, std::span(mask_buf).subspan(kNlaHeaderLen)};
  out += "set(";
  format_odp_key_attr(key_attr, &mask_attr, false, out);
  out += ')';
}

void format_set(const NetlinkAttr& action, std::string& out) {
  auto attrs = parse_attributes(action.payload);
  if (!attrs || attrs->size() != 1) {
    out += "set(error)";
    return;
  }
  const NetlinkAttr& key = (*attrs)[0];
  if (action.type == odp::kActionSet) {
    out += "set(";
    format_odp_key_attr(key, nullptr, true, out);
    out += ')';
    return;
  }
  if (key.type == odp::kKeyNsh) {
    format_masked_nsh_set(key, out);
    return;
  }
  if (key.size() % 2) {
    out += "set(error)";
    return;
  }
  size_t half = key.size() / 2;
  NetlinkAttr value{key.type, key.payload.first(half)};
  NetlinkAttr mask{key.type, key.payload.subspan(half)};
  out += "set(";
  format_odp_key_attr(value, &mask, false, out);
  out += ')';
}

void format_sample(std::span<const uint8_t> payload, std::string& out, int depth,
                   const PortNumberNames* names) {
  std::optional<NetlinkAttr> a[odp::kSampleActions + 1];
  if (!split_nested(payload, a) || !a[odp::kSampleProbability] || !a[odp::kSampleActions] ||
      a[odp::kSampleProbability]->size() != 4) {
    out += "sample(error)";
    return;
  }
  double percent = 100.0 * a[odp::kSampleProbability]->get_u32() / UINT32_MAX;
  appendf(out, "sample(sample=%.1f%%,actions(", percent);
  format_list(a[odp::kSampleActions]->payload, out, depth + 1, names);
  out += "))";
}

void format_check_pkt_len(std::span<const uint8_t> payload, std::string& out, int depth,
                          const PortNumberNames* names) {
  std::optional<NetlinkAttr> a[odp::kCheckPktLenActionsIfLessEqual + 1];
  if (!split_nested(payload, a) || !a[odp::kCheckPktLenPktLen] ||
      a[odp::kCheckPktLenPktLen]->size() != 2 || !a[odp::kCheckPktLenActionsIfGreater] ||
      !a[odp::kCheckPktLenActionsIfLessEqual]) {
    out += "check_pkt_len(error)";
    return;
  }
  appendf(out, "check_pkt_len(size=%u,gt(", a[odp::kCheckPktLenPktLen]->get_u16());
  format_list(a[odp::kCheckPktLenActionsIfGreater]->payload, out, depth + 1, names);
  out += "),le(";
  format_list(a[odp::kCheckPktLenActionsIfLessEqual]->payload, out, depth + 1, names);
  out += "))";
}

void format_push_nsh(std::span<const uint8_t> payload, std::string& out) {
  auto nsh = single_attribute(payload);
  std::optional<NetlinkAttr> a[odp::kNshAttrMax + 1];
  if (!nsh || nsh->type != odp::kKeyNsh || !split_nested(nsh->payload, a) || !a[odp::kNshBase] ||
      a[odp::kNshBase]->size() != sizeof(odp::NshBase)) {
    out += "push_nsh(error)";
    return;
  }
  auto base = a[odp::kNshBase]->get<odp::NshBase>();
  uint32_t path = ntoh32(base.path_hdr);
  appendf(out, "push_nsh(flags=%d,ttl=%d,mdtype=%d,np=%d,spi=0x%x,si=%d", base.flags, base.ttl,
          base.mdtype, base.np, path >> 8, path & 0xff);
  if (base.mdtype == 1) {
    odp::NshMd1 md1{};
    if (a[odp::kNshMd1] && a[odp::kNshMd1]->size() == sizeof md1)
      md1 = a[odp::kNshMd1]->get<odp::NshMd1>();
    for (int i = 0; i < 4; ++i) appendf(out, ",c%d=0x%x", i + 1, ntoh32(md1.context[i]));
  } else if (base.mdtype == 2) {
    if (a[odp::kNshMd2]) {
      out += ",md2=0x";
      append_hex_bytes(out, a[odp::kNshMd2]->payload);
    }
  } else {
    out += ",<error: unknown mdtype>";
  }
  out += ')';
}

void format_action(const NetlinkAttr& a, std::string& out, int depth,
                   const PortNumberNames* names) {
  int expected = odp::action_payload_length(a.type);
  if (expected != odp::kVariable && a.size() != static_cast<size_t>(expected)) {
    appendf(out, "bad length %zu, expected %d for: ", a.size(), expected);
    format_generic(a, out);
    return;
  }
  switch (a.type) {
    case odp::kActionOutput: append_port(out, a.get_u32(), names); return;
    case odp::kActionLbOutput: appendf(out, "lb_output(%u)", a.get_u32()); return;
    case odp::kActionTrunc: appendf(out, "trunc(%u)", a.get_u32()); return;
    case odp::kActionTunnelPop:
      out += "tnl_pop(";
      append_port(out, a.get_u32(), names);
      out += ')';
      return;
    case odp::kActionMeter: appendf(out, "meter(%u)", a.get_u32()); return;
    case odp::kActionRecirc: appendf(out, "recirc(%#x)", a.get_u32()); return;
    case odp::kActionDrop: out += "drop"; return;
    case odp::kActionPopVlan: out += "pop_vlan"; return;
    case odp::kActionPopEth: out += "pop_eth"; return;
    case odp::kActionCtClear: out += "ct_clear"; return;
    case odp::kActionPopNsh: out += "pop_nsh()"; return;
    case odp::kActionHash: {
      auto h = a.get<odp::ActionHash>();
      if (h.alg == odp::kHashAlgL4)
        appendf(out, "hash(l4(%u))", h.basis);
      else if (h.alg == odp::kHashAlgSymL4)
        appendf(out, "hash(sym_l4(%u))", h.basis);
      else
        appendf(out, "hash(Unknown hash algorithm(%u))", h.alg);
      return;
    }
    case odp::kActionPushVlan: {
      auto v = a.get<odp::ActionPushVlan>();
      uint16_t tci = ntoh16(v.tci);
      out += "push_vlan(";
      if (ntoh16(v.tpid) != ethertype::kVlan8021Q) appendf(out, "tpid=0x%04x,", ntoh16(v.tpid));
      appendf(out, "vid=%u,pcp=%u", tci & kVlanVidMask, tci >> kVlanPcpShift);
      if (!(tci & kVlanCfi)) out += ",cfi=0";
      out += ')';
      return;
    }
    case odp::kActionPushMpls:
    case odp::kActionAddMpls: {
      auto m = a.get<odp::ActionPushMpls>();  // add_mpls starts with the same two fields
      uint32_t lse = ntoh32(m.lse);
      appendf(out, "%s(label=%u,tc=%u,ttl=%u,bos=%u,eth_type=0x%x)",
              a.type == odp::kActionPushMpls ? "push_mpls" : "add_mpls", lse >> kMplsLabelShift,
              (lse & kMplsTcMask) >> kMplsTcShift, lse & kMplsTtlMask,
              (lse & kMplsBosMask) >> kMplsBosShift, ntoh16(m.ethertype));
      return;
    }
    case odp::kActionPopMpls: appendf(out, "pop_mpls(eth_type=0x%x)", ntoh16(a.get_u16())); return;
    case odp::kActionPushEth: {
      auto e = a.get<odp::ActionPushEth>();
      appendf(out, "push_eth(src=%02x:%02x:%02x:%02x:%02x:%02x,dst=%02x:%02x:%02x:%02x:%02x:%02x)",
              e.src[0], e.src[1], e.src[2], e.src[3], e.src[4], e.src[5], e.dst[0], e.dst[1],
              e.dst[2], e.dst[3], e.dst[4], e.dst[5]);
      return;
    }
    case odp::kActionUserspace: format_userspace(a.payload, out, names); return;
    case odp::kActionSet:
    case odp::kActionSetMasked: format_set(a, out); return;
    case odp::kActionSample: format_sample(a.payload, out, depth, names); return;
    case odp::kActionClone:
      out += "clone(";
      format_list(a.payload, out, depth + 1, names);
      out += ')';
      return;
    case odp::kActionCheckPktLen: format_check_pkt_len(a.payload, out, depth, names); return;
    case odp::kActionPushNsh: format_push_nsh(a.payload, out); return;
    case odp::kActionCt: format_ct(a.payload, out); return;
    case odp::kActionTunnelPush: format_tunnel_push(a.payload, out, names); return;
    default: format_generic(a, out); return;
  }
}

void format_list(std::span<const uint8_t> actions, std::string& out, int depth,
                 const PortNumberNames* names) {
  if (actions.empty()) {
    out += "drop";
    return;
  }
  if (depth > kFormatDepthLimit) {
    out += "<nested too deep>";
    return;
  }
  size_t consumed = 0;
  bool first = true;
  auto st = for_each_attribute(actions, [&](const NetlinkAttr& a) -> Status {
    if (!first) out += ',';
    first = false;
    format_action(a, out, depth, names);
    consumed = static_cast<size_t>(a.payload.data() - actions.data()) + nla_align(a.size());
    return Ok{};
  });
  if (!st.ok()) {
    size_t left = actions.size() - std::min(consumed, actions.size());
    if (first) out += "<empty>";
    appendf(out, ",***%zu leftover bytes*** (", left);
    append_hex_bytes(out, actions.subspan(actions.size() - left));
    out += ')';
  }
}

}  // namespace

void format_odp_actions_into(std::span<const uint8_t> actions, std::string& out,
                             const PortNumberNames* names) {
  format_list(actions, out, 0, names);
}

std::string format_odp_actions(std::span<const uint8_t> actions, const PortNumberNames* names) {
  std::string out;
  format_odp_actions_into(actions, out, names);
  return out;
}

}  // namespace flowpath
