// Key extraction of IPv4, IPv6 with its extension headers, their transport
// headers and Neighbor Discovery: exact keys and offsets, and cut or
// malformed variants of every header. Frames end exactly where their pool's
// memory ends, so a read past packet.size() is a heap overflow that ASan
// (-DFLOWPATH_SANITIZE=ON) or valgrind reports.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "flow/key_extract.h"
#include "key_test_support.h"
#include "packet/packet_pool.h"

namespace flowpath {
namespace {

using namespace test;  // NOLINT: the frame builders read as a small language

// ============================================================ IPv4

TEST(KeyExtractIpv4, UdpTcpSctpIcmpExact) {
  struct Case {
    uint8_t proto;
    Bytes l4;
    uint16_t src, dst, flags;
  } cases[] = {
      {ipproto::kUdp, udp(53000, 53), 53000, 53, 0},
      {ipproto::kTcp, tcp(40000, 443, 0x1ff), 40000, 443, 0x1ff},
      {ipproto::kTcp, tcp(40000, 443, 0xfff, 15), 40000, 443, 0xfff},  // all 12 flag bits
      {ipproto::kSctp, sctp(3868, 2905), 3868, 2905, 0},
      {ipproto::kIcmp, icmp(8, 0), 8, 0, 0},
      {ipproto::kIcmp, icmp(3, 13), 3, 13, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(int(c.proto));
    Extracted x = extract(
        cat({eth(ethertype::kIpv4), ipv4({.proto = c.proto, .tos = 0xb9, .ttl = 3}, c.l4)}));
    FlowKey k = expect_eth(ethertype::kIpv4);
    set_ipv4(k, c.proto, 0xb9, 3);
    set_ports(k, c.src, c.dst);
    k.tcp_flags = hton16(c.flags);
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, 34);
  }
}

TEST(KeyExtractIpv4, OptionsAreSkippedAndUnknownProtocolsHaveNoPorts) {
  Extracted x =
      extract(cat({eth(ethertype::kIpv4), ipv4({.proto = ipproto::kUdp, .ihl = 7}, udp(5, 6))}));
  FlowKey k = expect_eth(ethertype::kIpv4);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 5, 6);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, 42);

  for (uint8_t proto : {ipproto::kGre, ipproto::kIgmp, ipproto::kIcmpv6, uint8_t{253}}) {
    x = extract(cat({eth(ethertype::kIpv4), ipv4(proto, filler(24))}));
    k = expect_eth(ethertype::kIpv4);
    set_ipv4(k, proto);
    EXPECT_KEY(x.key, k);  // ICMPv6 inside IPv4 and IGMP have no ODP fields
    EXPECT_OFFSETS(x, kNone, 14, 34);
  }
}

TEST(KeyExtractIpv4, VersionNibbleIsNotChecked) {
  Extracted x = extract(
      cat({eth(ethertype::kIpv4), ipv4({.proto = ipproto::kUdp, .version = 6}, udp(1, 2))}));
  FlowKey k = expect_eth(ethertype::kIpv4);
  set_ipv4(k, ipproto::kUdp);
  set_ports(k, 1, 2);
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractIpv4, Fragments) {
  struct Case {
    uint16_t frag_off;
    uint8_t frag;
  } cases[] = {
      {kIpv4DontFragment, 0},
      {kIpv4MoreFragments, kFragAny},                     // first
      {kIpv4MoreFragments | 100, kFragAny | kFragLater},  // middle
      {185, kFragAny | kFragLater},                       // last
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.frag_off);
    Extracted x =
        extract(cat({eth(ethertype::kIpv4),
                     ipv4({.proto = ipproto::kTcp, .frag_off = c.frag_off}, tcp(80, 8080, 0x10))}));
    FlowKey k = expect_eth(ethertype::kIpv4);
    set_ipv4(k, ipproto::kTcp, 0, 64, c.frag);
    if (!(c.frag & kFragLater)) {  // later fragments carry no transport header
      set_ports(k, 80, 8080);
      k.tcp_flags = hton16(0x10);
    }
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, 34);
  }
}

