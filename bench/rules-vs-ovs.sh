#!/usr/bin/env bash
# OpenFlow rule tables at scale, flowpath against Open vSwitch in one run:
# N rules over 20 masks (bench/gen_rules.py) added with one command, then
# traces (a translation of one packet: every table lookup of the slow path)
# that hit and that miss, then all rules deleted.
#
#   bench/rules-vs-ovs.sh [--rules N] [--traces K] [--build DIR]
#
# Each runs in a network namespace of its own (their bridges' local ports
# are devices). flowpath: a private flowpathd (state file in a temporary directory), rules
# added with `fpctl of add-flows`, traced with `fpctl trace`. Open vSwitch:
# Debian's ovs-vswitchd 3.1 started by scripts/private-ovs.sh with its own
# database and run directory, a netdev bridge, `ovs-ofctl add-flows` (which
# waits for a barrier), `ovs-appctl ofproto/trace`. Times are wall-clock
# seconds of each command; a trace's time includes starting the client, so
# the table's own lookup cost is classifier_bench's to show. Needs root (the
# namespace); touches nothing outside its temporary directory and namespace,
# and stops both daemons and deletes the namespace on exit.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RULES=100000
TRACES=20
BUILD=$REPO/build
while [ $# -gt 0 ]; do
  case $1 in
    --rules) RULES=$2; shift 2 ;;
    --traces) TRACES=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    *) echo "usage: $0 [--rules N] [--traces K] [--build DIR]" >&2; exit 2 ;;
  esac
done
FPCTL=$BUILD/tools/fpctl
FLOWPATHD=$BUILD/tools/flowpathd
[ -x "$FPCTL" ] && [ -x "$FLOWPATHD" ] || { echo "no fpctl/flowpathd in $BUILD/tools" >&2; exit 1; }
command -v ovs-ofctl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openvswitch-switch >/dev/null

WORK=$(mktemp -d)
NS=fprules$$
NS_OVS=ovsrules$$
FP_PID=
cleanup() {
  [ -n "$FP_PID" ] && kill -TERM "$FP_PID" 2>/dev/null && wait "$FP_PID" 2>/dev/null
  "$REPO/scripts/private-ovs.sh" stop "$WORK/ovs" >/dev/null 2>&1 || true
  ip netns del "$NS" 2>/dev/null
  ip netns del "$NS_OVS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wall SECONDS of a command, its output to $WORK/last.out
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" > "$WORK/last.out" 2>&1 || { echo "FAILED: $*" >&2; tail -5 "$WORK/last.out" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
poll() {  # poll SECONDS COMMAND...: until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $*" >&2; exit 1; }
    sleep 0.1
  done
}

/usr/bin/python3 "$REPO/bench/gen_rules.py" "$RULES" > "$WORK/rules.txt"
# Traces: half of them packets that a rule of the last masks matches, half
# packets that no rule matches (they go through every subtable).
hits=(); misses=()
for ((i = 0; i < TRACES / 2; i++)); do
  n=$(( (i * 7919) % (RULES / 20) ))
  hits+=("tcp,nw_src=10.$(( n >> 12 & 255 )).$(( n >> 4 & 255 )).$(( (n & 15) << 4 )),nw_dst=192.168.0.$(( n & 255 )),tp_dst=$(( 1024 + n )),tp_src=999")
  misses+=("tcp,nw_src=172.16.$((i / 256)).$((i % 256)),nw_dst=172.17.0.$i,tp_src=7,tp_dst=$((40000 + i))")
done

ip netns add "$NS"
ip netns add "$NS_OVS"
fp() { "$FPCTL" --socket "$WORK/fp.sock" "$@"; }
ip netns exec "$NS" "$FLOWPATHD" --socket "$WORK/fp.sock" --state-file "$WORK/fp-state.toml" > "$WORK/flowpathd.log" 2>&1 &
FP_PID=$!
poll 20 fp dump-dps
fp add-br br0 >/dev/null
fp of del-flows br0 >/dev/null  # no default NORMAL rule: the same table as Open vSwitch's below

OVS=$WORK/ovs
"$REPO/scripts/private-ovs.sh" start "$OVS" "$NS_OVS" > "$WORK/ovs-start.log" 2>&1
export OVS_RUNDIR=$OVS
ovs-vsctl --db=unix:"$OVS/db.sock" add-br br0 -- set bridge br0 datapath_type=netdev
poll 20 ovs-ofctl dump-flows br0
ovs-ofctl del-flows br0

echo "== $RULES rules over 20 masks; load: $(cut -d' ' -f1-3 /proc/loadavg)"
fp_add=$(seconds fp of add-flows br0 "$WORK/rules.txt")
fp_count=$(fp of dump-flows br0 | grep -c priority= || true)
ovs_add=$(seconds ovs-ofctl add-flows br0 "$WORK/rules.txt")
ovs_count=$(ovs-ofctl dump-flows br0 | grep -c priority= || true)

trace_all() {  # trace_all flowpath|ovs FLOW...
  local who=$1; shift
  for flow in "$@"; do
    if [ "$who" = flowpath ]; then fp trace br0 "$flow"; else ovs-appctl -t "$OVS/vswitchd.ctl" ofproto/trace br0 "$flow"; fi
  done
}
fp_hit=$(seconds trace_all flowpath "${hits[@]}")
grep -q "priority=2100" "$WORK/last.out" || { echo "flowpath: the hit traces met no priority-2100 rule" >&2; exit 1; }
fp_miss=$(seconds trace_all flowpath "${misses[@]}")
ovs_hit=$(seconds trace_all ovs "${hits[@]}")
grep -q "priority 2100" "$WORK/last.out" || { echo "ovs: the hit traces met no priority-2100 rule" >&2; exit 1; }
ovs_miss=$(seconds trace_all ovs "${misses[@]}")
fp_del=$(seconds fp of del-flows br0)
ovs_del=$(seconds ovs-ofctl del-flows br0)

half=$((TRACES / 2))
printf '%-34s %12s %12s\n' "" flowpath "Open vSwitch"
printf '%-34s %12s %12s\n' "rules in the table" "$fp_count" "$ovs_count"
printf '%-34s %12.2f %12.2f\n' "add-flows, s" "$fp_add" "$ovs_add"
printf '%-34s %12.0f %12.0f\n' "rules added per second" "$(echo "$RULES / $fp_add" | bc -l)" "$(echo "$RULES / $ovs_add" | bc -l)"
printf '%-34s %12.1f %12.1f\n' "trace, hit, ms each ($half)" "$(echo "$fp_hit * 1000 / $half" | bc -l)" "$(echo "$ovs_hit * 1000 / $half" | bc -l)"
printf '%-34s %12.1f %12.1f\n' "trace, miss, ms each ($half)" "$(echo "$fp_miss * 1000 / $half" | bc -l)" "$(echo "$ovs_miss * 1000 / $half" | bc -l)"
printf '%-34s %12.2f %12.2f\n' "del-flows (all), s" "$fp_del" "$ovs_del"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
