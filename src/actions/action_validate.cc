// Strict checks of Netlink action lists that come from outside. The rules
// are those of the Open vSwitch userspace datapath (what odp-execute can
// carry out) plus the kernel datapath's checks on values (MPLS EtherTypes,
// NAT ranges, ...), except where the userspace datapath takes more (a push_vlan
// with any TPID or without CFI), so that a list that passes here can be
// executed without further checks.
#include "actions/action_validate.h"

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "actions/tunnel_push_header.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "packet/byte_order.h"
#include "packet/headers.h"

namespace flowpath {
namespace {

constexpr uint16_t kMplsTunnelFlagL3 = 1;  // ActionAddMpls::tunnel_flags
constexpr size_t kMaxHelperLen = 16;       // including the NUL
constexpr size_t kMaxTimeoutLen = 32;      // including the NUL
constexpr uint32_t kMinTruncLen = 14;      // an Ethernet header
constexpr size_t kNshMaxContextLen = 248;
constexpr int kNshMaxTtl = 63;
constexpr int kNshMaxFlags = 3;
constexpr uint32_t kIpv6LabelMask = 0xfffff;
constexpr size_t kGeneveMaxOptionsLen = 252;

const char* action_name(uint16_t type) {
  static const char* const kNames[] = {
      "unspec",        "output",   "userspace", "set",      "push_vlan",  "pop_vlan", "sample",
      "recirc",        "hash",     "push_mpls", "pop_mpls", "set_masked", "ct",       "trunc",
      "push_eth",      "pop_eth",  "ct_clear",  "push_nsh", "pop_nsh",    "meter",    "clone",
      "check_pkt_len", "add_mpls", "tnl_push",  "tnl_pop",  "drop",       "lb_output"};
  static_assert(sizeof kNames / sizeof kNames[0] == odp::kActionAttrMax + 1);
  return type <= odp::kActionAttrMax ? kNames[type] : nullptr;
}

const char* key_name(uint16_t type) { return odp::key_attribute_name(type); }

std::string hex(uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

std::string length_error(std::string_view what, size_t got, size_t expected) {
  return std::string(what) + " has length " + std::to_string(got) + ", expected " +
         std::to_string(expected);
}

// Splits nested attributes by type, rejecting unknown (> max or 0) and
// repeated types; `what` names the container in errors.
template <size_t N>
Status split_nested(std::span<const uint8_t> payload, std::string_view what,
                    std::optional<NetlinkAttr> (&by_type)[N], const char* const (&names)[N]) {
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& a) -> Status {
    if (a.type == 0 || a.type >= N)
      return make_error(std::string(what) + ": unknown attribute " + std::to_string(a.type));
    if (by_type[a.type])
      return make_error(std::string(what) + ": duplicate " + names[a.type] + " attribute");
    by_type[a.type] = a;
    return Ok{};
  });
  if (!st.ok() && st.error().rfind(std::string(what), 0) != 0)
    return make_error(std::string(what) + ": " + st.error());
  return st;
}

Status check_length(const std::optional<NetlinkAttr>& a, std::string_view what, size_t expected) {
  if (a && a->size() != expected) return make_error(length_error(what, a->size(), expected));
  return Ok{};
}

// ---------------------------------------------------------------- set

bool settable(uint16_t type, bool masked) {
  switch (type) {
    case odp::kKeyPriority:
    case odp::kKeySkbMark:
    case odp::kKeyEthernet:
    case odp::kKeyNsh:
    case odp::kKeyIpv4:
    case odp::kKeyIpv6:
    case odp::kKeyTcp:
    case odp::kKeyUdp:
    case odp::kKeySctp:
    case odp::kKeyMpls:
    case odp::kKeyArp:
    case odp::kKeyNd:
    case odp::kKeyNdExtensions:
    case odp::kKeyDpHash: return true;
    case odp::kKeyTunnel:  // the userspace datapath sets these only whole
    case odp::kKeyIcmp:
    case odp::kKeyIcmpv6:
    case odp::kKeyRecircId:  // an id, not bits: its text has no masked form
      return !masked;
    default: return false;
  }
}

Status validate_geneve_options(std::span<const uint8_t> options) {
  if (options.size() % 4 || options.size() > kGeneveMaxOptionsLen)
    return make_error("tunnel: geneve options length " + std::to_string(options.size()) +
                      " is not a multiple of 4 up to 252");
  size_t off = 0;
  while (off < options.size()) {
    size_t len = 4 + 4 * static_cast<size_t>(options[off + 3] & 0x1f);
    if (len > options.size() - off)
      return make_error("tunnel: geneve option at byte " + std::to_string(off) +
                        " overruns the options");
    off += len;
  }
  return Ok{};
}

Status validate_tunnel_key(std::span<const uint8_t> payload) {
  static const char* const kNames[] = {
      "id",       "ipv4_src", "ipv4_dst",    "tos",         "ttl",      "df",
      "csum",     "oam",      "geneve_opts", "tp_src",      "tp_dst",   "vxlan_opts",
      "ipv6_src", "ipv6_dst", "pad",         "erspan_opts", "gtpu_opts"};
  static constexpr int kLengths[] = {8,
                                     4,
                                     4,
                                     1,
                                     1,
                                     0,
                                     0,
                                     0,
                                     -1,
                                     2,
                                     2,
                                     -1,
                                     16,
                                     16,
                                     -1,
                                     sizeof(odp::ErspanMetadata),
                                     sizeof(odp::GtpuMetadata)};
  std::optional<NetlinkAttr> a[odp::kTunnelAttrMax + 1];
  // Type 0 (the tunnel id) is a real attribute here, so split by hand.
  auto st = for_each_attribute(payload, [&](const NetlinkAttr& attr) -> Status {
    if (attr.type > odp::kTunnelAttrMax || attr.type == odp::kTunnelPad)
      return make_error("tunnel: unknown attribute " + std::to_string(attr.type));
    if (a[attr.type])
      return make_error(std::string("tunnel: duplicate ") + kNames[attr.type] + " attribute");
    a[attr.type] = attr;
    int expected = kLengths[attr.type];
    if (expected >= 0 && attr.size() != static_cast<size_t>(expected))
      return make_error(
          "tunnel: " + length_error(kNames[attr.type], attr.size(), static_cast<size_t>(expected)));
    return Ok{};
  });
  if (!st.ok()) return st;
  if ((a[odp::kTunnelIpv4Src] || a[odp::kTunnelIpv4Dst]) &&
      (a[odp::kTunnelIpv6Src] || a[odp::kTunnelIpv6Dst]))
    return make_error("tunnel: IPv4 and IPv6 addresses mixed");
  if (a[odp::kTunnelErspanOpts]) {
    auto erspan = a[odp::kTunnelErspanOpts]->get<odp::ErspanMetadata>();
    if (erspan.version != 1 && erspan.version != 2)
      return make_error("tunnel: erspan version " + std::to_string(erspan.version) +
                        " is not 1 or 2");
  }
  if (a[odp::kTunnelGeneveOpts]) {
    if (auto s = validate_geneve_options(a[odp::kTunnelGeneveOpts]->payload); !s.ok()) return s;
  }
  if (a[odp::kTunnelVxlanOpts]) {
    auto vx =
        for_each_attribute(a[odp::kTunnelVxlanOpts]->payload, [](const NetlinkAttr& x) -> Status {
          if (x.type != odp::kVxlanExtGbp)
            return make_error("tunnel: vxlan_opts: unknown attribute " + std::to_string(x.type));
          if (x.size() != 4)
            return make_error("tunnel: vxlan_opts: " + length_error("gbp", x.size(), 4));
          return Ok{};
        });
    if (!vx.ok()) return vx;
  }
  return Ok{};
}

// NSH sub-attributes of set (factor 1) or masked set (factor 2: value, mask).
Status validate_set_nsh(std::span<const uint8_t> payload, size_t factor) {
  static const char* const kNames[] = {"unspec", "base", "md1", "md2"};
  std::optional<NetlinkAttr> a[odp::kNshAttrMax + 1];
  if (auto st = split_nested(payload, "nsh", a, kNames); !st.ok()) return st;
  if (a[odp::kNshMd2]) return make_error("nsh: md2 cannot be set");
  if (!a[odp::kNshBase] && !a[odp::kNshMd1]) return make_error("nsh: nothing to set");
  if (auto st = check_length(a[odp::kNshBase], "nsh: base", factor * sizeof(odp::NshBase));
      !st.ok())
    return st;
  if (auto st = check_length(a[odp::kNshMd1], "nsh: md1", factor * sizeof(odp::NshMd1)); !st.ok())
    return st;
  // MD1 context belongs to MD type 1 (when the set fixes the type at all).
  if (a[odp::kNshBase] && a[odp::kNshMd1]) {
    const uint8_t* base = a[odp::kNshBase]->data();
    const size_t mdtype_at = offsetof(odp::NshBase, mdtype);
    bool mdtype_set = factor == 1 || base[sizeof(odp::NshBase) + mdtype_at] == 0xff;
    if (mdtype_set && base[mdtype_at] != 1)
      return make_error("nsh: md1 with mdtype " + std::to_string(base[mdtype_at]));
  }
  return Ok{};
}

// The IP attributes' frag is an enumeration and the IPv6 label 20 bits wide;
// anything else has no text form and no meaning.
Status validate_ip_fields(const NetlinkAttr& key, bool masked) {
  if (key.type != odp::kKeyIpv4 && key.type != odp::kKeyIpv6) return Ok{};
  const size_t len = key.size() / (masked ? 2 : 1);
  const char* name = key.type == odp::kKeyIpv4 ? "ipv4" : "ipv6";
  const size_t frag_at =
      key.type == odp::kKeyIpv4 ? offsetof(odp::KeyIpv4, frag) : offsetof(odp::KeyIpv6, frag);
  uint8_t frag = key.data()[frag_at];
  uint8_t frag_mask = masked ? key.data()[len + frag_at] : 0xff;
  if (frag_mask != 0 && frag_mask != 0xff)
    return make_error(std::string(name) + " frag mask " + hex(frag_mask, 2) +
                      " is partial (frag is an enumeration)");
  if (frag_mask == 0xff && frag > odp::kFragTypeLater)
    return make_error(std::string(name) + " frag " + std::to_string(frag) +
                      " is not no (0), first (1) or later (2)");
  if (key.type == odp::kKeyIpv6) {
    const size_t label_at = offsetof(odp::KeyIpv6, label);
    uint32_t label = ntoh32(load_unaligned<uint32_t>(key.data() + label_at));
    if (label & ~kIpv6LabelMask)
      return make_error("ipv6 label " + hex(label, 1) + " exceeds 20 bits");
    uint32_t label_mask =
        masked ? ntoh32(load_unaligned<uint32_t>(key.data() + len + label_at)) : 0;
    if (label_mask & ~kIpv6LabelMask)
      return make_error("ipv6 label mask " + hex(label_mask, 1) + " exceeds 20 bits");
  }
  return Ok{};
}

Status validate_set(const NetlinkAttr& action) {
  const bool masked = action.type == odp::kActionSetMasked;
  auto attrs = parse_attributes(action.payload);
  if (!attrs) return make_error(attrs.error());
  if (attrs->size() != 1)
    return make_error("expected exactly one key attribute, found " + std::to_string(attrs->size()));
  const NetlinkAttr& key = (*attrs)[0];
  const char* name = key_name(key.type);
  if (!name) return make_error("unknown key attribute " + std::to_string(key.type));
  if (!settable(key.type, masked))
    return make_error(std::string(name) +
                      (masked ? " cannot be set with a mask" : " cannot be set"));
  const size_t factor = masked ? 2 : 1;
  if (key.type == odp::kKeyTunnel) return validate_tunnel_key(key.payload);
  if (key.type == odp::kKeyNsh) return validate_set_nsh(key.payload, factor);
  // One MPLS label stack entry: the datapath rewrites the outermost only.
  size_t expected =
      key.type == odp::kKeyMpls ? 4 : static_cast<size_t>(odp::kKeyAttrLength[key.type]);
  if (key.size() != factor * expected) {
    std::string message =
        length_error(std::string(name) + " attribute", key.size(), factor * expected);
    if (masked) message += " (value and mask)";
    return make_error(message);
  }
  return validate_ip_fields(key, masked);
}

// ---------------------------------------------------------------- nested actions

Status validate_userspace(std::span<const uint8_t> payload) {
  static const char* const kNames[] = {"unspec", "pid", "userdata", "tunnel_out_port", "actions"};
  std::optional<NetlinkAttr> a[odp::kUserspaceActions + 1];
  if (auto st = split_nested(payload, "userspace", a, kNames); !st.ok()) return st;
  if (!a[odp::kUserspacePid]) return make_error("userspace: missing pid");
  if (auto st = check_length(a[odp::kUserspacePid], "userspace: pid", 4); !st.ok()) return st;
  if (auto st = check_length(a[odp::kUserspaceEgressTunPort], "userspace: tunnel_out_port", 4);
      !st.ok())
    return st;
  return check_length(a[odp::kUserspaceActions], "userspace: actions flag", 0);
}

Status validate_nat(std::span<const uint8_t> payload) {
  static const char* const kNames[] = {"unspec",    "src",       "dst",        "ip_min", "ip_max",
                                       "proto_min", "proto_max", "persistent", "hash",   "random"};
  std::optional<NetlinkAttr> a[odp::kNatAttrMax + 1];
  if (auto st = split_nested(payload, "ct: nat", a, kNames); !st.ok()) return st;
  for (uint16_t flag :
       {odp::kNatSrc, odp::kNatDst, odp::kNatPersistent, odp::kNatProtoHash, odp::kNatProtoRandom})
    if (auto st = check_length(a[flag], std::string("ct: nat: ") + kNames[flag] + " flag", 0);
        !st.ok())
      return st;
  const auto& ip_min = a[odp::kNatIpMin];
  const auto& ip_max = a[odp::kNatIpMax];
  const auto& proto_min = a[odp::kNatProtoMin];
  const auto& proto_max = a[odp::kNatProtoMax];
  if (a[odp::kNatSrc] && a[odp::kNatDst]) return make_error("ct: nat: both src and dst given");
  if (!a[odp::kNatSrc] && !a[odp::kNatDst] &&
      (ip_min || ip_max || proto_min || proto_max || a[odp::kNatPersistent] ||
       a[odp::kNatProtoHash] || a[odp::kNatProtoRandom]))
    return make_error("ct: nat: options given without src or dst");
  if (a[odp::kNatProtoHash] && a[odp::kNatProtoRandom])
    return make_error("ct: nat: hash and random are mutually exclusive");
  if (ip_min && ip_min->size() != 4 && ip_min->size() != 16)
    return make_error("ct: nat: ip_min has length " + std::to_string(ip_min->size()) +
                      ", expected 4 or 16");
  if (ip_max && !ip_min) return make_error("ct: nat: ip_max without ip_min");
  if (ip_max && ip_max->size() != ip_min->size())
    return make_error("ct: nat: ip_max has length " + std::to_string(ip_max->size()) +
                      ", ip_min has " + std::to_string(ip_min->size()));
  if (ip_max && std::memcmp(ip_min->data(), ip_max->data(), ip_min->size()) > 0)
    return make_error("ct: nat: ip_max is below ip_min");
  if (auto st = check_length(proto_min, "ct: nat: proto_min", 2); !st.ok()) return st;
  if (auto st = check_length(proto_max, "ct: nat: proto_max", 2); !st.ok()) return st;
  if (proto_min && !ip_min) return make_error("ct: nat: proto_min without ip_min");
  if (proto_max && !proto_min) return make_error("ct: nat: proto_max without proto_min");
  if (proto_max && proto_max->get_u16() < proto_min->get_u16())
    return make_error("ct: nat: proto_max " + std::to_string(proto_max->get_u16()) +
                      " is below proto_min " + std::to_string(proto_min->get_u16()));
  return Ok{};
}

Status check_string(const std::optional<NetlinkAttr>& a, std::string_view what, size_t max) {
  if (!a) return Ok{};
  if (a->size() < 2 || a->size() > max)
    return make_error("ct: " + std::string(what) + " has length " + std::to_string(a->size()) +
                      ", expected 2 to " + std::to_string(max) + " (with its NUL)");
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(a->data(), 0, a->size()));
  if (nul != a->data() + a->size() - 1)
    return make_error("ct: " + std::string(what) + " is not a NUL-terminated name");
  for (size_t i = 0; i + 1 < a->size(); ++i) {
    char c = static_cast<char>(a->data()[i]);
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return make_error("ct: " + std::string(what) + " has character " + hex(a->data()[i], 2) +
                        ", not one of [A-Za-z0-9_.-]");
  }
  return Ok{};
}