TEST(KeyExtractIpv4, BadHeaderOrTotalLengthLeavesOnlyEthernet) {
  Bytes l4 = udp(1, 2);
  Bytes bad[] = {
      ipv4({.ihl = 4}, l4),                    // IHL below 5
      ipv4({.ihl = 0}, l4),                    //
      ipv4({.total_len = 19}, l4),             // total length below the header
      ipv4({.ihl = 6, .total_len = 20}, l4),   // total length below IHL
      ipv4({.total_len = 29}, l4),             // total length past the frame
      ipv4({.ihl = 15, .total_len = 28}, l4),  // IHL past the total length and frame
  };
  for (const Bytes& ip : bad) {
    SCOPED_TRACE(hex(ip.data(), 4));
    Extracted x = extract(cat({eth(ethertype::kIpv4), ip}));
    EXPECT_KEY(x.key, expect_eth(ethertype::kIpv4));
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

TEST(KeyExtractIpv4, FrameCutAnywhereInsideTheDatagramLeavesOnlyEthernet) {
  Bytes frame = cat({eth(ethertype::kIpv4), ipv4(ipproto::kTcp, tcp(1, 2, 0x2))});
  for (size_t n = 14; n < frame.size(); ++n) {
    SCOPED_TRACE(n);
    Extracted x = extract(cut(frame, n));
    EXPECT_KEY(x.key, expect_eth(ethertype::kIpv4));
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

TEST(KeyExtractIpv4, ShortTransportHeaderKeepsProtocolWithZeroPorts) {
  struct Case {
    uint8_t proto;
    Bytes l4;
  } cases[] = {{ipproto::kUdp, udp(1, 2)},
               {ipproto::kTcp, tcp(1, 2, 0x2)},
               {ipproto::kSctp, sctp(1, 2)},
               {ipproto::kIcmp, icmp(8, 0)}};
  for (const Case& c : cases) {
    for (size_t n = 0; n < c.l4.size(); ++n) {
      SCOPED_TRACE(testing::Message() << int(c.proto) << " cut at " << n);
      // The datagram is short, the frame carries Ethernet padding after it.
      Extracted x =
          extract(cat({eth(ethertype::kIpv4), ipv4(c.proto, cut(c.l4, n)), filler(40, 0x77)}));
      FlowKey k = expect_eth(ethertype::kIpv4);
      set_ipv4(k, c.proto);
      EXPECT_KEY(x.key, k);
      EXPECT_OFFSETS(x, kNone, 14, 34);
    }
  }
}

TEST(KeyExtractIpv4, BadTcpDataOffsetLeavesPortsZero) {
  for (uint8_t offset : {0, 4, 6, 15}) {  // 6 and 15 point past the datagram
    Bytes segment = tcp(1, 2, 0x2);
    segment[12] = uint8_t(offset << 4);
    Extracted x = extract(cat({eth(ethertype::kIpv4), ipv4(ipproto::kTcp, segment), zeros(60)}));
    FlowKey k = expect_eth(ethertype::kIpv4);
    set_ipv4(k, ipproto::kTcp);
    EXPECT_KEY(x.key, k);
  }
}

// ============================================================ IPv6

TEST(KeyExtractIpv6, ClassLabelAndTransports) {
  struct Case {
    uint8_t proto;
    Bytes l4;
    uint16_t src, dst, flags;
  } cases[] = {
      {ipproto::kTcp, tcp(50000, 22, 0x002), 50000, 22, 0x002},
      {ipproto::kUdp, udp(546, 547), 546, 547, 0},
      {ipproto::kSctp, sctp(9, 10), 9, 10, 0},
      {ipproto::kIcmpv6, icmp(128, 0), 128, 0, 0},
      {ipproto::kIcmp, icmp(8, 0), 0, 0, 0},  // ICMPv4 inside IPv6 has no fields
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(int(c.proto));
    Extracted x = extract(cat({eth(ethertype::kIpv6), ipv6(c.proto, c.l4, 0x6abcdef1, 7)}));
    FlowKey k = expect_eth(ethertype::kIpv6);
    set_ipv6(k, c.proto, 0xab, 0xcdef1, 7);
    set_ports(k, c.src, c.dst);
    k.tcp_flags = hton16(c.flags);
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, 54);
  }
}

TEST(KeyExtractIpv6, ExtensionHeadersAreSkipped) {
  Bytes chain = cat({ipv6_ext(ipproto::kRouting, 1), ipv6_ext(ipproto::kAuth, 0),
                     ipv6_auth(ipproto::kFragment, 4), ipv6_fragment(ipproto::kDstOpts, 0),
                     ipv6_ext(ipproto::kUdp, 2), udp(7, 8)});
  Extracted x = extract(cat({eth(ethertype::kIpv6), ipv6(ipproto::kHopByHop, chain)}));
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6(k, ipproto::kUdp);  // an atomic fragment header (offset 0, M 0) is no fragment
  set_ports(k, 7, 8);
  EXPECT_KEY(x.key, k);
  uint16_t l4 = uint16_t(54 + 16 + 8 + 24 + 8 + 24);
  EXPECT_OFFSETS(x, kNone, 14, l4);
}

TEST(KeyExtractIpv6, Fragments) {
  // First fragment: transport parsed.
  Extracted x =
      extract(cat({eth(ethertype::kIpv6),
                   ipv6(ipproto::kFragment,
                        cat({ipv6_fragment(ipproto::kUdp, 0x0001), udp(9, 9), filler(16)}))}));
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6(k, ipproto::kUdp, 0, 0, 64, kFragAny);
  set_ports(k, 9, 9);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, 62);

  // Later fragments: the protocol is the fragment header's, nothing after it is read.
  for (uint16_t offset_flags : {0x0018, 0x0019}) {
    x = extract(cat(
        {eth(ethertype::kIpv6),
         ipv6(ipproto::kFragment, cat({ipv6_fragment(ipproto::kUdp, offset_flags), udp(9, 9)}))}));
    k = expect_eth(ethertype::kIpv6);
    set_ipv6(k, ipproto::kFragment, 0, 0, 64, kFragAny | kFragLater);
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, 62);
  }
}

TEST(KeyExtractIpv6, CutExtensionHeaderKeepsOnlyTheAddresses) {
  Bytes chains[] = {
      cut(ipv6_ext(ipproto::kUdp, 0), 7),       // under 8 bytes
      cut(ipv6_ext(ipproto::kUdp, 3), 16),      // says 32 bytes
      cut(ipv6_fragment(ipproto::kUdp, 0), 6),  // under 8 bytes
  };
  uint8_t first[] = {ipproto::kHopByHop, ipproto::kDstOpts, ipproto::kFragment};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    Extracted x = extract(cat({eth(ethertype::kIpv6), ipv6(first[i], chains[i])}));
    FlowKey k = expect_eth(ethertype::kIpv6);
    set_ipv6_addresses(k);
    EXPECT_KEY(x.key, k);
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
  // AH whose length points past the payload.
  Extracted x = extract(
      cat({eth(ethertype::kIpv6), ipv6(ipproto::kAuth, {ipproto::kUdp, 9, 0, 0, 0, 0, 0, 0})}));
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6_addresses(k);
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractIpv6, PayloadLengthPastTheFrameOrCutHeaderLeavesOnlyEthernet) {
  Bytes frame = cat({eth(ethertype::kIpv6), ipv6(ipproto::kUdp, udp(1, 2))});
  for (size_t n = 14; n < frame.size(); ++n) {
    SCOPED_TRACE(n);
    Extracted x = extract(cut(frame, n));
    EXPECT_KEY(x.key, expect_eth(ethertype::kIpv6));
    EXPECT_OFFSETS(x, kNone, 14, kNone);
  }
}

TEST(KeyExtractIpv6, PaddingAfterThePayloadIsNotParsed) {
  // Payload length 4 says the UDP header is cut; the padding must not complete it.
  Extracted x = extract(
      cat({eth(ethertype::kIpv6), ipv6(ipproto::kUdp, cut(udp(1, 2), 4)), filler(20, 0x11)}));
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6(k, ipproto::kUdp);
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, 54);
}

