#!/usr/bin/env bash
# Every packet a datapath does not forward is counted under a named reason,
# and fpctl shows it: show -s (ovs-dpctl's layout plus the drops), its JSON,
# pmd-stats-show, and execute's report.
#   - a flow without actions: datapath_drop_no_output, one per ping
#   - frames over the output port's MTU: datapath_drop_mtu_exceeded, also
#     under that port
#   - misses on a datapath without slow path: datapath_drop_upcall_no_handler,
#     also under the input port
#   - execute of a packet its actions drop: exit status 1 and the reason
#   - the JSON agrees with the text; the threads' drops add up to the datapath's
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
PY=/usr/bin/python3
start_daemon

add_host a 10.249.0.1; add_host b 10.249.0.2
ip link set "$RUN-b" mtu 1000  # port 2 carries at most 1000 bytes of payload
DP="$RUN"x
fpctl add-dp "$DP" "$RUN-a" "$RUN-b"
sysctl -qw "net.ipv6.conf.$DP.disable_ipv6=1" 2>/dev/null  # the local port stays quiet
fpctl add-flow "$DP" 'in_port(1),eth(),eth_type(0x0806),arp()' 2
fpctl add-flow "$DP" 'in_port(2),eth(),eth_type(0x0806),arp()' 1
fpctl add-flow "$DP" 'in_port(2),eth(),eth_type(0x0800),ipv4()' 1

# drop_count REASON [PORT]: the datapath's count for REASON in show -s, or
# port PORT's (0 when the line is absent). The datapath's reasons are
# indented by 4 before the first port, a port's by 6 after its lines.
drop_count() {
  fpctl show -s "$DP" | awk -v r="$1:" -v p="${2:-}" '
    /^  port [0-9]+:/ {port = $2; sub(":", "", port)}
    p == "" && port == "" && /^    [a-z_]+: [0-9]+$/ && $1 == r {n = $2}
    p != "" && port == p && /^      [a-z_]+: [0-9]+$/ && $1 == r {n = $2}
    END {print n + 0}'
}
# wait_for COUNT-COMMAND... VALUE: polls until the command prints VALUE (5 s).
wait_for() {
  local want=${*: -1} got
  for _ in $(seq 50); do
    got=$("${@:1:$#-1}")
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  echo "  (still $got, wanted $want)"
  return 1
}

# ---- a flow without actions ("drop", the empty list)
fpctl add-flow "$DP" 'in_port(1),eth(),eth_type(0x0800),ipv4()' drop
check_not "a flow without actions: ping a -> b fails" in_host a ping -c 3 -i 0.2 -W 1 -q 10.249.0.2
check "3 echo requests counted as datapath_drop_no_output" \
  wait_for drop_count datapath_drop_no_output 3

# ---- frames over the output port's MTU
fpctl mod-flow "$DP" 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
check "a frame within port 2's MTU goes through" in_host a ping -c 1 -W 2 -q -s 900 10.249.0.2
check_not "frames over port 2's MTU are dropped" in_host a ping -c 2 -i 0.2 -W 1 -q -s 1200 10.249.0.2
check "2 frames counted as datapath_drop_mtu_exceeded" \
  wait_for drop_count datapath_drop_mtu_exceeded 2
check "... and under port 2" wait_for drop_count datapath_drop_mtu_exceeded 2 2
check "port 1 has no drop line" test "$(drop_count datapath_drop_mtu_exceeded 1)" = 0

# ---- misses on a datapath without slow path
fpctl del-flows "$DP"
check_not "no flows: ping fails" in_host a ping -c 2 -i 0.2 -W 1 -q 10.249.0.2
missed=$(dp_counter "$DP" missed)
check "every miss ($missed) counted as datapath_drop_upcall_no_handler" \
  wait_for drop_count datapath_drop_upcall_no_handler "$missed"
check "... some of them under port 1" test "$(drop_count datapath_drop_upcall_no_handler 1)" -ge 2

# ---- show -s: ovs-dpctl's port lines, then the drops
show=$(fpctl show -s "$DP")
check "show -s: RX line as ovs-dpctl's" grep -Eq '^    RX packets:[0-9]+ errors:[0-9]+ dropped:[0-9]+ overruns:\? frame:\?$' <<<"$show"
check "show -s: TX line as ovs-dpctl's" grep -Eq '^    TX packets:[0-9]+ errors:[0-9]+ dropped:[0-9]+ aborted:\? carrier:\?$' <<<"$show"
check "show -s: a drops total" grep -Eq '^  drops: [0-9]+$' <<<"$show"
check_not "show without -s: no drops section" grep -q 'drops:' <(fpctl show "$DP")

