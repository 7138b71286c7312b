#!/usr/bin/env bash
# VXLAN between flowpath's userspace datapath and the Linux kernel's own
# vxlan device, with datapath flows installed by fpctl (the tnl_push /
# tnl_pop actions Open vSwitch's native tunnelling puts in its megaflows):
#   - host "vm" (10.1.1.1) on port 2 of the datapath; the underlay veth on
#     port 1 leads to namespace "peer" (192.0.2.2), where a kernel vxlan
#     device (VNI 42, 10.1.1.2) terminates the tunnel; vx0 is port 3.
#   - ping and an iperf3 TCP stream across; tcpdump on the underlay sees
#     VNI 42 both ways, the source port from the inner flow's hash and DF;
#   - a packet for another VNI is dropped by the decapsulated-packet flow,
#     and a truncated VXLAN packet is counted as a tunnel pop error.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
command -v iperf3 >/dev/null || { echo "FAIL: iperf3 is not installed"; exit 1; }
start_daemon

LOCAL_MAC=02:00:00:00:01:01   # the endpoint's address on the underlay (no device has it)
add_host peer 192.0.2.2
add_host vm 10.1.1.1
PEER_MAC=$(host_mac peer)
must ip netns exec "$RUN-peer" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
# The kernel's end: a vxlan device over the peer's eth0; it reaches
# 192.0.2.1 at LOCAL_MAC (flowpath answers no ARP here: this is the datapath
# alone, without the slow path's neighbour handling).
must ip -n "$RUN-peer" link add vxlan42 type vxlan id 42 remote 192.0.2.1 local 192.0.2.2 \
  dstport 4789 dev eth0
must ip -n "$RUN-peer" addr add 10.1.1.2/24 dev vxlan42
must ip -n "$RUN-peer" link set vxlan42 up
must ip -n "$RUN-peer" neigh add 192.0.2.1 lladdr "$LOCAL_MAC" dev eth0
# The overlay carries 50 bytes of outer headers over a 1500-byte underlay.
must ip -n "$RUN-vm" link set eth0 mtu 1450

fpctl add-dp "$RUN"t "$RUN-peer" "$RUN-vm"
must fpctl add-if "$RUN"t "vx$$,type=vxlan,remote_ip=192.0.2.2,key=42"
check "show lists the vxlan port with its options" \
  sh -c "$BIN/fpctl --socket $SOCK show $RUN""t | grep -q 'port 3: vx$$ (vxlan'"

PUSH="tnl_push(tnl_port(3),header(size=50,type=4,eth(dst=$PEER_MAC,src=$LOCAL_MAC,dl_type=0x0800),ipv4(src=192.0.2.1,dst=192.0.2.2,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x2a)),out_port(1)),1"
TUNNEL='tunnel(tun_id=0x2a,src=192.0.2.2,dst=192.0.2.1,flags(+key))'
must fpctl add-flow "$RUN"t 'in_port(2),eth(),eth_type(0x0800),ipv4()' "$PUSH"
must fpctl add-flow "$RUN"t 'in_port(2),eth(),eth_type(0x0806),arp()' "$PUSH"
must fpctl add-flow "$RUN"t 'in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp(dst=4789)' 'tnl_pop(3)'
must fpctl add-flow "$RUN"t "$TUNNEL,in_port(3),eth(),eth_type(0x0800),ipv4()" 2
must fpctl add-flow "$RUN"t "$TUNNEL,in_port(3),eth(),eth_type(0x0806),arp()" 2

start_capture "$WORK/underlay.txt" -i "$RUN-peer" -n -nn -v udp port 4789
check "ping vm -> kernel vxlan peer" in_host vm ping -c 5 -i 0.2 -W 2 -q 10.1.1.2
check "ping kernel vxlan peer -> vm" in_host peer ping -c 3 -i 0.2 -W 2 -q 10.1.1.1
check "the decapsulated packets matched the VNI 42 flow" \
  test "$(flow_packets "$RUN"t 'in_port(3),eth(),eth_type(0x0800)')" -ge 8
