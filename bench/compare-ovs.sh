#!/usr/bin/env bash
# flowpath against Open vSwitch's userspace datapath (OVS-DPDK) on one core,
# on the same traffic: the pcaps of bench/profiles/gen_profiles.py.
#
#   bench/compare-ovs.sh [--seconds S] [--rounds N] [--profiles a,b,c,d,e]
#                        (also vxlan_decap,vxlan_encap: bench/compare_ovs_tunnel.sh)
#                        [--out DIR] [--replay PATH] [--sched fifo|normal]
#
# flowpath: flowpath-replay (default caches) pinned to CPU 1.
# OVS: ovs-vswitchd-dpdk 3.x from Debian, private db/run/log directories, in a
# private network namespace, main threads on CPU 0 and one PMD thread on CPU
# 1; input ports are DPDK net_pcap vdevs replaying the pcap from memory
# forever (infinite_rx=1), the output port is a net_null vdev. The flowpath
# flows file of each profile is translated into OpenFlow rules that make OVS
# build the same datapath flows (bench/compare_ovs_tool.py openflow).
# OVS runs in four cache configurations: defaults; smc-enable=true;
# emc-insert-inv-prob=0 (no EMC); both.
#
# For every round and profile: a flowpath window, then OVS started and
# measured in each configuration, then OVS stopped and a second flowpath
# window, so slow drift of the machine hits both systems alike. Each window
# lasts S seconds; the table holds medians over all windows. OVS's rate is the
# PMD's Tx packets over the measured duration (pmd-perf-show after
# pmd-stats-clear), cross-checked against the output port's tx counter.
# Both measured threads (flowpath's and OVS's PMD) run SCHED_FIFO on CPU 1 by
# default, so that other work on a shared machine moves off that CPU (plain
# niceness does not do it across sessions when the kernel groups tasks by
# session); --sched normal leaves them in the default class. Every window
# logs how much of CPU 1 went to other tasks (cpu1_other).
#
# Needs root (hugepages, network namespace). Installs openvswitch-switch-dpdk
# and the DPDK pcap/null drivers with apt-get when missing. Everything it
# starts is stopped, and every hugepage it reserved returned, on exit or
# Ctrl-C. Logs, raw pmd-perf-show output and results go to the --out
# directory.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
TOOL=$REPO/bench/compare_ovs_tool.py
# shellcheck source=compare_ovs_tunnel.sh
. "$REPO/bench/compare_ovs_tunnel.sh"
PY=/usr/bin/python3

WINDOW_SECONDS=5
ROUNDS=3
PROFILES=a,b,c,d,e
OUT=
REPLAY=
SCHED=fifo
FIFO_PRIORITY=10
WARMUP_SECONDS=5     # traffic through OVS before its first window
SETTLE_SECONDS=2     # after a configuration change, before the window
MAIN_CPU=0
PMD_CPU=1
OVS_CONFIGS=(default smc noemc smc+noemc)
VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
PACKAGES=(openvswitch-switch-dpdk openvswitch-common librte-net-pcap23 librte-net-null23
          librte-mempool-ring23)
HUGEPAGES_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
C_PORT_MTUS=(1500 2500 3500 4500)

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}
die() { echo "compare-ovs: error: $*" >&2; exit 1; }
note() { echo "compare-ovs: $*" >&2; }
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

while [ $# -gt 0 ]; do
  case $1 in
    --seconds) [ $# -ge 2 ] || die "--seconds needs a value"; WINDOW_SECONDS=$2; shift 2;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a value"; ROUNDS=$2; shift 2;;
    --profiles) [ $# -ge 2 ] || die "--profiles needs a value"; PROFILES=$2; shift 2;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; OUT=$2; shift 2;;
    --replay) [ $# -ge 2 ] || die "--replay needs a value"; REPLAY=$2; shift 2;;
    --sched) [ $# -ge 2 ] || die "--sched needs a value"; SCHED=$2; shift 2;;
    -h|--help) usage 0;;
    *) echo "compare-ovs: unknown argument \"$1\" (see --help)" >&2; exit 2;;
  esac
