#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_fragments (tests/fuzz/corpus/fuzz_fragments):
IPv4 and IPv6 datagrams cut into fragments, in order, out of order, with
an overlap, with a duplicate, and left incomplete to expire."""
import os
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ether(payload, v6):
    return bytes(5) + b"\x02" + bytes(5) + b"\x01" + (b"\x86\xdd" if v6 else b"\x08\x00") + payload


def udp(sport, dport, n):
    return struct.pack("!HHHH", sport, dport, 8 + n, 0) + bytes((i * 7) & 0xff for i in range(n))


def v4_fragments(payload, sizes, ident, proto=17):
    out, at = [], 0
    i = 0
    while at < len(payload):
        n = min(sizes[i] if i < len(sizes) else len(payload), len(payload) - at)
        more = at + n < len(payload)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + n, ident, (0x2000 if more else 0) | (at // 8),
                          64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
        out.append(ether(hdr + payload[at:at + n], False))
        at += n
        i += 1
    return out


def v6_fragments(payload, sizes, ident, options=b""):
    out, at = [], 0
    i = 0
    first_next = 60 if options else 44
    while at < len(payload):
        n = min(sizes[i] if i < len(sizes) else len(payload), len(payload) - at)
        more = at + n < len(payload)
        frag = struct.pack("!BBHI", 17, 0, at | (1 if more else 0), ident)
        opts = b"\x2c" + options[1:] if options else b""  # the options now lead to the fragment header
        body = opts + frag + payload[at:at + n]
        hdr = struct.pack("!IHBB16s16s", 0x60000000, len(body), first_next, 64,
                          bytes(15) + b"\x01", bytes(15) + b"\x02")
        out.append(ether(hdr + body, True))
        at += n
        i += 1
    return out


def records(frames, control=0, expire_first=False):
    data = b""
    for k, f in enumerate(frames):
        c = control | (0x80 if expire_first and k == 0 else 0)
        data += struct.pack("<BH", c, len(f)) + f
    return data


def main(directory):
    os.makedirs(directory, exist_ok=True)
    d4 = udp(40000, 9999, 3000)
    d6 = udp(40000, 9999, 3000)
    f4 = v4_fragments(d4, [1480, 1480], 77)
    f6 = v6_fragments(d6, [1232, 1232], 0xabcdef)
    f6o = v6_fragments(d6, [1232, 1232], 0x1234, options=bytes([17, 0, 1, 4, 0, 0, 0, 0]))
    shifted = v4_fragments(d4, [1200, 1480], 77)
    seeds = {
        "v4_in_order": records(f4),
        "v4_out_of_order_nat": records([f4[2], f4[0], f4[1]], control=2),
        "v4_overlap": records([f4[0], shifted[1], f4[1], f4[2]]),
        "v4_duplicate_zone1": records([f4[0], f4[0], f4[1], f4[2]], control=1),
        "v4_incomplete_expires": records([f4[0], f4[1]]) + records([f4[2]], expire_first=True),
        "v6_in_order": records(f6),
        "v6_options_out_of_order": records([f6o[1], f6o[2], f6o[0]]),
        "v4_small": records(v4_fragments(udp(1, 2, 1000), [504], 5)),
    }
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "fuzz_fragments"))