Status validate_ct(std::span<const uint8_t> payload) {
  static const char* const kNames[] = {"unspec", "commit", "zone",         "mark",      "label",
                                       "helper", "nat",    "force_commit", "eventmask", "timeout"};
  std::optional<NetlinkAttr> a[odp::kCtAttrMax + 1];
  if (auto st = split_nested(payload, "ct", a, kNames); !st.ok()) return st;
  if (a[odp::kCtCommit] && a[odp::kCtForceCommit])
    return make_error("ct: commit and force_commit are mutually exclusive");
  struct Fixed {
    uint16_t type;
    size_t len;
  };
  static constexpr Fixed kFixed[] = {{odp::kCtCommit, 0},
                                     {odp::kCtForceCommit, 0},
                                     {odp::kCtZone, 2},
                                     {odp::kCtMark, sizeof(odp::CtMark)},
                                     {odp::kCtLabels, sizeof(odp::CtLabels)},
                                     {odp::kCtEventmask, 4}};
  for (const Fixed& f : kFixed)
    if (auto st = check_length(a[f.type], "ct: " + std::string(kNames[f.type]), f.len); !st.ok())
      return st;
  if (auto st = check_string(a[odp::kCtHelper], "helper", kMaxHelperLen); !st.ok()) return st;
  if (auto st = check_string(a[odp::kCtTimeout], "timeout", kMaxTimeoutLen); !st.ok()) return st;
  if (a[odp::kCtNat]) return validate_nat(a[odp::kCtNat]->payload);
  return Ok{};
}

