#!/usr/bin/env bash
# An upcall storm: while one TCP stream (iperf3) runs between hosts a and b
# through a bridge with its default NORMAL rule, host c floods frames from
# distinct source MACs, each a miss and an upcall.
#   - the stream's rate alone, then during the flood with the datapath's
#     upcall rate limit (set-dp --upcall-rate) and without it: printed, with
#     their ratio (timings are measured, not asserted: the machine is shared)
#   - the stream completes during the flood, and the control socket answers
#     every `fpctl show` while it runs (latencies printed)
#   - the flooding port's refused upcalls are counted under their reason,
#     datapath_drop_upcall_rate_limited, in show -s, pmd-stats-show and JSON
#   - every packet is accounted for: looked up = received (hit + missed, less
#     runts), and every miss whose upcall was not handled is a drop by reason
# Run under flock /tmp/flowpath-netns.lock (ctest RUN_SERIAL).
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
RUN=s9$$  # this test's names: s9<pid>-a, s9<pid>br
. "$(dirname "$0")/slow_path_lib.sh"

start_daemon --handler-threads 2
must fpctl add-br "$BR"
add_bridge_host a 10.254.9.1
add_bridge_host b 10.254.9.2
add_bridge_host c 10.254.9.3
check "ping a -> b" in_host a ping -c 2 -W 2 -q 10.254.9.2 >/dev/null
check "ping c -> b" in_host c ping -c 1 -W 2 -q 10.254.9.2 >/dev/null

# iperf_run SECONDS: a TCP stream a -> b; prints the receiver's bits/s (0 on failure).
iperf_run() {
  in_host_bg b iperf3 -s -1 -B 10.254.9.2 >/dev/null 2>&1
  wait_until 10 listening "$RUN-b" 5201 || { echo 0; return; }
  in_host a timeout 30 iperf3 -c 10.254.9.2 -t "$1" -J > "$WORK/iperf.json" 2>&1 || { echo 0; return; }
  "$PY" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
    "$WORK/iperf.json" 2>/dev/null || echo 0
}

# flood_start: host c sends 10,000 frames a second, each from a new source
# MAC, until stopped; the frame is made by scapy once, then sent with a
# packet socket, its source changed per frame. The frames go to c's own MAC,
# which the bridge learned on c's port: NORMAL sends them nowhere (counted as
# datapath_drop_no_output) until the flood's sources have filled the MAC
# table (8,192 entries) and evicted c's entry; from then on they flood to
# every port, as an unknown destination does. Returns once the flooder sends;
# writes the count sent to $WORK/flood.count when it ends.
flood_start() {
  rm -f "$WORK/flood.count" "$WORK/flood.ready"
  in_host_bg c "$PY" -c '
import signal, socket, struct, sys, time
from scapy.all import Ether, IP, UDP, raw, get_if_hwaddr
frame = bytearray(raw(Ether(src="02:99:00:00:00:00", dst=get_if_hwaddr("eth0")) /
                      IP(src="10.254.9.3", dst="10.254.9.200") / UDP(sport=1, dport=9) / (b"x" * 18)))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
sent = 0
stop = False
def done(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, done)
open(sys.argv[2], "w").write("ready")
start = time.monotonic()
while not stop:
    for _ in range(100):
        frame[8:12] = struct.pack(">I", sent & 0xffffffff)
        try:
            s.send(frame)
            sent += 1
        except OSError:
            pass
    ahead = sent / 10000.0 - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
open(sys.argv[1], "w").write(str(sent))
' "$WORK/flood.count" "$WORK/flood.ready"
  FLOOD_PID=$BG_PID
  must wait_until 30 test -e "$WORK/flood.ready"
}
# flood_stop: stops the flooder and sets FLOOD_SENT to the count it wrote.
# Not to be called in $(...): a subshell cannot wait for the flooder, and
# would read the count before it is written.
flood_stop() {
  kill -TERM "$FLOOD_PID" 2>/dev/null
  wait "$FLOOD_PID" 2>/dev/null
  FLOOD_SENT=$(cat "$WORK/flood.count" 2>/dev/null || echo 0)
}

# show_latencies SECONDS: `fpctl show` over and over while the flood runs;
# prints the worst latency in ms, or "failed" if one did not answer.
show_latencies() {
  local end=$(( $(now_ms) + $1 * 1000 )) worst=0 t
  while [ "$(now_ms)" -lt "$end" ]; do
    t=$(now_ms)
    timeout 10 "$BIN/fpctl" --socket "$SOCK" show "$BR" >/dev/null 2>&1 || { echo failed; return; }
    t=$(( $(now_ms) - t ))
    [ "$t" -gt "$worst" ] && worst=$t
  done
  echo "$worst"
}

json_field() {  # json_field PYTHON-EXPRESSION-OF-d (d: fpctl --format json show BR)
  fpctl --format json show -s "$BR" | "$PY" -c "import json,sys; d=json.load(sys.stdin)[0]; print($1)"
}

# ---- the stream alone
alone=$(iperf_run 4)
echo "  stream alone: $((alone / 1000000)) Mbit/s"
check "iperf3 a -> b alone" test "$alone" -gt 0

# ---- the stream during a flood, with the upcall rate limit
check "set-dp --upcall-rate 2000" fpctl set-dp "$BR" --upcall-rate 2000
check "show says the upcall rate" grep -q 'upcall rate: 2000/s' <(fpctl show "$BR")
check "upcall/show says the upcall rate" grep -q 'upcall rate   : 2000/s' <(fpctl upcall/show)
flood_start
latency_file=$WORK/latency
( show_latencies 5 > "$latency_file" ) &
LAT_PID=$!
limited=$(iperf_run 4)
wait "$LAT_PID"
flood_stop
sent_limited=$FLOOD_SENT
worst=$(cat "$latency_file")
echo "  stream during the flood, upcall rate 2000/s: $((limited / 1000000)) Mbit/s" \
     "($(( alone ? limited * 100 / alone : 0 )) % of alone); flood frames sent: $sent_limited"
