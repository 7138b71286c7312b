#!/usr/bin/env bash
# flowpathd in place of ovs-vswitchd: Debian's ovsdb-server with Open vSwitch's
# schema (scripts/flowpath-ovsdb.sh), configured only with Debian's ovs-vsctl.
#   - add-br, add-port with tag=, ofport_request, type=internal, del-port, del-br
#   - every ovs-vsctl call waits for cur_cfg = next_cfg (no --no-wait): it
#     returns, and the change has taken effect when it does
#   - three namespace hosts on VLAN 10 ping all pairs; a fourth on VLAN 20
#     reaches none of them
#   - list Interface: ofport, link_state, admin_state, mac_in_use, ifindex,
#     mtu; statistics that move with traffic; link_state that follows carrier
#   - a bad interface type or option: ovs-vsctl reports its error column
#   - other_config:datapath-id shows in datapath_id; set-fail-mode secure;
#     set-controller to a port nobody listens on: the Controller row says
#     BACKOFF and why (ovsdb_controller_netns_test.sh connects one)
#   - flowpathd restarted takes its configuration back from the database, and
#     survives ovsdb-server going away and coming back
#   - Open_vSwitch other_config:flow-limit and vlan-limit reach the datapath
#   - fpctl's bridge verbs write to the database (ovs-vsctl sees what they
#     did) and wait until flowpathd applied it; what has no column is refused
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
SCRIPT=$(cd "$(dirname "$0")/../../scripts" && pwd)/flowpath-ovsdb.sh
command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null ||
  { echo "FAIL: ovsdb-server and ovs-vsctl are needed (openvswitch-switch)"; exit 1; }

DB=$WORK/ovsdb
stop_ovsdb() { "$SCRIPT" stop --rundir "$DB" >/dev/null 2>&1; }
ovsdb_cleanup() { local status=$?; stop_ovsdb; (exit "$status"); cleanup; }
trap ovsdb_cleanup EXIT

