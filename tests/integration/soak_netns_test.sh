#!/usr/bin/env bash
# Soak (issue 17): traffic through a bridge for SOAK_SECONDS (default 45; an
# hour is `SOAK_SECONDS=3600 bash tests/integration/soak_netns_test.sh
# build/tools`) while OpenFlow rules are added, modified and deleted, a port
# comes and goes, the datapath's megaflows are flushed, and control clients
# connect, stall and disconnect. At the end:
#   - no packet is unaccounted: every packet the bridge's ports received was
#     sent on, or counted as a drop with its reason (rx <= tx + drops; a
#     flood sends one packet several times, never fewer);
#   - every ping the hosts lost is covered by a counted drop;
#   - the daemon's memory is flat: its RSS at the end is within 20 % (or
#     4 MB) of what it was after the first tenth of the run;
#   - the state file equals the configuration: a restarted daemon has the
#     rules and ports the churn left, as the script tracked them.
set -uo pipefail
BIN=$1
SECONDS_TOTAL=${SOAK_SECONDS:-45}
. "$(dirname "$0")/netns_lib.sh"

SW=$RUN-sw
BR=${RUN}br
A=10.247.1.1 B=10.247.1.2 C=10.247.1.3
ip netns add "$SW"; NAMESPACES+=("$SW")
ip -n "$SW" link set lo up
add_switch_host a $A
add_switch_host b $B
add_switch_host c $C
add_switch_host d 10.247.1.4   # the port that comes and goes
DAEMON_NETNS=$SW
# In the sanitizer build, AddressSanitizer holds freed memory in a quarantine
# (256 MB by default) before reusing it, so the daemon's RSS climbs for the
# whole run whatever the code does. A 1 MB quarantine keeps the RSS check
# about the daemon's own memory there; other builds ignore the variable.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
start_daemon

must fpctl add-br "$BR"
for h in a b c; do must fpctl add-port "$BR" "$RUN-$h"; done
check "a reaches b and c before the soak" in_host a ping -c 2 -i 0.2 -W 2 -q $B
check "... and c" in_host a ping -c 2 -i 0.2 -W 2 -q $C

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DAEMON_PID/status"; }

# Traffic for the whole run: a <-> b and c <-> a, 100 pings a second each.
count=$(( SECONDS_TOTAL * 100 ))
in_host a ping -q -i 0.01 -c "$count" -W 1 $B > "$WORK/ping-ab" 2>&1 &
ping_ab=$!; BACKGROUND+=("$ping_ab")
in_host c ping -q -i 0.01 -c "$count" -W 1 $A > "$WORK/ping-ca" 2>&1 &
ping_ca=$!; BACKGROUND+=("$ping_ca")

# client_churn: connect and close, send half a request and go, stall with a
# request sent and its reply unread for a while, pipeline a few.
client_churn() {
  /usr/bin/python3 - "$SOCK" <<'EOF'
import json, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); return s
conn().close()
s = conn(); s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"dp.li'); s.close()
stalled = conn()
stalled.sendall((json.dumps({"jsonrpc": "2.0", "id": 2, "method": "dp.list", "params": {}}) + "\n").encode() * 50)
p = conn()
p.sendall(b'{"jsonrpc":"2.0","id":3,"method":"dp.list","params":{}}\n' * 5)
got = b""
while got.count(b"\n") < 5:
    b = p.recv(65536)
    if not b: sys.exit("pipelined client: connection closed early")
    got += b
time.sleep(0.5)  # the stalled client holds its unread replies meanwhile
stalled.close()
EOF
}

rules=()          # the drop rules the churn has in place, oldest first
iteration=0 d_attached=0 churn_failures=0
start=$(date +%s)
warm_rss=
# The churn lasts as long as the traffic (SOAK_SECONDS on an idle machine,
# longer on a loaded one: ping keeps its interval only as well as it can).
while kill -0 "$ping_ab" 2>/dev/null || kill -0 "$ping_ca" 2>/dev/null; do
  iteration=$((iteration + 1))
  net=$(( iteration % 250 ))
  rule="priority=200,ip,nw_dst=10.250.$net.1"
  if fpctl of add-flow "$BR" "$rule,actions=drop" > /dev/null; then
    rules+=("$rule")
  else
    churn_failures=$((churn_failures + 1))
  fi
  if [ "${#rules[@]}" -gt 10 ]; then
    fpctl of del-flows --strict "$BR" "${rules[0]}" > /dev/null || churn_failures=$((churn_failures + 1))
    rules=("${rules[@]:1}")
  fi
  # Modify a rule's actions back and forth (drop, then NORMAL for 10.251/16).
  if (( iteration % 2 )); then action=drop; else action=NORMAL; fi
  fpctl of add-flow "$BR" "priority=150,ip,nw_dst=10.251.0.0/16,actions=$action" > /dev/null ||
    churn_failures=$((churn_failures + 1))
  if (( iteration % 5 == 0 )); then
    if (( d_attached )); then
      fpctl del-port "$BR" "$RUN-d" > /dev/null && d_attached=0 || churn_failures=$((churn_failures + 1))
    else
      fpctl add-port "$BR" "$RUN-d" > /dev/null && d_attached=1 || churn_failures=$((churn_failures + 1))
    fi
  fi
  if (( iteration % 7 == 0 )); then
    fpctl del-flows "$BR" > /dev/null || churn_failures=$((churn_failures + 1))
  fi
  client_churn || churn_failures=$((churn_failures + 1))
  if [ -z "$warm_rss" ] && [ $(( $(date +%s) - start )) -ge $(( SECONDS_TOTAL / 10 )) ]; then
    warm_rss=$(rss_kb)
  fi
