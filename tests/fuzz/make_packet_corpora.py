#!/usr/bin/python3
"""Writes the seed corpora of fuzz_key_extract and fuzz_conntrack
(tests/fuzz/corpus/NAME): one frame of each kind the flow key knows, in the
input layout each target reads (see the comment at the top of its source).
Uses Debian's python3-scapy: run it with /usr/bin/python3. The corpora in the
repository are these seeds merged with what fuzzing runs found
(`FUZZER -merge=1 tests/fuzz/corpus/NAME NEW_INPUTS`)."""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, SCTP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrFragment, Raw)
from scapy.contrib.mpls import MPLS
from scapy.layers.inet import IPerror, UDPerror

MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"


def frames():
    eth = Ether(src=MAC_A, dst=MAC_B)
    yield "ipv4_tcp_syn", eth / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=80, flags="S")
    yield "ipv4_udp", eth / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5353, dport=53) / Raw(b"q" * 8)
    yield "ipv4_icmp_echo", eth / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=8, id=7, seq=1)
    yield "ipv4_icmp_error", (eth / IP(src="10.0.0.2", dst="10.0.0.1") / ICMP(type=3, code=3) /
                              IPerror(src="10.0.0.1", dst="10.0.0.2") / UDPerror(sport=5353, dport=53))
    yield "ipv4_sctp", eth / IP(src="10.0.0.1", dst="10.0.0.2") / SCTP(sport=3868, dport=3868)
    yield "ipv4_first_fragment", (eth / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF", id=9) /
                                  UDP(sport=1, dport=2) / Raw(b"x" * 24))
    yield "ipv4_later_fragment", eth / IP(src="10.0.0.1", dst="10.0.0.2", frag=4, id=9, proto=17) / Raw(b"x" * 16)
    yield "ipv4_options", eth / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00") / UDP()
    yield "ipv6_tcp", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=40000, dport=443, flags="SA")
    yield "ipv6_udp_fragment", (eth / IPv6(src="2001:db8::1", dst="2001:db8::2") /
                                IPv6ExtHdrFragment(id=5, m=1) / UDP(sport=1, dport=2) / Raw(b"y" * 16))
    yield "ipv6_echo", eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=3, seq=1)
    yield "ipv6_nd_ns", (eth / IPv6(src="fe80::1", dst="ff02::1:ff00:2") /
                         ICMPv6ND_NS(tgt="2001:db8::2") / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
    yield "arp_request", Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2")
    yield "vlan_ipv4_udp", eth / Dot1Q(vlan=10, prio=3) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP()
    yield "qinq_ipv4", (Ether(src=MAC_A, dst=MAC_B, type=0x88a8) / Dot1Q(vlan=100, type=0x8100) /
                        Dot1Q(vlan=10) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP())
    yield "mpls_ipv4", eth / MPLS(label=100, s=1, ttl=64) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP()
    yield "llc", Ether(src=MAC_A, dst=MAC_B, type=60) / Raw(b"\xaa\xaa\x03" + bytes(57))
    yield "truncated_tcp", (eth / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=2)).build()[:40]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    extract = os.path.join(root, "fuzz_key_extract")
    conntrack = os.path.join(root, "fuzz_conntrack")
    os.makedirs(extract, exist_ok=True)
    os.makedirs(conntrack, exist_ok=True)
    built = [(name, bytes(f) if not isinstance(f, bytes) else f) for name, f in frames()]
    for name, frame in built:
        # fuzz_key_extract: selector 0 (Ethernet, no tunnel), then the frame.
        with open(os.path.join(extract, "seed_" + name), "wb") as out:
            out.write(b"\x00" + frame)
    # fuzz_conntrack: records of (control, length, frame). A connection and
    # its reply, committed; the same with NAT; zones; an ICMP error.
    def record(control, frame):
        return bytes([control]) + struct.pack("<H", len(frame)) + frame

    by_name = dict(built)
    reply_tcp = bytes(Ether(src=MAC_B, dst=MAC_A) / IP(src="10.0.0.2", dst="10.0.0.1") /
                      TCP(sport=80, dport=40000, flags="SA"))
    ack_tcp = bytes(Ether(src=MAC_A, dst=MAC_B) / IP(src="10.0.0.1", dst="10.0.0.2") /
                    TCP(sport=40000, dport=80, flags="A"))
    sessions = {
        "tcp_handshake": [record(1, by_name["ipv4_tcp_syn"]), record(0, reply_tcp), record(0, ack_tcp)],
        "tcp_snat": [record(0x21, by_name["ipv4_tcp_syn"]), record(0x20, reply_tcp)],
        "udp_zone_mark_label": [record(0x1d, by_name["ipv4_udp"]), record(0x10, by_name["ipv4_udp"])],
        "icmp_related": [record(1, by_name["ipv4_udp"]), record(0, by_name["ipv4_icmp_error"])],
        "ipv6_tcp_force": [record(2, by_name["ipv6_tcp"]), record(3, by_name["ipv6_tcp"])],
        "sctp": [record(1, by_name["ipv4_sctp"])],
        "l3_ipv4": [record(0x41, by_name["ipv4_udp"][14:])],
    }
    for name, records in sessions.items():
        with open(os.path.join(conntrack, "seed_" + name), "wb") as out:
            out.write(b"".join(records))


if __name__ == "__main__":
    main()
