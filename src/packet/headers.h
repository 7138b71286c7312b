// Wire layouts of the protocol headers the datapath parses and rewrites.
// All structs are packed byte images; multi-byte fields are network order.
#pragma once

#include <cstdint>

#include "packet/byte_order.h"

namespace flowpath {

inline constexpr int kEthAddrLen = 6;

struct EthAddr {
  uint8_t bytes[kEthAddrLen];
  friend bool operator==(const EthAddr&, const EthAddr&) = default;
};

// EtherType values (host order).
namespace ethertype {
inline constexpr uint16_t kIpv4 = 0x0800;
inline constexpr uint16_t kArp = 0x0806;
inline constexpr uint16_t kRarp = 0x8035;
inline constexpr uint16_t kVlan8021Q = 0x8100;
inline constexpr uint16_t kVlan8021AD = 0x88a8;
inline constexpr uint16_t kIpv6 = 0x86dd;
inline constexpr uint16_t kMplsUnicast = 0x8847;
inline constexpr uint16_t kMplsMulticast = 0x8848;
inline constexpr uint16_t kNsh = 0x894f;
inline constexpr uint16_t kTeb = 0x6558;  // transparent Ethernet bridging
// Smallest value that is an EtherType rather than an 802.3 length.
inline constexpr uint16_t kMin = 0x0600;
// Open vSwitch's marker for "802.3 frame without SNAP EtherType".
inline constexpr uint16_t kNone = 0x05ff;
}  // namespace ethertype

namespace ipproto {
inline constexpr uint8_t kHopByHop = 0;
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kIgmp = 2;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kRouting = 43;
inline constexpr uint8_t kFragment = 44;
inline constexpr uint8_t kGre = 47;
inline constexpr uint8_t kEsp = 50;
inline constexpr uint8_t kAuth = 51;
inline constexpr uint8_t kIcmpv6 = 58;
inline constexpr uint8_t kNoNext = 59;
inline constexpr uint8_t kDstOpts = 60;
inline constexpr uint8_t kSctp = 132;
}  // namespace ipproto

#pragma pack(push, 1)
struct EthHeader {
  EthAddr dst;
  EthAddr src;
  be16 type;
};
static_assert(sizeof(EthHeader) == 14);

struct VlanHeader {  // follows the TPID: TCI then the next EtherType
  be16 tci;
  be16 next_type;
};

struct LlcSnapHeader {
  uint8_t dsap, ssap, control;
  uint8_t oui[3];
  be16 snap_type;
};
static_assert(sizeof(LlcSnapHeader) == 8);

struct MplsHeader {
  be32 lse;
};

struct ArpHeader {  // Ethernet/IPv4 only
  be16 hardware_type;
  be16 protocol_type;
  uint8_t hardware_len;
  uint8_t protocol_len;
  be16 op;
  EthAddr sha;
  be32 spa;
  EthAddr tha;
  be32 tpa;
};
static_assert(sizeof(ArpHeader) == 28);

struct Ipv4Header {
  uint8_t version_ihl;
  uint8_t tos;
  be16 total_length;
  be16 id;
  be16 frag_off;
  uint8_t ttl;
  uint8_t proto;
  be16 checksum;
  be32 src;
  be32 dst;
};
static_assert(sizeof(Ipv4Header) == 20);
inline constexpr uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr uint16_t kIpv4DontFragment = 0x4000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

struct Ipv6Header {
  be32 version_class_label;
  be16 payload_length;
  uint8_t next_header;
  uint8_t hop_limit;
  uint8_t src[16];
  uint8_t dst[16];
};
static_assert(sizeof(Ipv6Header) == 40);

struct Ipv6ExtHeader {  // generic: hop-by-hop, routing, destination options
  uint8_t next_header;
  uint8_t length;  // in 8-byte units, not counting the first 8
};

struct Ipv6FragmentHeader {
  uint8_t next_header;
  uint8_t reserved;
  be16 offset_flags;  // offset << 3 | M
  be32 id;
};
static_assert(sizeof(Ipv6FragmentHeader) == 8);

struct TcpHeader {
  be16 src;
  be16 dst;
  be32 seq;
  be32 ack;
  be16 offset_flags;  // data offset:4, reserved:3, flags:9 (NS..FIN)
  be16 window;
  be16 checksum;
  be16 urgent;
};
static_assert(sizeof(TcpHeader) == 20);
inline constexpr uint16_t kTcpFlagsMask = 0x0fff;

struct UdpHeader {
  be16 src;
  be16 dst;
  be16 length;
  be16 checksum;
};
static_assert(sizeof(UdpHeader) == 8);

struct SctpHeader {
  be16 src;
  be16 dst;
  be32 verification_tag;
  be32 checksum;  // CRC32c
};
static_assert(sizeof(SctpHeader) == 12);

struct IcmpHeader {
  uint8_t type;
  uint8_t code;
  be16 checksum;
};

// ICMPv6 Neighbor Solicitation / Advertisement (types 135 / 136).
struct NdMessage {
  uint8_t type;
  uint8_t code;
  be16 checksum;
  be32 reserved;  // flags for NA
  uint8_t target[16];
};
static_assert(sizeof(NdMessage) == 24);
inline constexpr uint8_t kNdNeighborSolicit = 135;
inline constexpr uint8_t kNdNeighborAdvert = 136;
inline constexpr uint8_t kNdOptSourceLinkAddr = 1;
inline constexpr uint8_t kNdOptTargetLinkAddr = 2;

struct NshHeader {
  be16 ver_flags_ttl_len;  // ver:2 O:1 U:1 ttl:6 length:6
  uint8_t md_type;         // low 4 bits
  uint8_t next_proto;
  be32 path_hdr;           // SPI:24 SI:8
};
static_assert(sizeof(NshHeader) == 8);
#pragma pack(pop)

inline constexpr uint16_t kVlanCfi = 0x1000;  // in a flow key: "a tag is present"
inline constexpr uint16_t kVlanVidMask = 0x0fff;
inline constexpr uint16_t kVlanPcpMask = 0xe000;
inline constexpr int kVlanPcpShift = 13;

inline constexpr uint32_t kMplsLabelMask = 0xfffff000;
inline constexpr int kMplsLabelShift = 12;
inline constexpr uint32_t kMplsTcMask = 0x00000e00;
inline constexpr int kMplsTcShift = 9;
inline constexpr uint32_t kMplsBosMask = 0x00000100;
inline constexpr int kMplsBosShift = 8;
inline constexpr uint32_t kMplsTtlMask = 0x000000ff;

}  // namespace flowpath
