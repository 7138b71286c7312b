#!/usr/bin/env bash
# The learn action end to end, with Debian's ovs-ofctl and a private Open
# vSwitch (scripts/private-ovs.sh) as the reference:
#   - the MAC-learning pipeline of ovs-actions(7)/the OVS tutorial, added
#     over the management socket: table 0 learns, into table 10, a flow per
#     source MAC that outputs to the port the MAC came from; three namespace
#     hosts ping each other through it
#   - dump-flows shows the learned flows with their timeouts, and the rules
#     print as Open vSwitch prints the same rules; a packet-out teaches both
#     switches the same flow, printed the same
#   - the megaflow of a learning packet has its source MAC exact
#   - traffic on a megaflow learns its flow again once it is deleted (the
#     revalidator, as Open vSwitch's xlate cache)
#   - delete_learned: deleting the learning rule deletes what it learned
#   - limit: no more learned flows with the cookie than the limit
#   - what is not carried out (result_dst, fin timeouts) is refused
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
RUN=ln18$$  # this test's names (namespaces, veths, the bridge) start with ln18
. "$(dirname "$0")/slow_path_lib.sh"
PRIVATE_OVS=$(cd "$(dirname "$0")/../../scripts" && pwd)/private-ovs.sh
command -v ovs-ofctl >/dev/null && command -v ovsdb-server >/dev/null &&
  [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] ||
  { echo "FAIL: needs openvswitch-switch (scripts/install-deps.sh)"; exit 1; }

start_daemon
must fpctl add-br "$BR"
# The bridge's own device is in this namespace: with IPv6 on, it sends
# router solicitations and MLD reports of its own, which table 0 would learn
# (a flow to LOCAL) at a moment the comparisons below cannot predict.
must sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1"
add_bridge_host a 10.253.18.1
add_bridge_host b 10.253.18.2
add_bridge_host c 10.253.18.3
MGMT=$WORK/$BR.mgmt
wait_until 10 test -S "$MGMT" || { echo "FAIL: no management socket $MGMT"; exit 1; }
ofctl_fp() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }

# The reference: a private Open vSwitch with dummy ports 1..3.
OVS_DIR=$WORK/ovs
DUMMY=1 must bash "$PRIVATE_OVS" start "$OVS_DIR" >/dev/null
for pid_file in "$OVS_DIR/vswitchd.pid" "$OVS_DIR/ovsdb.pid"; do
  BACKGROUND+=("$(cat "$pid_file")")
done
OBR=${RUN}ob
must ovs-vsctl --db=unix:"$OVS_DIR/db.sock" add-br "$OBR" -- set bridge "$OBR" datapath_type=netdev
for p in 1 2 3; do
  must ovs-vsctl --db=unix:"$OVS_DIR/db.sock" add-port "$OBR" "${RUN}p$p" -- \
    set interface "${RUN}p$p" type=dummy ofport_request=$p
done
wait_until 10 test -S "$OVS_DIR/$OBR.mgmt" || { echo "FAIL: Open vSwitch has no $OBR.mgmt"; exit 1; }
ofctl_ovs() { OVS_RUNDIR=$OVS_DIR timeout 10 ovs-ofctl "$@" 2>&1; }

normalize() {
  sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //; s/hard_age=[0-9]+, //;
          s/n_packets=[0-9]+, n_bytes=[0-9]+, //' | LC_ALL=C sort
}
both() {
  local fp ovs
  # A flow learned from the bridge's own port (to LOCAL) is traffic of this
  # host's stack, which the reference's dummy bridge never has: left out.
  fp=$(ofctl_fp "${@//BRIDGE/$BR}" | normalize | grep -vE 'table=10, .*[ ,]LOCAL$')
  ovs=$(ofctl_ovs "${@//BRIDGE/$OBR}" | normalize)
  if [ "$fp" = "$ovs" ] && [ -n "$fp" ]; then
    echo "ok: same as Open vSwitch: ovs-ofctl $*"
  else
    echo "FAIL: ovs-ofctl $* differs from Open vSwitch"
    diff <(echo "$ovs") <(echo "$fp") | sed 's/^/    /'
    FAILURES=$((FAILURES + 1))
  fi
}

# ---- the learning pipeline, over the wire
LEARN='learn(table=10,idle_timeout=60,hard_timeout=300,cookie=0x18,delete_learned,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],output:NXM_OF_IN_PORT[])'
cat > "$WORK/flows" <<FLOWS
table=0,priority=0,actions=$LEARN,resubmit(,10)
table=10,priority=0,actions=FLOOD
FLOWS
check "ovs-ofctl add-flows with learn is accepted" test -z "$(ofctl_fp add-flows "$BR" "$WORK/flows")"
must ofctl_ovs add-flows "$OBR" "$WORK/flows" >/dev/null
both dump-flows BRIDGE
both -O OpenFlow13 dump-flows BRIDGE
both -O OpenFlow15 dump-flows BRIDGE

for pair in "a 10.253.18.2" "a 10.253.18.3" "b 10.253.18.3" "c 10.253.18.1" "b 10.253.18.1" "c 10.253.18.2"; do
  set -- $pair
  check "ping $1 -> $2 through the learned flows" ping_within "$1" "$2" 5
