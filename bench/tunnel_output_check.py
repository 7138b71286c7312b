#!/usr/bin/env python3
"""Checks a sample of what a datapath sent in a tunnel benchmark, frame by frame
(standard library only; used by bench/compare_ovs_tunnel.sh).

  tunnel_output_check.py encap OUTPUT_PCAP INPUT_PCAP TUNNEL_CONF
      Every frame of OUTPUT_PCAP must be a VXLAN packet from this endpoint to
      the remote one as TUNNEL_CONF (gen_tunnel_profiles.py's tunnel.conf) has
      them: Ethernet from LOCAL_MAC to REMOTE_MAC, IPv4 from LOCAL_IP to
      REMOTE_IP with DF, TTL 64, a correct total length and header checksum,
      UDP to VXLAN_PORT with a source port in 1024..65535 and a correct length
      (checksum 0), VXLAN with only the I flag and VNI; and its inner frame
      must be, byte for byte, a frame of INPUT_PCAP.
  tunnel_output_check.py decap OUTPUT_PCAP INPUT_PCAP TUNNEL_CONF
      Every frame of OUTPUT_PCAP must be, byte for byte, the inner frame of a
      frame of INPUT_PCAP (what follows its 50-byte outer header).

Prints one line saying how many frames were checked; exits 1 at the first
wrong one, naming it and the field.
"""
import struct
import sys

OUTER_LEN = 14 + 20 + 8 + 8


class CheckError(Exception):
    pass


def read_pcap(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 24:
        raise CheckError("%s: not a capture file" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise CheckError("%s: not a capture file (magic %#x)" % (path, magic))
    frames, off = [], 24
    while off + 16 <= len(data):
        _sec, _usec, caplen, length = struct.unpack(endian + "IIII", data[off:off + 16])
        if caplen != length:
            raise CheckError("%s: frame %d truncated" % (path, len(frames) + 1))
        frames.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return frames


def read_conf(path):
    conf = {}
    with open(path) as fh:
        for line in fh:
            name, _, value = line.strip().partition("=")
            if name:
                conf[name] = value
    return conf


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip(text):
    return bytes(int(x) for x in text.split("."))


def checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def check_encap(n, frame, conf, inputs):
    def expect(what, got, want):
        if got != want:
            raise CheckError("frame %d: %s is %r, expected %r" % (n, what, got, want))

    if len(frame) < OUTER_LEN + 14:
        raise CheckError("frame %d: %d bytes, too short for VXLAN" % (n, len(frame)))
    expect("Ethernet destination", frame[0:6], mac(conf["TUNNEL_REMOTE_MAC"]))
    expect("Ethernet source", frame[6:12], mac(conf["TUNNEL_LOCAL_MAC"]))
    expect("EtherType", frame[12:14], b"\x08\x00")
    iph = frame[14:34]
    expect("IPv4 version/IHL", iph[0], 0x45)
    expect("IPv4 total length", struct.unpack("!H", iph[2:4])[0], len(frame) - 14)
    expect("IPv4 flags/fragment", struct.unpack("!H", iph[6:8])[0], 0x4000)
    expect("IPv4 TTL", iph[8], 64)
    expect("IPv4 protocol", iph[9], 17)
    expect("IPv4 header checksum (folded sum)", checksum(iph), 0xFFFF)
    expect("IPv4 source", iph[12:16], ip(conf["TUNNEL_LOCAL_IP"]))
    expect("IPv4 destination", iph[16:20], ip(conf["TUNNEL_REMOTE_IP"]))
    sport, dport, ulen, ucsum = struct.unpack("!HHHH", frame[34:42])
    if sport < 1024:
        raise CheckError("frame %d: UDP source port %d is not an entropy port" % (n, sport))
    expect("UDP destination port", dport, int(conf["TUNNEL_VXLAN_PORT"]))
    expect("UDP length", ulen, len(frame) - 34)
    expect("UDP checksum", ucsum, 0)
    flags, vni = struct.unpack("!II", frame[42:50])
    expect("VXLAN flags word", flags, 0x08000000)
    expect("VXLAN VNI word", vni, int(conf["TUNNEL_VNI"]) << 8)
    if frame[OUTER_LEN:] not in inputs:
        raise CheckError("frame %d: the inner frame is no frame of the input" % n)


def main(argv):
    if len(argv) != 4 or argv[0] not in ("encap", "decap"):
        sys.stderr.write(__doc__)
        return 2
    kind, output, input_path, conf_path = argv
    try:
        frames = read_pcap(output)
        if not frames:
            raise CheckError("%s holds no frames" % output)
        conf = read_conf(conf_path)
        inputs = set(read_pcap(input_path))
        if kind == "decap":
            inner = {f[OUTER_LEN:] for f in inputs}
            for n, frame in enumerate(frames, 1):
                if frame not in inner:
                    raise CheckError("frame %d (%d bytes) is no inner frame of the input"
                                     % (n, len(frame)))
        else:
            for n, frame in enumerate(frames, 1):
                check_encap(n, frame, conf, inputs)
    except (CheckError, OSError, KeyError, ValueError) as e:
        sys.stderr.write("tunnel_output_check.py: %s: %s\n" % (kind, e))
        return 1
    sources = len({f[34:36] for f in frames}) if kind == "encap" else 0
    print("output check (%s): %d frames correct%s" % (
        kind, len(frames),
        ", %d distinct UDP source ports" % sources if kind == "encap" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
