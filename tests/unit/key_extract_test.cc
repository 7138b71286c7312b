// Key extraction, all but IP (see key_extract_ip_test.cc): hand-built frames
// for Ethernet, VLAN, 802.3, MPLS, ARP, NSH, the non-Ethernet packet types,
// metadata and batches, with the exact key and layer offsets each must give
// and cut or malformed variants of every header. Frames end exactly where
// their pool's memory ends, so a read past packet.size() is a heap overflow
// that ASan (-DFLOWPATH_SANITIZE=ON) or valgrind reports.
#include "flow/key_extract.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "key_test_support.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using namespace test;  // NOLINT: the frame builders read as a small language

// ============================================================ L2

TEST(KeyExtractL2, FrameShorterThanEthernetHasOnlyMetadata) {
  Bytes frame = eth(ethertype::kIpv4);
  for (size_t n = 0; n < 14; ++n) {
    SCOPED_TRACE(n);
    Extracted x = extract(cut(frame, n));
    EXPECT_KEY(x.key, expect_md());
    EXPECT_OFFSETS(x, kNone, kNone, kNone);
  }
}

TEST(KeyExtractL2, UnknownEtherTypeStopsAfterEthernet) {
  Extracted x = extract(cat({eth(0x1234), filler(40)}));
  EXPECT_KEY(x.key, expect_eth(0x1234));
  EXPECT_OFFSETS(x, kNone, 14, kNone);
}

TEST(KeyExtractL2, SingleVlanTagStoresTciWithPresentBit) {
  Bytes frame = cat({eth(ethertype::kVlan8021Q), wire16(0xa064), wire16(ethertype::kIpv4),
                     ipv4(ipproto::kUdp, udp(1000, 2000))});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kIpv4);
  k.vlans[0] = {hton16(ethertype::kVlan8021Q), hton16(0xa064 | kVlanCfi)};
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 1000, 2000);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 18, 38);
}

TEST(KeyExtractL2, PriorityTagWithVidZeroIsStillATag) {
  Extracted x =
      extract(cat({eth(ethertype::kVlan8021Q), wire16(0x0000), wire16(0x1234), filler(30)}));
  FlowKey k = expect_eth(0x1234);
  k.vlans[0] = {hton16(ethertype::kVlan8021Q), hton16(kVlanCfi)};
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 18, kNone);
}

TEST(KeyExtractL2, TwoTagsOuterQinQ) {
  Bytes frame = cat({eth(ethertype::kVlan8021AD), wire16(100), tag(ethertype::kVlan8021Q, 0x2014),
                     wire16(ethertype::kIpv6), ipv6(ipproto::kTcp, tcp(1, 2, 0x012))});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kIpv6);
  k.vlans[0] = {hton16(ethertype::kVlan8021AD), hton16(100 | kVlanCfi)};
  k.vlans[1] = {hton16(ethertype::kVlan8021Q), hton16(0x2014 | kVlanCfi)};
  set_ipv6(k, ipproto::kTcp);
  set_ports(k, 1, 2);
  k.tcp_flags = hton16(0x012);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 22, 62);
}

// Open vSwitch's default vlan-limit (1): the inner tag stays in the payload
// and its TPID is the key's EtherType, as Open vSwitch's datapath keys it.
TEST(KeyExtractL2, VlanLimitOneLeavesTheInnerTagInThePayload) {
  Bytes frame = cat({eth(ethertype::kVlan8021AD), wire16(100), tag(ethertype::kVlan8021Q, 0x2014),
                     wire16(ethertype::kIpv6), ipv6(ipproto::kTcp, tcp(1, 2, 0x012))});
  Extracted x = extract(frame, port_metadata(), {}, 1);
  FlowKey k = expect_eth(ethertype::kVlan8021Q);
  k.vlans[0] = {hton16(ethertype::kVlan8021AD), hton16(100 | kVlanCfi)};
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 18, kNone);
  // One tag is all a single-tagged packet has: the limit changes nothing.
  Bytes single = cat({eth(ethertype::kVlan8021Q), wire16(0xa064), wire16(ethertype::kIpv4),
                      ipv4(ipproto::kUdp, udp(1, 2))});
  EXPECT_KEY(extract(single, port_metadata(), {}, 1).key, extract(single).key);
}

