#include "conntrack/ct_request.h"

#include <cstring>

#include "common/netlink.h"
#include "flow/odp_abi.h"

namespace flowpath::conntrack {

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
        return make_error(
            "ct: nat is not supported yet by flowpath's connection tracker "
            "(see docs/conntrack.md)");
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
