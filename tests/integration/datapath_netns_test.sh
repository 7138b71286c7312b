#!/usr/bin/env bash
# A real switch between namespaces: hosts on veth pairs attached by afpacket to
# flowpathd datapaths, flows installed with fpctl, ping as the peer.
#   - two hosts: ARP + IPv4 flows both ways, ping, counters match;
#     del-flows stops traffic and raises "missed"
#   - three hosts on one datapath: all pairs ping (flows by destination MAC)
#   - a second datapath with its own hosts on the same subnet: isolated
#   - VLAN: two datapaths joined by a trunk veth, push_vlan/pop_vlan at each end
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
start_daemon

# ---- two hosts
add_host a 10.251.0.1; add_host b 10.251.0.2
fpctl add-dp "$RUN"x "$RUN-a" "$RUN-b"
fpctl add-flow "$RUN"x 'in_port(1),eth(),eth_type(0x0806),arp()' 2
fpctl add-flow "$RUN"x 'in_port(2),eth(),eth_type(0x0806),arp()' 1
fpctl add-flow "$RUN"x 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
fpctl add-flow "$RUN"x 'in_port(2),eth(),eth_type(0x0800),ipv4()' 1
check "two hosts: ping a -> b" in_host a ping -c 5 -i 0.2 -W 2 -q 10.251.0.2
check "two hosts: 5 echo requests counted on the a->b IPv4 flow" \
  test "$(flow_packets "$RUN"x 'in_port(1),eth(),eth_type(0x0800)')" = 5
check "two hosts: 5 echo replies counted on the b->a IPv4 flow" \
  test "$(flow_packets "$RUN"x 'in_port(2),eth(),eth_type(0x0800)')" = 5
check "two hosts: ARP flows used" test "$(flow_packets "$RUN"x 'in_port(1),eth(),eth_type(0x0806)')" -ge 1
missed_before=$(dp_counter "$RUN"x missed)
fpctl del-flows "$RUN"x
check "del-flows leaves no flow" test -z "$(fpctl dump-flows "$RUN"x)"
check_not "after del-flows ping fails" in_host a ping -c 2 -i 0.2 -W 1 -q 10.251.0.2
missed_after=$(dp_counter "$RUN"x missed)
check "after del-flows the missed counter rises ($missed_before -> $missed_after)" \
  test "$missed_after" -gt "$missed_before"

# ---- three hosts: forward by destination MAC, flood ARP broadcasts
add_host c 10.251.0.3
fpctl add-if "$RUN"x "$RUN-c"
declare -A PORT=([a]=1 [b]=2 [c]=3)
for src in a b c; do
  others=$(for o in a b c; do [ $o != $src ] && printf '%s,' "${PORT[$o]}"; done)
  fpctl add-flow "$RUN"x "in_port(${PORT[$src]}),eth(dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp()" "${others%,}"
  for dst in a b c; do
    [ $src = $dst ] && continue
    mac=$(host_mac $dst)
    fpctl add-flow "$RUN"x "in_port(${PORT[$src]}),eth(dst=$mac),eth_type(0x0806),arp()" "${PORT[$dst]}"
    fpctl add-flow "$RUN"x "in_port(${PORT[$src]}),eth(dst=$mac),eth_type(0x0800),ipv4()" "${PORT[$dst]}"
  done
done
for pair in "a 10.251.0.2" "a 10.251.0.3" "b 10.251.0.3" "b 10.251.0.1" "c 10.251.0.1" "c 10.251.0.2"; do
  set -- $pair
  check "three hosts: ping $1 -> $2" in_host "$1" ping -c 2 -i 0.2 -W 2 -q "$2"
done

# ---- a second datapath: same subnet, its own hosts, no flows between the two
add_host d 10.251.0.4; add_host e 10.251.0.5
fpctl add-dp "$RUN"y "$RUN-d" "$RUN-e"
for f in 'in_port(1),eth(),eth_type(0x0806),arp() 2' 'in_port(2),eth(),eth_type(0x0806),arp() 1' \
         'in_port(1),eth(),eth_type(0x0800),ipv4() 2' 'in_port(2),eth(),eth_type(0x0800),ipv4() 1'; do
  fpctl add-flow "$RUN"y ${f% *} ${f##* }
done
check "second datapath: ping d -> e" in_host d ping -c 3 -i 0.2 -W 2 -q 10.251.0.5
# RX of dp y's host ports, summed: nothing from dp x may ever show up there.
y_rx() { fpctl show -s "$RUN"y | awk '/port [12]:/{getline; split($2, a, ":"); n += a[2]} END {print n + 0}'; }
y_before=$(y_rx)
check_not "isolation: a cannot reach d" in_host a ping -c 2 -i 0.2 -W 1 -q 10.251.0.4
y_after=$(y_rx)
check "isolation: dp y's ports received nothing while a tried ($y_before -> $y_after)" \
  test "$y_before" = "$y_after"
check_not "isolation: d cannot reach a" in_host d ping -c 2 -i 0.2 -W 1 -q 10.251.0.1

# ---- VLAN push/pop: host f on dp v1, host g on dp v2, a trunk veth between
add_host f 10.252.0.1; add_host g 10.252.0.2
ip link add "$RUN-t1" type veth peer name "$RUN-t2"; LINKS+=("$RUN-t1")
for t in t1 t2; do
  ip link set "$RUN-$t" up; ethtool -K "$RUN-$t" tx off tso off gso off rxvlan off txvlan off >/dev/null 2>&1
  sysctl -qw "net.ipv6.conf.$RUN-$t.disable_ipv6=1"
done
fpctl add-dp "$RUN"v1 "$RUN-f" "$RUN-t1"
fpctl add-dp "$RUN"v2 "$RUN-g" "$RUN-t2"
for dp in "$RUN"v1 "$RUN"v2; do
  fpctl add-flow $dp 'in_port(1),eth(),eth_type(0x0806),arp()' 'push_vlan(vid=100,pcp=0),2'
  fpctl add-flow $dp 'in_port(1),eth(),eth_type(0x0800),ipv4()' 'push_vlan(vid=100,pcp=0),2'
  fpctl add-flow $dp 'in_port(2),eth(),eth_type(0x8100),vlan(vid=100),encap(eth_type(0x0806),arp())' 'pop_vlan,1'
  fpctl add-flow $dp 'in_port(2),eth(),eth_type(0x8100),vlan(vid=100),encap(eth_type(0x0800),ipv4())' 'pop_vlan,1'
done
start_capture "$WORK/trunk.txt" -i "$RUN-t1" -c 4 -nn -e vlan 100
check "VLAN: ping f -> g across the tagged trunk" in_host f ping -c 3 -i 0.2 -W 2 -q 10.252.0.2
wait_until 10 test "$(grep -c 'vlan 100' "$WORK/trunk.txt")" -ge 4
check "VLAN: the trunk carries 802.1Q vlan 100" grep -q "vlan 100" "$WORK/trunk.txt"
check "VLAN: tagged ICMP counted on the pop flow" \
  test "$(flow_packets "$RUN"v2 'encap(eth_type(0x0800)')" -ge 3

finish
