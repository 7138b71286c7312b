// odp_abi.h against the kernel's <linux/openvswitch.h>: every number and
// payload layout both define must agree, or keys and actions would not mean
// the same thing on the wire. Checked at compile time; the tests below only
// record the values that are ours alone.
//
// Userspace-only values (Open vSwitch 3.1 userspace, absent from or different
// in the kernel header):
//  - OVS_KEY_ATTR_PACKET_TYPE (29) and ND_EXTENSIONS (30) are defined by the
//    kernel only as reserved squatters; struct ovs_key_nd_extensions is not.
//  - OVS_TUNNEL_KEY_ATTR_GTPU_OPTS is 16 in userspace; the kernel uses 16 for
//    OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE. Never send it to a kernel.
//  - OVS_ACTION_ATTR_TUNNEL_PUSH (23), TUNNEL_POP (24), DROP (25) and
//    LB_OUTPUT (26) are userspace actions; the kernel's 23 is DEC_TTL.
//  - OVS_HASH_ALG_SYM_L4 (1), the extra vport types (ERSPAN 107 ... BAREUDP
//    112) and enum xlate_error do not exist in the kernel header.
#include <linux/erspan.h>
#include <linux/openvswitch.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "flow/odp_abi.h"

namespace flowpath::odp {
namespace {

// Our enumerators and the kernel's are distinct enum types: compare values.
#define SAME(ours, kernel) \
  static_assert(static_cast<long>(ours) == static_cast<long>(kernel), #ours " != " #kernel)

// ---- enum ovs_key_attr: all values are shared.
SAME(kKeyUnspec, OVS_KEY_ATTR_UNSPEC);
SAME(kKeyEncap, OVS_KEY_ATTR_ENCAP);
SAME(kKeyPriority, OVS_KEY_ATTR_PRIORITY);
SAME(kKeyInPort, OVS_KEY_ATTR_IN_PORT);
SAME(kKeyEthernet, OVS_KEY_ATTR_ETHERNET);
SAME(kKeyVlan, OVS_KEY_ATTR_VLAN);
SAME(kKeyEthertype, OVS_KEY_ATTR_ETHERTYPE);
SAME(kKeyIpv4, OVS_KEY_ATTR_IPV4);
SAME(kKeyIpv6, OVS_KEY_ATTR_IPV6);
SAME(kKeyTcp, OVS_KEY_ATTR_TCP);
SAME(kKeyUdp, OVS_KEY_ATTR_UDP);
SAME(kKeyIcmp, OVS_KEY_ATTR_ICMP);
SAME(kKeyIcmpv6, OVS_KEY_ATTR_ICMPV6);
SAME(kKeyArp, OVS_KEY_ATTR_ARP);
SAME(kKeyNd, OVS_KEY_ATTR_ND);
SAME(kKeySkbMark, OVS_KEY_ATTR_SKB_MARK);
SAME(kKeyTunnel, OVS_KEY_ATTR_TUNNEL);
SAME(kKeySctp, OVS_KEY_ATTR_SCTP);
SAME(kKeyTcpFlags, OVS_KEY_ATTR_TCP_FLAGS);
SAME(kKeyDpHash, OVS_KEY_ATTR_DP_HASH);
SAME(kKeyRecircId, OVS_KEY_ATTR_RECIRC_ID);
SAME(kKeyMpls, OVS_KEY_ATTR_MPLS);
SAME(kKeyCtState, OVS_KEY_ATTR_CT_STATE);
SAME(kKeyCtZone, OVS_KEY_ATTR_CT_ZONE);
SAME(kKeyCtMark, OVS_KEY_ATTR_CT_MARK);
SAME(kKeyCtLabels, OVS_KEY_ATTR_CT_LABELS);
SAME(kKeyCtOrigTupleIpv4, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4);
SAME(kKeyCtOrigTupleIpv6, OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV6);
SAME(kKeyNsh, OVS_KEY_ATTR_NSH);
SAME(kKeyPacketType, OVS_KEY_ATTR_PACKET_TYPE);
SAME(kKeyNdExtensions, OVS_KEY_ATTR_ND_EXTENSIONS);
SAME(kKeyTunnelInfo, OVS_KEY_ATTR_TUNNEL_INFO);
SAME(kKeyIpv6Exthdrs, OVS_KEY_ATTR_IPV6_EXTHDRS);
SAME(kKeyAttrMax, OVS_KEY_ATTR_MAX);

// ---- enum ovs_tunnel_key_attr: shared up to ERSPAN_OPTS (15).
SAME(kTunnelId, OVS_TUNNEL_KEY_ATTR_ID);
SAME(kTunnelIpv4Src, OVS_TUNNEL_KEY_ATTR_IPV4_SRC);
SAME(kTunnelIpv4Dst, OVS_TUNNEL_KEY_ATTR_IPV4_DST);
SAME(kTunnelTos, OVS_TUNNEL_KEY_ATTR_TOS);
SAME(kTunnelTtl, OVS_TUNNEL_KEY_ATTR_TTL);
SAME(kTunnelDontFragment, OVS_TUNNEL_KEY_ATTR_DONT_FRAGMENT);
SAME(kTunnelCsum, OVS_TUNNEL_KEY_ATTR_CSUM);
SAME(kTunnelOam, OVS_TUNNEL_KEY_ATTR_OAM);
SAME(kTunnelGeneveOpts, OVS_TUNNEL_KEY_ATTR_GENEVE_OPTS);
SAME(kTunnelTpSrc, OVS_TUNNEL_KEY_ATTR_TP_SRC);
SAME(kTunnelTpDst, OVS_TUNNEL_KEY_ATTR_TP_DST);
SAME(kTunnelVxlanOpts, OVS_TUNNEL_KEY_ATTR_VXLAN_OPTS);
SAME(kTunnelIpv6Src, OVS_TUNNEL_KEY_ATTR_IPV6_SRC);
SAME(kTunnelIpv6Dst, OVS_TUNNEL_KEY_ATTR_IPV6_DST);
SAME(kTunnelPad, OVS_TUNNEL_KEY_ATTR_PAD);
SAME(kTunnelErspanOpts, OVS_TUNNEL_KEY_ATTR_ERSPAN_OPTS);

SAME(kVxlanExtUnspec, OVS_VXLAN_EXT_UNSPEC);
SAME(kVxlanExtGbp, OVS_VXLAN_EXT_GBP);

SAME(kNshUnspec, OVS_NSH_KEY_ATTR_UNSPEC);
SAME(kNshBase, OVS_NSH_KEY_ATTR_BASE);
SAME(kNshMd1, OVS_NSH_KEY_ATTR_MD1);
SAME(kNshMd2, OVS_NSH_KEY_ATTR_MD2);
SAME(kNshAttrMax, OVS_NSH_KEY_ATTR_MAX);

// ---- enum ovs_action_attr: shared up to ADD_MPLS (22).
SAME(kActionUnspec, OVS_ACTION_ATTR_UNSPEC);
SAME(kActionOutput, OVS_ACTION_ATTR_OUTPUT);
SAME(kActionUserspace, OVS_ACTION_ATTR_USERSPACE);
SAME(kActionSet, OVS_ACTION_ATTR_SET);
SAME(kActionPushVlan, OVS_ACTION_ATTR_PUSH_VLAN);
SAME(kActionPopVlan, OVS_ACTION_ATTR_POP_VLAN);
SAME(kActionSample, OVS_ACTION_ATTR_SAMPLE);
SAME(kActionRecirc, OVS_ACTION_ATTR_RECIRC);
SAME(kActionHash, OVS_ACTION_ATTR_HASH);
SAME(kActionPushMpls, OVS_ACTION_ATTR_PUSH_MPLS);
SAME(kActionPopMpls, OVS_ACTION_ATTR_POP_MPLS);
SAME(kActionSetMasked, OVS_ACTION_ATTR_SET_MASKED);
SAME(kActionCt, OVS_ACTION_ATTR_CT);
SAME(kActionTrunc, OVS_ACTION_ATTR_TRUNC);
SAME(kActionPushEth, OVS_ACTION_ATTR_PUSH_ETH);
SAME(kActionPopEth, OVS_ACTION_ATTR_POP_ETH);
SAME(kActionCtClear, OVS_ACTION_ATTR_CT_CLEAR);
SAME(kActionPushNsh, OVS_ACTION_ATTR_PUSH_NSH);
SAME(kActionPopNsh, OVS_ACTION_ATTR_POP_NSH);
SAME(kActionMeter, OVS_ACTION_ATTR_METER);
SAME(kActionClone, OVS_ACTION_ATTR_CLONE);
SAME(kActionCheckPktLen, OVS_ACTION_ATTR_CHECK_PKT_LEN);
SAME(kActionAddMpls, OVS_ACTION_ATTR_ADD_MPLS);

SAME(kSampleUnspec, OVS_SAMPLE_ATTR_UNSPEC);
SAME(kSampleProbability, OVS_SAMPLE_ATTR_PROBABILITY);
SAME(kSampleActions, OVS_SAMPLE_ATTR_ACTIONS);

SAME(kUserspaceUnspec, OVS_USERSPACE_ATTR_UNSPEC);
SAME(kUserspacePid, OVS_USERSPACE_ATTR_PID);
SAME(kUserspaceUserdata, OVS_USERSPACE_ATTR_USERDATA);
SAME(kUserspaceEgressTunPort, OVS_USERSPACE_ATTR_EGRESS_TUN_PORT);
SAME(kUserspaceActions, OVS_USERSPACE_ATTR_ACTIONS);

SAME(kCtUnspec, OVS_CT_ATTR_UNSPEC);
SAME(kCtCommit, OVS_CT_ATTR_COMMIT);
SAME(kCtZone, OVS_CT_ATTR_ZONE);
SAME(kCtMark, OVS_CT_ATTR_MARK);
SAME(kCtLabels, OVS_CT_ATTR_LABELS);
SAME(kCtHelper, OVS_CT_ATTR_HELPER);
SAME(kCtNat, OVS_CT_ATTR_NAT);
SAME(kCtForceCommit, OVS_CT_ATTR_FORCE_COMMIT);
SAME(kCtEventmask, OVS_CT_ATTR_EVENTMASK);
SAME(kCtTimeout, OVS_CT_ATTR_TIMEOUT);
SAME(kCtAttrMax, OVS_CT_ATTR_MAX);

SAME(kNatUnspec, OVS_NAT_ATTR_UNSPEC);
SAME(kNatSrc, OVS_NAT_ATTR_SRC);
SAME(kNatDst, OVS_NAT_ATTR_DST);
SAME(kNatIpMin, OVS_NAT_ATTR_IP_MIN);
SAME(kNatIpMax, OVS_NAT_ATTR_IP_MAX);
SAME(kNatProtoMin, OVS_NAT_ATTR_PROTO_MIN);
SAME(kNatProtoMax, OVS_NAT_ATTR_PROTO_MAX);
SAME(kNatPersistent, OVS_NAT_ATTR_PERSISTENT);
SAME(kNatProtoHash, OVS_NAT_ATTR_PROTO_HASH);
SAME(kNatProtoRandom, OVS_NAT_ATTR_PROTO_RANDOM);
SAME(kNatAttrMax, OVS_NAT_ATTR_MAX);

SAME(kCheckPktLenUnspec, OVS_CHECK_PKT_LEN_ATTR_UNSPEC);
SAME(kCheckPktLenPktLen, OVS_CHECK_PKT_LEN_ATTR_PKT_LEN);
SAME(kCheckPktLenActionsIfGreater, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER);
SAME(kCheckPktLenActionsIfLessEqual, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL);

SAME(kFragTypeNone, OVS_FRAG_TYPE_NONE);
SAME(kFragTypeFirst, OVS_FRAG_TYPE_FIRST);
SAME(kFragTypeLater, OVS_FRAG_TYPE_LATER);

SAME(kHashAlgL4, OVS_HASH_ALG_L4);

SAME(kCsNew, OVS_CS_F_NEW);
SAME(kCsEstablished, OVS_CS_F_ESTABLISHED);
SAME(kCsRelated, OVS_CS_F_RELATED);
SAME(kCsReplyDir, OVS_CS_F_REPLY_DIR);
SAME(kCsInvalid, OVS_CS_F_INVALID);
SAME(kCsTracked, OVS_CS_F_TRACKED);
SAME(kCsSrcNat, OVS_CS_F_SRC_NAT);
SAME(kCsDstNat, OVS_CS_F_DST_NAT);

SAME(kVportUnspec, OVS_VPORT_TYPE_UNSPEC);
SAME(kVportNetdev, OVS_VPORT_TYPE_NETDEV);
SAME(kVportInternal, OVS_VPORT_TYPE_INTERNAL);
SAME(kVportGre, OVS_VPORT_TYPE_GRE);
SAME(kVportVxlan, OVS_VPORT_TYPE_VXLAN);
SAME(kVportGeneve, OVS_VPORT_TYPE_GENEVE);

// ---- payload layouts
static_assert(sizeof(KeyEthernet) == sizeof(ovs_key_ethernet));
static_assert(sizeof(KeyIpv4) == sizeof(ovs_key_ipv4));
static_assert(sizeof(KeyIpv6) == sizeof(ovs_key_ipv6));
static_assert(sizeof(KeyPorts) == sizeof(ovs_key_tcp) && sizeof(KeyPorts) == sizeof(ovs_key_udp) &&
              sizeof(KeyPorts) == sizeof(ovs_key_sctp));
static_assert(sizeof(KeyIcmp) == sizeof(ovs_key_icmp) && sizeof(KeyIcmp) == sizeof(ovs_key_icmpv6));
static_assert(sizeof(KeyArp) == sizeof(ovs_key_arp));
static_assert(sizeof(KeyNd) == sizeof(ovs_key_nd));
static_assert(sizeof(KeyCtTupleIpv4) == sizeof(ovs_key_ct_tuple_ipv4));
static_assert(sizeof(KeyCtTupleIpv6) == sizeof(ovs_key_ct_tuple_ipv6));
static_assert(sizeof(NshBase) == sizeof(ovs_nsh_key_base));
static_assert(sizeof(NshMd1) == sizeof(ovs_nsh_key_md1));
static_assert(sizeof(ErspanMetadata) == sizeof(erspan_metadata));
static_assert(sizeof(ActionPushVlan) == sizeof(ovs_action_push_vlan));
static_assert(sizeof(ActionHash) == sizeof(ovs_action_hash));
static_assert(sizeof(ActionPushMpls) == sizeof(ovs_action_push_mpls));
static_assert(sizeof(ActionAddMpls) == sizeof(ovs_action_add_mpls));
static_assert(sizeof(ActionPushEth) == sizeof(ovs_action_push_eth));
static_assert(sizeof(ActionTrunc) == sizeof(ovs_action_trunc));

static_assert(offsetof(KeyIpv4, proto) == offsetof(ovs_key_ipv4, ipv4_proto));
static_assert(offsetof(KeyIpv4, frag) == offsetof(ovs_key_ipv4, ipv4_frag));
static_assert(offsetof(KeyIpv6, label) == offsetof(ovs_key_ipv6, ipv6_label));
static_assert(offsetof(KeyIpv6, frag) == offsetof(ovs_key_ipv6, ipv6_frag));
static_assert(offsetof(KeyArp, op) == offsetof(ovs_key_arp, arp_op));
static_assert(offsetof(KeyArp, tha) == offsetof(ovs_key_arp, arp_tha));
static_assert(offsetof(KeyNd, tll) == offsetof(ovs_key_nd, nd_tll));
static_assert(offsetof(KeyCtTupleIpv4, proto) == offsetof(ovs_key_ct_tuple_ipv4, ipv4_proto));
static_assert(offsetof(KeyCtTupleIpv6, src_port) == offsetof(ovs_key_ct_tuple_ipv6, src_port));
static_assert(offsetof(KeyCtTupleIpv6, proto) == offsetof(ovs_key_ct_tuple_ipv6, ipv6_proto));
static_assert(offsetof(NshBase, path_hdr) == offsetof(ovs_nsh_key_base, path_hdr));
static_assert(offsetof(ActionPushMpls, ethertype) ==
              offsetof(ovs_action_push_mpls, mpls_ethertype));
static_assert(offsetof(ActionAddMpls, tunnel_flags) == offsetof(ovs_action_add_mpls, tun_flags));
static_assert(offsetof(ErspanMetadata, u) == offsetof(erspan_metadata, u));

// The fixed payload lengths the decoder checks are the kernel's sizes.
static_assert(kKeyAttrLength[kKeyPriority] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyInPort] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyEthernet] == sizeof(ovs_key_ethernet));
static_assert(kKeyAttrLength[kKeyVlan] == sizeof(__be16));
static_assert(kKeyAttrLength[kKeyEthertype] == sizeof(__be16));
static_assert(kKeyAttrLength[kKeyIpv4] == sizeof(ovs_key_ipv4));
static_assert(kKeyAttrLength[kKeyIpv6] == sizeof(ovs_key_ipv6));
static_assert(kKeyAttrLength[kKeyTcp] == sizeof(ovs_key_tcp));
static_assert(kKeyAttrLength[kKeyUdp] == sizeof(ovs_key_udp));
static_assert(kKeyAttrLength[kKeyIcmp] == sizeof(ovs_key_icmp));
static_assert(kKeyAttrLength[kKeyIcmpv6] == sizeof(ovs_key_icmpv6));
static_assert(kKeyAttrLength[kKeyArp] == sizeof(ovs_key_arp));
static_assert(kKeyAttrLength[kKeyNd] == sizeof(ovs_key_nd));
static_assert(kKeyAttrLength[kKeySkbMark] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeySctp] == sizeof(ovs_key_sctp));
static_assert(kKeyAttrLength[kKeyTcpFlags] == sizeof(__be16));
static_assert(kKeyAttrLength[kKeyDpHash] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyRecircId] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyCtState] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyCtZone] == sizeof(uint16_t));
static_assert(kKeyAttrLength[kKeyCtMark] == sizeof(uint32_t));
static_assert(kKeyAttrLength[kKeyCtLabels] == sizeof(ovs_key_ct_labels));
static_assert(kKeyAttrLength[kKeyCtLabels] == OVS_CT_LABELS_LEN);
static_assert(kKeyAttrLength[kKeyCtOrigTupleIpv4] == sizeof(ovs_key_ct_tuple_ipv4));
static_assert(kKeyAttrLength[kKeyCtOrigTupleIpv6] == sizeof(ovs_key_ct_tuple_ipv6));
static_assert(kKeyAttrLength[kKeyIpv6Exthdrs] == sizeof(ovs_key_ipv6_exthdrs));
static_assert(sizeof(CtLabels) == 2 * OVS_CT_LABELS_LEN);

