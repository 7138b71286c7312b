#!/usr/bin/env bash
# The afxdp vport on veth: namespaces A and B each hold one end of a veth pair
# whose other ends (wa, wb) sit in a third namespace W. Checks, for native and
# for generic XDP:
#   - afxdp_bridge (a two-port wire of afxdp ports) attaches in the mode asked
#     for, with libxdp's program visible on wa and wb while it runs and gone
#     once it stops (clean detach);
#   - ping both ways across the wire; an 802.1Q-tagged frame arrives tagged;
#   - the wire received exactly what A and B transmitted and forwarded all of
#     it, with no drop or error counted;
# then that bad setups fail with precise messages (zero-copy on veth, a queue
# veth lacks, a queue already taken), and flowpathd with two afxdp ports:
# flows installed with fpctl, ping, port counters, set-if switching the
# ports' XDP mode, del-dp leaving no program behind.
# Finally floods compare the afpacket and afxdp wires (rates printed, not
# asserted): a 60-byte UDP generator in A and iperf3 -u -l 64 if installed,
# FLOWPATH_FLOOD_SECONDS each (default 2, 0 = skip), and ping latency.
# Exit 77 (ctest SKIP_RETURN_CODE) without root, `ip netns`, a tool the test
# uses, or XDP support. Without native (driver) XDP on veth the native parts
# are left out with "SKIPPED PART: native-xdp" (tests/skip-allowlist.txt).
#
#   afxdp_netns_test.sh PATH/TO/afxdp_bridge [DIR/WITH/flowpathd+fpctl]
set -euo pipefail

bridge=${1:?usage: afxdp_netns_test.sh PATH/TO/afxdp_bridge [BIN_DIR]}
bin_dir=${2:-}
flood_seconds=${FLOWPATH_FLOOD_SECONDS:-2}
python=/usr/bin/python3

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
[ -x "$python" ] || skip "/usr/bin/python3 is not installed"
[ -n "$bin_dir" ] && [ -x "$bin_dir/flowpathd" ] && [ -x "$bin_dir/fpctl" ] ||
  { echo "FAIL: no flowpathd and fpctl in '$bin_dir'"; exit 1; }
. "$(dirname "$0")/wait_lib.sh"

tag="fpxt-$$-$RANDOM"
ns_a="$tag-a"
ns_b="$tag-b"
ns_w="$tag-w"
work=$(mktemp -d)
bridge_pid=""
daemon_pid=""
helper_pids=()

cleanup() {
  set +e
  for pid in "$bridge_pid" "$daemon_pid"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for ns in "$ns_a" "$ns_b" "$ns_w"; do
    # Anything still running in our namespaces was started by this script.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null  # takes the veth ends, and their XDP programs, with it
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*"
  for out in "$work"/*.out "$work"/*.err "$work"/*.log; do
    [ -s "$out" ] && { echo "--- $out"; tail -n 30 "$out"; }
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
  # Partial checksums and TSO super-frames are not completed by the ports.
  in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
    fail "cannot switch offloads off on $2"
  ip -n "$1" link set "$2" up
done

# Can this kernel and this process attach XDP at all?
if ! in_ns "$ns_w" "$bridge" --flood wa,type=afxdp,mode=generic 0 >"$work/probe.out" 2>&1; then
  grep -qE 'Operation not permitted|Address family not supported|no AF_XDP support' \
    "$work/probe.out" && skip "no AF_XDP/XDP here: $(cat "$work/probe.out")"
  fail "afxdp port on wa: $(cat "$work/probe.out")"
fi
# And in native mode? (A driver feature: veth has it since Linux 4.19.)
modes=(native generic)
native=native
if ! in_ns "$ns_w" "$bridge" --flood wa,type=afxdp,mode=native 0 >"$work/probe.out" 2>&1; then
  grep -qE 'Operation not supported|native' "$work/probe.out" ||
    fail "afxdp port on wa in native mode: $(cat "$work/probe.out")"
  echo "SKIPPED PART: native-xdp: $(cat "$work/probe.out")"
  modes=(generic)
  native=generic
fi

# Static neighbours: no ARP request or probe goes out on its own timer, so
# the hosts send only what the test sends and the counts below are exact.
ip -n "$ns_a" neigh replace 10.200.0.2 dev va nud permanent \
  lladdr "$(ip -n "$ns_b" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"
ip -n "$ns_b" neigh replace 10.200.0.1 dev vb nud permanent \
  lladdr "$(ip -n "$ns_a" -o link show va | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"

# ---------------------------------------------------------------- the wire
start_bridge() {  # OUTPUT_PREFIX SPEC_A SPEC_B
  # Not through in_ns: $! must be the bridge itself, not a subshell.
  ip netns exec "$ns_w" "$bridge" "$2" "$3" 120 >"$1.out" 2>"$1.err" &
  bridge_pid=$!
  for _ in $(seq 100); do
    grep -q '^ready$' "$1.out" 2>/dev/null && return 0
    kill -0 "$bridge_pid" 2>/dev/null || fail "afxdp_bridge exited early"
    sleep 0.05
  done
  fail "afxdp_bridge did not become ready"
}
stop_bridge() {
  kill -TERM "$bridge_pid"
  wait "$bridge_pid" || fail "afxdp_bridge failed"
  bridge_pid=""
}
counter() {  # NS IFACE NAME
  in_ns "$1" cat "/sys/class/net/$2/statistics/$3"
}
field() {  # OUTPUT PORT FIELD
  sed -n "s/^port $2 .*\<$3=\([0-9]*\).*/\1/p" "$1"
}
xdp_attachment() {  # IFACE: "xdp" (native), "xdpgeneric", or "" when none
  ip -n "$ns_w" -o link show "$1" | grep -oE '\<xdp(generic|drv|offload)?\>' | head -1 || true
}

