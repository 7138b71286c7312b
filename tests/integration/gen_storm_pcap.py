#!/usr/bin/python3
"""Writes a pcap of an upcall storm: N frames, each from a distinct source MAC,
so a NORMAL bridge installs one megaflow per frame. 64-byte IPv4/UDP frames to
one unicast destination nobody has sent from (NORMAL floods them). Written
with struct, not scapy: 200,000 frames take a second instead of a minute.

usage: gen_storm_pcap.py OUT.pcap N
"""
import struct
import sys


def ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main() -> None:
    path, count = sys.argv[1], int(sys.argv[2])
    if not 0 < count < 1 << 32:
        sys.exit("N must be between 1 and 2^32 - 1")
    dst = bytes.fromhex("02ee00000001")
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 18, 0, 0, 64, 17, 0,
                               bytes([10, 201, 0, 1]), bytes([10, 201, 0, 2])))
    ip[10:12] = struct.pack("!H", ipv4_checksum(bytes(ip)))
    udp = struct.pack("!HHHH", 1024, 9, 8 + 18, 0)
    tail = b"\x08\x00" + bytes(ip) + udp + bytes(18)  # 60 bytes with the MACs
    record = struct.Struct("<IIII")
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # EN10MB
        for i in range(count):
            # Locally administered unicast sources 02:00:xx:xx:xx:xx.
            frame = dst + b"\x02\x00" + struct.pack("!I", i) + tail
            out.write(record.pack(i // 1000000, i % 1000000, len(frame), len(frame)))
            out.write(frame)


if __name__ == "__main__":
    main()
