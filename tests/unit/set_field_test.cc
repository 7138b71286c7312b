// set() and set_masked() on hand-built frames: byte-exact results and
// checksums checked against a full recomputation.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
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

// RFC 1624's update of a 16-bit one's complement checksum for one word.
uint16_t updated16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  return static_cast<uint16_t>(
      ~fold(static_cast<uint16_t>(~checksum) + static_cast<uint16_t>(~old_word) + new_word));
}

// As Open vSwitch's userspace datapath: an address change "updates" the
// TCP checksum's place in a later TCP fragment, which holds payload.
TEST_F(SetFieldTest, SetIpv4OnLaterTcpFragmentUpdatesWhereTcpsChecksumWouldBe) {
  Bytes in = cat({eth(0x0800), ipv4(6, tcp(1234, 80), "0a000001", "0a000002", 0x0010)});
  fill_checksums(in);
  Bytes out = run_one(in, Actions().set(odp::kKeyIpv4, ipv4_key(0x0a000001, 0x0a0000ff)));
  Layout l = layout(out);
  EXPECT_EQ(out[l.l3 + 19], 0xff);
  const uint16_t expected = updated16(updated16(get16(in, l.l4 + 16), 0x0a00, 0x0a00), 0x0002, 0x00ff);
  EXPECT_EQ(get16(out, l.l4 + 16), expected);
  Bytes rest_in = in, rest_out = out;
  put16(rest_in, l.l4 + 16, 0);
  put16(rest_out, l.l4 + 16, 0);
  EXPECT_EQ(Bytes(rest_out.begin() + l.l4, rest_out.end()),
            Bytes(rest_in.begin() + l.l4, rest_in.end()));
  EXPECT_EQ(fold(add_words(0, &out[l.l3], 20)), 0xffff);
}

// The L4 sets write whatever follows the IP header when it is long enough,
// whatever its protocol and in later fragments too, as Open vSwitch's
// userspace datapath does (its tests and flows can rely on it).
TEST_F(SetFieldTest, L4SetsWriteWhateverFollowsTheIpHeader) {
  const odp::KeyPorts ports{hton16(1), hton16(2)};
  // set(udp) on TCP: the ports, and UDP's checksum place (TCP's sequence
  // number's low half, 0x0001) updated for them.
  Bytes in = ipv4_tcp();
  Bytes out = run_one(in, Actions().set(odp::kKeyUdp, ports));
  Layout l = layout(out);
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("0001 0002"));
  EXPECT_EQ(get16(out, l.l4 + 6), updated16(updated16(0x0001, 1234, 1), 80, 2));
  // set(tcp) on UDP: only with 20 bytes and a TCP data offset that fits.
  EXPECT_EQ(run_one(ipv4_udp(), Actions().set(odp::kKeyTcp, ports)), ipv4_udp()) << "13 bytes";
  Bytes long_udp = cat({eth(0x0800), ipv4(17, udp(1234, 53, hex("00000000 50000000 00000000 abcd")))});
  fill_checksums(long_udp);
  out = run_one(long_udp, Actions().set(odp::kKeyTcp, ports));
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("0001 0002"));
  EXPECT_EQ(get16(out, l.l4 + 16), updated16(updated16(0x0000, 1234, 1), 53, 2));
  Bytes bad_offset = long_udp;
  bad_offset[l.l4 + 12] = 0x40;  // 16 bytes: less than a TCP header
  EXPECT_EQ(run_one(bad_offset, Actions().set(odp::kKeyTcp, ports)), bad_offset);
  // set(sctp) on TCP: the ports, and a CRC32c in TCP's acknowledgement
  // number that keeps its error against the bytes after it.
  out = run_one(in, Actions().set(odp::kKeySctp, ports));
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("0001 0002"));
  auto crc_error = [&](Bytes f) {
    uint32_t stored = static_cast<uint32_t>(f[l.l4 + 8]) | f[l.l4 + 9] << 8 | f[l.l4 + 10] << 16 |
                      static_cast<uint32_t>(f[l.l4 + 11]) << 24;
    std::memset(&f[l.l4 + 8], 0, 4);
    return stored ^ reference_crc32c(&f[l.l4], f.size() - l.l4);
  };
  EXPECT_EQ(crc_error(out), crc_error(in));
  // A later fragment's data is written too.
  Bytes later = cat({eth(0x0800), ipv4(17, udp(1234, 53), "0a000001", "0a000002", 0x0010)});
  out = run_one(later, Actions().set(odp::kKeyUdp, ports));
  EXPECT_EQ(Bytes(out.begin() + l.l4, out.begin() + l.l4 + 4), hex("0001 0002"));
  // An IPv6 later fragment: after its fragment header.
  Bytes later6 = cat({eth(0x86dd), ipv6(44, cat({hex("11 00 0008 00000001"), udp(1234, 53)}))});
  out = run_one(later6, Actions().set(odp::kKeyUdp, ports));
  EXPECT_EQ(Bytes(out.begin() + 14 + 48, out.begin() + 14 + 52), hex("0001 0002"));
}

