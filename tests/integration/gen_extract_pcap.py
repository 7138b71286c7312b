#!/usr/bin/python3
"""Writes a pcap of real-looking traffic and, beside it, the flow key each
packet must produce, computed here from scapy's own view of the packet (an
oracle independent of flowpath's parser).

usage: gen_extract_pcap.py OUT.pcap OUT.expected
"""
import ipaddress
import sys

from scapy.all import (ARP, fragment, DNS, DNSQR, ICMP, IP, SCTP, TCP, UDP, Dot1Q, Dot1AD, Dot3, Ether,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, LLC,
                       SNAP, STP, Raw, wrpcap)
from scapy.contrib.mpls import MPLS

# Metadata every packet key starts with (in_port 1, first pass, Ethernet).
PREFIX = "recirc_id(0),in_port(1),"

H1 = "00:00:5e:00:53:01"
H2 = "00:00:5e:00:53:02"
BCAST = "ff:ff:ff:ff:ff:ff"

TCP_FLAG_NAMES = [(0x001, "fin"), (0x002, "syn"), (0x004, "rst"), (0x008, "psh"),
                  (0x010, "ack"), (0x020, "urg"), (0x040, "ece"), (0x080, "cwr"),
                  (0x100, "ns")]


def hx(v):
    """OVS's %#x: 0 prints as 0, anything else as 0x..."""
    return "0" if v == 0 else hex(v)


def frag_of_ipv4(ip):
    if ip.frag != 0:
        return "later"
    if ip.flags.MF:
        return "first"
    return "no"


def tcp_flags(value):
    names = [n for bit, n in TCP_FLAG_NAMES if value & bit]
    return "|".join(names) if names else "0"


def l4_of(proto, l4, frag):
    """Expected L4 attributes for an IP packet whose L4 header is `l4`."""
    if frag == "later":
        return ""
    if proto == 6:
        return f",tcp(src={l4.sport},dst={l4.dport}),tcp_flags({tcp_flags(int(l4.flags))})"
    if proto == 17:
        return f",udp(src={l4.sport},dst={l4.dport})"
    if proto == 132:
        return f",sctp(src={l4.sport},dst={l4.dport})"
    if proto == 1:
        return f",icmp(type={l4.type},code={l4.code})"
    return ""


def ipv4_key(ip):
    frag = frag_of_ipv4(ip)
    text = (f"eth_type(0x0800),ipv4(src={ip.src},dst={ip.dst},proto={ip.proto},"
            f"tos={hx(ip.tos)},ttl={ip.ttl},frag={frag})")
    return text + l4_of(ip.proto, ip.payload, frag)


def ipv6_key(ip6, proto, l4, frag="no"):
    if frag == "later":
        # Open vSwitch reports a later IPv6 fragment's protocol as the fragment
        # header itself (44) and parses nothing past it.
        proto = 44
    text = (f"eth_type(0x86dd),ipv6(src={ipaddress.IPv6Address(ip6.src)},"
            f"dst={ipaddress.IPv6Address(ip6.dst)},label={hx(ip6.fl)},proto={proto},"
            f"tclass={hx(ip6.tc)},hlimit={ip6.hlim},frag={frag})")
    if proto == 58 and frag != "later":
        text += f",icmpv6(type={l4.type},code={l4.code})"
        if l4.type in (135, 136):
            sll = tll = "00:00:00:00:00:00"
            opt_type = 0
            opt = l4.payload
            while opt is not None and not isinstance(opt, (Raw,)) and opt.name != "NoPayload":
                # Only the first option type is recorded, as nd_options_type.
                if isinstance(opt, ICMPv6NDOptDstLLAddr):
                    tll = opt.lladdr
                    opt_type = opt_type or 2
                elif isinstance(opt, ICMPv6NDOptSrcLLAddr):
                    sll = opt.lladdr
                    opt_type = opt_type or 1
                opt = opt.payload
            # No nd_ext: Open vSwitch's userspace datapath never writes one.
            text += f",nd(target={ipaddress.IPv6Address(l4.tgt)},sll={sll},tll={tll})"
        return text
    return text + l4_of(proto, l4, frag)