wait_until 5 sh -c "grep -c 'vni 42' $WORK/underlay.txt | grep -qv '^[0-9]$'"
check "tcpdump on the underlay sees VNI 42 from flowpath" \
  grep -q '192.0.2.1\.[0-9]* > 192.0.2.2\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"
check "tcpdump on the underlay sees VNI 42 from the kernel" \
  grep -q '192.0.2.2\.[0-9]* > 192.0.2.1\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"
check "flowpath's outer header has DF and TTL 64" \
  grep -q 'ttl 64, id 0, offset 0, flags \[DF\], proto UDP (17)' "$WORK/underlay.txt"
# The UDP source port comes from the inner flow's hash: every ICMP packet
# from the vm (10.1.1.1 -> 10.1.1.2, requests and replies) hashes alike, and
# ARP has its own hash, so at most two ports for all of them, in Open
# vSwitch's range.
ports=$(grep -o '192.0.2.1\.[0-9]* > 192.0.2.2\.4789' "$WORK/underlay.txt" | sed 's/192.0.2.1\.\([0-9]*\) .*/\1/' | sort -u | tr '\n' ' ')
sent=$(grep -c '192.0.2.1\.[0-9]* > 192.0.2.2\.4789' "$WORK/underlay.txt")
check "$sent packets left from at most two source ports ($ports)" \
  test "$sent" -ge 8 -a "$(echo $ports | wc -w)" -le 2
check "source ports $ports are in 32768..60999" \
  sh -c "for p in $ports; do [ \$p -ge 32768 ] && [ \$p -lt 61000 ] || exit 1; done"

in_host_bg peer iperf3 -s -1 -B 10.1.1.2 -p 5201
wait_until 10 listening "$RUN-peer" 5201
check "iperf3 TCP vm -> kernel vxlan peer" \
  sh -c "ip netns exec $RUN-vm iperf3 -c 10.1.1.2 -p 5201 -t 2 -J > $WORK/iperf.json"
bits=$(/usr/bin/python3 -c "import json,sys; print(int(json.load(open('$WORK/iperf.json'))['end']['sum_received']['bits_per_second']))" 2>/dev/null || echo 0)
echo "iperf3 through the tunnel: $((bits / 1000000)) Mbit/s"
check "iperf3 moved data" test "$bits" -gt 0

# Another VNI: decapsulated, but no flow for it (the miss goes to the
# slow path, which this datapath has none of).
must ip -n "$RUN-peer" link add vxlan43 type vxlan id 43 remote 192.0.2.1 local 192.0.2.2 \
  dstport 4789 dev eth0
must ip -n "$RUN-peer" addr add 10.1.2.2/24 dev vxlan43
must ip -n "$RUN-peer" link set vxlan43 up
missed_before=$(dp_counter "$RUN"t missed)
check_not "VNI 43 does not reach the vm" in_host peer ping -c 2 -i 0.2 -W 1 -q 10.1.2.1
missed_after=$(dp_counter "$RUN"t missed)
check "VNI 43 was decapsulated and missed the VNI 42 flows ($missed_before -> $missed_after)" \
  test "$missed_after" -gt "$missed_before"

# A truncated VXLAN packet from the underlay: counted, not forwarded.
pop_errors() {  # the datapath's own line in show -s (before the first port)
  fpctl show -s "$RUN"t | awk '/^  port [0-9]+:/ {exit}
    $1 == "datapath_drop_tunnel_pop_error:" {n = $2} END {print n + 0}'
}
drops_before=$(pop_errors)
in_host peer /usr/bin/python3 - eth0 "$PEER_MAC" "$LOCAL_MAC" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
iface, src, dst = sys.argv[1:]
outer = Ether(src=src, dst=dst) / IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=40000, dport=4789)
sendp(outer / Raw(b"\x08\x00\x00\x00\x00\x00\x2a"), iface=iface, verbose=False)  # 7 of 8 VXLAN bytes
PY
wait_until 5 sh -c "[ \$($BIN/fpctl --socket $SOCK show -s $RUN""t | grep -c tunnel_pop_error) -gt 0 ]"
drops_after=$(pop_errors)
check "a truncated VXLAN packet is a tunnel pop error ($drops_before -> $drops_after)" \
  test "$drops_after" -gt "$drops_before"

finish