Status validate_push_nsh(std::span<const uint8_t> payload) {
  auto attrs = parse_attributes(payload);
  if (!attrs) return make_error(attrs.error());
  if (attrs->size() != 1 || (*attrs)[0].type != odp::kKeyNsh)
    return make_error("expected exactly one nsh key attribute");
  static const char* const kNames[] = {"unspec", "base", "md1", "md2"};
  std::optional<NetlinkAttr> a[odp::kNshAttrMax + 1];
  if (auto st = split_nested((*attrs)[0].payload, "nsh", a, kNames); !st.ok()) return st;
  if (!a[odp::kNshBase]) return make_error("nsh: missing base");
  if (auto st = check_length(a[odp::kNshBase], "nsh: base", sizeof(odp::NshBase)); !st.ok())
    return st;
  auto base = a[odp::kNshBase]->get<odp::NshBase>();
  if (base.ttl > kNshMaxTtl)
    return make_error("nsh: ttl " + std::to_string(base.ttl) + " exceeds 63");
  if (base.flags > kNshMaxFlags)
    return make_error("nsh: flags " + std::to_string(base.flags) + " exceed 3");
  if (base.mdtype == 1) {
    if (a[odp::kNshMd2]) return make_error("nsh: md2 with mdtype 1");
    if (!a[odp::kNshMd1]) return make_error("nsh: mdtype 1 without md1");
    return check_length(a[odp::kNshMd1], "nsh: md1", sizeof(odp::NshMd1));
  }
  if (base.mdtype == 2) {
    if (a[odp::kNshMd1]) return make_error("nsh: md1 with mdtype 2");
    const auto& md2 = a[odp::kNshMd2];
    if (md2 && (md2->size() == 0 || md2->size() % 4 || md2->size() > kNshMaxContextLen))
      return make_error("nsh: md2 has length " + std::to_string(md2->size()) +
                        ", expected a multiple of 4 from 4 to 248");
    return Ok{};
  }
  return make_error("nsh: mdtype " + std::to_string(base.mdtype) + " is not 1 or 2");
}

