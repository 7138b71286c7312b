#!/usr/bin/env bash
# Conjunctive matches (conjunction(ID,K/N), conj_id) end to end: an
# OVN-style ACL of 3 allowed source addresses x 4 allowed TCP ports in front
# of host h, written as 3 + 4 conjunction rules and one conj_id rule instead
# of 12 rules:
#   - ovs-ofctl add-flows puts them in over the wire (the management socket),
#     and the same into a private Open vSwitch: dump-flows (NXM and
#     OpenFlow 1.3) is the same for both, durations and counters aside
#   - rules Open vSwitch refuses (conjunction with another action, N out of
#     2..64, K past N) are refused by fpctl with the reason, nothing changed
#   - traffic: from 4 source addresses to 5 ports (20 combinations), TCP
#     connects for exactly the 12 allowed ones
#   - the conj_id rule counts the admitted packets; the conjunction rules
#     count none (as in Open vSwitch)
#   - fpctl trace shows the conjunction decision, and the megaflows for
#     denied and admitted flows
#   - the rules come back from the state file after a restart
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
RUN=cj18$(($$ % 100000))  # names of this test's namespaces and devices
. "$(dirname "$0")/slow_path_lib.sh"
PRIVATE_OVS=$(cd "$(dirname "$0")/../../scripts" && pwd)/private-ovs.sh
command -v ovs-ofctl >/dev/null && command -v ovsdb-server >/dev/null &&
  [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] ||
  { echo "FAIL: needs openvswitch-switch (scripts/install-deps.sh)"; exit 1; }

H=10.218.0.2
SOURCES=(10.218.0.11 10.218.0.12 10.218.0.13)  # allowed
OTHER_SOURCE=10.218.0.14
PORTS=(22 80 443 8080)                        # allowed
OTHER_PORT=9000

start_daemon
must fpctl add-br "$BR"
add_bridge_host c ${SOURCES[0]}
add_bridge_host h $H
for ip in "${SOURCES[@]:1}" $OTHER_SOURCE; do must in_host c ip addr add "$ip/24" dev eth0; done
tcp_listen h "${PORTS[@]}" $OTHER_PORT
MGMT=$WORK/$BR.mgmt
wait_until 10 test -S "$MGMT" || { echo "FAIL: no management socket $MGMT"; exit 1; }

OVS_NS=$RUN-ovs
ip netns add "$OVS_NS"; NAMESPACES+=("$OVS_NS")
OVS_DIR=$WORK/ovs
must bash "$PRIVATE_OVS" start "$OVS_DIR" "$OVS_NS" >/dev/null
for pid_file in "$OVS_DIR/vswitchd.pid" "$OVS_DIR/ovsdb.pid"; do BACKGROUND+=("$(cat "$pid_file")"); done
OBR=${RUN}ob
must ovs-vsctl --db=unix:"$OVS_DIR/db.sock" add-br "$OBR" -- set bridge "$OBR" datapath_type=netdev
wait_until 10 test -S "$OVS_DIR/$OBR.mgmt" || { echo "FAIL: Open vSwitch has no $OBR.mgmt"; exit 1; }
ofctl_fp() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
ofctl_ovs() { OVS_RUNDIR=$OVS_DIR timeout 10 ovs-ofctl "$@" 2>&1; }
normalize() {
  sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //; s/n_packets=[0-9]+, n_bytes=[0-9]+, //' |
    LC_ALL=C sort
}
both() {
  local fp ovs
  fp=$(ofctl_fp "${@//BRIDGE/$BR}" | normalize)
  ovs=$(ofctl_ovs "${@//BRIDGE/$OBR}" | normalize)
  if [ "$fp" = "$ovs" ]; then
    echo "ok: same as Open vSwitch: ovs-ofctl $*"
  else
    echo "FAIL: ovs-ofctl $* differs from Open vSwitch"
    diff <(echo "$ovs") <(echo "$fp") | sed 's/^/    /'
    FAILURES=$((FAILURES + 1))
  fi
}

# ---- the ACL, over the wire into both switches
{
  echo "priority=100,conj_id=7,ip,actions=NORMAL"
  for s in "${SOURCES[@]}"; do echo "priority=100,ip,nw_src=$s,nw_dst=$H,actions=conjunction(7,1/2)"; done
  for p in "${PORTS[@]}"; do echo "priority=100,tcp,nw_dst=$H,tp_dst=$p,actions=conjunction(7,2/2)"; done
  echo "priority=100,udp,nw_dst=$H,tp_dst=53,actions=conjunction(8,1/3),conjunction(7,2/2),note:c0.ff.ee"
  echo "priority=90,ip,nw_dst=$H,actions=drop"
  echo "priority=0,actions=NORMAL"
} > "$WORK/acl.txt"
both del-flows BRIDGE
both add-flows BRIDGE "$WORK/acl.txt"
both dump-flows BRIDGE
both -O OpenFlow13 dump-flows BRIDGE
both -O OpenFlow15 dump-flows BRIDGE conj_id=7
ofctl_fp -O OpenFlow13 dump-flows "$BR" | sed 's/^/  /'
check "the eleven rules of the ACL are there" test "$(ofctl_fp dump-flows "$BR" | grep -c 'priority=')" = 11

