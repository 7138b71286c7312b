#!/bin/bash
# TCP through flowpath with veth and tap offloads at their defaults
# (docs/datapath.md, "Offloads"): the senders' stacks hand over partial
# checksums and TSO super-frames, which must arrive finished or be passed on
# with their virtio-net header.
#   - a plain datapath of afpacket ports with hand-written flows, and a
#     bridge (NORMAL): iperf3 TCP with 1 and 4 streams, and a TCP
#     request/response exchange;
#   - a set_field flow rewriting the IPv4 destination of offloaded TCP: the
#     receiver's port has offloads=off, so flowpath completes checksums and
#     segments in software; tcpdump -vv in the receiver sees no incorrect
#     checksum on what arrives (the receiver's own replies leave with
#     partial checksums, which tcpdump would flag, so its veth sends with
#     offloads off: that is the only interface here not at its defaults);
#   - a tap port whose device sits in a namespace (host stack <-> namespace).
# Usage: offload_netns_test.sh DIR/WITH/flowpathd+fpctl
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
start_daemon

offloads_on() {  # offloads_on NS IF: tx checksumming and TSO are on
  ip netns exec "$1" ethtool -k "$2" | grep -q '^tx-checksumming: on' &&
    ip netns exec "$1" ethtool -k "$2" | grep -q '^tcp-segmentation-offload: on'
}
two_way_flows() {  # two_way_flows DP: ARP and IPv4 between ports 1 and 2
  local f
  for f in 'in_port(1),eth(),eth_type(0x0806),arp() 2' 'in_port(2),eth(),eth_type(0x0806),arp() 1' \
           'in_port(1),eth(),eth_type(0x0800),ipv4() 2' 'in_port(2),eth(),eth_type(0x0800),ipv4() 1'; do
    must fpctl add-flow "$1" ${f% *} ${f##* }
  done
}
# iperf_json HOST OUTPUT IPERF3-ARGUMENTS...: a 2-second TCP run, its JSON
# report in OUTPUT.
iperf_json() {
  local host=$1 output=$2; shift 2
  in_host "$host" iperf3 -p 5201 -t 2 --connect-timeout 3000 -J "$@" > "$output"
}
# tcp_checks LABEL CLIENT SERVER-NAME SERVER-IP: iperf3 with 1 and 4 streams
# and a request/response exchange from CLIENT to SERVER.
tcp_checks() {
  local label=$1 client=$2 server=$3 ip=$4
  in_host_bg "$server" iperf3 -s -p 5201 >/dev/null 2>&1
  wait_until 10 listening "$RUN-$server" 5201
  check "$label: iperf3 TCP, 1 stream" iperf_json "$client" "$WORK/$label-1.json" -c "$ip" -P 1
  check "$label: iperf3 TCP, 4 streams" iperf_json "$client" "$WORK/$label-4.json" -c "$ip" -P 4
  for n in 1 4; do
    echo "  $label, $n stream(s): $(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%.2f Gbit/s" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))' "$WORK/$label-$n.json" 2>/dev/null)"
  done
  # Request/response: 200 exchanges of 100 bytes each way on one connection.
  in_host_bg "$server" /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5301)); s.listen(1); c, _ = s.accept()
while True:
    d = c.recv(100)
    if not d: break
    c.sendall(d)'
  wait_until 10 listening "$RUN-$server" 5301
  check "$label: 200 TCP request/response exchanges" in_host "$client" /usr/bin/python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 5301), timeout=3)
for i in range(200):
    msg = bytes([i % 256]) * 100
    c.sendall(msg)
    got = b""
    while len(got) < 100:
        part = c.recv(100 - len(got))
        if not part: sys.exit("connection closed")
        got += part
    if got != msg: sys.exit("wrong reply")' "$ip"
}

