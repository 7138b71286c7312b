"""Cases for the differential suite: datapath flows (key/mask text, actions)
and the packets sent through them, from a seed.

Case N of seed S depends on nothing but (S, N), so any case can be made again
alone. A case is 1-3 flows and 1-8 packets on ports 1-4. Each flow is made from
a packet (its template): the key holds the template's fields, each field with a
random mask (exact, wildcarded, a prefix or random bits). Packets are templates
(hits), templates with some fields changed (hit or miss, depending on the
masks), other packets (mostly misses), any of them possibly truncated.

What Open vSwitch does not decide deterministically is avoided: two flows of a
case never overlap (each flow of a case has its own pair of in_port and outer
Ethernet type, both exact in every key), so no packet can match two flows and
the subtable ranking never matters.

Packet types: Ethernet II, 802.2 LLC, one or two VLAN tags (0x8100/0x88a8),
MPLS (1-3 labels), ARP, IPv4 and IPv6 (TCP, UDP, SCTP, ICMP, ICMPv6 echo,
neighbour solicitation/advertisement with link-layer options, first and later
fragments), other Ethernet types; truncated anywhere past the Ethernet header
(Open vSwitch drops frames shorter than 14 bytes before lookup).
"""

import ipaddress
import random
import re
import struct

from scapy.layers.inet import IP, TCP, UDP, ICMP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest, ICMPv6ND_NS,
                                ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr)
from scapy.layers.l2 import ARP
from scapy.layers.sctp import SCTP

from known_divergences import avoided

PORTS = (1, 2, 3, 4)
ETH_TYPES = {"ipv4": 0x0800, "ipv6": 0x86DD, "arp": 0x0806, "mpls": 0x8847, "mpls_mc": 0x8848}
# Frames of the ethertype LLC get: no eth_type attribute, matched as 0x05ff.
LLC_TYPE = 0x05FF
# Open vSwitch's default other_config:vlan-limit, which its datapath's key
# extraction and key parser both obey; `fpctl replay --vlan-limit` gets it.
VLAN_LIMIT = 1


class Case:
    def __init__(self, seed, index):
        self.seed = seed
        self.index = index
        self.flows = []    # [(key text, actions text)]
        self.packets = []  # [(in_port, bytes)]


# ---------------------------------------------------------------- values

def rand_mac(rng):
    choice = rng.random()
    if choice < 0.3:
        return rng.choice([0x000000000001, 0x000000000002, 0x0A0000000001, 0xFFFFFFFFFFFF,
                           0x01005E000001, 0x333300000001])
    return rng.getrandbits(48)


def rand_ip4(rng):
    if rng.random() < 0.5:
        return (10 << 24) | rng.getrandbits(8) << 8 | rng.randrange(1, 8)
    return rng.getrandbits(32)


def rand_ip6(rng):
    if rng.random() < 0.5:
        return (0x20010DB8 << 96) | rng.randrange(1, 8)
    return rng.getrandbits(128)


def mac_text(v):
    return ":".join(f"{b:02x}" for b in v.to_bytes(6, "big"))


def ip4_text(v):
    return str(ipaddress.IPv4Address(v))


def ip6_text(v):
    return str(ipaddress.IPv6Address(v))


# ---------------------------------------------------------------- packets

