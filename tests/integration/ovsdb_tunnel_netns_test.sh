#!/usr/bin/env bash
# Tunnel ports configured through OVSDB: Debian's ovsdb-server and ovs-vsctl,
# flowpathd --ovsdb in a namespace of its own, the Linux kernel's vxlan device
# as the peer in another.
#
#   host (flowpathd --ovsdb)                     kern
#   bridge B (ovs-vsctl add-br): LOCAL 192.0.2.1/24
#            u3 (trunks=0) <----------- veth ----> eth0 192.0.2.3
#            vx0 type=vxlan remote_ip=192.0.2.3    vxlan42 (VNI 42) 10.1.3.2/24
#                key=42 tag=20
#            v3 (tag=20) <-- veth --> vm: eth0 10.1.3.1/24
#
#   - a vxlan port made only with ovs-vsctl carries ping and TCP (iperf3) to
#     the kernel's vxlan device; tcpdump sees VNI 42 both ways
#   - list Interface vx0: ofport, link_state, admin_state, error and the
#     status ovs-vswitchd writes for a tunnel (tunnel_egress_iface and its
#     carrier, from the underlay route)
#   - set Interface vx0 options:key=77 reconfigures the port: VNI 77 on the
#     wire, and traffic flows once the kernel's end is VNI 77 too
#   - a gre port is made the same way; an option flowpath does not take, or
#     type=patch, is the Interface's error
#     (ovs-vsctl reports it) with ofport -1; removing it brings the port back
#   - a geneve port with every option flowpath's tunnels take
#   - fpctl add-port type=vxlan writes the rows; a bad option writes nothing
#   - flowpathd restarted: the tunnel comes back from the database
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
SCRIPT=$(cd "$(dirname "$0")/../../scripts" && pwd)/flowpath-ovsdb.sh
command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null ||
  { echo "FAIL: ovsdb-server and ovs-vsctl are needed (openvswitch-switch)"; exit 1; }
command -v iperf3 >/dev/null || { echo "FAIL: iperf3 is not installed"; exit 1; }

DB=$WORK/ovsdb
stop_ovsdb() { "$SCRIPT" stop --rundir "$DB" >/dev/null 2>&1; }
ovsdb_cleanup() { local status=$?; stop_ovsdb; (exit "$status"); cleanup; }
trap ovsdb_cleanup EXIT

