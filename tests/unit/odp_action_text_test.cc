// Datapath action text <-> Netlink, and validation of Netlink action lists.
// Canonical strings come from Open vSwitch's tests/odp.at where it has them.
#include "odp/odp_action_text.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "actions/action_validate.h"
#include "common/netlink.h"
#include "flow/odp_abi.h"
#include "packet/byte_order.h"

namespace flowpath {
namespace {

// Strings that format back exactly as written. Every one of them is also
// checked against validate_actions below (most must pass).
const char* const kCanonical[] = {
    // output, lb_output, trunc, recirc, meter, tnl_pop, drop
    "1,2,3",
    "4294967295",
    "lb_output(1)",
    "trunc(100)",
    "recirc(0x1)",
    "recirc(0)",
    "recirc(0xffffffff)",
    "meter(0)",
    "meter(4294967295)",
    "tnl_pop(4)",
    "drop",
    // userspace (raw userdata; the named cookies are in odp_userspace_text_test)
    "userspace(pid=1234567,userdata(0102030405060708090a0b0c0d0e0f),actions)",
    "userspace(pid=1234567,userdata(0102030405060708090a0b0c0d0e0f),tunnel_out_port=10)",
    "userspace(pid=9,userdata(0000000000000000))",
    // vlan, mpls, ethernet
    "push_vlan(vid=12,pcp=0)",
    "push_vlan(vid=13,pcp=5,cfi=0)",
    "push_vlan(tpid=0x9100,vid=13,pcp=5)",
    "push_vlan(tpid=0x9100,vid=13,pcp=5,cfi=0)",
    "push_vlan(tpid=0x88a8,vid=4095,pcp=7)",
    "pop_vlan",
    "push_mpls(label=100,tc=3,ttl=64,bos=1,eth_type=0x8847)",
    "push_mpls(label=1048575,tc=7,ttl=255,bos=0,eth_type=0x8848)",
    "pop_mpls(eth_type=0x800)",
    "add_mpls(label=200,tc=7,ttl=64,bos=1,eth_type=0x8847)",
    "push_eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)",
    "pop_eth",
    // hash
    "hash(l4(0))",
    "hash(sym_l4(4294967295))",
    // sample, clone, check_pkt_len
    "sample(sample=9.7%,actions(1,2,3,push_vlan(vid=1,pcp=2)))",
    "sample(sample=100.0%,actions(drop))",
    "sample(sample=0.0%,actions(userspace(pid=1,userdata(0102030405060708))))",
    "clone(1)",
    "clone(clone(push_vlan(vid=12,pcp=0),2),1)",
    "clone(drop)",
    "check_pkt_len(size=200,gt(4),le(5))",
    "check_pkt_len(size=200,gt(drop),le(5))",
    "check_pkt_len(size=200,gt(ct(nat)),le(drop))",
    "check_pkt_len(size=65535,gt(check_pkt_len(size=1,gt(1),le(2))),le(clone(3)))",
    // conntrack
    "ct",
    "ct(commit)",
    "ct(commit,zone=5)",
    "ct(commit,mark=0xa0a0a0a0/0xfefefefe)",
    "ct(commit,label=0x1234567890abcdef1234567890abcdef/0xf1f2f3f4f5f6f7f8f9f0fafbfcfdfeff)",
    "ct(commit,label=0x1)",
    "ct(commit,helper=ftp)",
    "ct(commit,helper=tftp)",
    "ct(commit,timeout=ovs_tp_1_tcp4)",
    "ct(nat)",
    "ct(commit,nat(src))",
    "ct(commit,timeout=ovs_tp_1_tcp4,nat(src))",
    "ct(commit,nat(dst))",
    "ct(commit,timeout=ovs_tp_1_tcp4,nat(dst))",
    "ct(commit,nat(src=10.0.0.240,random))",
    "ct(commit,nat(src=10.0.0.240:32768-65535,random))",
    "ct(commit,nat(dst=10.0.0.128-10.0.0.254,hash))",
    "ct(commit,nat(src=10.0.0.240-10.0.0.254:32768-65535,persistent))",
    "ct(commit,nat(src=fe80::20c:29ff:fe88:a18b,random))",
    "ct(commit,nat(src=fe80::20c:29ff:fe88:1-fe80::20c:29ff:fe88:a18b,random))",
    "ct(commit,nat(src=[fe80::20c:29ff:fe88:1]-[fe80::20c:29ff:fe88:a18b]:255-4096,random))",
    "ct(commit,helper=ftp,nat(src=10.1.1.240-10.1.1.255))",
    "ct(force_commit)",
    "ct(force_commit,zone=5)",
    "ct(force_commit,mark=0xa0a0a0a0/0xfefefefe)",
    "ct(force_commit,nat(src=10.0.0.240-10.0.0.254:32768-65535,persistent,hash))",
    "ct(commit,zone=65535,mark=0x1/0xffffffff,label=0xff/0xff,helper=ftp,timeout=t1,"
    "nat(dst=10.0.0.1:80,persistent,random))",
    "ct(mark=0/0)",
    "ct_clear",
    // nsh
    "push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x0,si=255,c1=0x0,c2=0x0,c3=0x0,c4=0x0)",
    "push_nsh(flags=1,ttl=10,mdtype=1,np=1,spi=0xffffff,si=1,c1=0x1,c2=0x2,c3=0x3,c4=0xffffffff)",
    "push_nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x10,si=3,md2=0x0001020304050607)",
    "push_nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x10,si=3)",
    "pop_nsh()",
    // tnl_push (OVS's odp.at), plus ERSPAN and GTP-U
    "tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,ttl=64,frag=0x4000),"
    "gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
    "tnl_push(tnl_port(4),header(size=46,type=3,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,ttl=64,frag=0x4000),"
    "gre((flags=0xa000,proto=0x6558),csum=0x0,key=0x1e241)),out_port(1))",
    "tnl_push(tnl_port(4),header(size=50,type=3,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0x10,ttl=64,frag=0x4000),"
    "gre((flags=0xb000,proto=0x6558),csum=0x1234,key=0x1e241,seq=0x7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=50,type=4,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=50,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=6081,csum=0x0),geneve(oam,vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=58,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=6081,csum=0x0),geneve(crit,vni=0x1c7,options({class=0xffff,type=0x80,len=4,"
    "0xa}))),out_port(1))",
    "tnl_push(tnl_port(6),header(size=50,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=6081,csum=0xffff),geneve(vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=66,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=6081,csum=0x0),geneve(oam,crit,vni=0xffffff,options({class=0,type=0,len=0}"
    "{class=0x102,type=0x3,len=8,0x10000000000000f}))),out_port(1))",
    "tnl_push(tnl_port(4),header(size=62,type=109,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=47,tclass=0x0,"
    "hlimit=64),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
    "tnl_push(tnl_port(4),header(size=66,type=109,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=47,tclass=0x0,"
    "hlimit=64),gre((flags=0xa000,proto=0x6558),csum=0x0,key=0x1e241)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=70,type=4,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=17,tclass=0x0,"
    "hlimit=64),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=70,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=17,tclass=0x0,"
    "hlimit=64),udp(src=0,dst=6081,csum=0x0),geneve(oam,vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=78,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=17,tclass=0x0,"
    "hlimit=64),udp(src=0,dst=6081,csum=0x0),geneve(crit,vni=0x1c7,options({class=0xffff,"
    "type=0x80,len=4,0xa}))),out_port(1))",
    "tnl_push(tnl_port(6),header(size=70,type=5,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=17,tclass=0x0,"
    "hlimit=64),udp(src=0,dst=6081,csum=0xffff),geneve(vni=0x1c7)),out_port(1))",
    "tnl_push(tnl_port(6),header(size=70,type=4,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=::ffff:1.2.3.4,dst=2001:cafe::92,label=1048575,proto=17,"
    "tclass=0xff,hlimit=255),udp(src=65535,dst=4789,csum=0x0),vxlan(flags=0x8000000,"
    "vni=0xffffff)),out_port(4294967295))",
    "tnl_push(tnl_port(7),header(size=50,type=110,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,ttl=64,frag=0x4000),"
    "udp(src=0,dst=2152,csum=0x0),gtpu(flags=0x30,msgtype=255,teid=0x1234)),out_port(1))",
    "tnl_push(tnl_port(8),header(size=50,type=107,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,ttl=64,frag=0x4000),"
    "erspan(ver=1,sid=0x3ff,idx=0x7)),out_port(1))",
    "tnl_push(tnl_port(8),header(size=74,type=108,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
    "dl_type=0x86dd),ipv6(src=2001:cafe::88,dst=2001:cafe::92,label=0,proto=47,tclass=0x0,"
    "hlimit=64),erspan(ver=2,sid=0x1,dir=1,hwid=0x2a)),out_port(1))",
    // lists mixing everything
    "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)),push_vlan(vid=10,pcp=0),2,"
    "sample(sample=50.0%,actions(clone(ct(commit,zone=1),recirc(0x2)))),userspace(pid=3,ipfix(output_port=2))",
    // set: whole and masked (OVS's odp.at)
    "set(in_port(2))",
    "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15))",
    "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15/ff:ff:ff:00:00:00))",
    "set(eth_type(0x1234))",
    "set(ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no))",
    "set(ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,ttl=128,frag=no))",
    "set(ipv4(src=35.8.2.41/255.255.255.0,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no))",
    "set(ipv4(src=35.8.2.41/255.255.255.0,tos=0x80,ttl=128,frag=no))",
    "set(ipv4(tos=0/0x3))",
    "set(ipv4(tos=0x80/0xfc))",
    "set(ipv4(ttl=128,frag=no))",
    "set(ipv4(frag=no))",
    "set(tcp(src=80,dst=8080))",
    "set(tcp(src=80/0xff00,dst=8080))",
    "set(tcp(src=80))",
    "set(tcp(dst=8080))",
    "set(udp(src=81,dst=6632))",
    "set(udp(src=81/0xff00,dst=6632))",
    "set(udp(src=81))",
    "set(udp(dst=6633))",
    "set(sctp(src=82,dst=6633))",
    "set(sctp(src=82/0xff00,dst=6633))",
    "set(sctp(src=82))",
    "set(sctp(dst=6632))",
    "set(icmp(type=1,code=2))",
    "set(ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no))",
    "set(ipv6(src=::1,dst=::2))",
    "set(ipv6(label=0,proto=10,tclass=0x70,hlimit=128,frag=no))",
    "set(ipv6(label=0,proto=10,hlimit=128))",
    "set(ipv6(label=0/0xfff,proto=10,tclass=0x70/0x70))",
    "set(ipv6(label=0))",
    "set(icmpv6(type=1,code=2))",
    "set(vlan(vid=5))",
    "set(vlan(vid=3,pcp=5))",
    "set(vlan(vid=3,pcp=5,cfi=0))",
    "set(vlan(vid=5/0x3))",
    "set(vlan(vid=5/0x1)),3",
    "set(tunnel(tun_id=0xabcdef1234567890,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(df|csum|key)))",
    "set(tunnel(tun_id=0xabcdef1234567890,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(key)))",
    "set(tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64,erspan(ver=1,idx=0x7),flags(df|key)))",
    "set(tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64,erspan(ver=2,dir=1,hwid=0x1),flags(df|key)))",
    "check_pkt_len(size=200,gt(set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15))),"
    "le(set(eth(src=00:01:02:03:04:06,dst=10:11:12:13:14:16))))",
    "set(skb_priority(0x1)),set(skb_mark(0x2))",
    "set(skb_mark(0x2/0xff))",
    // set: the other settable attributes, whole and masked
    "set(nsh(flags=1,ttl=2,mdtype=1,np=3,spi=0x10,si=4,c1=0x1,c2=0x2,c3=0x3,c4=0x4))",
    "set(nsh(spi=0x10,si=4))",
    "set(nsh(flags=0x01/0x03,c1=0x1/0x000000ff))",
    "set(mpls(label=10,tc=1,ttl=64,bos=1))",
    "set(mpls(label=10/0xff,tc=1/7,ttl=64/0xff,bos=1/1))",
    "set(arp(sip=1.2.3.4,tip=5.6.7.8,op=1,sha=00:01:02:03:04:05,tha=00:00:00:00:00:00))",
    "set(arp(sip=1.2.3.4))",
    "set(nd(target=::1,sll=00:01:02:03:04:05,tll=00:00:00:00:00:00))",
    "set(nd(target=::1))",
    "set(nd_ext(nd_reserved=0x20000000,nd_options_type=2))",
    "set(dp_hash(0x10))",
    "set(dp_hash(0x10/0xff))",
    "set(skb_priority(0x1/0xf))",
    "set(recirc_id(0x5))",
    "set(icmpv6(type=135,code=0))",
    "set(eth(dst=10:11:12:13:14:15))",
    "set(tunnel(tun_id=0x1,src=1.1.1.1,dst=2.2.2.2,ttl=64,tp_dst=4789,vxlan(gbp(id=10,flags=0)),"
    "flags(df|key)))",
    "set(tunnel(tun_id=0x1,ipv6_dst=::1,ttl=64,geneve({class=0x102,type=0x80,len=4,0xa}),"
    "flags(key)))",
};

// Canonical strings the parser accepts but validate_actions rejects, and why.
struct Rejected {
  const char* text;
  const char* error;
};
const Rejected kParsedButInvalid[] = {
    {"trunc(10)", "action 1 (trunc): max_len 10 is shorter than an Ethernet header (14)"},
    {"set(in_port(2))", "action 1 (set): in_port cannot be set"},
    {"set(eth_type(0x1234))", "action 1 (set): eth_type cannot be set"},
    {"set(vlan(vid=5))", "action 1 (set_masked): vlan cannot be set with a mask"},
    {"set(vlan(vid=3,pcp=5))", "action 1 (set): vlan cannot be set"},
    {"set(vlan(vid=3,pcp=5,cfi=0))", "action 1 (set): vlan cannot be set"},
    {"set(vlan(vid=5/0x3))", "action 1 (set_masked): vlan cannot be set with a mask"},
    {"set(vlan(vid=5/0x1)),3", "action 1 (set_masked): vlan cannot be set with a mask"},
};

const char* parsed_but_invalid(const std::string& text) {
  for (const Rejected& r : kParsedButInvalid)
    if (text == r.text) return r.error;
  return nullptr;
}

std::string round_trip(const std::string& text) {
  auto actions = parse_odp_actions(text);
  if (!actions) return "error: " + actions.error();
  return format_odp_actions(*actions);
}

TEST(OdpActionText, CanonicalStringsFormatBackIdentically) {
  for (const char* text : kCanonical) EXPECT_EQ(round_trip(text), text);
}

TEST(OdpActionText, CanonicalStringsReparseToTheSameBytes) {
  for (const char* text : kCanonical) {
    auto first = parse_odp_actions(text);
    ASSERT_TRUE(first.ok()) << text << ": " << first.error();
    auto second = parse_odp_actions(format_odp_actions(*first));
    ASSERT_TRUE(second.ok()) << text;
    EXPECT_EQ(*first, *second) << text;
  }
}

TEST(OdpActionText, ParserOutputPassesValidation) {
  for (const char* text : kCanonical) {
    auto actions = parse_odp_actions(text);
    ASSERT_TRUE(actions.ok()) << text;
    auto st = validate_actions(*actions);
    if (const char* expected = parsed_but_invalid(text)) {
      ASSERT_FALSE(st.ok()) << text;
      EXPECT_EQ(st.error(), expected) << text;
    } else {
      EXPECT_TRUE(st.ok()) << text << ": " << (st.ok() ? "" : st.error());
    }
  }
}

struct Rewrite {
  const char* input;
  const char* canonical;
};

TEST(OdpActionText, NonCanonicalFormsPrintCanonically) {
  const Rewrite cases[] = {
      {"", "drop"},
      {"  drop  ", "drop"},
      {"DROP", "drop"},
      {"1, 2,\t3", "1,2,3"},
      {"1,,2", "1,2"},
      {"0x10", "16"},
      {"recirc(16)", "recirc(0x10)"},
      {"meter(0x10)", "meter(16)"},
      {"push_vlan(pcp=5,vid=13,tpid=0x8100,cfi=1)", "push_vlan(vid=13,pcp=5)"},
      {"push_vlan(vid=0x10,pcp=0)", "push_vlan(vid=16,pcp=0)"},
      {"pop_nsh", "pop_nsh()"},
      {"push_nsh()",
       "push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x0,si=255,c1=0x0,c2=0x0,c3=0x0,c4=0x0)"},
      {"push_nsh(spi=16,si=3,mdtype=2,md2=0x0102)",
       "push_nsh(flags=0,ttl=63,mdtype=2,np=3,spi=0x10,si=3,md2=0x01020000)"},
      {"ct()", "ct"},
      {"ct(zone=0)", "ct"},
      {"ct(zone=5, commit)", "ct(commit,zone=5)"},
      {"ct(mark=10)", "ct(mark=0x10/0xffffffff)"},
      {"ct(label=255)", "ct(label=0xff)"},
      {"ct(label=0x00ff/0x0ff)", "ct(label=0xff/0xff)"},
      {"ct(nat(hash,src=10.0.0.1))", "ct(nat(src=10.0.0.1,hash))"},
      {"ct(nat(src=[::1]))", "ct(nat(src=::1))"},
      {"ct(nat(src=10.0.0.1-10.0.0.1))", "ct(nat(src=10.0.0.1-10.0.0.1))"},
      {"sample(sample=9.74%,actions(1))", "sample(sample=9.7%,actions(1))"},
      {"sample(sample=0.05%,actions(1))", "sample(sample=0.1%,actions(1))"},
      {"sample(sample=99.99%,actions(1))", "sample(sample=100.0%,actions(1))"},
      {"sample(sample=50%,actions())", "sample(sample=50.0%,actions(drop))"},
      {"clone()", "clone(drop)"},
      {"set(recirc_id(5))", "set(recirc_id(0x5))"},
      {"set(nsh(flags=1/0xff))", "set(nsh(flags=1))"},
      {"check_pkt_len(size=0x10,gt(),le(DROP))", "check_pkt_len(size=16,gt(drop),le(drop))"},
      {"userspace(pid=0x10,userdata(0xAB),actions,tunnel_out_port=1)",
       "userspace(pid=16,userdata(ab00000000000000),actions,tunnel_out_port=1)"},
      {"tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=0x2f,tos=0x0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
       "tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))"},
  };
  for (const Rewrite& c : cases) EXPECT_EQ(round_trip(c.input), c.canonical) << c.input;
}

TEST(OdpActionText, ErrorsNameColumnAndToken) {
  const Rewrite cases[] = {
      {"foo", "column 1 (near 'foo'): unknown action 'foo'"},
      {"1,bar(2)", "column 3 (near 'bar(2)'): unknown action 'bar'"},
      {"1x", "column 2 (near 'x'): unexpected 'x' after action"},
      {"4294967296",
       "column 1 (near '4294967296'): output: 4294967296 is out of range (maximum "
       "4294967295)"},
      {"1)", "column 2 (near ')'): unbalanced parentheses: unexpected ')'"},
      {"clone(1", "column 6 (near '(1'): unbalanced parentheses: clone( is never closed"},
      {"clone(1,2", "column 6 (near '(1,2'): unbalanced parentheses: clone( is never closed"},
      {"trunc", "column 1 (near 'trunc'): trunc: expected '('"},
      {"pop_vlan(1)", "column 1 (near 'pop_vlan(1)'): pop_vlan: takes no arguments"},
      {"1,drop(0)", "column 3 (near 'drop(0)'): drop: takes no arguments"},
      // Open vSwitch 3.1 refuses these too ("parsing actions (Invalid argument)").
      {"2,drop", "column 3 (near 'drop'): drop: only allowed alone, as the whole action list"},
      {"drop,2", "column 1 (near 'drop,2'): drop: only allowed alone, as the whole action list"},
      {"clone(1,drop)",
       "column 9 (near 'drop)'): drop: only allowed alone, as the whole action list"},
      {"trunc(x)", "column 7 (near 'x)'): trunc: expected a number"},
      {"trunc(1", "column 6 (near '(1'): unbalanced parentheses: trunc( is never closed"},
      {"trunc(1]", "column 8 (near ']'): trunc: expected ')'"},
      {"recirc(-1)", "column 8 (near '-1)'): recirc: expected a number"},
      {"push_vlan(vid=4096,pcp=0)",
       "column 15 (near '4096,pcp=0)'): push_vlan: vid: 4096 is out of range (maximum 4095)"},
      {"push_vlan(vid=1,pcp=8)",
       "column 21 (near '8)'): push_vlan: pcp: 8 is out of range (maximum 7)"},
      {"push_vlan(vid=1)", "column 16 (near ')'): push_vlan: missing pcp"},
      {"push_vlan(vid=1,vid=2,pcp=0)", "column 17 (near 'vid=2,pcp=0)'): push_vlan: duplicate vid"},
      {"push_vlan(foo=1)",
       "column 11 (near 'foo=1)'): push_vlan: expected tpid=, vid=, pcp= or cfi="},
      {"push_mpls(label=1,tc=0,ttl=64,bos=1)",
       "column 36 (near ')'): push_mpls: expected ',eth_type='"},
      {"push_mpls(label=1048576,tc=0,ttl=64,bos=1,eth_type=0x8847)",
       "column 17 (near '1048576,tc=0,ttl=64,...'): push_mpls: label: 1048576 is out of range "
       "(maximum 1048575)"},
      {"pop_mpls(eth_type=800)",
       "column 19 (near '800)'): pop_mpls: eth_type: expected a hex number starting with 0x"},
      {"hash(l5(1))", "column 6 (near 'l5(1))'): hash: expected l4(...) or sym_l4(...)"},
      {"push_eth(src=00:01:02:03:04,dst=00:00:00:00:00:00)",
       "column 14 (near '00:01:02:03:04,dst=0...'): push_eth: src: expected an Ethernet "
       "address"},
      {"sample(sample=101%,actions(1))",
       "column 15 (near '101%,actions(1))'): sample: 101% is out of range (0 to 100)"},
      {"sample(sample=50%,actions(1)",
       "column 7 (near '(sample=50%,actions(...'): unbalanced parentheses: sample( is never "
       "closed"},
      {"sample(sample=50%,actions(1),2)", "column 29 (near ',2)'): sample: expected ')'"},
      {"check_pkt_len(size=100,gt(1))", "column 29 (near ')'): check_pkt_len: expected ',le('"},
      {"check_pkt_len(size=65536,gt(1),le(2))",
       "column 20 (near '65536,gt(1),le(2))'): check_pkt_len: size: 65536 is out of range "
       "(maximum 65535)"},
      {"userspace(pid=1,userdata(abc))",
       "column 26 (near 'abc))'): userspace: userdata must be an even number of hex digits"},
      {"userspace(pid=1,foo)",
       "column 17 (near 'foo)'): userspace: expected userdata(...), sFlow(...), slow_path(...), "
       "flow_sample(...), ipfix(...), controller(...), actions or tunnel_out_port="},
      {"userspace(1)", "column 11 (near '1)'): userspace: expected 'pid='"},
      {"ct(commit,force_commit)",
       "column 3 (near '(commit,force_commit...'): ct: commit and force_commit are mutually "
       "exclusive"},
      {"ct(zone=65536)",
       "column 9 (near '65536)'): ct: zone: 65536 is out of range (maximum 65535)"},
      {"ct(commit,commit)", "column 11 (near 'commit)'): ct: duplicate commit"},
      {"ct(frobnicate)", "column 4 (near 'frobnicate)'): ct: unknown option 'frobnicate'"},
      {"ct(helper=)",
       "column 11 (near ')'): ct: helper must be 1 to 15 characters from [A-Za-z0-9_.-]"},
      {"ct(helper=abcdefghijklmnop)",
       "column 11 (near 'abcdefghijklmnop)'): ct: helper must be 1 to 15 characters from "
       "[A-Za-z0-9_.-]"},
      {"ct(timeout=a+b)", "column 13 (near '+b)'): ct: unexpected text after option"},
      {"ct(label=0x1000000000000000000000000000000000)",
       "column 10 (near '0x100000000000000000...'): ct: label: value does not fit in 16 bytes"},
      {"ct(nat(src,dst))",
       "column 12 (near 'dst))'): ct: nat: only one of src and dst may be given"},
      {"ct(nat(src=10.0.0.2-10.0.0.1))",
       "column 12 (near '10.0.0.2-10.0.0.1))'): ct: nat: address range ends below its start"},
      {"ct(nat(src=10.0.0.1:20-10))",
       "column 21 (near '20-10))'): ct: nat: port range ends below its start"},
      {"ct(nat(src=10.0.0.1-::1))",
       "column 21 (near '::1))'): ct: nat: IPv4 and IPv6 addresses mixed in a range"},
      {"ct(nat(src=10.0.0.1,hash,random))",
       "column 7 (near '(src=10.0.0.1,hash,r...'): ct: nat: hash and random are mutually "
       "exclusive"},
      {"ct(nat(persistent))", "column 7 (near '(persistent))'): ct: nat: options need src or dst"},
      {"ct(nat(src=1.2.3.400))", "column 12 (near '1.2.3.400))'): ct: nat: bad IPv4 address"},
      {"push_nsh(mdtype=3)",
       "column 17 (near '3)'): push_nsh: mdtype: 3 is out of range (maximum 2)"},
      {"push_nsh(ttl=64)",
       "column 14 (near '64)'): push_nsh: ttl: 64 is out of range (maximum 63)"},
      {"push_nsh(mdtype=2,c1=0x1)",
       "column 9 (near '(mdtype=2,c1=0x1)'): push_nsh: c1..c4 need mdtype=1"},
      {"push_nsh(md2=0x01)", "column 9 (near '(md2=0x01)'): push_nsh: md2 needs mdtype=2"},
      {"push_nsh(color=1)", "column 10 (near 'color=1)'): push_nsh: unknown field 'color'"},
      {"pop_nsh(1)", "column 9 (near '1)'): pop_nsh: expected ')'"},
      {"set(ipv4(src=1.2.3.4)",
       "column 4 (near '(ipv4(src=1.2.3.4)'): unbalanced parentheses: set( is never closed"},
      {"set(ipv4(src=1.2.3.4),1", "column 22 (near ',1'): set: expected ')'"},
      {"set(ipv4(src=1.2.3.4),ipv4(src=1.2.3.4))",
       "column 22 (near ',ipv4(src=1.2.3.4))'): set: expected ')'"},
      {"tnl_push(tnl_port(4),header(size=40,type=3,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
       "column 34 (near '40,type=3,eth(dst=f8...'): tnl_push: size 40 does not match the 42-byte "
       "header given"},
      {"tnl_push(tnl_port(4),header(size=42,type=4,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
       "column 42 (near '4,eth(dst=f8:bc:12:4...'): tnl_push: type 4 does not match the gre "
       "header (type 3)"},
      {"tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558))),out_port(1))",
       "column 205 (near ')),out_port(1))'): tnl_push: gre: expected ',key='"},
      {"tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0806),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,"
       "ttl=64,frag=0x4000),gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))",
       "column 108 (near 'ipv4(src=1.1.2.88,ds...'): tnl_push: dl_type must be 0x0800 (IPv4) or "
       "0x86dd (IPv6)"},
      {"tnl_push(tnl_port(6),header(size=50,type=4,eth(dst=f8:bc:12:44:34:b6,"
       "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,"
       "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1000000))"
       ",out_port(1))",
       "column 229 (near '0x1000000)),out_port...'): tnl_push: vxlan vni: 0x1000000 is out of "
       "range (maximum 0xffffff)"},
  };
  for (const Rewrite& c : cases)
    EXPECT_EQ(round_trip(c.input), std::string("error: ") + c.canonical) << c.input;
}

std::string nested_clones(int levels) {
  std::string text;
  for (int i = 0; i < levels; ++i) text += "clone(";
  text += "1";
  for (int i = 0; i < levels; ++i) text += ")";
  return text;
}

TEST(OdpActionText, NestingDepthIsLimited) {
  std::string deepest = nested_clones(kMaxActionNesting);
  EXPECT_EQ(round_trip(deepest), deepest);
  auto ok = parse_odp_actions(deepest);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(validate_actions(*ok).ok());

  std::string too_deep = nested_clones(kMaxActionNesting + 1);
  EXPECT_EQ(round_trip(too_deep),
            "error: column 103 (near '1)))))))))))))))))'): actions nested more than 16 levels "
            "deep");
  std::string deep_sample = "sample(sample=1%,actions(" + nested_clones(kMaxActionNesting) + "))";
  EXPECT_EQ(round_trip(deep_sample),
            "error: column 122 (near '1))))))))))))))))))'): actions nested more than 16 levels "
            "deep");

  // The same depth built by hand is rejected by the validator.
  std::vector<uint8_t> buf;
  NetlinkWriter w(&buf);
  std::vector<size_t> opens;
  for (int i = 0; i <= kMaxActionNesting; ++i) opens.push_back(w.begin_nested(odp::kActionClone));
  w.put_u32(odp::kActionOutput, 1);
  for (size_t i = opens.size(); i-- > 0;) w.end_nested(opens[i]);
  auto st = validate_actions(buf);
  ASSERT_FALSE(st.ok());
  std::string expected;
  for (int i = 0; i <= kMaxActionNesting; ++i) expected += "action 1 (clone): ";
  EXPECT_EQ(st.error(), expected + "actions nested more than 16 levels deep");
}

TEST(OdpActionText, ActionsTooLongForOneAttribute) {
  // An output action takes 8 bytes; the list must fit in 65,531.
  std::string text;
  for (int i = 0; i < 8190; ++i) text += "1,";
  text += "2";
  auto fits = parse_odp_actions(text);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->size(), 65528u);
  auto too_long = parse_odp_actions(text + ",3");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error(),
            "column 16383 (near '3'): actions do not fit in a Netlink attribute (65,531 bytes)");
}