done
if ! { is_number "$WINDOW_SECONDS" && awk -v s="$WINDOW_SECONDS" 'BEGIN {exit !(s >= 0.5 && s <= 600)}'; }; then
  die "--seconds must be a number from 0.5 to 600, got \"$WINDOW_SECONDS\""
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer, got \"$ROUNDS\""
IFS=, read -r -a PROFILE_LIST <<< "$PROFILES"
[ ${#PROFILE_LIST[@]} -gt 0 ] || die "--profiles is empty"
case $SCHED in
  fifo) SCHED_CMD=(chrt -f "$FIFO_PRIORITY");;
  normal) SCHED_CMD=();;
  *) die "--sched must be fifo or normal, got \"$SCHED\"";;
esac
for p in "${PROFILE_LIST[@]}"; do
  case $p in a|b|c|d|e|vxlan_decap|vxlan_encap) ;;
    *) die "unknown profile \"$p\" in --profiles (known: a,b,c,d,e,vxlan_decap,vxlan_encap)";; esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root: it reserves hugepages, starts ovs-vswitchd in a \
private network namespace and may install packages (try: sudo $0 $*)"
[ -d /sys/devices/system/cpu/cpu$PMD_CPU ] || die "needs CPUs $MAIN_CPU and $PMD_CPU; this machine has $(nproc)"

