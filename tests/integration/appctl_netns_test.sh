#!/usr/bin/env bash
# Debian's own ovs-appctl against flowpathd, as against ovs-vswitchd:
#   - flowpathd --ovsdb --as-ovs-vswitchd beside a private ovsdb-server
#     (scripts/flowpath-ovsdb.sh): OVS_RUNDIR=RUNDIR ovs-appctl finds it
#     through RUNDIR/ovs-vswitchd.pid (locked as Open vSwitch's pidfiles are)
#     and RUNDIR/ovs-vswitchd.PID.ctl; -t with the socket's path reaches it
#     too; a second daemon serves --unixctl PATH
#   - every command answers what fpctl prints of the same facts (dpif/show's
#     ports checked against ovs-vsctl's ofports): list-commands, version,
#     vlog/list, vlog/set, dpif/show, dpctl/show, dpctl/dump-flows, fdb/show,
#     fdb/flush, ofproto/trace, upcall/show, dpif-netdev/pmd-stats-show and
#     -clear, ovs/route/show, tnl/neigh/show, tnl/arp/show, tnl/neigh/flush,
#     dpctl/dump-conntrack, memory/show
#   - an unknown command, too few or too many arguments, a bad vlog setting:
#     exit status 2 and Open vSwitch's message
#   - a client that sends garbage gets an error and is closed; one that
#     stalls mid-request, and 20 ovs-appctl at once, hold up nobody
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
SCRIPT=$(cd "$(dirname "$0")/../../scripts" && pwd)/flowpath-ovsdb.sh
for tool in ovsdb-server ovs-vsctl ovs-appctl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (openvswitch-switch)"; exit 1; }
done

# The run directory is the control socket's: $WORK, where flowpath-ovsdb.sh
# also puts db.sock.
stop_ovsdb() { "$SCRIPT" stop --rundir "$WORK" >/dev/null 2>&1; }
SECOND_PID=
appctl_cleanup() {
  local status=$?
  [ -n "$SECOND_PID" ] && kill -TERM "$SECOND_PID" 2>/dev/null && wait "$SECOND_PID" 2>/dev/null
  stop_ovsdb; (exit "$status"); cleanup
}
trap appctl_cleanup EXIT

vsctl() { ovs-vsctl --db=unix:"$WORK/db.sock" --timeout=20 "$@"; }
# appctl ARGS...: ovs-appctl with its default target, ovs-vswitchd, found in
# $WORK; stdout and stderr together, as a user sees them.
appctl() { OVS_RUNDIR=$WORK timeout 20 ovs-appctl "$@" 2>&1; }

must "$SCRIPT" start --rundir "$WORK" --dbdir "$WORK/db" > "$WORK/ovsdb-start.log"
start_daemon --no-state --ovsdb unix:"$WORK/db.sock" --as-ovs-vswitchd
CTL=$WORK/ovs-vswitchd.$DAEMON_PID.ctl

BR=${RUN}br
must vsctl add-br "$BR"
add_host a 10.253.0.1
add_host b 10.253.0.2
must vsctl add-port "$BR" "$RUN-a"
must vsctl add-port "$BR" "$RUN-b"
# Connections are tracked (committed) on their way through NORMAL.
must fpctl of add-flow "$BR" "priority=100,icmp,actions=ct(commit),NORMAL"
must in_host a ping -c 3 -i 0.2 -W 2 -q 10.253.0.2

# ---- how ovs-appctl finds flowpathd
check "ovs-vswitchd.pid holds flowpathd's pid" test "$(cat "$WORK/ovs-vswitchd.pid")" = "$DAEMON_PID"
check "the unixctl socket is RUNDIR/ovs-vswitchd.PID.ctl" test -S "$CTL"
version=$("$BIN/flowpathd" --version)
check "version (OVS_RUNDIR and the pidfile): $version" test "$(appctl version)" = "$version"
check "version (-t SOCKET)" test "$(OVS_RUNDIR=/nonexistent timeout 20 ovs-appctl -t "$CTL" version)" = "$version"
check "-t ovs-vswitchd names the same daemon" test "$(appctl -t ovs-vswitchd version)" = "$version"

# ---- every command, and fpctl's output of the same facts
appctl list-commands > "$WORK/list-commands.txt"
check "list-commands starts as Open vSwitch's" \
  test "$(head -1 "$WORK/list-commands.txt")" = "The available commands are:"
for command in list-commands version vlog/list vlog/set dpif/show dpctl/show dpctl/dump-flows \
               fdb/show fdb/flush ofproto/trace upcall/show dpif-netdev/pmd-stats-show \
               dpif-netdev/pmd-stats-clear ovs/route/show tnl/arp/show tnl/neigh/show \
               tnl/neigh/flush dpctl/dump-conntrack memory/show; do
  check "list-commands lists $command" grep -Eq "^  $command( |$)" "$WORK/list-commands.txt"
