#!/usr/bin/env bash
# Logs that explain, as an operator reads them in the log file:
#   - fpctl vlog/set datapath:dbg takes effect while the daemon runs: the
#     datapath's debug lines (which ports each forwarding thread polls)
#     appear only after it, and stop after datapath:info;
#   - a port's interface deleted and re-created is logged by the datapath,
#     at warning when it goes and at info when it comes back;
#   - a bad vlog/set is refused with a precise error and changes nothing;
#   - a flood of lost upcalls (the datapath's upcall rate limit, then no
#     slow path) yields a bounded number of warnings, the later ones with
#     the count of reports suppressed.
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
RUN=vl15$$  # every namespace and interface of this test starts with vl15

LOG=$WORK/log/flowpathd.log
mkdir -m 0700 "$WORK/log"
start_daemon --log-file "$LOG"
DP=${RUN}dp
add_host a 10.253.15.1
add_host b 10.253.15.2
must fpctl add-dp "$DP"
must fpctl add-if "$DP" "$RUN-a"
A_MAC=$(host_mac a)

# lines LEVEL MODULE TEXT: log lines of that level and module holding TEXT.
lines() { grep -F "] [$1] [$2] " "$LOG" | grep -cF -- "$3"; }
has() { [ "$(lines "$@")" -gt 0 ]; }

check "the attach is logged at info by the datapath" has info datapath "port 1 $RUN-a (afpacket) attached"
check "the ring setup is logged at info by the vport layer" has info vport "afpacket port $RUN-a: socket bound"
check_not "no datapath debug line before vlog/set" has debug datapath "forwarding thread"

# Refused: the levels stay as they were.
before=$(fpctl vlog/list)
out=$(fpctl vlog/set datapth:dbg 2>&1); status=$?
echo "refused: $out"
check "an unknown module is refused (exit 1)" test "$status" -eq 1
check "... naming the word and what it could be" grep -qF '"datapth" is no module or destination (modules: common,' <<<"$out"
out=$(fpctl vlog/set datapath:console:loud 2>&1)
check "an unknown level is refused" grep -qF '"loud" is no level (levels: off, emer, err, warn, info, dbg)' <<<"$out"
out=$(fpctl vlog/set datapath:journal:dbg 2>&1)
check "an unknown destination is refused" grep -qF '"journal" is no destination (destinations: console, syslog, file, ANY)' <<<"$out"
out=$(fpctl vlog/set datapath:dbg vport:loud 2>&1)
check "one bad setting among good ones is refused" grep -qF '"vport:loud": "loud" is no destination or level' <<<"$out"
check "... and nothing changed" test "$before" = "$(fpctl vlog/list)"

must fpctl vlog/set datapath:dbg
fpctl vlog/list | sed -n '1,2p;/^datapath /p'
check "vlog/list shows datapath at DBG everywhere" grep -q '^datapath *DBG *DBG *DBG$' <(fpctl vlog/list)
must fpctl add-if "$DP" "$RUN-b"
check "a datapath debug line once it is on" wait_until 5 has debug datapath "polls 3 port(s): $DP/$DP, $DP/$RUN-a, $DP/$RUN-b"

ip link del "$RUN-a"
check "the interface's deletion: warning" wait_until 5 has warning datapath \
  "port 1 $RUN-a: interface $RUN-a was deleted: port detached, waiting for the interface to return"
ip link add "$RUN-a" type veth peer name eth0 netns "$RUN-a"
ip link set "$RUN-a" up
ip -n "$RUN-a" link set eth0 address "$A_MAC"
ip -n "$RUN-a" addr add 10.253.15.1/24 dev eth0
ip -n "$RUN-a" link set eth0 up
check "its return: info" wait_until 5 has info datapath \
  "port 1 $RUN-a: interface $RUN-a appeared: port attached"
grep -F "$RUN-a" "$LOG" | grep -vF '"method"' | tail -n 6

must fpctl vlog/set datapath:info
debug_before=$(lines debug datapath "forwarding thread")
must fpctl del-if "$DP" "$RUN-b"
check "the removal is logged" wait_until 5 has info datapath "port 2 $RUN-b (afpacket) detached"
check "no datapath debug line after datapath:info" test "$(lines debug datapath "forwarding thread")" -eq "$debug_before"

# Upcall loss: every frame a misses (no flows, no slow path for a bare
# datapath); one upcall a second is admitted, the rest are refused by the
# forwarding thread (upcall_rate_limited) and counted there.
must fpctl set-dp "$DP" --upcall-rate 1
must ip -n "$RUN-a" neigh replace 10.253.15.2 lladdr 02:00:00:00:15:02 dev eth0
flood_seconds=7
lost_lines_before=$(lines warning datapath "upcall(s) in the last")
start=$(date +%s)
in_host a ping -q -f -w "$flood_seconds" 10.253.15.2 >/dev/null 2>&1
suppressed() { has warning datapath "messages like this suppressed since the last one"; }
check "a later loss report carries the count suppressed" wait_until 15 suppressed
elapsed=$(( $(date +%s) - start ))
lost_lines=$(( $(lines warning datapath "upcall(s) in the last") - lost_lines_before ))
grep -F "upcall(s) in the last" "$LOG"
echo "$lost_lines loss reports in ${elapsed} s; the datapath counts lost:$(dp_counter "$DP" lost)"
# A burst of 3 (which the hosts' own first frames may have taken), then one
# every 5 s: never one a check (10 a second).
check "the loss reports are bounded (3 + 1 per 5 s)" test "$lost_lines" -le $(( 3 + elapsed / 5 + 1 ))
check "there was a flood to report (over 100 upcalls lost)" test "$(dp_counter "$DP" lost)" -gt 100
check "at least one report during it" test "$lost_lines" -ge 1
check "the reports name the reason" has warning datapath "upcall_rate_limited"
finish