done
learned=$(ofctl_fp dump-flows "$BR" table=10 | grep -c 'dl_dst=')
echo "  table 10 after the pings:"; ofctl_fp dump-flows "$BR" table=10 | sed 's/^/    /'
# (the bridge's own port may send a frame of its own and be learned too)
check "a learned flow per host (at least 3, got $learned)" test "$learned" -ge 3
for h in a b c; do
  mac=$(host_mac "$h")
  line=$(ofctl_fp dump-flows "$BR" table=10 | grep -F "dl_dst=$mac")
  check "one learned flow for $h" test "$(grep -c . <<<"$line")" -eq 1
  port=$(ofctl_fp show "$BR" | sed -n "s/^ *\([0-9]*\)(${RUN}-$h).*/\1/p")
  check "$h's flow has the learn action's cookie and timeouts" \
    grep -qE "cookie=0x18, .*table=10, .*idle_timeout=60, hard_timeout=300, .*vlan_tci=0x0000/0x0fff,dl_dst=$mac actions=load:0x$(printf %x "$port")->NXM_NX_REG0\[0..15\],output:$port\$" <<<"$line"
done
# The learned flows are used: pings after learning hit them.
check "the learned flows count packets" test "$(ofctl_fp dump-flows "$BR" table=10 | grep dl_dst= | grep -vc 'n_packets=0,')" -ge 2

# ---- a packet-out teaches both switches the same flow
frame=02000000a001020000000aa10800450000140000000040ff0000c0a80001c0a80002
for sw in fp ovs; do
  br=$BR; [ $sw = ovs ] && br=$OBR
  out=$(ofctl_$sw packet-out "$br" "in_port=2 packet=$frame actions=resubmit(,0)")
  check "packet-out runs learn on $sw" test -z "$out"
done
wait_until 5 sh -c "OVS_RUNDIR=$WORK ovs-ofctl dump-flows $BR table=10 | grep -q dl_dst=02:00:00:00:0a:a1"
fp_line=$(ofctl_fp dump-flows "$BR" "table=10,dl_dst=02:00:00:00:0a:a1" | normalize | grep dl_dst)
ovs_line=$(ofctl_ovs dump-flows "$OBR" "table=10,dl_dst=02:00:00:00:0a:a1" | normalize | grep dl_dst)
echo "  flowpath:     $fp_line"; echo "  Open vSwitch: $ovs_line"
check "the flow a packet-out learned prints as Open vSwitch's" test -n "$fp_line" -a "$fp_line" = "$ovs_line"

# ---- the megaflow of a learning packet has its source MAC exact
mac_a=$(host_mac a)
check "a megaflow from a has eth(src=$mac_a) exact" \
  sh -c "'$BIN/fpctl' --socket '$SOCK' dump-flows '$BR' | grep -q 'eth(src=$mac_a,'"

# ---- traffic keeps its learned flow: deleted, it is learned again without a miss
in_host_bg a ping -i 0.2 -q 10.253.18.2 >/dev/null 2>&1
PING_PID=$BG_PID
wait_until 5 sh -c "'$BIN/fpctl' --socket '$SOCK' dump-flows '$BR' | grep -q 'eth(src=$mac_a,'"
duration() { ofctl_fp dump-flows "$BR" "table=10,dl_dst=$mac_a" | sed -n 's/.*duration=\([0-9]*\)\..*/\1/p'; }
wait_until 5 sh -c "test \"\$(OVS_RUNDIR=$WORK ovs-ofctl dump-flows $BR table=10,dl_dst=$mac_a | sed -n 's/.*duration=\([0-9]*\)\..*/\1/p')\" -ge 2"
before=$(duration)
must ofctl_fp del-flows "$BR" "table=10,dl_dst=$mac_a" >/dev/null
relearned() { local d; d=$(duration); [ -n "$d" ] && [ "$d" -lt "$before" ]; }
check "a's ongoing traffic learns its deleted flow again (a new flow: ${before}s old before)" \
  wait_until 10 relearned
kill "$PING_PID" 2>/dev/null

# ---- delete_learned: the learning rule takes its flows with it
must ofctl_fp del-flows "$BR" "table=0" >/dev/null
check "deleting the learning rule deletes the learned flows" \
  test "$(ofctl_fp dump-flows "$BR" table=10 | grep -c dl_dst)" -eq 0
check "the rest of table 10 stays" test "$(ofctl_fp dump-flows "$BR" table=10 | grep -c FLOOD)" -eq 1

# ---- limit: at most two flows with the cookie
must ofctl_fp add-flow "$BR" "table=0,priority=0,actions=learn(table=20,limit=2,cookie=0x20,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,10)" >/dev/null
for h in a b c; do in_host "$h" ping -c 1 -W 1 -q 10.253.18.9 >/dev/null 2>&1; done
for h in a b c; do in_host "$h" ping -c 1 -W 1 -q 10.253.18.9 >/dev/null 2>&1; done
n=$(ofctl_fp dump-flows "$BR" table=20 | grep -c dl_dst)
check "limit=2 keeps table 20 at 2 learned flows (got $n)" test "$n" -eq 2

# ---- refused with the reason
out=$(ofctl_fp add-flow "$BR" "actions=learn(result_dst=reg0[0],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])")
check "result_dst is refused over the wire" grep -q "OFPBAC_BAD_ARGUMENT" <<<"$out"
out=$(ofctl_fp add-flow "$BR" "actions=learn(fin_idle_timeout=5,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])")
check "fin_idle_timeout is refused over the wire" grep -q "OFPBAC_BAD_ARGUMENT" <<<"$out"
out=$(fpctl of add-flow "$BR" "actions=learn(fin_idle_timeout=5,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])" 2>&1)
check "fpctl of add-flow refuses fin_idle_timeout, saying why" grep -q "fin_idle_timeout/fin_hard_timeout are not supported" <<<"$out"
out=$(fpctl of add-flow "$BR" "actions=learn(result_dst=reg0[0],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])" 2>&1)
check "fpctl of add-flow refuses result_dst too" grep -q "result_dst is not supported" <<<"$out"

bash "$PRIVATE_OVS" stop "$OVS_DIR" >/dev/null 2>&1
finish
