#!/usr/bin/env bash
# The underlay route table of native tunnelling (fpctl ovs/route/*), read
# from the kernel by rtnetlink: flowpathd runs in a namespace of its own,
# whose routes the test sets with ip(8), and shows them as Open vSwitch's
# ovs-appctl ovs/route/show does; user routes are added, looked up, refused
# when bad and deleted.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"

NS=$RUN-routes
ip netns add "$NS"; NAMESPACES+=("$NS")
ip -n "$NS" link set lo up
# (no dummy devices in every kernel: a veth pair inside the namespace)
must ip -n "$NS" link add br-phy type veth peer name br-peer
must ip -n "$NS" link set br-peer up
must ip -n "$NS" link set br-phy up
must ip -n "$NS" addr add 192.0.2.1/24 dev br-phy
must ip -n "$NS" route add 198.51.100.0/24 via 192.0.2.254 dev br-phy
must ip -n "$NS" -6 addr add 2001:db8::1/64 dev br-phy nodad
# flowpathd inside the namespace: it reads that namespace's routes.
ip netns exec "$NS" "$BIN/flowpathd" --socket "$SOCK" --no-state >> "$WORK/flowpathd.log" 2>&1 &
DAEMON_PID=$!
wait_until 20 daemon_ready || { echo "FAIL: flowpathd did not start"; cat "$WORK/flowpathd.log"; exit 1; }

fpctl ovs/route/show > "$WORK/show.txt"
cat "$WORK/show.txt"
check "the header line" test "$(head -1 "$WORK/show.txt")" = "Route Table:"
check "the connected route, with its source" grep -qx 'Cached: 192.0.2.0/24 dev br-phy SRC 192.0.2.1' "$WORK/show.txt"
check "the route via a gateway" grep -qx 'Cached: 198.51.100.0/24 dev br-phy GW 192.0.2.254 SRC 192.0.2.1' "$WORK/show.txt"
check "the local address" grep -qx 'Cached: 192.0.2.1/32 dev br-phy SRC 192.0.2.1 local' "$WORK/show.txt"
check "IPv6" grep -qx 'Cached: 2001:db8::/64 dev br-phy SRC 2001:db8::1' "$WORK/show.txt"

check "lookup through the gateway route" \
  test "$(fpctl ovs/route/lookup 198.51.100.7 | tr '\n' ' ')" = "src 192.0.2.1 gateway 192.0.2.254 dev br-phy "
check "ovs/route/add prints OK" test "$(fpctl ovs/route/add 203.0.113.0/24 br-phy 192.0.2.253)" = OK
check "the user route is shown first" \
  test "$(fpctl ovs/route/show | sed -n 2p)" = "User: 203.0.113.0/24 dev br-phy GW 192.0.2.253 SRC 192.0.2.1"
check "lookup finds the user route" \
  test "$(fpctl ovs/route/lookup 203.0.113.9 | tr '\n' ' ')" = "src 192.0.2.1 gateway 192.0.2.253 dev br-phy "
check "a user route more specific than the kernel's wins" \
  sh -c "$BIN/fpctl --socket $SOCK ovs/route/add 198.51.100.128/25 br-phy >/dev/null &&
         $BIN/fpctl --socket $SOCK ovs/route/lookup 198.51.100.200 | grep -qx 'gateway 0.0.0.0'"

fpctl ovs/route/add 203.0.113.0/24 br-phy 2> "$WORK/err.txt"
check "the same prefix twice is refused" \
  grep -qx 'fpctl: a user route for 203.0.113.0/24 dev br-phy SRC 192.0.2.1 exists already (ovs/route/del it first)' "$WORK/err.txt"
fpctl ovs/route/add 203.0.113.0/33 br-phy 2> "$WORK/err.txt"
check "a bad prefix length is named" grep -q "prefix length '33' is not 0..32" "$WORK/err.txt"
fpctl ovs/route/add 10.0.0.0/8 nosuchdev 2> "$WORK/err.txt"
check "a missing device is named" grep -qx 'fpctl: device nosuchdev does not exist' "$WORK/err.txt"
fpctl ovs/route/add 10.0.0.0/8 lo 2001:db8::9 2> "$WORK/err.txt"
check "a gateway of the other family is refused" grep -q 'gw 2001:db8::9 is not of the prefix' "$WORK/err.txt"
check "ovs/route/del prints OK" test "$(fpctl ovs/route/del 203.0.113.0/24)" = OK
check_not "the deleted route is gone" sh -c "$BIN/fpctl --socket $SOCK ovs/route/show | grep -q 203.0.113"
fpctl ovs/route/del 203.0.113.0/24 2> "$WORK/err.txt"
check "deleting it again names it" grep -qx 'fpctl: no user route for 203.0.113.0/24' "$WORK/err.txt"

# The kernel's changes show at the next read.
ip -n "$NS" route add 192.0.2.128/25 dev br-phy
check "a route the kernel gained is shown" sh -c "$BIN/fpctl --socket $SOCK ovs/route/show | grep -qx 'Cached: 192.0.2.128/25 dev br-phy SRC 192.0.2.1'"
finish