class Validator {
 public:
  Status list(std::span<const uint8_t> actions, int depth);

 private:
  Status action(const NetlinkAttr& a, int depth);
  Status nested_list(std::span<const uint8_t> actions, int depth, std::string_view what);
  Status sample(std::span<const uint8_t> payload, int depth);
  Status check_pkt_len(std::span<const uint8_t> payload, int depth);
};

Status Validator::list(std::span<const uint8_t> actions, int depth) {
  if (depth > kMaxActionNesting)
    return make_error("actions nested more than " + std::to_string(kMaxActionNesting) +
                      " levels deep");
  int index = 0;
  return for_each_attribute(actions, [&](const NetlinkAttr& a) -> Status {
    ++index;
    auto st = action(a, depth);
    if (st.ok()) return st;
    std::string where = "action " + std::to_string(index);
    if (const char* name = action_name(a.type); name && a.type != odp::kActionUnspec)
      where += std::string(" (") + name + ")";
    return make_error(where + ": " + st.error());
  });
}

Status Validator::nested_list(std::span<const uint8_t> actions, int depth, std::string_view what) {
  auto st = list(actions, depth + 1);
  if (st.ok() || what.empty()) return st;
  return make_error(std::string(what) + ": " + st.error());
}

Status Validator::sample(std::span<const uint8_t> payload, int depth) {
  static const char* const kNames[] = {"unspec", "probability", "actions"};
  std::optional<NetlinkAttr> a[odp::kSampleActions + 1];
  if (auto st = split_nested(payload, "sample", a, kNames); !st.ok()) return st;
  if (!a[odp::kSampleProbability]) return make_error("sample: missing probability");
  if (!a[odp::kSampleActions]) return make_error("sample: missing actions");
  if (auto st = check_length(a[odp::kSampleProbability], "sample: probability", 4); !st.ok())
    return st;
  return nested_list(a[odp::kSampleActions]->payload, depth, "sample: actions");
}

