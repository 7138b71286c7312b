// The switch description (OFPST_DESC / OFPMP_DESC): manufacturer, hardware,
// software, serial number and datapath description strings.
#pragma once

#include <string>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

struct DescStats {
  std::string manufacturer;  // up to 255 bytes on the wire
  std::string hardware;
  std::string software;
  std::string serial_number;  // up to 31 bytes
  std::string datapath;       // up to 255 bytes
  friend bool operator==(const DescStats&, const DescStats&) = default;
};

Bytes encode_desc_stats_request(uint8_t version, uint32_t xid);
Bytes encode_desc_stats_reply(const DescStats& desc, uint8_t version, uint32_t xid);
WireResult<DescStats> decode_desc_stats_reply(const OfpMessage& msg);

}  // namespace flowpath::openflow::wire
