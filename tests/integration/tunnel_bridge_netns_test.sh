#!/usr/bin/env bash
# VXLAN ports on bridges: the slow path produces tnl_push / tnl_pop itself
# (route lookup, neighbour cache, ARP), with NORMAL forwarding.
#
#   host1 (flowpathd #1)                      host2 (flowpathd #2)
#   bridge B: LOCAL 192.0.2.1/24              bridge B: LOCAL 192.0.2.2/24
#             u1  (underlay, VLAN 0) <-veth-> u2  (underlay, VLAN 0)
#             vx  remote_ip=192.0.2.2 key=42  vx  remote_ip=192.0.2.1 key=42
#             vm1 (tag=10, 10.1.1.1)          vm2 (tag=10, 10.1.1.2)
#             u3  (underlay, VLAN 0) <-veth-> kern: eth0 192.0.2.3, the kernel's
#             vk  remote_ip=192.0.2.3 key=43        vxlan43 (VNI 43, 10.1.3.2)
#             vm3 (tag=20, 10.1.3.1)
#
# One bridge carries both the underlay and the overlay (flowpath runs each
# bridge on a datapath of its own, see docs/tunnels.md); the VMs and their
# tunnel port share an access VLAN, the underlay ports trunk only VLAN 0, so
# the two never meet. vm1 pings vm2 through two flowpath hosts; vm3 pings the
# kernel's vxlan device; tcpdump on the underlay sees VNIs 42 and 43.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"

H1=$RUN-h1 H2=$RUN-h2
B=t12br
SOCK2=$WORK/h2.sock
DAEMON2_PID=
for ns in "$H1" "$H2"; do
  ip netns add "$ns"; NAMESPACES+=("$ns")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
done
must ip link add u1 netns "$H1" type veth peer name u2 netns "$H2"

# vm NAME HOSTNS IFACE IP: a namespace whose eth0 (IP/24, MTU 1450 for the
# 50 bytes of outer headers) is the peer of IFACE in HOSTNS.
vm() {
  local ns=$RUN-$1
  ip netns add "$ns"; NAMESPACES+=("$ns")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  must ip link add "$3" netns "$2" type veth peer name eth0 netns "$ns"
  must ip -n "$ns" addr add "$4/24" dev eth0
  must ip -n "$ns" link set eth0 mtu 1450
  must ip -n "$ns" link set eth0 up
  must ip -n "$2" link set "$3" up
}
vm vm1 "$H1" v1 10.1.1.1
vm vm2 "$H2" v2 10.1.1.2
vm vm3 "$H1" v3 10.1.3.1

# The kernel's end of the second tunnel.
KERN=$RUN-kern
ip netns add "$KERN"; NAMESPACES+=("$KERN")
ip netns exec "$KERN" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
must ip link add u3 netns "$H1" type veth peer name eth0 netns "$KERN"
must ip -n "$KERN" addr add 192.0.2.3/24 dev eth0
must ip -n "$KERN" link set eth0 up
must ip -n "$KERN" link add vxlan43 type vxlan id 43 remote 192.0.2.1 local 192.0.2.3 \
  dstport 4789 dev eth0
must ip -n "$KERN" addr add 10.1.3.2/24 dev vxlan43
must ip -n "$KERN" link set vxlan43 up
for ns in "$H1" "$H2"; do must ip -n "$ns" link set "$([ "$ns" = "$H1" ] && echo u1 || echo u2)" up; done
must ip -n "$H1" link set u3 up

DAEMON_NETNS=$H1 start_daemon --no-state
ip netns exec "$H2" "$BIN/flowpathd" --socket "$SOCK2" --no-state >> "$WORK/flowpathd2.log" 2>&1 &
DAEMON2_PID=$!
BACKGROUND+=("$DAEMON2_PID")
fpctl2() { "$BIN/fpctl" --socket "$SOCK2" "$@"; }
wait_until 20 sh -c "$BIN/fpctl --socket $SOCK2 dump-dps >/dev/null 2>&1" ||
  { echo "FAIL: flowpathd 2 did not start"; cat "$WORK/flowpathd2.log"; exit 1; }

# bridge CTL HOSTNS LOCAL_IP UNDERLAY VM REMOTE_IP
bridge() {
  local ctl=$1
  must "$ctl" add-br $B
  must ip -n "$2" addr add "$3/24" dev $B
  must ip -n "$2" link set $B up
  must "$ctl" add-port $B "$4" trunks=0
  must "$ctl" add-port $B "$5" tag=10
  must "$ctl" add-port $B vx type=vxlan options:remote_ip="$6" options:key=42 tag=10
}
bridge fpctl "$H1" 192.0.2.1 u1 v1 192.0.2.2
bridge fpctl2 "$H2" 192.0.2.2 u2 v2 192.0.2.1
must fpctl add-port $B u3 trunks=0
must fpctl add-port $B v3 tag=20
must fpctl add-port $B vk type=vxlan options:remote_ip=192.0.2.3 options:key=43 tag=20

