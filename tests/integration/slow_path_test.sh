#!/usr/bin/env bash
# The slow path as a learning switch: three namespace hosts on one bridge
# that has only its default rule (priority=0 actions=NORMAL).
#   - every pair pings; the MAC table learns each host on its port
#   - iperf3 TCP runs between two hosts
#   - the datapath's megaflows match on Ethernet only (L3/L4 wildcarded),
#     and more connections do not add megaflows
#   - a MAC that moves to another port is followed within one revalidation
#     round, although the datapath still had a megaflow to the old port
#   - fpctl verbs: list-br, br-exists, list-ports, of show, fdb-show, trace,
#     of dump-ports, of dump-flows, and their errors
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

must fpctl add-br "$BR"
add_bridge_host a 10.253.0.1
add_bridge_host b 10.253.0.2
add_bridge_host c 10.253.0.3

# ---- the verbs' view of the bridge
check "list-br shows the bridge" test "$(fpctl list-br | grep -cx "$BR")" = 1
check "br-exists: yes" fpctl br-exists "$BR"
fpctl br-exists "${BR}x"; status=$?
check "br-exists: no (exit 2, got $status)" test "$status" = 2
check "list-ports: the three hosts, sorted" \
  test "$(fpctl list-ports "$BR" | tr '\n' ' ')" = "$RUN-a $RUN-b $RUN-c "
check "add-br twice fails" test "$(fpctl add-br "$BR" 2>&1)" = "fpctl: bridge $BR already exists"
check "add-br --may-exist succeeds" fpctl add-br "$BR" --may-exist
check "default rule: priority=0 actions=NORMAL" \
  grep -q '^ cookie=0x0, duration=[0-9.]*s, table=0, n_packets=[0-9]*, n_bytes=[0-9]*, idle_age=[0-9]*, priority=0 actions=NORMAL$' \
  <(fpctl of dump-flows "$BR")
check "of show: port 1 is host a" grep -q "^ 1($RUN-a): type=afpacket" <(fpctl of show "$BR")
check "of show: LOCAL is the bridge" grep -q "^ LOCAL($BR): type=internal" <(fpctl of show "$BR")
check "of show --format json" \
  test "$(fpctl of show "$BR" --format json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["ports"]))')" = 4

# ---- all pairs
for pair in "a 10.253.0.2" "a 10.253.0.3" "b 10.253.0.1" "b 10.253.0.3" "c 10.253.0.1" "c 10.253.0.2"; do
  set -- $pair
  check "NORMAL: ping $1 -> $2" in_host "$1" ping -c 2 -i 0.2 -W 2 -q "$2"
done
fdb=$(fpctl fdb-show "$BR")
check "fdb-show header" test "$(head -1 <<<"$fdb")" = " port  VLAN  MAC                Age"
declare -A PORT=([a]=1 [b]=2 [c]=3)
for h in a b c; do
  check "fdb-show: host $h's MAC on port ${PORT[$h]}" \
    grep -Eq "^ +${PORT[$h]} +0  $(host_mac $h) +[0-9]+$" <<<"$fdb"
done
wait_revalidation  # pushes the megaflows' counters to the rule
check "the default rule counted the 24 ICMP packets (and ARP)" \
  test "$(rule_packets 'priority=0 actions=NORMAL')" -ge 24

# ---- TCP throughput
in_host_bg b iperf3 -s -1 -B 10.253.0.2 >/dev/null 2>&1
wait_until 10 listening "$RUN-b" 5201 || echo "FAIL: iperf3 -s is not listening after 10 s"
in_host a timeout 30 iperf3 -c 10.253.0.2 -t 3 -P 2 > "$WORK/iperf.txt" 2>&1; status=$?
grep -E 'SUM.*receiver' "$WORK/iperf.txt"
check "iperf3 a -> b for 3 s (exit $status)" test "$status" = 0

