#!/usr/bin/env bash
# A Mininet-style linear topology, done with the steps Mininet's OVSSwitch
# takes but in a plain script: ovs-vsctl against Debian's ovsdb-server, one
# flowpathd --ovsdb in place of ovs-vswitchd, namespaces, veth pairs and
# ovs-testcontroller (Mininet's default controller) as the remote controller.
#
#   h1 - s1 - s2 - s3 - s4 - h4        (h2 on s2, h3 on s3)
#
# Each switch is a bridge made only with ovs-vsctl (datapath_type=netdev,
# fail_mode=secure, other_config:datapath-id, a Controller row with
# max_backoff=1000, as Mininet writes them); neighbouring switches are joined
# by veth pairs. pingall: every host pings every other host, through the
# controller's rules. Also: every bridge's Controller row is connected, and
# ovs-ofctl dump-flows on each bridge shows the controller's rules.
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
. "$HERE/slow_path_lib.sh"
SCRIPT=$(cd "$HERE/../../scripts" && pwd)/flowpath-ovsdb.sh
for tool in ovsdb-server ovs-vsctl ovs-testcontroller ovs-ofctl; do
  command -v "$tool" >/dev/null ||
    { echo "FAIL: $tool is needed (openvswitch-switch, openvswitch-testcontroller)"; exit 1; }
done

DB=$WORK/ovsdb
stop_ovsdb() { "$SCRIPT" stop --rundir "$DB" >/dev/null 2>&1; }
ovsdb_cleanup() { local status=$?; stop_ovsdb; (exit "$status"); cleanup; }
trap ovsdb_cleanup EXIT
vsctl() { ovs-vsctl --db=unix:"$DB/db.sock" --timeout=20 "$@"; }
ofctl() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
listening_here() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
connected() { [ "$(vsctl get Controller "$1" is_connected 2>/dev/null)" = true ]; }

N=4
must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > "$WORK/ovsdb-start.log"
start_daemon --no-state --ovsdb unix:"$DB/db.sock"

PORT=$(free_port)
ovs-testcontroller "ptcp:$PORT:127.0.0.1" --unixctl="$WORK/testcontroller.ctl" \
  --log-file="$WORK/testcontroller.log" >/dev/null 2>&1 &
TC_PID=$!; BACKGROUND+=("$TC_PID")
wait_until 10 listening_here "$PORT" ||
  { echo "FAIL: ovs-testcontroller did not listen"; cat "$WORK/testcontroller.log"; exit 1; }

# ---- switches, as Mininet's OVSSwitch.start writes them (one transaction each)
make_switch() {  # make_switch NAME NUMBER (create prints the Controller's UUID)
  vsctl -- add-br "$1" -- set Bridge "$1" datapath_type=netdev fail_mode=secure \
    other_config:datapath-id="$(printf '%016x' "$2")" \
    -- --id=@c create Controller target="\"tcp:127.0.0.1:$PORT\"" max_backoff=1000 \
    -- set Bridge "$1" controller=@c >/dev/null
}
for i in $(seq 1 $N); do
  sw=${RUN}s$i
  check "s$i: add-br with datapath_type, fail_mode, datapath-id and a controller" make_switch "$sw" "$i"
done

# ---- hosts: h$i on s$i, port 1
for i in $(seq 1 $N); do
  add_host "h$i" "10.0.13.$i"
  must vsctl add-port "${RUN}s$i" "$RUN-h$i" -- set Interface "$RUN-h$i" ofport_request=1
done
# ---- links: s$i port 3 <-> s$((i+1)) port 2
for i in $(seq 1 $((N - 1))); do
  j=$((i + 1)) a=${RUN}s$i-$j b=${RUN}s$j-$i
  ip link add "$a" type veth peer name "$b"; LINKS+=("$a")
  for l in "$a" "$b"; do ip link set "$l" up; sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"; done
  must vsctl add-port "${RUN}s$i" "$a" -- set Interface "$a" ofport_request=3
  must vsctl add-port "${RUN}s$j" "$b" -- set Interface "$b" ofport_request=2
done
vsctl show | sed -n '1,12p'

for i in $(seq 1 $N); do
  check "s$i: connected to the controller (Controller is_connected)" wait_until 15 connected "${RUN}s$i"
  check "s$i: datapath_id as set" test "$(vsctl get Bridge "${RUN}s$i" datapath_id | tr -d '"')" = \
    "$(printf '%016x' "$i")"
done

# ---- pingall
pingall_failed=0
for i in $(seq 1 $N); do
  for j in $(seq 1 $N); do
    [ "$i" = "$j" ] && continue
    if ! ping_within "h$i" "10.0.13.$j" 10 >/dev/null; then
      echo "  pingall: h$i -> h$j: no answer"; pingall_failed=1
    fi
  done
done
check "pingall: all $((N * (N - 1))) pairs answer" test "$pingall_failed" = 0
for i in $(seq 1 $N); do
  check "s$i: the controller's rules in ovs-ofctl dump-flows" \
    grep -q 'dl_dst=' <(ofctl dump-flows "${RUN}s$i")
done

# ---- teardown, as Mininet's stop: del-br each switch
for i in $(seq 1 $N); do must vsctl del-br "${RUN}s$i"; done
check "no bridges left in flowpathd" test -z "$(fpctl list-br)"
finish
