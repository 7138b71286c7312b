#!/usr/bin/env bash
# A port's interface deleted under it (a container that stops):
#   - the daemon goes back to idle: the port's socket error is taken, not
#     polled for ever (it used to pin a core);
#   - the port is detached and shown absent with why, in text and JSON;
#   - the OpenFlow port reads LINK_DOWN (it used to read up: an unreadable
#     operstate counted as up);
#   - the other ports keep forwarding.
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
. "$HERE/slow_path_lib.sh"

start_daemon
must fpctl add-br "$BR"
add_bridge_host a 10.253.6.1
add_bridge_host b 10.253.6.2
add_bridge_host c 10.253.6.3
check "a pings b before" ping_within a 10.253.6.2 10
check "a pings c before" ping_within a 10.253.6.3 10

cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
ticks_in_3s() { local t0; t0=$(cpu_ticks); sleep 3; echo $(( $(cpu_ticks) - t0 )); }
echo "idle: $(ticks_in_3s) CPU ticks (of $(getconf CLK_TCK)/s) in 3 s"

ip link del "$RUN-b"
# The rtnetlink monitor detaches the port at once: shown absent, with why.
absent_shown() { fpctl show | grep -A1 "port 2: $RUN-b " | grep -q "absent: interface $RUN-b was deleted"; }
check "show says the port is absent and why" wait_until 5 absent_shown
check "the JSON carries it" grep -q "^absent interface $RUN-b was deleted" <(port_state "$BR" "$RUN-b")
port_b_down() { fpctl of show "$BR" | grep -A2 "($RUN-b)" | grep -q 'state: *LINK_DOWN'; }
check "the OpenFlow port reads LINK_DOWN" wait_until 5 port_b_down
ticks=$(ticks_in_3s)
echo "after the delete: $ticks CPU ticks in 3 s"
# A core spinning is 300 ticks in 3 s; an idle daemon a handful.
check "the daemon is idle again (under a third of a core)" test "$ticks" -lt 100
check "a still pings c" ping_within a 10.253.6.3 10
finish