vsctl() { ovs-vsctl --db=unix:"$DB/db.sock" --timeout=20 "$@"; }
get() { vsctl get "$@" | tr -d '"'; }
column_is() { [ "$(get "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
ofport_assigned() { [ "$(get Interface "$1" ofport 2>/dev/null)" -gt 0 ] 2>/dev/null; }

HOST=$RUN-host KERN=$RUN-kern VM=$RUN-vm
B=tb13
for ns in "$HOST" "$KERN" "$VM"; do
  ip netns add "$ns"; NAMESPACES+=("$ns")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
must ip link add u3 netns "$HOST" type veth peer name eth0 netns "$KERN"
must ip link add v3 netns "$HOST" type veth peer name eth0 netns "$VM"
must ip -n "$KERN" addr add 192.0.2.3/24 dev eth0
must ip -n "$KERN" link set eth0 up
# kernel_vni N: the kernel's end of the tunnel is VNI N (10.1.3.2 on it).
kernel_vni() {
  ip -n "$KERN" link del vxlan0 2>/dev/null
  must ip -n "$KERN" link add vxlan0 type vxlan id "$1" remote 192.0.2.1 local 192.0.2.3 \
    dstport 4789 dev eth0
  must ip -n "$KERN" addr add 10.1.3.2/24 dev vxlan0
  must ip -n "$KERN" link set vxlan0 up
}
kernel_vni 42
must ip -n "$VM" addr add 10.1.3.1/24 dev eth0
must ip -n "$VM" link set eth0 mtu 1450   # the 50 bytes of outer headers
must ip -n "$VM" link set eth0 up
must ip -n "$HOST" link set u3 up
must ip -n "$HOST" link set v3 up

must "$SCRIPT" start --rundir "$DB" --dbdir "$DB" > "$WORK/ovsdb-start.log"
DAEMON_NETNS=$HOST start_daemon --no-state --ovsdb unix:"$DB/db.sock"

# The endpoint address on the bridge's own port (again after a restart:
# flowpathd makes the device anew).
local_address() {
  wait_until 10 ip -n "$HOST" link show $B >/dev/null 2>&1
  must ip -n "$HOST" addr replace 192.0.2.1/24 dev $B
  must ip -n "$HOST" link set $B up
}

# port_shows PORT TYPE OPTION...: fpctl show lists PORT as a TYPE port with
# each OPTION (key=value) among its options, in whatever order it prints them.
port_shows() {
  local port=$1 type=$2 line option; shift 2
  line=$(fpctl show | grep -E " $port \($type: ") || return 1
  for option in "$@"; do
    grep -qE "[(: ,]$option[,)]" <<< "$line" || { echo "no $option in: $line"; return 1; }
  done
}

# ---- the bridge and its tunnel, only with ovs-vsctl
# A fixed address for the bridge's device, so that the kernel's ARP entry
# for 192.0.2.1 stays right across flowpathd's restart.
check "add-br" vsctl add-br $B -- set Bridge $B other_config:hwaddr=02:00:00:13:00:01
local_address
check "add-port u3 trunks=0" vsctl add-port $B u3 trunks=0
check "add-port v3 tag=20" vsctl add-port $B v3 tag=20
check "add-port vx0 type=vxlan options:remote_ip=192.0.2.3 options:key=42" \
  vsctl add-port $B vx0 tag=20 -- set Interface vx0 type=vxlan options:remote_ip=192.0.2.3 \
  options:key=42
check "vx0 has an ofport" ofport_assigned vx0
check "vx0 has no error" test "$(get Interface vx0 error)" = "[]"
check "fpctl show: vx0 is a vxlan port with the database's options" \
  port_shows vx0 vxlan key=42 remote_ip=192.0.2.3
check "iface_types lists vxlan and geneve" \
  grep -q 'geneve.*vxlan' <(get Open_vSwitch . iface_types)

ip netns exec "$HOST" tcpdump -l -i u3 -n -nn -v udp port 4789 > "$WORK/underlay.txt" 2> "$WORK/underlay.err" &
BACKGROUND+=("$!")
wait_until 10 grep -q 'listening on' "$WORK/underlay.err" ||
  { echo "FAIL: tcpdump is not capturing after 10 s"; cat "$WORK/underlay.err"; exit 1; }

check "vm -> the kernel's vxlan device (VNI 42)" wait_until 15 in_host vm ping -c 1 -W 1 -q 10.1.3.2
check "vm <-> kernel: 5 pings in a row" in_host vm ping -c 5 -i 0.2 -W 2 -q 10.1.3.2
check "kernel -> vm" in_host kern ping -c 3 -i 0.2 -W 2 -q 10.1.3.1
in_host_bg kern iperf3 -s -1 -B 10.1.3.2 -p 5201
wait_until 10 listening "$KERN" 5201
check "iperf3 TCP vm -> kernel through the tunnel" \
  sh -c "ip netns exec $VM iperf3 -c 10.1.3.2 -p 5201 -t 2 -J > $WORK/iperf.json"
bits=$(/usr/bin/python3 -c "import json; print(int(json.load(open('$WORK/iperf.json'))['end']['sum_received']['bits_per_second']))" 2>/dev/null || echo 0)
echo "iperf3 through the tunnel: $((bits / 1000000)) Mbit/s"
check "iperf3 moved data" test "$bits" -gt 0
check "tcpdump: VNI 42 from flowpath to the kernel" \
  grep -q '192.0.2.1\.[0-9]* > 192.0.2.3\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"
check "tcpdump: VNI 42 from the kernel to flowpath" \
  grep -q '192.0.2.3\.[0-9]* > 192.0.2.1\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"

# ---- the status ovs-vswitchd writes for a tunnel interface
check "status:tunnel_egress_iface is the bridge (the route to 192.0.2.3)" \
  wait_until 10 column_is Interface vx0 status:tunnel_egress_iface $B
check "status:tunnel_egress_iface_carrier up" \
  wait_until 10 column_is Interface vx0 status:tunnel_egress_iface_carrier up
check "link_state up" test "$(get Interface vx0 link_state)" = up
check "admin_state up" test "$(get Interface vx0 admin_state)" = up
check "ifindex 0 (no device, as a userspace tunnel port in Open vSwitch)" \
  test "$(get Interface vx0 ifindex)" = 0
has_statistics() { [ "$(vsctl get Interface vx0 statistics:rx_packets 2>/dev/null || echo 0)" -gt 0 ]; }
check "statistics count the decapsulated packets" wait_until 15 has_statistics
vsctl list Interface vx0 > "$WORK/list-vx0.txt"
cat "$WORK/list-vx0.txt"
ip -n "$HOST" link set $B down
check "status:tunnel_egress_iface_carrier follows the bridge's carrier (down)" \
  wait_until 10 column_is Interface vx0 status:tunnel_egress_iface_carrier down
ip -n "$HOST" link set $B up

# ---- a change of options reconfigures the port
check "set Interface vx0 options:key=77" vsctl set Interface vx0 options:key=77
check "fpctl show: key=77" port_shows vx0 vxlan key=77 remote_ip=192.0.2.3
check_not "the kernel, still VNI 42, no longer answers" in_host vm ping -c 2 -i 0.2 -W 1 -q 10.1.3.2
check "tcpdump: VNI 77 from flowpath" \
  wait_until 5 grep -q '192.0.2.1\.[0-9]* > 192.0.2.3\.4789: VXLAN, flags \[I\] (0x08), vni 77' "$WORK/underlay.txt"
kernel_vni 77
# The new vxlan device has a new MAC address: the vm's cached one is stale.
ip -n "$VM" neigh flush dev eth0
check "vm -> the kernel, both on VNI 77" wait_until 15 in_host vm ping -c 1 -W 1 -q 10.1.3.2
check "kernel -> vm on VNI 77" in_host kern ping -c 3 -i 0.2 -W 2 -q 10.1.3.1
check "tcpdump: VNI 77 from the kernel" \
  wait_until 5 grep -q '192.0.2.3\.[0-9]* > 192.0.2.1\.4789: VXLAN, flags \[I\] (0x08), vni 77' "$WORK/underlay.txt"

# ---- options flowpath does not take: the Interface's error, as ovs-vswitchd
# (ovs-vsctl reports "Error detected while setting up" only for interfaces
# its own command added, so `set Interface` prints nothing, as with
# ovs-vswitchd: the error is in the column.)
check "set Interface vx0 options:exts=gbp" vsctl set Interface vx0 options:exts=gbp
check "error column names the option" \
  grep -q '^vxlan port vx0: option exts is not supported' <(get Interface vx0 error)
check "ofport -1 while in error" test "$(get Interface vx0 ofport)" = -1
check "the port is gone from flowpath" sh -c "! $BIN/fpctl --socket $SOCK list-ports $B | grep -qx vx0"
vsctl remove Interface vx0 options exts -- set Interface vx0 options:key=16777216 2>/dev/null
check "a key that is no VNI: its error" \
  grep -q '^vxlan port vx0: key=16777216 is not a VNI (0..16777215) or flow$' <(get Interface vx0 error)
check "set key 77 again" vsctl set Interface vx0 options:key=77
check "the error is cleared" test "$(get Interface vx0 error)" = "[]"
check "vx0 has an ofport again" ofport_assigned vx0
check "traffic again after the error" wait_until 15 in_host vm ping -c 1 -W 1 -q 10.1.3.2
check "add-port a gre port" \
  vsctl add-port $B gr0 -- set Interface gr0 type=gre options:remote_ip=192.0.2.3 options:key=9
check "gr0 has an ofport" ofport_assigned gr0
check "fpctl show: gr0 with its options" port_shows gr0 gre key=9 remote_ip=192.0.2.3
check "del-port gr0" vsctl del-port gr0
vsctl add-port $B pt0 -- set Interface pt0 type=patch options:peer=pt1 2> "$WORK/patch.err"
check "type=patch: ovs-vsctl reports the error" \
  grep -q "Error detected while setting up 'pt0': interface type \"patch\" is not supported by flowpath (supported: system, internal, tap, afxdp, vxlan, geneve, gre)" "$WORK/patch.err"
check "type=patch: ofport -1" test "$(get Interface pt0 ofport)" = -1
check "del-port pt0" vsctl del-port pt0

# ---- geneve, with every option flowpath's tunnels take
check "add-port a geneve port with every option" \
  vsctl add-port $B gv0 -- set Interface gv0 type=geneve options:remote_ip=flow \
  options:local_ip=192.0.2.1 options:in_key=flow options:out_key=5 options:dst_port=6082 \
  options:tos=inherit options:ttl=32 options:df_default=false options:csum=true
check "gv0 has an ofport" ofport_assigned gv0
check "fpctl show: gv0 with those options" \
  port_shows gv0 geneve remote_ip=flow local_ip=192.0.2.1 in_key=flow out_key=5 dst_port=6082 \
  tos=inherit ttl=32 df_default=false csum=true
check "remote_ip=flow: no egress status (no route to look up)" test "$(get Interface gv0 status)" = "{}"
check "del-port gv0" vsctl del-port gv0

# ---- fpctl's bridge verbs write tunnel ports to the database
check "fpctl add-port type=vxlan options:..." \
  fpctl add-port $B vx1 type=vxlan options:remote_ip=192.0.2.4 options:key=5 tag=30
check "ovs-vsctl sees vx1's type" test "$(get Interface vx1 type)" = vxlan
check "ovs-vsctl sees vx1's options" test "$(get Interface vx1 options)" = "{key=5, remote_ip=192.0.2.4}"
check "ovs-vsctl sees vx1's tag" test "$(get Port vx1 tag)" = 30
check "vx1 has an ofport" ofport_assigned vx1
fpctl add-port $B vx2 type=vxlan options:remote_ip=192.0.2.4 options:exts=gbp > "$WORK/fpctl-bad.txt" 2>&1
cat "$WORK/fpctl-bad.txt"
check "fpctl add-port with a bad option: the tunnel parser's error" \
  grep -q "vxlan port vx2: option exts is not supported" "$WORK/fpctl-bad.txt"
check "... and nothing written" sh -c "! ovs-vsctl --db=unix:$DB/db.sock list-ports $B | grep -qx vx2"
check "fpctl del-port vx1" fpctl del-port $B vx1

# ---- restart: the tunnel comes back from the database
stop_daemon
DAEMON_NETNS=$HOST start_daemon --no-state --ovsdb unix:"$DB/db.sock"
check "after the restart vx0 is back" wait_until 15 ofport_assigned vx0
local_address
check "after the restart: vm -> kernel on VNI 77" wait_until 15 in_host vm ping -c 1 -W 1 -q 10.1.3.2
check "after the restart: 5 pings in a row" in_host vm ping -c 5 -i 0.2 -W 2 -q 10.1.3.2
finish