TEST(OdpActionText, UserdataTooLongIsAnError) {
  std::string text = "userspace(pid=1,userdata(" + std::string(2 * 65530, 'a') + "))";
  auto r = parse_odp_actions(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "column 10 (near '(pid=1,userdata(aaaa...'): userspace: userdata too long "
            "for a Netlink attribute");
}

// ---------------------------------------------------------------- bytes

std::vector<uint8_t> parse_ok(const std::string& text) {
  auto r = parse_odp_actions(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : std::vector<uint8_t>{};
}

std::vector<uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<uint8_t> v;
  for (int b : list) v.push_back(static_cast<uint8_t>(b));
  return v;
}

TEST(OdpActionBytes, SimpleActionsLayout) {
  EXPECT_EQ(parse_ok("drop"), bytes({}));
  EXPECT_EQ(parse_ok("2"), bytes({8, 0, 1, 0, 2, 0, 0, 0}));
  EXPECT_EQ(parse_ok("push_vlan(tpid=0x88a8,vid=10,pcp=3)"),
            bytes({8, 0, 4, 0, 0x88, 0xa8, 0x70, 0x0a}));
  EXPECT_EQ(parse_ok("pop_vlan"), bytes({4, 0, 5, 0}));
  EXPECT_EQ(parse_ok("hash(sym_l4(5))"), bytes({12, 0, 8, 0, 1, 0, 0, 0, 5, 0, 0, 0}));
  EXPECT_EQ(parse_ok("push_mpls(label=1,tc=2,ttl=3,bos=1,eth_type=0x8847)"),
            bytes({12, 0, 9, 0, 0x00, 0x00, 0x15, 0x03, 0x88, 0x47, 0, 0}));
  EXPECT_EQ(parse_ok("pop_mpls(eth_type=0x800)"), bytes({6, 0, 10, 0, 0x08, 0x00, 0, 0}));
  EXPECT_EQ(parse_ok("trunc(100)"), bytes({8, 0, 13, 0, 100, 0, 0, 0}));
}