TEST(KeyExtractL2, ThirdTagIsLeftAsTheEtherType) {
  Bytes frame = cat({eth(ethertype::kVlan8021AD), wire16(1), tag(ethertype::kVlan8021Q, 2),
                     tag(ethertype::kVlan8021Q, 3), wire16(ethertype::kIpv4),
                     ipv4(ipproto::kUdp, udp(1, 2))});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kVlan8021Q);
  k.vlans[0] = {hton16(ethertype::kVlan8021AD), hton16(1 | kVlanCfi)};
  k.vlans[1] = {hton16(ethertype::kVlan8021Q), hton16(2 | kVlanCfi)};
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 22, kNone);
}

TEST(KeyExtractL2, CutTagLeavesTpidAsEtherTypeAtEveryLength) {
  Bytes frame =
      cat({eth(ethertype::kVlan8021Q), wire16(5), tag(ethertype::kVlan8021AD, 6), wire16(0x1234)});
  for (size_t n = 14; n <= frame.size(); ++n) {
    SCOPED_TRACE(n);
    Extracted x = extract(cut(frame, n));
    FlowKey k;
    uint16_t l3;
    if (n < 18) {  // first tag cut: its TPID is the EtherType
      k = expect_eth(ethertype::kVlan8021Q);
      l3 = 14;
    } else if (n < 22) {  // second tag cut
      k = expect_eth(ethertype::kVlan8021AD);
      k.vlans[0] = {hton16(ethertype::kVlan8021Q), hton16(5 | kVlanCfi)};
      l3 = 18;
    } else {
      k = expect_eth(0x1234);
      k.vlans[0] = {hton16(ethertype::kVlan8021Q), hton16(5 | kVlanCfi)};
      k.vlans[1] = {hton16(ethertype::kVlan8021AD), hton16(6 | kVlanCfi)};
      l3 = 22;
    }
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, l3, kNone);
  }
}

TEST(KeyExtractL2, LlcWithoutSnapIsNoEtherType) {
  Extracted x = extract(cat({eth(0x0026), {0x42, 0x42, 0x03}, filler(35)}));
  EXPECT_KEY(x.key, expect_eth(ethertype::kNone));
  EXPECT_OFFSETS(x, kNone, 14, kNone);
}

TEST(KeyExtractL2, SnapWithEthernetOuiCarriesItsEtherType) {
  Bytes frame = cat({eth(0x0030),
                     {0xaa, 0xaa, 0x03, 0, 0, 0},
                     wire16(ethertype::kIpv4),
                     ipv4(ipproto::kUdp, udp(10, 20))});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kIpv4);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 10, 20);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 22, 42);
}

TEST(KeyExtractL2, SnapVariantsThatGiveNoEtherType) {
  struct Case {
    Bytes llc;
    uint16_t l3;
  } cases[] = {
      {{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00}, 14},  // other OUI: not pulled
      {{0xaa, 0xab, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00}, 14},  // not SNAP SAPs
      {{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x05, 0xdc}, 22},  // SNAP type is a length
      {{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08}, 14},        // cut SNAP header
      {{}, 14},                                                // nothing after the length
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(hex(c.llc.data(), c.llc.size()));
    Extracted x = extract(cat({eth(0x0100), c.llc}));
    EXPECT_KEY(x.key, expect_eth(ethertype::kNone));
    EXPECT_OFFSETS(x, kNone, c.l3, kNone);
  }
}

// ============================================================ MPLS

TEST(KeyExtractMpls, SingleLabelStopsAtBottomOfStackWithoutL3) {
  uint32_t label = lse(100, 0, true, 64);
  Bytes frame = cat({eth(ethertype::kMplsUnicast), wire32(label), ipv4(ipproto::kUdp, udp(1, 2))});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kMplsUnicast);
  k.mpls_lse[0] = hton32(label);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, 14, 18, kNone);
}

TEST(KeyExtractMpls, KeepsThreeLabelsAndSkipsTheRestOfTheStack) {
  uint32_t labels[] = {lse(1, 1, false, 9), lse(2, 2, false, 8), lse(3, 3, false, 7),
                       lse(4, 4, true, 6)};
  Bytes frame = cat({eth(ethertype::kMplsMulticast), wire32(labels[0]), wire32(labels[1]),
                     wire32(labels[2]), wire32(labels[3]), filler(20)});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kMplsMulticast);
  for (int i = 0; i < 3; ++i) k.mpls_lse[i] = hton32(labels[i]);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, 14, 30, kNone);
}

