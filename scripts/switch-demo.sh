#!/usr/bin/env bash
# The switch demo: starts flowpathd, builds two hosts in network namespaces on
# veth pairs, attaches them to a datapath, installs ARP and IPv4 flows with
# fpctl, pings across, shows the datapath and its flows; then does the same
# with a bridge whose NORMAL rule learns MACs and installs megaflows by
# itself, adds an ACL rule, traces a packet, and tears it all down (also
# when interrupted). Needs root. BIN: where fpctl/flowpathd are.
set -euo pipefail
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/tools}
work=$(mktemp -d)
sock=$work/flowpathd.sock
daemon=
cleanup() {
  [ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for h in fpdemo-a fpdemo-b; do ip netns del "$h" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fpctl() { echo "+ fpctl $*" >&2; "$BIN/fpctl" --socket "$sock" "$@"; }

"$BIN/flowpathd" --socket "$sock" --no-state 2> "$work/flowpathd.log" &
daemon=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

n=1
for h in a b; do
  ip netns add fpdemo-$h
  ip link add fpdemo-$h type veth peer name eth0 netns fpdemo-$h
  ip -n fpdemo-$h addr add 10.99.0.$n/24 dev eth0
  ip -n fpdemo-$h link set eth0 up
  ip link set fpdemo-$h up
  n=$((n + 1))
done

fpctl add-dp demo fpdemo-a fpdemo-b
fpctl add-flow demo 'in_port(1),eth(),eth_type(0x0806),arp()' 2
fpctl add-flow demo 'in_port(2),eth(),eth_type(0x0806),arp()' 1
fpctl add-flow demo 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
fpctl add-flow demo 'in_port(2),eth(),eth_type(0x0800),ipv4()' 1
echo "+ ip netns exec fpdemo-a ping -c 3 10.99.0.2" >&2
ip netns exec fpdemo-a ping -c 3 -i 0.2 10.99.0.2
fpctl show demo
fpctl dump-flows demo
fpctl del-dp demo

# The same hosts on a bridge: the slow path turns misses into megaflows.
fpctl add-br demobr
fpctl add-port demobr fpdemo-a
fpctl add-port demobr fpdemo-b
echo "+ ip netns exec fpdemo-a ping -c 3 10.99.0.2" >&2
ip netns exec fpdemo-a ping -c 3 -i 0.2 10.99.0.2
fpctl dump-flows demobr
fpctl fdb-show demobr
# An ACL: no ICMP to host b. The revalidator fixes the installed megaflows.
fpctl of add-flow demobr 'priority=100,icmp,nw_dst=10.99.0.2,actions=drop'
fpctl trace demobr 'in_port=1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,icmp,nw_src=10.99.0.1,nw_dst=10.99.0.2'
echo "+ ip netns exec fpdemo-a ping -c 2 -W 1 10.99.0.2   (now dropped)" >&2
ip netns exec fpdemo-a ping -c 2 -i 0.2 -W 1 10.99.0.2 || true
fpctl of dump-flows demobr
fpctl del-br demobr
echo "demo done: bridge, namespaces and daemon are being removed"
