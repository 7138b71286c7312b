// set() and set_masked() on hand-built frames: byte-exact results and
// checksums checked against a full recomputation.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "action_test_support.h"

namespace flowpath::action_test {
namespace {

class SetFieldTest : public ActionExecuteTest {};

// ================================================================ set: L2, IPv4

TEST_F(SetFieldTest, SetEthernetAddresses) {
  odp::KeyEthernet key;
  copy_hex(key.src, "aaaaaaaaaaaa");
  copy_hex(key.dst, "bbbbbbbbbbbb");
  EXPECT_EQ(run_one(kUdpFrame, Actions().set(odp::kKeyEthernet, key)),
            cat({hex("bbbbbbbbbbbb aaaaaaaaaaaa 0800"), kUdpFrameIp}));
}

TEST_F(SetFieldTest, SetMaskedEthernetChangesOnlyMaskedBits) {
  odp::KeyEthernet key{}, mask{};
  copy_hex(key.dst, "0000000000f0");
  copy_hex(mask.dst, "0000000000f0");
  EXPECT_EQ(run_one(kUdpFrame, Actions().set_masked(odp::kKeyEthernet, key, mask)),
            cat({hex("0000000000f2 000000000001 0800"), kUdpFrameIp}));
}

TEST_F(SetFieldTest, SetIpv4AddressesUpdatesHeaderChecksumByteExact) {
  Bytes out = run_one(kUdpFrame, Actions().set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0xc0a80101)));
  EXPECT_EQ(out, hex("000000000002 000000000001 0800"
                     "4500001c 00010000 4011 af26 0a000001 c0a80101"
                     "04d2 0050 0008 0000"));  // UDP checksum 0 stays 0
}

TEST_F(SetFieldTest, SetIpv4TosAndTtl) {
  odp::KeyIpv4 key{}, mask{};
  key.tos = 0xb8;
  mask.tos = 0xff;
  key.ttl = 63;
  mask.ttl = 0xff;
  EXPECT_EQ(run_one(kUdpFrame, Actions().set_masked(odp::kKeyIpv4, key, mask)),
            hex("000000000002 000000000001 0800"
                "45b8001c 00010000 3f11 6716 0a000001 0a000002"
                "04d2 0050 0008 0000"));
}

TEST_F(SetFieldTest, SetMaskedIpv4DstKeepsUnmaskedBits) {
  odp::KeyIpv4 key{}, mask{};
  key.dst = hton32(0xc0a80000);
  mask.dst = hton32(0xffff0000);
  Bytes out = run_one(ipv4_tcp(), Actions().set_masked(odp::kKeyIpv4, key, mask));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l3 + 16, out.begin() + l.l3 + 20), hex("c0a80002"));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetIpv4AddressesFixesTcpChecksum) {
  Bytes in = ipv4_tcp();
  Bytes out = run_one(in, Actions().set(odp::kKeyIpv4, ipv4_key(0xac100001, 0x08080808, 0, 64)));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l3 + 12, out.begin() + l.l3 + 20), hex("ac100001 08080808"));
  EXPECT_NE(get16(out, l.l4 + 16), get16(in, l.l4 + 16));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetIpv4AddressesFixesUdpChecksum) {
  Bytes out = run_one(ipv4_udp(), Actions().set(odp::kKeyIpv4, ipv4_key(0x01020304, 0x05060708)));
  expect_valid_checksums(out);
  EXPECT_NE(get16(out, layout(out).l4 + 6), 0);
}

TEST_F(SetFieldTest, ZeroUdpChecksumStaysZero) {
  Bytes in = ipv4_udp(false);
  Bytes out = run_one(in, Actions().set(odp::kKeyIpv4, ipv4_key(0x01020304, 0x05060708)));
  EXPECT_EQ(get16(out, layout(out).l4 + 6), 0);
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, UdpChecksumThatUpdatesToZeroIsSentAsFfff) {
  // Choose the payload so that after the rewrite the checksum computes to 0:
  // with the new address, add a word equal to the checksum it would have.
  Bytes target = cat({eth(0x0800), ipv4(17, udp(1234, 53, hex("0000")), "0a000001", "0b0b0b0b")});
  fill_checksums(target);
  uint16_t word = get16(target, layout(target).l4 + 6);
  ASSERT_NE(word, 0xffff);
  Bytes data = {static_cast<uint8_t>(word >> 8), static_cast<uint8_t>(word)};
  Bytes in = cat({eth(0x0800), ipv4(17, udp(1234, 53, data))});
  fill_checksums(in);
  Bytes out = run_one(in, Actions().set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0x0b0b0b0b)));
  EXPECT_EQ(get16(out, layout(out).l4 + 6), 0xffff);
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetIpv4OnLaterFragmentLeavesPayloadAlone) {
  Bytes in = cat({eth(0x0800), ipv4(6, tcp(1234, 80), "0a000001", "0a000002", 0x0010)});
  fill_checksums(in);
  Bytes out = run_one(in, Actions().set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0x0a0000ff)));
  Layout l = layout(out);
  EXPECT_EQ(out[l.l3 + 19], 0xff);
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.end()), Bytes(in.begin() + l.l4, in.end()));
  EXPECT_EQ(fold(add_words(0, &out[l.l3], 20)), 0xffff);
}

