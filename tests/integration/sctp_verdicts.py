#!/usr/bin/python3
"""Sends a scripted SCTP exchange between two namespace hosts, one packet at
a time, and prints whether each arrived at the other end ("pass") or not
within the wait ("drop"). Used by conntrack_sctp_test.sh to run the same
packets through flowpath's ct firewall and through the kernel's.

usage: sctp_verdicts.py NS_A MAC_A IP_A NS_B MAC_B IP_B NEXT_HOP_MAC_A NEXT_HOP_MAC_B
  (the next hop of each side: the other host on a bridge, the router's port
  otherwise). Each host sends and receives on its eth0. Output: one line
  per packet, "STEP pass|drop".
"""
import ctypes
import os
import select
import socket
import struct
import sys
import time

from scapy.all import Ether, IP, conf
from scapy.layers.sctp import (SCTP, SCTPChunkAbort, SCTPChunkCookieAck, SCTPChunkCookieEcho,
                               SCTPChunkData, SCTPChunkHeartbeatAck, SCTPChunkHeartbeatReq,
                               SCTPChunkInit, SCTPChunkInitAck, SCTPChunkShutdown,
                               SCTPChunkShutdownAck,
                               SCTPChunkShutdownComplete)

conf.verb = 0
ETH_P_ALL = 0x0003
CLONE_NEWNET = 0x40000000
WAIT_DROP = 0.6  # seconds a dropped packet is waited for

libc = ctypes.CDLL(None, use_errno=True)


def socket_in(ns):
    """An AF_PACKET socket on eth0 of namespace ns (sockets stay in theirs)."""
    with open(f"/var/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("eth0", 0))
    return s


ns_a, mac_a, ip_a, ns_b, mac_b, ip_b, hop_a, hop_b = sys.argv[1:9]
sock = {"a": socket_in(ns_a), "b": socket_in(ns_b)}
TAG_A, TAG_B = 0x11223344, 0x55667788
ip_id = [1000]


def init(tag):
    return SCTPChunkInit(init_tag=tag, a_rwnd=65535, n_out_streams=1, n_in_streams=1, init_tsn=1)


def init_ack(tag):
    return SCTPChunkInitAck(init_tag=tag, a_rwnd=65535, n_out_streams=1, n_in_streams=1, init_tsn=1)


def data(tsn):
    return SCTPChunkData(tsn=tsn, stream_id=0, stream_seq=0, proto_id=0, data=b"flowpath")


def send(step, side, sport, dport, vtag, *chunks):
    """Sends one packet from side "a" or "b"; prints whether the other got it."""
    ip_id[0] += 1
    src, dst, smac, dmac = (ip_a, ip_b, mac_a, hop_a) if side == "a" else (ip_b, ip_a, mac_b, hop_b)
    payload = SCTP(sport=sport, dport=dport, tag=vtag)
    for c in chunks:
        payload = payload / c
    frame = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, id=ip_id[0]) / payload
    rx = sock["b" if side == "a" else "a"]
    while select.select([rx], [], [], 0)[0]:  # whatever came before
        rx.recv(65535)
    sock[side].send(bytes(frame))
    deadline = time.monotonic() + WAIT_DROP
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([rx], [], [], left)[0]:
            print(step, "drop", flush=True)
            return
        f = rx.recv(65535)
        if len(f) >= 34 and f[12:14] == b"\x08\x00" and f[23] == 132 and \
                struct.unpack("!H", f[18:20])[0] == ip_id[0]:
            print(step, "pass", flush=True)
            return


# Association 1 (5000 -> 6000): opened, used, shut down; tags checked on the way.
send("outside-init", "b", 6001, 5001, 0, init(TAG_B))
send("init", "a", 5000, 6000, 0, init(TAG_A))
send("init-again", "a", 5000, 6000, 0, init(TAG_A))
send("init-ack-bad-vtag", "b", 6000, 5000, 0x999, init_ack(TAG_B))
send("init-ack", "b", 6000, 5000, TAG_A, init_ack(TAG_B))
send("cookie-echo-bad-vtag", "a", 5000, 6000, TAG_A, SCTPChunkCookieEcho(cookie=b"cookie00"))
send("cookie-echo", "a", 5000, 6000, TAG_B, SCTPChunkCookieEcho(cookie=b"cookie00"))
send("cookie-ack", "b", 6000, 5000, TAG_A, SCTPChunkCookieAck())
send("data-a", "a", 5000, 6000, TAG_B, data(1))
send("data-b", "b", 6000, 5000, TAG_A, data(1))
send("data-b-own-vtag", "b", 6000, 5000, TAG_B, data(2))
send("data-a-bad-vtag", "a", 5000, 6000, 0x1234, data(2))
send("abort-t-wrong", "b", 6000, 5000, TAG_A, SCTPChunkAbort(TCB=1))
print("-- established", flush=True)
sys.stdin.readline()  # the caller lists the connections here
send("shutdown", "a", 5000, 6000, TAG_B, SCTPChunkShutdown(cumul_tsn_ack=1))
send("shutdown-ack", "b", 6000, 5000, TAG_A, SCTPChunkShutdownAck())
send("shutdown-complete", "a", 5000, 6000, TAG_B, SCTPChunkShutdownComplete())
# Packets that may not open an association.
send("init-nonzero-vtag", "a", 5002, 6002, 7, init(TAG_A))
send("data-unknown", "a", 5003, 6003, 0, data(1))
send("init-bundled", "a", 5004, 6004, 0, init(TAG_A), data(1))
send("cookie-ack-ootb", "a", 5005, 6005, 0, SCTPChunkCookieAck())
# Association 2 (5010 -> 6010): a secondary path opened by a HEARTBEAT,
# answered, then left established.
send("heartbeat", "a", 5010, 6010, TAG_B, SCTPChunkHeartbeatReq())
send("init-in-heartbeat-sent", "b", 6010, 5010, 0, init(TAG_A))
send("heartbeat-ack", "b", 6010, 5010, TAG_A, SCTPChunkHeartbeatAck())
send("data-after-heartbeat", "b", 6010, 5010, TAG_A, data(3))
print("-- end", flush=True)
sys.stdin.readline()
