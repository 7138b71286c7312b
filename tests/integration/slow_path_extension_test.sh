#!/usr/bin/env bash
# Extension actions that change forwarding visibly, on a bridge of three
# namespace hosts (NORMAL below them, for ARP and replies):
#   - check_pkt_larger: ICMP from a to b longer than 500 bytes is dropped,
#     shorter pings pass; one megaflow carries both cases (check_pkt_len)
#   - multipath: UDP from a to port 9999 is spread over ports 2 and 3 by a
#     hash of the addresses and ports; both links get flows, each flow's
#     megaflow matches the hashed fields
#   - bundle (active_backup): UDP to port 9998 goes to c, then to b once c's
#     port is down
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

must fpctl add-br "$BR"
add_bridge_host a 10.253.6.1
add_bridge_host b 10.253.6.2
add_bridge_host c 10.253.6.3

must fpctl of add-flow "$BR" 'priority=100,in_port=1,icmp,nw_dst=10.253.6.2,actions=check_pkt_larger(500)->NXM_NX_REG0[0],resubmit(,1)'
must fpctl of add-flow "$BR" 'table=1,priority=10,reg0=0x1/0x1,actions=drop'
must fpctl of add-flow "$BR" 'table=1,priority=5,actions=NORMAL'
must fpctl of add-flow "$BR" 'priority=100,in_port=1,udp,tp_dst=9999,actions=multipath(symmetric_l3l4+udp,0,hash_threshold,2,0,NXM_NX_REG1[0..1]),resubmit(,2)'
must fpctl of add-flow "$BR" 'table=2,reg1=0,actions=output:2'
must fpctl of add-flow "$BR" 'table=2,reg1=1,actions=output:3'
must fpctl of add-flow "$BR" 'priority=100,in_port=1,udp,tp_dst=9998,actions=bundle(eth_src,0,active_backup,ofport,members:3,2)'

# ---- check_pkt_larger
check "check_pkt_larger: a 100-byte ping passes" in_host a ping -c 2 -i 0.2 -W 2 -q -s 100 10.253.6.2
check_not "check_pkt_larger: a 1000-byte ping is dropped" in_host a ping -c 2 -i 0.2 -W 1 -q -s 1000 10.253.6.2
check "check_pkt_larger: one megaflow, both branches" \
  grep -q 'check_pkt_len(size=500,gt(drop),le(' <(fpctl dump-flows "$BR")
trace=$(fpctl trace "$BR" "in_port=1,dl_src=$(host_mac a),dl_dst=$(host_mac b),icmp,nw_src=10.253.6.1,nw_dst=10.253.6.2")
check "trace names check_pkt_larger" grep -q 'check_pkt_larger(500)' <<<"$trace"

# ---- multipath: 40 flows (source ports) from a
send_udp() {  # send_udp PORT COUNT: one datagram from each of COUNT source ports
  in_host a "$PY" -c '
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.253.6.1", 20000 + i))
    s.sendto(b"x" * 32, ("10.253.6.2", port))
    s.close()
' "$@"
}
must send_udp 9999 40
spread() { fpctl dump-flows "$BR" | grep 'udp(src=[0-9]*,dst=9999)' | sed -n 's/.*actions://p' | sort | uniq -c; }
multipath_flows() { test "$(fpctl dump-flows "$BR" | grep -c 'dst=9999')" -ge 40; }
wait_until 5 multipath_flows || { echo "FAIL: fewer than 40 multipath megaflows after 5 s"; FAILURES=$((FAILURES + 1)); }
echo "multipath megaflows by output: $(spread | tr '\n' ' ')"
check "multipath: flows on port 2" grep -q ' 2$' <(spread)
check "multipath: flows on port 3" grep -q ' 3$' <(spread)
check "multipath: each megaflow matches addresses and ports" \
  test "$(fpctl dump-flows "$BR" | grep 'dst=9999' | grep -c 'ipv4(src=10.253.6.1,dst=10.253.6.2,proto=17')" -ge 40

# ---- bundle active_backup: c, then b when c's port goes down
must send_udp 9998 1
check "bundle: the first live member (c) gets the flow" \
  grep -q 'dst=9998).*actions:3$' <(fpctl dump-flows "$BR")
must ip link set "$RUN-c" down
# The revalidator moves the flow to the next live member.
moved() { fpctl dump-flows "$BR" | grep -q 'dst=9998).*actions:2$'; }
must send_udp 9998 1
wait_until 5 moved || { echo "FAIL: the bundle flow did not move within 5 s"; FAILURES=$((FAILURES + 1)); }
check "bundle: with c down, b gets the flow" \
  grep -q 'dst=9998).*actions:2$' <(fpctl dump-flows "$BR")

finish