# tcpdump on host1's two underlay links.
ip netns exec "$H1" tcpdump -l -i u1 -n -nn -v udp port 4789 > "$WORK/underlay.txt" 2> "$WORK/underlay.err" &
BACKGROUND+=("$!")
ip netns exec "$H1" tcpdump -l -i u3 -n -nn -v udp port 4789 > "$WORK/kern.txt" 2> "$WORK/kern.err" &
BACKGROUND+=("$!")
# and the ARP on host1's link to host2.
ip netns exec "$H1" tcpdump -l -i u1 -n -nn -e arp > "$WORK/arp.txt" 2> "$WORK/arp.err" &
BACKGROUND+=("$!")
wait_until 10 grep -q 'listening on' "$WORK/arp.err"
wait_until 10 sh -c "grep -q 'listening on' $WORK/underlay.err && grep -q 'listening on' $WORK/kern.err"

# The first packets find no neighbour: flowpath ARPs for the remote end and
# drops them; ping retries until the tunnel is up. host2's kernel answers
# host1's request for its endpoint at once on u2 (an AF_PACKET port leaves
# the frame to the kernel too) with u2's MAC, and should answer again
# through its bridge with the bridge's MAC, the one that ends tunnels; the
# later answer wins (docs/tunnels.md). Known defect (docs/tunnels.md, "Two
# answers to one ARP request"): in about half the runs on an idle machine
# the bridge's answer never reaches host1, which keeps u2's MAC until a
# tunnel packet from host2 teaches it the bridge's (the outer source is
# learned too). Until that is fixed the tunnel is brought up from both
# ends; every check after this still needs every ping to pass, and host1
# must end with the bridge's MAC.
tunnel_up() {
  ip netns exec "$RUN-vm1" ping -c 1 -W 1 -q 10.1.1.2 >/dev/null 2>&1 ||
    { ip netns exec "$RUN-vm2" ping -c 1 -W 1 -q 10.1.1.1 >/dev/null 2>&1; false; }
}
check "vm1 -> vm2 through two flowpath hosts" wait_until 20 tunnel_up
if [ "$FAILURES" -ne 0 ]; then
  fpctl tnl/neigh/show; fpctl dump-flows $B; cat "$WORK/arp.txt"
  echo "== host2"; fpctl2 dump-flows $B; fpctl2 show -s
fi
check "vm1 <-> vm2: 5 pings in a row" in_host vm1 ping -c 5 -i 0.2 -W 2 -q 10.1.1.2
check "vm2 -> vm1" in_host vm2 ping -c 3 -i 0.2 -W 2 -q 10.1.1.1
check "vm3 -> the kernel's vxlan device" \
  wait_until 15 ip netns exec "$RUN-vm3" ping -c 1 -W 1 -q 10.1.3.2
check "vm3 <-> kernel: 5 pings in a row" in_host vm3 ping -c 5 -i 0.2 -W 2 -q 10.1.3.2
check "kernel -> vm3" in_host kern ping -c 3 -i 0.2 -W 2 -q 10.1.3.1
check_not "vm1 cannot reach the kernel's VNI 43 network (another VLAN)" \
  in_host vm1 ping -c 1 -W 1 -q 10.1.3.2

wait_until 5 grep -q 'vni 43' "$WORK/kern.txt"
check "tcpdump: VXLAN VNI 42 from host1 to host2" \
  grep -q '192.0.2.1\.[0-9]* > 192.0.2.2\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"
check "tcpdump: VXLAN VNI 42 from host2 to host1" \
  grep -q '192.0.2.2\.[0-9]* > 192.0.2.1\.4789: VXLAN, flags \[I\] (0x08), vni 42' "$WORK/underlay.txt"
check "tcpdump: VXLAN VNI 43 from flowpath to the kernel" \
  grep -q '192.0.2.1\.[0-9]* > 192.0.2.3\.4789: VXLAN, flags \[I\] (0x08), vni 43' "$WORK/kern.txt"
check "tcpdump: VXLAN VNI 43 from the kernel to flowpath" \
  grep -q '192.0.2.3\.[0-9]* > 192.0.2.1\.4789: VXLAN, flags \[I\] (0x08), vni 43' "$WORK/kern.txt"
check "no VNI 43 on host2's underlay" sh -c "! grep -q 'vni 43' $WORK/underlay.txt"

