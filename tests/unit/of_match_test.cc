// OpenFlow fields, values, matches and flow-mod text (ovs-ofctl syntax).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <variant>

#include "openflow/flow_mod.h"
#include "openflow/of_field.h"
#include "ovs_ofctl_peer.h"

namespace flowpath::openflow {
namespace {

// How flowpath reads and prints matches differently from Open vSwitch, on
// purpose (docs/openflow-syntax.md). Every other match must print as
// `ovs-ofctl parse-flow` (NXM) prints it.
const std::vector<ovs_peer::Deliberate> kDeliberate = {
    {"tun_ipv6_dst=::1,tun_tos=4,tun_ttl=64,tun_gbp_id=5", "",
     "tun_tos and tun_ttl are matchable; Open vSwitch has them in its datapath only"},
    {"recirc_id=0x2,dp_hash=0x1/0xf,skb_priority=3", "",
     "skb_priority is matchable; Open vSwitch has it in its datapath only"},
    {"vlan_vid=0", "vlan_tci=0x0000",
     "vlan_vid=0 (no tag) covers the 13 bits of OpenFlow 1.3's vlan_vid; Open vSwitch widens "
     "it to the whole TCI in NXM. Both match the same packets: an untagged TCI is all zero"},
    {"in_port=0xfffffffe", "",
     "OpenFlow 1.1's 32-bit reserved numbers are read (0xfffffffe is LOCAL)"},
};

const OfFieldInfo& field(std::string_view name) {
  const OfFieldInfo* f = find_field(name);
  EXPECT_NE(f, nullptr) << name;
  static const OfFieldInfo kNone{};
  return f ? *f : kNone;
}

// Parses and formats back, expecting `expected` (the input when empty).
void expect_value_round_trip(std::string_view name, std::string_view text,
                             std::string_view expected = {}) {
  auto v = parse_field_value(field(name), text);
  ASSERT_TRUE(v.ok()) << name << "=" << text << ": " << v.error();
  EXPECT_EQ(format_field_value(*v), expected.empty() ? text : expected) << name << "=" << text;
  auto again = parse_field_value(field(name), format_field_value(*v));
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(std::memcmp(again->value, v->value, 16), 0) << name << "=" << text;
  EXPECT_EQ(std::memcmp(again->mask, v->mask, 16), 0) << name << "=" << text;
}

std::string value_error(std::string_view name, std::string_view text,
                        const PortNameResolver& ports = {}) {
  auto v = parse_field_value(field(name), text, ports);
  EXPECT_FALSE(v.ok()) << name << "=" << text << " parsed";
  return v.ok() ? std::string() : v.error();
}

OfFlow applied(const FieldValue& v) {
  OfFlow flow;
  flow.clear();
  v.apply_to(flow);
  return flow;
}

FieldValue must_parse(std::string_view name, std::string_view text,
                      const PortNameResolver& ports = {}) {
  auto v = parse_field_value(field(name), text, ports);
  EXPECT_TRUE(v.ok()) << name << "=" << text << ": " << (v.ok() ? "" : v.error());
  return v.ok() ? *v : FieldValue{};
}

// ---- The field table.

TEST(OfFieldTable, NamesAndAliasesFindTheSameField) {
  EXPECT_EQ(find_field("nw_dst"), find_field("ip_dst"));
  EXPECT_EQ(find_field("nw_dst"), find_field("NXM_OF_IP_DST"));
  EXPECT_EQ(find_field("nw_dst"), find_field("OXM_OF_IPV4_DST"));
  EXPECT_EQ(find_field("dl_src"), find_field("eth_src"));
  EXPECT_EQ(find_field("dl_type"), find_field("eth_type"));
  EXPECT_EQ(find_field("tun_id"), find_field("tunnel_id"));
  // in_port_oxm is the same port under OpenFlow 1.2's 32-bit OXM identity.
  EXPECT_NE(find_field("in_port"), find_field("in_port_oxm"));
  EXPECT_EQ(find_field("in_port")->offset, find_field("in_port_oxm")->offset);
  EXPECT_EQ(find_field("pkt_mark"), find_field("skb_mark"));
  EXPECT_EQ(find_field("reg7"), find_field("NXM_NX_REG7"));
  EXPECT_EQ(find_field("ip_frag"), find_field("nw_frag"));
  EXPECT_EQ(find_field("nw_ecn"), find_field("ip_ecn"));
  EXPECT_EQ(find_field("foo"), nullptr);
  EXPECT_EQ(find_field(""), nullptr);
  EXPECT_EQ(find_field("NW_DST"), nullptr);  // names are case-sensitive, as in OVS
}

TEST(OfFieldTable, EveryFieldIsFoundByItsNameAndFitsInOfFlow) {
  ASSERT_GT(all_fields().size(), 70u);
  for (const OfFieldInfo& f : all_fields()) {
    EXPECT_EQ(find_field(f.name), &f) << f.name;
    EXPECT_LE(f.offset + f.bytes, sizeof(OfFlow)) << f.name;
    EXPECT_GE(field_value_bits(f), 1u) << f.name;
    EXPECT_LE(field_value_bits(f), f.bytes * 8u) << f.name;
  }
}

TEST(OfFieldTable, StorageOfSelectedFields) {
  EXPECT_EQ(field("in_port").offset, offsetof(OfFlow, key.md.in_port));
  EXPECT_EQ(field("icmp_type").offset, offsetof(OfFlow, key.tp_src) + 1);
  EXPECT_EQ(field("icmp_type").bytes, 1);
  EXPECT_EQ(field("icmpv6_code").offset, offsetof(OfFlow, key.tp_dst) + 1);
  EXPECT_EQ(field("arp_spa").offset, field("nw_src").offset);
  EXPECT_EQ(field("reg3").offset, offsetof(OfFlow, regs) + 12);
  EXPECT_EQ(field("metadata").offset, offsetof(OfFlow, metadata));
  EXPECT_EQ(field("nw_dst").prereq, FieldPrereq::kIpv4OrArp);
  EXPECT_EQ(field("tcp_dst").prereq, FieldPrereq::kTcp);
  EXPECT_EQ(field("tp_dst").prereq, FieldPrereq::kTcpUdpSctp);
  EXPECT_TRUE(field("nw_dst").maskable);
  EXPECT_FALSE(field("nw_ttl").maskable);
  EXPECT_FALSE(field("nw_proto").writable);
  EXPECT_TRUE(field("nw_ttl").writable);
}

// ---- Values.

TEST(OfFieldValue, Integers) {
  expect_value_round_trip("nw_ttl", "64");
  expect_value_round_trip("nw_ttl", "0x40", "64");
  expect_value_round_trip("tp_dst", "80");
  expect_value_round_trip("tp_dst", "0x40/0xffc0");
  expect_value_round_trip("tp_dst", "64/65472", "0x40/0xffc0");
  expect_value_round_trip("reg0", "0x5");
  expect_value_round_trip("reg0", "5", "0x5");
  expect_value_round_trip("reg0", "0");
  expect_value_round_trip("reg5", "0x10/0xf0");
  expect_value_round_trip("metadata", "0x123456789abcdef0");
  expect_value_round_trip("tun_id", "0xffffffffffffffff");
  expect_value_round_trip("dl_type", "0x0800");
  expect_value_round_trip("dl_type", "2048", "0x0800");
  expect_value_round_trip("vlan_tci", "0x1000/0x1000");
  expect_value_round_trip("vlan_tci", "0x0000");
  expect_value_round_trip("ipv6_label", "0x12345");
  expect_value_round_trip("ct_label", "0x1");
  expect_value_round_trip("ct_label",
                          "0x1020000000000000000000000000000f/0xffff000000000000000000000000000f");
  expect_value_round_trip("ct_label", "0x102030405060708090a0b0c0d0e0f0f/0xff", "0xf/0xff");
  expect_value_round_trip("ct_zone", "7");
  expect_value_round_trip("mpls_label", "1000");
  expect_value_round_trip("arp_op", "2");
}

TEST(OfFieldValue, StorageForm) {
  // Network order for packet fields.
  auto tp = must_parse("tp_dst", "80");
  EXPECT_EQ(applied(tp).key.tp_dst, hton16(80));
  // Host order for registers and metadata.
  EXPECT_EQ(applied(must_parse("reg2", "0x12345678")).regs[2], 0x12345678u);
  EXPECT_EQ(applied(must_parse("metadata", "0x1122")).metadata, 0x1122u);
  EXPECT_EQ(applied(must_parse("pkt_mark", "9")).key.md.skb_mark, 9u);
  EXPECT_EQ(applied(must_parse("tun_id", "0x10")).key.md.tunnel.tun_id, hton64(0x10));
  // Sub-byte fields are shifted into place.
  OfFlow f = applied(must_parse("ip_dscp", "46"));
  EXPECT_EQ(f.key.nw_tos, 46 << 2);
  f = applied(must_parse("nw_ecn", "3"));
  EXPECT_EQ(f.key.nw_tos, 3);
  f = applied(must_parse("mpls_label", "1000"));
  EXPECT_EQ(f.key.mpls_lse[0], hton32(1000u << 12));
  f = applied(must_parse("mpls_tc", "5"));
  EXPECT_EQ(f.key.mpls_lse[0], hton32(5u << 9));
  f = applied(must_parse("mpls_ttl", "9"));
  EXPECT_EQ(f.key.mpls_lse[0], hton32(9u));
  f = applied(must_parse("icmp_type", "8"));
  EXPECT_EQ(f.key.tp_src, hton16(8));
  f = applied(must_parse("icmp_code", "3"));
  EXPECT_EQ(f.key.tp_dst, hton16(3));
  f = applied(must_parse("arp_op", "2"));
  EXPECT_EQ(f.key.arp_op, hton16(2));
  f = applied(must_parse("ipv6_label", "0x12345"));
  EXPECT_EQ(f.key.ipv6_label, hton32(0x12345));
  // ct_label is one host-order 128-bit number.
  f = applied(must_parse("ct_label", "0x1"));
  EXPECT_EQ(f.key.md.ct_label[0], 1);
  // nw_tos takes the TOS byte with the ECN bits clear.
  auto tos = must_parse("nw_tos", "0xb8");
  EXPECT_EQ(applied(tos).key.nw_tos, 0xb8);
  EXPECT_EQ(tos.mask[0], 0xfc);
  EXPECT_EQ(format_field_value(tos), "184");
}

TEST(OfFieldValue, VlanSemantics) {
  auto v = must_parse("dl_vlan", "10");
  EXPECT_EQ(applied(v).key.vlans[0].tci, hton16(0x100a));
  EXPECT_EQ(v.mask[0], 0x1f);
  EXPECT_EQ(v.mask[1], 0xff);
  EXPECT_EQ(format_field_value(v), "10");

  auto none = must_parse("dl_vlan", "0xffff");
  EXPECT_EQ(applied(none).key.vlans[0].tci, 0);
  EXPECT_EQ(none.mask[0], 0xff);  // the whole TCI is zero, as in Open vSwitch
  EXPECT_EQ(none.mask[1], 0xff);
  EXPECT_EQ(format_field_value(none), "0xffff");

  auto tci0 = must_parse("vlan_tci", "0");
  EXPECT_EQ(tci0.mask[0], 0xff);
  EXPECT_EQ(tci0.mask[1], 0xff);
  EXPECT_EQ(applied(tci0).key.vlans[0].tci, 0);

  auto pcp = must_parse("dl_vlan_pcp", "5");
  EXPECT_EQ(applied(pcp).key.vlans[0].tci, hton16(0xb000));
  EXPECT_EQ(pcp.mask[0], 0xf0);
  EXPECT_EQ(pcp.mask[1], 0x00);
  EXPECT_EQ(format_field_value(pcp), "5");

  auto vid = must_parse("vlan_vid", "0x1005");  // OXM: present bit plus VID
  EXPECT_EQ(applied(vid).key.vlans[0].tci, hton16(0x1005));
  EXPECT_EQ(format_field_value(vid), "4101");
  expect_value_round_trip("vlan_vid", "0x1000/0x1000");
  EXPECT_EQ(value_error("dl_vlan", "4096"),
            "dl_vlan 4096 is out of range (0-4095, or 0xffff for no VLAN tag)");
  EXPECT_EQ(value_error("vlan_vid", "0x2000"), "vlan_vid 0x2000 is out of range (0-8191)");
  EXPECT_EQ(value_error("dl_vlan_pcp", "8"), "dl_vlan_pcp 8 is out of range (0-7)");
}

TEST(OfFieldValue, RangeAndSyntaxErrors) {
  EXPECT_EQ(value_error("nw_ttl", "256"), "nw_ttl 256 is out of range (0-255)");
  EXPECT_EQ(value_error("tp_dst", "65536"), "tp_dst 65536 is out of range (0-65535)");
  EXPECT_EQ(value_error("tp_dst", "1/0x10000"), "tp_dst 0x10000 is out of range (0-65535)");
  EXPECT_EQ(value_error("reg0", "0x100000000"),
            "reg0 0x100000000 is out of range (0-0xffffffff)");
  EXPECT_EQ(value_error("tun_id", "0x10000000000000000"),
            "tun_id 0x10000000000000000 is out of range (0-0xffffffffffffffff)");
  EXPECT_EQ(value_error("nw_ttl", "abc"), "nw_ttl: \"abc\" is not a valid value");
  EXPECT_EQ(value_error("nw_ttl", "-1"), "nw_ttl: \"-1\" is not a valid value");
  EXPECT_EQ(value_error("nw_ttl", ""), "nw_ttl: missing value");
  EXPECT_EQ(value_error("nw_ttl", "0x"), "nw_ttl: \"0x\" is not a valid value");
  EXPECT_EQ(value_error("nw_ttl", "64/0xff"),
            "nw_ttl: a mask is not allowed (nw_ttl is not maskable) in \"64/0xff\"");
  EXPECT_EQ(value_error("tp_dst", "80/"), "tp_dst: \"\" is not a valid mask");
  EXPECT_EQ(value_error("nw_tos", "3"),
            "nw_tos 3 sets bits outside 0xfc (the low bits belong to another field)");
  EXPECT_EQ(value_error("ip_dscp", "64"), "ip_dscp 64 is out of range (0-63)");
  EXPECT_EQ(value_error("mpls_label", "1048576"),
            "mpls_label 1048576 is out of range (0-1048575)");
  EXPECT_EQ(value_error("arp_op", "256"), "arp_op 256 is out of range (0-255)");
  EXPECT_EQ(value_error("nw_ttl", "99999999999999999999999999999999999999999"),
            "nw_ttl: \"99999999999999999999999999999999999999999\" is not a valid value");
}

TEST(OfFieldValue, EthernetAddresses) {
  expect_value_round_trip("dl_dst", "01:00:00:00:00:00/01:00:00:00:00:00");
  expect_value_round_trip("dl_src", "aa:bb:cc:dd:ee:ff");
  expect_value_round_trip("dl_src", "AA:BB:CC:0:1:2", "aa:bb:cc:00:01:02");
  expect_value_round_trip("dl_src", "aa:bb:cc:dd:ee:ff/ff:ff:ff:ff:ff:ff", "aa:bb:cc:dd:ee:ff");
  auto v = must_parse("dl_dst", "01:00:00:00:00:00/01:00:00:00:00:00");
  EXPECT_EQ(applied(v).key.eth_dst.bytes[0], 1);
  EXPECT_EQ(v.mask[0], 1);
  EXPECT_EQ(v.mask[1], 0);
  EXPECT_EQ(value_error("dl_src", "aa:bb:cc:dd:ee"),
            "eth_src: \"aa:bb:cc:dd:ee\" is not a valid Ethernet address");
  EXPECT_EQ(value_error("dl_src", "aa:bb:cc:dd:ee:ff:00"),
            "eth_src: \"aa:bb:cc:dd:ee:ff:00\" is not a valid Ethernet address");
  EXPECT_EQ(value_error("dl_src", "aa:bb:cc:dd:ee:fg"),
            "eth_src: \"aa:bb:cc:dd:ee:fg\" is not a valid Ethernet address");
  EXPECT_EQ(value_error("dl_src", "aa:bb:cc:dd:ee:ff/xx"),
            "eth_src: \"xx\" is not a valid Ethernet address mask");
}

TEST(OfFieldValue, Ipv4AddressesPrefixesAndMasks) {
  expect_value_round_trip("nw_dst", "10.0.0.1");
  expect_value_round_trip("nw_dst", "10.0.0.0/8");
  expect_value_round_trip("nw_dst", "10.0.0.0/255.0.0.0", "10.0.0.0/8");
  expect_value_round_trip("nw_dst", "10.1.2.3/8", "10.0.0.0/8");  // value is masked
  expect_value_round_trip("nw_dst", "10.0.0.1/32", "10.0.0.1");
  expect_value_round_trip("nw_dst", "0.0.0.0/0");
  expect_value_round_trip("nw_src", "10.0.0.1/255.0.255.0", "10.0.0.0/255.0.255.0");
  auto v = must_parse("nw_dst", "192.168.1.0/24");
  EXPECT_EQ(applied(v).key.ipv4_dst, hton32(0xc0a80100));
  EXPECT_EQ(value_error("nw_dst", "10.0.0.256"),
            "ip_dst: \"10.0.0.256\" is not a valid IPv4 address");
  EXPECT_EQ(value_error("nw_dst", "10.0.0.0/33"),
            "ip_dst: prefix length \"33\" is out of range (0-32)");
  EXPECT_EQ(value_error("nw_dst", "10.0.0.0/x"),
            "ip_dst: \"x\" is not a valid IPv4 prefix length or mask");
}

TEST(OfFieldValue, Ipv6AddressesPrefixesAndMasks) {
  expect_value_round_trip("ipv6_src", "2001:db8::1");
  expect_value_round_trip("ipv6_src", "2001:db8::/32");
  expect_value_round_trip("ipv6_src", "2001:db8::/ffff:ffff::", "2001:db8::/32");
  expect_value_round_trip("ipv6_dst", "fe80::1/ffff::ffff", "fe80::1/ffff::ffff");
  expect_value_round_trip("nd_target", "::1");
  expect_value_round_trip("tun_ipv6_dst", "::/0");
  EXPECT_EQ(value_error("ipv6_src", "2001:db8::g"),
            "ipv6_src: \"2001:db8::g\" is not a valid IPv6 address");
  EXPECT_EQ(value_error("ipv6_src", "::/129"),
            "ipv6_src: prefix length \"129\" is out of range (0-128)");
}

TEST(OfFieldValue, InPortLocalAndNames) {
  auto local = must_parse("in_port", "LOCAL");
  EXPECT_EQ(applied(local).key.md.in_port, 0u);
  EXPECT_EQ(format_field_value(local), "LOCAL");
  EXPECT_EQ(applied(must_parse("in_port", "local")).key.md.in_port, 0u);
  EXPECT_EQ(applied(must_parse("in_port", "0xfffffffe")).key.md.in_port, 0u);
  EXPECT_EQ(applied(must_parse("in_port", "65534")).key.md.in_port, 0u);  // OF1.0 LOCAL
  auto p3 = must_parse("in_port", "3");
  EXPECT_EQ(applied(p3).key.md.in_port, 3u);
  EXPECT_EQ(format_field_value(p3), "3");
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "eth0") return 7;
    if (name == "br0") return kOfppLocal;
    return std::nullopt;
  };
  EXPECT_EQ(applied(must_parse("in_port", "eth0", ports)).key.md.in_port, 7u);
  EXPECT_EQ(applied(must_parse("in_port", "br0", ports)).key.md.in_port, 0u);
  EXPECT_EQ(value_error("in_port", "eth9", ports), "in_port: unknown port \"eth9\"");
  EXPECT_EQ(value_error("in_port", "eth9"),
            "in_port: \"eth9\" is not a port number (no port names are known)");
  EXPECT_EQ(value_error("in_port", "0"), "in_port: 0 is not a valid port number");
  EXPECT_EQ(value_error("in_port", "0xfffffffa"),
            "in_port: \"0xfffffffa\" is a reserved port that no packet arrives on");
  EXPECT_EQ(value_error("in_port", "0x100000000"),
            "in_port: \"0x100000000\" is out of range (1-4294967040 or LOCAL)");
  EXPECT_EQ(value_error("in_port", "1/1"),
            "in_port: a mask is not allowed (in_port is not maskable) in \"1/1\"");
}