TEST(KeyExtractMpls, StackWithoutBottomRunsToTheEndOfTheFrame) {
  Bytes frame = cat({eth(ethertype::kMplsUnicast),
                     wire32(lse(7, 0, false, 1)),
                     wire32(lse(8, 0, false, 2)),
                     {0x00, 0x00, 0x91}});  // 3 stray bytes
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kMplsUnicast);
  k.mpls_lse[0] = hton32(lse(7, 0, false, 1));
  k.mpls_lse[1] = hton32(lse(8, 0, false, 2));
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, 14, 22, kNone);
}

TEST(KeyExtractMpls, CutLabelIsNotALabel) {
  for (size_t extra = 0; extra < 4; ++extra) {
    Extracted x = extract(cat({eth(ethertype::kMplsUnicast), filler(extra, 0xff)}));
    EXPECT_KEY(x.key, expect_eth(ethertype::kMplsUnicast));
    EXPECT_OFFSETS(x, 14, 14, kNone);
  }
}

// ============================================================ ARP

TEST(KeyExtractArp, RequestAndRarp) {
  for (uint16_t type : {ethertype::kArp, ethertype::kRarp}) {
    Extracted x = extract(cat({eth(type), arp(1), zeros(18)}));
    FlowKey k = expect_eth(type);
    k.ipv4_src = hton32(kIp4Src);
    k.ipv4_dst = hton32(kIp4Dst);
    k.arp_op = hton16(1);
    set_mac(k.arp_sha, kMacA);
    set_mac(k.arp_tha, kMacB);
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

TEST(KeyExtractArp, OpcodeAbove255ReadsAsZero) {
  Extracted x = extract(cat({eth(ethertype::kArp), arp(0x0102)}));
  FlowKey k = expect_eth(ethertype::kArp);
  k.ipv4_src = hton32(kIp4Src);
  k.ipv4_dst = hton32(kIp4Dst);
  set_mac(k.arp_sha, kMacA);
  set_mac(k.arp_tha, kMacB);
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractArp, OtherHardwareOrProtocolOrCutGivesOnlyEtherType) {
  Bytes variants[] = {arp(1, 6), arp(1, 1, ethertype::kIpv6), arp(1, 1, ethertype::kIpv4, 8),
                      arp(1, 1, ethertype::kIpv4, 6, 16), cut(arp(1), 27)};
  for (const Bytes& body : variants) {
    Extracted x = extract(cat({eth(ethertype::kArp), body}));
    EXPECT_KEY(x.key, expect_eth(ethertype::kArp));
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

// ============================================================ NSH

TEST(KeyExtractNsh, MdType1) {
  Bytes header = nsh(0, 2, 63, 6, 0x01, 3, 0x00abcd05, kNshContext);
  Extracted x = extract(cat({eth(ethertype::kNsh), header, filler(20)}));
  FlowKey k = expect_eth(ethertype::kNsh);
  k.nsh_flags = 2;
  k.nsh_ttl = 63;
  k.nsh_mdtype = 1;
  k.nsh_np = 3;
  k.nsh_path_hdr = hton32(0x00abcd05);
  std::memcpy(k.nsh_context, kNshContext.data(), 16);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, kNone);
}

TEST(KeyExtractNsh, MdType2AndOthersHaveNoContext) {
  for (uint8_t md_type : {0x02, 0x03, 0xf2}) {  // high bits are reserved
    Extracted x =
        extract(cat({eth(ethertype::kNsh), nsh(0, 1, 2, 3, md_type, 4, 0x505, filler(4))}));
    FlowKey k = expect_eth(ethertype::kNsh);
    k.nsh_flags = 1;
    k.nsh_ttl = 2;
    k.nsh_mdtype = md_type & 0x0f;
    k.nsh_np = 4;
    k.nsh_path_hdr = hton32(0x505);
    EXPECT_KEY(x.key, k);
  }
}

TEST(KeyExtractNsh, InvalidHeadersLeaveAllNshFieldsZero) {
  Bytes bad[] = {
      nsh(1, 0, 1, 6, 1, 3, 1, kNshContext),  // version 1
      nsh(0, 0, 1, 5, 1, 3, 1, kNshContext),  // MD type 1 of the wrong length
      nsh(0, 0, 1, 7, 1, 3, 1, cat({kNshContext, filler(4)})),
      nsh(0, 0, 1, 6, 1, 3, 1, cut(kNshContext, 15)),  // length past the frame
      nsh(0, 0, 1, 1, 2, 3, 1, {}),                    // MD type 2 shorter than the base
      cut(nsh(0, 0, 1, 2, 2, 3, 1, {}), 7),            // cut base header
  };
  for (const Bytes& header : bad) {
    SCOPED_TRACE(hex(header.data(), 4));
    Extracted x = extract(cat({eth(ethertype::kNsh), header}));
    EXPECT_KEY(x.key, expect_eth(ethertype::kNsh));
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

// ============================================================ packet types

PacketMetadata l3_metadata(uint16_t ethertype_value, uint16_t name_space = 1) {
  PacketMetadata md = port_metadata(3);
  md.packet_type = hton32(uint32_t(name_space) << 16 | ethertype_value);
  return md;
}

TEST(KeyExtractPacketType, L3Ipv4AndIpv6StartAtOffsetZero) {
  PacketMetadata md = l3_metadata(ethertype::kIpv4);
  Extracted x = extract(ipv4(ipproto::kUdp, udp(1, 2)), md);
  FlowKey k = expect_md(md);
  k.eth_type = hton16(ethertype::kIpv4);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 1, 2);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 0, 20);

  md = l3_metadata(ethertype::kIpv6);
  x = extract(ipv6(ipproto::kTcp, tcp(3, 4, 0x11)), md);
  k = expect_md(md);
  k.eth_type = hton16(ethertype::kIpv6);
  set_ipv6(k, ipproto::kTcp);
  set_ports(k, 3, 4);
  k.tcp_flags = hton16(0x11);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 0, 40);
}

TEST(KeyExtractPacketType, L3MplsAndCutIpv4) {
  PacketMetadata md = l3_metadata(ethertype::kMplsUnicast);
  Extracted x = extract(wire32(lse(5, 0, true, 1)), md);
  FlowKey k = expect_md(md);
  k.eth_type = hton16(ethertype::kMplsUnicast);
  k.mpls_lse[0] = hton32(lse(5, 0, true, 1));
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, 0, 4, kNone);

  md = l3_metadata(ethertype::kIpv4);
  x = extract(cut(ipv4(ipproto::kUdp, udp(1, 2)), 19), md);
  k = expect_md(md);
  k.eth_type = hton16(ethertype::kIpv4);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 0, kNone);
}

