#!/usr/bin/env bash
# fpctl trace-packets on a bridge between two namespace hosts: what the
# forwarding thread did with real packets, in text and JSON.
#   - a miss: layer miss, upcall queued, the flow the slow path installed
#   - a hit of that flow: a cache or the classifier, the same ufid, the output
#   - a drop: the reason, the same name fpctl show -s counts it under
#   - a recirculation (ct(table=1)): two passes, ct's result, the recirc id
#   - a BPF filter and a port select the packets; the refusals name what
#     was wrong (a filter libpcap cannot compile, a port, a second trace);
#     a timeout and Ctrl-C end the trace and disarm it
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
RUN=tr15$$  # this test's names (before anything is created)
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

must fpctl add-br "$BR"
add_bridge_host a 10.246.0.1
add_bridge_host b 10.246.0.2
A=$RUN-a B=$RUN-b
cat > "$WORK/rules.txt" <<EOF2
table=0,priority=10,arp,actions=NORMAL
table=0,priority=10,icmp,actions=NORMAL
table=0,priority=20,udp,tp_dst=5000,actions=NORMAL
table=0,priority=20,udp,tp_dst=9,actions=drop
table=0,priority=20,udp,tp_dst=7777,ct_state=-trk,actions=ct(table=1)
table=1,priority=20,udp,ct_state=+trk,actions=NORMAL
EOF2
must fpctl of del-flows "$BR"
must fpctl of add-flows "$BR" "$WORK/rules.txt"
must in_host a ping -c 2 -i 0.2 -W 2 -q 10.246.0.2   # both MACs learnt
PORT_B=$(fpctl --format json show "$BR" | "$PY" -c '
import json, sys
print([p["port_no"] for p in json.load(sys.stdin)[0]["ports"] if p["name"] == sys.argv[1]][0])' "$B")

send_udp() { in_host a bash -c "echo x > /dev/udp/10.246.0.2/$1"; }
# trace NAME ARGS...: fpctl trace-packets ARGS in the background (stdout to
# $WORK/NAME.out, stderr to NAME.err); returns once the trace is armed.
trace() {
  local name=$1; shift
  "$BIN/fpctl" --socket "$SOCK" trace-packets "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  TRACE_PID=$!
  wait_until 10 grep -q '^tracing ' "$WORK/$name.err" || { echo "FAIL: $name: not armed"; cat "$WORK/$name.err"; }
}
trace_done() { wait "$TRACE_PID"; }
# field FILE EXPR: a Python expression over the JSON records `r` of FILE.
field() { "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# ---- a miss that installs a flow
trace miss "$BR" "$A" --filter 'udp dst port 5000' --format json
send_udp 5000
trace_done
check "miss: exit 0" test $? = 0
check "miss: one record" test "$(field "$WORK/miss.out" 'len(r)')" = 1
check "miss: received on port $A" test "$(field "$WORK/miss.out" 'r[0]["in_port_name"]')" = "$A"
check "miss: layer miss, upcall queued" \
  test "$(field "$WORK/miss.out" 'r[0]["passes"][0]["layer"], r[0]["passes"][0]["upcall"]')" = "('miss', 'queued')"
check "miss: the key is the packet's" \
  grep -q 'udp(src=[0-9]*,dst=5000)' <(field "$WORK/miss.out" 'r[0]["passes"][0]["key"]')
installed=$(field "$WORK/miss.out" 'r[0]["passes"][0]["installed"]["ufid"]')
check "miss: the slow path installed a flow ($installed)" grep -Eq '^ufid:[0-9a-f-]{36}$' <<<"$installed"
check "miss: ... that outputs to $B" \
  test "$(field "$WORK/miss.out" 'r[0]["passes"][0]["installed"]["actions"]')" = "$B"
check "miss: ... and is in dump-flows" grep -q "^$installed" <(fpctl dump-flows -m "$BR")
check "miss: one upcall, nothing sent or dropped by the fast path" \
  test "$(field "$WORK/miss.out" 'r[0]["upcalls"], r[0]["sent"], r[0]["dropped"]')" = "(1, 0, 0)"

# ---- a hit of the installed flow (text)
trace hit "$BR" "$A" --filter 'udp dst port 5000'
send_udp 5000
trace_done
check "hit: exit 0" test $? = 0
check "hit: received on port $A" grep -q "^packet 1: received on port [0-9]* ($A) by thread 0, " "$WORK/hit.out"
check "hit: a cache or the classifier answered" \
  grep -Eq '^    layer: (megaflow classifier hit, [0-9]+ subtables? searched|signature cache hit|exact-match cache hit)$' "$WORK/hit.out"
check "hit: the flow the miss installed" grep -q "^    flow: $installed " "$WORK/hit.out"
check "hit: its output action, queued to $B" grep -q "^      $B -> queued to port $PORT_B ($B)$" "$WORK/hit.out"
check "hit: sent once" grep -q '^  result: sent 1, upcalls 0, dropped 0$' "$WORK/hit.out"

# ---- a drop
send_udp 9   # the first one installs the drop flow
wait_until 5 grep -q 'dst=9' <(fpctl dump-flows "$BR")
trace drop "$BR" --filter 'udp dst port 9' --format json
send_udp 9
trace_done
check "drop: exit 0" test $? = 0
reason=$(field "$WORK/drop.out" 'list(r[0]["drops"])[0]')
check "drop: a hit ($(field "$WORK/drop.out" 'r[0]["passes"][0]["layer"]'))" \
  test "$(field "$WORK/drop.out" 'r[0]["passes"][0]["layer"]')" != miss
check "drop: dropped once, reason $reason" \
  test "$(field "$WORK/drop.out" 'r[0]["dropped"], r[0]["sent"], r[0]["outputs"]')" = "(1, 0, [])"
check "drop: show -s counts that reason" grep -Eq "^    $reason: [1-9][0-9]*$" <(fpctl show -s "$BR")

# ---- a recirculation: ct(table=1)
send_udp 7777   # installs both passes' flows
wait_until 5 grep -q 'recirc_id(0x[1-9a-f]' <(fpctl dump-flows "$BR")
trace recirc "$BR" "$A" --filter 'udp dst port 7777' --format json
send_udp 7777
trace_done
check "recirc: exit 0" test $? = 0
check "recirc: two passes, both hits" \
  test "$(field "$WORK/recirc.out" '[p["layer"] != "miss" for p in r[0]["passes"]]')" = "[True, True]"
check "recirc: pass 0 runs ct then recirc" grep -Eq "^\['ct(\(.*\))?', 'recirc\(0x[0-9a-f]+\)'\]$" \
  <(field "$WORK/recirc.out" '[a["action"] for a in r[0]["passes"][0]["actions"]]')
check "recirc: ct's result is +trk" grep -q 'tracked: ct_state +.*trk' \
  <(field "$WORK/recirc.out" 'r[0]["passes"][0]["actions"][0]["result"]')
check "recirc: pass 1 is keyed on the recirc id" \
  test "$(field "$WORK/recirc.out" '"recirc_id(" + r[0]["passes"][0]["actions"][1]["action"][7:-1] + ")" in r[0]["passes"][1]["key"]')" = True
check "recirc: pass 1 outputs to $B, sent" \
  test "$(field "$WORK/recirc.out" 'r[0]["outputs"], r[0]["sent"]')" = "([{'name': '$B', 'port': $PORT_B}], 1)"
trace recirc_text "$BR" "$A" --filter 'udp dst port 7777'
send_udp 7777
trace_done
check "recirc (text): exit 0" test $? = 0
check "recirc (text): pass 1 is the recirculated packet's" \
  grep -q '^  pass 1 (recirculated): .*recirc_id(0x[0-9a-f]*)' "$WORK/recirc_text.out"
check "recirc (text): ct's line" grep -Eq '^      ct(\(.*\))? -> tracked: ct_state \+' "$WORK/recirc_text.out"

# ---- refusals, a timeout, Ctrl-C
fpctl trace-packets "$BR" --filter 'udp prot 5' 2> "$WORK/bad.err"; status=$?
check "a filter that does not compile: exit 1 ($status)" test "$status" = 1
check "... naming the filter and libpcap's reason" \
  grep -q '^fpctl: filter "udp prot 5" does not compile: .*syntax error' "$WORK/bad.err"
fpctl trace-packets "$BR" nosuchport 2> "$WORK/port.err"; status=$?
check "an unknown port: exit 1, named" \
  test "$status $(cat "$WORK/port.err")" = "1 fpctl: datapath $BR has no port nosuchport"
fpctl trace-packets "$BR" -c 0 2> "$WORK/count.err"; status=$?
check "a count of 0: exit 1, named" \
  test "$status $(cat "$WORK/count.err")" = "1 fpctl: trace count 0 is out of range (1 to 10000)"
fpctl trace-packets "$BR" --filter 'udp dst port 1' --timeout 0.3 > "$WORK/timeout.out" 2> "$WORK/timeout.err"
status=$?
check "a timeout: exit 1 ($status)" test "$status" = 1
check "... saying so" grep -q '^fpctl: trace-packets: timed out after 0 of 1 packet$' "$WORK/timeout.err"
check "... nothing printed" test ! -s "$WORK/timeout.out"
trace ctrlc "$BR" --filter 'udp dst port 1' -c 3
fpctl trace-packets "$BR" 2> "$WORK/second.err"; status=$?
check "a second trace while one is armed: exit 1 ($status)" test "$status" = 1
check "... naming the trace that runs" \
  grep -q "^fpctl: datapath $BR is already tracing (trace [0-9]*, 0 of 3 packets traced" "$WORK/second.err"
kill -INT "$TRACE_PID"
trace_done; status=$?
check "Ctrl-C: exit 1 ($status)" test "$status" = 1
check "... saying so" grep -q '^fpctl: trace-packets: interrupted after 0 of 3 packets$' "$WORK/ctrlc.err"
fpctl trace-packets "$BR" --filter 'udp dst port 1' --timeout 0.2 2> "$WORK/after.err"
check "... and the trace is gone: the next one arms (and times out)" \
  grep -q 'timed out after 0 of 1 packet' "$WORK/after.err"

# TRACE_OUTPUT_DIR=DIR keeps what fpctl printed (docs/observability.md shows it).
[ -n "${TRACE_OUTPUT_DIR:-}" ] && cp "$WORK"/*.out "$WORK"/*.err "$TRACE_OUTPUT_DIR"/
finish