def random_headers(rng, kind=None):
    """A packet as fields: the one model from which its bytes and the keys
    that match it are both made."""
    kinds = ["ipv4", "ipv4", "ipv6", "ipv6", "arp", "mpls", "llc", "other"]
    kind = kind or rng.choice(kinds)
    h = {"src": rand_mac(rng), "dst": rand_mac(rng), "vlans": [], "kind": kind,
         "truncate": None}
    r = rng.random()
    if r < 0.25:
        h["vlans"].append({"tpid": 0x8100, "pcp": rng.randrange(8), "vid": rng.randrange(4096)})
    elif r < 0.32 and not avoided("vlan_limit"):
        h["vlans"].append({"tpid": rng.choice([0x88A8, 0x8100]), "pcp": rng.randrange(8),
                           "vid": rng.randrange(4096)})
        h["vlans"].append({"tpid": 0x8100, "pcp": rng.randrange(8), "vid": rng.randrange(4096)})
    if kind == "other":
        h["eth_type"] = rng.choice([0x88CC, 0x1234, 0x0842, 0x9000, 0x88B5])
        h["payload"] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
    elif kind == "llc":
        h["payload"] = bytes([0x42, 0x42, 0x03]) + bytes(rng.getrandbits(8)
                                                           for _ in range(rng.randrange(0, 40)))
    elif kind == "arp":
        h["arp"] = {"sip": rand_ip4(rng), "tip": rand_ip4(rng), "op": rng.choice([1, 2, 1, 3]),
                    "sha": rand_mac(rng), "tha": rand_mac(rng)}
    elif kind == "mpls":
        h["mpls_type"] = rng.choice([0x8847, 0x8847, 0x8848])
        n = rng.choice([1, 1, 2, 3])
        h["mpls"] = [{"label": rng.getrandbits(20) if rng.random() < 0.5 else rng.randrange(16, 200),
                      "tc": rng.randrange(8), "ttl": rng.randrange(256), "bos": int(i == n - 1)}
                     for i in range(n)]
        h["payload"] = bytes(IP(src=ip4_text(rand_ip4(rng)), dst=ip4_text(rand_ip4(rng)))
                             / UDP(sport=rng.randrange(65536), dport=rng.randrange(65536)))
    elif kind in ("ipv4", "ipv6"):
        l3 = {"src": rand_ip4(rng) if kind == "ipv4" else rand_ip6(rng),
              "dst": rand_ip4(rng) if kind == "ipv4" else rand_ip6(rng),
              "tos": rng.getrandbits(8) if rng.random() < 0.3 else 0,
              "ttl": rng.choice([64, 1, 255, rng.randrange(256)]),
              "label": rng.getrandbits(20) if rng.random() < 0.3 else 0,
              "frag": rng.choices(["no", "first", "later"], [8, 1, 1])[0]}
        l4kinds = ["tcp", "udp", "sctp", "icmp" if kind == "ipv4" else "icmpv6", "other"]
        if kind == "ipv6":
            l4kinds += ["nd", "nd"]
        l4 = {"kind": rng.choice(l4kinds), "src": rng.randrange(65536),
              "dst": rng.choice([80, 53, 443, rng.randrange(65536)]),
              "flags": rng.choice([0x02, 0x12, 0x10, 0x11, 0x04, rng.getrandbits(12)])}
        if l4["kind"] in ("icmp", "icmpv6"):
            l4["type"] = rng.choice([0, 8, 3, 11] if kind == "ipv4" else [128, 129, 1, 3])
            l4["code"] = rng.randrange(4) if l4["type"] in (3, 1) else 0
        if l4["kind"] == "nd":
            l4["type"] = rng.choice([135, 136])
            l4["code"] = 0
            l4["target"] = rand_ip6(rng)
            l4["sll"] = rand_mac(rng) if l4["type"] == 135 and rng.random() < 0.7 else 0
            l4["tll"] = rand_mac(rng) if l4["type"] == 136 and rng.random() < 0.7 else 0
            l3["frag"] = "no"
            l3["ttl"] = 255
        if l4["kind"] == "other":
            l4["proto"] = rng.choice([47, 50, 132 + 1, 200])
        h[kind] = l3
        h["l4"] = l4
    return h


def proto_of(h):
    l4 = h["l4"]
    return {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58, "nd": 58}.get(
        l4["kind"], l4.get("proto", 0))


def l4_bytes(h):
    l4 = h["l4"]
    kind = l4["kind"]
    payload = b"flowpath-differential"
    if kind == "tcp":
        return TCP(sport=l4["src"], dport=l4["dst"], flags=l4["flags"] & 0x1FF) / payload
    if kind == "udp":
        return UDP(sport=l4["src"], dport=l4["dst"]) / payload
    if kind == "sctp":
        return SCTP(sport=l4["src"], dport=l4["dst"]) / payload
    if kind == "icmp":
        return ICMP(type=l4["type"], code=l4["code"]) / payload
    if kind == "icmpv6":
        return ICMPv6EchoRequest(type=l4["type"], code=l4["code"]) / payload
    if kind == "nd":
        if l4["type"] == 135:
            packet = ICMPv6ND_NS(tgt=ip6_text(l4["target"]))
            if l4["sll"]:
                packet = packet / ICMPv6NDOptSrcLLAddr(lladdr=mac_text(l4["sll"]))
        else:
            packet = ICMPv6ND_NA(tgt=ip6_text(l4["target"]), R=0, S=1, O=1)
            if l4["tll"]:
                packet = packet / ICMPv6NDOptDstLLAddr(lladdr=mac_text(l4["tll"]))
        return packet
    return payload