OUT=${OUT:-/tmp/flowpath-compare-ovs-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/windows" "$OUT/logs" || die "cannot create output directory $OUT"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/results.tsv"

# ------------------------------------------------------------------ cleanup
RUN=""            # private OVS run/db/log directory (short path: unix socket names)
DB_PID=""
VS_PID=""
HUGEPAGES_ADDED=0
HUGETLBFS_MOUNTED=""  # a hugetlbfs this run mounted (none was mounted)
DPDK_PREFIX=fpcmp$$

wait_gone() {  # PID SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
# A timeout: a vswitchd busy initialising DPDK does not answer its socket.
appctl() { ovs-appctl --timeout=60 -t "$RUN/ovs-vswitchd-dpdk.$VS_PID.ctl" "$@"; }

stop_ovs() {
  # Interrupted while a daemon was starting: its pidfile already names it.
  [ -z "$VS_PID" ] && VS_PID=$(pid_from_file ovs-vswitchd)
  [ -z "$DB_PID" ] && DB_PID=$(pid_from_file ovsdb-server)
  if [ -n "$VS_PID" ] && kill -0 "$VS_PID" 2>/dev/null; then
    ovs-appctl --timeout=10 -t "$RUN/ovs-vswitchd-dpdk.$VS_PID.ctl" exit --cleanup \
      > /dev/null 2>&1 || true
    if ! wait_gone "$VS_PID" 20; then
      kill -TERM "$VS_PID" 2>/dev/null || true
      wait_gone "$VS_PID" 10 || kill -KILL "$VS_PID" 2>/dev/null || true
    fi
  fi
  VS_PID=""
  if [ -n "$DB_PID" ] && kill -0 "$DB_PID" 2>/dev/null; then
    ovs-appctl --timeout=10 -t "$RUN/ovsdb-server.$DB_PID.ctl" exit > /dev/null 2>&1 || true
    wait_gone "$DB_PID" 10 || kill -TERM "$DB_PID" 2>/dev/null || true
  fi
  DB_PID=""
  if [ -n "$RUN" ]; then rm -f "$RUN/ovs-vswitchd.pid" "$RUN/ovsdb-server.pid"; fi
}

# The PID in $RUN/NAME.pid if that process is still one this run started
# (its command line names $RUN), else nothing.
pid_from_file() {
  local pid
  [ -n "$RUN" ] && pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN/" \
    && echo "$pid"
  return 0
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_ovs
  if [ -n "$HUGETLBFS_MOUNTED" ]; then
    umount "$HUGETLBFS_MOUNTED" && rmdir "$HUGETLBFS_MOUNTED" \
      || note "could not unmount $HUGETLBFS_MOUNTED"
  fi
  if [ "$HUGEPAGES_ADDED" -gt 0 ]; then
    # Give back what this run added; others may have changed the count meanwhile.
    local now; now=$(cat "$HUGEPAGES_SYS")
    echo $((now > HUGEPAGES_ADDED ? now - HUGEPAGES_ADDED : 0)) > "$HUGEPAGES_SYS" \
      || note "could not return $HUGEPAGES_ADDED hugepages: check $HUGEPAGES_SYS"
  fi
  rm -rf "/var/run/dpdk/$DPDK_PREFIX" 2>/dev/null || true
  if [ -n "$RUN" ]; then rm -rf "$RUN"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'echo "compare-ovs: interrupted" >&2; exit 130' INT TERM

# ------------------------------------------------------------------ setup
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing ${missing[*]} (log: $OUT/logs/apt.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${missing[@]}"; } > "$OUT/logs/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed; see $OUT/logs/apt.log"
}

find_replay() {
  if [ -n "$REPLAY" ]; then
    [ -x "$REPLAY" ] || die "--replay $REPLAY is not an executable file"
    return
  fi
  local build=${BUILD_DIR:-$REPO/build}
  REPLAY=$build/bench/replay/flowpath-replay
  [ -x "$REPLAY" ] && return
  note "building flowpath-replay in $build (log: $OUT/logs/build.log)"
  {
    if [ ! -f "$build/build.ninja" ]; then
      cmake -S "$REPO" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOWPATH_WERROR=ON \
        -DFLOWPATH_BENCH=ON
    fi
    ninja -C "$build" flowpath-replay
  } > "$OUT/logs/build.log" 2>&1 || die "building flowpath-replay failed; see $OUT/logs/build.log"
  [ -x "$REPLAY" ] || die "$build does not build bench/replay/flowpath-replay \
(configured with -DFLOWPATH_BENCH=OFF?); pass --replay PATH"
}

# Profile -> pcaps (input ports 1..n in this order) and flows file.
profile_pcaps() {
  local d=$OUT/profiles
  case $1 in
    a) echo "$d/a_1flow.pcap";;
    b) echo "$d/b_10kflows.pcap";;
    c) echo "$d/c_1mflows_p1.pcap $d/c_1mflows_p2.pcap $d/c_1mflows_p3.pcap $d/c_1mflows_p4.pcap";;
    d) echo "$d/d_20masks.pcap";;
    e) echo "$d/e_mixed.pcap";;
    vxlan_decap|vxlan_encap) echo "$d/$1.pcap";;
  esac
}
profile_flows() {
  case $1 in
    a) echo "$OUT/profiles/a_1flow.flows";; b) echo "$OUT/profiles/b_10kflows.flows";;
    c) echo "$OUT/profiles/c_1mflows.flows";; d) echo "$OUT/profiles/d_20masks.flows";;
    e) echo "$OUT/profiles/e_mixed.flows";;
    vxlan_decap|vxlan_encap) echo "$OUT/profiles/$1.flows";;
  esac
}

generate_profiles() {
  note "generating the traffic profiles into $OUT/profiles"
  "$PY" "$REPO/bench/profiles/gen_profiles.py" "$OUT/profiles" > "$OUT/logs/gen_profiles.log" 2>&1 \
    || die "bench/profiles/gen_profiles.py failed; see $OUT/logs/gen_profiles.log"
  local p f
  for p in "${PROFILE_LIST[@]}"; do
    if is_tunnel_profile "$p"; then tunnel_generate_profiles; continue; fi
    for f in $(profile_pcaps "$p") "$(profile_flows "$p")"; do
      [ -s "$f" ] || die "gen_profiles.py did not write $f"
    done
    "$PY" "$TOOL" openflow "$(profile_flows "$p")" > "$OUT/profiles/$p.openflow" \
      || die "cannot translate $(profile_flows "$p") into OpenFlow rules"
  done
}