fpctl tnl/neigh/show > "$WORK/neigh.txt"
cat "$WORK/neigh.txt"
H2_MAC=$(ip -n "$H2" -o link show $B | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
check "tnl/neigh/show: host2's endpoint, learned on $B" \
  grep -qE "^192\.0\.2\.2 +$H2_MAC   $B\$" "$WORK/neigh.txt"
U2_MAC=$(ip -n "$H2" -o link show u2 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
cat "$WORK/arp.txt"
check "host2 answered the ARP request for 192.0.2.2 from u2's MAC too ($U2_MAC)" \
  grep -q "Reply 192.0.2.2 is-at $U2_MAC" "$WORK/arp.txt"
check "tnl/neigh/show: the kernel's endpoint" grep -qE '^192\.0\.2\.3 +[0-9a-f:]{17}   '"$B"'$' "$WORK/neigh.txt"

# The megaflows: the encapsulation and the decapsulation are datapath actions.
fpctl dump-flows $B > "$WORK/flows.txt"
check "a megaflow pushes the VXLAN header for VNI 42 and outputs on u1" \
  grep -qE "tnl_push\(tnl_port\([0-9]+\),header\(size=50,type=4,eth\(dst=$H2_MAC,src=[0-9a-f:]+,dl_type=0x0800\),ipv4\(src=192\.0\.2\.1,dst=192\.0\.2\.2,proto=17,tos=0,ttl=64,frag=0x4000\),udp\(src=0,dst=4789,csum=0x0\),vxlan\(flags=0x8000000,vni=0x2a\)\),out_port\(0\)\),[0-9]+" "$WORK/flows.txt"
check "a megaflow pops VXLAN from host2" grep -q 'tnl_pop(' "$WORK/flows.txt"
check "a megaflow matches the decapsulated packets' tunnel key, as Open vSwitch's" \
  grep -q 'tunnel(tun_id=0x2a,src=192.0.2.2,dst=192.0.2.1,flags(-df-csum+key)),recirc_id(0),in_port(3)' "$WORK/flows.txt"
cat "$WORK/flows.txt"

# A flow-based tunnel: remote_ip=flow, key=flow, fed by OpenFlow actions.
must fpctl add-port $B vf type=vxlan options:remote_ip=flow options:key=flow
must fpctl of add-flow $B "priority=100,in_port=5,udp,tp_dst=9999,actions=set_field:192.0.2.2->tun_dst,set_field:99->tun_id,output:7"
fpctl trace $B "in_port=5,dl_src=02:00:00:00:00:05,dl_dst=02:00:00:00:00:06,udp,nw_src=10.1.3.1,nw_dst=10.1.3.9,tp_src=1,tp_dst=9999" > "$WORK/trace-flow.txt" 2>&1
cat "$WORK/trace-flow.txt"
check "set_field:...->tun_dst and ->tun_id feed a remote_ip=flow, key=flow port" \
  grep -qE "^Datapath actions: tnl_push\(tnl_port\(7\),header\(size=50,type=4,eth\(dst=$H2_MAC,.*ipv4\(src=192\.0\.2\.1,dst=192\.0\.2\.2,.*vxlan\(flags=0x8000000,vni=0x63\)\),out_port\(0\)\),1\$" "$WORK/trace-flow.txt"

# A neighbour flush empties the cache (megaflows installed keep their
# headers until re-translated: docs/tunnels.md).
check "tnl/neigh/flush" test "$(fpctl tnl/neigh/flush)" = OK
check "the cache is empty after the flush" test "$(fpctl tnl/neigh/show | wc -l)" -eq 2

# ofproto/trace of a packet to the tunnel names the route and neighbour.
VM2_MAC=$(ip -n "$RUN-vm2" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
VM1_MAC=$(ip -n "$RUN-vm1" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
# (v1 is OpenFlow port 2: u1 came first.)
fpctl trace $B "in_port=2,dl_src=$VM1_MAC,dl_dst=$VM2_MAC,icmp,nw_src=10.1.1.1,nw_dst=10.1.1.2" > "$WORK/trace.txt" 2>&1
cat "$WORK/trace.txt"
check "trace: tunneling to 192.0.2.2 via $B" grep -q "tunneling to 192.0.2.2 via $B" "$WORK/trace.txt"
check "trace: the flushed neighbour is asked for again" \
  grep -q "neighbor cache miss for 192.0.2.2 on bridge $B, sending ARP request" "$WORK/trace.txt"
check "after the flush, vm2 -> vm1 still goes through" \
  wait_until 15 ip netns exec "$RUN-vm2" ping -c 1 -W 1 -q 10.1.1.1

# Flowpathd 2 stops cleanly.
kill -TERM "$DAEMON2_PID"
status=0; wait "$DAEMON2_PID" || status=$?
check "flowpathd 2 exits cleanly on SIGTERM" test "$status" -eq 0
finish