TEST(OdpAbi, UserspaceOnlyValues) {
  // Values the kernel header does not define (or defines differently): they
  // are Open vSwitch 3.1 userspace's, recorded here so a change is noticed.
  EXPECT_EQ(kTunnelGtpuOpts, 16);
  EXPECT_EQ(kTunnelAttrMax, 16);
  EXPECT_EQ(kActionTunnelPush, 23);
  EXPECT_EQ(kActionTunnelPop, 24);
  EXPECT_EQ(kActionDrop, 25);
  EXPECT_EQ(kActionLbOutput, 26);
  EXPECT_EQ(kHashAlgSymL4, 1u);
  EXPECT_EQ(kVportErspan, 107u);
  EXPECT_EQ(kVportIp6erspan, 108u);
  EXPECT_EQ(kVportIp6gre, 109u);
  EXPECT_EQ(kVportGtpu, 110u);
  EXPECT_EQ(kVportSrv6, 111u);
  EXPECT_EQ(kVportBareudp, 112u);
  EXPECT_EQ(sizeof(KeyNdExtensions), 8u);
  EXPECT_EQ(kKeyAttrLength[kKeyNdExtensions], 8);
  EXPECT_EQ(kKeyAttrLength[kKeyPacketType], 4);
  EXPECT_EQ(sizeof(GtpuMetadata), 2u);
  EXPECT_EQ(kXlateForwardingDisabled, 11u);
  EXPECT_EQ(kXlateMax, 12u);
}