# ---- what Open vSwitch refuses is refused, and changes nothing
before=$(fpctl of dump-flows "$BR" --no-stats)
refused() {  # refused RULE EXPECTED-MESSAGE-PART
  local out
  out=$(fpctl of add-flow "$BR" "$1" 2>&1) && { echo "FAIL: accepted: $1"; FAILURES=$((FAILURES + 1)); return; }
  echo "  $1 -> $out"
  check "refused with the reason: $1" grep -qF -- "$2" <<<"$out"
  ofctl_ovs add-flow "$OBR" "$1" >/dev/null && { echo "FAIL: Open vSwitch takes $1"; FAILURES=$((FAILURES + 1)); }
}
refused "priority=5,ip,actions=conjunction(9,1/2),output:1" '"conjunction" may only go with "note", not with "output"'
refused "priority=5,ip,actions=output:1,conjunction(9,1/2)" '"conjunction" may only go with "note"'
refused "priority=5,ip,actions=conjunction(9,1/1)" 'needs at least 2 clauses'
refused "priority=5,ip,actions=conjunction(9,1/65)" 'at most 64 clauses'
refused "priority=5,ip,actions=conjunction(9,3/2)" 'clause K 3 is past N 2'
refused "priority=5,ip,actions=conjunction(9,0/2)" 'clause K must be 1 or more'
refused "priority=5,ip,actions=conjunction(9)" 'expected conjunction(ID,K/N)'
check "the refused rules changed nothing" test "$(fpctl of dump-flows "$BR" --no-stats)" = "$before"

# ---- traffic: exactly the allowed combinations connect
connects() {  # connects SOURCE PORT
  in_host c "$PY" -c '
import socket, sys
s = socket.socket(); s.settimeout(1.0); s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], int(sys.argv[3]))); s.close()' "$1" $H "$2" 2>/dev/null
}
admitted=0; wrong=0
for s in "${SOURCES[@]}" $OTHER_SOURCE; do
  for p in "${PORTS[@]}" $OTHER_PORT; do
    allowed=0
    [ "$s" != $OTHER_SOURCE ] && [ "$p" != $OTHER_PORT ] && allowed=1
    if connects "$s" "$p"; then got=1; admitted=$((admitted + 1)); else got=0; fi
    [ $got = $allowed ] || { echo "  wrong: $s -> $H:$p allowed=$allowed connected=$got"; wrong=$((wrong + 1)); }
  done
done
echo "  $admitted of 20 source/port combinations connected"
check "exactly the 12 allowed combinations connect, the 8 others are dropped" \
  test "$admitted/$wrong" = "12/0"
check_not "ping c -> h is dropped (dimension 1 alone is no conjunction)" \
  in_host c ping -c 1 -W 1 -q $H

# ---- counters: the conj_id rule has the admitted packets, the soft rules none
wait_revalidation
conj_packets=$(rule_packets "conj_id=7")
soft_packets=$(fpctl of dump-flows "$BR" | grep -F 'conjunction(' | sed -n 's/.* n_packets=\([0-9]*\),.*/\1/p' | sort -u)
echo "  conj_id=7 rule: $conj_packets packets; conjunction rules: $soft_packets"
check "the conj_id rule counts the admitted packets" test "${conj_packets:-0}" -gt 0
check "the conjunction rules count none" test "$soft_packets" = 0

# ---- trace and megaflows
flow="in_port=1,dl_src=$(host_mac c),dl_dst=$(host_mac h),tcp,nw_src=${SOURCES[1]},nw_dst=$H,tp_src=40000"
trace=$(fpctl trace "$BR" "$flow,tp_dst=443")
echo "$trace" | sed 's/^/  /'
check "trace: the conjunction decision is shown" \
  grep -q "conjunction(7) matched at priority 100: all 2 dimensions met" <<<"$trace"
check "trace: dimension 1 by the source's rule" \
  grep -qF "dimension 1/2: priority=100,ip,nw_src=${SOURCES[1]},nw_dst=$H" <<<"$trace"
check "trace: dimension 2 by the port's rule" \
  grep -qF "dimension 2/2: priority=100,tcp,nw_dst=$H,tp_dst=443" <<<"$trace"
check "trace: then the conj_id rule" grep -qE "^0\. priority=100,.*conj_id=7.*, cookie 0x0" <<<"$trace"
check_not "trace: admitted, not dropped" grep -qx 'Datapath actions: drop' <<<"$trace"
trace=$(fpctl trace "$BR" "$flow,tp_dst=$OTHER_PORT")
check "trace: port $OTHER_PORT has no conjunction and is dropped" \
  grep -qx 'Datapath actions: drop' <<<"$trace"
check_not "... and shows none" grep -q "conjunction(7) matched" <<<"$trace"
fpctl dump-flows "$BR" | grep -F "$H" | sed 's/^/  /' | head -20
check "megaflows of admitted flows match the port they were admitted on" \
  grep -q "tcp(.*dst=443" <(fpctl dump-flows "$BR" | grep -F "dst=$H")

# ---- the rules (notes and all) are saved as text and read back on a restart
before=$(fpctl of dump-flows "$BR" --no-stats)
stop_daemon
start_daemon
check "after restart: the ACL as before" test "$(fpctl of dump-flows "$BR" --no-stats)" = "$before"
check "after restart: ${SOURCES[2]} -> $H:8080 connects" wait_until 5 connects ${SOURCES[2]} 8080
check_not "after restart: $OTHER_SOURCE -> $H:22 is dropped" connects $OTHER_SOURCE 22

bash "$PRIVATE_OVS" stop "$OVS_DIR" >/dev/null 2>&1
finish