def packet_bytes(h):
    frame = h["dst"].to_bytes(6, "big") + h["src"].to_bytes(6, "big")
    for tag in h["vlans"]:
        frame += struct.pack("!HH", tag["tpid"], tag["pcp"] << 13 | tag["vid"])
    kind = h["kind"]
    if kind == "llc":
        body = h["payload"]
        frame += struct.pack("!H", len(body)) + body
    elif kind == "other":
        frame += struct.pack("!H", h["eth_type"]) + h["payload"]
    elif kind == "arp":
        a = h["arp"]
        frame += struct.pack("!H", 0x0806) + bytes(ARP(
            op=a["op"], hwsrc=mac_text(a["sha"]), hwdst=mac_text(a["tha"]),
            psrc=ip4_text(a["sip"]), pdst=ip4_text(a["tip"])))
    elif kind == "mpls":
        frame += struct.pack("!H", h["mpls_type"])
        for lse in h["mpls"]:
            frame += struct.pack("!I", lse["label"] << 12 | lse["tc"] << 9 | lse["bos"] << 8
                                 | lse["ttl"])
        frame += h["payload"]
    elif kind == "ipv4":
        l3 = h["ipv4"]
        flags, offset = {"no": (0, 0), "first": (1, 0), "later": (0, 185)}[l3["frag"]]
        ip = IP(src=ip4_text(l3["src"]), dst=ip4_text(l3["dst"]), tos=l3["tos"], ttl=l3["ttl"],
                proto=proto_of(h), flags=flags, frag=offset, id=0x1234)
        inner = l4_bytes(h)
        frame += struct.pack("!H", 0x0800) + bytes(ip / inner)
    elif kind == "ipv6":
        l3 = h["ipv6"]
        ip = IPv6(src=ip6_text(l3["src"]), dst=ip6_text(l3["dst"]), tc=l3["tos"],
                  fl=l3["label"], hlim=l3["ttl"])
        inner = l4_bytes(h)
        if l3["frag"] != "no":
            ip = ip / IPv6ExtHdrFragment(nh=proto_of(h), m=int(l3["frag"] == "first"),
                                         offset=0 if l3["frag"] == "first" else 185, id=7)
        else:
            ip.nh = proto_of(h)
        frame += struct.pack("!H", 0x86DD) + bytes(ip / inner)
    if h["truncate"] is not None:
        frame = frame[:max(14, h["truncate"])]
    return frame


# ---------------------------------------------------------------- keys

def random_mask(rng, bits):
    full = (1 << bits) - 1
    r = rng.random()
    if r < 0.5:
        return full
    if r < 0.68:
        return 0
    if r < 0.86:
        prefix = rng.randrange(1, bits + 1)
        return full ^ ((1 << (bits - prefix)) - 1)
    return rng.getrandbits(bits) or 1


class KeyField:
    def __init__(self, name, value, bits, text):
        self.name, self.value, self.bits, self.text = name, value, bits, text


def field_text(rng, field, mask):
    """name=value[/mask] with the value inside the mask, or '' if wildcarded."""
    if mask == 0:
        return ""
    value = field.value & mask
    full = (1 << field.bits) - 1
    if not avoided("bits_outside_mask") and mask != full and rng.random() < 0.3:
        value = field.value | (rng.getrandbits(field.bits) & ~mask & full)
    if mask == full:
        return f"{field.name}={field.text(value)}"
    if field.text in (mac_text, ip4_text, ip6_text):
        return f"{field.name}={field.text(value)}/{field.text(mask)}"
    return f"{field.name}={field.text(value)}/{mask:#x}"


def attribute(rng, name, fields, masks=None):
    """name(f1=v1/m1,...): each field with a random mask unless 'masks' says.
    Returns (text, {field: (value, mask)})."""
    parts = []
    chosen = {}
    for field in fields:
        mask = masks.get(field.name) if masks and field.name in masks else random_mask(
            rng, field.bits)
        text = field_text(rng, field, mask)
        if text:
            parts.append(text)
        chosen[field.name] = (field.value & mask, mask)
    return f"{name}({','.join(parts)})", chosen


