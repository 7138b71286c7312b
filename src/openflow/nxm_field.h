// The NXM and OXM identities of the match fields: one table mapping each
// (class, field[, experimenter]) header and its payload width to the field of
// the model (of_field.h) that it carries. The wire codec uses it to read and
// write matches and the field operands of actions (set_field, move, load,
// learn, ...); the text syntax uses its names ("NXM_NX_REG0[0..15]").
//
// A field may have several headers (NXM_OF_ETH_SRC and OXM_OF_ETH_SRC). Which
// one is written follows Open vSwitch: entries are ordered by the OpenFlow
// version that introduced them, and for a version V the last entry introduced
// at or before V is used (V = 0 prefers the NXM form, as NX actions do).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "openflow/of_field.h"

namespace flowpath::openflow {

inline constexpr uint16_t kOxmClassNxm0 = 0x0000;       // NXM_OF_*
inline constexpr uint16_t kOxmClassNxm1 = 0x0001;       // NXM_NX_*
inline constexpr uint16_t kOxmClassEricsson = 0x1000;   // ERICOXM_OF_*
inline constexpr uint16_t kOxmClassBasic = 0x8000;      // OXM_OF_*
inline constexpr uint16_t kOxmClassPacketRegs = 0x8001; // OXM_OF_PKT_REG*
inline constexpr uint16_t kOxmClassExperimenter = 0xffff;

inline constexpr uint32_t kNxVendorId = 0x00002320;   // Nicira
inline constexpr uint32_t kOnfVendorId = 0x4f4e4600;  // Open Networking Foundation
inline constexpr uint32_t kNshVendorId = 0x005ad650;  // NXOXM_NSH_*

// An NXM/OXM header without its hasmask bit and length.
struct NxmHeader {
  uint16_t oxm_class = 0;
  uint8_t oxm_field = 0;      // 7 bits
  uint32_t experimenter = 0;  // only for kOxmClassExperimenter

  friend bool operator==(const NxmHeader&, const NxmHeader&) = default;
};

struct NxmField {
  std::string_view name;   // "NXM_OF_ETH_SRC", "OXM_OF_VLAN_VID"
  NxmHeader header;
  uint8_t payload_bytes;   // width of the value on the wire
  uint8_t version;         // 0 for NXM and extensions, else the OpenFlow version (3 = 1.2)
  const OfFieldInfo* field;

  bool experimenter() const { return header.oxm_class == kOxmClassExperimenter; }
  // Bytes of the header on the wire (4, or 8 with the experimenter id).
  unsigned header_bytes() const { return experimenter() ? 8 : 4; }
};

std::span<const NxmField> all_nxm_fields();
const NxmField* find_nxm_field(const NxmHeader& header);
const NxmField* find_nxm_field(std::string_view name);  // "NXM_NX_REG0"
// The header to write for `field` in OpenFlow `version` (0: prefer NXM).
// tp_src/tp_dst travel as tcp_src/tcp_dst and dl_vlan/dl_vlan_pcp as
// vlan_vid/vlan_pcp (the same storage, the entry's field); nullptr for fields
// OpenFlow cannot carry (skb_priority, tun_ttl, tun_tos).
const NxmField* nxm_field_for(const OfFieldInfo& field, uint8_t version);
// The name ovs-ofctl prints for `field` in a subfield ("NXM_OF_ETH_SRC"),
// else the field's own name.
std::string_view nxm_name(const OfFieldInfo& field);

// ---- A field's value as NXM/OXM carry it, and as NXM bit ranges
// ("NXM_OF_IP_TOS[2..7]") number it. For most fields this is the field's
// value (field_value_bits() bits); nw_tos is the whole TOS byte (8 bits);
// in_port is an OpenFlow 1.0 port number (16 bits) and in_port_oxm an
// OpenFlow 1.1 one (32 bits), where the model stores datapath numbers.
using NxmNumber = field_internal::U128;

unsigned nxm_value_bits(const OfFieldInfo& field);
// The number held by `storage` (the field's bytes of an OfFlow or FieldValue).
NxmNumber nxm_number(const OfFieldInfo& field, const uint8_t* storage);
// The same for a mask: for ports, all-ones stays all-ones.
NxmNumber nxm_mask_number(const OfFieldInfo& field, const uint8_t* storage);
// Writes `number` (and only the field's bits) into `storage`.
void store_nxm_number(const OfFieldInfo& field, NxmNumber number, uint8_t* storage);
void store_nxm_mask_number(const OfFieldInfo& field, NxmNumber number, uint8_t* storage);

// OpenFlow 1.0 (16-bit) and 1.1+ (32-bit) port numbers: reserved ports are
// 0xfff8.. and 0xfffffff8.., ordinary ports below 0xff00 in both.
inline uint32_t port_from_ofp10(uint16_t port) {
  return port >= 0xff00 ? 0xffff0000u | port : port;
}
inline uint16_t port_to_ofp10(uint32_t port) {
  return static_cast<uint16_t>(port >= 0xffffff00u ? port & 0xffff : port);
}

}  // namespace flowpath::openflow
