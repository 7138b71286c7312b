#!/usr/bin/env bash
# The Open_vSwitch table's thread and cache keys, set with Debian's ovs-vsctl
# against Debian's ovsdb-server, applied by a running flowpathd as
# ovs-vswitchd applies them (no restart), each observed where it acts:
#   - n-handler-threads: `fpctl upcall/show` and the fp-handler threads in
#     /proc/PID/task; a bad value leaves the running count; the key removed,
#     the start setting (--handler-threads) again
#   - pmd-cpu-mask: the forwarding threads' Cpus_allowed_list, the same
#     threads moved; a bad mask, or one with more CPUs than threads, leaves
#     them where they are; the key removed, unpinned again
#   - emc-insert-inv-prob: 1 turns the exact-match cache on, inserting every
#     new key (EMC hits in `fpctl pmd-stats-show` grow with pings); 0 turns it
#     off (hits stop); a bad value leaves it; the key removed, the start
#     setting (--emc off, 1/100)
#   - n-revalidator-threads: told in the log that it is not applied
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
. "$HERE/slow_path_lib.sh"
SCRIPT=$(cd "$HERE/../../scripts" && pwd)/flowpath-ovsdb.sh
for tool in ovsdb-server ovs-vsctl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (openvswitch-switch)"; exit 1; }
done

DB=$WORK/ovsdb
stop_ovsdb() { "$SCRIPT" stop --rundir "$DB" >/dev/null 2>&1; }
ovsdb_cleanup() { local status=$?; stop_ovsdb; (exit "$status"); cleanup; }
trap ovsdb_cleanup EXIT

vsctl() { ovs-vsctl --db=unix:"$DB/db.sock" --timeout=20 "$@"; }
set_key() { vsctl set Open_vSwitch . "other_config:$1=$2"; }
remove_key() { vsctl remove Open_vSwitch . other_config "$1"; }
logged() { grep -qF -- "$1" "$WORK/flowpathd.log"; }