def dec(v):
    return str(v)


def hexa(v):
    return f"{v:#x}"


def key_for(rng, h, in_port):
    """Key text matching the packet 'h' (each field masked at random), complete
    as Open vSwitch wants it: every attribute the key's own values imply."""
    parts = [f"in_port({in_port})"]
    eth, _ = attribute(rng, "eth", [KeyField("src", h["src"], 48, mac_text),
                                    KeyField("dst", h["dst"], 48, mac_text)])
    parts.append(eth)
    incomplete = not avoided("incomplete_key") and rng.random() < 0.1
    if incomplete and rng.random() < 0.3:
        parts.pop(0)
    closing = ""
    for depth, tag in enumerate(h["vlans"]):
        parts.append(f"eth_type({tag['tpid']:#06x})")
        vlan, _ = attribute(rng, "vlan", [KeyField("vid", tag["vid"], 12, dec),
                                          KeyField("pcp", tag["pcp"], 3, dec)])
        parts.append(vlan)
        parts.append("encap(")
        closing += ")"
        if truncated_before(h, 14 + 4 * (depth + 1) + 2):
            return None  # no inner Ethernet type to key
        if depth + 1 == VLAN_LIMIT and len(h["vlans"]) > VLAN_LIMIT:
            # Open vSwitch parses no tag past its vlan-limit: the key ends
            # with the next tag's TPID as the Ethernet type.
            parts.append(f"eth_type({h['vlans'][depth + 1]['tpid']:#06x})")
            return join_key(parts) + closing
    kind = h["kind"]
    if kind == "llc":
        # Open vSwitch's key for an 802.2 frame has no eth_type attribute and
        # its mask an exact one; dpctl/add-flow has no text for that (it
        # refuses `eth()` alone, `eth_type(0/0xffff)` and `eth_type(0x05ff)`),
        # so LLC frames are sent as packets only, never keyed; except as an
        # incomplete key: `eth()` alone (or an empty `encap()`), which both
        # must refuse ("mask expected for non-Ethernet II frame").
        if incomplete:
            return join_key(parts) + closing
        return None
    elif kind == "other":
        parts.append(f"eth_type({h['eth_type']:#06x})")
    elif kind == "mpls":
        parts.append(f"eth_type({h['mpls_type']:#06x})")
        lse = h["mpls"][0]
        bos = lse["bos"]
        if not truncated_before(h, l3_offset(h) + 4):
            if bos == 0 and avoided("mpls_bos0_key"):
                return None  # the caller takes another template
            # bos left out of the key is bos=0 in it, as good as bos=0.
            masks = {"bos": 1} if avoided("mpls_bos0_key") else None
            mpls, _ = attribute(rng, "mpls", [KeyField("label", lse["label"], 20, dec),
                                              KeyField("tc", lse["tc"], 3, dec),
                                              KeyField("ttl", lse["ttl"], 8, dec),
                                              KeyField("bos", bos, 1, dec)], masks)
            parts.append(mpls)
        else:
            return None  # no label to key: the caller takes another template
    elif kind == "arp":
        parts.append("eth_type(0x0806)")
        a = h["arp"] if not truncated_before(h, l3_offset(h) + 28) else {
            "sip": 0, "tip": 0, "op": 0, "sha": 0, "tha": 0}
        arp, _ = attribute(rng, "arp", [KeyField("sip", a["sip"], 32, ip4_text),
                                        KeyField("tip", a["tip"], 32, ip4_text),
                                        KeyField("op", a["op"], 16, dec),
                                        KeyField("sha", a["sha"], 48, mac_text),
                                        KeyField("tha", a["tha"], 48, mac_text)],
                            {"op": arp_op_mask(rng)} if avoided("arp_op_16bit") else None)
        parts.append(arp)
    else:
        parts.extend(ip_key(rng, h, incomplete))
    return join_key(parts) + closing


def arp_op_mask(rng):
    """An opcode mask Open vSwitch and flowpath print alike while the opcode
    is 8 bits in one and 16 in the other: exact, wildcarded, or partial
    within the low byte (0xff would print as exact in one only)."""
    mask = random_mask(rng, 8)
    return 0xFFFF if mask == 0xFF else mask