TEST(OfFieldValue, CtStateFlags) {
  auto v = must_parse("ct_state", "+trk+new");
  EXPECT_EQ(applied(v).key.md.ct_state, 0x21u);
  EXPECT_EQ(format_field_value(v), "+new+trk");
  expect_value_round_trip("ct_state", "+trk-new", "-new+trk");
  expect_value_round_trip("ct_state", "+est+trk-rpl+snat+dnat-inv-rel",
                          "+est-rel-rpl-inv+trk+snat+dnat");
  expect_value_round_trip("ct_state", "new|trk");
  expect_value_round_trip("ct_state", "0");
  expect_value_round_trip("ct_state", "0x21/0x21", "+new+trk");
  expect_value_round_trip("ct_state", "0x21", "new|trk");
  EXPECT_EQ(value_error("ct_state", "+trk+bogus"),
            "ct_state: unknown flag \"bogus\" in \"+trk+bogus\"");
  EXPECT_EQ(value_error("ct_state", "+trk+trk"),
            "ct_state: flag \"trk\" given twice in \"+trk+trk\"");
  EXPECT_EQ(value_error("ct_state", "0x100"),
            "ct_state: \"0x100\" sets bits outside the flags (0xff)");
  EXPECT_EQ(value_error("ct_state", "new|"), "ct_state: unknown flag \"\" in \"new|\"");
}