# DPDK memory: 2 MiB hugepages if the kernel grants enough, else 4 KiB pages.
# Profile c needs four ports of 262,144 mbufs (MTU up to 4500) in memory,
# about 4.5 GiB; the others one 1500-MTU pool, well under 2 GiB. DPDK
# preallocates all of it at start, so each profile gets only what it needs.
MEMORY_KIND=""
MEMORY_MODE=""
HUGE_MB=0
setup_memory() {
  local need=1024 orig got
  [[ ",$PROFILES," == *,c,* ]] && need=3072
  if [ -w "$HUGEPAGES_SYS" ]; then
    orig=$(cat "$HUGEPAGES_SYS")
    echo $((orig + need)) > "$HUGEPAGES_SYS" 2>/dev/null || true
    got=$(( $(cat "$HUGEPAGES_SYS") - orig ))
    # DPDK takes hugepages only through a hugetlbfs mount; a host without
    # one (a plain Debian install has none) gets one for this run.
    if [ "$got" -ge "$need" ] && ! awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' /proc/mounts; then
      HUGETLBFS_MOUNTED=$(mktemp -d /tmp/compare-ovs-hugetlbfs.XXXXXX)
      if ! mount -t hugetlbfs -o pagesize=2M nodev "$HUGETLBFS_MOUNTED"; then
        rmdir "$HUGETLBFS_MOUNTED"; HUGETLBFS_MOUNTED=""
        echo $(( $(cat "$HUGEPAGES_SYS") - got )) > "$HUGEPAGES_SYS"
        note "NOTE: no hugetlbfs is mounted and mounting one failed; OVS runs on 4 KiB pages \
(--no-huge)"
        MEMORY_KIND=nohuge
        MEMORY_MODE="4 KiB pages (--no-huge)"
        return
      fi
    fi
    if [ "$got" -ge "$need" ]; then
      HUGEPAGES_ADDED=$got
      HUGE_MB=$((got * 2 - 256))
      MEMORY_KIND=huge
      MEMORY_MODE="2 MiB hugepages ($got reserved for this run)"
      return
    fi
    if [ "$got" -gt 0 ]; then echo $(( $(cat "$HUGEPAGES_SYS") - got )) > "$HUGEPAGES_SYS"; fi
    note "NOTE: only $got of $need 2 MiB hugepages could be reserved; OVS runs on 4 KiB pages \
(--no-huge), which costs it about a third of its rate on profile a"
  else
    note "NOTE: $HUGEPAGES_SYS is not writable; OVS runs on 4 KiB pages (--no-huge)"
  fi
  MEMORY_KIND=nohuge
  MEMORY_MODE="4 KiB pages (--no-huge)"
}

# Sets DPDK_EXTRA and MEMORY_CONFIG (Open_vSwitch other_config) for PROFILE.
dpdk_memory_args() {
  local mb=2048
  if [ "$MEMORY_KIND" = huge ]; then
    [ "$1" = c ] || [ "$HUGE_MB" -lt "$mb" ] && mb=$HUGE_MB
    DPDK_EXTRA="--no-pci --file-prefix=$DPDK_PREFIX"   # OVS adds --in-memory itself
    MEMORY_CONFIG=("other_config:dpdk-socket-mem=$mb")
  else
    [ "$1" = c ] && mb=8192
    # OVS appends --in-memory unless --legacy-mem is given; DPDK refuses
    # --in-memory together with --no-huge's implied legacy memory.
    DPDK_EXTRA="--no-huge -m $mb --legacy-mem --no-shconf --no-pci --file-prefix=$DPDK_PREFIX"
    MEMORY_CONFIG=()
  fi
}

# ------------------------------------------------------------------ OVS
VSCTL() { ovs-vsctl --db="unix:$RUN/db.sock" --timeout=180 "$@"; }