def join_key(parts):
    text = ""
    for part in parts:
        if text and not text.endswith("(") and part != ")":
            text += ","
        text += part
    return text


def l3_offset(h):
    return 14 + 4 * len(h["vlans"])


def truncated_before(h, end):
    return h["truncate"] is not None and max(14, h["truncate"]) < end


def ip_key(rng, h, incomplete):
    kind = h["kind"]
    l3 = h[kind]
    l4 = h["l4"]
    header_len = 20 if kind == "ipv4" else 40 + (8 if l3["frag"] != "no" else 0)
    parts = [f"eth_type({ETH_TYPES[kind]:#06x})"]
    if truncated_before(h, l3_offset(h) + header_len):
        # Open vSwitch extracts nothing from a truncated IP header.
        zero = "0.0.0.0" if kind == "ipv4" else "::"
        if kind == "ipv4":
            parts.append(f"ipv4(src={zero},dst={zero},proto=0,tos=0,ttl=0,frag=no)")
        else:
            parts.append(f"ipv6(src={zero},dst={zero},label=0,proto=0,tclass=0,hlimit=0,frag=no)")
        return parts
    proto = proto_of(h)
    if kind == "ipv4":
        fields = [KeyField("src", l3["src"], 32, ip4_text), KeyField("dst", l3["dst"], 32, ip4_text),
                  KeyField("proto", proto, 8, dec), KeyField("tos", l3["tos"], 8, hexa),
                  KeyField("ttl", l3["ttl"], 8, dec)]
    else:
        fields = [KeyField("src", l3["src"], 128, ip6_text), KeyField("dst", l3["dst"], 128, ip6_text),
                  KeyField("label", l3["label"], 20, hexa), KeyField("proto", proto, 8, dec),
                  KeyField("tclass", l3["tos"], 8, hexa), KeyField("hlimit", l3["ttl"], 8, dec)]
    text, chosen = attribute(rng, kind, fields)
    frag_masked = rng.random() < 0.8
    frag = l3["frag"] if frag_masked else "no"
    if frag_masked:
        text = text[:-1] + ("," if not text.endswith("()") else "") + f"frag={frag})"
    parts.append(text)
    key_proto, proto_mask = chosen["proto"]
    if frag == "later" or incomplete:
        return parts
    if proto_mask != 0xFF:
        # Open vSwitch takes a transport attribute's mask only under an exact
        # proto: with a partial one the key still needs the (empty) attribute.
        icmp = {1: "icmp"} if kind == "ipv4" else {58: "icmpv6"}
        name = {6: "tcp", 17: "udp", 132: "sctp", **icmp}.get(key_proto)
        if name:
            parts.append(f"{name}()")
        return parts
    l4_end = l3_offset(h) + header_len + {"tcp": 20, "udp": 8, "sctp": 12}.get(l4["kind"], 4)
    l4_missing = truncated_before(h, l4_end)
    if key_proto == 6:
        src = 0 if l4_missing else l4["src"]
        dst = 0 if l4_missing else l4["dst"]
        tcp, _ = attribute(rng, "tcp", [KeyField("src", src, 16, dec), KeyField("dst", dst, 16, dec)])
        parts.append(tcp)
        if rng.random() < 0.4:
            flags = 0 if l4_missing else l4["flags"] & 0xFFF
            mask = random_mask(rng, 12)
            if mask:
                parts.append(f"tcp_flags({flags & mask:#x}/{mask:#x})")
    elif key_proto in (17, 132):
        name = "udp" if key_proto == 17 else "sctp"
        src = 0 if l4_missing else l4["src"]
        dst = 0 if l4_missing else l4["dst"]
        attr, _ = attribute(rng, name, [KeyField("src", src, 16, dec), KeyField("dst", dst, 16, dec)])
        parts.append(attr)
    elif key_proto == (1 if kind == "ipv4" else 58) and proto == key_proto:
        name = "icmp" if key_proto == 1 else "icmpv6"
        itype = 0 if l4_missing else l4.get("type", 0)
        icode = 0 if l4_missing else l4.get("code", 0)
        masks = None
        if key_proto == 58 and itype in (135, 136) and icode == 0:
            # Whether nd() follows depends on the key's type and code: key them
            # exactly so the key says what it holds.
            masks = {"type": 0xFF, "code": 0xFF}
        attr, chosen4 = attribute(rng, name, [KeyField("type", itype, 8, dec),
                                              KeyField("code", icode, 8, dec)], masks)
        parts.append(attr)
        if key_proto == 58 and chosen4["type"][0] in (135, 136) and chosen4["code"][0] == 0:
            nd_ok = l4["kind"] == "nd" and not truncated_before(h, l4_end + 20)
            target = l4["target"] if nd_ok else 0
            sll = l4.get("sll", 0) if nd_ok else 0
            tll = l4.get("tll", 0) if nd_ok else 0
            nd, _ = attribute(rng, "nd", [KeyField("target", target, 128, ip6_text),
                                          KeyField("sll", sll, 48, mac_text),
                                          KeyField("tll", tll, 48, mac_text)])
            parts.append(nd)
    elif key_proto == (1 if kind == "ipv4" else 58):
        # The key's proto says ICMP but the packet is not: type and code 0.
        parts.append("icmp()" if key_proto == 1 else "icmpv6()")
    return parts