TEST(OfFieldValue, TcpFlags) {
  auto v = must_parse("tcp_flags", "+syn-ack");
  EXPECT_EQ(applied(v).key.tcp_flags, hton16(0x002));
  EXPECT_EQ(v.mask[0], 0x00);
  EXPECT_EQ(v.mask[1], 0x12);
  EXPECT_EQ(format_field_value(v), "+syn-ack");
  expect_value_round_trip("tcp_flags", "0x002/0x012", "+syn-ack");
  expect_value_round_trip("tcp_flags", "syn|ack");
  expect_value_round_trip("tcp_flags", "0x12", "syn|ack");
  expect_value_round_trip("tcp_flags", "+fin+ns-cwr", "+fin-cwr+ns");
  expect_value_round_trip("tcp_flags", "0");
  EXPECT_EQ(value_error("tcp_flags", "0x1000"),
            "tcp_flags: \"0x1000\" sets bits outside the flags (0xfff)");
  EXPECT_EQ(value_error("tcp_flags", "syn/ack"),
            "tcp_flags: flag names take no mask in \"syn/ack\"");
}

TEST(OfFieldValue, IpFrag) {
  struct Case {
    const char* text;
    uint8_t value, mask;
  } cases[] = {{"no", 0, 3}, {"yes", 1, 1}, {"first", 1, 3}, {"later", 3, 3},
               {"not_later", 0, 2}};
  for (const Case& c : cases) {
    auto v = must_parse("ip_frag", c.text);
    EXPECT_EQ(v.value[0], c.value) << c.text;
    EXPECT_EQ(v.mask[0], c.mask) << c.text;
    EXPECT_EQ(format_field_value(v), c.text);
  }
  expect_value_round_trip("ip_frag", "0x2/0x2");
  expect_value_round_trip("ip_frag", "3", "later");
  EXPECT_EQ(value_error("ip_frag", "maybe"),
            "ip_frag: \"maybe\" is not a fragment kind (no, yes, first, later, not_later)");
  EXPECT_EQ(value_error("ip_frag", "4"), "ip_frag 4 is out of range (0-3)");
}

