// Port changes: OFPT_PORT_STATUS (a port was added, deleted or modified, as
// seen by the switch) and OFPT_PORT_MOD (a controller changes a port's
// configuration bits and advertised features).
#pragma once

#include "openflow/wire/port_desc.h"

namespace flowpath::openflow::wire {

enum class PortReason : uint8_t { kAdd = 0, kDelete = 1, kModify = 2 };

struct PortStatus {
  PortReason reason = PortReason::kModify;
  PortDesc desc;
};

// NXBRC_BAD_REASON for an unknown reason.
WireResult<PortStatus> decode_port_status(const OfpMessage& msg);
Bytes encode_port_status(const PortStatus& ps, uint8_t version, uint32_t xid = 0);

struct PortMod {
  uint32_t port_no = 0;
  uint8_t hw_addr[6] = {};
  uint32_t config = 0;     // port_config bits, only those in `mask` count
  uint32_t mask = 0;
  uint32_t advertise = 0;  // port_features; 0: unchanged
};

WireResult<PortMod> decode_port_mod(const OfpMessage& msg);
Bytes encode_port_mod(const PortMod& pm, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
