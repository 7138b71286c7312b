#!/usr/bin/python3
"""Captures for replay_test.sh, and the check of what `fpctl replay` wrote.

  gen_replay_pcaps.py DIR                 writes DIR/in1..3.pcap, learn1..2.pcap, raw.pcap
  gen_replay_pcaps.py --check DIR OUT flows|bridge [bytes-only]
                                          compares OUT/port-N.pcap with the frames
                                          the flows (or NORMAL) make of them, and
                                          their timestamps (the input frame's), unless
                                          bytes-only (--batch stamps a batch's first)
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # the runt's "linktype" warning
from scapy.all import ICMP, IP, TCP, UDP, Dot1Q, Ether, Raw, rdpcap, wrpcap

A, B = "00:00:00:00:00:0a", "00:00:00:00:00:0b"


def stamped(frame, time):
    frame.time = time
    return frame


def inputs():
    udp = lambda n, size: Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(
        sport=1000, dport=2000) / Raw(bytes([n]) * size)
    in1 = [stamped(udp(1, 20), 1),
           stamped(Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(), 4),
           stamped(udp(5, 20), 5),
           stamped(udp(6, 200), 6),
           stamped(Raw(bytes(10)), 7)]  # a runt
    in2 = [stamped(Ether(src=B, dst=A) / IP(src="10.0.0.2", dst="10.0.0.1") /
                   TCP(sport=80, dport=1234, flags="S"), 2)]
    in3 = [stamped(Ether(src=B, dst=A) / IP(src="10.0.0.3", dst="10.0.0.1") / ICMP(), 3)]
    learn1 = [stamped(Ether(src=A, dst=B) / IP() / UDP() / Raw(b"1"), 1),
              stamped(Ether(src=A, dst=B) / IP() / UDP() / Raw(b"3"), 3)]
    learn2 = [stamped(Ether(src=B, dst=A) / IP() / UDP() / Raw(b"2"), 2)]
    return in1, in2, in3, learn1, learn2


def write(directory):
    in1, in2, in3, learn1, learn2 = inputs()
    for name, frames in (("in1", in1), ("in2", in2), ("in3", in3), ("learn1", learn1),
                         ("learn2", learn2)):
        wrpcap(f"{directory}/{name}.pcap", frames, linktype=1)  # DLT_EN10MB
    wrpcap(f"{directory}/raw.pcap", [IP(dst="10.0.0.1") / UDP()], linktype=101)


def push_vlan(frame, vid):
    tagged = Ether(src=frame.src, dst=frame.dst) / Dot1Q(vlan=vid) / frame.payload
    return stamped(Ether(bytes(tagged)), frame.time)


def expected(mode):
    in1, in2, in3, learn1, learn2 = inputs()
    if mode == "flows":
        udp = [in1[0], in1[2], in1[3]]
        return {0: [], 1: [in2[0]], 2: [push_vlan(f, 10) for f in udp], 3: [in2[0]], 4: []}
    # NORMAL: the first frame floods (local port 0 too), the reply and the
    # next frame go where the MACs were learned.
    return {0: [learn1[0]], 1: [learn2[0]], 2: [learn1[0], learn1[1]], 3: [learn1[0]]}


def check(out, mode, with_times):
    ok = True
    for port, frames in expected(mode).items():
        actual = rdpcap(f"{out}/port-{port}.pcap")
        got = [(bytes(f), float(f.time) if with_times else None) for f in actual]
        want = [(bytes(f), float(f.time) if with_times else None) for f in frames]
        if got != want:
            ok = False
            print(f"port-{port}.pcap: expected {len(want)} frames, got {len(got)}")
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else None
                w = want[i] if i < len(want) else None
                if g != w:
                    print(f"  frame {i + 1}: expected {w and (w[0].hex(), w[1])}")
                    print(f"  frame {i + 1}:      got {g and (g[0].hex(), g[1])}")
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[3], sys.argv[4], sys.argv[5:] != ["bytes-only"]) else 1)
    write(sys.argv[1])
