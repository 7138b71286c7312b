#!/usr/bin/env bash
# The afpacket vport on real interfaces: namespaces A and B each hold one end
# of a veth pair whose other ends sit in a third namespace W, where
# afpacket_bridge joins them (a two-port wire). Checks:
#   - ping both ways across the wire (offloads off: partial checksums are not
#     completed by the port yet);
#   - an 802.1Q-tagged frame from A arrives at B still tagged (the kernel
#     strips the tag on receive; the port must put it back);
#   - the wire received exactly what A and B transmitted, so it never
#     received a packet it had sent itself;
#   - all of the above with both send paths: the transmit ring (default
#     options, afpacket_bridge) and sendmmsg (tx_ring=off, through
#     afxdp_bridge, which takes port specs);
#   - then UDP floods measure the wire's forwarding rate with each send path
#     (generator and wire alike): raw 60-byte frames from afxdp_bridge
#     --flood in A, and iperf3 -u -l 64 between the namespaces' stacks if
#     FLOWPATH_FLOOD_SECONDS (default 2, 0 = skip) sets each
#     flood's length. Rates are printed, not asserted.
# Exit 77 (ctest SKIP_RETURN_CODE) without root or `ip netns`.
#
#   vport_netns_test.sh PATH/TO/afpacket_bridge [PATH/TO/afxdp_bridge]
# (afxdp_bridge defaults to the one next to afpacket_bridge.)
set -euo pipefail

bridge=${1:?usage: vport_netns_test.sh PATH/TO/afpacket_bridge [PATH/TO/afxdp_bridge]}
spec_bridge=${2:-$(dirname "$bridge")/afxdp_bridge}
flood_seconds=${FLOWPATH_FLOOD_SECONDS:-2}

