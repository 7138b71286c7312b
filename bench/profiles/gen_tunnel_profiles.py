#!/usr/bin/env python3
"""Tunnel traffic profiles for flowpath-replay and the OVS-DPDK comparison
(bench/compare-ovs.sh, bench/compare_ovs_tunnel.sh).

Usage: gen_tunnel_profiles.py OUTDIR [--packets N]

  vxlan_decap  profile b's 10,000 inner 5-tuples (60-byte frames captured,
               64 on the wire), each encapsulated in VXLAN as the remote
               tunnel end would send it to this host: outer Ethernet to the
               endpoint's MAC, IPv4 from REMOTE_IP to LOCAL_IP (TTL 64, DF),
               UDP to 4789 from a source port hashed from the inner flow,
               checksum 0, VXLAN with the I flag and VNI. 110 bytes captured.
               Shuffled, N packets.
  vxlan_encap  the same 10,000 inner frames, plain (the pcap of profile b).

and the flowpath flows files (vxlan_decap.flows, vxlan_encap.flows) with the
megaflows Open vSwitch 3.1's translation builds for the comparison's
OpenFlow rules, with the same fields matched (bench/compare_ovs_tunnel.sh
prints OVS's; on encap OVS matches the inner ECN bits, which it would copy
to the outer header if they said congestion): decap pops
on tunnel port 3 and sends the inner frame to port 100; encap outputs to
tunnel port 3, which flowpath-replay resolves into tnl_push through port 100
(replay_tunnels.h). tunnel.conf holds the addresses as shell assignments.
Only the standard library; a fixed seed makes the output identical every run.
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_profiles  # noqa: E402  (profile b's flows, the frame and pcap writers)

SEED = 20261208
LOCAL_IP = "172.31.1.1"      # this host's tunnel endpoint
LOCAL_MAC = "02:00:00:00:01:01"
REMOTE_IP = "172.31.1.2"     # the other end, on-link
REMOTE_MAC = "02:00:00:00:01:02"
VNI = 42
VXLAN_PORT = 4789
TUNNEL_PORT_NUMBER = 3       # flowpath-replay's port number of the vxlan port
OUT_PORT = gen_profiles.OUT_PORT


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def vxlan_frame(inner, sport):
    """`inner` inside Ethernet/IPv4/UDP/VXLAN from REMOTE to LOCAL."""
    udp_len = 8 + 8 + len(inner)
    ip_header = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                            gen_profiles.ip(REMOTE_IP), gen_profiles.ip(LOCAL_IP))
    ip_header = (ip_header[:10] + struct.pack("!H", gen_profiles.ipv4_checksum(ip_header))
                 + ip_header[12:])
    udp_header = struct.pack("!HHHH", sport, VXLAN_PORT, udp_len, 0)
    vxlan_header = struct.pack("!II", 0x08000000, VNI << 8)
    return (mac_bytes(LOCAL_MAC) + mac_bytes(REMOTE_MAC) + b"\x08\x00" + ip_header + udp_header
            + vxlan_header + inner)


def source_port(inner):
    """A sender's entropy port from the inner 5-tuple (as Linux and OVS pick one
    from the flow hash, in the dynamic range)."""
    h = 2166136261
    for b in inner[26:38]:  # IPv4 source, destination, UDP ports
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return 49152 + h % 16384


def write_flows(path, comment, lines):
    gen_profiles.write_flows(path, comment, lines)


def main(argv):
    parsed = gen_profiles.parse_arguments(argv, __doc__)
    if parsed is None:
        return 2
    outdir, packets = parsed
    rng = random.Random(SEED)
    inner = gen_profiles.b_flows()
    outer = [vxlan_frame(f, source_port(f)) for f in inner]
    assert len(set(outer)) == len(outer)
    order = [i % len(inner) for i in range(packets)]
    rng.shuffle(order)
    gen_profiles.write_pcap(os.path.join(outdir, "vxlan_decap.pcap"), [outer[i] for i in order])
    gen_profiles.write_pcap(os.path.join(outdir, "vxlan_encap.pcap"), [inner[i] for i in order])
    tunnel = "tunnel(tun_id=%#x,src=%s,dst=%s,flags(-df-csum+key))" % (VNI, REMOTE_IP, LOCAL_IP)
    write_flows(os.path.join(outdir, "vxlan_decap.flows"),
                "VXLAN to this host's endpoint: pop on port %d, then the inner frame to %d"
                % (TUNNEL_PORT_NUMBER, OUT_PORT),
                ["in_port(1),eth(dst=%s),eth_type(0x0800),ipv4(dst=%s,proto=17,frag=no),"
                 "udp(dst=%d) tnl_pop(%d)"
                 % (LOCAL_MAC, LOCAL_IP, VXLAN_PORT, TUNNEL_PORT_NUMBER),
                 "%s,in_port(%d),eth(),eth_type(0x0800),ipv4(frag=no) %d"
                 % (tunnel, TUNNEL_PORT_NUMBER, OUT_PORT)])
    write_flows(os.path.join(outdir, "vxlan_encap.flows"),
                "plain frames to tunnel port %d (flowpath-replay resolves the tnl_push)"
                % TUNNEL_PORT_NUMBER,
                ["in_port(1),eth(),eth_type(0x0800),ipv4(tos=0/0x3,frag=no) %d"
                 % TUNNEL_PORT_NUMBER])
    with open(os.path.join(outdir, "tunnel.conf"), "w") as out:
        settings = {"LOCAL_IP": LOCAL_IP, "LOCAL_MAC": LOCAL_MAC, "REMOTE_IP": REMOTE_IP,
                    "REMOTE_MAC": REMOTE_MAC, "VNI": VNI, "VXLAN_PORT": VXLAN_PORT,
                    "PORT_NUMBER": TUNNEL_PORT_NUMBER}
        for name, value in settings.items():
            out.write("TUNNEL_%s=%s\n" % (name, value))
    print("vxlan_decap  %d inner flows, %d packets of %d bytes" % (len(inner), packets,
                                                                  len(outer[0])))
    print("vxlan_encap  %d flows, %d packets of %d bytes" % (len(inner), packets, len(inner[0])))
    print("wrote", outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
