# Helpers for namespace tests: hosts on veth pairs, a private flowpathd, and
# cleanup of everything on exit (also on failure). Source it; set BIN first.
# Names carry a per-run prefix so parallel runs never collide; addresses are
# only ever assigned inside namespaces this file creates.

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
  echo "SKIP: needs root and ip netns"
  exit 77
fi

. "$(dirname "${BASH_SOURCE[0]}")/wait_lib.sh"

RUN=fp$$
WORK=$(mktemp -d)
SOCK=$WORK/flowpathd.sock
NAMESPACES=()
LINKS=()
BACKGROUND=()  # processes started inside namespaces: deleting a namespace does not end them
DAEMON_PID=
FAILURES=0

cleanup() {
  local status=$?  # the script's
  for pid in "${BACKGROUND[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${BACKGROUND[@]}"; do wait "$pid" 2>/dev/null; done
  # A test that ends with the daemon still running (an early exit) stops it
  # here; its exit is checked like stop_daemon's, so an early exit cannot hide
  # a crash or a leak at shutdown.
  if [ -n "$DAEMON_PID" ]; then
    stop_daemon || status=1
  fi
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  for l in "${LINKS[@]}"; do ip link del "$l" 2>/dev/null; done
  # A bridge kept in a state file keeps its devices after the daemon stops
  # (as Open vSwitch's do); every name this run made starts with $RUN.
  for l in $(kept_devices); do ip link del "$l" 2>/dev/null; done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fpctl() { "$BIN/fpctl" --socket "$SOCK" "$@"; }

# kept_devices: the tap devices of this run's bridges left in the root
# namespace (a bridge's devices outlive the daemon).
kept_devices() {
  ip -o link show type tun 2>/dev/null | sed -n "s/^[0-9]*: \($RUN[^:@]*\).*/\1/p"
}

# start_daemon [OPTION...]: the bridges' state lives in $WORK/state.toml
# unless the options say otherwise (never in the system's default place).
start_daemon() {
  local state=(--state-file "$WORK/state.toml")
  case " $* " in *" --state-file "*|*" --no-state "*) state=() ;; esac
  local netns=()  # DAEMON_NETNS=NAME: the daemon runs in that namespace
  [ -n "${DAEMON_NETNS:-}" ] && netns=(ip netns exec "$DAEMON_NETNS")
  "${netns[@]}" "$BIN/flowpathd" --socket "$SOCK" "${state[@]}" "$@" >> "$WORK/flowpathd.log" 2>&1 &
  DAEMON_PID=$!
  wait_until 20 daemon_ready
  kill -0 "$DAEMON_PID" 2>/dev/null && [ -S "$SOCK" ] && return 0
  echo "flowpathd did not start:"; cat "$WORK/flowpathd.log"; exit 1
}

# daemon_ready: the socket answers, or the daemon is gone (no use waiting).
daemon_ready() {
  kill -0 "$DAEMON_PID" 2>/dev/null || return 0
  [ -S "$SOCK" ] && "$BIN/fpctl" --socket "$SOCK" dump-dps >/dev/null 2>&1
}

# stop_daemon: SIGTERM, and wait until it has closed every port. The daemon
# must exit with status 0 and report nothing on the way out: in a sanitizer
# build a leak (LeakSanitizer runs at exit) or a memory error fails the test.
stop_daemon() {
  [ -n "$DAEMON_PID" ] || return 0
  local status=0
  kill -TERM "$DAEMON_PID" 2>/dev/null
  wait "$DAEMON_PID" 2>/dev/null || status=$?
  DAEMON_PID=
  rm -f "$SOCK"
  if [ "$status" -ne 0 ] || grep -qE '^(==[0-9]+==ERROR|SUMMARY): |runtime error: ' "$WORK/flowpathd.log"; then
    echo "FAIL: flowpathd did not exit cleanly on SIGTERM (status $status)"
    tail -n 60 "$WORK/flowpathd.log"
    FAILURES=$((FAILURES + 1))
    return 1
  fi
}

# add_host NAME IP [MAC]: namespace $RUN-NAME with eth0 (IP/24); its peer in
# the root namespace is $RUN-NAME (the interface to attach). Both ends keep
# the veth's default offloads.
add_host() {
  local ns=$RUN-$1 host_if=$RUN-$1
  ip netns add "$ns"; NAMESPACES+=("$ns")
  ip link add "$host_if" type veth peer name eth0 netns "$ns"; LINKS+=("$host_if")
  [ -n "${3:-}" ] && ip -n "$ns" link set eth0 address "$3"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" addr add "$2/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  # Offloads stay at the veth's defaults (partial checksums, TSO): flowpath's
  # ports take them (docs/datapath.md, "Offloads").
  ip link set "$host_if" up
  sysctl -qw "net.ipv6.conf.$host_if.disable_ipv6=1"
}

