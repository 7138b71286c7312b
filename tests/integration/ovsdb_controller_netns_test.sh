#!/usr/bin/env bash
# Controller rows of the Open_vSwitch database connect flowpath's bridges, as
# ovs-vswitchd's do: Debian's ovsdb-server, ovs-vsctl and ovs-testcontroller.
#   - set-fail-mode secure, three namespace hosts: nothing forwards without a
#     controller
#   - set-controller tcp:127.0.0.1:PORT (with max_backoff, inactivity_probe):
#     the bridge connects to ovs-testcontroller, all pairs ping through it,
#     its rules show in ovs-ofctl dump-flows (BRIDGE.mgmt)
#   - list Controller: is_connected=true, role=other, status state=ACTIVE and
#     sec_since_connect; ovs-testcontroller gone: is_connected=false, BACKOFF,
#     last_error, sec_since_disconnect
#   - a Controller column flowpath does not carry out (controller_rate_limit)
#     refuses the row: status:last_error says why, the bridge has no controller
#   - del-controller in secure mode: no flows, no forwarding; set-fail-mode
#     standalone: NORMAL forwards again
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
get() { vsctl get "$@" | tr -d '"'; }
column_is() { [ "$(get "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
has_key() { vsctl get Controller "$BR" status 2>/dev/null | grep -q "$1="; }
ofctl() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
listening_here() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
all_pairs_ping() {
  local ok=0
  for pair in "a 10.253.13.2" "a 10.253.13.3" "b 10.253.13.3" "c 10.253.13.1"; do
    # shellcheck disable=SC2086
    ping_within $pair 10 >/dev/null || { echo "  no answer: $pair"; ok=1; }
  done
  return $ok
}
no_ping() { ! in_host a ping -c 3 -i 0.3 -W 1 -q 10.253.13.2 >/dev/null 2>&1; }

must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > "$WORK/ovsdb-start.log"
start_daemon --no-state --ovsdb unix:"$DB/db.sock"

check "add-br and set-fail-mode secure" vsctl add-br "$BR" -- set-fail-mode "$BR" secure
for host in "a 10.253.13.1" "b 10.253.13.2" "c 10.253.13.3"; do
  set -- $host
  add_host "$1" "$2"
  must vsctl add-port "$BR" "$RUN-$1"
done
check "fpctl get-fail-mode: secure" test "$(fpctl get-fail-mode "$BR")" = secure
check "secure without a controller: no rules" test -z "$(fpctl of dump-flows "$BR")"
check "secure without a controller: no forwarding" no_ping

# ---- ovs-testcontroller as the bridge's controller, set with ovs-vsctl
PORT=$(free_port)
ovs-testcontroller -O OpenFlow10 --max-idle=60 "ptcp:$PORT:127.0.0.1" \
  --unixctl="$WORK/testcontroller.ctl" --log-file="$WORK/testcontroller.log" >/dev/null 2>&1 &
TC_PID=$!; BACKGROUND+=("$TC_PID")
wait_until 10 listening_here "$PORT" ||
  { echo "FAIL: ovs-testcontroller did not listen"; cat "$WORK/testcontroller.log"; exit 1; }
check "set-controller" vsctl set-controller "$BR" "tcp:127.0.0.1:$PORT" \
  -- set Controller "$BR" max_backoff=2000 inactivity_probe=1000
check "fpctl get-controller shows the target" test "$(fpctl get-controller "$BR")" = "tcp:127.0.0.1:$PORT"
settings() { fpctl --format json get-controller "$BR" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
print(c["inactivity_probe_ms"], c["max_backoff_ms"])'; }
check "the bridge's probe and backoff are the row's (1000 2000)" test "$(settings)" = "1000 2000"
check "is_connected becomes true" wait_until 15 column_is Controller "$BR" is_connected true
check "role: other (OpenFlow 1.0, no role request)" column_is Controller "$BR" role other
check "status:state=ACTIVE" column_is Controller "$BR" status:state ACTIVE
check "status:sec_since_connect" wait_until 10 has_key sec_since_connect
vsctl list Controller > "$WORK/list-controller.txt"
cat "$WORK/list-controller.txt" | grep -E '^(target|is_connected|role|status|max_backoff|inactivity_probe) '
check "all pairs ping through ovs-testcontroller" all_pairs_ping
check "ovs-testcontroller's rules are in ovs-ofctl dump-flows" \
  grep -q 'idle_timeout=60.*dl_dst=' <(ofctl dump-flows "$BR")

# ---- a column flowpath does not carry out: the row is refused, and says so
check "set controller_rate_limit" vsctl set Controller "$BR" controller_rate_limit=1000
check "refused: status:last_error names the column" \
  wait_until 10 grep -q 'not applied: controller_rate_limit=1000 is not supported by flowpath' \
  <(get Controller "$BR" status:last_error 2>/dev/null)
check "refused: is_connected=false" column_is Controller "$BR" is_connected false
check "refused: the bridge has no controller" test -z "$(fpctl get-controller "$BR")"
check "clear controller_rate_limit" vsctl clear Controller "$BR" controller_rate_limit
check "connected again" wait_until 15 column_is Controller "$BR" is_connected true
check "all pairs ping again" all_pairs_ping

# ---- the controller goes away: the row shows it
kill "$TC_PID"; wait "$TC_PID" 2>/dev/null
check "is_connected becomes false" wait_until 10 column_is Controller "$BR" is_connected false
check "status:state leaves ACTIVE" wait_until 10 grep -Eq 'BACKOFF|CONNECTING' <(get Controller "$BR" status:state 2>/dev/null)
check "status:last_error set" wait_until 10 has_key last_error
check "status:sec_since_disconnect" wait_until 10 has_key sec_since_disconnect
check "no role while disconnected" column_is Controller "$BR" role "[]"

# ---- del-controller: secure mode stays, nothing new forwards
check "del-controller" vsctl del-controller "$BR"
check "no Controller rows left" test -z "$(vsctl --bare --columns=_uuid list Controller)"
check "fpctl get-controller: none" test -z "$(fpctl get-controller "$BR")"
check "secure after del-controller: no rules" test -z "$(fpctl of dump-flows "$BR")"
check "secure after del-controller: no forwarding" no_ping
check "set-fail-mode standalone" vsctl set-fail-mode "$BR" standalone
check "standalone: the NORMAL rule" grep -q 'actions=NORMAL' <(fpctl of dump-flows "$BR")
check "standalone: all pairs ping" all_pairs_ping

check_not "flowpathd logged a malformed message" grep -q 'malformed' "$WORK/flowpathd.log"
finish
