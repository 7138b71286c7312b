// The OpenFlow match fields (the OXM set of OpenFlow 1.3 plus Open vSwitch's
// common NXM extensions) with the names ovs-ofctl uses, where each lives in
// an OfFlow, and how its value is written. One table serves the match
// parser, set_field, and the formatters.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "openflow/of_flow.h"

namespace flowpath::openflow {

// What a packet must be for a field to be meaningful (ovs-ofctl refuses a
// match on nw_dst without ip/arp, as we do).
enum class FieldPrereq : uint8_t {
  kNone,
  kVlan,        // an 802.1Q tag is present
  kIpv4,
  kIpv6,
  kIpAny,       // IPv4 or IPv6
  kIpv4OrArp,   // nw_src/nw_dst: IPv4 addresses or ARP SPA/TPA
  kArp,         // ARP or RARP
  kTcp,
  kUdp,
  kSctp,
  kTcpUdpSctp,  // tp_src/tp_dst
  kIcmpv4,
  kIcmpv6,
  kNd,          // ICMPv6 type 135 or 136, code 0
  kNdSolicit,   // type 135
  kNdAdvert,    // type 136
  kMpls,
  kCtValid,     // ct_state matches a tracked, valid connection (+new, +est, ... or +trk-inv)
  kNsh,         // eth_type 0x894f
};

enum class FieldFormat : uint8_t {
  kDecimal,
  kHex,
  kEthAddr,
  kIpv4,
  kIpv6,
  kPort,       // in_port: number or LOCAL/name
  kFrag,       // ip_frag: no, yes, first, later, not_later
  kTcpFlags,   // +syn-ack or 0x002/0x0ff
  kCtState,    // +trk+new ...
  kPacketType, // (namespace,type): (0,0) Ethernet, (1,0x800) IPv4 without L2
};

struct OfFieldInfo {
  std::string_view name;   // canonical name, OVS's ("ip_dst"; "nw_dst" is an alias)
  uint16_t offset;         // byte offset of the field's storage in OfFlow
  uint8_t bytes;           // storage width (<= 16)
  FieldPrereq prereq;
  FieldFormat format;
  bool maskable;           // "name=value/mask" accepted
  bool writable;           // set_field allowed
};

// Every field, and lookup by any accepted name (canonical, OXM or NXM alias:
// "nw_dst", "ip_dst", "NXM_OF_IP_DST", "eth_src", "dl_src", ...).
std::span<const OfFieldInfo> all_fields();
const OfFieldInfo* find_field(std::string_view name);

// A field value in OfFlow storage form: value/mask bytes for
// [field->offset, field->offset + field->bytes). Sub-byte fields (vlan_vid,
// vlan_pcp, ip_dscp, ip_ecn, mpls_label, ipv6_label, ...) are already shifted
// into place, so applying is a masked byte copy.
struct FieldValue {
  const OfFieldInfo* field = nullptr;
  uint8_t value[16] = {};
  uint8_t mask[16] = {};

  friend bool operator==(const FieldValue& a, const FieldValue& b) {
    if (a.field != b.field) return false;
    if (!a.field) return true;
    return std::memcmp(a.value, b.value, a.field->bytes) == 0 &&
           std::memcmp(a.mask, b.mask, a.field->bytes) == 0;
  }

  void apply_to(OfFlow& flow) const {
    uint8_t* p = flow.bytes() + field->offset;
    for (unsigned i = 0; i < field->bytes; ++i)
      p[i] = static_cast<uint8_t>((p[i] & ~mask[i]) | (value[i] & mask[i]));
  }
};

// OpenFlow port number by port name (bridge ports), for "in_port=eth0" and
// "output:eth0".
using PortNameResolver = std::function<std::optional<uint32_t>(std::string_view name)>;

// Parses "value" or "value/mask" for `field`. A mask is refused for
// non-maskable fields; errors name the field and the bad text.
Result<FieldValue> parse_field_value(const OfFieldInfo& field, std::string_view text,
                                     const PortNameResolver& ports = {});
// "value" or "value/mask" as ovs-ofctl prints it (mask left out when exact).
std::string format_field_value(const FieldValue& value);

// Does `match` satisfy `prereq` (the prerequisite fields are matched exactly
// with suitable values)?
bool prereq_satisfied(const OfMatch& match, FieldPrereq prereq);
std::string_view prereq_name(FieldPrereq prereq);  // "ip or arp", "tcp", ...
// What to add to a match to satisfy `prereq`: "\"ip\" or \"dl_type=0x0800\"".
std::string_view prereq_hint(FieldPrereq prereq);

// ---- Bit access for NXM subfields ("load:5->NXM_NX_REG0[0..3]",
// "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]"). A field's value is a number of
// field_value_bits() bits whose bit 0 is the least significant, whatever the
// storage's byte order (registers are host order, packet fields network
// order) and position (ip_dscp is the 6 high bits of the TOS byte).
unsigned field_value_bits(const OfFieldInfo& field);
// Bits [ofs, ofs + n_bits) of the field's value in `flow`; n_bits <= 64 and
// ofs + n_bits <= field_value_bits(field) (checked by the caller).
uint64_t read_field_bits(const OfFlow& flow, const OfFieldInfo& field, unsigned ofs,
                         unsigned n_bits);
// The FieldValue that sets bits [ofs, ofs + n_bits) of the field's value to
// the low n_bits of `bits` and leaves the others alone. Same limits.
FieldValue field_bits_value(const OfFieldInfo& field, unsigned ofs, unsigned n_bits,
                            uint64_t bits);

// ---- Internal: how each field's value sits in its storage. Shared by the
// field table (of_field.cc), the value codecs (of_field_value.cc) and the
// match formatter (flow_mod.cc); not for other users.
namespace field_internal {

__extension__ typedef unsigned __int128 U128;

// kHostWords: 32-bit host-order words, the first the most significant (the
// xreg and xxreg views of the registers).
enum class ByteOrder : uint8_t { kNetwork, kHost, kHostWords };

enum class ValueRule : uint8_t {
  kPlain,    // storage = value << shift
  kInPlace,  // the value is written already in position (nw_tos: DSCP bits of the TOS byte)
  kDlVlan,   // OpenFlow 1.0 VID: also matches "tag present"; 0xffff means "no tag"
  kVlanPcp,  // PCP: also matches "tag present"
};

struct FieldLayout {
  ByteOrder order;
  uint8_t shift;       // storage bit of the value's bit 0
  uint8_t value_bits;  // width of the value
  uint8_t hex_digits;  // zero padding in hexadecimal output (dl_type: 4)
  ValueRule rule;
};

const FieldLayout& field_layout(const OfFieldInfo& field);

// The field's storage as a number, and back (bytes <= 16).
U128 load_number(const uint8_t* p, unsigned bytes, ByteOrder order);
void store_number(uint8_t* p, unsigned bytes, ByteOrder order, U128 v);
// All-ones over the low `bits` bits (bits <= 128).
inline U128 low_bits(unsigned bits) {
  return bits >= 128 ? ~U128{0} : (U128{1} << bits) - 1;
}
// The storage bits the field's value occupies, as a storage number.
inline U128 field_storage_bits(const FieldLayout& l) {
  return low_bits(l.value_bits) << l.shift;
}

// parse_field_value() with errors naming the field as the user spelled it
// ("nw_dst" rather than the canonical "ip_dst").
Result<FieldValue> parse_field_value_as(const OfFieldInfo& field, std::string_view user_name,
                                        std::string_view text, const PortNameResolver& ports);

}  // namespace field_internal

}  // namespace flowpath::openflow