start_ovs() {  # PROFILE
  local profile=$1 log=$OUT/logs/ovs-r$2-$1
  rm -rf "$RUN"; mkdir -p "$RUN"
  export OVS_RUNDIR=$RUN OVS_LOGDIR=$RUN OVS_DBDIR=$RUN OVS_SYSCONFDIR=$RUN
  ovsdb-tool create "$RUN/conf.db" "$SCHEMA" > "$log.ovsdb-tool" 2>&1 \
    || die "ovsdb-tool create failed; see $log.ovsdb-tool"
  ovsdb-server "$RUN/conf.db" --remote=punix:"$RUN/db.sock" --pidfile="$RUN/ovsdb-server.pid" \
    --log-file="$RUN/ovsdb-server.log" --detach --no-chdir > "$log.ovsdb-server" 2>&1 \
    || die "ovsdb-server did not start; see $log.ovsdb-server"
  DB_PID=$(cat "$RUN/ovsdb-server.pid")
  VSCTL --no-wait init
  dpdk_memory_args "$profile"
  # max-idle: datapath flows idle for 10 s would be removed between windows
  # while OVS is reconfigured; an hour keeps them (the caches are what differ).
  VSCTL --no-wait set Open_vSwitch . other_config:dpdk-init=true \
    "other_config:dpdk-extra=$DPDK_EXTRA" \
    "other_config:dpdk-lcore-mask=$(printf 0x%x $((1 << MAIN_CPU)))" \
    "other_config:pmd-cpu-mask=$(printf 0x%x $((1 << PMD_CPU)))" \
    other_config:max-idle=3600000 "${MEMORY_CONFIG[@]}"
  # A private network namespace: the netdev datapath creates tap devices with
  # global names (ovs-netdev, br0) that would collide with any other OVS.
  if ! unshare --net taskset -c "$MAIN_CPU" "$VSWITCHD" unix:"$RUN/db.sock" \
      --pidfile="$RUN/ovs-vswitchd.pid" --log-file="$RUN/ovs-vswitchd.log" --detach --no-chdir \
      > "$log.vswitchd-start" 2>&1; then
    cp "$RUN/ovs-vswitchd.log" "$log.vswitchd.log" 2>/dev/null || true
    die "ovs-vswitchd-dpdk did not start: $(grep -hE 'ERR|EMER' "$RUN/ovs-vswitchd.log" \
      "$log.vswitchd-start" 2>/dev/null | tail -3) (see $log.vswitchd.log)"
  fi
  VS_PID=$(cat "$RUN/ovs-vswitchd.pid")
  if is_tunnel_profile "$profile"; then
    ovs_tunnel_topology "$profile" "$log"
  else
    ovs_plain_topology "$profile" "$log"
  fi
  ovs_find_pmd
}

ovs_plain_topology() {  # PROFILE LOG
  local profile=$1 log=$2
  OVS_OUT_BRIDGE=br0
  VSCTL add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure \
    || die "ovs-vsctl add-br br0 (netdev datapath) failed; see $RUN/ovs-vswitchd.log"
  VSCTL add-port br0 out0 -- set Interface out0 type=dpdk \
    "options:dpdk-devargs=net_null0,no-rx=1" ofport_request=100 \
    || die "ovs-vsctl add-port out0 (net_null) failed"
  local n=1 pcap mtu error
  for pcap in $(profile_pcaps "$profile"); do
    # Profile c: a distinct MTU per port gives each its own 262,144-mbuf
    # pool; the pcap driver keeps the whole file in mbufs.
    mtu=""; [ "$profile" = c ] && mtu=${C_PORT_MTUS[$((n - 1))]}
    VSCTL add-port br0 "in$n" -- set Interface "in$n" type=dpdk \
      "options:dpdk-devargs=net_pcap$n,rx_pcap=$pcap,infinite_rx=1" ofport_request="$n" \
      ${mtu:+mtu_request=$mtu} || die "ovs-vsctl add-port in$n ($pcap) failed"
    error=$(VSCTL get Interface "in$n" error)
    [ "$error" = "[]" ] || die "OVS port in$n ($pcap): $error"
    n=$((n + 1))
  done
  error=$(VSCTL get Interface out0 error)
  [ "$error" = "[]" ] || die "OVS port out0 (net_null): $error"
  ovs-ofctl add-flows br0 "$OUT/profiles/$profile.openflow" > "$log.add-flows" 2>&1 \
    || die "ovs-ofctl add-flows $OUT/profiles/$profile.openflow failed: $(head -3 "$log.add-flows")"
}