# wire_drained A_TX0 B_TX0 A_RX0 B_RX0: waits (up to 5 s) until B has
# received as many packets as A sent since the A_TX0/B_RX0 readings, and A as
# many as B sent.
drained_once() {
  [ $(($(counter "$ns_b" vb rx_packets) - $4)) -ge $(($(counter "$ns_a" va tx_packets) - $1)) ] &&
    [ $(($(counter "$ns_a" va rx_packets) - $3)) -ge $(($(counter "$ns_b" vb tx_packets) - $2)) ]
}
wire_drained() { wait_until 5 drained_once "$@"; }

send_tagged_frames() {  # from A: three frames tagged VLAN 100, priority 5
  in_ns "$ns_a" "$python" - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("va", 0))
frame = (b"\xff" * 6 + bytes.fromhex("020000000001") +
         struct.pack("!HHH", 0x8100, 0xa064, 0x88b5) + b"fpxt-vlan".ljust(50, b"\0"))
for _ in range(3):
    s.send(frame)
EOF
}

check_vlan() {
  rm -f "$work/vlan.pcap"
  ip netns exec "$ns_b" tcpdump -i vb -nn -U -c 3 -w "$work/vlan.pcap" 'vlan 100' \
    2>"$work/tcpdump.log" &
  local tcpdump_pid=$!
  helper_pids+=("$tcpdump_pid")
  wait_until 10 grep -q 'listening on' "$work/tcpdump.log" || fail "tcpdump did not start"
  send_tagged_frames
  for _ in $(seq 100); do
    kill -0 "$tcpdump_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$tcpdump_pid" 2>/dev/null || true
  wait "$tcpdump_pid" 2>/dev/null || true
  local tagged
  tagged=$(tcpdump -r "$work/vlan.pcap" -nn -e 2>/dev/null | grep -c 'vlan 100, p 5' || true)
  [ "$tagged" -eq 3 ] || fail "B saw $tagged of 3 frames tagged vlan 100"
  echo "3 of 3 tagged frames arrived with vlan 100, priority 5"
}