echo "  fpctl show during the flood: worst latency $worst ms"
check "iperf3 a -> b completes during the flood" test "$limited" -gt 0
check "the flood sent frames ($sent_limited)" test "$sent_limited" -gt 1000
check "fpctl show answered every time during the flood" test "$worst" != failed

port_c_drops() {  # the rate-limited upcalls counted against port c
  fpctl --format json show -s "$BR" | "$PY" -c '
import json, sys
for p in json.load(sys.stdin)[0]["ports"]:
    if p["name"] == sys.argv[1]: print(p["drops"]["datapath_drop_upcall_rate_limited"])' "$RUN-c"
}
refused=$(port_c_drops)
echo "  upcalls refused by the rate limit on port c: $refused"
check "port c's refused upcalls are counted as datapath_drop_upcall_rate_limited" test "${refused:-0}" -gt 0
check "show -s names the reason" grep -q 'datapath_drop_upcall_rate_limited: [1-9]' <(fpctl show -s "$BR")
check "pmd-stats-show names the reason" grep -q 'datapath_drop_upcall_rate_limited: [1-9]' <(fpctl pmd-stats-show)
upcall_show=$(fpctl upcall/show)
echo "$upcall_show" | sed 's/^/  /'
check "upcall/show counts the refused upcalls" grep -Eq 'refused [1-9]' <<<"$upcall_show"

# ---- the same flood without a limit
check "set-dp --upcall-rate 0 (unlimited)" fpctl set-dp "$BR" --upcall-rate 0
flood_start
unlimited=$(iperf_run 4)
flood_stop
sent_unlimited=$FLOOD_SENT
echo "  stream during the flood, no upcall rate limit: $((unlimited / 1000000)) Mbit/s" \
     "($(( alone ? unlimited * 100 / alone : 0 )) % of alone); flood frames sent: $sent_unlimited"
check "iperf3 a -> b completes during the unlimited flood" test "$unlimited" -gt 0

# ---- every packet accounted for: each one received was looked up (or
# dropped as a runt), each lookup hit or missed, and each miss was handled by
# the slow path or dropped under an upcall reason (a miss that reached a
# handler before the bridge existed counts as datapath_drop_upcall_no_handler,
# not as lost). The handlers drain the queues first; a snapshot is taken
# until one is consistent (ARP may still be on its way).
accounted() {
  fpctl --format json show -s "$BR" > "$WORK/show.json" || return 1
  fpctl --format json ofproto-stats > "$WORK/ofstats.json" || return 1
  "$PY" - "$WORK/show.json" "$WORK/ofstats.json" > "$WORK/accounting" <<'EOF'
import json, sys
dp = json.load(open(sys.argv[1]))[0]
s = dp["stats"]
rx = sum(p["stats"]["rx_packets"] for p in dp["ports"])
runts = s["drops"]["datapath_drop_rx_invalid_packet"]
upcall_drops = sum(v for k, v in s["drops"].items() if k.startswith("datapath_drop_upcall_"))
upcalls = json.load(open(sys.argv[2]))["upcalls"]
print(f"rx {rx} = hit {s['hit']} + missed {s['missed']} + runts {runts}; "
      f"missed {s['missed']} = upcalls handled {upcalls} + upcall drops by reason {upcall_drops} "
      f"(lost {s['lost']}); queued {s['upcalls_queued']}")
for k, v in s["drops"].items():
    if v: print(f"  {k}: {v}")
ok = (rx == s["hit"] + s["missed"] + runts and s["missed"] == upcalls + upcall_drops and
      s["lost"] <= upcall_drops and s["upcalls_queued"] == 0)
sys.exit(0 if ok else 1)
EOF
}
wait_until 10 accounted; status=$?
sed 's/^/  /' "$WORK/accounting"
check "every packet received was looked up, every miss handled or dropped by a named reason" \
  test "$status" = 0

# ---- bad settings are refused and change nothing
before=$(fpctl --format json show "$BR" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["stats"]["flow_limit_configured"], d["stats"]["upcall_rate"], d["max_idle_ms"])')
check "set-dp --flow-limit 0 is refused" \
  grep -q 'flow-limit 0 out of range 1..4194304' <(fpctl set-dp "$BR" --flow-limit 0 --upcall-rate 5 2>&1)
check "set-dp --max-idle 10 is refused" \
  grep -q 'max-idle 10 ms is below 500 ms' <(fpctl set-dp "$BR" --max-idle 10 2>&1)
check "set-dp --emc maybe is refused" grep -q 'on or off' <(fpctl set-dp "$BR" --emc maybe 2>&1)
after=$(fpctl --format json show "$BR" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["stats"]["flow_limit_configured"], d["stats"]["upcall_rate"], d["max_idle_ms"])')
check "nothing changed ($before)" test "$before" = "$after"
check "set-dp --flow-limit 50000 --max-idle 2000 --emc on" \
  fpctl set-dp "$BR" --flow-limit 50000 --max-idle 2000 --emc on
for line in 'max_idle_ms = 2000' 'flow_limit = 50000' 'upcall_rate = 0' 'emc = true'; do
  check "kept in the state file: $line" grep -qx "$line" "$WORK/state.toml"
done
check "show says so" grep -q 'flow limit: [0-9]* (set: 50000)  max-idle: 2000 ms.*emc: on' <(fpctl show "$BR")

finish