ovs_find_pmd() {
  PMD_TID=""
  local t
  for t in /proc/"$VS_PID"/task/*; do
    case "$(cat "$t/comm")" in pmd-c*) PMD_TID=$(basename "$t");; esac
  done
  [ -n "$PMD_TID" ] || die "ovs-vswitchd has no PMD thread; see $RUN/ovs-vswitchd.log"
  if [ "$SCHED" = fifo ]; then
    chrt -f -p "$FIFO_PRIORITY" "$PMD_TID" > /dev/null \
      || die "cannot make OVS's PMD thread $PMD_TID SCHED_FIFO (chrt -f -p $FIFO_PRIORITY)"
  fi
  # Big pcaps finish loading in the main thread after ovs-vsctl returns: wait
  # until the non-PMD threads are idle (2 quiet seconds in a row, at most 2 min).
  local quiet=0 k j0 j1
  for ((k = 0; k < 120 && quiet < 2; k++)); do
    j0=$(ovs_nonpmd_jiffies); sleep 1; j1=$(ovs_nonpmd_jiffies)
    if [ $((j1 - j0)) -lt 5 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  done
  [ "$quiet" -ge 2 ] || note "warning: ovs-vswitchd's main threads still busy after 2 minutes"
}

ovs_nonpmd_jiffies() {
  cat /proc/"$VS_PID"/task/*/stat 2>/dev/null | awk -v t="$PMD_TID" '$1 != t {s += $14 + $15} END {print s + 0}'
}

set_ovs_config() {  # default|smc|noemc|smc+noemc; ovs-vsctl waits until vswitchd applied it
  local smc=false emc=100
  case $1 in
    default) ;; smc) smc=true;; noemc) emc=0;; smc+noemc) smc=true; emc=0;;
  esac
  if [ "$1" = default ]; then
    VSCTL remove Open_vSwitch . other_config smc-enable -- \
      remove Open_vSwitch . other_config emc-insert-inv-prob
  else
    VSCTL set Open_vSwitch . "other_config:smc-enable=$smc" "other_config:emc-insert-inv-prob=$emc"
  fi
}

out_port_tx() {
  ovs-ofctl dump-ports "$OVS_OUT_BRIDGE" 100 | awk -F'[=,]' '/tx pkts/ {gsub(/ /, "", $2); print $2}'
}

cpu_busy_jiffies() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# Share of CPU PMD_CPU that went to anything but the measured thread, in %.
other_share() {  # CPU_BUSY_DELTA THREAD_JIFFIES_DELTA SECONDS
  awk -v b="$1" -v t="$2" -v s="$3" 'BEGIN {v = (b - t) / s; printf "%.0f", v < 0 ? 0 : v}'
}

