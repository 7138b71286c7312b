#!/usr/bin/env bash
# shellcheck disable=SC2015  # "A && B || die": die when any of the steps fails
# End to end over veth: two hosts in network namespaces talk through a switch
# under test, and iperf3 measures TCP throughput and 64-byte UDP packets per
# second, and ping and sockperf round-trip times. Switches, one after the
# other, on the same veth pairs:
#   flowpath-afpacket   flowpathd, afpacket ports, flows in_port(1)->2, 2->1
#   flowpath-afpacket-busy the same with flowpathd --busy-poll (a core spins)
#   flowpath-afxdp      the same with type=afxdp ports (reported as not
#                       available, with the reason, when the build or the
#                       kernel cannot attach them)
#   ovs-netdev          ovs-vswitchd (openvswitch-switch, no DPDK), userspace
#                       "netdev" datapath, system (AF_PACKET) ports, OpenFlow
#                       in_port=1->2, 2->1 in a fail-secure bridge
#   linux-bridge        the kernel bridge, veth offloads off
#   linux-bridge-offload the kernel bridge with veth offloads on (defaults)
#
#   bench/compare-veth.sh [--seconds S] [--pings N] [--switches LIST] [--bin DIR] [--out DIR]
#                         [--sched normal|fifo]
#
# Layout: namespaces PREFIX-a (10.200.0.1/24) and PREFIX-b (10.200.0.2/24),
# each with eth0, whose veth peers swa and swb live in a third namespace
# PREFIX-sw where every switch runs; the root namespace is never touched.
# The switch runs on CPU 1 (flowpath's forwarding thread, all of
# ovs-vswitchd: its netdev datapath polls system ports from the main thread),
# iperf3 client and server on CPU 0. The kernel bridge forwards in the
# sender's softirq, so on CPU 0; bridged frames skip iptables
# (bridge-nf-call-iptables=0 in PREFIX-sw). --sched fifo runs flowpathd and
# ovs-vswitchd SCHED_FIFO (chrt -f 10), as the kernel's softirq effectively
# is: on a machine loaded by other work a sleeping forwarding thread then
# wakes without waiting for a time slice (default: normal scheduling).
#
# Offloads: flowpath's afpacket ports take partial checksums and TSO/GSO
# super-frames (virtio-net headers), so they run with the veths' defaults.
# AF_XDP carries no offload state and OVS's netdev datapath (no
# userspace-tso-enable here) neither completes partial checksums nor splits
# super-frames, so `ethtool -K IF tx off tso off gso off` is applied to all
# four veth ends for those; the table says which rows ran that way.
#
# UDP: iperf3 -u -l 18 -b 0 (18-byte payload: 64-byte frames on the wire).
# "rx kpps" is the receiving eth0's packet counter over the test (what the
# switch delivered), "app kpps" what the iperf3 server received.
#
# Latency, median and 99th percentile round-trip time in microseconds:
#   ping     ping -c N -i 0.01 (--pings N, 500 by default): one packet each
#            10 ms, so the switch is idle between them (a sleeping forwarding
#            thread must wake for each);
#   sockperf sockperf ping-pong --full-rtt -m 64 over UDP for --seconds: the
#            next message leaves as soon as the reply is in (a busy switch).
#
# Needs root, iperf3, ethtool, ping, sockperf; installs openvswitch-switch
# with apt-get when missing. Everything is removed on exit, also on failure or Ctrl-C.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
SECONDS_PER_TEST=10
PINGS=500
SCHED=normal
SWITCHES=flowpath-afpacket,flowpath-afpacket-busy,flowpath-afxdp,ovs-netdev,linux-bridge,linux-bridge-offload
BIN=
OUT=
SWITCH_CPU=1
HOST_CPU=0
PREFIX=fpv$$
NS_A=$PREFIX-a
NS_B=$PREFIX-b
NS_SW=$PREFIX-sw
ADDR_A=10.200.0.1
ADDR_B=10.200.0.2
OVS_VSWITCHD=/usr/lib/openvswitch-switch/ovs-vswitchd
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}
die() { echo "compare-veth: error: $*" >&2; exit 1; }
note() { echo "compare-veth: $*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --seconds) [ $# -ge 2 ] || die "--seconds needs a value"; SECONDS_PER_TEST=$2; shift 2;;
    --pings) [ $# -ge 2 ] || die "--pings needs a value"; PINGS=$2; shift 2;;
    --sched) [ $# -ge 2 ] || die "--sched needs a value"; SCHED=$2; shift 2;;
    --switches) [ $# -ge 2 ] || die "--switches needs a value"; SWITCHES=$2; shift 2;;
    --bin) [ $# -ge 2 ] || die "--bin needs a value"; BIN=$2; shift 2;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift 2;;
    -h|--help) usage 0;;
    *) echo "compare-veth: unknown argument \"$1\" (see --help)" >&2; exit 2;;
  esac