TEST_F(SetFieldTest, IpSetsOnPacketsWithoutThatHeaderChangeNothing) {
  Bytes arp =
      cat({eth(0x0806), hex("0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a000002")});
  EXPECT_EQ(run_one(arp, Actions().set(odp::kKeyIpv4, ipv4_key(1, 2))), arp);
  odp::KeyIpv6 v6{};
  EXPECT_EQ(run_one(ipv4_tcp(), Actions().set(odp::kKeyIpv6, v6)), ipv4_tcp());
  odp::KeyPorts ports{hton16(1), hton16(2)};
  EXPECT_EQ(run_one(ipv4_udp(), Actions().set(odp::kKeyTcp, ports)), ipv4_udp());
  EXPECT_EQ(run_one(ipv4_tcp(), Actions().set(odp::kKeyUdp, ports)), ipv4_tcp());
  EXPECT_EQ(run_one(ipv4_tcp(), Actions().set(odp::kKeySctp, ports)), ipv4_tcp());
  EXPECT_EQ(run_one(ipv4_tcp(), Actions().set(odp::kKeyMpls, hton32(0x12345140))), ipv4_tcp());
  // No Ethernet header on an L3 packet: set(eth) is skipped.
  odp::KeyEthernet eth_key{};
  EXPECT_EQ(run_one(kUdpFrameIp, Actions().set(odp::kKeyEthernet, eth_key), l3_type(0x0800)),
            kUdpFrameIp);
}

// ================================================================ set: IPv6

TEST_F(SetFieldTest, SetIpv6AddressesFixesTcpAndUdpChecksums) {
  odp::KeyIpv6 key{}, mask{};
  copy_hex(key.src, "20010db8000000000000000000000001");
  copy_hex(key.dst, "20010db8000000000000000000000099");
  std::memset(mask.src, 0xff, 16);
  std::memset(mask.dst, 0xff, 16);
  for (const Bytes& in : {ipv6_tcp(), ipv6_udp()}) {
    Bytes out = run_one(in, Actions().set_masked(odp::kKeyIpv6, key, mask));
    Layout l = layout(out);
    EXPECT_EQ(Bytes(out.begin() + l.l3 + 8, out.begin() + l.l3 + 40),
              hex("20010db8000000000000000000000001 20010db8000000000000000000000099"));
    EXPECT_EQ(Bytes(out.begin() + l.l3, out.begin() + l.l3 + 8),
              Bytes(in.begin() + l.l3, in.begin() + l.l3 + 8));
    expect_valid_checksums(out);
  }
}

TEST_F(SetFieldTest, SetIpv6TrafficClassLabelAndHopLimit) {
  odp::KeyIpv6 key{}, mask{};
  key.tclass = 0x2e;
  mask.tclass = 0xff;
  key.label = hton32(0x12345);
  mask.label = hton32(0xfffff);
  key.hlimit = 7;
  mask.hlimit = 0xff;
  Bytes in = ipv6_udp();
  Bytes out = run_one(in, Actions().set_masked(odp::kKeyIpv6, key, mask));
  Bytes expected = in;
  std::memcpy(&expected[14], hex("62e12345").data(), 4);
  expected[14 + 7] = 7;
  EXPECT_EQ(out, expected);
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, PlainSetIpv6SetsOnlyTheLabelBitsOfItsWord) {
  odp::KeyIpv6 key{};
  copy_hex(key.src, "fe800000000000000000000000000001");
  copy_hex(key.dst, "fe800000000000000000000000000002");
  key.label = hton32(0xffffffff);  // bits above the 20-bit label are not the label's
  key.hlimit = 64;
  Bytes out = run_one(ipv6_tcp(), Actions().set(odp::kKeyIpv6, key));
  EXPECT_EQ(Bytes(out.begin() + 14, out.begin() + 18), hex("600fffff"));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetIpv6SourceFixesIcmpv6Checksum) {
  Bytes in = cat({eth(0x86dd), ipv6(58, hex("8000 0000 1234 0001 6162636465"))});  // echo request
  fill_checksums(in);
  odp::KeyIpv6 key{}, mask{};
  copy_hex(key.src, "fd000000000000000000000000000042");
  std::memset(mask.src, 0xff, 16);
  Bytes out = run_one(in, Actions().set_masked(odp::kKeyIpv6, key, mask));
  EXPECT_NE(out, in);
  expect_valid_checksums(out);
}