TEST(KeyExtractPacketType, L3NshAndArp) {
  PacketMetadata md = l3_metadata(ethertype::kNsh);
  Extracted x = extract(nsh(0, 1, 5, 6, 1, 3, 0x202, kNshContext), md);
  FlowKey k = expect_md(md);
  k.eth_type = hton16(ethertype::kNsh);
  k.nsh_flags = 1;
  k.nsh_ttl = 5;
  k.nsh_mdtype = 1;
  k.nsh_np = 3;
  k.nsh_path_hdr = hton32(0x202);
  std::memcpy(k.nsh_context, kNshContext.data(), 16);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 0, kNone);

  md = l3_metadata(ethertype::kArp);
  x = extract(arp(2), md);
  k = expect_md(md);
  k.eth_type = hton16(ethertype::kArp);
  k.ipv4_src = hton32(kIp4Src);
  k.ipv4_dst = hton32(kIp4Dst);
  k.arp_op = hton16(2);
  set_mac(k.arp_sha, kMacA);
  set_mac(k.arp_tha, kMacB);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 0, kNone);
}

TEST(KeyExtractPacketType, OtherNamespacesAreNotParsed) {
  PacketMetadata md = l3_metadata(ethertype::kIpv4, 2);
  Extracted x = extract(ipv4(ipproto::kUdp, udp(1, 2)), md);
  EXPECT_KEY(x.key, expect_md(md));
  EXPECT_OFFSETS(x, kNone, kNone, kNone);
}

// ============================================================ metadata