TEST(OdpAbi, KernelDiffersWhereUserspaceSquats) {
  // The same numbers mean different things to the kernel.
  EXPECT_EQ(static_cast<int>(OVS_TUNNEL_KEY_ATTR_IPV4_INFO_BRIDGE), kTunnelGtpuOpts);
  EXPECT_EQ(static_cast<int>(OVS_ACTION_ATTR_DEC_TTL), kActionTunnelPush);
}

TEST(OdpAbi, ErspanV2BitsMatchKernelBitfields) {
  // odp_abi.h documents where dir and hwid sit in erspan_metadata's last two
  // bytes; the kernel's bitfields are the reference.
  for (unsigned dir = 0; dir < 2; ++dir) {
    for (unsigned hwid = 0; hwid < 64; ++hwid) {
      erspan_metadata kernel{};
      kernel.version = 2;
      kernel.u.md2.dir = dir & 1;
      kernel.u.md2.hwid = hwid & 0xf;
      kernel.u.md2.hwid_upper = (hwid >> 4) & 0x3;
      ErspanMetadata ours;
      std::memcpy(&ours, &kernel, sizeof ours);
      uint8_t b0 = ours.u[6], b1 = ours.u[7];
      EXPECT_EQ((b1 >> 3) & 1, static_cast<int>(dir));
      EXPECT_EQ(((b0 & 3) << 4) | (b1 >> 4), static_cast<int>(hwid));
    }
  }
}

TEST(OdpAbi, VariableAndNestedLengths) {
  EXPECT_EQ(kKeyAttrLength[kKeyEncap], kNested);
  EXPECT_EQ(kKeyAttrLength[kKeyTunnel], kNested);
  EXPECT_EQ(kKeyAttrLength[kKeyNsh], kNested);
  EXPECT_EQ(kKeyAttrLength[kKeyMpls], kVariable);
  EXPECT_EQ(kKeyAttrLength[kKeyTunnelInfo], kVariable);
}

}  // namespace
}  // namespace flowpath::odp
