#!/usr/bin/env python3
"""Traffic profiles for flowpath-replay (and the OVS-DPDK comparison).

Usage: gen_profiles.py OUTDIR [--packets N]

Writes, for each profile, its pcap file(s) and one flows file
(PROFILE.flows: "FLOW ACTIONS" per line, as `fpctl add-flow` takes them).
Input ports are 1..k in pcap order, the output port is 100.

  a_1flow     one 5-tuple; one rule on in_port only.
  b_10kflows  10,000 5-tuples (source address and port vary), shuffled, all
              inside one wildcarded megaflow (udp to 10.1.0.0/16).
  c_1mflows   1,000,000 distinct 5-tuples, each once per pass, random order,
              split over 4 pcaps (input ports 1..4) of 250,000 frames; one
              megaflow per input port, all with the same mask.
  d_20masks   20 megaflows with 20 different masks: destination prefix
              /16,/20,/24,/28,/32 crossed with {nothing else, tp_dst, tp_src,
              nw_src/8 + tp_dst}; traffic uniform over the 20 classes with
              10,000 5-tuples per class.
  e_mixed     b's 10,000 5-tuples and rule, frames of 64, 512 and 1518 bytes
              on the wire (60, 508 and 1514 captured: the last carries a
              full 1500-byte IP packet) in equal shares, shuffled.

Frames are Ethernet/IPv4/UDP, 60 bytes captured (64 on the wire with the
FCS) unless the profile says otherwise, with a valid IPv4 header checksum and
UDP checksum 0 (none). Profiles a, b, c and d use the same addresses and
ports as /work/shared/bench/ovs-dpdk/gen_pcaps.py, so OVS and flowpath can
replay identical traffic. Only the standard library; a fixed seed makes the
output identical on every run.
"""
import os
import random
import struct
import sys

SEED = 20261124
DST_MAC = bytes.fromhex("020000000002")
SRC_MAC = bytes.fromhex("020000000001")
MIN_FRAME = 60
OUT_PORT = 100
DEFAULT_PACKETS = 131072
C_PORTS = 4
C_FLOWS = 1_000_000
D_PREFIXES = [16, 20, 24, 28, 32]
D_SHAPES = ["none", "tp_dst", "tp_src", "nw_src8_tp_dst"]
D_FLOWS_PER_CLASS = 10_000
E_FRAME_SIZES = [60, 508, 1514]


