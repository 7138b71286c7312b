// Port descriptions as features replies (1.0), port-status messages and
// port-desc multipart replies carry them: ofp10_phy_port (48 bytes),
// ofp11_port (64, OpenFlow 1.3) and ofp14_port with its Ethernet property.
// Bits are kept in one form for every version: config as OpenFlow 1.0
// numbers them, state with LINK_DOWN 1, BLOCKED 2, LIVE 4 and the 1.0 STP
// bits, features as OpenFlow 1.1+ numbers them.
#pragma once

#include <string>
#include <vector>

#include "openflow/wire/ofp_header.h"

namespace flowpath::openflow::wire {

namespace port_config {
inline constexpr uint32_t kPortDown = 1 << 0;
inline constexpr uint32_t kNoStp = 1 << 1;       // 1.0 only
inline constexpr uint32_t kNoRecv = 1 << 2;
inline constexpr uint32_t kNoRecvStp = 1 << 3;   // 1.0 only
inline constexpr uint32_t kNoFlood = 1 << 4;     // 1.0 only
inline constexpr uint32_t kNoFwd = 1 << 5;
inline constexpr uint32_t kNoPacketIn = 1 << 6;
inline constexpr uint32_t kAll10 = 0x7f;
inline constexpr uint32_t kAll11 = kPortDown | kNoRecv | kNoFwd | kNoPacketIn;
}  // namespace port_config

namespace port_state {
inline constexpr uint32_t kLinkDown = 1 << 0;
inline constexpr uint32_t kBlocked = 1 << 1;  // 1.1+
inline constexpr uint32_t kLive = 1 << 2;     // 1.1+
inline constexpr uint32_t kStpMask = 3 << 8;  // 1.0: listen, learn, forward, block
inline constexpr uint32_t kAll10 = kLinkDown | kStpMask;
inline constexpr uint32_t kAll11 = kLinkDown | kBlocked | kLive;
}  // namespace port_state

// OpenFlow 1.1+ port feature bits (10MB_HD = 1 ... 1TB_FD = 1 << 9, OTHER,
// COPPER, FIBER, AUTONEG, PAUSE, PAUSE_ASYM = 1 << 15).
namespace port_features {
inline constexpr uint32_t k10GbFd = 1 << 6;
inline constexpr uint32_t kCopper = 1 << 11;
inline constexpr uint32_t kFiber = 1 << 12;
inline constexpr uint32_t kAutoneg = 1 << 13;
uint32_t from_ofp10(uint32_t ofp10);
uint32_t to_ofp10(uint32_t features);
// The fastest speed the bits name, in kbit/s (0 when none).
uint32_t speed_kbps(uint32_t features);
}  // namespace port_features

struct PortDesc {
  uint32_t port_no = 0;  // OpenFlow 1.1 numbering (LOCAL = 0xfffffffe)
  uint8_t hw_addr[6] = {};
  std::string name;      // at most 15 characters on the wire
  uint32_t config = 0;
  uint32_t state = 0;
  uint32_t curr = 0, advertised = 0, supported = 0, peer = 0;
  uint32_t curr_speed = 0, max_speed = 0;  // kbit/s

  friend bool operator==(const PortDesc&, const PortDesc&) = default;
};

// Bytes of one port description in `version` (1.4+: 40 + the 32-byte
// Ethernet property).
size_t port_desc_length(uint8_t version);
WireResult<PortDesc> decode_port_desc(WireReader& r, uint8_t version);
void encode_port_desc(const PortDesc& port, uint8_t version, WireWriter& w);

// Port-desc multipart messages: the request names a port from OpenFlow 1.5
// on (kOfppAny, all, before); the reply lists ports.
Bytes encode_port_desc_request(uint32_t port_no, uint8_t version, uint32_t xid);
WireResult<uint32_t> decode_port_desc_request(const OfpMessage& msg);
std::vector<Bytes> encode_port_desc_reply(const std::vector<PortDesc>& ports, uint8_t version,
                                          uint32_t xid);
WireResult<std::vector<PortDesc>> decode_port_desc_reply(const OfpMessage& msg);

// Port numbers of OpenFlow 1.1+: ordinary ports below 0xff00, reserved ports
// from 0xfffffff8; OFPBRC_BAD_PORT for the gap between.
WireResult<uint32_t> port_from_ofp11(uint32_t port, std::string_view what);

}  // namespace flowpath::openflow::wire