PacketMetadata tunnel_metadata(uint8_t geneve_length) {
  PacketMetadata md = port_metadata(7);
  md.tunnel.tun_id = hton64(0x1122334455667788);
  md.tunnel.ipv4_src = hton32(0x0a000001);
  md.tunnel.ipv4_dst = hton32(0x0a000002);
  md.tunnel.tp_dst = hton16(6081);
  md.tunnel.flags = kTunnelFlagKey | kTunnelFlagCsum;
  md.tunnel.ttl = 64;
  md.tunnel.geneve_length = geneve_length;
  md.recirc_id = 9;
  md.dp_hash = 0xdeadbeef;
  md.skb_mark = 5;
  md.ct_state = 0x21;
  md.ct_zone = 3;
  md.ct_mark = 4;
  md.ct_label[15] = 1;
  md.ct_orig_tuple.proto = 6;
  return md;
}

TEST(KeyExtractMetadata, CopiedWholeWithGeneveOptions) {
  Bytes options = cat({wire16(0x0102), {0x80, 2}, wire32(0xa1a2a3a4), wire32(0xb1b2b3b4)});
  PacketMetadata md = tunnel_metadata(uint8_t(options.size()));
  Extracted x = extract(cat({eth(ethertype::kIpv4), ipv4(ipproto::kUdp, udp(1, 2))}), md, options);
  FlowKey k = expect_eth(ethertype::kIpv4, md);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 1, 2);
  std::memcpy(k.geneve_options, options.data(), options.size());
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractMetadata, ReusedBatchKeyClearsLongerOldOptions) {
  PacketAtEnd first(eth(0x1234));
  first.packet->md = tunnel_metadata(240);
  std::memset(first.packet->geneve_options, 0xcd, kGeneveMaxLength);
  PacketAtEnd second(eth(0x1234));
  second.packet->md = tunnel_metadata(8);
  std::memset(second.packet->geneve_options, 0xee, kGeneveMaxLength);  // past 8: garbage

  PacketBatch batch;
  batch.add(first.packet);
  FlowKey key;
  key.clear();
  extract_keys(batch, &key, kMaxVlanTags);
  batch.clear();
  batch.add(second.packet);
  extract_keys(batch, &key, kMaxVlanTags);
  FlowKey k = expect_eth(0x1234, second.packet->md);
  std::memset(k.geneve_options, 0xee, 8);
  EXPECT_KEY(key, k);
}

TEST(KeyExtractMetadata, SingleExtractionWritesTheWholeOptionAreaOfFreshMemory) {
  PacketAtEnd holder(eth(0x1234));
  holder.packet->md = tunnel_metadata(4);
  std::memset(holder.packet->geneve_options, 0x31, kGeneveMaxLength);
  FlowKey key;
  std::memset(static_cast<void*>(&key), 0x77, sizeof key);
  key.md.tunnel.geneve_length = 0;  // garbage that looks like a valid key
  extract_key(*holder.packet, &key);
  FlowKey k = expect_eth(0x1234, holder.packet->md);
  std::memset(k.geneve_options, 0x31, 4);
  EXPECT_KEY(key, k);
}

TEST(KeyExtractMetadata, OutOfRangeLengthsAreContained) {
  // A packet claiming more option bytes than exist gets them clamped; a key
  // whose old length is impossible has its whole option area cleared.
  PacketAtEnd holder(eth(0x1234));
  holder.packet->md = tunnel_metadata(255);
  std::memset(holder.packet->geneve_options, 0x42, kGeneveMaxLength);
  FlowKey key;
  std::memset(static_cast<void*>(&key), 0x99, sizeof key);
  key.md.tunnel.geneve_length = 0xfe;  // no valid key has this
  extract_key(*holder.packet, &key);
  EXPECT_EQ(key.md.tunnel.geneve_length, kGeneveMaxLength);
  for (int i = 0; i < kGeneveMaxLength; ++i) ASSERT_EQ(key.geneve_options[i], 0x42) << i;
  EXPECT_EQ(key.pad_tail, 0u);

  holder.packet->md = port_metadata();
  extract_key(*holder.packet, &key);
  EXPECT_KEY(key, expect_eth(0x1234));
}

// ============================================================ batches and big frames