measure_ovs() {  # ROUND PROFILE CONFIG
  local file=$OUT/windows/r$1-$2-ovs-$3.txt t0 t1 tx0 tx1 b0 b1 j0 j1 line mpps check
  set_ovs_config "$3"
  sleep "$SETTLE_SECONDS"
  tx0=$(out_port_tx); t0=$(date +%s.%N)
  b0=$(cpu_busy_jiffies "$PMD_CPU"); j0=$(awk '{print $14 + $15}' /proc/"$VS_PID"/task/"$PMD_TID"/stat)
  appctl dpif-netdev/pmd-stats-clear > /dev/null
  sleep "$WINDOW_SECONDS"
  appctl dpif-netdev/pmd-perf-show > "$file"
  tx1=$(out_port_tx); t1=$(date +%s.%N)
  b1=$(cpu_busy_jiffies "$PMD_CPU"); j1=$(awk '{print $14 + $15}' /proc/"$VS_PID"/task/"$PMD_TID"/stat)
  line=$("$PY" "$TOOL" ovs-window "$file") || die "cannot read OVS's rate from $file"
  mpps=${line#mpps=}; mpps=${mpps%% *}
  check=$(awk -v a="$tx0" -v b="$tx1" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.3f", (b - a) / (t1 - t0) / 1e6}')
  echo "$line port_tx_mpps=$check cpu${PMD_CPU}_other=$(other_share $((b1 - b0)) $((j1 - j0)) \
"$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")% load=$(cut -d' ' -f1 /proc/loadavg)" >> "$file"
  expect_hits "$3" "$line" "$file"
  printf '%s\t%s\tovs-%s\t%s\n' "$1" "$2" "$3" "$mpps" >> "$OUT/results.tsv"
  printf '  r%s %s ovs-%-9s %s\n' "$1" "$2" "$3" "$(tail -1 "$file")" | tee -a "$OUT/windows.log" >&2
}

# The configuration must show in where the hits came from.
expect_hits() {  # CONFIG WINDOW_LINE FILE
  local emc smc
  emc=$(sed -n 's/.* emc=\([0-9.]*\)%.*/\1/p' <<< "$2")
  smc=$(sed -n 's/.* smc=\([0-9.]*\)%.*/\1/p' <<< "$2")
  case $1 in
    noemc|smc+noemc) awk -v v="$emc" 'BEGIN {exit !(v > 0)}' \
      && note "warning: EMC hits ($emc%) with emc-insert-inv-prob=0 in $3";;
  esac
  case $1 in
    default|noemc) awk -v v="$smc" 'BEGIN {exit !(v > 0)}' \
      && note "warning: SMC hits ($smc%) with the SMC disabled in $3";;
  esac
  return 0
}

save_ovs_state() {  # ROUND PROFILE
  local base=$OUT/logs/ovs-r$1-$2
  appctl dpctl/dump-flows -m > "$base.dpflows" 2>&1 || true
  ovs-ofctl dump-flows br0 > "$base.offlows" 2>&1 || true
  if is_tunnel_profile "$2"; then
    ovs-ofctl dump-flows br-int >> "$base.offlows" 2>&1 || true
    appctl ovs/route/show > "$base.routes" 2>&1 || true
    appctl tnl/neigh/show > "$base.neighbours" 2>&1 || true
    tunnel_check_ovs_flows "$2" "$base.dpflows"
  fi
  VSCTL show > "$base.vsctl-show" 2>&1 || true
}