def eth(dst=H2, src=H1):
    return f"eth(src={src},dst={dst}),"


packets = []  # (scapy packet, expected key text without PREFIX)


def add(pkt, expected):
    packets.append((pkt, expected))


# ARP request and reply.
p = Ether(src=H1, dst=BCAST) / ARP(op=1, hwsrc=H1, psrc="192.0.2.1", pdst="192.0.2.2")
add(p, eth(BCAST) + f"eth_type(0x0806),arp(sip=192.0.2.1,tip=192.0.2.2,op=1,sha={H1},"
    "tha=00:00:00:00:00:00)")
p = Ether(src=H2, dst=H1) / ARP(op=2, hwsrc=H2, psrc="192.0.2.2", hwdst=H1, pdst="192.0.2.1")
add(p, eth(H1, H2) + f"eth_type(0x0806),arp(sip=192.0.2.2,tip=192.0.2.1,op=2,sha={H2},tha={H1})")

# IPv4: DNS query, TCP handshake, ICMP echo, DSCP, fragments, options, SCTP.
for pkt in [
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.53") / UDP(sport=53000, dport=53)
        / DNS(rd=1, qd=DNSQR(qname="example.com")),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2", ttl=63)
        / TCP(sport=40000, dport=443, flags="S", options=[("MSS", 1460), ("SAckOK", b"")]),
        Ether(src=H2, dst=H1) / IP(src="192.0.2.2", dst="192.0.2.1")
        / TCP(sport=443, dport=40000, flags="SA"),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2")
        / TCP(sport=40000, dport=443, flags="PA") / Raw(b"GET / HTTP/1.1\r\n\r\n"),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2", tos=0xb8)
        / UDP(sport=5004, dport=5004) / Raw(b"\x80" * 40),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=8, id=7, seq=1),
        Ether(src=H2, dst=H1) / IP(src="192.0.2.2", dst="192.0.2.1") / ICMP(type=0, id=7, seq=1),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2", options=b"\x94\x04\x00\x00")
        / UDP(sport=1, dport=2),
        Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="198.51.100.9") / SCTP(sport=3868, dport=3868),
]:
    add(pkt, eth(pkt.dst, pkt.src) + ipv4_key(pkt[IP]))

# A UDP datagram fragmented into three pieces (first, later, later): only the
# first carries the UDP header.
datagram = IP(src="192.0.2.1", dst="192.0.2.2", id=99) / UDP(sport=7000, dport=7001) / Raw(b"x" * 100)
for piece in fragment(datagram, fragsize=40):
    pkt = Ether(bytes(Ether(src=H1, dst=H2) / piece))
    add(pkt, eth() + ipv4_key(pkt[IP]))

# IPv6: TCP, UDP with a hop-by-hop header, echo, fragment, ND solicitation and advertisement.
A1, A2 = "2001:db8::1", "2001:db8::2"
p = Ether(src=H1, dst=H2) / IPv6(src=A1, dst=A2, fl=0x12345) / TCP(sport=50000, dport=22, flags="S")
add(p, eth() + ipv6_key(p[IPv6], 6, p[TCP]))
p = Ether(src=H1, dst=H2) / IPv6(src=A1, dst=A2, tc=0x20) / IPv6ExtHdrHopByHop() / UDP(sport=546, dport=547)
add(p, eth() + ipv6_key(p[IPv6], 17, p[UDP]))
p = Ether(src=H1, dst=H2) / IPv6(src=A1, dst=A2) / ICMPv6EchoRequest(id=1, seq=1)
add(p, eth() + ipv6_key(p[IPv6], 58, p[ICMPv6EchoRequest]))
p = Ether(src=H1, dst=H2) / IPv6(src=A1, dst=A2) / IPv6ExtHdrFragment(offset=0, m=1, id=5) / UDP(sport=9, dport=9) / Raw(b"y" * 16)
add(p, eth() + ipv6_key(p[IPv6], 17, p[UDP], frag="first"))
p = Ether(src=H1, dst=H2) / IPv6(src=A1, dst=A2) / IPv6ExtHdrFragment(offset=3, m=0, id=5, nh=17) / Raw(b"z" * 16)
add(p, eth() + ipv6_key(p[IPv6], 17, None, frag="later"))
p = Ether(src=H1, dst="33:33:ff:00:00:02") / IPv6(src=A1, dst="ff02::1:ff00:2", hlim=255) \
    / ICMPv6ND_NS(tgt=A2) / ICMPv6NDOptSrcLLAddr(lladdr=H1)
