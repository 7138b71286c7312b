#!/usr/bin/env bash
# The state file: flowpathd stopped with SIGTERM and started again with the
# same --state-file brings back bridges, ports (numbers, VLAN settings),
# rules (with cookies and timeouts), groups, meters and MAC table settings,
# and the hosts talk again. An unreadable file is moved aside; with
# --no-state nothing comes back.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
STATE=$WORK/state.toml
start_daemon --state-file "$STATE"

H=10.249.0.2
must fpctl add-br "$BR"
must fpctl add-br "${BR}2"
add_bridge_host a 10.249.0.1
add_bridge_host h $H ofport_request=5
add_bridge_host v 10.249.0.3 tag=30
must fpctl set-mac-table "$BR" size=500 aging=120
must fpctl of del-flows "$BR"
must fpctl of add-flows "$BR" - <<EOF
priority=100,tcp,nw_dst=$H,tp_dst=22,actions=NORMAL
priority=100,icmp,nw_dst=$H,actions=NORMAL
cookie=0x1234,idle_timeout=600,priority=90,ip,nw_dst=$H,actions=drop
priority=0,actions=NORMAL
EOF
must fpctl of add-group "$BR" "group_id=7,type=all,bucket=output:1,bucket=output:5"
must fpctl of add-meter "$BR" "meter=3,pktps,bands=type=drop,rate=1000"
tcp_listen h 22 80

check "before: ping a -> h" in_host a ping -c 2 -i 0.2 -W 2 -q $H
check "before: TCP 22 allowed" tcp_connects a $H 22
check_not "before: TCP 80 dropped" tcp_connects a $H 80 1

snapshot() {
  {
    echo "bridges: $(fpctl list-br | tr '\n' ' ')"
    echo "ports: $(fpctl list-ports "$BR" | tr '\n' ' ')"
    fpctl of show "$BR"
    fpctl of dump-flows "$BR" --no-stats | sort
    fpctl of dump-groups "$BR"
    fpctl of dump-meters "$BR"
  } 2>&1
}
before=$(snapshot)
echo "$before" | sed 's/^/  /'
# What was configured above, exactly: a restart that lost or changed any of it
# must not compare equal to a snapshot that lost the same.
expected="bridges: $BR ${BR}2 
ports: $RUN-a $RUN-h $RUN-v 
bridge $BR: mac_table_size=500 mac_aging=120s max_idle=10000ms
 1($RUN-a): type=afpacket dp_port=1
     config:     0
     state:      0
     vlan_mode:  trunk
 2($RUN-v): type=afpacket dp_port=2
     config:     0
     state:      0
     vlan_mode:  access tag=30
 5($RUN-h): type=afpacket dp_port=5
     config:     0
     state:      0
     vlan_mode:  trunk
 LOCAL($BR): type=internal dp_port=0
     config:     0
     state:      0
     vlan_mode:  trunk
 cookie=0x1234, idle_timeout=600, priority=90,ip,nw_dst=$H actions=drop
 priority=0 actions=NORMAL
 priority=100,icmp,nw_dst=$H actions=NORMAL
 priority=100,tcp,nw_dst=$H,tp_dst=22 actions=NORMAL
 group_id=7,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=output:5
meter=3,pktps,bands=type=drop,rate=1000"
check "before: the snapshot is what was configured" test "$before" = "$expected"
[ "$before" = "$expected" ] || diff <(echo "$expected") <(echo "$before")
check "the state file exists" test -s "$STATE"

device_before=$(cat "/sys/class/net/$BR/ifindex" 2>/dev/null)
stop_daemon
# As Open vSwitch's, a bridge's device outlives the daemon (with its addresses).
check "after stop: the bridge's device stays for the next start" test -e "/sys/class/net/$BR"
start_daemon --state-file "$STATE"
after=$(snapshot)
check "after restart: bridges, ports, VLANs, MAC table, rules, groups, meters as before" \
  test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after")
check "after restart: the bridge is on the same device" \
  test "$(cat "/sys/class/net/$BR/ifindex" 2>/dev/null)" = "$device_before"
check "after restart: ping a -> h" ping_within a $H 5
check "after restart: TCP 22 allowed" tcp_connects a $H 22
check_not "after restart: TCP 80 dropped" tcp_connects a $H 80 1
check "after restart: the drop rule keeps its cookie and timeout" \
  grep -q " cookie=0x1234, duration=.*idle_timeout=600, idle_age=[0-9]*, priority=90,ip,nw_dst=$H actions=drop" \
  <(fpctl of dump-flows "$BR")

# A change after the restart is saved too.
fpctl del-br "${BR}2"
stop_daemon
start_daemon --state-file "$STATE"
check "a bridge deleted after the restart stays deleted" test "$(fpctl list-br | tr '\n' ' ')" = "$BR "

# An unreadable state file is moved aside (the next save would overwrite
# it) and the daemon starts without bridges.
stop_daemon
cp "$STATE" "$WORK/saved.toml"
echo 'bridges = [ this is not TOML' > "$STATE"
start_daemon --state-file "$STATE"
check "unreadable state file: no bridge" test -z "$(fpctl list-br)"
check "unreadable state file: moved to state.toml.unreadable" \
  grep -q 'not TOML' "$STATE.unreadable"
check "unreadable state file: the log says where it went" grep -q "moved to $STATE.unreadable" "$WORK/flowpathd.log"
stop_daemon
cp "$WORK/saved.toml" "$STATE"

# Without a state file nothing comes back, and the file is left alone.
start_daemon --no-state
check "--no-state: no bridge" test -z "$(fpctl list-br)"
fpctl add-br "${BR}3"
stop_daemon
check "--no-state: the state file was not touched" cmp -s "$STATE" "$WORK/saved.toml"
finish