TEST(OfFieldBits, SubfieldsUseTheValueNumbering) {
  // Registers are host order: bit 0 is the register's least significant bit.
  FieldValue low = field_bits_value(field("reg0"), 0, 4, 0x5);
  OfFlow flow = applied(low);
  EXPECT_EQ(flow.regs[0], 0x5u);
  EXPECT_EQ(read_field_bits(flow, field("reg0"), 0, 4), 0x5u);
  EXPECT_EQ(read_field_bits(flow, field("reg0"), 2, 2), 0x1u);
  // Packet fields are network order: tp_dst bit 0 is the port's bit 0.
  flow = applied(field_bits_value(field("tp_dst"), 8, 8, 0x1f));
  EXPECT_EQ(flow.key.tp_dst, hton16(0x1f00));
  // ip_dscp's bits are the TOS byte's six high bits.
  flow = applied(field_bits_value(field("ip_dscp"), 0, 6, 46));
  EXPECT_EQ(flow.key.nw_tos, 46 << 2);
  EXPECT_EQ(read_field_bits(flow, field("ip_dscp"), 0, 6), 46u);
  EXPECT_EQ(field_value_bits(field("ip_dscp")), 6u);
  EXPECT_EQ(field_value_bits(field("eth_src")), 48u);
  EXPECT_EQ(field_value_bits(field("vlan_vid")), 13u);
  // A move of a MAC: read 48 bits, write 48 bits.
  OfFlow src;
  src.clear();
  const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  std::memcpy(src.key.eth_src.bytes, mac, 6);
  uint64_t bits = read_field_bits(src, field("eth_src"), 0, 48);
  EXPECT_EQ(bits, 0x021122334455u);
  flow = applied(field_bits_value(field("eth_dst"), 0, 48, bits));
  EXPECT_EQ(std::memcmp(flow.key.eth_dst.bytes, mac, 6), 0);
}


// ---- Matches.

OfMatch must_match(std::string_view text, const PortNameResolver& ports = {}) {
  auto m = parse_of_match(text, ports);
  EXPECT_TRUE(m.ok()) << text << ": " << (m.ok() ? "" : m.error());
  return m.ok() ? *m : OfMatch{};
}

std::string match_error(std::string_view text) {
  auto m = parse_of_match(text);
  EXPECT_FALSE(m.ok()) << text << " parsed as " << (m.ok() ? format_of_match(*m) : "");
  return m.ok() ? std::string() : m.error();
}

// parse(text) prints as `expected`, and that text parses to the same match.
void expect_match_round_trip(std::string_view text, std::string_view expected) {
  auto m = parse_of_match(text);
  ASSERT_TRUE(m.ok()) << text << ": " << m.error();
  std::string printed = format_of_match(*m);
  EXPECT_EQ(printed, expected) << text;
  auto again = parse_of_match(printed);
  ASSERT_TRUE(again.ok()) << printed << ": " << again.error();
  EXPECT_TRUE(*again == *m) << text << " -> " << printed;
  EXPECT_EQ(format_of_match(*again), printed);
  ovs_peer::expect_agrees_with_ovs("match", text, printed, ovs_peer::ovs_match(text), kDeliberate);
}

TEST(OfMatch, Shorthands) {
  struct Case {
    const char* text;
    uint16_t eth_type;
    int nw_proto;  // -1: not matched
  } cases[] = {
      {"ip", 0x0800, -1},    {"ipv4", 0x0800, -1},  {"ip4", 0x0800, -1},
      {"icmp", 0x0800, 1},   {"tcp", 0x0800, 6},    {"udp", 0x0800, 17},
      {"sctp", 0x0800, 132}, {"ipv6", 0x86dd, -1},  {"ip6", 0x86dd, -1},
      {"icmp6", 0x86dd, 58}, {"tcp6", 0x86dd, 6},   {"udp6", 0x86dd, 17},
      {"sctp6", 0x86dd, 132}, {"arp", 0x0806, -1},  {"rarp", 0x8035, -1},
      {"mpls", 0x8847, -1},  {"mplsm", 0x8848, -1},
  };
  for (const Case& c : cases) {
    OfMatch m = must_match(c.text);
    EXPECT_EQ(m.value.key.eth_type, hton16(c.eth_type)) << c.text;
    EXPECT_EQ(m.mask.key.eth_type, 0xffff) << c.text;
    EXPECT_EQ(m.mask.key.nw_proto, c.nw_proto < 0 ? 0 : 0xff) << c.text;
    if (c.nw_proto >= 0) {
      EXPECT_EQ(m.value.key.nw_proto, c.nw_proto) << c.text;
    }
  }
  expect_match_round_trip("ipv4", "ip");
  expect_match_round_trip("ip6", "ipv6");
  expect_match_round_trip("dl_type=0x0800,nw_proto=6", "tcp");
  expect_match_round_trip("ipv6,nw_proto=58", "icmp6");
  expect_match_round_trip("ip,nw_proto=47", "ip,nw_proto=47");
  expect_match_round_trip("dl_type=0x88cc", "dl_type=0x88cc");
  EXPECT_EQ(match_error("ip=1"), "\"ip\" takes no value");
}