def ip(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def ip_text(value):
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def prefix_mask(length):
    return ip_text((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF)


def ipv4_checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_frame(src, dst, sport, dport, size=MIN_FRAME):
    """An Ethernet/IPv4/UDP frame of `size` captured bytes."""
    payload = bytes(size - 14 - 20 - 8)
    ip_header = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + 8 + len(payload), 0, 0x4000,
                            64, 17, 0, src, dst)
    ip_header = ip_header[:10] + struct.pack("!H", ipv4_checksum(ip_header)) + ip_header[12:]
    udp_header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    frame = DST_MAC + SRC_MAC + b"\x08\x00" + ip_header + udp_header + payload
    assert len(frame) == size
    return frame


def write_pcap(path, frames):
    """Classic pcap, little endian, microsecond timestamps, Ethernet."""
    record = struct.Struct("<IIII")
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = []
        for i, frame in enumerate(frames):
            chunk.append(record.pack(i // 1_000_000, i % 1_000_000, len(frame), len(frame)))
            chunk.append(frame)
            if len(chunk) >= 65536:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))


def write_flows(path, comment, lines):
    with open(path, "w") as out:
        out.write("# " + comment + "\n")
        out.write("\n".join(lines) + "\n")


def udp_megaflow(in_port, dst, dst_prefix, src=None, src_prefix=0, sport=None, dport=None):
    """A datapath flow for UDP to dst/dst_prefix, in ODP text."""
    fields = []
    if src is not None:
        fields.append("src=%s/%s" % (ip_text(src), prefix_mask(src_prefix)))
    fields.append("dst=%s/%s" % (ip_text(dst), prefix_mask(dst_prefix)))
    text = "in_port(%d),eth(),eth_type(0x0800),ipv4(%s,proto=17,frag=no)" % (
        in_port, ",".join(fields))
    ports = []
    if sport is not None:
        ports.append("src=%d" % sport)
    if dport is not None:
        ports.append("dst=%d" % dport)
    # udp() even without ports: Open vSwitch's datapath (and add-flow) refuse
    # a key with proto=17 and no udp attribute.
    text += ",udp(%s)" % ",".join(ports)
    return "%s %d" % (text, OUT_PORT)


def profile_a(outdir, packets, rng):
    frame = udp_frame(ip("10.0.0.1"), ip("10.1.0.1"), 1024, 5000)
    write_pcap(os.path.join(outdir, "a_1flow.pcap"), [frame] * packets)
    write_flows(os.path.join(outdir, "a_1flow.flows"), "profile a: one rule on in_port",
                ["in_port(1),eth(),eth_type(0x0600/0) %d" % OUT_PORT])
    return "1 flow"


def b_flows(size_of=lambda i: MIN_FRAME):
    frames = []
    for i in range(10_000):
        src = ip("20.0.0.0") + (i * 7919) % (1 << 16) * 256 + (i % 251)
        frames.append(udp_frame(src, ip("10.1.0.1") + (i % 200), 1024 + (i * 13) % 60000, 5000,
                                size_of(i)))
    return frames


def profile_b(outdir, packets, rng):
    flows = b_flows()
    assert len(set(flows)) == len(flows)
    sequence = [flows[i % len(flows)] for i in range(packets)]
    rng.shuffle(sequence)
    write_pcap(os.path.join(outdir, "b_10kflows.pcap"), sequence)
    write_flows(os.path.join(outdir, "b_10kflows.flows"),
                "profile b: 10,000 5-tuples, one wildcarded megaflow",
                [udp_megaflow(1, ip("10.1.0.0"), 16)])
    return "%d flows" % len(flows)


def profile_c(outdir, packets, rng):
    order = list(range(C_FLOWS))
    rng.shuffle(order)
    per_port = C_FLOWS // C_PORTS
    for port in range(C_PORTS):
        frames = []
        for i in order[port * per_port:(port + 1) * per_port]:
            src = ip("30.0.0.0") + (i >> 4)
            sport = 1024 + ((i & 15) << 8) + (i % 211)
            dst = ip("10.1.0.0") + (i % 4096)
            frames.append(udp_frame(src, dst, sport, 5000 + (i % 7)))
        write_pcap(os.path.join(outdir, "c_1mflows_p%d.pcap" % (port + 1)), frames)
    write_flows(os.path.join(outdir, "c_1mflows.flows"),
                "profile c: 1,000,000 5-tuples over 4 ports, one megaflow per port",
                [udp_megaflow(port + 1, ip("10.1.0.0"), 16) for port in range(C_PORTS)])
    return "%d flows over %d pcaps" % (C_FLOWS, C_PORTS)


def d_classes():
    """(prefix, shape, destination network) of the 20 classes."""
    classes = []
    for k in range(20):
        classes.append((k, D_PREFIXES[k % 5], D_SHAPES[k // 5], ip("10.0.0.0") + ((k + 1) << 16)))
    return classes


def d_rule(k, prefix, shape, net):
    if shape == "none":
        return udp_megaflow(1, net, prefix)
    if shape == "tp_dst":
        return udp_megaflow(1, net, prefix, dport=2000 + k)
    if shape == "tp_src":
        return udp_megaflow(1, net, prefix, sport=3000 + k)
    return udp_megaflow(1, net, prefix, src=ip("192.0.0.0"), src_prefix=8, dport=2000 + k)


def profile_d(outdir, packets, rng):
    per_class = []
    for k, prefix, shape, net in d_classes():
        host_bits = 32 - prefix
        frames = []
        for j in range(D_FLOWS_PER_CLASS):
            dst = net + ((j * 2654435761) & ((1 << host_bits) - 1) if host_bits else 0)
            src = ip("192.0.0.0") + ((k * D_FLOWS_PER_CLASS + j) * 40503) % (1 << 24)
            sport = 3000 + k if shape == "tp_src" else 10000 + (j % 50000)
            dport = 2000 + k if shape in ("tp_dst", "nw_src8_tp_dst") else 6000 + (j % 1000)
            frames.append(udp_frame(src, dst, sport, dport))
        per_class.append(frames)
    sequence = [per_class[i % 20][(i // 20) % D_FLOWS_PER_CLASS] for i in range(packets)]
    rng.shuffle(sequence)
    write_pcap(os.path.join(outdir, "d_20masks.pcap"), sequence)
    write_flows(os.path.join(outdir, "d_20masks.flows"),
                "profile d: 20 megaflows with 20 different masks",
                [d_rule(*c) for c in d_classes()])
    return "%d distinct 5-tuples, 20 masks" % len(set(sequence))


def profile_e(outdir, packets, rng):
    sizes = E_FRAME_SIZES
    by_size = {size: b_flows(lambda i, s=size: s) for size in sizes}
    sequence = [by_size[sizes[i % 3]][(i // 3) % 10_000] for i in range(packets)]
    rng.shuffle(sequence)
    write_pcap(os.path.join(outdir, "e_mixed.pcap"), sequence)
    write_flows(os.path.join(outdir, "e_mixed.flows"),
                "profile e: 64/512/1518-byte frames (on the wire), one megaflow",
                [udp_megaflow(1, ip("10.1.0.0"), 16)])
    return "frames of %s bytes captured, equal shares" % "/".join(map(str, sizes))


PROFILES = [profile_a, profile_b, profile_c, profile_d, profile_e]


def parse_arguments(argv, usage):
    """OUTDIR [--packets N] -> (outdir, packets), the directory made; None
    (usage written to stderr) on anything else."""
    args = list(argv)
    packets = DEFAULT_PACKETS
    if "--packets" in args:
        i = args.index("--packets")
        packets = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(usage)
        return None
    os.makedirs(args[0], exist_ok=True)
    return args[0], packets


def main(argv):
    parsed = parse_arguments(argv, __doc__)
    if parsed is None:
        return 2
    outdir, packets = parsed
    # One generator, profiles in a fixed order: the output depends on nothing else.
    rng = random.Random(SEED)
    for profile in PROFILES:
        print("%-12s %s" % (profile.__name__[len("profile_"):], profile(outdir, packets, rng)))
    print("wrote", outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