done
[[ $SECONDS_PER_TEST =~ ^[1-9][0-9]*$ ]] && [ "$SECONDS_PER_TEST" -le 600 ] \
  || die "--seconds must be a whole number from 1 to 600, got \"$SECONDS_PER_TEST\""
[[ $PINGS =~ ^[1-9][0-9]*$ ]] && [ "$PINGS" -le 100000 ] \
  || die "--pings must be a whole number from 1 to 100000, got \"$PINGS\""
case $SCHED in
  normal) SCHED_CMD=();;
  fifo) SCHED_CMD=(chrt -f 10);;
  *) die "--sched must be normal or fifo, got \"$SCHED\"";;
esac
IFS=, read -r -a SWITCH_LIST <<< "$SWITCHES"
[ ${#SWITCH_LIST[@]} -gt 0 ] || die "--switches is empty"
for s in "${SWITCH_LIST[@]}"; do
  case $s in
    flowpath-afpacket|flowpath-afpacket-busy|flowpath-afxdp|ovs-netdev|linux-bridge|\
      linux-bridge-offload) ;;
    *) die "unknown switch \"$s\" (known: flowpath-afpacket, flowpath-afpacket-busy, \
flowpath-afxdp, ovs-netdev, linux-bridge, linux-bridge-offload)";;
  esac
done
[ "$(id -u)" -eq 0 ] || die "must run as root: it creates network namespaces and veth pairs \
(try: sudo $0 $*)"
[ -d /sys/devices/system/cpu/cpu$SWITCH_CPU ] || die "needs CPUs $HOST_CPU and $SWITCH_CPU"
for tool in ip ethtool iperf3 taskset ping sockperf; do
  command -v "$tool" > /dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done

OUT=${OUT:-/tmp/flowpath-compare-veth-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" || die "cannot create output directory $OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/fpveth.XXXXXX)   # short: unix socket paths

# ------------------------------------------------------------------ cleanup
DAEMON_PID=""     # flowpathd
OVS_DB_PID=""
OVS_PID=""
SERVER_PID=""     # iperf3 or sockperf server
NAMESPACES=()