// ============================================================ Neighbor Discovery

FlowKey expect_nd(uint8_t type, uint32_t reserved) {
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6(k, ipproto::kIcmpv6, 0, 0, 255);
  set_ports(k, type, 0);
  k.nd_reserved = hton32(reserved);
  return k;
}
Extracted extract_nd(const Bytes& message) {
  return extract(cat({eth(ethertype::kIpv6), ipv6(ipproto::kIcmpv6, message, 0x60000000, 255)}));
}

TEST(KeyExtractNd, SolicitationWithSourceAddress) {
  Extracted x = extract_nd(nd(kNdNeighborSolicit, 0, nd_option(kNdOptSourceLinkAddr, 1, kMacA)));
  FlowKey k = expect_nd(kNdNeighborSolicit, 0);
  std::memcpy(k.nd_target, kIp6T.data(), 16);
  set_mac(k.nd_sll, kMacA);
  k.nd_options_type = kNdOptSourceLinkAddr;
  EXPECT_KEY(x.key, k);
  EXPECT_OFFSETS(x, kNone, 14, 54);
}

TEST(KeyExtractNd, AdvertisementFlagsBothAddressesAndUnknownOptions) {
  Bytes options = cat({nd_option(3, 4, kMacB), nd_option(kNdOptTargetLinkAddr, 1, kMacB),
                       nd_option(kNdOptSourceLinkAddr, 1, kMacA),
                       nd_option(kNdOptSourceLinkAddr, 2, kMacB)});  // 16 bytes: ignored
  Extracted x = extract_nd(nd(kNdNeighborAdvert, 0x60000000, options));
  FlowKey k = expect_nd(kNdNeighborAdvert, 0x60000000);
  std::memcpy(k.nd_target, kIp6T.data(), 16);
  set_mac(k.nd_sll, kMacA);
  set_mac(k.nd_tll, kMacB);
  k.nd_options_type = kNdOptTargetLinkAddr;  // the first one taken
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractNd, CutMessageKeepsTypeCodeAndReserved) {
  Bytes message = nd(kNdNeighborSolicit, 0x12345678);
  for (size_t n = 0; n < message.size(); ++n) {
    SCOPED_TRACE(n);
    Extracted x = extract_nd(cut(message, n));
    FlowKey k;
    if (n < 8) {  // not even an ICMPv6 header: no L4 fields
      k = expect_eth(ethertype::kIpv6);
      set_ipv6(k, ipproto::kIcmpv6, 0, 0, 255);
    } else {  // target cut: no target
      k = expect_nd(kNdNeighborSolicit, 0x12345678);
    }
    EXPECT_KEY(x.key, k);
  }
}