vsctl() { ovs-vsctl --db=unix:"$DB/db.sock" --timeout=20 "$@"; }
# get TABLE RECORD COLUMN: the value as ovs-vsctl prints it, quotes removed.
get() { vsctl get "$@" | tr -d '"'; }
# column_is TABLE RECORD COLUMN VALUE (for wait_until: read afresh each time)
column_is() { [ "$(get "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
caught_up() { [ "$(get Open_vSwitch . cur_cfg)" = "$(get Open_vSwitch . next_cfg)" ]; }
ofport_assigned() { [ "$(get Interface "$1" ofport 2>/dev/null)" -gt 0 ] 2>/dev/null; }
stat_of() { vsctl get Interface "$1" statistics:"$2" 2>/dev/null; }

BR=${RUN}br
must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > "$WORK/ovsdb-start.log"
check "flowpath-ovsdb.sh status: running" "$SCRIPT" status --rundir "$DB"
start_daemon --no-state --ovsdb unix:"$DB/db.sock"

# ---- bridges and ports, each ovs-vsctl call waiting for flowpathd
check "add-br returns once flowpathd applied it" vsctl add-br "$BR"
check "cur_cfg caught up with next_cfg" caught_up
check "the bridge exists in flowpathd" test "$(fpctl list-br)" = "$BR"
check "the bridge's interface is OpenFlow LOCAL (65534)" test "$(get Interface "$BR" ofport)" = 65534
check "datapath_id from the bridge's MAC" \
  test "$(get Bridge "$BR" datapath_id)" = "0000$(cat /sys/class/net/"$BR"/address | tr -d :)"
check "datapath_version set" test -n "$(get Bridge "$BR" datapath_version)"

add_host a 10.254.0.1
add_host b 10.254.0.2
add_host c 10.254.0.3
add_host d 10.254.0.4
check "add-port tag=10" vsctl add-port "$BR" "$RUN-a" tag=10
check "add-port tag=10 (b)" vsctl add-port "$BR" "$RUN-b" tag=10
check "add-port tag=10 with ofport_request=7" \
  vsctl add-port "$BR" "$RUN-c" tag=10 -- set Interface "$RUN-c" ofport_request=7
check "add-port tag=20" vsctl add-port "$BR" "$RUN-d" tag=20
check "ofport of the first port is 1" test "$(get Interface "$RUN-a" ofport)" = 1
check "ofport_request=7 honoured" test "$(get Interface "$RUN-c" ofport)" = 7
check "fpctl sees the four ports" \
  test "$(fpctl list-ports "$BR" | tr '\n' ' ')" = "$RUN-a $RUN-b $RUN-c $RUN-d "
check "Port tag is 10" test "$(get Port "$RUN-a" tag)" = 10

for pair in "a 10.254.0.2" "a 10.254.0.3" "b 10.254.0.1" "b 10.254.0.3" "c 10.254.0.1" "c 10.254.0.2"; do
  set -- $pair
  check "VLAN 10: ping $1 -> $2" in_host "$1" ping -c 2 -i 0.2 -W 2 -q "$2"
done
check_not "VLAN 20 does not reach VLAN 10" in_host d ping -c 2 -i 0.2 -W 1 -q 10.254.0.1

# ---- status columns
check "link_state up" test "$(get Interface "$RUN-a" link_state)" = up
check "admin_state up" test "$(get Interface "$RUN-a" admin_state)" = up
check "mac_in_use is the device's" \
  test "$(get Interface "$RUN-a" mac_in_use)" = "$(cat /sys/class/net/"$RUN-a"/address)"
check "ifindex is the device's" \
  test "$(get Interface "$RUN-a" ifindex)" = "$(cat /sys/class/net/"$RUN-a"/ifindex)"
check "mtu is the device's" test "$(get Interface "$RUN-a" mtu)" = 1500
check "error is empty" test "$(get Interface "$RUN-a" error)" = "[]"
has_statistics() { [ -n "$(stat_of "$RUN-a" rx_packets)" ]; }
wait_until 15 has_statistics ||
  { echo "FAIL: no statistics within 15 s"; FAILURES=$((FAILURES + 1)); }
before=$(stat_of "$RUN-a" rx_packets)
must in_host a ping -c 5 -i 0.2 -W 2 -q 10.254.0.2
moved() { [ "$(stat_of "$RUN-a" rx_packets)" -ge $((before + 5)) ]; }
check "statistics:rx_packets moves with traffic ($before, then +5 pings)" wait_until 15 moved
check "statistics:tx_packets counted" test "$(stat_of "$RUN-a" tx_packets)" -gt 0
vsctl list Interface "$RUN-a" > "$WORK/list-interface.txt"
check "list Interface shows the status columns" \
  grep -Eq '^ofport +: 1$' "$WORK/list-interface.txt"
ip -n "$RUN-b" link set eth0 down
check "link_state follows the carrier (down)" wait_until 10 column_is Interface "$RUN-b" link_state down
ip -n "$RUN-b" link set eth0 up
check "link_state follows the carrier (up)" wait_until 10 column_is Interface "$RUN-b" link_state up

# ---- Open_vSwitch other_config:flow-limit and vlan-limit reach every bridge's
# datapath; removing them brings back Open vSwitch's defaults (200000, 1)
datapath_setting() {  # datapath_setting KEY: the bridge's datapath setting, from show's JSON
  fpctl show --format json "$BR" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"
}
flow_limit_set() { fpctl upcall/show | grep -q "(flow-limit $1)"; }
check "set other_config:flow-limit=5000 vlan-limit=2" \
  vsctl set Open_vSwitch . other_config:flow-limit=5000 other_config:vlan-limit=2
check "the bridge's datapath takes flow-limit 5000" flow_limit_set 5000
check "the bridge's datapath takes vlan-limit 2" test "$(datapath_setting vlan_limit)" = 2
check "remove flow-limit and vlan-limit" \
  vsctl remove Open_vSwitch . other_config flow-limit -- remove Open_vSwitch . other_config vlan-limit
check "flow-limit back to Open vSwitch's default, 200000" flow_limit_set 200000
check "vlan-limit back to Open vSwitch's default, 1" test "$(datapath_setting vlan_limit)" = 1

# ---- interface types and their errors
INTERNAL=${RUN}i
check "add-port type=internal" vsctl add-port "$BR" "$INTERNAL" -- set Interface "$INTERNAL" type=internal
check "the internal port is a Linux device" test -d /sys/class/net/"$INTERNAL"
check "the internal port has an ofport" test "$(get Interface "$INTERNAL" ofport)" -gt 0
vsctl add-port "$BR" "${RUN}v" -- set Interface "${RUN}v" type=patch options:peer=nowhere \
  2> "$WORK/patch.err"
check "ovs-vsctl reports the bad type's error" \
  grep -q "Error detected while setting up '${RUN}v': interface type \"patch\" is not supported by flowpath" \
  "$WORK/patch.err"
check "error column of the bad type" \
  grep -q 'not supported by flowpath' <(get Interface "${RUN}v" error)
check "ofport -1 for the bad type" test "$(get Interface "${RUN}v" ofport)" = -1
vsctl add-port "$BR" "${RUN}x" -- set Interface "${RUN}x" type=internal options:colour=blue 2>/dev/null
check "an option the port type does not take is its error" \
  grep -q 'colour' <(get Interface "${RUN}x" error)
check "del-port of the bad ones" vsctl del-port "${RUN}v" -- del-port "${RUN}x"

# ---- bridge settings
check "set other_config:datapath-id" vsctl set Bridge "$BR" other_config:datapath-id=0000000000001234
check "datapath_id follows it" test "$(get Bridge "$BR" datapath_id)" = 0000000000001234
SECURE=${RUN}s
check "add-br with set-fail-mode secure" vsctl add-br "$SECURE" -- set-fail-mode "$SECURE" secure
check "a secure bridge has no rules of its own" test -z "$(fpctl of dump-flows "$SECURE")"
check "a standalone bridge has its NORMAL rule" grep -q 'actions=NORMAL' <(fpctl of dump-flows "$BR")
NOBODY=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check "set-controller" vsctl set-controller "$SECURE" tcp:127.0.0.1:$NOBODY
controller_column() { vsctl --bare --columns="$1" list Controller; }
check "the bridge has the controller (fpctl get-controller)" \
  test "$(fpctl get-controller "$SECURE")" = "tcp:127.0.0.1:$NOBODY"
check "nobody listens: the Controller row says BACKOFF and why" \
  wait_until 10 grep -q 'last_error=.*state=BACKOFF' <(controller_column status)
check "the controller is not connected" test "$(controller_column is_connected)" = false
check "del-br" vsctl del-br "$SECURE"
check "the deleted bridge is gone from flowpathd" test "$(fpctl list-br)" = "$BR"

# ---- fpctl's bridge verbs write to the database
FB=${RUN}f
check "fpctl add-br writes a Bridge row" fpctl add-br "$FB"
check "ovs-vsctl sees fpctl's bridge" vsctl br-exists "$FB"
check "flowpathd applied it when fpctl returned" grep -qx "$FB" <(fpctl list-br)
check "fpctl add-br of an existing bridge is refused" \
  grep -q "a bridge named $FB already exists" <(fpctl add-br "$FB" 2>&1)
check "fpctl add-br --may-exist" fpctl add-br "$FB" --may-exist
INTERNAL2=${RUN}j
check "fpctl add-port with type=internal tag=30 ofport_request=9" \
  fpctl add-port "$FB" "$INTERNAL2" type=internal tag=30 ofport_request=9
check "ovs-vsctl: the Port's tag" test "$(get Port "$INTERNAL2" tag)" = 30
check "ovs-vsctl: the Interface's type and ofport" \
  test "$(get Interface "$INTERNAL2" type) $(get Interface "$INTERNAL2" ofport)" = "internal 9"
check "fpctl add-port type=pcap is refused (no Interface type for it)" \
  grep -q 'cannot be written to the database' <(fpctl add-port "$FB" "${RUN}p" type=pcap file=/dev/null 2>&1)
check_not "the refused port is not in the database" vsctl port-to-br "${RUN}p"
check "fpctl set-controller writes a Controller row" \
  fpctl set-controller "$FB" tcp:127.0.0.1:$NOBODY --max-backoff 2000
check "ovs-vsctl get-controller" test "$(vsctl get-controller "$FB")" = "tcp:127.0.0.1:$NOBODY"
check "its max_backoff" test "$(vsctl get Controller "$FB" max_backoff)" = 2000
check "fpctl set-fail-mode secure" fpctl set-fail-mode "$FB" secure
check "ovs-vsctl get-fail-mode" test "$(vsctl get-fail-mode "$FB")" = secure
check "fpctl del-controller" fpctl del-controller "$FB"
check "ovs-vsctl: no controller" test -z "$(vsctl get-controller "$FB")"
check "fpctl del-port" fpctl del-port "$FB" "$INTERNAL2"
check "ovs-vsctl: the port is gone" test -z "$(vsctl list-ports "$FB")"
check "fpctl del-br" fpctl del-br "$FB"
check_not "ovs-vsctl: the bridge is gone" vsctl br-exists "$FB"
check "fpctl del-br of a missing bridge names it" grep -q "no bridge named $FB" <(fpctl del-br "$FB" 2>&1)

# ---- del-port
check "del-port" vsctl del-port "$RUN-d"
check "the port is gone from flowpathd" \
  test "$(fpctl list-ports "$BR" | tr '\n' ' ')" = "$RUN-a $RUN-b $RUN-c $INTERNAL "

# ---- restart: the configuration comes back from the database
stop_daemon
start_daemon --no-state --ovsdb unix:"$DB/db.sock"
restored() { [ "$(fpctl list-ports "$BR" 2>/dev/null | tr '\n' ' ')" = "$RUN-a $RUN-b $RUN-c $INTERNAL " ]; }
check "after a restart the ports are back" wait_until 15 restored
check "ofport_request=7 again after the restart" wait_until 10 column_is Interface "$RUN-c" ofport 7
check "the internal port keeps its ofport (4) across the restart" test "$(get Interface "$INTERNAL" ofport)" = 4
check "cur_cfg caught up after the restart" wait_until 10 caught_up
for pair in "a 10.254.0.2" "b 10.254.0.3" "c 10.254.0.1"; do
  set -- $pair
  check "after the restart: ping $1 -> $2" in_host "$1" ping -c 2 -i 0.2 -W 2 -q "$2"
done

# ---- ovsdb-server goes away and comes back: flowpathd reconnects
stop_ovsdb
must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > /dev/null
check "add-port after ovsdb-server restarted" vsctl add-port "$BR" "$RUN-d" tag=10
check "the new port is applied" wait_until 10 ofport_assigned "$RUN-d"
check "ping over the port added after the reconnect" in_host d ping -c 2 -i 0.2 -W 2 -q 10.254.0.1

# ---- del-br
check "del-br" vsctl del-br "$BR"
check "no bridges left in flowpathd" test -z "$(fpctl list-br)"
check "the internal port's device is gone" test ! -e /sys/class/net/"$INTERNAL"
check_not "flowpathd logged a malformed message" grep -q 'malformed' "$WORK/flowpathd.log"
finish
