#!/usr/bin/env bash
# Ports whose interfaces come and go, driven by rtnetlink events:
#   - add-port before the interface exists succeeds; the port is shown absent
#     (text and JSON), holds nothing, and costs no CPU;
#   - creating the veth attaches it: traffic flows;
#   - deleting it detaches it: shown absent with why, OFPT_PORT_STATUS with
#     LINK_DOWN seen by ovs-ofctl monitor;
#   - re-creating it (a new ifindex) attaches it again; renamed away and
#     back, it is absent, then attached;
#   - link down/up reaches ovs-ofctl dump-ports-desc within a second; an MTU
#     change reopens the port with it;
#   - a daemon restarted while the interface is missing keeps the port, and
#     attaches it when the interface comes.
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns_lib.sh"
. "$HERE/slow_path_lib.sh"
command -v ovs-ofctl >/dev/null ||
  { echo "FAIL: needs openvswitch-common (scripts/install-deps.sh)"; exit 1; }

start_daemon
must fpctl add-br "$BR"
MGMT=$WORK/$BR.mgmt
wait_until 10 test -S "$MGMT" || { echo "FAIL: no management socket $MGMT"; exit 1; }
ofctl() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
add_bridge_host a 10.253.7.1

# Port b before its interface exists (the order of libvirt and container
# runtimes).
B=$RUN-b
check "add-port of a missing interface succeeds" fpctl add-port "$BR" "$B"
show_b() { fpctl show "$BR" | grep -A1 "port 2: $B "; }
fpctl show "$BR"
absent_shown() { show_b | grep -q "absent: interface $B does not exist"; }
check "show says absent and why" absent_shown
check "the JSON says absent" grep -q "^absent interface $B does not exist" <(port_state "$BR" "$B")
check "list-ports lists it" grep -qx "$B" <(fpctl list-ports "$BR")
check_not "a bad option is refused all the same" fpctl add-port "$BR" "$RUN-x" tx_ring=maybe

cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
ticks_in_3s() { local t0; t0=$(cpu_ticks); sleep 3; echo $(( $(cpu_ticks) - t0 )); }
ticks=$(ticks_in_3s)
echo "idle with an absent port: $ticks CPU ticks (of $(getconf CLK_TCK)/s) in 3 s"
# A core spinning is 300 ticks in 3 s; idle is a handful.
check "an absent port costs no CPU (under 30 ticks in 3 s)" test "$ticks" -lt 30

# OpenFlow port-status messages, as a controller sees them (a service
# connection gets asynchronous messages once it sets a miss length, as with
# Open vSwitch). It is connected once it reports port a's link going down.
OVS_RUNDIR=$WORK stdbuf -oL ovs-ofctl -O OpenFlow13 monitor "$BR" 65535 > "$WORK/monitor.log" 2>&1 &
BACKGROUND+=($!)
monitor_connected() {
  ip link set "$RUN-a" down && ip link set "$RUN-a" up
  grep -q "PORT_STATUS" "$WORK/monitor.log"
}
wait_until 10 monitor_connected || { echo "FAIL: ovs-ofctl monitor saw nothing"; cat "$WORK/monitor.log"; exit 1; }
grep -A2 PORT_STATUS "$WORK/monitor.log" | head -3

attached() { fpctl --format json show "$BR" >/dev/null && [ -z "$(port_state "$B")" ]; }
add_host b 10.253.7.2
check "creating the veth attaches the port" wait_until 5 attached
check "a pings b" ping_within a 10.253.7.2 10

ip link del "$B"
gone() { grep -q "^absent interface $B was deleted" <(port_state "$BR" "$B"); }
check "deleting it shows the port absent" wait_until 5 gone
fpctl show "$BR"
port_b_down() { ofctl -O OpenFlow13 dump-ports-desc "$BR" | grep -A3 "($B)" | grep -q 'state: *LINK_DOWN'; }
check "dump-ports-desc reads LINK_DOWN" wait_until 5 port_b_down
status_down() { grep -A3 "PORT_STATUS" "$WORK/monitor.log" | grep -A2 "($B)" | grep -q 'LINK_DOWN'; }
check "ovs-ofctl monitor saw a port-status with LINK_DOWN" wait_until 5 status_down
grep -A3 "PORT_STATUS.*($B)" "$WORK/monitor.log" | tail -4

# Re-created: a new veth (new ifindex) under the same name.
recreate_b() {
  ip link add "$B" type veth peer name eth0 netns "$RUN-b"
  ip -n "$RUN-b" addr add 10.253.7.2/24 dev eth0
  ip -n "$RUN-b" link set eth0 up
  sysctl -qw "net.ipv6.conf.$B.disable_ipv6=1"
  ip link set "$B" up
}
recreate_b
# b's address is another now: a must not go on with the old one.
ip -n "$RUN-a" neigh flush all
check "re-created, the port is attached again" wait_until 5 attached
check "a pings b again" ping_within a 10.253.7.2 10
status_up() { ofctl -O OpenFlow13 dump-ports-desc "$BR" | grep -A3 "($B)" | grep -q 'state: *LIVE'; }
check "dump-ports-desc reads LIVE" wait_until 5 status_up

# Link down and up reach OpenFlow within a second (events, not polling).
ip link set "$B" down
check "link down reaches dump-ports-desc within 1 s" wait_until 1 port_b_down
ip link set "$B" up
check "link up reaches dump-ports-desc within 1 s" wait_until 1 status_up

# An MTU changed with ip link reopens the port with it at once.
ip link set "$B" mtu 1400
mtu_followed() { fpctl show "$BR" | grep -q "port 2: $B (afpacket: mtu=1400)"; }
check "an MTU change reaches the port" wait_until 5 mtu_followed
ip -n "$RUN-a" neigh flush all
check "a pings b through the reopened port" ping_within a 10.253.7.2 10

# A new Ethernet address reaches controllers as a port-status.
ip link set "$B" address 02:fb:00:00:07:02
mac_status() { grep -q "PORT_STATUS.*($B): addr:02:fb:00:00:07:02" "$WORK/monitor.log"; }
check "an address change reaches ovs-ofctl monitor" wait_until 5 mac_status

# Renamed away, the port is absent; renamed back, it is attached again.
ip link set "$B" name "$RUN-r"
renamed() { grep -q "^absent interface $B was renamed to $RUN-r" <(port_state "$BR" "$B"); }
check "a rename away shows the port absent" wait_until 5 renamed
ip link set "$RUN-r" name "$B"
check "renamed back, the port is attached" wait_until 5 attached
ip link set "$B" up
ip -n "$RUN-a" neigh flush all
check "a pings b after the renames" ping_within a 10.253.7.2 10

# A restart with the interface missing keeps the port.
ip link del "$B"
check "absent again" wait_until 5 gone
stop_daemon
start_daemon
wait_until 10 test -S "$MGMT" || { echo "FAIL: no management socket after the restart"; exit 1; }
check "the restarted daemon kept the port" grep -q "^absent interface $B does not exist" <(port_state "$BR" "$B")
check_not "nothing was dropped at restore" grep -q "restoring bridge .* port $B" "$WORK/flowpathd.log"
recreate_b
ip -n "$RUN-a" neigh flush all
check "attached when the interface comes" wait_until 5 attached
check "a pings b after the restart" ping_within a 10.253.7.2 10
finish