TEST(KeyExtractBatch, MatchesSinglePacketExtractionAndSetsOffsets) {
  Bytes frames[] = {
      cat({eth(ethertype::kIpv4), ipv4(ipproto::kUdp, udp(1, 2))}),
      cat({eth(ethertype::kVlan8021Q), wire16(7), wire16(ethertype::kIpv6),
           ipv6(ipproto::kTcp, tcp(1, 2, 0x18))}),
      cat({eth(ethertype::kArp), arp(2)}),
      cat({eth(ethertype::kIpv4), ipv4({.proto = ipproto::kIcmp, .frag_off = 0x2000}, icmp(0, 0))}),
      eth(0x1234),
  };
  PacketPool pool(8);
  PacketBatch batch;
  for (const Bytes& f : frames) {
    Packet* p = pool.allocate();
    ASSERT_TRUE(p->assign(f.data(), uint32_t(f.size())));
    p->md.in_port = uint32_t(batch.size() + 1);
    p->rss_hash = 0x5eed;
    batch.add(p);
  }
  std::vector<FlowKey> keys(batch.size());
  extract_keys(batch, keys.data(), kMaxVlanTags);
  for (size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(i);
    Extracted single = extract(frames[i], batch[i]->md);
    EXPECT_KEY(keys[i], single.key);
    EXPECT_EQ(batch[i]->l3_offset, single.l3);
    EXPECT_EQ(batch[i]->l4_offset, single.l4);
    EXPECT_EQ(batch[i]->l2_5_offset, single.l2_5);
    EXPECT_EQ(batch[i]->rss_hash, 0x5eedu) << "the RSS hash is not the parser's business";
  }
  PacketBatch empty;
  extract_keys(empty, keys.data(), kMaxVlanTags);  // nothing to do, nothing touched
}

TEST(KeyExtractBatch, ReusedKeysGiveWhatFreshKeysGive) {
  Bytes frames[] = {
      cat({eth(ethertype::kVlan8021Q), wire16(7), tag(ethertype::kVlan8021Q, 8),
           wire16(ethertype::kIpv6),
           ipv6(ipproto::kIcmpv6, nd(kNdNeighborAdvert, 1, nd_option(2, 1, kMacA)))}),
      cat({eth(ethertype::kArp), arp(2)}),
      cat({eth(ethertype::kMplsUnicast), wire32(1), wire32(2), wire32(3)}),
      cat({eth(ethertype::kNsh), nsh(0, 3, 9, 6, 1, 3, 0x101, kNshContext)}),
      cat({eth(ethertype::kIpv4), ipv4(ipproto::kTcp, tcp(1, 2, 0xfff))}),
  };
  std::vector<std::unique_ptr<PacketAtEnd>> packets;
  PacketBatch busy, plain;
  for (const Bytes& f : frames) {
    packets.push_back(std::make_unique<PacketAtEnd>(f));
    Packet* p = packets.back()->packet;
    p->md = tunnel_metadata(uint8_t(kGeneveMaxLength - 4 * busy.size()));
    std::memset(p->geneve_options, 0xc3, kGeneveMaxLength);
    busy.add(p);
  }
  // The same kinds of packet in another order, mostly without options.
  for (size_t i = 0; i < busy.size(); ++i) {
    packets.push_back(std::make_unique<PacketAtEnd>(frames[(i + 2) % busy.size()]));
    Packet* p = packets.back()->packet;
    p->md = i == 3 ? tunnel_metadata(12) : port_metadata(uint32_t(i));
    std::memset(p->geneve_options, 0x3c, kGeneveMaxLength);
    plain.add(p);
  }
  std::vector<FlowKey> keys(busy.size());
  extract_keys(busy, keys.data(), kMaxVlanTags);
  extract_keys(plain, keys.data(), kMaxVlanTags);
  for (size_t i = 0; i < plain.size(); ++i) {
    SCOPED_TRACE(i);
    FlowKey fresh;
    fresh.clear();
    extract_key(*plain[i], &fresh);
    EXPECT_KEY(keys[i], fresh);
  }
}

TEST(KeyExtractBatch, FramesBeyondSixteenBitOffsetsAreParsedWithinThem) {
  Bytes frame = cat({eth(ethertype::kIpv4), ipv4(ipproto::kUdp, udp(1, 2)), zeros(70000)});
  Extracted x = extract(frame);
  FlowKey k = expect_eth(ethertype::kIpv4);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 1, 2);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, 34);

  // An MPLS stack without bottom longer than 64 KiB stops where offsets end.
  Bytes stack = eth(ethertype::kMplsUnicast);
  stack.resize(14 + 70000, 0);
  x = extract(stack);
  EXPECT_EQ(x.l2_5, 14);
  EXPECT_EQ(x.l3, 14 + (Packet::kNoOffset - 1 - 14) / 4 * 4);
  EXPECT_EQ(x.l4, kNone);
}

}  // namespace
}  // namespace flowpath