# ---- megaflows: Ethernet-level, a handful, not one per connection
flows=$(fpctl dump-flows "$BR")
echo "$flows" | sed 's/^/  /' | head -20
check_not "no megaflow matches IPv4 addresses" grep -Eq 'ipv4\([^)]*(src|dst)=' <<<"$flows"
check_not "no megaflow matches TCP/UDP ports" grep -Eq '(tcp|udp)\([^)]*(src|dst)=' <<<"$flows"
before=$(megaflow_count)
check "megaflows after pings and iperf3: $before (at most 24)" test "$before" -le 24
tcp_listen c 5001
connected=0
for i in $(seq 20); do tcp_connects a 10.253.0.3 5001 && connected=$((connected + 1)); done
check "20 TCP connections a -> c, each from its own port, established ($connected)" \
  test "$connected" = 20
after=$(megaflow_count)
check "20 more TCP connections add no megaflow per connection ($before -> $after)" \
  test "$after" -le $((before + 4))

# ---- trace: a unicast to a learned MAC goes to its port only
trace=$(fpctl trace "$BR" "in_port=1,dl_src=$(host_mac a),dl_dst=$(host_mac b),ip,nw_src=10.253.0.1,nw_dst=10.253.0.2")
echo "$trace" | sed 's/^/  /'
check "trace: datapath actions output to port 2" grep -qx 'Datapath actions: 2' <<<"$trace"
check "trace: a Megaflow line" grep -q '^Megaflow: ' <<<"$trace"
fpctl trace "$BR" 'in_port=1,frob=2' 2>/dev/null; status=$?
check "trace of a bad flow fails with exit 1 (got $status)" test "$status" = 1

# ---- dump-ports
ports=$(fpctl of dump-ports "$BR")
check "dump-ports: 4 ports" test "$(head -1 <<<"$ports")" = "OFPST_PORT reply: 4 ports"
check "dump-ports: port 1 received packets" grep -Eq '^  port  1: rx pkts=[1-9][0-9]*, ' <<<"$ports"

# ---- a MAC moves: host b leaves, host c takes over b's MAC and address
bmac=$(host_mac b)
# Fresh traffic a -> b: its megaflow may have idled out (10 s) since iperf3.
check "before the move: ping a -> b" in_host a ping -c 1 -W 2 -q 10.253.0.2
check "before the move a's datapath has a megaflow towards b's MAC" \
  grep -q "in_port(1),.*dst=$bmac" <(fpctl dump-flows "$BR")
in_host b ip link set eth0 down
in_host c ip link set eth0 down
in_host c ip link set eth0 address "$bmac"
in_host c ip addr add 10.253.0.2/24 dev eth0
in_host c ip link set eth0 up
# c announces itself (gratuitous ARP, three times as arping -U -c 3 does,
# once its link is up); the bridge learns b's MAC on port 3.
for _ in $(seq 50); do
  [ "$(in_host c cat /sys/class/net/eth0/operstate)" = up ] && break
  sleep 0.1
done
in_host c "$PY" -c "
from scapy.all import Ether, ARP, sendp
sendp(Ether(src='$bmac', dst='ff:ff:ff:ff:ff:ff') / ARP(op=2, hwsrc='$bmac', psrc='10.253.0.2', pdst='10.253.0.2'), iface='eth0', count=3, inter=0.2, verbose=False)"
check "after the move a reaches b's address (now on port 3) within 2 s" ping_within a 10.253.0.2 2
check "fdb-show: b's MAC is on port 3" grep -Eq "^ +3 +0  $bmac" <(fpctl fdb-show "$BR")
check "fdb-flush" test "$(fpctl fdb-flush "$BR")" = "table successfully flushed"

# ---- errors
check "list-ports of a missing bridge: one line, exit 1" \
  test "$(fpctl list-ports nosuchbr 2>&1; echo "rc=$?")" = "$(printf 'fpctl: no bridge named nosuchbr\nrc=1')"
check "add-port with a bad tag names it" \
  grep -q 4096 <(fpctl add-port "$BR" "$RUN-zz" tag=4096 2>&1)
fpctl add-port "$BR" 2>/dev/null; status=$?
check "add-port without an interface is a usage error (exit 2, got $status)" test "$status" = 2

fpctl del-port "$RUN-c"
check "del-port without a bridge" test "$(fpctl list-ports "$BR" | tr '\n' ' ')" = "$RUN-a $RUN-b "
fpctl del-br "$BR"
check "del-br" test -z "$(fpctl list-br)"
check "del-br --if-exists of a missing bridge" fpctl del-br "$BR" --if-exists
finish