TEST(KeyExtractNd, BadOptionLengthsStopWithWhatWasFound) {
  Bytes sll = nd_option(kNdOptSourceLinkAddr, 1, kMacA);
  Bytes zero_length = {kNdOptTargetLinkAddr, 0, 1, 2, 3, 4, 5, 6};
  Bytes overlong = {kNdOptTargetLinkAddr, 2, 1, 2, 3, 4, 5, 6};
  for (const Bytes& bad : {zero_length, overlong, Bytes{kNdOptTargetLinkAddr, 1, 9, 9}}) {
    Extracted x = extract_nd(nd(kNdNeighborSolicit, 0, cat({sll, bad})));
    FlowKey k = expect_nd(kNdNeighborSolicit, 0);
    std::memcpy(k.nd_target, kIp6T.data(), 16);
    set_mac(k.nd_sll, kMacA);
    k.nd_options_type = kNdOptSourceLinkAddr;
    EXPECT_KEY(x.key, k);
  }
}

TEST(KeyExtractNd, DuplicateAddressOptionInvalidatesTargetAndAddresses) {
  Bytes options =
      cat({nd_option(kNdOptTargetLinkAddr, 1, kMacB), nd_option(kNdOptSourceLinkAddr, 1, kMacA),
           nd_option(kNdOptSourceLinkAddr, 1, kMacB)});
  Extracted x = extract_nd(nd(kNdNeighborSolicit, 0, options));
  FlowKey k = expect_nd(kNdNeighborSolicit, 0);
  k.nd_options_type = kNdOptTargetLinkAddr;  // the option type seen first stays
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractNd, ZeroAddressOptionMayBeRepeated) {
  Bytes options = cat(
      {nd_option(kNdOptSourceLinkAddr, 1, zeros(6)), nd_option(kNdOptSourceLinkAddr, 1, kMacA)});
  Extracted x = extract_nd(nd(kNdNeighborSolicit, 0, options));
  FlowKey k = expect_nd(kNdNeighborSolicit, 0);
  std::memcpy(k.nd_target, kIp6T.data(), 16);
  set_mac(k.nd_sll, kMacA);
  k.nd_options_type = kNdOptSourceLinkAddr;
  EXPECT_KEY(x.key, k);
}

TEST(KeyExtractNd, NonZeroCodeIsPlainIcmpv6) {
  Extracted x = extract_nd(nd(kNdNeighborSolicit, 0x1, nd_option(1, 1, kMacA), 1));
  FlowKey k = expect_eth(ethertype::kIpv6);
  set_ipv6(k, ipproto::kIcmpv6, 0, 0, 255);
  set_ports(k, kNdNeighborSolicit, 1);
  EXPECT_KEY(x.key, k);
}

}  // namespace
}  // namespace flowpath