done

# same_output NORMALISE "APPCTL ARGS" "FPCTL ARGS": the two print the same,
# after NORMALISE (a sed script for what moves by itself: ages, times) and
# with at least one line. Polled: counters may move between the two calls.
same_output() {
  local a f
  a=$(eval "appctl $2" | sed -E "$1") || return 1
  f=$(eval "fpctl $3" | sed -E "$1") || return 1
  [ -n "$a" ] && [ "$a" = "$f" ] && return 0
  diff <(echo "$a") <(echo "$f") > "$WORK/last-diff.txt"
  return 1
}
same() { check "$1: ovs-appctl $2 = fpctl $3" wait_until 10 same_output "$4" "$2" "$3" ||
         cat "$WORK/last-diff.txt"; }
same "dpctl/show" "dpctl/show" "show" ''
same "dpctl/show -s" "dpctl/show -s $BR" "show -s $BR" ''
same "dpctl/dump-flows" "dpctl/dump-flows $BR" "dump-flows $BR" 's/used:[^,]*/used:T/'
same "dpctl/dump-flows -m" "dpctl/dump-flows -m $BR" "dump-flows -m $BR" 's/used:[^,]*/used:T/'
same "fdb/show" "fdb/show $BR" "fdb-show $BR" 's/ +[0-9]+$/ AGE/'
check "fdb/show has both hosts' MACs" \
  test "$(appctl fdb/show "$BR" | grep -Ec "$(host_mac a)|$(host_mac b)")" = 2
same "upcall/show" "upcall/show" "upcall/show" 's/(dump duration : )[0-9]+/\1D/'
# (cycle counts move while the threads poll: left out)
same "pmd-stats-show" "dpif-netdev/pmd-stats-show" "pmd-stats-show" '/cycles/d'
same "ovs/route/show" "ovs/route/show" "ovs/route/show" ''
same "tnl/neigh/show" "tnl/neigh/show" "tnl/neigh/show" ''
same "tnl/arp/show" "tnl/arp/show" "tnl/arp/show" ''
same "vlog/list" "vlog/list" "vlog/list" ''
same "dpctl/dump-conntrack" "dpctl/dump-conntrack $BR" "dump-conntrack $BR" ''
check "dpctl/dump-conntrack shows the pings' connection" \
  grep -q "^icmp,orig=(src=10.253.0.1,dst=10.253.0.2" <(appctl dpctl/dump-conntrack "$BR")
TRACE_FLOW="in_port=1,dl_src=$(host_mac a),dl_dst=$(host_mac b),dl_type=0x0800,nw_src=10.253.0.1,nw_dst=10.253.0.2,nw_proto=1"
same "ofproto/trace" "ofproto/trace $BR '$TRACE_FLOW'" "trace $BR '$TRACE_FLOW'" ''
check "ofproto/trace ends with the datapath actions" \
  grep -q "^Datapath actions: " <(appctl ofproto/trace "$BR" "$TRACE_FLOW")

# dpif/show: the bridge's datapath and each port's OpenFlow/datapath numbers.
appctl dpif/show > "$WORK/dpif-show.txt"
check "dpif/show: the datapath with its lookups" grep -Eq "^flowpath@$BR: hit:[0-9]+ missed:[0-9]+$" "$WORK/dpif-show.txt"
check "dpif/show: the bridge" grep -qx "  $BR:" "$WORK/dpif-show.txt"
for port in "$RUN-a" "$RUN-b" "$BR"; do
  ofport=$(vsctl get Interface "$port" ofport)
  check "dpif/show: $port with ofport $ofport (ovs-vsctl's)" \
    grep -Eq "^    $port $ofport/[0-9]+: \(" "$WORK/dpif-show.txt"
done

# memory/show counts what fpctl shows.
ports=$(fpctl show "$BR" | grep -c '^  port ')
check "memory/show: $ports ports, as fpctl show" grep -Eq "(^| )ports:$ports( |$)" <(appctl memory/show)

# pmd-stats-clear zeroes ovs-appctl's view: after it, fewer packets than
# fpctl (which counts since the start) and the pings were counted.
received() { sed -n 's/^  packets received: //p' | awk '{s += $1} END {print s + 0}'; }
before=$(fpctl pmd-stats-show | received)
check "the pings were counted ($before packets)" test "$before" -ge 6
check "dpif-netdev/pmd-stats-clear answers nothing" test -z "$(appctl dpif-netdev/pmd-stats-clear)"
after_clear=$(appctl dpif-netdev/pmd-stats-show | received)
total=$(fpctl pmd-stats-show | received)
check "after the clear: $after_clear packets, fewer than fpctl's $total" test "$after_clear" -lt "$total"