Status Validator::check_pkt_len(std::span<const uint8_t> payload, int depth) {
  static const char* const kNames[] = {"unspec", "pkt_len", "gt", "le"};
  std::optional<NetlinkAttr> a[odp::kCheckPktLenActionsIfLessEqual + 1];
  if (auto st = split_nested(payload, "check_pkt_len", a, kNames); !st.ok()) return st;
  if (!a[odp::kCheckPktLenPktLen]) return make_error("check_pkt_len: missing pkt_len");
  if (auto st = check_length(a[odp::kCheckPktLenPktLen], "check_pkt_len: pkt_len", 2); !st.ok())
    return st;
  if (!a[odp::kCheckPktLenActionsIfGreater]) return make_error("check_pkt_len: missing gt actions");
  if (!a[odp::kCheckPktLenActionsIfLessEqual])
    return make_error("check_pkt_len: missing le actions");
  if (auto st =
          nested_list(a[odp::kCheckPktLenActionsIfGreater]->payload, depth, "check_pkt_len: gt");
      !st.ok())
    return st;
  return nested_list(a[odp::kCheckPktLenActionsIfLessEqual]->payload, depth, "check_pkt_len: le");
}


bool is_mpls_ethertype(uint16_t type) {
  return type == ethertype::kMplsUnicast || type == ethertype::kMplsMulticast;
}