wait_gone() {  # PID SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
stop_pid() {  # PID: TERM, then KILL after 5 s
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait_gone "$1" 5 || kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# The PID in $WORK/ovs/NAME.pid if that process is still one this run
# started (its command line names $WORK), else nothing.
pid_from_file() {
  local pid
  pid=$(cat "$WORK/ovs/$1.pid" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$WORK/" \
    && echo "$pid"
  return 0
}

stop_switch() {
  stop_pid "$DAEMON_PID"; DAEMON_PID=""
  # Interrupted while a daemon was starting: its pidfile already names it.
  [ -z "$OVS_PID" ] && OVS_PID=$(pid_from_file ovs-vswitchd)
  [ -z "$OVS_DB_PID" ] && OVS_DB_PID=$(pid_from_file ovsdb-server)
  if [ -n "$OVS_PID" ] && kill -0 "$OVS_PID" 2>/dev/null; then
    ovs-appctl --timeout=10 -t "$WORK/ovs/ovs-vswitchd.$OVS_PID.ctl" exit --cleanup \
      > /dev/null 2>&1 || true
    wait_gone "$OVS_PID" 10 || stop_pid "$OVS_PID"
  fi
  OVS_PID=""
  if [ -n "$OVS_DB_PID" ] && kill -0 "$OVS_DB_PID" 2>/dev/null; then
    ovs-appctl --timeout=10 -t "$WORK/ovs/ovsdb-server.$OVS_DB_PID.ctl" exit > /dev/null 2>&1 || true
    wait_gone "$OVS_DB_PID" 5 || stop_pid "$OVS_DB_PID"
  fi
  OVS_DB_PID=""
  rm -f "$WORK/ovs/ovs-vswitchd.pid" "$WORK/ovs/ovsdb-server.pid"
  ip -n "$NS_SW" link del br0 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pid "$SERVER_PID"
  stop_switch
  local ns
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "compare-veth: interrupted" >&2; exit 130' INT TERM

# ------------------------------------------------------------------ setup
need_switch() { [[ ",$SWITCHES," == *",$1"* ]]; }

find_binaries() {
  need_switch flowpath || return 0
  if [ -n "$BIN" ]; then
    [ -x "$BIN/flowpathd" ] && [ -x "$BIN/fpctl" ] || die "--bin $BIN has no flowpathd and fpctl"
    return
  fi
  local build=${BUILD_DIR:-$REPO/build}
  BIN=$build/tools
  [ -x "$BIN/flowpathd" ] && [ -x "$BIN/fpctl" ] && return
  note "building flowpathd and fpctl in $build (log: $OUT/build.log)"
  {
    if [ ! -f "$build/build.ninja" ]; then
      cmake -S "$REPO" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOWPATH_WERROR=ON
    fi
    ninja -C "$build" flowpathd fpctl
  } > "$OUT/build.log" 2>&1 || die "building flowpathd/fpctl failed; see $OUT/build.log"
}

install_ovs() {
  need_switch ovs-netdev || return 0
  dpkg-query -W -f='${Status}' openvswitch-switch 2>/dev/null | grep -q "install ok installed" \
    && return 0
  note "installing openvswitch-switch (log: $OUT/apt.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openvswitch-switch; } > "$OUT/apt.log" 2>&1 \
    || die "apt-get install openvswitch-switch failed; see $OUT/apt.log"
}

add_namespace() {
  ip netns add "$1" || die "cannot create network namespace $1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

build_topology() {
  add_namespace "$NS_SW"; add_namespace "$NS_A"; add_namespace "$NS_B"
  # The kernel bridge on its own, without iptables on bridged frames.
  ip netns exec "$NS_SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
  ip -n "$NS_SW" link add swa type veth peer name eth0 netns "$NS_A" \
    || die "cannot create the veth pair swa/eth0 ($NS_SW/$NS_A)"
  ip -n "$NS_SW" link add swb type veth peer name eth0 netns "$NS_B" \
    || die "cannot create the veth pair swb/eth0 ($NS_SW/$NS_B)"
  ip -n "$NS_A" addr add "$ADDR_A/24" dev eth0
  ip -n "$NS_B" addr add "$ADDR_B/24" dev eth0
  local ns
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set eth0 up; done
  for ns in swa swb; do ip -n "$NS_SW" link set "$ns" up; done
}

set_offloads() {  # on|off, on all four veth ends
  local state=$1
  ip netns exec "$NS_A" ethtool -K eth0 tx "$state" tso "$state" gso "$state" > /dev/null 2>&1 \
    && ip netns exec "$NS_B" ethtool -K eth0 tx "$state" tso "$state" gso "$state" > /dev/null 2>&1 \
    && ip netns exec "$NS_SW" ethtool -K swa tx "$state" tso "$state" gso "$state" > /dev/null 2>&1 \
    && ip netns exec "$NS_SW" ethtool -K swb tx "$state" tso "$state" gso "$state" > /dev/null 2>&1 \
    || die "ethtool -K tx/tso/gso $state failed on the veth pairs"
}

# ------------------------------------------------------------------ switches
fpctl() { "$BIN/fpctl" --socket "$WORK/flowpathd.sock" "$@"; }

# Starts flowpathd with ports of TYPE (afpacket, afpacket-busy: the same
# with --busy-poll, afxdp); prints the reason and fails when the datapath
# cannot be built (e.g. afxdp not in this build or not attachable).
start_flowpath() {  # TYPE
  local type=$1 opt="" i daemon_options=()
  [ "$type" = afxdp ] && opt=",type=afxdp"
  [ "$type" = afpacket-busy ] && daemon_options=(--busy-poll)
  rm -f "$WORK/flowpathd.sock"
  ip netns exec "$NS_SW" "${SCHED_CMD[@]}" "$BIN/flowpathd" --socket "$WORK/flowpathd.sock" --no-state \
    --cpus "$SWITCH_CPU" "${daemon_options[@]}" > "$OUT/flowpathd-$type.log" 2>&1 &
  DAEMON_PID=$!
  for ((i = 0; i < 50; i++)); do [ -S "$WORK/flowpathd.sock" ] && break; sleep 0.1; done
  [ -S "$WORK/flowpathd.sock" ] || die "flowpathd did not start: $(tail -3 "$OUT/flowpathd-$type.log")"
  if ! fpctl add-dp veth "swa$opt" "swb$opt" > "$OUT/fpctl-$type.log" 2>&1; then
    REASON=$(tail -1 "$OUT/fpctl-$type.log")
    return 1
  fi
  fpctl add-flow veth 'in_port(1),eth(),eth_type(0x0600/0)' 2 >> "$OUT/fpctl-$type.log" 2>&1 \
    && fpctl add-flow veth 'in_port(2),eth(),eth_type(0x0600/0)' 1 >> "$OUT/fpctl-$type.log" 2>&1 \
    || die "fpctl add-flow failed: $(tail -1 "$OUT/fpctl-$type.log")"
}

flowpath_report() {  # TYPE: datapath counters into the log
  { fpctl show -s veth; fpctl dump-flows veth; } >> "$OUT/fpctl-$1.log" 2>&1 || true
}

start_ovs() {
  local run=$WORK/ovs V
  rm -rf "$run"; mkdir -p "$run"
  export OVS_RUNDIR=$run OVS_LOGDIR=$run OVS_DBDIR=$run OVS_SYSCONFDIR=$run
  V="ovs-vsctl --db=unix:$run/db.sock --timeout=60"
  ovsdb-tool create "$run/conf.db" "$OVS_SCHEMA" > "$OUT/ovs.log" 2>&1 \
    || die "ovsdb-tool create failed; see $OUT/ovs.log"
  ovsdb-server "$run/conf.db" --remote=punix:"$run/db.sock" --pidfile="$run/ovsdb-server.pid" \
    --log-file="$run/ovsdb-server.log" --detach --no-chdir >> "$OUT/ovs.log" 2>&1 \
    || die "ovsdb-server did not start; see $OUT/ovs.log"
  OVS_DB_PID=$(cat "$run/ovsdb-server.pid")
  $V --no-wait init
  if ! ip netns exec "$NS_SW" "${SCHED_CMD[@]}" taskset -c "$SWITCH_CPU" "$OVS_VSWITCHD" unix:"$run/db.sock" \
      --pidfile="$run/ovs-vswitchd.pid" --log-file="$run/ovs-vswitchd.log" --detach --no-chdir \
      >> "$OUT/ovs.log" 2>&1; then
    cp "$run/ovs-vswitchd.log" "$OUT/ovs-vswitchd.log" 2>/dev/null || true
    die "ovs-vswitchd did not start; see $OUT/ovs-vswitchd.log"
  fi
  OVS_PID=$(cat "$run/ovs-vswitchd.pid")
  $V add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure \
    -- add-port br0 swa -- set Interface swa ofport_request=1 \
    -- add-port br0 swb -- set Interface swb ofport_request=2 >> "$OUT/ovs.log" 2>&1 \
    || die "ovs-vsctl add-br/add-port failed; see $OUT/ovs.log"
  local port error
  for port in swa swb; do
    error=$($V get Interface "$port" error)
    [ "$error" = "[]" ] || die "OVS port $port: $error"
  done
  ovs-ofctl add-flow br0 in_port=1,actions=output:2 >> "$OUT/ovs.log" 2>&1 \
    && ovs-ofctl add-flow br0 in_port=2,actions=output:1 >> "$OUT/ovs.log" 2>&1 \
    || die "ovs-ofctl add-flow failed; see $OUT/ovs.log"
}

ovs_report() {
  {
    ovs-appctl --timeout=10 -t "$WORK/ovs/ovs-vswitchd.$OVS_PID.ctl" dpctl/dump-flows -m
    ovs-appctl --timeout=10 -t "$WORK/ovs/ovs-vswitchd.$OVS_PID.ctl" dpif-netdev/pmd-stats-show
    ovs-ofctl dump-ports br0
  } >> "$OUT/ovs.log" 2>&1 || true
  cp "$WORK/ovs/ovs-vswitchd.log" "$OUT/ovs-vswitchd.log" 2>/dev/null || true
}

start_bridge() {
  ip -n "$NS_SW" link add br0 type bridge || die "cannot create a Linux bridge in $NS_SW"
  ip -n "$NS_SW" link set swa master br0 && ip -n "$NS_SW" link set swb master br0 \
    && ip -n "$NS_SW" link set br0 up || die "cannot attach swa/swb to the Linux bridge"
}

# ------------------------------------------------------------------ tests
# Waits until a reaches b (ARP learned, flows in place), at most 5 s.
connected() {
  local i
  for ((i = 0; i < 5; i++)); do
    ip netns exec "$NS_A" ping -c 1 -W 1 -q "$ADDR_B" > /dev/null 2>&1 && return 0
  done
  return 1
}

start_server() {
  ip netns exec "$NS_B" taskset -c "$HOST_CPU" iperf3 -s -1 -B "$ADDR_B" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NS_B" ss -ltn 2>/dev/null | grep -q "$ADDR_B:5201" && return 0
    sleep 0.1
  done
  die "iperf3 server did not start: $(cat "$WORK/server.log")"
}

rx_packets() { ip netns exec "$NS_B" cat /sys/class/net/eth0/statistics/rx_packets; }

run_iperf() {  # NAME tcp|udp -> JSON in $OUT/NAME-{tcp,udp}.json
  local json=$OUT/$1-$2.json args=()
  [ "$2" = udp ] && args=(-u -l 18 -b 0)
  start_server
  ip netns exec "$NS_A" taskset -c "$HOST_CPU" iperf3 -c "$ADDR_B" -t "$SECONDS_PER_TEST" -J \
    "${args[@]}" > "$json" 2>&1 || true
  stop_pid "$SERVER_PID"; SERVER_PID=""
}

# ping -i 0.01 from a to b; its output in $OUT/NAME-ping.txt.
run_ping() {  # NAME
  ip netns exec "$NS_A" taskset -c "$HOST_CPU" ping -c "$PINGS" -i 0.01 "$ADDR_B" \
    > "$OUT/$1-ping.txt" 2>&1 || true
}

# sockperf ping-pong over UDP from a to b; its output in $OUT/NAME-sockperf.txt.
run_sockperf() {  # NAME
  ip netns exec "$NS_B" taskset -c "$HOST_CPU" sockperf server -i "$ADDR_B" -p 11111 \
    > "$WORK/sockperf-server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NS_B" ss -lun 2>/dev/null | grep -q "$ADDR_B:11111" && break
    sleep 0.1
  done
  ip netns exec "$NS_A" taskset -c "$HOST_CPU" sockperf ping-pong -i "$ADDR_B" -p 11111 -m 64 \
    -t "$SECONDS_PER_TEST" --full-rtt > "$OUT/$1-sockperf.txt" 2>&1 || true
  stop_pid "$SERVER_PID"; SERVER_PID=""
}

# One row: NAME OFFLOADS TCP_JSON UDP_JSON RX_PACKET_DELTA PING_TEXT SOCKPERF_TEXT
table_row() {
  "$PY" - "$@" <<'EOF'
import json, re, sys
name, offloads, tcp_path, udp_path, rx_delta, ping_path, sockperf_path = sys.argv[1:]
def load(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError) as e:
        return None, "unreadable iperf3 output %s (%s)" % (path, e)
    if d.get("error"):
        return None, "iperf3: %s" % d["error"]
    return d, None
cells, problems = [], []
tcp, err = load(tcp_path)
if tcp:
    cells.append("%.2f" % (tcp["end"]["sum_received"]["bits_per_second"] / 1e9))
else:
    cells.append("-"); problems.append("tcp: " + err)
udp, err = load(udp_path)
if udp:
    s = udp["end"]["sum"]
    secs = s["seconds"] or 1
    cells.append("%.0f" % (s["packets"] / secs / 1e3))
    cells.append("%.0f" % (int(rx_delta) / secs / 1e3))
    cells.append("%.0f" % ((s["packets"] - s["lost_packets"]) / secs / 1e3))
else:
    cells += ["-", "-", "-"]; problems.append("udp: " + err)
def percentile(values, p):  # nearest rank
    values = sorted(values)
    return values[max(0, -(-len(values) * p // 100) - 1)]
try:
    rtts = [float(t) * 1000 for t in re.findall(r"time=([0-9.]+) ms", open(ping_path).read())]
except OSError as e:
    rtts = []
if rtts:
    cells += ["%.0f" % percentile(rtts, 50), "%.0f" % percentile(rtts, 99)]
else:
    cells += ["-", "-"]; problems.append("ping: no reply, see " + ping_path)
try:
    text = open(sockperf_path).read()
except OSError:
    text = ""
found = {p: re.search(r"percentile %s\.000 =\s*([0-9.]+)" % p, text) for p in ("50", "99")}
if all(found.values()):
    cells += ["%.0f" % float(found[p].group(1)) for p in ("50", "99")]
else:
    cells += ["-", "-"]; problems.append("sockperf: no result, see " + sockperf_path)
print("%-22s %-9s %9s %10s %10s %10s %6s %6s %6s %6s%s" % (name, offloads, *cells,
      ("  (" + "; ".join(problems) + ")") if problems else ""))
EOF
}

measure() {  # NAME OFFLOADS
  local rx0 rx1
  if ! connected; then
    printf '%-22s %-9s no connectivity between the namespaces; see the logs in %s\n' \
      "$1" "$2" "$OUT" | tee -a "$OUT/table.txt"
    return
  fi
  run_iperf "$1" tcp
  rx0=$(rx_packets)
  run_iperf "$1" udp
  rx1=$(rx_packets)
  run_ping "$1"
  run_sockperf "$1"
  table_row "$1" "$2" "$OUT/$1-tcp.json" "$OUT/$1-udp.json" $((rx1 - rx0)) \
    "$OUT/$1-ping.txt" "$OUT/$1-sockperf.txt" | tee -a "$OUT/table.txt"
}

# ------------------------------------------------------------------ main
find_binaries
install_ovs
build_topology
{
  echo "# veth end to end, $(date '+%Y-%m-%d %H:%M %Z'); $(nproc) CPUs, \
$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "# iperf3 -t $SECONDS_PER_TEST; switch on CPU $SWITCH_CPU ($SCHED scheduling), iperf3 on CPU $HOST_CPU; \
load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# offloads off = ethtool -K tx off tso off gso off on all four veth ends"
  echo "# RTT in microseconds: ping -c $PINGS -i 0.01; sockperf ping-pong -m 64 UDP, \
-t $SECONDS_PER_TEST, --full-rtt"
  printf '%-22s %-9s %9s %10s %10s %10s %13s %13s\n' switch offloads "TCP Gb/s" "UDP tx" \
    "UDP rx" "UDP app" "ping RTT" "sockperf RTT"
  printf '%-22s %-9s %9s %10s %10s %10s %6s %6s %6s %6s\n' "" "" "" kpps kpps kpps \
    p50 p99 p50 p99
} | tee "$OUT/table.txt"

for sw in "${SWITCH_LIST[@]}"; do
  note "$sw ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
  ip -n "$NS_A" neigh flush all 2>/dev/null || true
  ip -n "$NS_B" neigh flush all 2>/dev/null || true
  case $sw in
    flowpath-afpacket|flowpath-afpacket-busy|flowpath-afxdp)
      type=${sw#flowpath-}
      offloads=on
      [ "$type" = afxdp ] && offloads=off
      set_offloads "$offloads"
      REASON=""
      if start_flowpath "$type"; then
        measure "$sw" "$offloads"
        flowpath_report "$type"
      else
        printf '%-22s %s: not available (%s)\n' "$sw" "$type" "$REASON" | tee -a "$OUT/table.txt"
      fi;;
    ovs-netdev) set_offloads off; start_ovs; measure "$sw" off; ovs_report;;
    linux-bridge) set_offloads off; start_bridge; measure "$sw" off;;
    linux-bridge-offload) set_offloads on; start_bridge; measure "$sw" on;;
  esac
  stop_switch
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/table.txt"
note "logs and iperf3 JSON: $OUT"