// Open vSwitch updates no transport checksum for an IPv6 address change
// behind a fragment header, unless it is a first fragment with more to come.
TEST_F(SetFieldTest, SetIpv6AddressBehindAFragmentHeader) {
  odp::KeyIpv6 key{}, mask{};
  copy_hex(key.src, "20010db8000000000000000000000001");
  std::memset(mask.src, 0xff, 16);
  for (const char* offset_flags : {"0000", "0001"}) {  // atomic fragment, first of several
    Bytes in = cat({eth(0x86dd), ipv6(44, cat({hex("06 00"), hex(offset_flags), hex("00000001"),
                                               tcp(1234, 80)}))});
    const size_t checksum_at = 14 + 48 + 16;
    put16(in, checksum_at, 0x1234);
    Bytes out = run_one(in, Actions().set_masked(odp::kKeyIpv6, key, mask));
    if (std::string(offset_flags) == "0000")
      EXPECT_EQ(get16(out, checksum_at), 0x1234) << "atomic fragment: left alone";
    else
      EXPECT_NE(get16(out, checksum_at), 0x1234) << "first fragment: updated";
  }
}

TEST_F(SetFieldTest, IpSetsOnPacketsWithoutThatHeaderChangeNothing) {
  Bytes arp =
      cat({eth(0x0806), hex("0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a000002")});
  EXPECT_EQ(run_one(arp, Actions().set(odp::kKeyIpv4, ipv4_key(1, 2))), arp);
  odp::KeyIpv6 v6{};
  EXPECT_EQ(run_one(ipv4_tcp(), Actions().set(odp::kKeyIpv6, v6)), ipv4_tcp());
  odp::KeyPorts ports{hton16(1), hton16(2)};
  EXPECT_EQ(run_one(arp, Actions().set(odp::kKeyTcp, ports)), arp);
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
  // As in Open vSwitch, an ICMPv6 key writes ICMP too (and the other way
  // round): the set names bytes after the IP header, not a protocol.
  out = run_one(in, Actions().set(odp::kKeyIcmpv6, odp::KeyIcmp{1, 1}));
  EXPECT_EQ(get16(out, l.l4), 0x0101);
  expect_valid_checksums(out);
  // Fewer than 8 bytes after the IP header: left alone.
  Bytes short_icmp = cat({eth(0x0800), ipv4(1, hex("0800 0000 1234"))});
  EXPECT_EQ(run_one(short_icmp, Actions().set(odp::kKeyIcmp, odp::KeyIcmp{0, 0})), short_icmp);
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
  // As Open vSwitch: the ICMPv6 type is not looked at (an earlier set may
  // have changed it), only the message's length.
  Bytes retyped = neighbor_solicitation();
  retyped[l.l4] = 0x4a;
  out = run_one(retyped, Actions().set(odp::kKeyNd, key));
  EXPECT_EQ(Bytes(out.begin() + l.l4 + 8, out.end()),
            hex("20010db8000000000000000000000077 01 01 0a0b0c0d0e0f"));
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