Status Validator::action(const NetlinkAttr& a, int depth) {
  if (a.type == odp::kActionUnspec || a.type > odp::kActionAttrMax)
    return make_error("unknown action type " + std::to_string(a.type));
  int expected = odp::action_payload_length(a.type);
  if (expected >= 0 && a.size() != static_cast<size_t>(expected))
    return make_error(length_error("payload", a.size(), static_cast<size_t>(expected)));
  switch (a.type) {
    case odp::kActionTrunc:
      if (a.get_u32() < kMinTruncLen)
        return make_error("max_len " + std::to_string(a.get_u32()) +
                          " is shorter than an Ethernet header (14)");
      return Ok{};
    case odp::kActionDrop:
      if (a.get_u32() >= odp::kXlateMax)
        return make_error("reason " + std::to_string(a.get_u32()) + " is not a known drop reason");
      return Ok{};
    case odp::kActionPushVlan:
      // Any TPID and a TCI without the CFI bit, as Open vSwitch's userspace
      // datapath takes them (push_vlan(tpid=0x9100,...), push_vlan(...,cfi=0));
      // the tag goes on the wire as given, with CFI 0.
      return Ok{};
    case odp::kActionPushMpls:
    case odp::kActionAddMpls: {
      auto m = a.get<odp::ActionAddMpls>();  // push_mpls is its first 6 bytes
      uint16_t type = ntoh16(m.ethertype);
      if (!is_mpls_ethertype(type))
        return make_error("EtherType " + hex(type, 4) + " is not MPLS (0x8847 or 0x8848)");
      if (a.type == odp::kActionAddMpls && (m.tunnel_flags & ~kMplsTunnelFlagL3))
        return make_error("tunnel_flags " + hex(m.tunnel_flags, 1) + " has unknown bits");
      return Ok{};
    }
    case odp::kActionPopMpls: {
      uint16_t type = ntoh16(a.get_u16());
      if (type < ethertype::kMin)
        return make_error("EtherType " + hex(type, 4) + " is an 802.3 length, not an EtherType");
      return Ok{};
    }
    case odp::kActionHash: {
      auto h = a.get<odp::ActionHash>();
      if (h.alg != odp::kHashAlgL4 && h.alg != odp::kHashAlgSymL4)
        return make_error("unknown hash algorithm " + std::to_string(h.alg));
      return Ok{};
    }
    case odp::kActionUserspace: return validate_userspace(a.payload);
    case odp::kActionSet:
    case odp::kActionSetMasked: return validate_set(a);
    case odp::kActionSample: return sample(a.payload, depth);
    case odp::kActionClone: return nested_list(a.payload, depth, "");
    case odp::kActionCheckPktLen: return check_pkt_len(a.payload, depth);
    case odp::kActionCt: return validate_ct(a.payload);
    case odp::kActionPushNsh: return validate_push_nsh(a.payload);
    case odp::kActionTunnelPush: {
      auto layout = tunnel_push::decode(a.payload);
      if (layout) return Ok{};
      std::string message = layout.error();
      if (message.rfind("tnl_push: ", 0) == 0) message.erase(0, 10);
      return make_error(message);
    }
    default: return Ok{};  // fixed-size actions with any value
  }
}

}  // namespace

Status validate_actions(std::span<const uint8_t> actions) {
  Validator v;
  return v.list(actions, 0);
}

}  // namespace flowpath