check "fdb/flush $BR" test "$(appctl fdb/flush "$BR")" = "table successfully flushed"
# (the bridge's own device may speak again at once: the silent hosts are checked)
check "fdb/show after the flush: the hosts' MACs are gone" \
  test "$(appctl fdb/show "$BR" | grep -Ec "$(host_mac a)|$(host_mac b)")" = 0
check "fdb/flush (every bridge)" test "$(appctl fdb/flush)" = "table successfully flushed"
check "tnl/neigh/flush" test "$(appctl tnl/neigh/flush)" = OK

check "vlog/set datapath:console:dbg answers nothing" test -z "$(appctl vlog/set datapath:console:dbg)"
check "vlog/list shows it" grep -Eq '^datapath +DBG ' <(appctl vlog/list)
same "vlog/list after vlog/set" "vlog/list" "vlog/list" ''

# ---- refusals: exit status 2 and Open vSwitch's words
refused() {  # refused "MESSAGE" ARGS...: ovs-appctl ARGS exits 2 saying MESSAGE
  local want=$1 out status; shift
  out=$(appctl "$@"); status=$?
  [ "$status" = 2 ] && grep -qxF -- "$want" <<< "$out" &&
    grep -qxF "ovs-appctl: ovs-vswitchd: server returned an error" <<< "$out" && return 0
  echo "  got status $status: $out"; return 1
}
check "an unknown command" refused \
  '"no/such" is not a valid command (use "list-commands" to see a list of valid commands)' no/such
check "too few arguments" refused '"fdb/show" command requires at least 1 arguments' fdb/show
check "too many arguments" refused '"fdb/show" command takes at most 1 arguments' fdb/show a b
check "a bad vlog setting" test "$(appctl vlog/set nosuchmodule:dbg; echo "status $?")" != "status 0"
check "a bridge that does not exist" test "$(appctl fdb/show nosuchbr >/dev/null; echo $?)" = 2

# ---- clients that misbehave
cat > "$WORK/client.py" <<'PY'
import json, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
if mode == "garbage":
    s.sendall(b"hello, not json\n")
    s.settimeout(10)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    reply = json.loads(data.decode())
    assert reply["result"] is None and reply["error"].startswith("invalid request"), reply
    print("closed after:", reply["error"].strip())
elif mode == "stall":
    s.sendall(b'{"id":1,"method":"version","params":["')
    print("stalling", flush=True)
    time.sleep(float(sys.argv[3]))
PY
check "a client sending garbage gets an error and is closed" /usr/bin/python3 "$WORK/client.py" "$CTL" garbage
/usr/bin/python3 "$WORK/client.py" "$CTL" stall 30 > "$WORK/stall.log" &
STALL_PID=$!
BACKGROUND+=("$STALL_PID")
stalling() { grep -q stalling "$WORK/stall.log"; }
must wait_until 10 stalling
check "ovs-appctl answered while a client stalls mid-request" test "$(appctl version)" = "$version"
pids=()
for i in $(seq 20); do
  (OVS_RUNDIR=$WORK timeout 20 ovs-appctl dpctl/show > "$WORK/parallel.$i" 2>&1) &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
check "20 ovs-appctl at once: all answered" test "$failed" = 0
check "20 ovs-appctl at once: each printed the datapath" \
  test "$(grep -l "^flowpath@$BR:" "$WORK"/parallel.* | wc -l)" = 20
kill "$STALL_PID" 2>/dev/null

# ---- --unixctl PATH on a second daemon (no OVSDB, no pidfile)
check "--unixctl and --as-ovs-vswitchd together are refused" \
  test "$("$BIN/flowpathd" --no-state --socket "$WORK/x.sock" --unixctl "$WORK/x.ctl" --as-ovs-vswitchd >/dev/null 2>&1; echo $?)" = 2
"$BIN/flowpathd" --no-state --socket "$WORK/second.sock" --unixctl "$WORK/second.ctl" \
  >> "$WORK/second.log" 2>&1 &
SECOND_PID=$!
second_up() { [ -S "$WORK/second.ctl" ]; }
must wait_until 20 second_up
check "--unixctl PATH: ovs-appctl -t PATH dpctl/dump-dps answers (no datapath)" \
  test "$(timeout 20 ovs-appctl -t "$WORK/second.ctl" dpctl/dump-dps; echo "status $?")" = "status 0"
kill -TERM "$SECOND_PID"; wait "$SECOND_PID"
check "the second daemon exits cleanly" test $? = 0
SECOND_PID=
check "its socket is removed" test ! -e "$WORK/second.ctl"

pid=$DAEMON_PID
stop_daemon
check "ovs-vswitchd.pid is removed at exit" test ! -e "$WORK/ovs-vswitchd.pid"
check "the unixctl socket is removed at exit" test ! -e "$WORK/ovs-vswitchd.$pid.ctl"
finish