TEST(OfMatch, FormatsLikeOvsOfctl) {
  expect_match_round_trip("", "");
  expect_match_round_trip("nw_dst=10.0.0.0/8,ip", "ip,nw_dst=10.0.0.0/8");
  expect_match_round_trip("tcp,in_port=1,tp_dst=80", "tcp,in_port=1,tp_dst=80");
  expect_match_round_trip("in_port=1,tcp_dst=80,tcp", "tcp,in_port=1,tp_dst=80");
  expect_match_round_trip("udp,udp_src=53", "udp,tp_src=53");
  expect_match_round_trip("sctp6,sctp_dst=9", "sctp6,tp_dst=9");
  expect_match_round_trip("tcp,tp_dst=0x40/0xffc0", "tcp,tp_dst=0x40/0xffc0");
  expect_match_round_trip("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
                          "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00");
  expect_match_round_trip("eth_src=00:11:22:33:44:55,eth_type=0x0806",
                          "arp,dl_src=00:11:22:33:44:55");
  expect_match_round_trip("arp,nw_src=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,arp_sha=00:00:00:00:00:01",
                          "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,"
                          "arp_sha=00:00:00:00:00:01");
  expect_match_round_trip("tcp,tcp_flags=+syn-ack", "tcp,tcp_flags=+syn-ack");
  expect_match_round_trip("tcp6,tcp_flags=syn", "tcp6,tcp_flags=syn");
  expect_match_round_trip("ct_state=+trk+new,ip", "ct_state=+new+trk,ip");
  expect_match_round_trip("ip,ip_frag=later", "ip,nw_frag=later");
  expect_match_round_trip("ipv6,nw_frag=first", "ipv6,nw_frag=first");
  expect_match_round_trip("icmp,icmp_type=8,icmp_code=0", "icmp,icmp_type=8,icmp_code=0");
  expect_match_round_trip("icmp6,icmpv6_type=135,nd_target=fe80::1,nd_sll=00:00:00:00:00:01",
                          "icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=00:00:00:00:00:01");
  expect_match_round_trip("icmp6,icmp_type=136,icmp_code=0,nd_tll=00:00:00:00:00:02",
                          "icmp6,icmp_type=136,icmp_code=0,nd_tll=00:00:00:00:00:02");
  expect_match_round_trip("ipv6,ipv6_src=2001:db8::/32,ipv6_label=0x12345",
                          "ipv6,ipv6_src=2001:db8::/32,ipv6_label=0x12345");
  expect_match_round_trip("ip,nw_tos=184,nw_ecn=1,nw_ttl=64", "ip,nw_tos=184,nw_ecn=1,nw_ttl=64");
  expect_match_round_trip("ip,ip_dscp=46", "ip,nw_tos=184");
  expect_match_round_trip("mpls,mpls_label=100,mpls_tc=1,mpls_bos=1,mpls_ttl=64",
                          "mpls,mpls_label=100,mpls_tc=1,mpls_ttl=64,mpls_bos=1");
  expect_match_round_trip("reg0=5,reg15=0x10/0xf0,metadata=0x1,pkt_mark=7",
                          "pkt_mark=0x7,reg0=0x5,reg15=0x10/0xf0,metadata=0x1");
  expect_match_round_trip("tun_id=0x5,tun_src=1.1.1.1,tun_dst=2.2.2.0/24,in_port=3",
                          "tun_id=0x5,tun_src=1.1.1.1,tun_dst=2.2.2.0/24,in_port=3");
  expect_match_round_trip("tun_ipv6_dst=::1,tun_tos=4,tun_ttl=64,tun_gbp_id=5",
                          "tun_ipv6_dst=::1,tun_gbp_id=5,tun_tos=4,tun_ttl=64");
  expect_match_round_trip("ct_zone=5,ct_mark=0x1/0x1,ct_label=0x2,ct_state=-trk",
                          "ct_state=-trk,ct_zone=5,ct_mark=0x1/0x1,ct_label=0x2");
  expect_match_round_trip("recirc_id=0x2,dp_hash=0x1/0xf,skb_priority=3",
                          "recirc_id=0x2,dp_hash=0x1/0xf,skb_priority=0x3");
  expect_match_round_trip("in_port=LOCAL", "in_port=LOCAL");
  expect_match_round_trip("in_port=0xfffffffe", "in_port=LOCAL");
}

TEST(OfMatch, Priority) {
  OfMatch all;
  EXPECT_EQ(format_of_match(all), "");
  EXPECT_EQ(format_of_match(all, 0), "priority=0");
  OfMatch ip = must_match("ip,nw_src=1.2.3.4");
  EXPECT_EQ(format_of_match(ip, 100), "priority=100,ip,nw_src=1.2.3.4");
  EXPECT_EQ(format_of_match(ip, kDefaultPriority), "ip,nw_src=1.2.3.4");
}

TEST(OfMatch, VlanSemantics) {
  OfMatch m = must_match("dl_vlan=10");
  EXPECT_EQ(m.value.key.vlans[0].tci, hton16(0x100a));
  EXPECT_EQ(m.mask.key.vlans[0].tci, hton16(0x1fff));
  EXPECT_EQ(format_of_match(m), "dl_vlan=10");

  m = must_match("dl_vlan=0xffff");
  EXPECT_EQ(m.value.key.vlans[0].tci, 0);
  EXPECT_EQ(m.mask.key.vlans[0].tci, 0xffff);
  EXPECT_EQ(format_of_match(m), "vlan_tci=0x0000");

  m = must_match("vlan_tci=0");
  EXPECT_EQ(m.value.key.vlans[0].tci, 0);
  EXPECT_EQ(m.mask.key.vlans[0].tci, 0xffff);

  expect_match_round_trip("dl_vlan=10", "dl_vlan=10");
  expect_match_round_trip("dl_vlan_pcp=3", "dl_vlan_pcp=3");
  expect_match_round_trip("dl_vlan=10,dl_vlan_pcp=3", "dl_vlan=10,dl_vlan_pcp=3");
  expect_match_round_trip("vlan_tci=0", "vlan_tci=0x0000");
  expect_match_round_trip("vlan_tci=0x1000/0x1000", "vlan_tci=0x1000/0x1000");
  expect_match_round_trip("vlan_vid=0x1000/0x1000", "vlan_tci=0x1000/0x1000");
  expect_match_round_trip("vlan_vid=0x100a", "dl_vlan=10");
  expect_match_round_trip("vlan_vid=0", "vlan_tci=0x0000/0x1fff");
  expect_match_round_trip("vlan_pcp=5", "dl_vlan_pcp=5");
  expect_match_round_trip("dl_vlan=0xffff", "vlan_tci=0x0000");
  // A tag with a VID but "no tag" as well cannot be.
  EXPECT_EQ(match_error("dl_vlan=10,dl_vlan=0xffff"),
            "\"dl_vlan=0xffff\" conflicts with \"dl_vlan=10\"");
  EXPECT_EQ(match_error("dl_vlan_pcp=1,vlan_tci=0"),
            "\"vlan_tci=0\" conflicts with \"dl_vlan_pcp=1\"");
}