skip() {
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
command -v ethtool >/dev/null || skip "ethtool is not installed (offloads must be switched off)"
command -v ping >/dev/null || skip "ping is not installed"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
. "$(dirname "$0")/wait_lib.sh"
[ -x "$spec_bridge" ] || { echo "FAIL: $spec_bridge is not an executable"; exit 1; }

# Unique names so parallel runs do not collide; every address lives inside
# these namespaces.
tag="fpvt-$$-$RANDOM"
ns_a="$tag-a"
ns_b="$tag-b"
ns_w="$tag-w"
work=$(mktemp -d)
bridge_pid=""
helper_pids=()

cleanup() {
  set +e
  if [ -n "$bridge_pid" ]; then
    kill "$bridge_pid" 2>/dev/null
    wait "$bridge_pid" 2>/dev/null
  fi
  for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for ns in "$ns_a" "$ns_b" "$ns_w"; do
    # Anything still running in our namespaces was started by this script.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null  # takes the veth ends inside with it
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*"
  for out in "$work"/bridge*.out "$work"/bridge*.err; do
    [ -s "$out" ] && { echo "--- $out"; cat "$out"; }
  done
  exit 1
}

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# ------------------------------------------------------------------ topology
ip netns add "$ns_a" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$ns_b"
ip netns add "$ns_w"
for ns in "$ns_a" "$ns_b" "$ns_w"; do
  # No IPv6: its unsolicited chatter would blur the exact packet counts.
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$ns_a" link add va type veth peer name wa netns "$ns_w"
ip -n "$ns_b" link add vb type veth peer name wb netns "$ns_w"
ip -n "$ns_a" addr add 10.200.0.1/24 dev va
ip -n "$ns_b" addr add 10.200.0.2/24 dev vb
for pair in "$ns_a va" "$ns_b vb" "$ns_w wa" "$ns_w wb"; do
  set -- $pair
  in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
    fail "cannot switch offloads off on $2"
  ip -n "$1" link set "$2" up
done

# Static neighbours: no ARP request or probe goes out on its own timer, so
# the hosts send only what the test sends and the counts below are exact.
ip -n "$ns_a" neigh replace 10.200.0.2 dev va nud permanent \
  lladdr "$(ip -n "$ns_b" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"
ip -n "$ns_b" neigh replace 10.200.0.1 dev vb nud permanent \
  lladdr "$(ip -n "$ns_a" -o link show va | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"

# ---------------------------------------------------------------- the wire
wire=("$bridge" wa wb)  # the command that runs the wire; see check_wire

start_bridge() {  # OUTPUT_PREFIX
  # Not through in_ns: $! must be the bridge itself, not a subshell.
  ip netns exec "$ns_w" "${wire[@]}" 120 >"$1.out" 2>"$1.err" &
  bridge_pid=$!
  for _ in $(seq 100); do
    grep -q '^ready$' "$1.out" 2>/dev/null && return 0
    kill -0 "$bridge_pid" 2>/dev/null || fail "${wire[0]##*/} exited early"
    sleep 0.05
  done
  fail "${wire[0]##*/} did not become ready"
}
stop_bridge() {
  kill -TERM "$bridge_pid"
  wait "$bridge_pid" || fail "${wire[0]##*/} failed"
  bridge_pid=""
}
counter() {  # NS IFACE NAME
  in_ns "$1" cat "/sys/class/net/$2/statistics/$3"
}
field() {  # OUTPUT PORT FIELD
  sed -n "s/^port $2 .*\<$3=\([0-9]*\).*/\1/p" "$1"
}

# wire_drained A_TX0 B_TX0 A_RX0 B_RX0: waits (up to 5 s) until B has
# received as many packets as A sent since the A_TX0/B_RX0 readings, and A as
# many as B sent.
drained_once() {
  [ $(($(counter "$ns_b" vb rx_packets) - $4)) -ge $(($(counter "$ns_a" va tx_packets) - $1)) ] &&
    [ $(($(counter "$ns_a" va rx_packets) - $3)) -ge $(($(counter "$ns_b" vb tx_packets) - $2)) ]
}
wire_drained() { wait_until 5 drained_once "$@"; }

# Pings, tagged frames and exact counts across the wire "${wire[@]}".
check_wire() {  # LABEL
  echo "==== $1"
  start_bridge "$work/bridge1"
  local a_tx_before b_tx_before a_rx_before b_rx_before a_tx_after b_tx_after
  a_tx_before=$(counter "$ns_a" va tx_packets)
  b_tx_before=$(counter "$ns_b" vb tx_packets)
  a_rx_before=$(counter "$ns_a" va rx_packets)
  b_rx_before=$(counter "$ns_b" vb rx_packets)

  echo "== ping across the wire"
  in_ns "$ns_a" ping -c 5 -i 0.2 -W 2 -q 10.200.0.2 || fail "ping A -> B ($1)"
  in_ns "$ns_b" ping -c 3 -i 0.2 -W 2 -q 10.200.0.1 || fail "ping B -> A ($1)"

  echo "== VLAN tag survives the wire"
  rm -f "$work/vlan.pcap" "$work/tcpdump.err"
  ip netns exec "$ns_b" tcpdump -i vb -nn -U -c 3 -w "$work/vlan.pcap" 'vlan 100' \
    2>"$work/tcpdump.err" &
  local tcpdump_pid=$!
  helper_pids+=("$tcpdump_pid")
  wait_until 10 grep -q 'listening on' "$work/tcpdump.err" || fail "tcpdump did not start"
  in_ns "$ns_a" /usr/bin/python3 - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("va", 0))
frame = (b"\xff" * 6 + bytes.fromhex("020000000001") +
       struct.pack("!HHH", 0x8100, 0xa064, 0x88b5) + b"fpvt-vlan".ljust(50, b"\0"))
for _ in range(3):
  s.send(frame)
EOF
  for _ in $(seq 100); do
    kill -0 "$tcpdump_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$tcpdump_pid" 2>/dev/null || true
  wait "$tcpdump_pid" 2>/dev/null || true
  local tagged
  tagged=$(tcpdump -r "$work/vlan.pcap" -nn -e 2>/dev/null | grep -c 'vlan 100, p 5' || true)
  [ "$tagged" -eq 3 ] ||
    fail "B saw $tagged of 3 frames tagged vlan 100 (tag lost on the wire? $1)"
  echo "3 of 3 tagged frames arrived with vlan 100, priority 5"

  # Everything A and B sent has crossed once the other side received as
  # much (IPv6 is off: nothing else talks on these links).
  wire_drained "$a_tx_before" "$b_tx_before" "$a_rx_before" "$b_rx_before" ||
    echo "the wire did not deliver everything within 5 s (counts follow)"
  a_tx_after=$(counter "$ns_a" va tx_packets)
  b_tx_after=$(counter "$ns_b" vb tx_packets)
  stop_bridge
  local out="$work/bridge1.out"
  cat "$out"

  echo "== the wire received exactly what A and B sent"
  local a_sent=$((a_tx_after - a_tx_before))
  local b_sent=$((b_tx_after - b_tx_before))
  [ "$(field "$out" wa rx_packets)" -eq "$a_sent" ] ||
    fail "wa received $(field "$out" wa rx_packets) packets, A sent $a_sent ($1)"
  [ "$(field "$out" wb rx_packets)" -eq "$b_sent" ] ||
    fail "wb received $(field "$out" wb rx_packets) packets, B sent $b_sent ($1)"
  [ "$(field "$out" wb tx_packets)" -eq "$a_sent" ] || fail "wb forwarded fewer than A sent ($1)"
  [ "$(field "$out" wa tx_packets)" -eq "$b_sent" ] || fail "wa forwarded fewer than B sent ($1)"
  local port f value
  for port in wa wb; do
    for f in rx_dropped rx_errors tx_dropped tx_errors outgoing_skipped; do
      value=$(field "$out" $port $f)
      # afxdp_bridge does not print outgoing_skipped; afpacket_bridge does.
      [ -n "$value" ] || [ "$f" = outgoing_skipped ] || fail "$port printed no $f ($1)"
      [ "${value:-0}" -eq 0 ] || fail "$port $f is $value ($1)"
    done
  done
  echo "A sent $a_sent, B sent $b_sent; the wire received each exactly once and none of its own"
}