TEST(OdpActionBytes, SampleProbabilityRounds) {
  auto half = parse_ok("sample(sample=50%,actions(1))");
  // sample{probability=0x80000000 (rounded up from 2147483647.5), actions{output 1}}
  EXPECT_EQ(half,
            bytes({24, 0, 6, 0, 8, 0, 1, 0, 0, 0, 0, 0x80, 12, 0, 2, 0, 8, 0, 1, 0, 1, 0, 0, 0}));
  auto all = parse_ok("sample(sample=100%,actions(drop))");
  EXPECT_EQ(all, bytes({16, 0, 6, 0, 8, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 2, 0}));
}

TEST(OdpActionBytes, UserspaceAttributesInOvsOrder) {
  // Userdata shorter than 8 bytes is padded to 8, as Open vSwitch does.
  EXPECT_EQ(parse_ok("userspace(pid=7,userdata(0102),actions,tunnel_out_port=9)"),
            bytes({36, 0, 2, 0, 8, 0, 1, 0, 7, 0, 0, 0, 12, 0, 2, 0, 1, 2, 0, 0,
                   0,  0, 0, 0, 8, 0, 3, 0, 9, 0, 0, 0, 4,  0, 4, 0}));
}

TEST(OdpActionBytes, ConntrackLayout) {
  auto ct = parse_ok("ct(commit,zone=5,mark=0x1/0xff,nat(src=10.0.0.1-10.0.0.9:80-90,random))");
  std::vector<uint8_t> expected = bytes({
      // ct
      72, 0, 12, 0, 4,  0, 1, 0,                 // commit
      6,  0, 2,  0, 5,  0, 0, 0,                 // zone 5
      12, 0, 3,  0, 1,  0, 0, 0, 0xff, 0, 0, 0,  // mark value/mask, host order
      44, 0, 6,  0,                              // nat
      4,  0, 1,  0,                              // src
      8,  0, 3,  0, 10, 0, 0, 1,                 // ip_min
      8,  0, 4,  0, 10, 0, 0, 9,                 // ip_max
      6,  0, 5,  0, 80, 0, 0, 0,                 // proto_min
      6,  0, 6,  0, 90, 0, 0, 0,                 // proto_max
      4,  0, 9,  0,                              // random
  });
  EXPECT_EQ(ct, expected);
  auto helper = parse_ok("ct(helper=ftp)");
  EXPECT_EQ(helper, bytes({12, 0, 12, 0, 8, 0, 5, 0, 'f', 't', 'p', 0}));
}

