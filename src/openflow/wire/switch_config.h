// Switch configuration: OFPT_GET_CONFIG_REQUEST/REPLY and OFPT_SET_CONFIG
// (IP fragment handling and how many bytes of a table-miss packet go to the
// controller).
#pragma once

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

enum class FragHandling : uint8_t {
  kNormal = 0,    // no special handling
  kDrop = 1,      // drop fragments
  kReassemble = 2,
  kNxMatch = 3,   // Open vSwitch: fragments are matched with ip_frag
};

struct SwitchConfig {
  FragHandling frag = FragHandling::kNormal;
  uint16_t miss_send_len = 128;
};

Bytes encode_get_config_request(uint8_t version, uint32_t xid);
// Get-config reply or set-config; OFPSCFC_BAD_FLAGS for flags no version of
// OpenFlow that we speak defines.
WireResult<SwitchConfig> decode_switch_config(const OfpMessage& msg);
Bytes encode_get_config_reply(const SwitchConfig& c, uint8_t version, uint32_t xid);
Bytes encode_set_config(const SwitchConfig& c, uint8_t version, uint32_t xid);

}  // namespace flowpath::openflow::wire