// ================================================================ set: transport

TEST_F(SetFieldTest, SetTcpPortsFixesChecksum) {
  for (const Bytes& in : {ipv4_tcp(), ipv6_tcp()}) {
    Bytes out = run_one(in, Actions().set(odp::kKeyTcp, odp::KeyPorts{hton16(4321), hton16(8080)}));
    Layout l = layout(out);
    EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("10e1 1f90"));
    expect_valid_checksums(out);
  }
}

TEST_F(SetFieldTest, SetMaskedTcpDestinationPortOnly) {
  Bytes out = run_one(ipv4_tcp(), Actions().set_masked(odp::kKeyTcp, odp::KeyPorts{0, hton16(443)},
                                                       odp::KeyPorts{0, 0xffff}));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("04d2 01bb"));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetUdpPortsFixesOrKeepsNoChecksum) {
  for (const Bytes& in : {ipv4_udp(), ipv6_udp(), ipv4_udp(false)}) {
    Bytes out = run_one(in, Actions().set(odp::kKeyUdp, odp::KeyPorts{hton16(5000), hton16(6000)}));
    Layout l = layout(out);
    EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("1388 1770"));
    EXPECT_EQ(get16(out, l.l4 + 6) == 0, get16(in, l.l4 + 6) == 0);
    expect_valid_checksums(out);
  }
}

TEST_F(SetFieldTest, SetSctpPortsRecomputesCrc32c) {
  for (uint16_t type : {0x0800, 0x86dd}) {
    Bytes in = type == 0x0800 ? cat({eth(type), ipv4(132, sctp(3868, 3868))})
                              : cat({eth(type), ipv6(132, sctp(3868, 3868))});
    fill_checksums(in);
    Bytes out = run_one(in, Actions().set(odp::kKeySctp, odp::KeyPorts{hton16(1), hton16(2)}));
    Layout l = layout(out);
    EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("0001 0002"));
    expect_valid_checksums(out);
  }
}

TEST_F(SetFieldTest, SetIcmpTypeAndCode) {
  Bytes in = cat({eth(0x0800), ipv4(1, hex("0800 0000 1234 0001 6162636465"))});
  fill_checksums(in);
  Bytes out = run_one(in, Actions().set(odp::kKeyIcmp, odp::KeyIcmp{0, 0}));  // echo reply
  Layout l = layout(out);
  EXPECT_EQ(out[l.l4], 0);
  expect_valid_checksums(out);
  // ICMPv6 keys do not apply to ICMP.
  EXPECT_EQ(run_one(in, Actions().set(odp::kKeyIcmpv6, odp::KeyIcmp{1, 1})), in);
}

// ================================================================ set: ND, ARP, MPLS, metadata

Bytes neighbor_solicitation() {
  Bytes f = cat({eth(0x86dd), ipv6(58, hex("8700 0000 00000000 fe800000000000000000000000000002"
                                           "01 01 000000000001"))});
  fill_checksums(f);
  return f;
}
Bytes neighbor_advertisement() {
  Bytes f = cat({eth(0x86dd), ipv6(58, hex("8800 0000 60000000 fe800000000000000000000000000002"
                                           "02 01 000000000002"))});
  fill_checksums(f);
  return f;
}

TEST_F(SetFieldTest, SetNdTargetAndSourceLinkAddress) {
  odp::KeyNd key;
  copy_hex(key.target, "20010db8000000000000000000000077");
  copy_hex(key.sll, "0a0b0c0d0e0f");
  copy_hex(key.tll, "111111111111");
  Bytes out = run_one(neighbor_solicitation(), Actions().set(odp::kKeyNd, key));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l4 + 8, out.end()),
            hex("20010db8000000000000000000000077 01 01 0a0b0c0d0e0f"));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetMaskedNdTargetLinkAddress) {
  odp::KeyNd key{}, mask{};
  copy_hex(key.tll, "00000000ab00");
  copy_hex(mask.tll, "00000000ff00");
  Bytes in = neighbor_advertisement();
  Bytes out = run_one(in, Actions().set_masked(odp::kKeyNd, key, mask));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l4 + 24, out.end()), hex("02 01 00000000ab02"));
  EXPECT_EQ(Bytes(out.begin() + l.l4 + 8, out.begin() + l.l4 + 24),
            Bytes(in.begin() + l.l4 + 8, in.begin() + l.l4 + 24));
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetNdExtensions) {
  odp::KeyNdExtensions key{hton32(0xa0000000), 2, {}};
  Bytes out = run_one(neighbor_solicitation(), Actions().set(odp::kKeyNdExtensions, key));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l4 + 4, out.begin() + l.l4 + 8), hex("a0000000"));
  EXPECT_EQ(out[l.l4 + 24], 2);
  expect_valid_checksums(out);
}