for mode in "${modes[@]}"; do
  echo "== afxdp wire, $mode XDP"
  out="$work/wire_$mode.out"
  start_bridge "$work/wire_$mode" "wa,type=afxdp,mode=$mode" "wb,type=afxdp,mode=$mode"
  for port in wa wb; do
    grep -q "^attached $port type=afxdp mode=$mode " "$out" ||
      fail "$port did not attach in $mode mode: $(grep "^attached $port" "$out")"
  done
  expected=$([ "$mode" = native ] && echo xdp || echo xdpgeneric)
  for port in wa wb; do
    [ "$(xdp_attachment $port)" = "$expected" ] ||
      fail "$port shows '$(xdp_attachment $port)' while the wire runs, expected $expected"
  done
  a_tx_before=$(counter "$ns_a" va tx_packets)
  b_tx_before=$(counter "$ns_b" vb tx_packets)
  a_rx_before=$(counter "$ns_a" va rx_packets)
  b_rx_before=$(counter "$ns_b" vb rx_packets)
  in_ns "$ns_a" ping -c 5 -i 0.2 -W 2 -q 10.200.0.2 >/dev/null || fail "$mode: ping A -> B"
  in_ns "$ns_b" ping -c 3 -i 0.2 -W 2 -q 10.200.0.1 >/dev/null || fail "$mode: ping B -> A"
  echo "ping both ways"
  check_vlan
  # Everything A and B sent has crossed once the other side received as much.
  wire_drained "$a_tx_before" "$b_tx_before" "$a_rx_before" "$b_rx_before" ||
    echo "the wire did not deliver everything within 5 s (counts follow)"
  a_sent=$(($(counter "$ns_a" va tx_packets) - a_tx_before))
  b_sent=$(($(counter "$ns_b" vb tx_packets) - b_tx_before))
  stop_bridge
  grep '^port' "$out"
  [ "$(field "$out" wa rx_packets)" -eq "$a_sent" ] ||
    fail "$mode: wa received $(field "$out" wa rx_packets) packets, A sent $a_sent"
  [ "$(field "$out" wb rx_packets)" -eq "$b_sent" ] ||
    fail "$mode: wb received $(field "$out" wb rx_packets) packets, B sent $b_sent"
  [ "$(field "$out" wb tx_packets)" -eq "$a_sent" ] || fail "$mode: wb forwarded fewer than A sent"
  [ "$(field "$out" wa tx_packets)" -eq "$b_sent" ] || fail "$mode: wa forwarded fewer than B sent"
  [ "$(field "$out" wa rx_bytes)" -eq "$(field "$out" wb tx_bytes)" ] ||
    fail "$mode: bytes received on wa and sent on wb differ"
  for port in wa wb; do
    for f in rx_dropped rx_errors tx_dropped tx_errors fill_ring_empty; do
      [ "$(field "$out" $port $f)" -eq 0 ] || fail "$mode: $port $f is $(field "$out" $port $f)"
    done
    [ -z "$(xdp_attachment $port)" ] ||
      fail "$mode: $port still has an XDP program after the wire stopped"
  done
  echo "A sent $a_sent, B sent $b_sent; the wire moved each exactly once; programs detached"
done

# ---------------------------------------------------------------- bad setups
expect_open_error() {  # SPEC EXPECTED_SUBSTRING
  if in_ns "$ns_w" "$bridge" --flood "$1" 0 >"$work/error.log" 2>&1; then
    fail "$1 was accepted"
  fi
  grep -qF -- "$2" "$work/error.log" || fail "$1: expected '$2', got: $(cat "$work/error.log")"
  echo "refused $1: $(sed 's/^afxdp_bridge: //' "$work/error.log")"
}
echo "== bad setups are refused with the reason"
expect_open_error "wa,type=afxdp,zerocopy=on" \
  "afxdp port wa: cannot bind an AF_XDP socket to queue 0 with zero-copy: Operation not supported (the driver has no zero-copy support: use zerocopy=auto or off)"
expect_open_error "wa,type=afxdp,queue=3" "afxdp port wa: interface wa has no queue 3 (it has 1 receive queue)"
expect_open_error "wa,type=afxdp,ring=100" "afxdp port wa: option ring=100 is not a power of two"
start_bridge "$work/busy" "wa,type=afxdp" "wb,type=afxdp"
expect_open_error "wa,type=afxdp,mode=$native" \
  "cannot bind an AF_XDP socket to queue 0: Device or resource busy (another AF_XDP socket is bound to this queue)"
stop_bridge