TEST(OfMatch, PrerequisitesAreEnforced) {
  EXPECT_EQ(match_error("nw_dst=10.0.0.1"),
            "nw_dst: needs ip or arp (add \"ip\" or \"dl_type=0x0800\")");
  EXPECT_EQ(match_error("ipv6,nw_dst=10.0.0.1"),
            "nw_dst: needs ip or arp (add \"ip\" or \"dl_type=0x0800\")");
  EXPECT_EQ(match_error("ip,tcp_dst=80"), "tcp_dst: needs tcp (add \"tcp\" or \"tcp6\")");
  EXPECT_EQ(match_error("udp,tcp_dst=80"), "tcp_dst: needs tcp (add \"tcp\" or \"tcp6\")");
  EXPECT_EQ(match_error("ip,tp_dst=80"),
            "tp_dst: needs tcp, udp or sctp (add \"tcp\", \"udp\" or \"sctp\")");
  EXPECT_EQ(match_error("ipv6_src=::1"),
            "ipv6_src: needs ipv6 (add \"ipv6\" or \"dl_type=0x86dd\")");
  EXPECT_EQ(match_error("nw_ttl=1"), "nw_ttl: needs ip or ipv6 (add \"ip\" or \"ipv6\")");
  EXPECT_EQ(match_error("ip,arp_op=1"),
            "arp_op: needs arp or rarp (add \"arp\" or \"dl_type=0x0806\")");
  EXPECT_EQ(match_error("tcp,icmp_type=8"), "icmp_type: needs icmp (add \"icmp\")");
  EXPECT_EQ(match_error("icmp,icmpv6_type=1"), "icmpv6_type: needs icmp6 (add \"icmp6\")");
  EXPECT_EQ(match_error("icmp6,nd_target=::1"),
            "nd_target: needs an ICMPv6 neighbor solicitation or advertisement "
            "(add \"icmp6,icmp_type=135\" or \"icmp6,icmp_type=136\")");
  EXPECT_EQ(match_error("icmp6,icmp_type=136,icmp_code=0,nd_sll=00:00:00:00:00:01"),
            "nd_sll: needs an ICMPv6 neighbor solicitation (add \"icmp6,icmp_type=135\")");
  EXPECT_EQ(match_error("icmp6,icmp_type=135,icmp_code=1,nd_target=::1"),
            "nd_target: needs an ICMPv6 neighbor solicitation or advertisement "
            "(add \"icmp6,icmp_type=135\" or \"icmp6,icmp_type=136\")");
  EXPECT_EQ(match_error("ip,mpls_label=5"),
            "mpls_label: needs mpls (add \"mpls\" or \"dl_type=0x8847\")");
  EXPECT_EQ(match_error("tcp,udp_src=1"), "udp_src: needs udp (add \"udp\" or \"udp6\")");
  EXPECT_EQ(match_error("ip,tcp_flags=+syn"), "tcp_flags: needs tcp (add \"tcp\" or \"tcp6\")");
  // Order does not matter; rarp and ARP fields; ARP addresses as nw_src.
  must_match("nw_dst=10.0.0.1,ip");
  must_match("arp,nw_src=10.0.0.1");
  must_match("rarp,arp_sha=00:00:00:00:00:01");
  must_match("mplsm,mpls_ttl=3");
  must_match("dl_type=0x0800,nw_proto=6,tcp_src=1");
}

TEST(OfMatch, ConflictsAndUnknownFields) {
  EXPECT_EQ(match_error("foo=1"), "unknown field \"foo\"");
  EXPECT_EQ(match_error("ip,bogus"), "unknown field \"bogus\"");
  EXPECT_EQ(match_error("priority=5"), "\"priority\" is a flow setting, not a match field");
  EXPECT_EQ(match_error("tcp,udp"), "\"udp\" conflicts with \"tcp\"");
  EXPECT_EQ(match_error("ip,ipv6"), "\"ipv6\" conflicts with \"ip\"");
  EXPECT_EQ(match_error("tcp,tp_dst=80,tcp_dst=81"),
            "\"tcp_dst=81\" conflicts with \"tp_dst=80\"");
  EXPECT_EQ(match_error("ip,nw_dst=10.0.0.0/8,nw_dst=11.0.0.1"),
            "\"nw_dst=11.0.0.1\" conflicts with \"nw_dst=10.0.0.0/8\"");
  EXPECT_EQ(match_error("dl_type=0x0800,arp"), "\"arp\" conflicts with \"dl_type=0x0800\"");
  EXPECT_EQ(match_error("ip,nw_dst"), "nw_dst: missing value");
  EXPECT_EQ(match_error("ip,nw_ttl=300"), "nw_ttl 300 is out of range (0-255)");
  EXPECT_EQ(match_error("dl_vlan=4096"),
            "dl_vlan 4096 is out of range (0-4095, or 0xffff for no VLAN tag)");
  // The same value twice, or compatible masks, are fine.
  OfMatch m = must_match("tcp,tcp,tp_dst=80,tcp_dst=80");
  EXPECT_EQ(format_of_match(m), "tcp,tp_dst=80");
  m = must_match("ip,nw_dst=10.0.0.0/8,nw_dst=10.1.0.0/16");
  EXPECT_EQ(format_of_match(m), "ip,nw_dst=10.1.0.0/16");
  m = must_match("ip,ip_dscp=46,nw_ecn=2");
  EXPECT_EQ(m.value.key.nw_tos, (46 << 2) | 2);
  EXPECT_EQ(m.mask.key.nw_tos, 0xff);
  // Separators: commas and white space; "name:value" as ovs-ofctl allows.
  m = must_match("  tcp  nw_src=1.2.3.4,,tp_dst:22 ");
  EXPECT_EQ(format_of_match(m), "tcp,nw_src=1.2.3.4,tp_dst=22");
}

TEST(OfMatch, PortNames) {
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "eth1") return 5;
    if (name == "br0") return kOfppLocal;
    return std::nullopt;
  };
  OfMatch m = must_match("in_port=eth1,ip", ports);
  EXPECT_EQ(m.value.key.md.in_port, 5u);
  EXPECT_EQ(m.mask.key.md.in_port, 0xffffffffu);
  EXPECT_EQ(format_of_match(m), "ip,in_port=5");
  m = must_match("in_port=br0", ports);
  EXPECT_EQ(m.value.key.md.in_port, 0u);
  EXPECT_EQ(m.mask.key.md.in_port, 0xffffffffu);
  EXPECT_EQ(format_of_match(m), "in_port=LOCAL");
  auto bad = parse_of_match("in_port=eth7", ports);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "in_port: unknown port \"eth7\"");
}

TEST(OfMatch, RoundTripsOverManyMatches) {
  const char* texts[] = {
      "in_port=1",
      "in_port=65534",
      "dl_src=00:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff",
      "dl_src=00:00:00:00:00:00/01:00:00:00:00:00",
      "dl_type=0x86dd",
      "ip,nw_src=192.168.0.0/16,nw_dst=10.0.0.1",
      "ip,nw_src=10.0.0.0/255.255.0.255",
      "ip,nw_proto=17",
      "udp,tp_src=0x8000/0x8000,tp_dst=53",
      "tcp6,ipv6_dst=fe80::/10,tp_dst=443",
      "ipv6,ipv6_src=::1/::ffff,ipv6_label=0x1/0xf",
      "icmp6,icmp_type=128",
      "icmp,icmp_type=3,icmp_code=4,nw_ttl=1",
      "arp,arp_op=2,arp_tha=00:00:00:00:00:02/ff:ff:ff:00:00:00",
      "rarp,arp_spa=1.2.3.0/24",
      "mpls,mpls_label=1048575",
      "mplsm,mpls_bos=0",
      "tcp,tcp_flags=0x12/0x12",
      "tcp,tcp_flags=fin|syn|rst|psh|ack|urg|ece|cwr|ns",
      "tcp,tcp_flags=-fin-syn-rst",
      "ct_state=0",
      "ct_state=new|est|rel|rpl|inv|trk|snat|dnat",
      "ct_state=+trk+est-rpl,tcp",
      "ip,ip_frag=no",
      "ip,ip_frag=yes",
      "ip,ip_frag=not_later",
      "ip,ip_frag=0x2/0x2",
      "reg1=0xffffffff,reg2=0/0x1",
      "metadata=0xffffffffffffffff/0xf0f0f0f0f0f0f0f0",
      "tun_id=0x1/0xff,tun_src=1.2.3.4/8",
      "tun_gbp_flags=0x1/0x1",
      "ct_label=0xffffffffffffffffffffffffffffffff",
      "ct_mark=0",
      "vlan_tci=0x5064/0xefff",
      "dl_vlan=4095,ip",
      "dl_vlan_pcp=7,arp",
      "priority=5,ip",
      "ip,nw_tos=0,nw_ecn=0",
      "icmp6,icmp_type=135,icmp_code=0,nd_reserved=5,nd_options_type=1",
      "sctp,tp_src=1,tp_dst=2",
      "pkt_mark=0x1/0x3,ip,ct_zone=0",
  };
  for (const char* text : texts) {
    auto m = parse_of_match(text);
    if (std::string_view(text).starts_with("priority")) {
      EXPECT_FALSE(m.ok());
      continue;
    }
    ASSERT_TRUE(m.ok()) << text << ": " << m.error();
    std::string printed = format_of_match(*m);
    auto again = parse_of_match(printed);
    ASSERT_TRUE(again.ok()) << text << " -> " << printed << ": " << again.error();
    EXPECT_TRUE(*again == *m) << text << " -> " << printed;
    EXPECT_EQ(format_of_match(*again), printed);
    EXPECT_FALSE(m->catch_all()) << text;
  }
}