# ---- execute: a packet its actions drop is reported, with exit status 1
# Ethernet from a's MAC, an IPv4 header from a to b.
frame=ffffffffffff$(host_mac a | tr -d :)08004500001400000000401100000af900010af90002
fpctl execute "$DP" "$frame" 2 2>"$WORK/execute.err"
check "execute to a port: exit 0, nothing on stderr" test $? = 0 -a ! -s "$WORK/execute.err"
fpctl execute "$DP" "$frame" drop 2>"$WORK/execute.err"
status=$?
check "execute of a dropped packet: exit 1 ($status)" test "$status" = 1
check "... naming the reason" grep -q 'fpctl: execute: 1 packet dropped: datapath_drop_no_output' "$WORK/execute.err"
fpctl execute "$DP" "$frame" '2,lb_output(1)' 2>"$WORK/execute.err"
status=$?
check "execute, one copy sent and one dropped: exit 0 ($status)" test "$status" = 0
check "... with the drop reported" grep -q 'datapath_drop_invalid_bond' "$WORK/execute.err"
check "execute --format json reports the drops" test "$(fpctl --format json execute "$DP" "$frame" drop 2>/dev/null |
  "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["sent"], r["dropped"], r["drops"])')" \
  = "0 1 {'datapath_drop_no_output': 1}"

# ---- the JSON says what the text says, and the threads add up
# The three reads below must see the same counts: quiet the hosts first (the
# kernel goes on resolving addresses for seconds after the failed pings, and
# each ARP request is one more miss) and wait until nothing moves.
in_host a ip link set eth0 down
in_host b ip link set eth0 down
drops_total() {
  fpctl --format json show -s "$DP" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["dropped"])'
}
settled() {
  local before after
  before=$(drops_total); sleep 0.3; after=$(drops_total)
  [ "$before" = "$after" ] && echo yes || echo "no ($before then $after)"
}
check "the hosts are quiet and the counters settle" wait_for settled yes
fpctl --format json show -s "$DP" > "$WORK/show.json"
fpctl show -s "$DP" > "$WORK/show.txt"
fpctl --format json pmd-stats-show > "$WORK/threads.json"
check "JSON: every reason, the same counts as the text, threads summing to the datapath" \
  "$PY" - "$WORK/show.json" "$WORK/show.txt" "$WORK/threads.json" <<'EOF'
import json, re, sys
dp = json.load(open(sys.argv[1]))[0]
text = open(sys.argv[2]).read()
threads = json.load(open(sys.argv[3]))
drops = dp["stats"]["drops"]
ok = True
def fail(msg):
    global ok
    print("   ", msg)
    ok = False
if len(drops) < 20 or not all(k.startswith(("datapath_drop_", "drop_action_")) for k in drops):
    fail("not every reason is in the JSON: %s" % sorted(drops))
if dp["stats"]["dropped"] != sum(drops.values()):
    fail("dropped %d != sum of reasons %d" % (dp["stats"]["dropped"], sum(drops.values())))
dp_part = text.split("  port ")[0]
shown = dict(re.findall(r"^    ([a-z_]+): (\d+)$", dp_part, re.M))
for name, n in drops.items():
    if n and shown.get(name) != str(n):
        fail("%s: JSON %d, text %s" % (name, n, shown.get(name)))
    if not n and name in shown:
        fail("%s: zero, yet shown" % name)
for port in dp["ports"]:
    if port["dropped"] != sum(port["drops"].values()):
        fail("port %d: dropped != sum" % port["port_no"])
# What has a port is counted under it too: the ports add up to the datapath.
for name in drops:
    if name.startswith("datapath_drop_upcall_") or name == "datapath_drop_mtu_exceeded":
        by_ports = sum(p["drops"][name] for p in dp["ports"])
        if by_ports != drops[name]:
            fail("%s: ports %d, datapath %d" % (name, by_ports, drops[name]))
summed = {}
for t in threads:
    for name, n in t["drops"].items():
        summed[name] = summed.get(name, 0) + n
if summed != drops:
    fail("threads (main included) %s != datapath %s" %
         ({k: v for k, v in summed.items() if v}, {k: v for k, v in drops.items() if v}))
sys.exit(0 if ok else 1)
EOF

# ---- pmd-stats-show in Open vSwitch's layout, with the drops
pmd=$(fpctl pmd-stats-show)
for line in 'packets received: ' 'packet recirculations: ' 'avg. datapath passes per packet: ' \
            'emc hits: ' 'smc hits: ' 'megaflow hits: ' 'avg. subtable lookups per megaflow hit: ' \
            'miss with success upcall: ' 'miss with failed upcall: ' 'avg. packets per output batch: ' \
            'idle cycles: ' 'processing cycles: '; do
  check "pmd-stats-show: '$line'" grep -q "^  $line" <<<"$pmd"
done
check "pmd-stats-show: a pmd thread and the main thread" \
  grep -q '^pmd thread id 0' <<<"$pmd"
check "pmd-stats-show: main thread" grep -q '^main thread:' <<<"$pmd"
check "pmd-stats-show: the pmd's drops" grep -q '^    datapath_drop_no_output: 3$' <<<"$pmd"

finish