# ---------------------------------------------------------------- actions

def masked_set(rng, name, fields):
    """set(name(f=v/m,...)) over a random non-empty subset of 'fields'
    [(field, bits, text)], each with a random non-zero mask."""
    chosen = [f for f in fields if rng.random() < 0.5] or [rng.choice(fields)]
    parts = []
    for field, bits, text in chosen:
        value = rng.getrandbits(bits)
        mask = random_mask(rng, bits) or 1
        value &= mask
        if mask == (1 << bits) - 1:
            parts.append(f"{field}={text(value)}")
        elif text in (mac_text, ip4_text, ip6_text):
            parts.append(f"{field}={text(value)}/{text(mask)}")
        else:
            parts.append(f"{field}={text(value)}/{mask:#x}")
    return f"set({name}({','.join(parts)}))"


def random_action(rng, h, header_sets, key_proto, header_in_key=True):
    """One action, biased to what the template packet has; with no set of an
    L3 or L4 field unless 'header_sets'. 'key_proto': the key's exact IP
    protocol as text, or None. 'header_in_key': the key holds the template's
    L2.5/L3 header (not, say, a QinQ key cut at the vlan-limit)."""
    # No push_mpls or pop_mpls: Open vSwitch 3.1 prints them but its action
    # parser has no syntax for them, so dpctl/add-flow refuses any flow with
    # one (docs/differential.md).
    choices = ["output"] * 6 + ["push_vlan", "pop_vlan", "set_eth"]
    kind = h["kind"] if header_sets else "other"
    if key_proto is None and avoided("set_l4_without_l4_header"):
        kind = "other"  # an L3/L4 set could meet a packet with no L4 header
    if not header_in_key and avoided("sets_where_the_key_has_no_l3"):
        kind = "other"  # Open vSwitch would write the set where that header is not
    if kind in ("ipv4", "ipv6"):
        choices += ["set_ip"] * 3 + ["set_l4"] * 3 + ["set_ip_full"]
    if kind == "ipv6" and h["l4"]["kind"] == "nd":
        choices += ["set_nd"] * 2
    if kind == "arp":
        choices += ["set_arp"] * 2
    if kind == "mpls":
        choices += ["set_mpls"] * 2
    if not avoided("add_mpls"):
        choices.append("add_mpls")
    choice = rng.choice(choices)
    if choice == "output":
        return str(rng.choice(PORTS))
    if choice == "push_vlan":
        tpid = rng.choice([0x8100, 0x8100, 0x88A8])
        cfi = ""
        if not avoided("push_vlan_tpid_cfi"):
            tpid = rng.choice([tpid, 0x9100])
            cfi = rng.choice(["", "", ",cfi=0", ",cfi=1"])
        prefix = f"tpid={tpid:#06x}," if tpid != 0x8100 or rng.random() < 0.3 else ""
        return f"push_vlan({prefix}vid={rng.randrange(4096)},pcp={rng.randrange(8)}{cfi})"
    if choice == "pop_vlan":
        return "pop_vlan"
    if choice == "set_eth":
        return masked_set(rng, "eth", [("src", 48, mac_text), ("dst", 48, mac_text)])
    if choice == "push_mpls":
        return (f"push_mpls(label={rng.getrandbits(20)},tc={rng.randrange(8)},"
                f"ttl={rng.randrange(256)},bos={rng.randrange(2)},"
                f"eth_type={rng.choice(['0x8847', '0x8848'])})")
    if choice == "pop_mpls":
        return f"pop_mpls(eth_type={rng.choice(['0x800', '0x86dd', '0x8847', '0x1234'])})"
    if choice == "add_mpls":
        return (f"add_mpls(label={rng.getrandbits(20)},tc={rng.randrange(8)},"
                f"ttl={rng.randrange(256)},bos={rng.randrange(2)},eth_type=0x8847)")
    if choice == "set_mpls":
        return masked_set(rng, "mpls", [("label", 20, dec), ("tc", 3, dec), ("ttl", 8, dec),
                                        ("bos", 1, dec)])
    if choice == "set_arp":
        return masked_set(rng, "arp", [("sip", 32, ip4_text), ("tip", 32, ip4_text),
                                       ("op", 8 if avoided("arp_op_16bit") else 16, dec),
                                       ("sha", 48, mac_text),
                                       ("tha", 48, mac_text)])
    if choice == "set_nd":
        return masked_set(rng, "nd", [("target", 128, ip6_text), ("sll", 48, mac_text),
                                      ("tll", 48, mac_text)])
    if choice == "set_ip":
        if kind == "ipv4":
            return masked_set(rng, "ipv4", [("src", 32, ip4_text), ("dst", 32, ip4_text),
                                            ("tos", 8, hexa), ("ttl", 8, dec)])
        return masked_set(rng, "ipv6", [("src", 128, ip6_text), ("dst", 128, ip6_text),
                                        ("label", 20, hexa), ("tclass", 8, hexa),
                                        ("hlimit", 8, dec)])
    if choice == "set_ip_full":
        l3 = h[kind]
        proto = proto_of(h)
        if kind == "ipv4":
            return (f"set(ipv4(src={ip4_text(rand_ip4(rng))},dst={ip4_text(l3['dst'])},"
                    f"proto={proto},tos={rng.getrandbits(8):#x},ttl={rng.randrange(256)},"
                    f"frag={l3['frag']}))")
        return (f"set(ipv6(src={ip6_text(rand_ip6(rng))},dst={ip6_text(l3['dst'])},"
                f"label={rng.getrandbits(20):#x},proto={proto},tclass={rng.getrandbits(8):#x},"
                f"hlimit={rng.randrange(256)},frag={l3['frag']}))")
    # set_l4: the packet's own transport, or another one now and then.
    l4kind = h["l4"]["kind"]
    exact = {"6": "tcp", "17": "udp", "132": "sctp", "1": "icmp"}.get(key_proto)
    if avoided("set_l4_without_l4_header"):
        if exact is None:  # an IP protocol without ports (ICMPv6: no set)
            return str(rng.choice(PORTS))
        l4kind = exact
    elif l4kind not in ("tcp", "udp", "sctp", "icmp") or rng.random() < 0.15:
        l4kind = rng.choice(["tcp", "udp", "sctp"])
    if l4kind == "icmp":
        # Open vSwitch sets ICMP type and code only whole (set, not set_masked).
        return f"set(icmp(type={rng.randrange(256)},code={rng.randrange(256)}))"
    return masked_set(rng, l4kind, [("src", 16, dec), ("dst", 16, dec)])