done
if (( d_attached )); then must fpctl del-port "$BR" "$RUN-d"; fi
echo "soak: $iteration iterations in $(( $(date +%s) - start )) s; ${#rules[@]} drop rules in place"
check "every churn step succeeded" test "$churn_failures" -eq 0

wait "$ping_ab"; wait "$ping_ca"
# The counters settle once the last packets have left the threads.
sleep 0.5  # a batch in flight on a forwarding thread, not a condition to poll
end_rss=$(rss_kb)

read -r rx tx dropped lookups < <(fpctl --format json show -s "$BR" | /usr/bin/python3 -c '
import json, sys
dp = json.load(sys.stdin)[0]
rx = sum(p["stats"]["rx_packets"] for p in dp["ports"])
tx = sum(p["stats"]["tx_packets"] for p in dp["ports"])
print(rx, tx, dp["stats"]["dropped"], dp["stats"].get("hit", 0) + dp["stats"].get("missed", 0))')
echo "bridge ports: rx $rx, tx $tx, drops $dropped"
fpctl show -s "$BR" | sed -n '/drops:/,/port /p' | grep -v ': 0$' | head -20
check "no packet unaccounted: rx ($rx) <= tx ($tx) + drops ($dropped)" test "$rx" -le $((tx + dropped))

lost() {  # lost PING-OUTPUT: transmitted - received
  sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1" | awk '{print $1 - $2}'
}
lost_ab=$(lost "$WORK/ping-ab") lost_ca=$(lost "$WORK/ping-ca")
echo "pings: a->b $(grep transmitted "$WORK/ping-ab")"
echo "pings: c->a $(grep transmitted "$WORK/ping-ca")"
check "both pings ran to the end" test -n "$lost_ab" -a -n "$lost_ca"
check "every lost ping is a counted drop ($((lost_ab + lost_ca)) lost, $dropped drops)" \
  test $((lost_ab + lost_ca)) -le "$dropped"

echo "daemon RSS: $warm_rss KB after the first tenth, $end_rss KB at the end"
allowed=$(( warm_rss / 5 > 4096 ? warm_rss / 5 : 4096 ))
check "the daemon's memory is flat (within $allowed KB)" test $((end_rss - warm_rss)) -le "$allowed"

# The state file equals the configuration: the same rules and ports after a restart.
expected_rules() {
  for r in "${rules[@]}"; do echo "$r"; done
  echo "priority=150,ip,nw_dst=10.251.0.0/16"
}
our_rules() {  # the churned rules a daemon has, as match text
  fpctl of dump-flows --no-stats "$BR" | sed -n 's/^ *\(priority=[12][05]0,[^ ]*\) actions=.*/\1/p' | sort
}
actions_151() { fpctl of dump-flows --no-stats "$BR" | grep -o 'nw_dst=10.251.0.0/16 actions=[A-Za-z]*'; }
before_rules=$(our_rules) before_ports=$(fpctl list-ports "$BR") before_action=$(actions_151)
check "the rules in place are those the churn left" \
  test "$before_rules" = "$(expected_rules | sort)"
stop_daemon || true
start_daemon
check "after a restart: the same rules" test "$(our_rules)" = "$before_rules"
check "after a restart: the modified rule's last actions" test "$(actions_151)" = "$before_action"
check "after a restart: the same ports ($(echo $before_ports))" test "$(fpctl list-ports "$BR")" = "$before_ports"
check "after a restart: a still reaches b" in_host a ping -c 2 -i 0.2 -W 2 -q $B
must fpctl del-br "$BR"
stop_daemon || true

[ "$FAILURES" -eq 0 ] || { echo "$FAILURES check(s) failed"; exit 1; }
echo "PASS"
