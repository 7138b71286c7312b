#!/usr/bin/python3
"""A stand-in OpenFlow switch that records what a client sends.

  fake_switch.py --socket PATH --versions 0x02 --record OUT.hex [--once]

Accepts connections on a Unix socket (or "tcp:PORT" on 127.0.0.1), sends a
hello for the given version bitmap, and answers what ovs-ofctl needs to
finish a command (hello, features, echo, barrier, get-config, role, and
empty multipart replies), writing every message it receives, one per line as
"hex" to --record. Only for recording fixtures of ovs-ofctl's requests
(tests/openflow/capture_requests.sh); it is not a switch.
"""
import argparse
import os
import socket
import struct
import sys

OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 0, 1, 2, 3
OFPT_VENDOR, OFPT_FEATURES_REQUEST, OFPT_FEATURES_REPLY = 4, 5, 6
OFPT_GET_CONFIG_REQUEST, OFPT_GET_CONFIG_REPLY = 7, 8
NX_VENDOR = 0x2320


def header(version, mtype, length, xid):
    return struct.pack("!BBHI", version, mtype, length, xid)


def msg(version, mtype, xid, body=b""):
    return header(version, mtype, 8 + len(body), xid) + body


def hello(versions):
    top = max(v for v in range(32) if versions & (1 << v))
    elem = struct.pack("!HHI", 1, 8, versions)
    return msg(top, OFPT_HELLO, 0, elem)


def features_reply(version, xid):
    if version == 1:
        body = struct.pack("!QIB3xII", 0x1234, 0, 254, 0xc7, 0xfff)
        port = struct.pack("!H6s16sIIIIII", 1, b"\x00\x11\x22\x33\x44\x55",
                           b"p1", 0, 0, 0xc0, 0, 0, 0)
        body += port
    else:
        body = struct.pack("!QIBB2xII", 0x1234, 0, 254, 0, 0x4f, 0)
    return msg(version, OFPT_FEATURES_REPLY, xid, body)


def stats_reply(version, data):
    """An empty (or minimal) multipart reply to a multipart request."""
    mtype, xid = data[1], struct.unpack("!I", data[4:8])[0]
    stat = struct.unpack("!H", data[8:10])[0]
    hdr_len = 12 if version == 1 else 16
    prefix = data[8:hdr_len]
    prefix = prefix[:2] + b"\x00\x00" + prefix[4:]
    body = b""
    if stat == 0xffff:  # vendor stats: keep vendor and subtype
        prefix += data[hdr_len:hdr_len + 8]
        subtype = struct.unpack("!I", data[hdr_len + 4:hdr_len + 8])[0]
        if subtype == 1:  # NXST_AGGREGATE
            body = struct.pack("!QQI4x", 0, 0, 0)
    elif stat == 0:  # desc
        body = b"\x00" * 1056
    elif stat == 2:  # aggregate
        body = struct.pack("!QQI4x", 0, 0, 0)
    elif stat == 11 and version >= 4:  # meter features
        body = struct.pack("!IIIBB2x", 0, 0, 0, 0, 0)
    elif stat == 12 and version >= 4:  # table features: one table, no properties
        props = b"".join(struct.pack("!HH4x", t, 4) for t in (0, 2, 4, 6, 8, 10, 12, 14))
        body = struct.pack("!HB5x32sQQII", 64 + len(props), 0, b"table0", 0, 0, 0, 1000000)
        body += props
    elif stat == 8 and version >= 3:  # group features
        body = b"\x00" * 40
    return msg(version, mtype + 1, xid, prefix + body)


def reply_for(version, data):
    mtype = data[1]
    xid = struct.unpack("!I", data[4:8])[0]
    stats_request = 16 if version == 1 else 18
    barrier_request = 18 if version == 1 else 20
    if mtype == OFPT_ECHO_REQUEST:
        return msg(version, OFPT_ECHO_REPLY, xid, data[8:])
    if mtype == OFPT_FEATURES_REQUEST:
        return features_reply(version, xid)
    if mtype == OFPT_GET_CONFIG_REQUEST:
        return msg(version, OFPT_GET_CONFIG_REPLY, xid, struct.pack("!HH", 0, 0xffff))
    if mtype == barrier_request:
        return msg(version, barrier_request + 1, xid)
    if mtype == stats_request:
        return stats_reply(version, data)
    if version >= 3 and mtype == 24:  # role request -> reply
        return msg(version, 25, xid, data[8:])
    if mtype == OFPT_VENDOR and len(data) >= 16:
        vendor, subtype = struct.unpack("!II", data[8:16])
        if vendor == NX_VENDOR and subtype == 10:  # NXT_ROLE_REQUEST
            return msg(version, OFPT_VENDOR, xid, struct.pack("!II", NX_VENDOR, 11) + data[16:])
        if vendor == NX_VENDOR and subtype == 25:  # NXT_TLV_TABLE_REQUEST
            return msg(version, OFPT_VENDOR, xid,
                       struct.pack("!IIIH2x", NX_VENDOR, 26, 0, 0) + b"\x00" * 4)
    return None


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn, versions, record):
    conn.sendall(hello(versions))
    version = None
    while True:
        head = recv_exact(conn, 8)
        if head is None:
            return
        length = struct.unpack("!H", head[2:4])[0]
        rest = recv_exact(conn, length - 8) if length > 8 else b""
        if rest is None:
            return
        data = head + rest
        record.write(data.hex() + "\n")
        record.flush()
        if data[1] == OFPT_HELLO:
            version = data[0]
            common = versions & ((1 << (data[0] + 1)) - 1)
            version = max(v for v in range(32) if common & (1 << v)) if common else data[0]
            continue
        reply = reply_for(version or data[0], data)
        if reply:
            conn.sendall(reply)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--versions", required=True, type=lambda s: int(s, 0))
    ap.add_argument("--record", required=True)
    args = ap.parse_args()
    if args.socket.startswith("tcp:"):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", int(args.socket[4:])))
    else:
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(args.socket)
    srv.listen(4)
    print("listening", flush=True)
    with open(args.record, "a") as record:
        while True:
            conn, _ = srv.accept()
            try:
                serve(conn, args.versions, record)
            except (ConnectionResetError, BrokenPipeError):
                pass
            finally:
                conn.close()


if __name__ == "__main__":
    sys.exit(main())
