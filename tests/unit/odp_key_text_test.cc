// Tests of the ODP key text form. Many canonical strings are data from Open
// vSwitch's tests/odp.at; the expected outputs were checked against OVS 3.1's
// own parser and printer.
#include "odp/odp_key_text.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "flow/odp_abi.h"
#include "packet/byte_order.h"

namespace flowpath {
namespace {

using namespace odp;

std::string format_masked(std::string_view text, bool verbose = false) {
  auto r = parse_odp_key(text);
  if (!r.ok()) return "parse error: " + r.error();
  return format_odp_key(r->key, r->mask, verbose);
}

std::string format_unmasked(std::string_view text, bool verbose = false) {
  auto r = parse_odp_key(text);
  if (!r.ok()) return "parse error: " + r.error();
  return format_odp_key(r->key, {}, verbose);
}

std::string parse_error(std::string_view text) {
  auto r = parse_odp_key(text);
  return r.ok() ? "parsed: " + format_odp_key(r->key, r->mask) : r.error();
}

// ---------------------------------------------------------------------------
// Canonical keys without masks: every field given, printed back unchanged.

// odp.at "OVS datapath key parsing and formatting - valid forms", odp-base.txt.
const char* const kBaseKeys[] = {
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x1234)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x81,ttl=128,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=first)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=later)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=6,tos=0,ttl=128,frag=no),tcp(src=80,dst=8080)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=17,tos=0,ttl=128,frag=no),udp(src=81,dst=6632)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=1,tos=0,ttl=128,frag=no),icmp(type=1,code=2)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x71,hlimit=128,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=first)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=later)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=128,frag=no),tcp(src=80,dst=8080)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=17,tclass=0,hlimit=128,frag=no),udp(src=6630,dst=22)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=1,code=2)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0806),arp(sip=1.2.3.4,tip=5.6.7.8,op=1,sha=00:0f:10:11:12:13,tha=00:14:15:16:17:18)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e),nd_ext(nd_reserved=0x0,nd_options_type=2)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8847),mpls(label=100,tc=7,ttl=100,bos=1)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8847),mpls(label=100,tc=7,ttl=100,bos=0)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8848),mpls(label=1000,tc=4,ttl=200,bos=1)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x8848),mpls(label=1000,tc=4,ttl=200,bos=0)",
};

// The prefixes odp.at puts in front of each base key.
const char* const kKeyPrefixes[] = {
    "",
    "skb_priority(0),skb_mark(0),recirc_id(0),dp_hash(0),",
    "skb_priority(0),tunnel(tun_id=0x7f10354,src=10.10.10.10,dst=20.20.20.20,ttl=64,flags(csum|key)),skb_mark(0x1234),recirc_id(0),dp_hash(0),",
    "skb_priority(0x1234),tunnel(tun_id=0xfedcba9876543210,src=10.10.10.10,dst=20.20.20.20,tos=0x8,ttl=64,flags(key)),skb_mark(0),recirc_id(0),dp_hash(0),",
    "skb_priority(0),skb_mark(0),ct_mark(0x12345678),ct_label(0x1234567890abcdef1234567890abcdef),recirc_id(0),dp_hash(0),",
    "skb_priority(0),tunnel(tun_id=0xfedcba9876543210,src=10.0.0.1,dst=10.0.0.2,ttl=128,erspan(ver=1,idx=0x7),flags(df|key)),skb_mark(0),recirc_id(0),dp_hash(0),",
    "skb_priority(0),tunnel(tun_id=0xfedcba9876543210,src=10.0.0.1,dst=10.0.0.2,ttl=128,erspan(ver=2,dir=1,hwid=0x7),flags(df|key)),skb_mark(0),recirc_id(0),dp_hash(0),",
};

// odp.at's VLAN variant: "eth(...)" becomes
// "eth(...),eth_type(0x8100),vlan(vid=99,pcp=7),encap(<rest>)".
std::string with_vlan(const std::string& key) {
  size_t eth = key.find("eth(");
  size_t end = key.find(')', eth) + 1;
  std::string rest = key.substr(end);
  if (!rest.empty() && rest[0] == ',') rest.erase(0, 1);
  return key.substr(0, end) + ",eth_type(0x8100),vlan(vid=99,pcp=7),encap(" + rest + ")";
}

std::vector<std::string> canonical_keys() {
  std::vector<std::string> keys;
  for (const char* prefix : kKeyPrefixes) {
    for (const char* base : kBaseKeys) {
      keys.push_back(std::string(prefix) + base);
      keys.push_back(with_vlan(std::string(prefix) + base));
    }
  }
  // Attributes and fields odp.at's key list does not reach.
  const char* const kMore[] = {
      "recirc_id(0x1),dp_hash(0xabcd),skb_priority(0x7),skb_mark(0xffffffff),in_port(4294967295)",
      "ct_state(new|trk),ct_zone(0x1),ct_mark(0x12345678),ct_label(0x1)",
      "ct_state(est|rel|rpl|inv|trk|snat|dnat)",
      "ct_state(0)",
      "ct_zone(0),ct_mark(0),ct_label(0)",
      "ct_tuple4(src=10.0.0.1,dst=10.0.0.2,proto=6,tp_src=1024,tp_dst=80)",
      "ct_tuple6(src=fe80::1,dst=2001:db8::2,proto=17,src_port=53,dst_port=5353)",
      "packet_type(ns=0,id=0),eth(src=00:00:00:00:00:00,dst=ff:ff:ff:ff:ff:ff)",
      "packet_type(ns=1,id=0x800),eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=0,tos=0,ttl=64,frag=no)",
      "eth_type(0x894f),nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x123456,si=255,c1=0x1,c2=0x2,c3=0x3,c4=0xffffffff)",
      "nsh(flags=2,ttl=10,mdtype=2,np=1,spi=0x1,si=3)",
      "tcp_flags(syn|ack)",
      "tcp_flags(fin|syn|rst|psh|ack|urg|ece|cwr|ns|[200]|[400]|[800])",
      "tcp_flags(0)",
      "sctp(src=1,dst=65535)",
      "tunnel(tun_id=0x1,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,tos=0x10,ttl=64,tp_src=1234,tp_dst=4789,flags(df|key))",
      "tunnel(tun_id=0x0,src=1.1.1.1,dst=2.2.2.2,ttl=64,geneve({class=0x102,type=0x80,len=4,0xa}{class=0xffff,type=0,len=0}),flags(oam|key))",
      "tunnel(src=1.1.1.1,dst=2.2.2.2,ttl=64,gtpu(flags=0x30,msgtype=255),flags(0))",
      "tunnel(src=1.1.1.1,dst=2.2.2.2,ttl=64,erspan(ver=2,dir=0,hwid=0xf),flags(0))",
      "tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64,vxlan(gbp(id=10,flags=0x1)),flags(oam|df|csum|key))",
      "vlan(vid=4095,pcp=7)",
      "vlan(vid=0,pcp=0,cfi=0)",
      "mpls(label=1048575,tc=7,ttl=255,bos=0,label=1,tc=0,ttl=0,bos=0,label=2,tc=1,ttl=2,bos=1)",
      "nd_ext(nd_reserved=0x12345678,nd_options_type=255)",
      "eth_type(0x88a8),vlan(vid=10,pcp=0),encap(eth_type(0x8100),vlan(vid=20,pcp=1),encap(eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=17,tos=0xb8,ttl=1,frag=no),udp(src=1,dst=2)))",
      "eth_type(0x8100),vlan(vid=0,pcp=0,cfi=0),encap()",
      "icmpv6(type=135,code=0),nd(target=fe80::1,sll=00:00:00:00:00:00,tll=ff:ff:ff:ff:ff:ff)",
      "ipv6(src=2001:db8::1,dst=::ffff:1.2.3.4,label=0xfffff,proto=255,tclass=0xff,hlimit=255,frag=later)",
  };
  for (const char* k : kMore) keys.push_back(k);
  return keys;
}