# ------------------------------------------------------------ flowpathd
{
  echo "== flowpathd with afxdp ports"
  sock="$work/flowpathd.sock"
  fpctl() { "$bin_dir/fpctl" --socket "$sock" "$@"; }
  # Its own socket and state file: never the system's.
  ip netns exec "$ns_w" "$bin_dir/flowpathd" --socket "$sock" --state-file "$work/state.toml" \
    >"$work/flowpathd.log" 2>&1 &
  daemon_pid=$!
  daemon_up() { ! kill -0 "$daemon_pid" 2>/dev/null || fpctl dump-dps >/dev/null 2>&1; }
  wait_until 20 daemon_up && kill -0 "$daemon_pid" 2>/dev/null || fail "flowpathd did not start"
  dp="fpx$$"  # names the local TAP port too: at most 15 bytes
  fpctl add-dp "$dp" "wa,type=afxdp,mode=$native" "wb,type=afxdp,mode=$native" ||
    fail "add-dp with afxdp ports"
  for f in 'in_port(1),eth(),eth_type(0x0806),arp() 2' 'in_port(2),eth(),eth_type(0x0806),arp() 1' \
           'in_port(1),eth(),eth_type(0x0800),ipv4() 2' 'in_port(2),eth(),eth_type(0x0800),ipv4() 1'; do
    fpctl add-flow "$dp" "${f% *}" "${f##* }" || fail "add-flow $f"
  done
  in_ns "$ns_a" ping -c 5 -i 0.2 -W 2 -q 10.200.0.2 >/dev/null || fail "flowpathd: ping A -> B"
  requests=$(fpctl dump-flows "$dp" | grep -F 'in_port(1),eth(),eth_type(0x0800)' |
             sed -n 's/.*packets:\([0-9]*\),.*/\1/p')
  [ "$requests" = 5 ] || fail "flowpathd: the A->B IPv4 flow counted '$requests' packets, not 5"
  expected=$([ "$native" = native ] && echo xdp || echo xdpgeneric)
  [ "$(xdp_attachment wa)" = "$expected" ] ||
    fail "flowpathd: wa shows '$(xdp_attachment wa)', not $expected"
  port_stat() {  # PORT_NO RX|TX: that port's packet counter in show -s
    fpctl show -s "$dp" | awk -v p="port $1:" -v d="$2" \
      '$0 ~ p {getline; if (d == "TX") getline; split($2, a, ":"); print a[2]}'
  }
  flow_total() {  # PORT_NO: packets of every flow matching in_port(PORT_NO)
    fpctl dump-flows "$dp" | grep -F "in_port($1)," |
      sed -n 's/.*packets:\([0-9]*\),.*/\1/p' | awk '{n += $1} END {print n + 0}'
  }
  # The ping's replies have arrived, so its packets are counted; wait only
  # for the ports' counters to agree with the flows'.
  counted() {
    [ "$(port_stat 1 RX)" -eq "$(flow_total 1)" ] && [ "$(port_stat 2 TX)" -eq "$(flow_total 1)" ] &&
      [ "$(port_stat 1 TX)" -eq "$(flow_total 2)" ]
  }
  wait_until 5 counted || echo "port and flow counters still differ after 5 s (counts follow)"
  from_a=$(flow_total 1)
  [ "$(port_stat 1 RX)" -eq "$from_a" ] ||
    fail "flowpathd: port 1 received $(port_stat 1 RX), its flows counted $from_a"
  [ "$(port_stat 2 TX)" -eq "$from_a" ] ||
    fail "flowpathd: port 2 sent $(port_stat 2 TX) of the $from_a packets from port 1"
  [ "$(port_stat 1 TX)" -eq "$(flow_total 2)" ] ||
    fail "flowpathd: port 1 sent $(port_stat 1 TX) of the $(flow_total 2) packets from port 2"
  echo "ping through flowpathd: 5 requests on the flow; port 1 received $from_a, port 2 sent" \
    "all of them"
  # set-if closes each port and opens it again at once: the queue the old
  # socket held must be free again (the kernel frees it asynchronously).
  fpctl set-if "$dp" "wa,type=afxdp,mode=generic" "wb,type=afxdp,mode=generic" ||
    fail "set-if to generic mode"
  [ "$(xdp_attachment wa)" = xdpgeneric ] ||
    fail "after set-if wa shows '$(xdp_attachment wa)', not xdpgeneric"
  in_ns "$ns_a" ping -c 3 -i 0.2 -W 2 -q 10.200.0.2 >/dev/null || fail "ping after set-if"
  echo "set-if to generic XDP: reattached, ping passes"
  fpctl del-dp "$dp" || fail "del-dp"
  for port in wa wb; do
    [ -z "$(xdp_attachment $port)" ] || fail "del-dp left an XDP program on $port"
  done
  echo "del-dp detached both programs"
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || fail "flowpathd did not exit cleanly on SIGTERM"
  daemon_pid=""
  ! grep -qE '^(==[0-9]+==ERROR|SUMMARY): |runtime error: ' "$work/flowpathd.log" ||
    fail "flowpathd reported errors on the way out"
}