def random_actions(rng, h, header_sets, key):
    n = rng.choices([0, 1, 2, 3, 4, 5], [1, 4, 3, 2, 1, 1])[0]
    # The key's exact IP protocol, if it also excludes later fragments.
    exact = re.search(r"[(,]proto=(\d+)[,)]", key)
    key_proto = exact.group(1) if exact and re.search(r"frag=(no|first)\)", key) else None
    header_in_key = f"{h['kind']}(" in key
    actions = [random_action(rng, h, header_sets, key_proto, header_in_key) for _ in range(n)]
    if actions and not any(a.isdigit() for a in actions):
        actions.append(str(rng.choice(PORTS)))
    if not actions:
        return "drop"
    if not avoided("drop_after_output") and rng.random() < 0.05:
        actions.append("drop")
    return ",".join(actions)


# ---------------------------------------------------------------- packets

def mutate(rng, h):
    """A copy of the template with a field or two changed (a near miss, or a
    hit where the mask leaves the field out)."""
    import copy
    m = copy.deepcopy(h)
    for _ in range(rng.choice([1, 1, 2])):
        kind = m["kind"]
        targets = ["src", "dst"]
        if m["vlans"]:
            targets.append("vlan")
        if kind in ("ipv4", "ipv6"):
            targets += ["l3src", "l3dst", "ttl", "tos", "l4src", "l4dst", "flags", "frag"]
        elif kind == "arp":
            targets += ["arp"]
        elif kind == "mpls":
            targets += ["mpls"]
        target = rng.choice(targets)
        if target in ("src", "dst"):
            m[target] ^= 1 << rng.randrange(48)
        elif target == "vlan":
            tag = rng.choice(m["vlans"])
            tag["vid"] ^= 1 << rng.randrange(12)
        elif target in ("l3src", "l3dst"):
            bits = 32 if kind == "ipv4" else 128
            m[kind][target[2:]] ^= 1 << rng.randrange(bits)
        elif target == "ttl":
            m[kind]["ttl"] = rng.randrange(256)
        elif target == "tos":
            m[kind]["tos"] ^= 1 << rng.randrange(8)
        elif target in ("l4src", "l4dst"):
            m["l4"][target[2:]] ^= 1 << rng.randrange(16)
        elif target == "flags":
            m["l4"]["flags"] ^= 1 << rng.randrange(9)
        elif target == "frag" and m["l4"]["kind"] != "nd":
            m[kind]["frag"] = rng.choice(["no", "first", "later"])
        elif target == "arp":
            field = rng.choice(["sip", "tip", "op"])
            bits = 8 if field == "op" and avoided("arp_op_16bit") else 16
            m["arp"][field] ^= 1 << rng.randrange(bits)
        elif target == "mpls":
            m["mpls"][0]["label"] ^= 1 << rng.randrange(20)
    return m