# ---- a plain datapath of afpacket ports, hand-written flows
add_host a 10.252.1.1; add_host b 10.252.1.2
check "defaults: the veth in a has tx checksumming and TSO on" offloads_on "$RUN-a" eth0
must fpctl add-dp "$RUN"d "$RUN-a" "$RUN-b"
two_way_flows "$RUN"d
tcp_checks datapath a b 10.252.1.2
check "datapath: super-frames crossed the IPv4 flow (more than 1514 bytes a packet)" \
  test "$(fpctl dump-flows "$RUN"d | grep -F 'in_port(1),eth(),eth_type(0x0800)' |
          sed -n 's/.*packets:\([0-9]*\), bytes:\([0-9]*\),.*/\2 \1/p' |
          awk '{ print ($1 > 1514 * $2) }')" = 1

# ---- a bridge (NORMAL)
add_host c 10.252.2.1; add_host d 10.252.2.2
must fpctl add-br "$RUN"br
for h in c d; do must fpctl add-port "$RUN"br "$RUN-$h"; done
tcp_checks bridge c d 10.252.2.2

# ---- set_field on offloaded TCP: the IPv4 destination rewritten
add_host e 10.252.3.1; add_host f 10.252.3.2
# f's own segments leave complete (see above); what f receives is the check.
ip netns exec "$RUN-f" ethtool -K eth0 tx off tso off gso off >/dev/null
must fpctl add-dp "$RUN"s "$RUN-e" "$RUN-f,offloads=off"
must fpctl add-flow "$RUN"s 'in_port(1),eth(),eth_type(0x0806),arp()' 2
must fpctl add-flow "$RUN"s 'in_port(2),eth(),eth_type(0x0806),arp()' 1
must fpctl add-flow "$RUN"s 'in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.252.3.99)' \
  'set(ipv4(dst=10.252.3.2)),2'
must fpctl add-flow "$RUN"s 'in_port(2),eth(),eth_type(0x0800),ipv4(src=10.252.3.2)' \
  'set(ipv4(src=10.252.3.99)),1'
must ip -n "$RUN-e" neigh replace 10.252.3.99 lladdr "$(host_mac f)" dev eth0
# tcpdump inside f's namespace, only what arrives there.
ip netns exec "$RUN-f" tcpdump -l -i eth0 -n -vv -Q in tcp > "$WORK/f.dump" 2> "$WORK/f.dump.err" &
BACKGROUND+=($!)
must wait_until 10 grep -q 'listening on' "$WORK/f.dump.err"
in_host_bg f iperf3 -s -p 5202 >/dev/null 2>&1
must wait_until 10 listening "$RUN-f" 5202
check "set_field: iperf3 TCP to the rewritten address (4 MB)" \
  in_host e iperf3 -c 10.252.3.99 -p 5202 -n 4M --connect-timeout 3000
segments_seen() { [ "$(grep -c 'cksum 0x' "$WORK/f.dump")" -ge 1000 ]; }
check "set_field: tcpdump in the receiver saw the segments" wait_until 10 segments_seen
check_not "set_field: none with an incorrect checksum" grep -q incorrect "$WORK/f.dump"
check "set_field: none longer than the MTU (super-frames cut in software)" \
  test "$(sed -n 's/.*proto TCP (6), length \([0-9]*\)).*/\1/p' "$WORK/f.dump" | sort -n | tail -1)" -le 1500
check "set_field: the rewrite flow carried super-frames" \
  test "$(fpctl dump-flows "$RUN"s | grep -F 'ipv4(dst=10.252.3.99' |
          sed -n 's/.*packets:\([0-9]*\), bytes:\([0-9]*\),.*/\2 \1/p' |
          awk '{ print ($1 > 1514 * $2) }')" = 1

# ---- a tap port, its device in a namespace: that namespace's stack <-> g
add_host g 10.252.4.1
must fpctl add-dp "$RUN"t "$RUN-g" "$RUN-tp,type=tap"
two_way_flows "$RUN"t
tap_to_namespace "$RUN-tp" tapns 10.252.4.2
check "tap: the device announces checksum and TSO offload" offloads_on "$RUN-tapns" "$RUN-tp"
tcp_checks tap-to-namespace tapns g 10.252.4.1
tcp_checks namespace-to-tap g tapns 10.252.4.2

finish
