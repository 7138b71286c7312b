#!/usr/bin/env bash
# OpenFlow controllers drive flowpath, with Debian's real ones:
#   - fpctl set-controller / get-controller / del-controller, set-fail-mode /
#     get-fail-mode / del-fail-mode, their errors and the state file
#   - ovs-testcontroller (OpenFlow 1.0, table misses as packet-ins) is the
#     learning controller of a secure bridge with three hosts: all pairs ping,
#     its rules appear in dump-flows; once it is gone the secure bridge does
#     not forward
#   - an os-ken OpenFlow 1.3 learning switch (osken_learning_switch.py, in
#     the manner of os-ken's simple_switch_13): all pairs ping, its rules
#     appear in dump-flows, its flow and port statistics agree with the
#     bridge's, a port going down reaches it as port-status; once it is gone
#     the standalone bridge falls back to NORMAL (fail-open)
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
. "$HERE/slow_path_lib.sh"
command -v ovs-testcontroller >/dev/null && [ -x /usr/bin/osken-manager ] && command -v ovs-ofctl >/dev/null ||
  { echo "FAIL: needs openvswitch-testcontroller, python3-os-ken and ovs-ofctl (scripts/install-deps.sh)"; exit 1; }

start_daemon
must fpctl add-br "$BR"
add_bridge_host a 10.253.4.1
add_bridge_host b 10.253.4.2
add_bridge_host c 10.253.4.3
ofctl() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
listening_here() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
shows() { fpctl of show "$BR" | grep -q "$1"; }  # shows REGEX: in fpctl of show
fail_open() { fpctl trace "$BR" "in_port=1,ip,nw_dst=10.253.4.2" | grep -q 'fail-open:'; }
not_fail_open() { ! fail_open; }
gone_for() { [ "$(controller_field sec_since_disconnect)" -ge "$1" ] 2>/dev/null; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
controller_field() {  # controller_field FIELD: from fpctl's JSON of the bridge's first controller
  fpctl --format json of show "$BR" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["bridge"]["controllers"]
print(c[0].get(sys.argv[1], "") if c else "")' "$1"
}
all_pairs_ping() {
  local ok=0
  for pair in "a 10.253.4.2" "a 10.253.4.3" "b 10.253.4.3" "c 10.253.4.1"; do
    # shellcheck disable=SC2086
    ping_within $pair 10 >/dev/null || { echo "  no answer: $pair"; ok=1; }
  done
  return $ok
}
no_ping() { ! in_host a ping -c 3 -i 0.3 -W 1 -q 10.253.4.2 >/dev/null 2>&1; }

# os-ken takes a while to start (10 s of imports on a loaded machine): it
# starts now and is needed later.
OSKEN_PORT=$(free_port)
export OSKEN_EVENTS=$WORK/osken-events
/usr/bin/osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port "$OSKEN_PORT" \
  "$HERE/osken_learning_switch.py" > "$WORK/osken.log" 2>&1 &
OSKEN_PID=$!; BACKGROUND+=("$OSKEN_PID")

# ---- configuration, as ovs-vsctl has it
check "get-fail-mode is empty when unset" test -z "$(fpctl get-fail-mode "$BR")"
check "set-fail-mode refuses a bad mode" \
  grep -q 'must be "standalone" or "secure"' <(fpctl set-fail-mode "$BR" insecure 2>&1)
check "set-controller refuses a bad target" \
  grep -q 'bad port' <(fpctl set-controller "$BR" tcp:127.0.0.1:x 2>&1)
check "set-controller refuses ssl:" grep -qi 'ssl' <(fpctl set-controller "$BR" ssl:127.0.0.1 2>&1)
check "a refused set-controller changes nothing" test -z "$(fpctl get-controller "$BR")"
check "controller(pause) from the wire is refused (no continuations)" \
  grep -q 'OFPBAC_BAD_ARGUMENT' <(ofctl add-flow "$BR" "actions=controller(pause)")
must fpctl set-fail-mode "$BR" secure
check "get-fail-mode says secure" test "$(fpctl get-fail-mode "$BR")" = secure
check "secure without controllers: no rules (the NORMAL rule is gone)" \
  test -z "$(fpctl of dump-flows "$BR")"
check "secure, no controller: no forwarding" no_ping

# ---- ovs-testcontroller, OpenFlow 1.0, as the controller of the secure bridge
PORT=$(free_port)
ovs-testcontroller -O OpenFlow10 --max-idle=60 "ptcp:$PORT:127.0.0.1" \
  --unixctl="$WORK/testcontroller.ctl" --log-file="$WORK/testcontroller.log" -vfile:dbg >/dev/null 2>&1 &
TC_PID=$!; BACKGROUND+=("$TC_PID")
wait_until 10 listening_here "$PORT" || { echo "FAIL: ovs-testcontroller did not listen"; cat "$WORK/testcontroller.log"; exit 1; }
must fpctl set-controller "$BR" "tcp:127.0.0.1:$PORT" --inactivity-probe 1000 --max-backoff 2000
check "get-controller prints the target" test "$(fpctl get-controller "$BR")" = "tcp:127.0.0.1:$PORT"
check "the state file keeps the controller and the fail mode" \
  grep -q "controllers = \[" "$WORK/state.toml"
grep -q 'fail_mode = "secure"' "$WORK/state.toml" || { echo "FAIL: fail_mode not in the state file"; FAILURES=$((FAILURES + 1)); }
check "the controller connects (fpctl of show: ACTIVE)" wait_until 10 shows 'ACTIVE is_connected=true' 
fpctl of show "$BR" | sed -n '1,4p'
check "all pairs ping through ovs-testcontroller" all_pairs_ping
check "ovs-testcontroller's rules are in dump-flows" \
  grep -q 'idle_timeout=60.*dl_dst=' <(ofctl dump-flows "$BR")
check "packet-ins reached it (its log)" grep -q 'OFPT_PACKET_IN' "$WORK/testcontroller.log"
kill "$TC_PID"; wait "$TC_PID" 2>/dev/null
check "the controller's loss shows (BACKOFF, last_error)" wait_until 10 shows 'BACKOFF.*last_error' 
must ofctl del-flows "$BR"
# Past the fail-open trigger (3 inactivity probes), a secure bridge still
# does not forward.
check "secure: the controller has been gone for longer than 3 probes" wait_until 15 gone_for 4
check "secure: no forwarding once the controller is gone" no_ping
check_not "secure: never fail-open" fail_open

# ---- os-ken, OpenFlow 1.3, as the controller of a standalone bridge
wait_until 60 listening_here "$OSKEN_PORT" || { echo "FAIL: osken-manager did not listen"; cat "$WORK/osken.log"; exit 1; }
must fpctl del-fail-mode "$BR"
must fpctl set-controller "$BR" "tcp:127.0.0.1:$OSKEN_PORT" --inactivity-probe 1000 --max-backoff 2000
check "os-ken connects" wait_until 15 grep -q '^connected dpid=' "$OSKEN_EVENTS"
# The bridge was standalone with its old controller gone: failed open until
# os-ken connected and sent its first request.
check "os-ken's requests end fail-open" wait_until 10 not_fail_open
check "all pairs ping through the os-ken learning switch" all_pairs_ping
check "its packet-ins: table misses (reason 0), whole packets, no buffer" \
  grep -q 'packet_in reason=0 in_port=[123] total_len=\([0-9]*\) len=\1 buffer_id=0xffffffff' "$OSKEN_EVENTS"
flows=$(ofctl -O OpenFlow13 dump-flows "$BR")
check "its table-miss rule is in dump-flows" grep -q 'priority=0 actions=CONTROLLER:65535' <<<"$flows"
check "its learned rules are in dump-flows" grep -q 'priority=1,in_port=.*dl_src=.*dl_dst=.*actions=output:' <<<"$flows"
# os-ken may still be learning (a late ARP or IPv6 packet): compare its next
# flow statistics with dump-flows taken just before and just after them.
flow_stats_replies() { grep -c '^flow_stats ' "$OSKEN_EVENTS"; }
more_flow_stats_replies_than() { [ "$(flow_stats_replies)" -gt "$1" ]; }
learned_rules() { ofctl -O OpenFlow13 dump-flows "$BR" | grep -c 'priority=1,'; }
stats_agree_with_dump() {
  local before after seen
  before=$(learned_rules)
  seen=$(flow_stats_replies)
  wait_until 3 more_flow_stats_replies_than "$seen" || return 1
  after=$(learned_rules)
  [ "$before" = "$after" ] &&
    grep '^flow_stats ' "$OSKEN_EVENTS" | tail -n 1 | grep -q "^flow_stats flows=$((after + 1)) learned=$after "
}
check "its flow statistics agree with dump-flows ($(learned_rules) learned rules)" \
  wait_until 15 stats_agree_with_dump
check "its port statistics name every port" \
  wait_until 5 grep -q '^port_stats ports=1,2,3,4294967294 ' "$OSKEN_EVENTS"
ip link set "$RUN-c" down
check "a port going down reaches it as port-status" \
  wait_until 10 grep -q "^port_status reason=MODIFY port=3 name=$RUN-c state=0x1" "$OSKEN_EVENTS"
ip link set "$RUN-c" up
kill "$OSKEN_PID"; wait "$OSKEN_PID" 2>/dev/null
must ofctl del-flows "$BR"
check "standalone: fail-open 3 probe intervals after the controller is gone" wait_until 15 fail_open
check "standalone: NORMAL forwards once the controller is gone" ping_within a 10.253.4.2 10
check "fpctl del-controller" fpctl del-controller "$BR"
check "no controller left" test -z "$(fpctl get-controller "$BR")"
check "standalone without controllers: the NORMAL rule is back" \
  grep -q 'priority=0 actions=NORMAL' <(ofctl dump-flows "$BR")

finish