TEST(OfMatch, FormatShowsFieldsOutsideTheirPrerequisites) {
  // A match built by a caller rather than the parser still prints every bit.
  OfMatch m;
  m.value.key.ipv6_src[15] = 1;
  m.mask.key.ipv6_src[15] = 0xff;
  EXPECT_EQ(format_of_match(m), "ipv6_src=::1/::ff");
  OfMatch t;
  t.value.key.tp_dst = hton16(80);
  t.mask.key.tp_dst = 0xffff;
  EXPECT_EQ(format_of_match(t), "tp_dst=80");
}

// ---- Matches against flows.

OfFlow tcp_flow() {
  OfFlow f;
  f.clear();
  f.key.md.in_port = 3;
  const uint8_t src[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const uint8_t dst[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  std::memcpy(f.key.eth_src.bytes, src, 6);
  std::memcpy(f.key.eth_dst.bytes, dst, 6);
  f.key.eth_type = hton16(ethertype::kIpv4);
  f.key.vlans[0].tpid = hton16(0x8100);
  f.key.vlans[0].tci = hton16(0x1000 | (3 << 13) | 10);
  f.key.ipv4_src = hton32(0x0a000001);
  f.key.ipv4_dst = hton32(0xc0a80105);
  f.key.nw_proto = ipproto::kTcp;
  f.key.nw_tos = (46 << 2) | 1;
  f.key.nw_ttl = 64;
  f.key.tp_src = hton16(40000);
  f.key.tp_dst = hton16(80);
  f.key.tcp_flags = hton16(0x002);  // SYN
  f.key.md.ct_state = 0x21;         // trk+new
  f.regs[1] = 7;
  return f;
}

TEST(OfMatchMatches, FlowsFromAPacket) {
  const OfFlow f = tcp_flow();
  auto yes = [&](std::string_view text) {
    EXPECT_TRUE(must_match(text).matches(f)) << text;
  };
  auto no = [&](std::string_view text) {
    EXPECT_FALSE(must_match(text).matches(f)) << text;
  };
  yes("");
  yes("ip");
  yes("tcp");
  yes("tcp,tp_dst=80");
  yes("tcp,tp_dst=0x40/0xffc0");  // 64..127
  yes("ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.0/24");
  yes("in_port=3");
  yes("dl_vlan=10");
  yes("dl_vlan_pcp=3");
  yes("vlan_tci=0x1000/0x1000");
  yes("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00");
  yes("tcp,tcp_flags=+syn-ack");
  yes("ct_state=+trk+new-est");
  yes("ip,ip_dscp=46,nw_ecn=1,nw_ttl=64");
  yes("ip,ip_frag=no");
  yes("reg1=7");
  no("udp");
  no("ipv6");
  no("arp");
  no("tcp,tp_dst=81");
  no("tcp,tp_dst=0x80/0xff80");
  no("ip,nw_dst=192.168.2.0/24");
  no("in_port=4");
  no("in_port=LOCAL");
  no("dl_vlan=11");
  no("dl_vlan=0xffff");
  no("vlan_tci=0");
  no("dl_dst=00:00:00:00:00:00/01:00:00:00:00:00");
  no("tcp,tcp_flags=+ack");
  no("ct_state=-trk");
  no("ip,nw_ttl=63");
  no("ip,ip_frag=yes");
  no("reg1=6");

  OfFlow untagged = f;
  untagged.key.vlans[0] = {};
  EXPECT_TRUE(must_match("dl_vlan=0xffff").matches(untagged));
  EXPECT_TRUE(must_match("vlan_tci=0").matches(untagged));
  EXPECT_TRUE(must_match("vlan_vid=0").matches(untagged));
  EXPECT_FALSE(must_match("dl_vlan=10").matches(untagged));

  OfFlow local = f;
  local.key.md.in_port = 0;
  EXPECT_TRUE(must_match("in_port=LOCAL").matches(local));

  OfFlow icmp;
  icmp.clear();
  icmp.key.eth_type = hton16(ethertype::kIpv4);
  icmp.key.nw_proto = ipproto::kIcmp;
  icmp.key.tp_src = hton16(8);
  icmp.key.tp_dst = hton16(0);
  EXPECT_TRUE(must_match("icmp,icmp_type=8,icmp_code=0").matches(icmp));
  EXPECT_FALSE(must_match("icmp,icmp_type=0").matches(icmp));
}

// ---- Flow mods.

FlowModSpec must_flow_mod(std::string_view text, FlowModCommand c = FlowModCommand::kAdd,
                          const PortNameResolver& ports = {}) {
  auto spec = parse_flow_mod(text, c, ports);
  EXPECT_TRUE(spec.ok()) << text << ": " << (spec.ok() ? "" : spec.error());
  return spec.ok() ? std::move(*spec) : FlowModSpec{};
}

std::string flow_mod_error(std::string_view text, FlowModCommand c = FlowModCommand::kAdd) {
  auto spec = parse_flow_mod(text, c);
  EXPECT_FALSE(spec.ok()) << text;
  return spec.ok() ? std::string() : spec.error();
}

TEST(FlowMod, AddWithEverySetting) {
  FlowModSpec s = must_flow_mod(
      "table=1,priority=100,cookie=0x5,idle_timeout=10,hard_timeout=20,send_flow_rem,"
      "check_overlap,reset_counts,importance=3,ip,nw_dst=10.0.0.0/8,actions=drop");
  EXPECT_EQ(s.table, 1);
  EXPECT_EQ(s.priority, 100);
  EXPECT_EQ(s.cookie, 5u);
  EXPECT_EQ(s.cookie_mask, 0u);
  EXPECT_EQ(s.idle_timeout, 10);
  EXPECT_EQ(s.hard_timeout, 20);
  EXPECT_TRUE(s.send_flow_rem);
  EXPECT_TRUE(s.check_overlap);
  EXPECT_TRUE(s.reset_counts);
  EXPECT_TRUE(s.has_actions);
  EXPECT_TRUE(s.actions.empty());
  EXPECT_EQ(format_of_match(s.match, s.priority), "priority=100,ip,nw_dst=10.0.0.0/8");
}

TEST(FlowMod, Defaults) {
  FlowModSpec s = must_flow_mod("actions=drop");
  EXPECT_EQ(s.table, 0);
  EXPECT_EQ(s.priority, kDefaultPriority);
  EXPECT_TRUE(s.match.catch_all());
  EXPECT_EQ(s.out_port, kOfppAny);
  EXPECT_EQ(s.out_group, kOfgAny);
  EXPECT_FALSE(s.send_flow_rem);
  EXPECT_EQ(must_flow_mod("actions=drop", FlowModCommand::kModify).table, 0);
  EXPECT_EQ(must_flow_mod("", FlowModCommand::kDelete).table, kTableAll);
  EXPECT_EQ(must_flow_mod("", FlowModCommand::kFilter).table, kTableAll);
  EXPECT_EQ(must_flow_mod("table=3", FlowModCommand::kFilter).table, 3);
  EXPECT_FALSE(must_flow_mod("ip", FlowModCommand::kDelete).has_actions);
}

TEST(FlowMod, ActionsAreLastAndParsed) {
  FlowModSpec s = must_flow_mod("priority=10 ip actions=output:2,NORMAL");
  EXPECT_EQ(s.priority, 10);
  ASSERT_EQ(s.actions.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<action::Output>(s.actions[0]));
  EXPECT_EQ(std::get<action::Output>(s.actions[0]).port, 2u);
  EXPECT_EQ(format_of_actions(s.actions), "output:2,NORMAL");
  // Everything after actions= belongs to the actions.
  s = must_flow_mod("tcp,actions=set_field:10.0.0.1->ip_dst,output:1");
  ASSERT_EQ(s.actions.size(), 2u);
  EXPECT_EQ(format_of_match(s.match), "tcp");
  // "action=" is accepted too, as ovs-ofctl does.
  EXPECT_EQ(must_flow_mod("ip,action=drop").actions.size(), 0u);
  // An actions error comes through.
  EXPECT_FALSE(parse_flow_mod("ip,actions=frobnicate", FlowModCommand::kAdd).ok());
}

TEST(FlowMod, ActionsRequiredOrRefused) {
  EXPECT_EQ(flow_mod_error("ip"), "add-flow needs \"actions=...\" (\"actions=drop\" for none)");
  EXPECT_EQ(flow_mod_error("ip", FlowModCommand::kModifyStrict),
            "mod-flows --strict needs \"actions=...\" (\"actions=drop\" for none)");
  EXPECT_EQ(flow_mod_error("ip,actions=drop", FlowModCommand::kDelete),
            "del-flows takes no actions (remove \"actions=...\")");
  EXPECT_EQ(flow_mod_error("actions=drop", FlowModCommand::kFilter),
            "a flow filter takes no actions (remove \"actions=...\")");
}

TEST(FlowMod, SettingErrors) {
  EXPECT_EQ(flow_mod_error("table=255,actions=drop"), "table 255 is out of range (0-254)");
  EXPECT_EQ(flow_mod_error("table=x,actions=drop"), "table: \"x\" is not a number");
  EXPECT_EQ(flow_mod_error("priority=65536,actions=drop"),
            "priority 65536 is out of range (0-65535)");
  EXPECT_EQ(flow_mod_error("idle_timeout=70000,actions=drop"),
            "idle_timeout 70000 is out of range (0-65535)");
  EXPECT_EQ(flow_mod_error("hard_timeout=-1,actions=drop"),
            "hard_timeout: \"-1\" is not a number");
  EXPECT_EQ(flow_mod_error("priority=,actions=drop"), "priority: missing value");
  EXPECT_EQ(flow_mod_error("priority,actions=drop"), "priority: missing value");
  EXPECT_EQ(flow_mod_error("priority=1,priority=2,actions=drop"), "priority given twice");
  EXPECT_EQ(flow_mod_error("send_flow_rem=1,actions=drop"), "send_flow_rem takes no value");
  EXPECT_EQ(flow_mod_error("idle_timeout=5", FlowModCommand::kDelete),
            "idle_timeout is not allowed in del-flows");
  EXPECT_EQ(flow_mod_error("priority=5", FlowModCommand::kDelete),
            "priority is not allowed in del-flows");
  EXPECT_EQ(flow_mod_error("out_port=1,actions=drop"), "out_port is not allowed in add-flow");
  EXPECT_EQ(flow_mod_error("importance=1,actions=drop", FlowModCommand::kModify),
            "importance is not allowed in mod-flows");
  EXPECT_EQ(flow_mod_error("bogus=1,actions=drop"), "unknown field \"bogus\"");
  EXPECT_EQ(flow_mod_error("nw_dst=1.1.1.1,actions=drop"),
            "nw_dst: needs ip or arp (add \"ip\" or \"dl_type=0x0800\")");
}

TEST(FlowMod, Cookies) {
  EXPECT_EQ(must_flow_mod("cookie=0x10,actions=drop").cookie, 0x10u);
  EXPECT_EQ(flow_mod_error("cookie=0x10/0xff,actions=drop"),
            "cookie: add-flow cannot use a cookie mask (it sets the cookie)");
  FlowModSpec s = must_flow_mod("cookie=0x13/0xf0", FlowModCommand::kDelete);
  EXPECT_EQ(s.cookie, 0x10u);
  EXPECT_EQ(s.cookie_mask, 0xf0u);
  s = must_flow_mod("cookie=0x13/-1", FlowModCommand::kFilter);
  EXPECT_EQ(s.cookie, 0x13u);
  EXPECT_EQ(s.cookie_mask, ~uint64_t{0});
  EXPECT_EQ(flow_mod_error("cookie=0x13", FlowModCommand::kDelete),
            "cookie: del-flows cannot set a cookie (to match one, give a mask, e.g. "
            "\"cookie=0x13/-1\")");
  s = must_flow_mod("cookie=0x7/0xf,actions=drop", FlowModCommand::kModify);
  EXPECT_EQ(s.cookie_mask, 0xfu);
  EXPECT_EQ(flow_mod_error("cookie=zz,actions=drop"), "cookie: \"zz\" is not a valid value");
}

TEST(FlowMod, FilterSettings) {
  PortNameResolver ports = [](std::string_view name) -> std::optional<uint32_t> {
    if (name == "eth1") return 5;
    return std::nullopt;
  };
  FlowModSpec s = must_flow_mod("out_port=eth1,out_group=7,ip", FlowModCommand::kDelete, ports);
  EXPECT_EQ(s.out_port, 5u);
  EXPECT_EQ(s.out_group, 7u);
  EXPECT_EQ(must_flow_mod("out_port=LOCAL", FlowModCommand::kFilter).out_port, kOfppLocal);
  EXPECT_EQ(must_flow_mod("out_group=any", FlowModCommand::kFilter).out_group, kOfgAny);
  EXPECT_EQ(must_flow_mod("priority=7,ip", FlowModCommand::kDeleteStrict).priority, 7);
  EXPECT_EQ(flow_mod_error("out_group=0xffffffff", FlowModCommand::kDelete),
            "out_group 0xffffffff is out of range (0-4294967040, all or any)");
  EXPECT_FALSE(parse_flow_mod("out_port=eth9", FlowModCommand::kDelete, ports).ok());
}

TEST(FlowMod, DumpFlowsOutputReadsBack) {
  // ovs-ofctl dump-flows prints statistics that add-flow ignores.
  FlowModSpec s = must_flow_mod(
      " cookie=0x0, duration=3.2s, table=2, n_packets=5, n_bytes=300, idle_age=1, "
      "priority=100,tcp,in_port=1,tp_dst=80 actions=NORMAL");
  EXPECT_EQ(s.table, 2);
  EXPECT_EQ(s.priority, 100);
  EXPECT_EQ(format_of_match(s.match, s.priority), "priority=100,tcp,in_port=1,tp_dst=80");
  EXPECT_EQ(s.actions.size(), 1u);
}

}  // namespace
}  // namespace flowpath::openflow
