// The Open vSwitch datapath ("ODP") Netlink ABI: attribute numbers and payload
// layouts of <linux/openvswitch.h> as Open vSwitch 3.1's userspace sees them,
// including the userspace-only attributes (packet_type, nd_ext, tnl_push, ...).
// These are wire facts; tests/unit/odp_abi_test.cc checks them against the
// kernel's header wherever both define a value.
#pragma once

#include <cstdint>

namespace flowpath::odp {

// enum ovs_key_attr
enum KeyAttr : uint16_t {
  kKeyUnspec = 0,
  kKeyEncap = 1,           // nested key attributes inside a VLAN
  kKeyPriority = 2,        // u32 skb_priority
  kKeyInPort = 3,          // u32 datapath port number
  kKeyEthernet = 4,        // KeyEthernet
  kKeyVlan = 5,            // be16 TCI (with the CFI/"present" bit 0x1000)
  kKeyEthertype = 6,       // be16
  kKeyIpv4 = 7,            // KeyIpv4
  kKeyIpv6 = 8,            // KeyIpv6
  kKeyTcp = 9,             // KeyPorts
  kKeyUdp = 10,            // KeyPorts
  kKeyIcmp = 11,           // KeyIcmp
  kKeyIcmpv6 = 12,         // KeyIcmp
  kKeyArp = 13,            // KeyArp
  kKeyNd = 14,             // KeyNd
  kKeySkbMark = 15,        // u32
  kKeyTunnel = 16,         // nested TunnelAttr
  kKeySctp = 17,           // KeyPorts
  kKeyTcpFlags = 18,       // be16
  kKeyDpHash = 19,         // u32
  kKeyRecircId = 20,       // u32
  kKeyMpls = 21,           // array of be32 label stack entries
  kKeyCtState = 22,        // u32 CtState bits
  kKeyCtZone = 23,         // u16
  kKeyCtMark = 24,         // u32
  kKeyCtLabels = 25,       // 16 bytes
  kKeyCtOrigTupleIpv4 = 26,  // KeyCtTupleIpv4
  kKeyCtOrigTupleIpv6 = 27,  // KeyCtTupleIpv6
  kKeyNsh = 28,            // nested NshAttr
  kKeyPacketType = 29,     // be32 (namespace << 16 | type); userspace only
  kKeyNdExtensions = 30,   // KeyNdExtensions; userspace only
  kKeyTunnelInfo = 31,     // kernel-internal, never valid on the wire
  kKeyIpv6Exthdrs = 32,    // kernel >= 6.x; not modelled by OVS 3.1 userspace
  kKeyAttrMax = 32,
};

// enum ovs_tunnel_key_attr
enum TunnelAttr : uint16_t {
  kTunnelId = 0,           // be64
  kTunnelIpv4Src = 1,      // be32
  kTunnelIpv4Dst = 2,      // be32
  kTunnelTos = 3,          // u8
  kTunnelTtl = 4,          // u8
  kTunnelDontFragment = 5, // flag
  kTunnelCsum = 6,         // flag
  kTunnelOam = 7,          // flag
  kTunnelGeneveOpts = 8,   // array of Geneve options
  kTunnelTpSrc = 9,        // be16
  kTunnelTpDst = 10,       // be16
  kTunnelVxlanOpts = 11,   // nested VxlanExtAttr
  kTunnelIpv6Src = 12,     // 16 bytes
  kTunnelIpv6Dst = 13,     // 16 bytes
  kTunnelPad = 14,
  kTunnelErspanOpts = 15,  // ErspanMetadata
  kTunnelGtpuOpts = 16,    // GtpuMetadata; userspace only
  kTunnelAttrMax = 16,
};

// enum ovs_vxlan_ext_attr
enum VxlanExtAttr : uint16_t { kVxlanExtUnspec = 0, kVxlanExtGbp = 1 /* u32 */ };

// enum ovs_nsh_key_attr
enum NshAttr : uint16_t { kNshUnspec = 0, kNshBase = 1, kNshMd1 = 2, kNshMd2 = 3, kNshAttrMax = 3 };

// enum ovs_action_attr (OVS 3.1 userspace numbering)
enum ActionAttr : uint16_t {
  kActionUnspec = 0,
  kActionOutput = 1,       // u32 port
  kActionUserspace = 2,    // nested UserspaceAttr
  kActionSet = 3,          // one nested key attribute
  kActionPushVlan = 4,     // ActionPushVlan
  kActionPopVlan = 5,      // no payload
  kActionSample = 6,       // nested SampleAttr
  kActionRecirc = 7,       // u32 recirc_id
  kActionHash = 8,         // ActionHash
  kActionPushMpls = 9,     // ActionPushMpls
  kActionPopMpls = 10,     // be16 ethertype
  kActionSetMasked = 11,   // one nested key attribute: value then mask
  kActionCt = 12,          // nested CtAttr
  kActionTrunc = 13,       // u32 max_len
  kActionPushEth = 14,     // ActionPushEth
  kActionPopEth = 15,      // no payload
  kActionCtClear = 16,     // no payload
  kActionPushNsh = 17,     // nested NshAttr
  kActionPopNsh = 18,      // no payload
  kActionMeter = 19,       // u32 meter id
  kActionClone = 20,       // nested actions
  kActionCheckPktLen = 21, // nested CheckPktLenAttr
  kActionAddMpls = 22,     // ActionAddMpls
  kActionTunnelPush = 23,  // ActionPushTunnel; userspace only
  kActionTunnelPop = 24,   // u32 port; userspace only
  kActionDrop = 25,        // u32 reason (XlateError); userspace only
  kActionLbOutput = 26,    // u32 bond id; userspace only
  kActionAttrMax = 26,
};

enum SampleAttr : uint16_t { kSampleUnspec = 0, kSampleProbability = 1, kSampleActions = 2 };

enum UserspaceAttr : uint16_t {
  kUserspaceUnspec = 0,
  kUserspacePid = 1,            // u32
  kUserspaceUserdata = 2,       // bytes
  kUserspaceEgressTunPort = 3,  // u32
  kUserspaceActions = 4,        // flag
};

enum CtAttr : uint16_t {
  kCtUnspec = 0,
  kCtCommit = 1,        // flag
  kCtZone = 2,          // u16
  kCtMark = 3,          // CtMark {value, mask}
  kCtLabels = 4,        // CtLabels {value[16], mask[16]}
  kCtHelper = 5,        // NUL-terminated string
  kCtNat = 6,           // nested NatAttr
  kCtForceCommit = 7,   // flag
  kCtEventmask = 8,     // u32
  kCtTimeout = 9,       // NUL-terminated string
  kCtAttrMax = 9,
};

enum NatAttr : uint16_t {
  kNatUnspec = 0,
  kNatSrc = 1,          // flag
  kNatDst = 2,          // flag
  kNatIpMin = 3,        // 4 or 16 bytes
  kNatIpMax = 4,        // 4 or 16 bytes
  kNatProtoMin = 5,     // u16
  kNatProtoMax = 6,     // u16
  kNatPersistent = 7,   // flag
  kNatProtoHash = 8,    // flag
  kNatProtoRandom = 9,  // flag
  kNatAttrMax = 9,
};

enum CheckPktLenAttr : uint16_t {
  kCheckPktLenUnspec = 0,
  kCheckPktLenPktLen = 1,            // u16
  kCheckPktLenActionsIfGreater = 2,  // nested actions
  kCheckPktLenActionsIfLessEqual = 3,  // nested actions
};

enum FragType : uint8_t { kFragTypeNone = 0, kFragTypeFirst = 1, kFragTypeLater = 2 };

enum HashAlg : uint32_t { kHashAlgL4 = 0, kHashAlgSymL4 = 1 };

// OVS_CS_F_* (ct_state bits)
enum CtStateBits : uint32_t {
  kCsNew = 0x01,
  kCsEstablished = 0x02,
  kCsRelated = 0x04,
  kCsReplyDir = 0x08,
  kCsInvalid = 0x10,
  kCsTracked = 0x20,
  kCsSrcNat = 0x40,
  kCsDstNat = 0x80,
};

// enum xlate_error: the reason carried by the drop action.
enum XlateError : uint32_t {
  kXlateOk = 0,
  kXlateBridgeNotFound,
  kXlateRecursionTooDeep,
  kXlateTooManyResubmits,
  kXlateStackTooDeep,
  kXlateNoRecirculationContext,
  kXlateRecirculationConflict,
  kXlateTooManyMplsLabels,
  kXlateInvalidTunnelMetadata,
  kXlateUnsupportedPacketType,
  kXlateCongestionDrop,
  kXlateForwardingDisabled,
  kXlateMax,
};

// ---- payload layouts (all multi-byte fields in network byte order unless noted)
struct KeyEthernet { uint8_t src[6]; uint8_t dst[6]; };
struct KeyIpv4 { uint32_t src, dst; uint8_t proto, tos, ttl, frag; };
struct KeyIpv6 { uint8_t src[16], dst[16]; uint32_t label; uint8_t proto, tclass, hlimit, frag; };
struct KeyPorts { uint16_t src, dst; };
struct KeyIcmp { uint8_t type, code; };
struct KeyArp { uint32_t sip, tip; uint16_t op; uint8_t sha[6], tha[6]; };
struct KeyNd { uint8_t target[16]; uint8_t sll[6], tll[6]; };
struct KeyNdExtensions { uint32_t nd_reserved; uint8_t nd_options_type; uint8_t pad[3]; };
struct KeyCtTupleIpv4 { uint32_t src, dst; uint16_t src_port, dst_port; uint8_t proto; uint8_t pad[3]; };
struct KeyCtTupleIpv6 { uint8_t src[16], dst[16]; uint16_t src_port, dst_port; uint8_t proto; uint8_t pad[3]; };
struct NshBase { uint8_t flags, ttl, mdtype, np; uint32_t path_hdr; };
struct NshMd1 { uint32_t context[4]; };
// struct erspan_metadata: version (host order), then for v1 a be32 index, for
// v2 {be32 timestamp, be16 sgt, u8 b0, u8 b1} where, in network bit order,
// b0 = p:1 ft:5 hwid_upper:2 and b1 = hwid:4 dir:1 gra:2 o:1. So
// dir = (b1 >> 3) & 1 and hwid = ((b0 & 3) << 4) | (b1 >> 4).
struct ErspanMetadata {
  int32_t version;
  uint8_t u[8];
};
struct GtpuMetadata { uint8_t flags, msgtype; };

struct ActionPushVlan { uint16_t tpid, tci; };
struct ActionHash { uint32_t alg, basis; };  // host order
struct ActionPushMpls { uint32_t lse; uint16_t ethertype; };
struct ActionAddMpls { uint32_t lse; uint16_t ethertype; uint16_t tunnel_flags; /* host */ };
struct ActionPushEth { uint8_t src[6]; uint8_t dst[6]; };
struct ActionTrunc { uint32_t max_len; };    // host order
struct CtMark { uint32_t value, mask; };     // host order
struct CtLabels { uint8_t value[16], mask[16]; };

static_assert(sizeof(KeyIpv4) == 12 && sizeof(KeyIpv6) == 40 && sizeof(KeyArp) == 24 &&
              sizeof(KeyNd) == 28 && sizeof(KeyNdExtensions) == 8 &&
              sizeof(KeyCtTupleIpv4) == 16 && sizeof(KeyCtTupleIpv6) == 40 &&
              sizeof(ErspanMetadata) == 12 && sizeof(ActionPushMpls) == 8 &&
              sizeof(ActionAddMpls) == 8 && sizeof(NshBase) == 8);

constexpr int kTunnelPushHeaderMax = 512;
struct ActionPushTunnel {    // host order, userspace only
  uint32_t tnl_port;
  uint32_t out_port;
  uint32_t header_len;
  uint32_t tnl_type;         // OVS_VPORT_TYPE_*: for printing
  uint8_t header[kTunnelPushHeaderMax];
};

// OVS_VPORT_TYPE_* values used by tnl_push's tnl_type.
enum VportType : uint32_t {
  kVportUnspec = 0, kVportNetdev = 1, kVportInternal = 2, kVportGre = 3, kVportVxlan = 4,
  kVportGeneve = 5, kVportErspan = 107, kVportIp6erspan = 108, kVportIp6gre = 109,
  kVportGtpu = 110, kVportSrv6 = 111, kVportBareudp = 112,
};

// Expected payload length of each key attribute; kVariable for nested or
// variable-size ones. Indexed by KeyAttr.
inline constexpr int kVariable = -1;
inline constexpr int kNested = -2;
inline constexpr int kKeyAttrLength[kKeyAttrMax + 1] = {
    /* unspec */ 0,
    /* encap */ kNested,
    /* priority */ 4,
    /* in_port */ 4,
    /* eth */ sizeof(KeyEthernet),
    /* vlan */ 2,
    /* ethertype */ 2,
    /* ipv4 */ sizeof(KeyIpv4),
    /* ipv6 */ sizeof(KeyIpv6),
    /* tcp */ sizeof(KeyPorts),
    /* udp */ sizeof(KeyPorts),
    /* icmp */ sizeof(KeyIcmp),
    /* icmpv6 */ sizeof(KeyIcmp),
    /* arp */ sizeof(KeyArp),
    /* nd */ sizeof(KeyNd),
    /* skb_mark */ 4,
    /* tunnel */ kNested,
    /* sctp */ sizeof(KeyPorts),
    /* tcp_flags */ 2,
    /* dp_hash */ 4,
    /* recirc_id */ 4,
    /* mpls */ kVariable,
    /* ct_state */ 4,
    /* ct_zone */ 2,
    /* ct_mark */ 4,
    /* ct_labels */ 16,
    /* ct_tuple4 */ sizeof(KeyCtTupleIpv4),
    /* ct_tuple6 */ sizeof(KeyCtTupleIpv6),
    /* nsh */ kNested,
    /* packet_type */ 4,
    /* nd_ext */ sizeof(KeyNdExtensions),
    /* tunnel_info */ kVariable,
    /* ipv6_exthdrs */ 2,
};

// The ODP text name of a key attribute ("ipv4", "ct_tuple4", ...), or
// nullptr past kKeyAttrMax. 31 and 32 are kernel names with no ODP syntax.
constexpr const char* key_attribute_name(uint16_t type) {
  constexpr const char* kNames[kKeyAttrMax + 1] = {
      "unspec",    "encap",       "skb_priority", "in_port",   "eth",      "vlan",
      "eth_type",  "ipv4",        "ipv6",         "tcp",       "udp",      "icmp",
      "icmpv6",    "arp",         "nd",           "skb_mark",  "tunnel",   "sctp",
      "tcp_flags", "dp_hash",     "recirc_id",    "mpls",      "ct_state", "ct_zone",
      "ct_mark",   "ct_label",    "ct_tuple4",    "ct_tuple6", "nsh",      "packet_type",
      "nd_ext",    "tunnel_info", "ipv6_exthdrs"};
  return type <= kKeyAttrMax ? kNames[type] : nullptr;
}

// Payload length of each fixed-size action, kVariable for the others (nested
// or variable: userspace, set, sample, ct, clone, check_pkt_len, ...).
constexpr int action_payload_length(uint16_t type) {
  switch (type) {
    case kActionOutput:
    case kActionLbOutput:
    case kActionTrunc:
    case kActionTunnelPop:
    case kActionMeter:
    case kActionRecirc:
    case kActionDrop: return 4;
    case kActionPushVlan: return sizeof(ActionPushVlan);
    case kActionPushMpls: return sizeof(ActionPushMpls);
    case kActionAddMpls: return sizeof(ActionAddMpls);
    case kActionPopMpls: return 2;
    case kActionHash: return sizeof(ActionHash);
    case kActionPushEth: return sizeof(ActionPushEth);
    case kActionPopVlan:
    case kActionCtClear:
    case kActionPopEth:
    case kActionPopNsh: return 0;
    default: return kVariable;
  }
}

}  // namespace flowpath::odp