class CanonicalKeyTest : public testing::TestWithParam<std::string> {};

TEST_P(CanonicalKeyTest, FormatsBackUnchangedWithoutMask) {
  EXPECT_EQ(format_unmasked(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(OdpAt, CanonicalKeyTest, testing::ValuesIn(canonical_keys()));

// With a mask, a key whose every field is exact prints the same way, except
// where OVS shows masks even for exact fields: erspan (idx/dir/hwid masks)
// and tunnel flags without tun_id ("key" unmatched).
std::vector<std::string> canonical_keys_same_with_mask() {
  std::vector<std::string> keys;
  for (const std::string& k : canonical_keys())
    if (k.find("erspan(") == std::string::npos && k.find("flags(0)") == std::string::npos)
      keys.push_back(k);
  return keys;
}

class CanonicalExactKeyTest : public testing::TestWithParam<std::string> {};

TEST_P(CanonicalExactKeyTest, FormatsBackUnchangedWithExactMask) {
  EXPECT_EQ(format_masked(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(OdpAt, CanonicalExactKeyTest,
                         testing::ValuesIn(canonical_keys_same_with_mask()));

TEST(OdpKeyTextTest, ExactMaskShowsWhatOvsShows) {
  EXPECT_EQ(format_masked("tunnel(dst=10.0.0.2,erspan(ver=1,idx=0x7),flags(df|key))"),
            "tunnel(dst=10.0.0.2,erspan(ver=1,idx=0x7/0xffffffff),flags(df|key))");
  EXPECT_EQ(format_masked("tunnel(erspan(ver=2,dir=1,hwid=0x7))"),
            "tunnel(erspan(ver=2,dir=1/0x1,hwid=0x7/0xf))");
  EXPECT_EQ(format_masked("tunnel(src=1.1.1.1,flags(0))"), "tunnel(src=1.1.1.1,flags(-oam-df-csum))");
}

TEST(OdpKeyTextTest, NshKeyWithoutContextPrintsLikeOvs) {
  // OVS builds MD1 into a key only for mdtype 1; a mask over a key without
  // it shows the context as exactly zero.
  NshBase base{0, 63, 2, 3, hton32(0x123 << 8 | 255)}, base_mask;
  std::memset(&base_mask, 0xff, sizeof base_mask);
  std::vector<uint8_t> key, mask;
  NetlinkWriter k(&key), m(&mask);
  size_t nest = k.begin_nested(kKeyNsh);
  k.put_struct(kNshBase, base);
  k.end_nested(nest);
  nest = m.begin_nested(kKeyNsh);
  m.put_struct(kNshBase, base_mask);
  m.end_nested(nest);
  EXPECT_EQ(format_odp_key(key, mask),
            "nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x123,si=255,c1=0x0,c2=0x0,c3=0x0,c4=0x0)");
  EXPECT_EQ(format_odp_key(key), "nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x123,si=255)");
}

// ---------------------------------------------------------------------------
// Canonical masked keys.

// odp.at "OVS datapath wildcarded key parsing and formatting - valid forms".
const char* const kMaskedBase[] = {
    "in_port(1/0xff),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0,dst=10:11:12:13:14:15/ff:ff:ff:ff:ff:f0)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x1234/0xfff0)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41/255.255.255.0,dst=172.16.0.20/255.255.255.0,proto=5/0xf0,tos=0x80/0xf0,ttl=128/0xf0,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=6,tos=0,ttl=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff00,dst=6632/0xff)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=17,tos=0,ttl=128,frag=no),udp(src=81/0xff,dst=6632/0xff00)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0800),ipv4(src=35.8.2.41,dst=172.16.0.20,proto=1,tos=0,ttl=128,frag=no),icmp(type=1/0xf0,code=2)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1/::255,dst=::2/::255,label=0/0xf0,proto=10/0xf0,tclass=0x70/0xf0,hlimit=128/0xf0,frag=no)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=6,tclass=0,hlimit=128,frag=no),tcp(src=80/0xff00,dst=8080/0xff)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=17,tclass=0,hlimit=128,frag=no),udp(src=6630/0xff00,dst=22/0xff)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=1/0xf0,code=2)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=135,code=0),nd(target=::3/::250)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=135,code=0),nd(target=::3/::250,sll=00:05:06:07:08:09/ff:ff:ff:ff:ff:00)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3/::250,tll=00:0a:0b:0c:0d:0e/ff:ff:ff:ff:ff:00)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3/::250,sll=00:05:06:07:08:09/ff:ff:ff:ff:ff:00,tll=00:0a:0b:0c:0d:0e/ff:ff:ff:ff:ff:00)",
    "in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x0806),arp(sip=1.2.3.4/255.255.255.250,tip=5.6.7.8/255.255.255.250,op=1/0xf0,sha=00:0f:10:11:12:13/ff:ff:ff:ff:ff:00,tha=00:14:15:16:17:18/ff:ff:ff:ff:ff:00)",
    "skb_mark(0x1234/0xfff0),in_port(1),eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15),eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=128,frag=no),icmpv6(type=136,code=0),nd(target=::3,sll=00:05:06:07:08:09,tll=00:0a:0b:0c:0d:0e)",
};

const char* const kMaskedPrefixes[] = {
    "",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,vxlan(gbp(id=10/0xff,flags=0xb)),flags(oam|csum|key)),",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,flags(-df+csum+key)),",
    "tunnel(tun_id=0x7f10354/0xff,src=10.10.10.10/255.255.255.0,dst=20.20.20.20/255.255.255.0,ttl=64,geneve({class=0,type=0,len=4,0xa/0xff}{class=0xffff,type=0x1,len=4,0xffffffff}),flags(csum|key)),",
    "skb_priority(0x1234/0xff),",
    "skb_priority(0x1234),tunnel(tun_id=0xfedcba9876543210,src=10.10.10.10,dst=20.20.20.20,tos=0x8,ttl=64,flags(key)),",
    "tunnel(tun_id=0x1,src=10.0.0.1,erspan(ver=2,dir=1/0x1,hwid=0x7/0xf),flags(df|key)),",
    "tunnel(tun_id=0xfedcba9876543210,dst=10.0.0.2,ttl=128,erspan(ver=1,idx=0x7/0xf),flags(df|key)),",
};

std::vector<std::string> canonical_masked_keys() {
  std::vector<std::string> keys;
  for (const char* prefix : kMaskedPrefixes)
    for (const char* base : kMaskedBase) keys.push_back(std::string(prefix) + base);
  for (const char* base : kMaskedBase) {
    std::string key = base;
    // odp.at's conntrack variant.
    size_t eth_end = key.find(')', key.find("eth(")) + 1;
    keys.push_back(key.substr(0, eth_end) +
                   ",ct_state(+trk),ct_zone(0x5/0xff),ct_mark(0x10305070/0xf0f0f0f0),"
                   "ct_label(0x1234567890abcdef1234567890abcdef/0x102030405060708090a0b0c0d0e0f0),"
                   "ct_tuple4(src=10.10.10.10,dst=20.20.20.20,proto=17,tp_src=1,tp_dst=2)" +
                   key.substr(eth_end));
    keys.push_back(with_vlan(key));
  }
  const char* const kMore[] = {
      "eth()",
      "eth(),eth_type(0x0800),ipv4(src=10.0.0.0/255.0.0.0,frag=no)",
      "recirc_id(0),in_port(2),eth(src=00:01:02:03:04:05/ff:ff:ff:ff:ff:f0),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(+syn-ack)",
      "tcp_flags(-fin+syn-rst-psh+ack-urg-ece-cwr-ns-[200]-[400])",
      "tcp_flags(syn)",
      "ct_state(-new+est-rel-rpl-inv+trk-snat-dnat)",
      "ct_state(+new-rpl+trk)",
      "ct_state(est|trk)",
      "ct_zone(0x5),ct_mark(0x1),ct_label(0x1)",
      "ct_tuple6(src=fe80::1/ffff::,proto=6,src_port=53/0xff00)",
      "packet_type(ns=1,id=0x800/0xff00)",
      "packet_type(id=0x800)",
      "vlan(vid=5/0x3)",
      "vlan(pcp=3/0x1,cfi=0)",
      "vlan()",
      "eth_type(0x8100),vlan(vid=99/0xff0,pcp=7/0x6),encap(eth_type(0x0800))",
      "mpls(label=100/0xff,tc=7/7,ttl=64/0xff,bos=1/1)",
      "mpls(label=1/0xfffff,tc=0/0,ttl=0/0x0,bos=0/0,label=2/0xfffff,tc=0/0,ttl=0/0x0,bos=0/0)",
      "nd_ext(nd_reserved=0x0,nd_options_type=2)",
      "nsh(flags=0x01/0x0f,mdtype=1,np=3,spi=0x100/0x000000ff,si=2,c1=0x5/0x0000000f)",
      "nsh(mdtype=1,spi=0x1,c4=0xffffffff)",
      "nsh()",
      "nsh(c1=0x0,c2=0x0,c3=0x0,c4=0x0)",
      "nsh(flags=2,ttl=10,mdtype=2,np=1,spi=0x1,si=3)",
      "tunnel(tun_id=0x5/0xff00,flags(+key))",
      "tunnel(flags(key))",
      "tunnel(flags(+key))",
      "tunnel(src=1.1.1.1,flags(-oam-df-csum))",
      "tunnel(ipv6_src=2001:db8::/ffff:ffff::,ipv6_dst=::1,tos=0x20/0xfc,ttl=64/0xf0,tp_src=1/0xff,tp_dst=4789)",
      "tunnel(gtpu(flags=0x30,msgtype=255/0xf))",
      "tunnel(geneve({class=0x1,len=8,0x1000000000/0xff00000000}{type=0x80/0xf0}))",
      "tunnel(geneve({len=4/0x1}))",
      "tunnel(vxlan(gbp(id=10)))",
      "tunnel(vxlan(gbp()))",
      "tunnel(vxlan())",
      "tunnel()",
      "encap()",
      "in_port(1),encap(eth_type(0x0800),ipv4(dst=1.2.3.4/255.255.0.0))",
  };
  for (const char* k : kMore) keys.push_back(k);
  return keys;
}

class CanonicalMaskedKeyTest : public testing::TestWithParam<std::string> {};

TEST_P(CanonicalMaskedKeyTest, FormatsBackUnchanged) {
  EXPECT_EQ(format_masked(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(OdpAt, CanonicalMaskedKeyTest,
                         testing::ValuesIn(canonical_masked_keys()));

// ---------------------------------------------------------------------------
// Non-canonical input normalises.

struct Normalisation {
  const char* input;
  const char* canonical;  // formatted with the parsed mask
};

const Normalisation kNormalisations[] = {
    {"eth(src=00:0A:0B:0C:0D:0E,dst=FF:FF:FF:FF:FF:FF)",
     "eth(src=00:0a:0b:0c:0d:0e,dst=ff:ff:ff:ff:ff:ff)"},
    {"eth_type(2048)", "eth_type(0x0800)"},
    {"eth_type(0x800/0xFFFF)", "eth_type(0x0800)"},
    {"ipv4(src=1.2.3.4/255.255.255.255, dst=5.6.7.8)", "ipv4(src=1.2.3.4,dst=5.6.7.8)"},
    {"ipv4(frag=no,ttl=64,dst=5.6.7.8,src=1.2.3.4)", "ipv4(src=1.2.3.4,dst=5.6.7.8,ttl=64,frag=no)"},
    {"ipv4( src=1.2.3.4 , proto=6 )", "ipv4(src=1.2.3.4,proto=6)"},
    {"ipv4(src=1.2.3.4,)", "ipv4(src=1.2.3.4)"},
    {"ipv4(tos=0x00,ttl=0x40)", "ipv4(tos=0,ttl=64)"},
    {"tcp(dst=0x50)", "tcp(dst=80)"},
    {"  in_port(1) ,\t eth_type(0x0800)  ", "in_port(1),eth_type(0x0800)"},
    {"in_port(1) eth_type(0x0800)", "in_port(1),eth_type(0x0800)"},
    {"in_port(7/0xffffffff)", "in_port(7)"},
    {"skb_mark(10)", "skb_mark(0xa)"},
    {"recirc_id(0x00)", "recirc_id(0)"},
    {"tunnel(ttl=64,dst=2.2.2.2,tun_id=5,src=1.1.1.1,flags(key|csum))",
     "tunnel(tun_id=0x5,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(csum|key))"},
    {"tunnel(gtpu(msgtype=1,flags=2),tp_dst=4789)", "tunnel(tp_dst=4789,gtpu(flags=0x2,msgtype=1))"},
    {"tunnel(erspan(ver=1,idx=7))", "tunnel(erspan(ver=1,idx=0x7/0xffffffff))"},
    {"tunnel(erspan(ver=1/0,idx=7/0xf))", "tunnel(erspan(ver=1,idx=0x7/0xf))"},
    {"tunnel(erspan(ver=2,hwid=3,dir=1))", "tunnel(erspan(ver=2,dir=1/0x1,hwid=0x3/0xf))"},
    {"tunnel(geneve({len=4,type=2,class=0x1,0x0000000a}))",
     "tunnel(geneve({class=0x1,type=0x2,len=4,0xa}))"},
    {"tunnel(geneve({class=1,len=4,0xa/0}))", "tunnel(geneve({class=0x1,len=4}))"},
    {"tunnel(geneve({len=4/0,0x1/0x334455}))", "tunnel(geneve({len=4/0,0x1/0x334455}))"},  // fuzz
    {"tunnel(geneve({len=4/0}))", "tunnel(geneve({}))"},
    {"tunnel(vxlan(gbp(flags=1,id=2)))", "tunnel(vxlan(gbp(id=2,flags=0x1)))"},
    {"tunnel(flags(0x8|df))", "tunnel(flags(df|key))"},
    {"tunnel(flags(0/0))", "tunnel()"},
    {"tunnel(tun_id=0/0,flags(-key))", "tunnel(flags(+key))"},
    {"ct_state(trk|est)", "ct_state(est|trk)"},
    {"ct_state(0x22)", "ct_state(est|trk)"},
    {"ct_state(0x22/0x22)", "ct_state(+est+trk)"},
    {"ct_state(+trk-new)", "ct_state(-new+trk)"},
    {"ct_state(0/0)", "<empty>"},
    {"ct_zone()", "<empty>"},
    {"ct_label(0x0000000000000000000000000000001)", "ct_label(0x1)"},
    {"ct_label(255)", "ct_label(0xff)"},
    {"ct_label(0x1/0xffffffffffffffffffffffffffffffff)", "ct_label(0x1)"},
    {"ct_tuple6(tp_src=53,tp_dst=5353)", "ct_tuple6(src_port=53,dst_port=5353)"},
    {"tcp_flags(ack|syn)", "tcp_flags(syn|ack)"},
    {"tcp_flags(0x12)", "tcp_flags(syn|ack)"},
    {"tcp_flags(0x12/0x12)", "tcp_flags(+syn+ack)"},
    {"tcp_flags(0x12/0xfff)", "tcp_flags(syn|ack)"},
    {"ipv6(src=2001:DB8:0:0:0:0:0:1)", "ipv6(src=2001:db8::1)"},
    {"ipv6(label=0x0)", "ipv6(label=0)"},
    {"ipv6(label=5/0xfffff)", "ipv6(label=0x5)"},
    {"vlan(pcp=7,vid=99)", "vlan(vid=99,pcp=7)"},
    {"vlan(vid=4095/0xfff)", "vlan(vid=4095)"},
    {"vlan(vid=0/0)", "vlan()"},
    {"vlan(cfi=0/0)", "<empty>"},
    {"mpls(bos=1,ttl=64,tc=7,label=100)", "mpls(label=100,tc=7,ttl=64,bos=1)"},
    {"mpls(label=5)", "mpls(label=5/0xfffff,tc=0/0,ttl=0/0x0,bos=0/0)"},
    {"ipv4(src=1.2.3.4/0.0.0.0)", "<empty>"},
    {"eth(src=00:01:02:03:04:05/00:00:00:00:00:00)", "eth()"},
    {"packet_type(ns=0/0,id=0/0),eth()", "eth()"},
    {"packet_type(ns=0,id=0),eth()", "packet_type(ns=0,id=0)"},
    {"nd_ext(nd_options_type=2)", "nd_ext(nd_reserved=0x0,nd_options_type=2)"},
    {"nsh(spi=0x1,mdtype=1)", "nsh(mdtype=1,spi=0x1)"},
    {"nsh(flags=2,ttl=10,mdtype=1/0,c3=0x0)", "nsh(flags=2,ttl=10,c3=0x0)"},  // fuzz finding
    {"nsh(mdtype=2,c1=5/0xff)", "nsh(mdtype=2,c1=0x5/0x000000ff)"},
    {"nsh(mdtype=2,md2=0x0102/0xff00)", "nsh(mdtype=2,md2=0x0102/0xff00)"},
    {"nsh(mdtype=1/0,spi=0)", "nsh(spi=0x0)"},  // fuzz finding
    {"encap(eth_type(0x0800) ipv4(src=1.2.3.4))", "encap(eth_type(0x0800),ipv4(src=1.2.3.4))"},
    {"", "<empty>"},
    {"<empty>", "<empty>"},
};

TEST(OdpKeyTextTest, NonCanonicalInputNormalises) {
  for (const Normalisation& n : kNormalisations) {
    SCOPED_TRACE(n.input);
    EXPECT_EQ(format_masked(n.input), n.canonical);
    // The canonical form is a fixed point.
    EXPECT_EQ(format_masked(n.canonical), n.canonical);
  }
}

// Whatever the mode, formatting what was parsed gives text that parses back
// to something formatting the same way (what the fuzz target checks).
TEST(OdpKeyTextTest, CanonicalFormIsAFixedPointInEveryMode) {
  std::vector<std::string> inputs = canonical_keys();
  for (const std::string& k : canonical_masked_keys()) inputs.push_back(k);
  for (const Normalisation& n : kNormalisations) inputs.push_back(n.input);
  for (const std::string& input : inputs) {
    auto parsed = parse_odp_key(input);
    ASSERT_TRUE(parsed.ok()) << input << ": " << parsed.error();
    for (bool use_mask : {false, true}) {
      for (bool verbose : {false, true}) {
        SCOPED_TRACE(input + (use_mask ? " [mask]" : "") + (verbose ? " [verbose]" : ""));
        std::span<const uint8_t> mask;
        if (use_mask) mask = parsed->mask;
        std::string first = format_odp_key(parsed->key, mask, verbose);
        auto again = parse_odp_key(first);
        ASSERT_TRUE(again.ok()) << first << ": " << again.error();
        std::span<const uint8_t> mask2;
        if (use_mask) mask2 = again->mask;
        EXPECT_EQ(format_odp_key(again->key, mask2, verbose), first);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Errors name the column and the offending text.

struct ParseError {
  const char* input;
  const char* message;
};

const ParseError kErrors[] = {
    {"foo(1)", "column 1 (near 'foo(1)'): unknown key attribute 'foo'"},
    {"in_port(1),bogus(2)", "column 12 (near 'bogus(2)'): unknown key attribute 'bogus'"},
    {"ipv4(src=1.2.3.4,foo=1)", "column 18 (near 'foo=1)'): unknown field 'foo' in ipv4(...)"},
    {"ipv4(proto=300)",
     "column 12 (near '300)'): value 300 for 'proto' is out of range (maximum 255)"},
    {"ipv4(proto=abc)", "column 12 (near 'abc)'): expected a number for 'proto'"},
    {"ipv4(src=1.2.3)", "column 10 (near '1.2.3)'): invalid IPv4 address for 'src'"},
    {"ipv4(src=1.2.3.4/255.255.0)", "column 18 (near '255.255.0)'): invalid IPv4 mask for 'src'"},
    {"ipv6(dst=::1::2)", "column 10 (near '::1::2)'): invalid IPv6 address for 'dst'"},
    {"eth(src=00:01:02:03:04)",
     "column 9 (near '00:01:02:03:04)'): invalid Ethernet address for 'src'"},
    {"eth(src=00:01:02:03:04:05/zz)", "column 27 (near 'zz)'): invalid Ethernet mask for 'src'"},
    {"vlan(vid=4096)",
     "column 10 (near '4096)'): value 4096 for 'vid' is out of range (maximum 4095)"},
    {"vlan(vid=5/0x1fff)",
     "column 12 (near '0x1fff)'): value 0x1fff for the mask of 'vid' is out of range (maximum "
     "4095)"},
    {"vlan(pcp=8)", "column 10 (near '8)'): value 8 for 'pcp' is out of range (maximum 7)"},
    {"mpls(label=1048576)",
     "column 12 (near '1048576)'): value 1048576 for 'label' is out of range (maximum 1048575)"},
    {"mpls(label=1,label=2,label=3,label=4)",
     "column 30 (near 'label=4)'): too many label stack entries in mpls(...) (at most 3)"},
    {"ipv6(label=0x100000)",
     "column 12 (near '0x100000)'): value 0x100000 for 'label' is out of range (maximum "
     "1048575)"},
    {"ipv4(frag=maybe)",
     "column 11 (near 'maybe)'): invalid frag value 'maybe' (expected no, first or later)"},
    {"ipv4(frag=no/0xff)", "column 13 (near '/0xff)'): 'frag' cannot be masked"},
    {"in_port(1),in_port(2)", "column 12 (near 'in_port(2)'): duplicate attribute 'in_port'"},
    {"eth_type(0x8100),vlan(vid=1),encap(eth_type(0x0800),eth_type(0x86dd))",
     "column 53 (near 'eth_type(0x86dd))'): duplicate attribute 'eth_type'"},
    {"ipv4(src=1.2.3.4,src=5.6.7.8)",
     "column 18 (near 'src=5.6.7.8)'): duplicate field 'src' in ipv4(...)"},
    {"ipv4(src=1.2.3.4", "column 17 (at end of input): missing ')' to close 'ipv4('"},
    {"in_port(1))", "column 11 (near ')'): unbalanced parentheses: unexpected ')'"},
    {"in_port(1", "column 10 (at end of input): missing ')' to close 'in_port('"},
    {"encap(in_port(1)", "column 17 (at end of input): missing ')' to close 'encap('"},
    {"in_port(1)x", "column 11 (near 'x'): expected ',' after in_port(...)"},
    {"eth_type(0x10000)",
     "column 10 (near '0x10000)'): value 0x10000 for 'eth_type' is out of range (maximum "
     "65535)"},
    {"recirc_id(1/0xff)", "column 12 (near '/0xff)'): 'recirc_id' cannot be masked"},
    {"tcp_flags(syn|bogus)", "column 15 (near 'bogus)'): unknown flag 'bogus' in tcp_flags(...)"},
    {"tcp_flags(+syn+syn)",
     "column 16 (near 'syn)'): flag 'syn' given more than once in tcp_flags(...)"},
    {"tcp_flags()", "column 11 (near ')'): expected flags in tcp_flags(...)"},
    {"ct_state(0x100/0xff)",
     "column 10 (near '0x100/0xff)'): unknown flag bits in '0x100/0xff' for ct_state(...)"},
    {"ct_state(snat|bogus)", "column 15 (near 'bogus)'): unknown flag 'bogus' in ct_state(...)"},
    {"tunnel(tun_id=1,tun_id=2)",
     "column 17 (near 'tun_id=2)'): duplicate field 'tun_id' in tunnel(...)"},
    {"tunnel(color=1)", "column 8 (near 'color=1)'): unknown field 'color' in tunnel(...)"},
    {"tunnel(erspan(ver=3))", "column 19 (near '3))'): erspan ver must be 1 or 2"},
    {"tunnel(erspan(idx=1))",
     "column 15 (near 'idx=1))'): erspan(...) must start with ver=1 or ver=2"},
    {"tunnel(erspan(ver=1,dir=1))",
     "column 21 (near 'dir=1))'): field 'dir' is not valid with erspan ver=1"},
    {"tunnel(erspan(ver=2,hwid=16))",
     "column 26 (near '16))'): value 16 for 'hwid' is out of range (maximum 15)"},
    {"tunnel(geneve({class=1,len=5}))",
     "column 28 (near '5}))'): geneve option len must be a multiple of 4 up to 124"},
    {"tunnel(geneve({len=4,0x1122334455}))",
     "column 22 (near '0x1122334455}))'): value for 'geneve option data' does not fit in 4 "
     "bytes"},
    {"tunnel(vxlan(gbp(id=70000)))",
     "column 21 (near '70000)))'): value 70000 for 'id' is out of range (maximum 65535)"},
    {"tunnel(flags(df|nope))", "column 17 (near 'nope))'): unknown flag 'nope' in flags(...)"},
    {"ct_label(0x1234567890abcdef1234567890abcdef1)",
     "column 10 (near '0x1234567890abcdef12...'): value for 'ct_label' does not fit in 16 bytes"},
    {"ipv4(src)", "column 9 (near ')'): expected '=' after 'src'"},
    {"ipv4 (src=1.2.3.4)", "column 5 (near ' (src=1.2.3.4)'): expected '(' after 'ipv4'"},
    {"in_port(0x)", "column 9 (near '0x)'): invalid number '0x' for 'in_port'"},
    {"in_port(12ab)", "column 9 (near '12ab)'): invalid number '12ab' for 'in_port'"},
    {"in_port(99999999999999999999999)",
     "column 9 (near '99999999999999999999...'): value 99999999999999999999999 for 'in_port' "
     "is out of range (maximum 4294967295)"},
    {"tcp(src=1,,dst=2)", "column 11 (near ',dst=2)'): expected a field name in tcp(...)"},
    {"nsh(spi=0x1000000)",
     "column 9 (near '0x1000000)'): value 0x1000000 for 'spi' is out of range (maximum "
     "16777215)"},
    {"eth_type(0x0800),ipv4(tos=256)",
     "column 27 (near '256)'): value 256 for 'tos' is out of range (maximum 255)"},
    {"=", "column 1 (near '='): expected a key attribute such as in_port(...)"},
};

TEST(OdpKeyTextTest, ParseErrorsNameColumnAndToken) {
  for (const ParseError& e : kErrors) {
    SCOPED_TRACE(e.input);
    EXPECT_EQ(parse_error(e.input), e.message);
  }
}

TEST(OdpKeyTextTest, ErrorsForEveryAttributeName) {
  // Every attribute rejects an unknown field the same way.
  for (const char* name : {"eth", "ipv4", "ipv6", "tcp", "udp", "sctp", "icmp", "icmpv6", "arp",
                           "nd", "nd_ext", "ct_tuple4", "ct_tuple6", "packet_type", "vlan",
                           "mpls", "nsh", "tunnel"}) {
    std::string text = std::string(name) + "(zz=1)";
    SCOPED_TRACE(text);
    std::string want = "column " + std::to_string(std::string(name).size() + 2) +
                       " (near 'zz=1)'): unknown field 'zz' in " + name + "(...)";
    EXPECT_EQ(parse_error(text), want);
  }
}

// ---------------------------------------------------------------------------
// Verbose formatting: nothing left out (frag with a zero mask excepted, as
// in OVS).

TEST(OdpKeyTextTest, VerboseShowsWildcardedFieldsAndAttributes) {
  EXPECT_EQ(format_masked("in_port(1),ipv4(src=1.2.3.4)", true),
            "in_port(1),ipv4(src=1.2.3.4,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0)");
  EXPECT_EQ(format_masked("ct_state(0/0),ct_zone(0/0),ct_mark(0/0)", true),
            "ct_state(0/0),ct_zone(0/0),ct_mark(0/0)");
  EXPECT_EQ(format_masked("vlan(vid=5)", true), "vlan(vid=5,pcp=0/0x0)");
  EXPECT_EQ(format_masked("tunnel(flags(+key))", true), "tunnel(tun_id=0x0/0,flags(+key))");
  EXPECT_EQ(format_masked("tunnel(src=1.1.1.1)", true), "tunnel(src=1.1.1.1,flags(0/0))");
  EXPECT_EQ(format_masked("tunnel(geneve({len=4}))", true),
            "tunnel(geneve({class=0/0,type=0/0,len=4,0/0}),flags(0/0))");
  EXPECT_EQ(format_masked("packet_type(ns=1)", true), "packet_type(ns=1,id=0/0)");
  EXPECT_EQ(format_masked("ct_state(est)", true), "ct_state(0x2)");
  EXPECT_EQ(format_masked("ct_state(+est)", true), "ct_state(0x2/0x2)");
  // Without a mask, verbose differs only for ct_state (hex instead of names).
  EXPECT_EQ(format_unmasked("ct_state(est|trk),ct_zone(0x5)", true), "ct_state(0x22),ct_zone(0x5)");
  EXPECT_EQ(format_unmasked("ct_state(est|trk),ct_zone(0x5)"), "ct_state(est|trk),ct_zone(0x5)");
}

TEST(OdpKeyTextTest, WildcardedAttributesAreLeftOutUnlessVerbose) {
  const char* text = "in_port(1),eth(src=00:01:02:03:04:05/00:00:00:00:00:00),eth_type(0x0800),"
                     "ipv4(src=1.2.3.4/0.0.0.0),tcp(src=0/0)";
  EXPECT_EQ(format_masked(text), "in_port(1),eth(),eth_type(0x0800)");
  EXPECT_EQ(format_masked(text, true),
            "in_port(1),eth(src=00:01:02:03:04:05/00:00:00:00:00:00,"
            "dst=00:00:00:00:00:00/00:00:00:00:00:00),eth_type(0x0800),"
            "ipv4(src=1.2.3.4/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0),"
            "tcp(src=0/0,dst=0/0)");
}

// ---------------------------------------------------------------------------
// Formatting attributes that the parser never makes.

std::vector<uint8_t> attrs(std::initializer_list<std::pair<uint16_t, std::vector<uint8_t>>> list) {
  std::vector<uint8_t> out;
  NetlinkWriter w(&out);
  for (const auto& [type, payload] : list) w.put(type, payload.data(), payload.size());
  return out;
}

TEST(OdpKeyTextTest, UnknownAttributesPrintGenerically) {
  auto key = attrs({{40, {0x01, 0x02, 0xab}}, {kKeyIpv6Exthdrs, {0x00, 0x10}}});
  EXPECT_EQ(format_odp_key(key), "key40(01 02 ab),key32(00 10)");
  auto mask = attrs({{40, {0xff, 0xff, 0xff}}});
  // OVS cannot tell whether an unknown mask is exact, so it always shows it;
  // an unknown attribute the mask does not mention counts as wildcarded.
  EXPECT_EQ(format_odp_key(key, mask), "key40(01 02 ab/ff ff ff)");
  EXPECT_EQ(format_odp_key(key, mask, true), "key40(01 02 ab/ff ff ff),key32(00 10/00 00)");
  auto tunnel_info = attrs({{kKeyTunnelInfo, {}}});
  EXPECT_EQ(format_odp_key(tunnel_info), "<error: kernel-only tunnel_info>()");
}

TEST(OdpKeyTextTest, WrongLengthsPrintLikeOvs) {
  EXPECT_EQ(format_odp_key(attrs({{kKeyInPort, {1, 0}}, {kKeyEthertype, {0x08, 0x00}}})),
            "(bad key length 2, expected 4)(01 00)eth_type(0x0800)");  // sic: no comma
  auto key = attrs({{kKeyEthertype, {0x08, 0x00}}});
  auto mask = attrs({{kKeyEthertype, {0xff}}});
  EXPECT_EQ(format_odp_key(key, mask), "08 00/(bad mask length 1, expected 2)(ff)");
  EXPECT_EQ(format_odp_key(attrs({{kKeyMpls, {0, 0, 0x1, 0x40, 0, 0}}})),
            "mpls((bad key length 6)");
  EXPECT_EQ(format_odp_key(attrs({{kKeyTunnelInfo, {1}}})),
            "(bad key length 1, expected 0)(01)");

  std::vector<uint8_t> tunnel;
  NetlinkWriter w(&tunnel);
  size_t nest = w.begin_nested(kKeyTunnel);
  uint8_t short_ip[2] = {10, 0};
  w.put(kTunnelIpv4Dst, short_ip, 2);
  w.put_u8(kTunnelTtl, 64);
  w.put_u16(99, 0x1234);
  w.end_nested(nest);
  EXPECT_EQ(format_odp_key(tunnel),
            "tunnel(key2(bad key length 2, expected 4)(0a 00)ttl=64,key99(34 12),flags(0))");
  // A one-attribute format for set(...), with the same diagnostics.
  std::string out;
  NetlinkAttr bad{kKeyIpv4, std::span<const uint8_t>(short_ip, 2)};
  format_odp_key_attr(bad, nullptr, true, out);
  EXPECT_EQ(out, "(bad key length 2, expected 12)(0a 00)");
}

TEST(OdpKeyTextTest, LeftoverBytesAndEmptyKeys) {
  std::vector<uint8_t> key = attrs({{kKeyInPort, {1, 0, 0, 0}}});
  key.insert(key.end(), {0x08, 0x00});
  EXPECT_EQ(format_odp_key(key), "in_port(1),***2 leftover bytes*** (0800)");
  std::vector<uint8_t> junk = {0x02, 0x00};
  EXPECT_EQ(format_odp_key(junk), "<empty>,***2 leftover bytes*** (0200)");
  EXPECT_EQ(format_odp_key({}), "<empty>");
}

TEST(OdpKeyTextTest, MaskOnlyEthertypeIsShown) {
  auto key = attrs({{kKeyInPort, {1, 0, 0, 0}}});
  auto mask = attrs({{kKeyInPort, {0xff, 0xff, 0xff, 0xff}}, {kKeyEthertype, {0xff, 0xff}}});
  EXPECT_EQ(format_odp_key(key, mask), "in_port(1),eth_type(0/0xffff)");
}

TEST(OdpKeyTextTest, PartialFragMaskIsReported) {
  KeyIpv4 v{}, m{};
  m.frag = 0x0f;
  std::vector<uint8_t> key, mask;
  NetlinkWriter(&key).put_struct(kKeyIpv4, v);
  NetlinkWriter(&mask).put_struct(kKeyIpv4, m);
  EXPECT_EQ(format_odp_key(key, mask), "ipv4(error: partial mask not supported for frag (0xf))");
}

// ---------------------------------------------------------------------------
// Netlink bytes: the text maps to the documented payload layouts.

TEST(OdpKeyTextTest, ProducesDocumentedPayloads) {
  auto r = parse_odp_key(
      "in_port(3),eth_type(0x86dd),vlan(vid=99,pcp=7),mpls(label=100,tc=3,ttl=64,bos=1),"
      "tcp_flags(syn),ct_zone(5),ct_label(0x0102),packet_type(ns=1,id=0x800)");
  ASSERT_TRUE(r.ok()) << r.error();
  auto list = parse_attributes(r->key);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 8u);
  const auto& a = *list;
  EXPECT_EQ(a[0].type, kKeyInPort);
  EXPECT_EQ(a[0].get_u32(), 3u);  // host order
  EXPECT_EQ(a[1].get_u16(), hton16(0x86dd));
  EXPECT_EQ(a[2].get_u16(), hton16(0x1000 | 7 << 13 | 99));  // CFI set
  EXPECT_EQ(a[3].get_u32(), hton32(100 << 12 | 3 << 9 | 1 << 8 | 64));
  EXPECT_EQ(a[4].get_u16(), hton16(0x002));
  EXPECT_EQ(a[5].get_u16(), 5u);  // host order
  ASSERT_EQ(a[6].size(), 16u);    // host-order 128-bit number
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  EXPECT_EQ(a[6].payload[0], 0x02);
  EXPECT_EQ(a[6].payload[1], 0x01);
#endif
  EXPECT_EQ(a[7].get_u32(), hton32(1u << 16 | 0x800));

  // Mask: exact fields are all ones, absent fields zero.
  auto masks = parse_attributes(r->mask);
  ASSERT_TRUE(masks.ok());
  EXPECT_EQ((*masks)[2].get_u16(), hton16(0xffff));
  EXPECT_EQ((*masks)[4].get_u16(), hton16(0xffff));
}

TEST(OdpKeyTextTest, TunnelAttributesAreWrittenInCanonicalOrder) {
  auto r = parse_odp_key("tunnel(flags(oam|csum|df),tp_dst=4789,ttl=64,dst=1.1.1.1,tun_id=7)");
  ASSERT_TRUE(r.ok()) << r.error();
  auto outer = parse_attributes(r->key);
  ASSERT_TRUE(outer.ok());
  auto inner = parse_attributes((*outer)[0].payload);
  ASSERT_TRUE(inner.ok());
  std::vector<uint16_t> types;
  for (const auto& a : *inner) types.push_back(a.type);
  EXPECT_EQ(types, (std::vector<uint16_t>{kTunnelId, kTunnelIpv4Dst, kTunnelTtl,
                                          kTunnelDontFragment, kTunnelCsum, kTunnelTpDst,
                                          kTunnelOam}));
  EXPECT_EQ((*inner)[0].get_u64(), hton64(7));
  EXPECT_EQ(format_odp_key(r->key, r->mask),
            "tunnel(tun_id=0x7,dst=1.1.1.1,ttl=64,tp_dst=4789,flags(oam|df|csum|key))");
}

TEST(OdpKeyTextTest, ErspanV2UsesDocumentedBits) {
  auto r = parse_odp_key("tunnel(erspan(ver=2,dir=1,hwid=0x5))");
  ASSERT_TRUE(r.ok()) << r.error();
  auto outer = parse_attributes(r->key);
  auto inner = parse_attributes((*outer)[0].payload);
  ASSERT_EQ(inner->size(), 1u);
  ErspanMetadata md = (*inner)[0].get<ErspanMetadata>();
  EXPECT_EQ(md.version, 2);
  EXPECT_EQ(md.u[7], 0x5 << 4 | 1 << 3);
}

// ---------------------------------------------------------------------------
// One attribute at a time: what the action parser uses for set(...).

TEST(OdpKeyTextTest, ParseOneAttributeWithAndWithoutMask) {
  TextScanner in("ipv4(src=1.2.3.4/255.255.255.0,ttl=64)),next");
  std::vector<uint8_t> key_bytes, mask_bytes;
  NetlinkWriter key(&key_bytes), mask(&mask_bytes);
  ASSERT_TRUE(parse_odp_key_attr(in, key, &mask).ok());
  EXPECT_EQ(in.rest(), "),next");
  auto k = parse_attributes(key_bytes);
  auto m = parse_attributes(mask_bytes);
  ASSERT_EQ(k->size(), 1u);
  ASSERT_EQ(m->size(), 1u);
  std::string out;
  format_odp_key_attr((*k)[0], &(*m)[0], false, out);
  EXPECT_EQ(out, "ipv4(src=1.2.3.4/255.255.255.0,ttl=64)");
  out.clear();
  format_odp_key_attr((*k)[0], nullptr, true, out);
  EXPECT_EQ(out, "ipv4(src=1.2.3.4,dst=0.0.0.0,proto=0,tos=0,ttl=64,frag=no)");

  // Without a mask writer the value is parsed exact, and masks are refused.
  TextScanner exact("tcp(src=80)");
  std::vector<uint8_t> only_key;
  NetlinkWriter w(&only_key);
  ASSERT_TRUE(parse_odp_key_attr(exact, w, nullptr).ok());
  EXPECT_TRUE(exact.at_end());
  TextScanner masked("tcp(src=80/0xff)");
  auto status = parse_odp_key_attr(masked, w, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(),
            "column 11 (near '/0xff)'): a mask is not allowed here: 'src' must be exact");
  TextScanner signed_flags("tcp_flags(+syn)");
  EXPECT_FALSE(parse_odp_key_attr(signed_flags, w, nullptr).ok());
}

TEST(OdpKeyTextTest, FailedParseLeavesWritersUnchanged) {
  std::vector<uint8_t> key_bytes = {1, 2, 3, 4}, mask_bytes = {5, 6, 7, 8};
  NetlinkWriter key(&key_bytes), mask(&mask_bytes);
  TextScanner in("tunnel(tun_id=1,src=1.2.3.4,bogus=1)");
  auto status = parse_odp_key_attr(in, key, &mask);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), "column 29 (near 'bogus=1)'): unknown field 'bogus' in tunnel(...)");
  EXPECT_EQ(key_bytes, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(mask_bytes, (std::vector<uint8_t>{5, 6, 7, 8}));
}

TEST(OdpKeyTextTest, SetMaskedPayloadSplitFormats) {
  // set_masked carries value then mask; the action formatter splits them.
  KeyPorts value{hton16(80), hton16(0)}, mask{hton16(0xffff), hton16(0)};
  NetlinkAttr k{kKeyTcp, std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&value), 4)};
  NetlinkAttr m{kKeyTcp, std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&mask), 4)};
  std::string out;
  format_odp_key_attr(k, &m, false, out);
  EXPECT_EQ(out, "tcp(src=80)");
}

TEST(OdpKeyTextTest, EncapNestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "encap(";
  deep += std::string(40, ')');
  EXPECT_EQ(parse_error(deep),
            "column 193 (near 'encap(encap(encap(en...'): encap(...) nested too deeply (at most "
            "32 levels)");
  std::string ok;
  for (int i = 0; i < 20; ++i) ok += "encap(";
  ok += std::string(20, ')');
  EXPECT_EQ(format_masked(ok), ok);

  // A buffer nested far deeper than text allows formats without recursing
  // all the way: past 32 levels an encap shows its raw bytes.
  std::vector<uint8_t> deep_key;
  NetlinkWriter w(&deep_key);
  std::vector<size_t> nests;
  for (int i = 0; i < 5000; ++i) nests.push_back(w.begin_nested(kKeyEncap));
  for (size_t i = nests.size(); i > 0; --i) w.end_nested(nests[i - 1]);
  std::string text = format_odp_key(deep_key);
  std::string prefix;
  for (int i = 0; i < 33; ++i) prefix += "encap(";
  // The 34th header: length 4 * (5000 - 33) = 0x4d9c, type 1.
  EXPECT_EQ(text.substr(0, prefix.size() + 12), prefix + "9c 4d 01 00 ");
  EXPECT_EQ(text.back(), ')');
}

}  // namespace
}  // namespace flowpath
