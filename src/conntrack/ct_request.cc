#include "conntrack/ct_request.h"

#include <cstring>

#include "common/netlink.h"
#include "flow/odp_abi.h"

namespace flowpath::conntrack {

namespace {

// OVS_CT_ATTR_NAT's nested OVS_NAT_ATTR_*; validate_actions() has checked
// lengths, order of the range and that options come with src or dst.
Status decode_nat(std::span<const uint8_t> payload, NatRange* nat) {
  NatRange n;
  n.present = true;
  Status st = for_each_attribute(payload, [&](const NetlinkAttr& a) -> Status {
    switch (a.type) {
      case odp::kNatSrc: n.kind = NatRange::kSrc; break;
      case odp::kNatDst: n.kind = NatRange::kDst; break;
      case odp::kNatIpMin:
      case odp::kNatIpMax: {
        if (a.size() != 4 && a.size() != 16)
          return make_error("ct: nat: an address has length " + std::to_string(a.size()));
        if (a.type == odp::kNatIpMin) {
          n.has_addresses = true;
          n.ipv6 = a.size() == 16;
        }
        std::memcpy(a.type == odp::kNatIpMin ? n.min : n.max, a.data(), a.size());
        break;
      }
      case odp::kNatProtoMin:
      case odp::kNatProtoMax:
        if (a.size() != 2) return make_error("ct: nat: a port has length " + std::to_string(a.size()));
        (a.type == odp::kNatProtoMin ? n.port_min : n.port_max) = a.get_u16();
        if (a.type == odp::kNatProtoMin) n.has_ports = true;
        break;
      case odp::kNatPersistent: n.persistent = true; break;
      case odp::kNatProtoHash: n.hash = true; break;
      case odp::kNatProtoRandom: n.random = true; break;
      default:
        return make_error("ct: nat: unknown attribute " + std::to_string(a.type));
    }
    return Ok{};
  });
  if (!st.ok()) return st;
  // A range of one: the maximum defaults to the minimum.
  static constexpr uint8_t kZero[16] = {};
  if (n.has_addresses && std::memcmp(n.max, kZero, sizeof kZero) == 0)
    std::memcpy(n.max, n.min, sizeof n.min);
  if (n.has_ports && n.port_max == 0) n.port_max = n.port_min;
  if (n.has_addresses && std::memcmp(n.max, n.min, n.ipv6 ? 16 : 4) < 0)
    return make_error("ct: nat: the address range ends below its start");
  if (n.has_ports && (n.port_min == 0 || n.port_max < n.port_min))
    return make_error("ct: nat: the port range is empty or starts at 0");
  if (n.has_ports && !n.has_addresses)
    return make_error("ct: nat: a port range needs an address range");
  *nat = n;
  return Ok{};
}

}  // namespace

Result<CtRequest> decode_ct_action(std::span<const uint8_t> attributes) {
  CtRequest r;
  Status st = for_each_attribute(attributes, [&](const NetlinkAttr& a) -> Status {
    switch (a.type) {
      case odp::kCtCommit:
        r.commit = true;
        break;
      case odp::kCtForceCommit:
        r.force = true;
        break;
      case odp::kCtZone:
        if (a.size() != 2) return make_error("ct: zone has length " + std::to_string(a.size()));
        r.zone = a.get_u16();
        break;
      case odp::kCtMark: {
        if (a.size() != sizeof(odp::CtMark)) return make_error("ct: mark has the wrong length");
        auto m = a.get<odp::CtMark>();
        r.set_mark = m.mask != 0;
        r.mark = m.value;
        r.mark_mask = m.mask;
        break;
      }
      case odp::kCtLabels: {
        if (a.size() != sizeof(odp::CtLabels)) return make_error("ct: label has the wrong length");
        auto l = a.get<odp::CtLabels>();
        std::memcpy(r.label, l.value, 16);
        std::memcpy(r.label_mask, l.mask, 16);
        for (uint8_t b : l.mask) r.set_label |= b != 0;
        break;
      }
      case odp::kCtNat:
        if (auto nat = decode_nat(a.payload, &r.nat); !nat.ok()) return nat;
        break;
      case odp::kCtHelper:
        return make_error(
            "ct: helper (ALG) is not supported yet by flowpath's connection tracker "
            "(see docs/conntrack.md)");
      case odp::kCtTimeout:
        return make_error(
            "ct: timeout policies are not supported yet by flowpath's connection tracker "
            "(see docs/conntrack.md)");
      case odp::kCtEventmask:
        break;  // Netlink events only
      default:
        return make_error("ct: unknown attribute " + std::to_string(a.type));
    }
    return Ok{};
  });
  if (!st.ok()) return make_error(st.error());
  return r;
}

}  // namespace flowpath::conntrack
