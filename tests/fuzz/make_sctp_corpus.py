#!/usr/bin/python3
"""Writes SCTP seeds for fuzz_conntrack (tests/fuzz/corpus/fuzz_conntrack):
an association's handshake, data and shutdown, committed with and without
source NAT, and a path opened by a HEARTBEAT, in the target's record format
(control byte, little-endian length, Ethernet frame)."""
import os
import struct

from scapy.all import Ether, IP, IPv6
from scapy.layers.sctp import (SCTP, SCTPChunkCookieAck, SCTPChunkCookieEcho, SCTPChunkData,
                               SCTPChunkHeartbeatAck, SCTPChunkHeartbeatReq, SCTPChunkInit,
                               SCTPChunkInitAck, SCTPChunkShutdown, SCTPChunkShutdownAck,
                               SCTPChunkShutdownComplete)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_conntrack")
A, B = 0x11223344, 0x55667788


def frame(v6, from_b, vtag, chunk):
    l3 = (IPv6(src="fd00::2", dst="fd00::1") if from_b else IPv6(src="fd00::1", dst="fd00::2")) \
        if v6 else (IP(src="10.0.0.2", dst="10.0.0.1") if from_b else IP(src="10.0.0.1", dst="10.0.0.2"))
    ports = dict(sport=6000, dport=5000) if from_b else dict(sport=5000, dport=6000)
    return bytes(Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02") / l3 /
                 SCTP(tag=vtag, **ports) / chunk)


def handshake(v6):
    return [
        (False, 0, SCTPChunkInit(init_tag=A, a_rwnd=65535, n_out_streams=1, n_in_streams=1, init_tsn=1)),
        (True, A, SCTPChunkInitAck(init_tag=B, a_rwnd=65535, n_out_streams=1, n_in_streams=1, init_tsn=1)),
        (False, B, SCTPChunkCookieEcho(cookie=b"cookie00")),
        (True, A, SCTPChunkCookieAck()),
        (False, B, SCTPChunkData(tsn=1, data=b"flowpath")),
        (True, A, SCTPChunkData(tsn=1, data=b"answer")),
        (False, B, SCTPChunkShutdown(cumul_tsn_ack=1)),
        (True, A, SCTPChunkShutdownAck()),
        (False, B, SCTPChunkShutdownComplete()),
    ]


def write(name, control_first, control_rest, packets, v6=False):
    out = b""
    for i, (from_b, vtag, chunk) in enumerate(packets):
        f = frame(v6, from_b, vtag, chunk)
        out += bytes([control_first if i == 0 else control_rest]) + struct.pack("<H", len(f)) + f
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(out)


os.makedirs(OUT, exist_ok=True)
write("sctp_association", 0x01, 0x00, handshake(False))            # commit, then plain ct
write("sctp_association_snat", 0x21, 0x20, handshake(False))       # commit with NAT, then bare nat
write("sctp_association_v6", 0x01, 0x00, handshake(True), v6=True)
write("sctp_heartbeat_path", 0x01, 0x00, [
    (False, B, SCTPChunkHeartbeatReq()),
    (True, A, SCTPChunkHeartbeatAck()),
    (True, A, SCTPChunkData(tsn=3, data=b"x")),
])