TEST_F(SetFieldTest, SetArpFields) {
  Bytes arp =
      cat({eth(0x0806), hex("0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a000002")});
  odp::KeyArp key{}, mask{};
  key.op = hton16(2);
  mask.op = 0xffff;
  key.tip = hton32(0x0a0000fe);
  mask.tip = 0xffffffff;
  copy_hex(key.tha, "cafecafecafe");
  std::memset(mask.tha, 0xff, 6);
  EXPECT_EQ(
      run_one(arp, Actions().set_masked(odp::kKeyArp, key, mask)),
      cat({eth(0x0806), hex("0001 0800 06 04 0002 000000000001 0a000001 cafecafecafe 0a0000fe")}));
}

TEST_F(SetFieldTest, SetMplsLabelStackEntry) {
  Bytes mpls = cat({eth(0x8847), hex("00064140"), kUdpFrameIp});
  EXPECT_EQ(
      run_one(mpls, Actions().set_masked(odp::kKeyMpls, hton32(0x000c8000), hton32(0xfffff000))),
      cat({eth(0x8847), hex("000c8140"), kUdpFrameIp}));
}

TEST_F(SetFieldTest, SetMetadataAndSkipUnsettableFields) {
  Actions actions;
  actions.set(odp::kKeyPriority, uint32_t{7})
      .set_masked(odp::kKeySkbMark, uint32_t{0xab00}, uint32_t{0xff00})
      .set(odp::kKeyDpHash, uint32_t{0x55})
      .set(odp::kKeyRecircId, uint32_t{9})
      .set(odp::kKeyCtState, uint32_t{odp::kCsTracked})
      .set(odp::kKeyInPort, uint32_t{99})
      .output(1);
  Packet* p = packet(kUdpFrame);
  p->md.skb_mark = 0x12345678;
  run({p}, actions);
  ASSERT_EQ(ctx.sent.size(), 1u);
  const PacketMetadata& md = ctx.sent[0].md;
  EXPECT_EQ(md.skb_priority, 7u);
  EXPECT_EQ(md.skb_mark, 0x1234ab78u);
  EXPECT_EQ(md.dp_hash, 0x55u);
  EXPECT_EQ(md.recirc_id, 9u);
  EXPECT_EQ(md.ct_state, 0u);
  EXPECT_EQ(md.in_port, 1u);
  EXPECT_EQ(ctx.sent[0].bytes, kUdpFrame);
}

TEST_F(SetFieldTest, SetTunnelReplacesTunnelMetadata) {
  Bytes geneve = hex("0102 80 01 0000abcd");
  Attributes tunnel;
  tunnel.put(odp::kTunnelId, hton64(0x1234))
      .put(odp::kTunnelIpv4Dst, hton32(0xc0a80001))
      .put(odp::kTunnelIpv4Src, hton32(0xc0a80002))
      .put(odp::kTunnelTtl, uint8_t{64})
      .flag(odp::kTunnelDontFragment)
      .put(odp::kTunnelTpDst, hton16(6081))
      .put_bytes(odp::kTunnelGeneveOpts, geneve);
  Packet* p = packet(kUdpFrame);
  p->md.tunnel.tos = 9;  // replaced, not merged
  run({p}, Actions()
               .raw_nested(odp::kActionSet,
                           Attributes().put_bytes(odp::kKeyTunnel, tunnel.bytes()).bytes())
               .output(1));
  ASSERT_EQ(ctx.sent.size(), 1u);
  const TunnelMetadata& t = ctx.sent[0].md.tunnel;
  EXPECT_EQ(t.tun_id, hton64(0x1234));
  EXPECT_EQ(t.ipv4_dst, hton32(0xc0a80001));
  EXPECT_EQ(t.ipv4_src, hton32(0xc0a80002));
  EXPECT_EQ(t.ttl, 64);
  EXPECT_EQ(t.tos, 0);
  EXPECT_EQ(t.tp_dst, hton16(6081));
  EXPECT_EQ(t.flags, kTunnelFlagKey | kTunnelFlagDontFragment);
  EXPECT_EQ(t.geneve_length, geneve.size());
}

}  // namespace
}  // namespace flowpath::action_test