# in_host_bg NAME COMMAND...: runs COMMAND in the host's namespace in the
# background; it is ended on exit. Its pid is in $BG_PID.
in_host_bg() {
  local h=$1; shift
  ip netns exec "$RUN-$h" "$@" &
  BG_PID=$!
  BACKGROUND+=("$BG_PID")
}

# start_capture OUTPUT TCPDUMP-ARGUMENTS...: tcpdump (line-buffered, its
# text in OUTPUT) in the background, returning once it is capturing. Its pid
# is in $CAPTURE_PID; it is ended on exit.
start_capture() {
  local output=$1; shift
  tcpdump -l "$@" > "$output" 2> "$output.err" &
  CAPTURE_PID=$!
  BACKGROUND+=("$CAPTURE_PID")
  wait_until 10 grep -q 'listening on' "$output.err" ||
    { echo "FAIL: tcpdump $* is not capturing after 10 s"; cat "$output.err"; exit 1; }
}

# add_switch_host NAME IP: namespace $RUN-NAME with eth0 at IP/24, its peer
# $RUN-NAME in the switch's namespace $SW (tests whose daemon runs in a
# namespace of its own, DAEMON_NETNS).
add_switch_host() {
  local ns=$RUN-$1
  ip netns add "$ns"; NAMESPACES+=("$ns")
  must ip link add "$RUN-$1" netns "$SW" type veth peer name eth0 netns "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  must ip -n "$ns" addr add "$2/24" dev eth0
  must ip -n "$ns" link set eth0 up
  must ip -n "$ns" link set lo up
  must ip -n "$SW" link set "$RUN-$1" up
}
# udp_echo_start HOST: a UDP echo server on port 5353 in HOST (in the
# background, ended on exit); returns once it listens.
udp_echo_start() {
  in_host_bg "$1" /usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)'
  must wait_until 10 udp_listening "$1" 5353
}
# udp_listening HOST PORT: is a UDP socket bound to PORT in HOST?
udp_listening() { in_host "$1" ss -Hlun "sport = :$2" | grep -q .; }
# udp_ask HOST SRC-PORT DST: from HOST sends "hello" from SRC-PORT to DST's
# echo server, prints the answer, or "timeout" after 2 s.
udp_ask() {
  in_host "$1" /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(sys.argv[1]))); s.settimeout(2)
s.sendto(b"hello", (sys.argv[2], 5353))
try: print(s.recvfrom(2048)[0].decode())
except socket.timeout: print("timeout")' "$2" "$3"
}
# tap_to_namespace DEVICE NAME IP: a new namespace $RUN-NAME (no IPv6) that
# takes the TAP device DEVICE, with IP/24 on it.
tap_to_namespace() {
  local ns=$RUN-$2
  must ip netns add "$ns"; NAMESPACES+=("$ns")
  must ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
  must ip link set "$1" netns "$ns"
  must ip -n "$ns" addr add "$3/24" dev "$1"
  must ip -n "$ns" link set "$1" up
  must ip -n "$ns" link set lo up
}
host_mac() { ip -n "$RUN-$1" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
in_host() { local h=$1; shift; ip netns exec "$RUN-$h" "$@"; }

# must COMMAND...: a setup step; the test cannot go on without it.
must() {
  "$@" || { echo "FAIL: setup step failed (exit $?): $*"; exit 1; }
}

check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; FAILURES=$((FAILURES + 1)); fi
}
check_not() {
  local what=$1; shift
  if "$@"; then echo "FAIL: $what"; FAILURES=$((FAILURES + 1)); else echo "ok: $what"; fi
}

# flow_packets DP SUBSTRING: the packets counter of the flow whose line contains SUBSTRING.
flow_packets() {
  fpctl dump-flows "$1" | grep -F -- "$2" | head -1 | sed -n 's/.*packets:\([0-9]*\),.*/\1/p'
}
dp_counter() {  # dp_counter DP hit|missed|lost
  fpctl show "$1" | sed -n "s/.*lookups:.*$2:\([0-9]*\).*/\1/p"
}

finish() {
  stop_daemon
  if [ "$FAILURES" -ne 0 ]; then
    echo "---- flowpathd log"; tail -n 50 "$WORK/flowpathd.log"
    echo "$FAILURES check(s) failed"; exit 1
  fi
  echo "all checks passed"
}

# port_state DP NAME: "STATE REASON" as `fpctl --format json show` gives port
# NAME of datapath or bridge DP (e.g. "absent interface X was deleted"),
# nothing while the port is attached.
port_state() {
  fpctl --format json show "$1" | /usr/bin/python3 -c '
import json, sys
dps = json.load(sys.stdin)
dps = dps if isinstance(dps, list) else dps.get("datapaths", [dps])
for dp in dps:
    for p in dp["ports"]:
        if p["name"] == sys.argv[1] and "state" in p:
            print(p["state"], p.get("absent_reason", ""))' "$2"
}