# ------------------------------------------------------------------ floods
rate() {  # COUNT SECONDS
  awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}

# Runs COMMAND... in A while the wire (SPEC_A SPEC_B) runs; prints what crossed.
measure() {  # LABEL SPEC_A SPEC_B COMMAND...
  local label=$1 spec_a=$2 spec_b=$3
  shift 3
  start_bridge "$work/flood_bridge" "$spec_a" "$spec_b"
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
  local out="$work/flood_bridge.out" forwarded
  forwarded=$(field "$out" wb tx_packets)
  echo "  $label: wire forwarded $(rate "$forwarded" "$flood_seconds") pps A->B;" \
    "B's veth received $((b_rx_after - b_rx_before)) packets;" \
    "wa rx_dropped=$(field "$out" wa rx_dropped) wb tx_dropped=$(field "$out" wb tx_dropped)"
  [ "$forwarded" -gt 0 ] || fail "nothing crossed the wire during: $label"
}

wires=("afpacket|wa|wb")
for mode in "${modes[@]}"; do wires+=("afxdp $mode|wa,type=afxdp,mode=$mode|wb,type=afxdp,mode=$mode"); done
echo "== latency: ping -c 50 -i 0.01 A -> B (measured, not asserted)"
for wire in "${wires[@]}"; do
  IFS='|' read -r label spec_a spec_b <<<"$wire"
  start_bridge "$work/ping_bridge" "$spec_a" "$spec_b"
  rtt=$(in_ns "$ns_a" ping -c 50 -i 0.01 -W 2 -q 10.200.0.2 | sed -n 's/^rtt .* = //p')
  stop_bridge
  echo "  $label: rtt min/avg/max/mdev $rtt"
done
if [ "$flood_seconds" -gt 0 ]; then
  echo "== floods across the wire, ${flood_seconds}s each (measured, not asserted)"
  for wire in "${wires[@]}"; do
    IFS='|' read -r label spec_a spec_b <<<"$wire"
    # The same generator for every wire: afpacket in A, 60-byte UDP frames.
    measure "$label, 60-byte UDP generator" "$spec_a" "$spec_b" \
      "$bridge" --flood va "$flood_seconds"
    echo "    generator sent $(rate "$(field "$work/flood.log" va tx_packets)" "$flood_seconds") pps"
    ip netns exec "$ns_b" iperf3 -s -1 -p 5201 >"$work/iperf_server.log" 2>&1 &
    helper_pids+=($!)
    wait_until 10 listening "$ns_b" 5201 || fail "iperf3 -s is not listening"
    measure "$label, iperf3 -u -l 64 -b 0" "$spec_a" "$spec_b" \
      iperf3 -c 10.200.0.2 -u -l 64 -b 0 -t "$flood_seconds"
    grep -E ' receiver$' "$work/flood.log" | sed 's/^/    iperf3: /' || true
  done
  # The afxdp transmit path as a generator (copy mode: one kick per batch).
  in_ns "$ns_a" "$bridge" --flood "va,type=afxdp,mode=$native" "$flood_seconds" \
    >"$work/gen.log" 2>&1 || fail "afxdp generator: $(cat "$work/gen.log")"
  echo "  afxdp generator alone (va, $native): sent" \
    "$(rate "$(field "$work/gen.log" va tx_packets)" "$flood_seconds") pps," \
    "tx_dropped $(field "$work/gen.log" va tx_dropped)"
fi

echo "afxdp_netns: PASS"