TEST(OdpActionBytes, CtLabelIsHostOrder128) {
  auto ct = parse_ok("ct(label=0x0102)");
  ASSERT_EQ(ct.size(), 4u + 4u + 32u);
  odp::CtLabels labels;
  std::memcpy(&labels, ct.data() + 8, sizeof labels);
  // Little-endian host: least significant byte first, as Open vSwitch's u128.
  EXPECT_EQ(labels.value[0], 0x02);
  EXPECT_EQ(labels.value[1], 0x01);
  EXPECT_EQ(labels.value[15], 0x00);
  EXPECT_EQ(labels.mask[0], 0xff);
  EXPECT_EQ(labels.mask[15], 0xff);
}

TEST(OdpActionBytes, PushNshLayout) {
  auto nsh = parse_ok("push_nsh(flags=1,ttl=10,mdtype=1,np=4,spi=0x123,si=7,c1=0x1)");
  EXPECT_EQ(nsh,
            bytes({40, 0, 17, 0, 36, 0,  28, 0,                          // push_nsh{nsh{
                   12, 0, 1,  0, 1,  10, 1,  4, 0x00, 0x01, 0x23, 0x07,  // base
                   20, 0, 2,  0, 0,  0,  0,  1, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(OdpActionBytes, TunnelPushHeaderBytes) {
  auto tnl = parse_ok(
      "tnl_push(tnl_port(6),header(size=50,type=4,eth(dst=f8:bc:12:44:34:b6,"
      "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,"
      "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1c7)),"
      "out_port(1))");
  ASSERT_EQ(tnl.size(), 4u + 16u + 50u + 2u);
  const uint8_t* p = tnl.data() + 4;
  uint32_t prefix[4];
  std::memcpy(prefix, p, sizeof prefix);
  EXPECT_EQ(prefix[0], 6u);
  EXPECT_EQ(prefix[1], 1u);
  EXPECT_EQ(prefix[2], 50u);
  EXPECT_EQ(prefix[3], odp::kVportVxlan);
  std::vector<uint8_t> header(p + 16, p + 16 + 50);
  EXPECT_EQ(
      std::vector<uint8_t>(header.begin(), header.begin() + 14),
      bytes({0xf8, 0xbc, 0x12, 0x44, 0x34, 0xb6, 0xf8, 0xbc, 0x12, 0x46, 0x58, 0xe0, 0x08, 0x00}));
  EXPECT_EQ(std::vector<uint8_t>(header.begin() + 14, header.begin() + 42),
            bytes({0x45, 0, 0,    0,    0, 0, 0x40, 0,  64, 17, 0x34, 0x38,  // ... checksum
                   1,    1, 2,    88,   1, 1, 2,    92,                      // addresses
                   0,    0, 0x12, 0xb5, 0, 0, 0,    0}));                    // udp
  // IPv4 header checksum verifies to 0xffff.
  uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) sum += static_cast<uint32_t>(header[i] << 8 | header[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_EQ(header[14], 0x45);
  EXPECT_EQ(header[22], 64);    // ttl
  EXPECT_EQ(header[23], 17);    // proto
  EXPECT_EQ(header[36], 0x12);  // udp dst 4789
  EXPECT_EQ(header[37], 0xb5);
  EXPECT_EQ(std::vector<uint8_t>(header.begin() + 42, header.end()),
            bytes({0x08, 0, 0, 0, 0, 0x01, 0xc7, 0}));
}

TEST(OdpActionBytes, MaskedSetCarriesValueThenMask) {
  auto masked = parse_ok("set(ipv4(src=1.2.3.4/255.255.255.0))");
  ASSERT_EQ(masked.size(), 4u + 4u + 24u);
  EXPECT_EQ(masked[2], odp::kActionSetMasked);
  EXPECT_EQ(masked[4], 28);  // nested ipv4 attribute: 4 + 12 + 12
  EXPECT_EQ(masked[6], odp::kKeyIpv4);
  EXPECT_EQ(std::vector<uint8_t>(masked.begin() + 8, masked.begin() + 12), bytes({1, 2, 3, 4}));
  EXPECT_EQ(std::vector<uint8_t>(masked.begin() + 20, masked.begin() + 24),
            bytes({255, 255, 255, 0}));
  EXPECT_EQ(masked[28], 0);  // dst mask: not set

  auto whole = parse_ok("set(ipv4(src=1.2.3.4,dst=5.6.7.8,proto=6,tos=0,ttl=9,frag=no))");
  ASSERT_EQ(whole.size(), 4u + 4u + 12u);
  EXPECT_EQ(whole[2], odp::kActionSet);
  EXPECT_EQ(whole[6], odp::kKeyIpv4);
}

TEST(OdpActionBytes, MaskedNshSetCarriesValueThenMaskPerField) {
  auto masked = parse_ok("set(nsh(spi=0x10,si=4))");
  ASSERT_GE(masked.size(), 4u + 4u + 20u);
  EXPECT_EQ(masked[2], odp::kActionSetMasked);
  EXPECT_EQ(masked[6], odp::kKeyNsh);
  EXPECT_EQ(masked[8], 20);  // base: 8 bytes of value, 8 of mask
  EXPECT_EQ(masked[10], odp::kNshBase);
  // value path_hdr = spi 0x10, si 4; mask path_hdr = all ones, other base fields 0
  EXPECT_EQ(std::vector<uint8_t>(masked.begin() + 12, masked.begin() + 28),
            bytes({0, 0, 0, 0, 0x00, 0x00, 0x10, 0x04, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));

  auto whole = parse_ok(
      "set(nsh(flags=1,ttl=2,mdtype=1,np=3,spi=0x10,si=4,c1=0x1,c2=0x2,c3=0x3,"
      "c4=0x4))");
  EXPECT_EQ(whole[2], odp::kActionSet);
  EXPECT_EQ(whole[8], 12);  // base: value only
}

// ---------------------------------------------------------------- validation

std::vector<uint8_t> one_action(uint16_t type, std::initializer_list<int> payload) {
  std::vector<uint8_t> buf;
  NetlinkWriter w(&buf);
  std::vector<uint8_t> p = bytes(payload);
  w.put(type, p.data(), p.size());
  return buf;
}

std::string validation_error(const std::vector<uint8_t>& buf) {
  auto st = validate_actions(buf);
  return st.ok() ? "ok" : st.error();
}

// Builds a nested action from already-encoded inner attributes.
std::vector<uint8_t> nested_action(uint16_t type, const std::vector<uint8_t>& inner) {
  std::vector<uint8_t> buf;
  NetlinkWriter w(&buf);
  w.put(type, inner.data(), inner.size());
  return buf;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A key attribute: the value, then (for set_masked) the mask.
template <typename T>
std::vector<uint8_t> key_attr(uint16_t type, const T& value, const T* mask) {
  std::vector<uint8_t> payload(sizeof value), buf;
  std::memcpy(payload.data(), &value, sizeof value);
  if (mask) {
    payload.resize(2 * sizeof value);
    std::memcpy(payload.data() + sizeof value, mask, sizeof value);
  }
  NetlinkWriter(&buf).put(type, payload.data(), payload.size());
  return buf;
}

// ipv4 with `frag`; with a frag mask, a masked form whose other masks are all ones.
std::vector<uint8_t> ipv4_key(uint8_t frag, std::optional<uint8_t> frag_mask) {
  odp::KeyIpv4 value{hton32(0x01020304), hton32(0x05060708), 6, 0, 64, frag};
  if (!frag_mask) return key_attr(odp::kKeyIpv4, value, static_cast<odp::KeyIpv4*>(nullptr));
  odp::KeyIpv4 mask;
  std::memset(&mask, 0xff, sizeof mask);
  mask.frag = *frag_mask;
  return key_attr(odp::kKeyIpv4, value, &mask);
}

// ipv6 with `label`; with a label mask, a masked form with only that mask.
std::vector<uint8_t> ipv6_key(uint32_t label, std::optional<uint32_t> label_mask) {
  odp::KeyIpv6 value{};
  value.label = hton32(label);
  if (!label_mask) return key_attr(odp::kKeyIpv6, value, static_cast<odp::KeyIpv6*>(nullptr));
  odp::KeyIpv6 mask{};
  mask.label = hton32(*label_mask);
  return key_attr(odp::kKeyIpv6, value, &mask);
}

TEST(ValidateActions, BrokenBuffersFailWithPreciseMessages) {
  using V = std::vector<uint8_t>;
  struct Case {
    V buf;
    const char* error;
  };
  const V output1 = one_action(odp::kActionOutput, {1, 0, 0, 0});
  const Case cases[] = {
      {bytes({8, 0, 1}), "truncated netlink attribute header at offset 0"},
      {bytes({9, 0, 1, 0, 1, 0, 0, 0}),
       "netlink attribute at offset 0 has bad length 9 (8 bytes left)"},
      {one_action(99, {}), "action 1: unknown action type 99"},
      {one_action(0, {}), "action 1: unknown action type 0"},
      {concat({output1, one_action(odp::kActionOutput, {1, 0})}),
       "action 2 (output): payload has length 2, expected 4"},
      {one_action(odp::kActionPopVlan, {0, 0, 0, 0}),
       "action 1 (pop_vlan): payload has length 4, expected 0"},
      {concat({output1, output1, one_action(odp::kActionPushVlan, {0x12, 0x34, 0x10})}),
       "action 3 (push_vlan): payload has length 3, expected 4"},
      {one_action(odp::kActionPushMpls, {0, 0, 0x11, 64, 0x08, 0x00, 0, 0}),
       "action 1 (push_mpls): EtherType 0x0800 is not MPLS (0x8847 or 0x8848)"},
      {one_action(odp::kActionAddMpls, {0, 0, 0x11, 64, 0x88, 0x47, 2, 0}),
       "action 1 (add_mpls): tunnel_flags 0x2 has unknown bits"},
      {one_action(odp::kActionPopMpls, {0x00, 0x05}),
       "action 1 (pop_mpls): EtherType 0x0005 is an 802.3 length, not an EtherType"},
      {one_action(odp::kActionHash, {7, 0, 0, 0, 0, 0, 0, 0}),
       "action 1 (hash): unknown hash algorithm 7"},
      {one_action(odp::kActionDrop, {99, 0, 0, 0}),
       "action 1 (drop): reason 99 is not a known drop reason"},
      {one_action(odp::kActionTrunc, {13, 0, 0, 0}),
       "action 1 (trunc): max_len 13 is shorter than an Ethernet header (14)"},
      // set / set_masked
      {nested_action(odp::kActionSet, one_action(odp::kKeyIpv4, {1, 2, 3, 4, 5, 6, 7, 8})),
       "action 1 (set): ipv4 attribute has length 8, expected 12"},
      {nested_action(odp::kActionSetMasked,
                     one_action(odp::kKeyIpv4, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
       "action 1 (set_masked): ipv4 attribute has length 12, expected 24 (value and mask)"},
      {nested_action(odp::kActionSet, {}),
       "action 1 (set): expected exactly one key attribute, found 0"},
      {nested_action(odp::kActionSet, concat({one_action(odp::kKeySkbMark, {1, 0, 0, 0}),
                                              one_action(odp::kKeySkbMark, {1, 0, 0, 0})})),
       "action 1 (set): expected exactly one key attribute, found 2"},
      {nested_action(odp::kActionSet, one_action(odp::kKeyInPort, {1, 0, 0, 0})),
       "action 1 (set): in_port cannot be set"},
      {nested_action(odp::kActionSet, one_action(odp::kKeyCtState, {1, 0, 0, 0})),
       "action 1 (set): ct_state cannot be set"},
      {nested_action(odp::kActionSet, one_action(40, {1, 0, 0, 0})),
       "action 1 (set): unknown key attribute 40"},
      {nested_action(odp::kActionSetMasked, one_action(odp::kKeyIcmp, {1, 2, 0xff, 0xff})),
       "action 1 (set_masked): icmp cannot be set with a mask"},
      {nested_action(odp::kActionSetMasked,
                     one_action(odp::kKeyRecircId, {1, 0, 0, 0, 0xff, 0, 0, 0})),
       "action 1 (set_masked): recirc_id cannot be set with a mask"},
      {nested_action(odp::kActionSet, one_action(odp::kKeyMpls, {0, 0, 0x11, 64, 0, 0, 0x11, 64})),
       "action 1 (set): mpls attribute has length 8, expected 4"},
      {nested_action(odp::kActionSet,
                     nested_action(odp::kKeyTunnel, one_action(odp::kTunnelTtl, {1, 2}))),
       "action 1 (set): tunnel: ttl has length 2, expected 1"},
      {nested_action(
           odp::kActionSet,
           nested_action(odp::kKeyTunnel,
                         concat({one_action(odp::kTunnelIpv4Dst, {1, 1, 1, 1}),
                                 one_action(odp::kTunnelIpv6Dst,
                                            {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})}))),
       "action 1 (set): tunnel: IPv4 and IPv6 addresses mixed"},
      {nested_action(
           odp::kActionSetMasked,
           nested_action(odp::kKeyNsh, one_action(odp::kNshBase, {1, 2, 3, 4, 5, 6, 7, 8}))),
       "action 1 (set_masked): nsh: base has length 8, expected 16"},
      {nested_action(
           odp::kActionSet,
           nested_action(odp::kKeyNsh, concat({one_action(odp::kNshBase, {1, 2, 4, 3, 0, 0, 0, 1}),
                                               one_action(odp::kNshMd1, {0, 0, 0, 1, 0, 0, 0, 2, 0,
                                                                         0, 0, 3, 0, 0, 0, 4})}))),
       "action 1 (set): nsh: md1 with mdtype 4"},
      {nested_action(odp::kActionSet, ipv4_key(3, std::nullopt)),
       "action 1 (set): ipv4 frag 3 is not no (0), first (1) or later (2)"},
      {nested_action(odp::kActionSetMasked, ipv4_key(0, 0x0f)),
       "action 1 (set_masked): ipv4 frag mask 0x0f is partial (frag is an enumeration)"},
      {nested_action(odp::kActionSet, ipv6_key(0x100000, std::nullopt)),
       "action 1 (set): ipv6 label 0x100000 exceeds 20 bits"},
      {nested_action(odp::kActionSetMasked, ipv6_key(0x1, 0x1fffff)),
       "action 1 (set_masked): ipv6 label mask 0x1fffff exceeds 20 bits"},
      // userspace
      {nested_action(odp::kActionUserspace, one_action(odp::kUserspaceUserdata, {1})),
       "action 1 (userspace): userspace: missing pid"},
      {nested_action(odp::kActionUserspace, one_action(odp::kUserspacePid, {1, 0})),
       "action 1 (userspace): userspace: pid has length 2, expected 4"},
      {nested_action(odp::kActionUserspace, concat({one_action(odp::kUserspacePid, {1, 0, 0, 0}),
                                                    one_action(odp::kUserspacePid, {1, 0, 0, 0})})),
       "action 1 (userspace): userspace: duplicate pid attribute"},
      {nested_action(odp::kActionUserspace,
                     concat({one_action(odp::kUserspacePid, {1, 0, 0, 0}), one_action(9, {})})),
       "action 1 (userspace): userspace: unknown attribute 9"},
      {nested_action(odp::kActionUserspace, concat({one_action(odp::kUserspacePid, {1, 0, 0, 0}),
                                                    one_action(odp::kUserspaceActions, {1})})),
       "action 1 (userspace): userspace: actions flag has length 1, expected 0"},
      // sample, clone, check_pkt_len
      {nested_action(odp::kActionSample, one_action(odp::kSampleProbability, {1, 0, 0, 0})),
       "action 1 (sample): sample: missing actions"},
      {nested_action(odp::kActionSample,
                     concat({one_action(odp::kSampleProbability, {1, 0, 0, 0}),
                             nested_action(odp::kSampleActions, one_action(99, {}))})),
       "action 1 (sample): sample: actions: action 1: unknown action type 99"},
      {nested_action(odp::kActionClone,
                     concat({output1, one_action(odp::kActionPushVlan, {0x12, 0x34, 0x10})})),
       "action 1 (clone): action 2 (push_vlan): payload has length 3, expected 4"},
      {nested_action(odp::kActionCheckPktLen,
                     concat({one_action(odp::kCheckPktLenPktLen, {100, 0}),
                             nested_action(odp::kCheckPktLenActionsIfGreater, output1)})),
       "action 1 (check_pkt_len): check_pkt_len: missing le actions"},
      {nested_action(odp::kActionCheckPktLen,
                     concat({one_action(odp::kCheckPktLenPktLen, {100, 0, 0, 0}),
                             nested_action(odp::kCheckPktLenActionsIfGreater, output1),
                             nested_action(odp::kCheckPktLenActionsIfLessEqual, output1)})),
       "action 1 (check_pkt_len): check_pkt_len: pkt_len has length 4, expected 2"},
      // ct and nat
      {nested_action(odp::kActionCt,
                     concat({one_action(odp::kCtCommit, {}), one_action(odp::kCtForceCommit, {})})),
       "action 1 (ct): ct: commit and force_commit are mutually exclusive"},
      {nested_action(odp::kActionCt, one_action(odp::kCtZone, {1, 0, 0, 0})),
       "action 1 (ct): ct: zone has length 4, expected 2"},
      {nested_action(odp::kActionCt, one_action(odp::kCtHelper, {'f', 't', 'p'})),
       "action 1 (ct): ct: helper is not a NUL-terminated name"},
      {nested_action(odp::kActionCt, one_action(odp::kCtHelper, {'f', ',', 0})),
       "action 1 (ct): ct: helper has character 0x2c, not one of [A-Za-z0-9_.-]"},
      {nested_action(odp::kActionCt, one_action(odp::kCtHelper, {0})),
       "action 1 (ct): ct: helper has length 1, expected 2 to 16 (with its NUL)"},
      {nested_action(odp::kActionCt, one_action(12, {})),
       "action 1 (ct): ct: unknown attribute 12"},
      {nested_action(odp::kActionCt,
                     nested_action(odp::kCtNat, concat({one_action(odp::kNatSrc, {}),
                                                        one_action(odp::kNatIpMin, {1, 2, 3})}))),
       "action 1 (ct): ct: nat: ip_min has length 3, expected 4 or 16"},
      {nested_action(
           odp::kActionCt,
           nested_action(odp::kCtNat, concat({one_action(odp::kNatSrc, {}),
                                              one_action(odp::kNatIpMin, {10, 0, 0, 2}),
                                              one_action(odp::kNatIpMax, {10, 0, 0, 1})}))),
       "action 1 (ct): ct: nat: ip_max is below ip_min"},
      {nested_action(
           odp::kActionCt,
           nested_action(odp::kCtNat, concat({one_action(odp::kNatSrc, {}),
                                              one_action(odp::kNatIpMin, {10, 0, 0, 2}),
                                              one_action(odp::kNatProtoMin, {0x10, 0}),
                                              one_action(odp::kNatProtoMax, {0x01, 0})}))),
       "action 1 (ct): ct: nat: proto_max 1 is below proto_min 16"},
      {nested_action(odp::kActionCt,
                     nested_action(odp::kCtNat, concat({one_action(odp::kNatSrc, {}),
                                                        one_action(odp::kNatDst, {})}))),
       "action 1 (ct): ct: nat: both src and dst given"},
      {nested_action(odp::kActionCt,
                     nested_action(odp::kCtNat, one_action(odp::kNatPersistent, {}))),
       "action 1 (ct): ct: nat: options given without src or dst"},
      {nested_action(odp::kActionCt,
                     nested_action(odp::kCtNat, concat({one_action(odp::kNatSrc, {}),
                                                        one_action(odp::kNatProtoMin, {1, 0})}))),
       "action 1 (ct): ct: nat: proto_min without ip_min"},
      // push_nsh
      {nested_action(
           odp::kActionPushNsh,
           nested_action(odp::kKeyNsh, one_action(odp::kNshBase, {0, 63, 1, 3, 0, 0, 0, 255}))),
       "action 1 (push_nsh): nsh: mdtype 1 without md1"},
      {nested_action(
           odp::kActionPushNsh,
           nested_action(odp::kKeyNsh, one_action(odp::kNshBase, {0, 64, 2, 3, 0, 0, 0, 255}))),
       "action 1 (push_nsh): nsh: ttl 64 exceeds 63"},
      // tnl_push
      {one_action(odp::kActionTunnelPush, {1, 0, 0, 0}),
       "action 1 (tnl_push): payload has 4 bytes, less than the 16-byte prefix"},
      {one_action(odp::kActionTunnelPush, {1, 0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 4, 0, 0, 0}),
       "action 1 (tnl_push): header_len 20 but 0 header bytes follow"},
  };
  for (const Case& c : cases) EXPECT_EQ(validation_error(c.buf), c.error);
}

TEST(ValidateActions, TunnelPushHeaderChecks) {
  auto base = parse_ok(
      "tnl_push(tnl_port(6),header(size=50,type=4,eth(dst=f8:bc:12:44:34:b6,"
      "src=f8:bc:12:46:58:e0,dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=17,tos=0,"
      "ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1c7)),"
      "out_port(1))");
  ASSERT_EQ(validation_error(base), "ok");
  auto wrong_type = base;
  wrong_type[4 + 12] = 5;  // claims Geneve: options length 0x08 >> 0 ... bytes disagree
  EXPECT_EQ(validation_error(wrong_type),
            "action 1 (tnl_push): geneve header is 82 bytes but header_len is 50");
  auto unknown_type = base;
  unknown_type[4 + 12] = 42;
  EXPECT_EQ(validation_error(unknown_type), "action 1 (tnl_push): tunnel type 42 is not supported");
  auto bad_ihl = base;
  bad_ihl[4 + 16 + 14] = 0x46;
  EXPECT_EQ(validation_error(bad_ihl),
            "action 1 (tnl_push): IPv4 header must be version 4 with a 20-byte header (0x45)");
  auto arp = base;
  arp[4 + 16 + 13] = 0x06;
  EXPECT_EQ(validation_error(arp),
            "action 1 (tnl_push): outer EtherType 0x0806 is not IPv4 or IPv6");
  auto gre_over_v4_as_ip6gre = parse_ok(
      "tnl_push(tnl_port(4),header(size=42,type=3,eth(dst=f8:bc:12:44:34:b6,src=f8:bc:12:46:58:e0,"
      "dl_type=0x0800),ipv4(src=1.1.2.88,dst=1.1.2.92,proto=47,tos=0,ttl=64,frag=0x4000),"
      "gre((flags=0x2000,proto=0x6558),key=0x1e241)),out_port(1))");
  gre_over_v4_as_ip6gre[4 + 12] = odp::kVportIp6gre;
  EXPECT_EQ(validation_error(gre_over_v4_as_ip6gre),
            "action 1 (tnl_push): ip6gre needs an IPv6 outer header");
}

TEST(ValidateActions, FormatterSurvivesInvalidInput) {
  EXPECT_EQ(format_odp_actions(one_action(odp::kActionOutput, {1, 0})),
            "bad length 2, expected 4 for: action1(01 00)");
  EXPECT_EQ(format_odp_actions(one_action(99, {0xab})), "action99(ab)");
  EXPECT_EQ(format_odp_actions(one_action(odp::kActionHash, {7, 0, 0, 0, 1, 0, 0, 0})),
            "hash(Unknown hash algorithm(7))");
  EXPECT_EQ(format_odp_actions(nested_action(odp::kActionUserspace, {})), "userspace(error)");
  EXPECT_EQ(format_odp_actions(nested_action(odp::kActionSample, {})), "sample(error)");
  EXPECT_EQ(format_odp_actions(one_action(odp::kActionTunnelPush, {1})), "tnl_push(error)");
  EXPECT_EQ(format_odp_actions(bytes({8, 0, 1, 0, 1, 0, 0, 0, 9, 9})),
            "1,***2 leftover bytes*** (0909)");
  EXPECT_EQ(format_odp_actions(bytes({9, 9})), "<empty>,***2 leftover bytes*** (0909)");
  EXPECT_EQ(format_odp_actions(one_action(odp::kActionDrop, {3, 0, 0, 0})), "drop");
}

}  // namespace
}  // namespace flowpath
