#!/usr/bin/python3
"""N OpenFlow rules over 20 masks, one per line in ovs-ofctl syntax: the set of
tests/unit/rule_set_generator.h (keep the two alike), for `ovs-ofctl add-flows`
and `fpctl of add-flows`.   usage: gen_rules.py N > rules.txt"""
import sys


def ip4(a):
    return "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)


def mac(m):
    return ":".join("%02x" % (m >> s & 255) for s in (40, 32, 24, 16, 8, 0))


def ip6(hi, lo):
    return "2001:db8:%x:%x::%x" % (hi >> 16, hi & 0xffff, lo)


def line(i):
    n = i // 20
    a = 0x0a000000 | n << 4
    port = 1024 + n % 60000
    k = i % 20
    m = [
        lambda: "priority=1000,ip,nw_dst=" + ip4(a),
        lambda: "priority=900,ip,nw_dst=" + ip4(0x0b000000 | n << 8) + "/24",
        lambda: "priority=800,ip,nw_dst=" + ip4((0x0c00 + n) << 16 & 0xffffffff) + "/16",
        lambda: "priority=1000,ip,nw_src=" + ip4(a),
        lambda: "priority=2000,tcp,nw_dst=%s,tp_dst=%d" % (ip4(a), port),
        lambda: "priority=2000,udp,nw_dst=%s,tp_src=%d" % (ip4(a), port),
        lambda: "priority=1900,tcp,nw_src=%s/24,tp_dst=%d" % (ip4(0x0d000000 | n << 8), port % 1024 + 1),
        lambda: "priority=500,dl_dst=" + mac(0x020000000000 | n),
        lambda: "priority=500,dl_src=" + mac(0x040000000000 | n),
        lambda: "priority=600,dl_src=%s,dl_dst=%s" % (mac(0x060000000000 | n), mac(0x020000000000 | (n * 7 & 0xffff))),
        lambda: "priority=1000,ipv6,ipv6_dst=" + ip6(n, 1),
        lambda: "priority=900,ipv6,ipv6_dst=" + ip6(n, 0) + "/64",
        lambda: "priority=2000,tcp6,ipv6_src=%s/64,tp_dst=%d" % (ip6(n, 0), port),
        lambda: "priority=1500,reg0=%d,ip,nw_dst=%s" % (n % 64, ip4(0x0e000000 | n)),
        lambda: "priority=1500,metadata=%d,ip,nw_src=%s" % (n % 16, ip4(0x0f000000 | n)),
        lambda: "priority=700,dl_vlan=%d,dl_dst=%s" % (n % 4094 + 1, mac(0x080000000000 | n)),
        lambda: "priority=1000,arp,arp_op=1,arp_tpa=" + ip4(a),
        lambda: "priority=1800,udp,tp_src=%d,tp_dst=%d" % (n % 256 + 1, n // 256 + 1),
        lambda: "priority=2100,tcp,nw_src=%s,nw_dst=%s,tp_dst=%d" % (ip4(a), ip4(0xc0a80000 | (n & 0xff)), port),
        lambda: "priority=1700,icmp,nw_dst=%s,icmp_type=%d" % (ip4(a), n % 16),
    ][k]()
    return m + ",actions=" + ("drop" if n % 2 else "NORMAL")


if __name__ == "__main__":
    count = int(sys.argv[1])
    out = sys.stdout
    for i in range(count):
        out.write(line(i) + "\n")