# The threads of flowpathd named PREFIX*, with their allowed CPUs:
# "fp-fwd0:0 fp-fwd1:1".
threads() {
  local t name
  for t in /proc/"$DAEMON_PID"/task/*; do
    name=$(cat "$t/comm" 2>/dev/null) || continue
    case $name in "$1"*)
      echo "$name:$(awk '/^Cpus_allowed_list:/ {print $2}' "$t/status")" ;;
    esac
  done | sort | tr '\n' ' ' | sed 's/ $//'
}
count_threads() { threads "$1" | wc -w; }
forwarding_tids() { for t in /proc/"$DAEMON_PID"/task/*; do
  case $(cat "$t/comm" 2>/dev/null) in fp-fwd*) basename "$t" ;; esac; done | sort | tr '\n' ' '; }
handlers_shown() { fpctl upcall/show | sed -n 's/^ *handlers *: *//p'; }
# /proc may show one thread more: a thread started from a handler inherits its name.
handlers_are() {
  local seen; seen=$(count_threads fp-handler)
  [ "$(handlers_shown)" = "$1" ] && { [ "$seen" = "$1" ] || [ "$seen" = "$(($1 + 1))" ]; }
}
emc_setting() { fpctl --format json show "$BR" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
s = d["stats"]
print("on" if s["emc"] else "off", s["emc_insert_inv_prob"])'; }
emc_hits() { fpctl --format json pmd-stats-show | /usr/bin/python3 -c '
import json, sys
print(sum(t.get("emc_hits", 0) for t in json.load(sys.stdin) if t["id"] is not None))'; }
pings() { in_host a ping -c "$1" -i 0.05 -W 1 -q 10.253.23.2 >/dev/null 2>&1; }

# Two forwarding threads unless this machine has one CPU.
CPUS=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then THREADS=2; else THREADS=1; fi
must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > "$WORK/ovsdb-start.log"
start_daemon --no-state --ovsdb unix:"$DB/db.sock" --threads "$THREADS" --handler-threads 2

must vsctl add-br "$BR"
add_host a 10.253.23.1
add_host b 10.253.23.2
must vsctl add-port "$BR" "$RUN-a"
must vsctl add-port "$BR" "$RUN-b"
check "a pings b" ping_within a 10.253.23.2 10

# ---- n-handler-threads
check "the start setting: 2 handler threads (upcall/show, /proc)" handlers_are 2
check "set n-handler-threads=3" set_key n-handler-threads 3
check "3 handler threads, at once" handlers_are 3
check "forwarding goes on" ping_within a 10.253.23.2 10
check "set n-handler-threads=abc" set_key n-handler-threads abc
check "abc is refused in the log" logged 'other_config:n-handler-threads="abc" is not a decimal integer 0..64'
check "abc leaves 3 running" handlers_are 3
check "set n-handler-threads=65" set_key n-handler-threads 65
check "65 leaves 3 running" handlers_are 3
check "set n-handler-threads=0" set_key n-handler-threads 0
check "0 is the default (the start setting): 2" handlers_are 2
check "set n-handler-threads=4" set_key n-handler-threads 4
check "4 handler threads" handlers_are 4
check "remove n-handler-threads" remove_key n-handler-threads
check "the start setting again: 2" handlers_are 2

# ---- pmd-cpu-mask
unpinned=$(for i in $(seq 0 $((THREADS - 1))); do echo "fp-fwd$i:$CPUS"; done | tr '\n' ' ' | sed 's/ $//')
# A CPU that does not exist here: one past the last the machine has.
ABSENT=$(getconf _NPROCESSORS_CONF)
if [ "$THREADS" -eq 2 ]; then MASK=0x3 PINNED="fp-fwd0:0 fp-fwd1:1" NARROW=0x1
  ELSEWHERE=$(printf '0x%x' $(( (1 << ABSENT) | 1 )))
else MASK=0x1 PINNED="fp-fwd0:0" NARROW=; ELSEWHERE=$(printf '0x%x' $(( 1 << ABSENT ))); fi
TIDS=$(forwarding_tids)
check "forwarding threads unpinned at start ($unpinned)" test "$(threads fp-fwd)" = "$unpinned"
check "set pmd-cpu-mask=$MASK" set_key pmd-cpu-mask "$MASK"
check "one thread per CPU of the mask: $PINNED" test "$(threads fp-fwd)" = "$PINNED"
check "the same threads, moved (no restart)" test "$(forwarding_tids)" = "$TIDS"
check "forwarding goes on" ping_within a 10.253.23.2 10
check "set pmd-cpu-mask=0xg3" set_key pmd-cpu-mask 0xg3
check "0xg3 is refused in the log" logged "other_config:pmd-cpu-mask: CPU mask \"0xg3\": 'g' at column 3 is not a hexadecimal digit; not applied, the running value stays"
check "0xg3 leaves them where they are" test "$(threads fp-fwd)" = "$PINNED"
check "set pmd-cpu-mask=$ELSEWHERE (CPU $ABSENT does not exist)" set_key pmd-cpu-mask "$ELSEWHERE"
check "$ELSEWHERE is refused in the log" \
  logged "pmd-cpu-mask not applied, the running value stays: CPU $ABSENT is not one flowpathd may run on ($CPUS)"
check "$ELSEWHERE leaves them where they are" test "$(threads fp-fwd)" = "$PINNED"
if [ -n "$NARROW" ]; then
  check "set pmd-cpu-mask=$NARROW (1 CPU, 2 threads)" set_key pmd-cpu-mask "$NARROW"
  check "$NARROW is refused in the log" logged "pmd-cpu-mask not applied, the running value stays: 1 CPU(s) for 2 forwarding thread(s)"
  check "$NARROW leaves them where they are" test "$(threads fp-fwd)" = "$PINNED"
fi
check "remove pmd-cpu-mask" remove_key pmd-cpu-mask
check "unpinned again" test "$(threads fp-fwd)" = "$unpinned"

# ---- emc-insert-inv-prob
check "the start setting: EMC off, 1/100" test "$(emc_setting)" = "off 100"
check "set emc-insert-inv-prob=1" set_key emc-insert-inv-prob 1
check "EMC on, every new key inserted" test "$(emc_setting)" = "on 1"
before=$(emc_hits)
must pings 20
after=$(emc_hits)
echo "  EMC hits: $before -> $after over 20 pings"
check "EMC hits grow" test "$after" -gt "$before"
check "set emc-insert-inv-prob=0" set_key emc-insert-inv-prob 0
check "EMC off, no insertion" test "$(emc_setting)" = "off 0"
before=$(emc_hits)
must pings 20
after=$(emc_hits)
echo "  EMC hits: $before -> $after over 20 pings"
check "no EMC hit at 0" test "$after" -eq "$before"
check "set emc-insert-inv-prob=-5" set_key emc-insert-inv-prob -5
check "-5 is refused in the log" logged 'other_config:emc-insert-inv-prob="-5" is not a decimal integer 0..4294967295'
check "-5 leaves the EMC off" test "$(emc_setting)" = "off 0"
check "set emc-insert-inv-prob=4294967295" set_key emc-insert-inv-prob 4294967295
check "EMC on at 1/4294967295" test "$(emc_setting)" = "on 4294967295"
check "remove emc-insert-inv-prob" remove_key emc-insert-inv-prob
check "the start setting again: off, 1/100" test "$(emc_setting)" = "off 100"

# ---- n-revalidator-threads: not applied, and said so
check "set n-revalidator-threads=2" set_key n-revalidator-threads 2
check "the log says it is not applied" logged "other_config:n-revalidator-threads=2 is not applied: flowpath runs one revalidator thread per bridge"

check "a still pings b" ping_within a 10.253.23.2 10
must vsctl del-br "$BR"
finish
