#!/usr/bin/env bash
# flowpathd's life as an operator sees it: --log-file and SIGHUP (logrotate)
# while a ping runs through a bridge — no reply lost, the log file reopened;
# --pidfile (written, locked against a second daemon, removed at exit); the
# bridge's internal port keeps its address across a restart and the host
# stack answers through it again; del-br removes the device; --detach.
#
# The daemon runs in a namespace of its own ($RUN-sw) with the hosts' veth
# ends, so the bridge's address never touches the root namespace.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"

SW=$RUN-sw
BR=${RUN}br
A=10.247.0.1 B=10.247.0.2 GW=10.247.0.254
ip netns add "$SW"; NAMESPACES+=("$SW")
ip -n "$SW" link set lo up
add_switch_host a $A
add_switch_host b $B

LOG=$WORK/log/flowpathd.log
PIDFILE=$WORK/run/flowpathd.pid
DAEMON_NETNS=$SW
start_daemon --log-file "$LOG" --pidfile "$PIDFILE"

check "the pidfile holds the daemon's pid" test "$(cat "$PIDFILE" 2>/dev/null)" = "$DAEMON_PID"
second=$("$BIN/flowpathd" --socket "$WORK/second.sock" --no-state --pidfile "$PIDFILE" 2>&1)
status=$?
check "a second daemon on the same pidfile is refused (exit 1)" test "$status" -eq 1
check "... naming the pid that holds it" grep -q "held by a running flowpathd (pid $DAEMON_PID)" <<<"$second"

must fpctl add-br "$BR"
must fpctl add-port "$BR" "$RUN-a"
must fpctl add-port "$BR" "$RUN-b"
must ip -n "$SW" addr add "$GW/24" dev "$BR"
check "ping a -> b through the bridge" in_host a ping -c 2 -i 0.2 -W 2 -q $B
check "ping a -> the bridge's own address" in_host a ping -c 2 -i 0.2 -W 2 -q $GW

# ---- SIGHUP during a running ping: logrotate's rename + HUP, many times.
COUNT=400
in_host a ping -c $COUNT -i 0.005 -W 2 $B > "$WORK/ping.out" 2>&1 &
ping_pid=$!
BACKGROUND+=("$ping_pid")
hups=0
while kill -0 "$ping_pid" 2>/dev/null; do
  mv -f "$LOG" "$LOG.1" 2>/dev/null
  kill -HUP "$DAEMON_PID"
  hups=$((hups + 1))
  sleep 0.05  # pacing the signals, not waiting for anything
done
wait "$ping_pid"
echo "sent $hups SIGHUPs during the ping: $(grep -E 'packets transmitted' "$WORK/ping.out")"
check "at least 10 SIGHUPs landed during the ping" test "$hups" -ge 10
check "no ping reply lost across the SIGHUPs" grep -q "$COUNT packets transmitted, $COUNT received" "$WORK/ping.out"
check "the daemon is still running" kill -0 "$DAEMON_PID"
check "the log file was reopened under its name" wait_until 5 grep -q "log file $LOG reopened" "$LOG"
check "fpctl still answers" fpctl list-br

# ---- Restart: the bridge's device and its address stay.
mac_before=$(ip -n "$SW" -o link show "$BR" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
stop_daemon
check "the pidfile is removed at exit" test ! -e "$PIDFILE"
check "after stop: the bridge device is still there" ip -n "$SW" link show "$BR"
check "after stop: with its address" grep -q "inet $GW/24" <<<"$(ip -n "$SW" -o addr show dev "$BR")"
start_daemon --log-file "$LOG" --pidfile "$PIDFILE"
check "after restart: the bridge is back" grep -qx "$BR" <<<"$(fpctl list-br)"
check "after restart: the address is kept" grep -q "inet $GW/24" <<<"$(ip -n "$SW" -o addr show dev "$BR")"
check "after restart: the MAC address is kept" test "$(ip -n "$SW" -o link show "$BR" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')" = "$mac_before"
check "after restart: ping a -> the bridge's address" in_host a ping -c 2 -i 0.2 -W 2 -q $GW
check "after restart: ping a -> b" in_host a ping -c 2 -i 0.2 -W 2 -q $B

# ---- del-br removes the device for good.
must fpctl del-br "$BR"
check_not "after del-br: no device $BR" ip -n "$SW" link show "$BR"

# ---- --detach: returns once the daemon serves, and a failure's status.
stop_daemon
ip netns exec "$SW" "$BIN/flowpathd" --detach --socket "$WORK/d.sock" --no-state \
  --pidfile "$WORK/run/d.pid" --log-file "$WORK/log/d.log"
check "--detach returns 0" test "$?" -eq 0
check "... and the daemon answers at once" "$BIN/fpctl" --socket "$WORK/d.sock" dump-dps
detached=$(cat "$WORK/run/d.pid" 2>/dev/null)
check "... its pidfile names a running process" kill -0 "${detached:-0}"
ip netns exec "$SW" "$BIN/flowpathd" --detach --socket "$WORK/d.sock" --no-state 2>/dev/null
check "a second --detach on the same socket returns 1" test "$?" -eq 1
kill -TERM "${detached:-0}" 2>/dev/null
check "the detached daemon stops on SIGTERM" wait_until 10 bash -c "! kill -0 ${detached:-0} 2>/dev/null"
check "... and logged to its file" grep -q "stopped" "$WORK/log/d.log"

finish