def outer_type(h):
    if h["vlans"]:
        return h["vlans"][0]["tpid"]
    if h["kind"] == "llc":
        return LLC_TYPE
    if h["kind"] == "other":
        return h["eth_type"]
    if h["kind"] == "mpls":
        return h["mpls_type"]
    return ETH_TYPES[h["kind"]]


def maybe_truncate(rng, h, p):
    length = len(packet_bytes(h))
    if p and length > 14 and rng.random() < p:
        h["truncate"] = rng.randrange(14, length)
    return h


def make_case(seed, index):
    rng = random.Random(f"flowpath-differential:{seed}:{index}")
    case = Case(seed, index)
    # A case either sets L3/L4 fields or sends truncated packets, never both:
    # Open vSwitch 3.1's ovs-vswitchd dies on set(ipv6(dst=...)) applied to a
    # truncated IPv6 header (docs/differential.md).
    truncation = 0 if rng.random() < 0.6 else 1
    templates = []  # (in_port, headers)
    used = set()    # (in_port, outer type): flows of a case never overlap
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        for _attempt in range(20):
            port = rng.choice(PORTS)
            h = maybe_truncate(rng, random_headers(rng), 0.1 * truncation)
            if (port, outer_type(h)) in used:
                continue
            key = key_for(rng, h, port)
            if key is None:
                continue
            used.add((port, outer_type(h)))
            templates.append((port, h))
            case.flows.append((key, random_actions(rng, h, not truncation, key)))
            break
    if not avoided("overlap") and case.flows and rng.random() < 0.1:
        # The same key again: Open vSwitch refuses it as a duplicate.
        case.flows.append((case.flows[0][0], random_actions(rng, templates[0][1],
                                                            not truncation, case.flows[0][0])))
    for _ in range(rng.randrange(1, 9)):
        r = rng.random()
        if templates and r < 0.45:
            port, h = rng.choice(templates)
            h = maybe_truncate(rng, dict(h), 0.2 * truncation) if h["truncate"] is None else h
        elif templates and r < 0.8:
            port, h = rng.choice(templates)
            h = maybe_truncate(rng, mutate(rng, h), 0.2 * truncation)
            if rng.random() < 0.15:
                port = rng.choice(PORTS)
        else:
            port = rng.choice(PORTS)
            h = maybe_truncate(rng, random_headers(rng), 0.3 * truncation)
        case.packets.append((port, packet_bytes(h)))
    return case