wire=("$bridge" wa wb)
check_wire "afpacket ports with the transmit ring (default options)"
wire=("$spec_bridge" wa,tx_ring=off wb,tx_ring=off)
check_wire "afpacket ports with sendmmsg (tx_ring=off)"

# ------------------------------------------------------------------ flood
rate() {  # COUNT SECONDS
  awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}

# Runs COMMAND... in A while the wire runs; prints what crossed it.
measure() {  # LABEL COMMAND...
  local label=$1
  shift
  start_bridge "$work/bridge_flood"
  local b_rx_before b_rx_after
  b_rx_before=$(counter "$ns_b" vb rx_packets)
  in_ns "$ns_a" "$@" >"$work/flood.log" 2>&1 || fail "$label failed: $(cat "$work/flood.log")"
  # Measured, not asserted: B's count once it stops rising.
  local last=-1 polls=0
  b_rx_after=$(counter "$ns_b" vb rx_packets)
  until [ "$b_rx_after" -eq "$last" ] || [ $((polls += 1)) -gt 100 ]; do
    last=$b_rx_after
    sleep 0.05
    b_rx_after=$(counter "$ns_b" vb rx_packets)
  done
  stop_bridge
  local out="$work/bridge_flood.out"
  local forwarded
  forwarded=$(field "$out" wb tx_packets)
  echo "flood: $label"
  echo "  wire forwarded $forwarded packets A->B in ${flood_seconds}s:" \
    "$(rate "$forwarded" "$flood_seconds") pps;" \
    "B's veth received $((b_rx_after - b_rx_before));" \
    "wire rx_dropped=$(field "$out" wa rx_dropped) tx_dropped=$(field "$out" wb tx_dropped)"
  [ "$forwarded" -gt 0 ] || fail "nothing crossed the wire during: $label"
  [ "$(field "$out" wb tx_errors)" -eq 0 ] || fail "the wire counted tx_errors during: $label"
}

if [ "$flood_seconds" -gt 0 ]; then
  echo "== UDP floods across the wire with each send path (measured, not asserted)"
  # One server for every run (no -1): each client connects afresh.
  ip netns exec "$ns_b" iperf3 -s -p 5201 >"$work/iperf_server.log" 2>&1 &
  helper_pids+=($!)
  wait_until 10 listening "$ns_b" 5201 || fail "iperf3 -s is not listening"
  for tx_ring in on off; do
    wire=("$spec_bridge" "wa,tx_ring=$tx_ring" "wb,tx_ring=$tx_ring")
    # 1. The raw wire: a generator in A, 60-byte frames, a batch of 32 per send.
    measure "afxdp_bridge --flood va,tx_ring=$tx_ring $flood_seconds (60-byte UDP frames)" \
      "$spec_bridge" --flood "va,tx_ring=$tx_ring" "$flood_seconds"
    sent=$(field "$work/flood.log" va tx_packets)
    echo "  generator sent $sent: $(rate "$sent" "$flood_seconds") pps" \
      "(its tx_dropped=$(field "$work/flood.log" va tx_dropped))"
    # 2. Through the hosts' UDP stacks.
    measure "iperf3 -c 10.200.0.2 -u -l 64 -b 0 -t $flood_seconds, wire tx_ring=$tx_ring" \
      iperf3 -c 10.200.0.2 -u -l 64 -b 0 -t "$flood_seconds"
    grep -E 'sender|receiver' "$work/flood.log" | sed 's/^/  /' || true
  done
fi

echo "vport_netns: PASS"