add(p, eth("33:33:ff:00:00:02") + ipv6_key(p[IPv6], 58, p[ICMPv6ND_NS]))
p = Ether(src=H2, dst=H1) / IPv6(src=A2, dst=A1, hlim=255) \
    / ICMPv6ND_NA(tgt=A2, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=H2)
add(p, eth(H1, H2) + ipv6_key(p[IPv6], 58, p[ICMPv6ND_NA]))

# VLANs: one 802.1Q tag, and QinQ (802.1ad outer, 802.1Q inner).
p = Ether(src=H1, dst=H2) / Dot1Q(vlan=10, prio=5) / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=1000, dport=2000)
add(p, eth() + "eth_type(0x8100),vlan(vid=10,pcp=5),encap(" + ipv4_key(p[IP]) + ")")
p = Ether(src=H1, dst=H2, type=0x88a8) / Dot1AD(vlan=100) / Dot1Q(vlan=20) / IP(src="192.0.2.1", dst="192.0.2.2") / ICMP()
add(p, eth() + "eth_type(0x88a8),vlan(vid=100,pcp=0),encap(eth_type(0x8100),vlan(vid=20,pcp=0),encap("
    + ipv4_key(p[IP]) + "))")

# MPLS: one label, and a two-label stack.
p = Ether(src=H1, dst=H2, type=0x8847) / MPLS(label=100, cos=0, s=1, ttl=64) / IP(src="192.0.2.1", dst="192.0.2.2") / UDP()
add(p, eth() + "eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=1)")
p = Ether(src=H1, dst=H2, type=0x8847) / MPLS(label=200, cos=1, s=0, ttl=32) / MPLS(label=300, cos=0, s=1, ttl=31) / IP() / UDP()
add(p, eth() + "eth_type(0x8847),mpls(label=200,tc=1,ttl=32,bos=0,label=300,tc=0,ttl=31,bos=1)")

# 802.3: a spanning-tree BPDU (LLC without SNAP) and a SNAP frame carrying IPv4.
p = Dot3(src=H1, dst="01:80:c2:00:00:00") / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP()
# 802.2 without SNAP has no EtherType attribute; the megaflow matches its
# absence exactly, which prints as eth_type(0/0xffff).
add(p, eth("01:80:c2:00:00:00") + "eth_type(0/0xffff)")
p = Dot3(src=H1, dst=H2) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0800) \
    / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=10, dport=20)
add(p, eth() + ipv4_key(p[IP]))

# Truncated TCP: the IPv4 header is whole and says 8 bytes of TCP follow, too
# few for a TCP header: the key keeps proto=6 with empty TCP fields.
p = Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2", proto=6) / Raw(b"\x00\x01\x00\x02abcd")
p = Ether(bytes(p))
add(p, eth() + "eth_type(0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=6,tos=0,ttl=64,frag=no),"
    "tcp(src=0,dst=0),tcp_flags(0)")
# Truncated IPv4: the capture ends before the length the header claims, so
# the IPv4 header is not trusted at all (empty ipv4 fields, no L4).
full = bytes(Ether(src=H1, dst=H2) / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=1, dport=2))
add(Ether(full[:14 + 20 + 8]),
    eth() + "eth_type(0x0800),ipv4(src=0.0.0.0,dst=0.0.0.0,proto=0,tos=0,ttl=0,frag=no)")


def main():
    out_pcap, out_expected = sys.argv[1], sys.argv[2]
    wrpcap(out_pcap, [p for p, _ in packets])
    with open(out_expected, "w") as f:
        for _, expected in packets:
            f.write(PREFIX + expected + "\n")


if __name__ == "__main__":
    main()