# ------------------------------------------------------------------ flowpath
measure_flowpath() {  # ROUND PROFILE WHICH
  local file=$OUT/windows/r$1-$2-flowpath-$3.txt pcaps=() p t0 t1 b0 b1 c0 c1 mpps
  for p in $(profile_pcaps "$2"); do pcaps+=(--pcap "$p"); done
  TUNNEL_REPLAY_ARGS=()
  is_tunnel_profile "$2" && tunnel_replay_args "$2" "${file%.txt}.output.pcap"
  times > "$RUN/times"
  t0=$(date +%s.%N); b0=$(cpu_busy_jiffies "$PMD_CPU"); c0=$(children_jiffies)
  "${SCHED_CMD[@]}" taskset -c "$PMD_CPU" "$REPLAY" "${pcaps[@]}" --flows "$(profile_flows "$2")" \
    --seconds "$WINDOW_SECONDS" --profile-name "$2" --cpu "$PMD_CPU" "${TUNNEL_REPLAY_ARGS[@]}" \
    > "$file" 2>&1 \
    || die "flowpath-replay failed on profile $2: $(tail -2 "$file")"
  times > "$RUN/times"
  t1=$(date +%s.%N); b1=$(cpu_busy_jiffies "$PMD_CPU"); c1=$(children_jiffies)
  mpps=$(sed -n 's/^RESULT .* mpps=\([0-9.]*\) .*/\1/p' "$file")
  [ -n "$mpps" ] || die "no RESULT line from flowpath-replay in $file"
  grep -q "WARNING: misses" "$file" && note "warning: flowpath missed packets in $file"
  grep -q "WARNING: .* dropped" "$file" && note "warning: flowpath dropped packets in $file"
  is_tunnel_profile "$2" && tunnel_check_flowpath_output "$2" "$file" "${file%.txt}.output.pcap"
  echo "mpps=$mpps $(sed -n 's/^RESULT .* \(cycles_per_packet=[0-9.]*\) \(floor_cycles_per_packet=[0-9.]*\).*/\1 \2/p' "$file") \
$(grep -o 'emc hits [0-9]*, smc hits [0-9]*, megaflow hits [0-9]*, misses [0-9]*' "$file" | tr -d ,) \
cpu${PMD_CPU}_other=$(other_share $((b1 - b0)) $((c1 - c0)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")% \
load=$(cut -d' ' -f1 /proc/loadavg)" >> "$file"
  printf '%s\t%s\tflowpath\t%s\n' "$1" "$2" "$mpps" >> "$OUT/results.tsv"
  printf '  r%s %s flowpath      %s\n' "$1" "$2" "$(tail -1 "$file")" | tee -a "$OUT/windows.log" >&2
}

# CPU time of this shell's finished children, in jiffies. `times` must run in
# this shell itself: a subshell starts with its children's times at zero.
children_jiffies() {
  awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
    printf "%d", t * 100 }' "$RUN/times"
}

# ------------------------------------------------------------------ main
install_packages
[ -x "$VSWITCHD" ] || die "$VSWITCHD missing after installing openvswitch-switch-dpdk"
for p in "${PACKAGES[@]:2}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || die "package $p (a DPDK driver OVS needs) is not installed"
done
find_replay
generate_profiles
if other=$(pgrep -f "^$VSWITCHD" | tr '\n' ' ') && [ -n "$other" ]; then
  note "warning: other ovs-vswitchd-dpdk processes are running (pids $other); their PMDs may share CPU $PMD_CPU"
fi
setup_memory
RUN=$(mktemp -d /tmp/fpcmp.XXXXXX)

{
  echo "# flowpath vs OVS-DPDK, $(date '+%Y-%m-%d %H:%M %Z')"
  echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "# OVS: $("$VSWITCHD" --version | head -1 | sed 's/.*) //'), $("$VSWITCHD" --version | sed -n 's/^DPDK //p' | sed 's/^/DPDK /'); memory: $MEMORY_MODE"
  echo "# flowpath: $REPLAY (default caches)"
  echo "# windows of ${WINDOW_SECONDS}s, $ROUNDS round(s); OVS main threads on CPU $MAIN_CPU, PMD and flowpath on CPU $PMD_CPU, scheduled $SCHED"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/summary.txt"

for ((round = 1; round <= ROUNDS; round++)); do
  for profile in "${PROFILE_LIST[@]}"; do
    note "round $round/$ROUNDS, profile $profile ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
    measure_flowpath "$round" "$profile" 1
    start_ovs "$profile" "$round"
    sleep "$WARMUP_SECONDS"
    for config in "${OVS_CONFIGS[@]}"; do measure_ovs "$round" "$profile" "$config"; done
    save_ovs_state "$round" "$profile"
    cp "$RUN/ovs-vswitchd.log" "$OUT/logs/ovs-r$round-$profile.vswitchd.log"
    stop_ovs
    measure_flowpath "$round" "$profile" 2
  done
done

{
  echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$PY" "$TOOL" report "$OUT/results.tsv" "$(IFS=,; echo "${OVS_CONFIGS[*]}")"
} | tee -a "$OUT/summary.txt"
note "windows: $OUT/windows.log; raw output: $OUT/windows; logs: $OUT/logs"
