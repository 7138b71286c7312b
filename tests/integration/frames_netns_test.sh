#!/usr/bin/env bash
# Frames of every legal size through flowpathd, with ping and the kernel as
# peers (docs/datapath.md, "Frame sizes and MTU"):
#   - a plain datapath of afpacket ports opened with mtu=9000 (flowpath sets
#     the interfaces' MTU): 9000-byte pings (-s 8972 -M do) both ways; show
#     and JSON report the MTU;
#   - a frame above the output port's MTU is dropped and counted, not cut:
#     after set-if mtu=1500 on one side, each 9000-byte ping adds exactly one
#     datapath_drop_mtu_exceeded there while 1500-byte pings still pass;
#   - a bridge (NORMAL) whose ports are added with mtu_request=9000;
#   - a tap port with mtu=9000, moved into a namespace, to an afpacket host;
#   - afxdp ports with mtu=9000, native and generic XDP (multi-buffer);
#   - runts: a pcap port replaying 14 frames of 0..13 bytes among good ones
#     into an eth() flow: every runt is counted as
#     datapath_drop_rx_invalid_packet (port and datapath), none forwarded. (Linux hands no runt to a tap, afpacket or afxdp port, so
#     their same check cannot be shown here: packet sockets and tun writes
#     refuse frames shorter than an Ethernet header, and tc's
#     bpf_skb_change_tail and XDP's bpf_xdp_adjust_tail refuse to cut below
#     it -- tried on Linux 6.18.)
#   frames_netns_test.sh DIR/WITH/flowpathd+fpctl
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
PY=/usr/bin/python3
start_daemon

JUMBO_PING=(ping -c 3 -i 0.2 -W 2 -q -s 8972 -M do)  # 9000-byte IP packets, DF set

# jumbo_host NAME IP: add_host with MTU 9000 on the namespace's end (the
# root end is the port's: its mtu=9000 option sets it).
jumbo_host() {
  add_host "$1" "$2"
  ip -n "$RUN-$1" link set eth0 mtu 9000
}

# port_counter DP PORT rx|tx packets|errors|dropped
port_counter() {
  fpctl --format json show "$1" | "$PY" -c '
import json, sys
dp, port, side, what = sys.argv[1:]
for p in json.load(sys.stdin)[0]["ports"]:
    if p["name"] == port:
        print(p["stats"][side + "_" + what])' "$@"
}
# port_drops DP PORT REASON / dp_drops DP REASON: a drop count from dp.show
port_drops() {
  fpctl --format json show "$1" | "$PY" -c '
import json, sys
print(next(p["drops"][sys.argv[2]] for p in json.load(sys.stdin)[0]["ports"]
           if p["name"] == sys.argv[1]))' "$2" "$3"
}
dp_drops() {
  fpctl --format json show "$1" | "$PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["stats"]["drops"][sys.argv[1]])' "$2"
}
port_mtu() {  # port_mtu DP PORT: the MTU dp.show reports
  fpctl --format json show "$1" | "$PY" -c '
import json, sys
print(next(p["mtu"] for p in json.load(sys.stdin)[0]["ports"] if p["name"] == sys.argv[1]))' "$2"
}
two_way_flows() {  # two_way_flows DP: ARP and IPv4 between ports 1 and 2
  local f
  for f in 'in_port(1),eth(),eth_type(0x0806),arp() 2' 'in_port(2),eth(),eth_type(0x0806),arp() 1' \
           'in_port(1),eth(),eth_type(0x0800),ipv4() 2' 'in_port(2),eth(),eth_type(0x0800),ipv4() 1'; do
    must fpctl add-flow "$1" ${f% *} ${f##* }
  done
}
# ---- a plain datapath, afpacket ports at MTU 9000
jumbo_host a 10.254.1.1; jumbo_host b 10.254.1.2
must fpctl add-dp "$RUN"j "$RUN-a,mtu=9000" "$RUN-b,mtu=9000"
two_way_flows "$RUN"j
check "afpacket: mtu=9000 set the interface's MTU" \
  test "$(cat /sys/class/net/"$RUN-a"/mtu)" = 9000
check "afpacket: show reports mtu=9000" \
  grep -q "port 1: $RUN-a (afpacket: mtu=9000)" <(fpctl show "$RUN"j)
check "afpacket: JSON reports mtu 9000" test "$(port_mtu "$RUN"j "$RUN-b")" = 9000
check "afpacket: 9000-byte ping a -> b" in_host a "${JUMBO_PING[@]}" 10.254.1.2
check "afpacket: 9000-byte ping b -> a" in_host b "${JUMBO_PING[@]}" 10.254.1.1
check "afpacket: the 9000-byte echoes crossed the IPv4 flow whole" \
  test "$(fpctl dump-flows "$RUN"j | grep -F 'in_port(1),eth(),eth_type(0x0800)' |
          sed -n 's/.*bytes:\([0-9]*\),.*/\1/p')" -ge $((6 * 9014))

# ---- a frame larger than the output port's MTU: dropped and counted
must fpctl set-if "$RUN"j "$RUN-b,mtu=1500"
check "set-if: b's port reports mtu 1500" test "$(port_mtu "$RUN"j "$RUN-b")" = 1500
bytes_before=$(port_counter "$RUN"j "$RUN-b" tx bytes)
check_not "over the MTU: 9000-byte pings a -> b do not arrive" in_host a "${JUMBO_PING[@]}" 10.254.1.2
check "over the MTU: each of the 3 counted against b as datapath_drop_mtu_exceeded" \
  test "$(port_drops "$RUN"j "$RUN-b" datapath_drop_mtu_exceeded)" = 3
# (ARP may cross meanwhile: 42-byte frames; a jumbo frame, whole or cut to
# the MTU, would add at least 1514 bytes.)
check "over the MTU: none left b whole or cut" \
  test $(($(port_counter "$RUN"j "$RUN-b" tx bytes) - bytes_before)) -lt 1514
check "at the MTU: 1500-byte pings a -> b pass" \
  in_host a ping -c 3 -i 0.2 -W 2 -q -s 1472 -M do 10.254.1.2

# ---- a bridge: add-port ... mtu_request=9000
jumbo_host c 10.254.2.1; jumbo_host d 10.254.2.2
must fpctl add-br "$RUN"br
for h in c d; do must fpctl add-port "$RUN"br "$RUN-$h" mtu_request=9000; done
check "bridge: mtu_request=9000 set the interface's MTU" \
  test "$(cat /sys/class/net/"$RUN-c"/mtu)" = 9000
check "bridge: 9000-byte ping c -> d (the first through the slow path)" \
  in_host c "${JUMBO_PING[@]}" 10.254.2.2
check "bridge: 9000-byte ping d -> c" in_host d "${JUMBO_PING[@]}" 10.254.2.1
check_not "bridge: mtu_request and mtu together are refused" \
  fpctl add-port "$RUN"br "$RUN-x" mtu_request=9000 mtu=9000

# ---- a tap port at MTU 9000, its device in a namespace, to an afpacket host
jumbo_host e 10.254.3.1
must fpctl add-dp "$RUN"t "$RUN-e,mtu=9000" "$RUN-tp,type=tap,mtu=9000"
two_way_flows "$RUN"t
tap_to_namespace "$RUN-tp" tapns 10.254.3.2
check "tap: the device keeps MTU 9000 in its namespace" \
  test "$(ip netns exec "$RUN-tapns" cat /sys/class/net/"$RUN-tp"/mtu)" = 9000
check "tap: 9000-byte ping e -> tap" in_host e "${JUMBO_PING[@]}" 10.254.3.2
check "tap: 9000-byte ping tap -> e" \
  ip netns exec "$RUN-tapns" "${JUMBO_PING[@]}" 10.254.3.1

# ---- afxdp ports at MTU 9000 (multi-buffer sockets), native and generic XDP
jumbo_host f 10.254.4.1; jumbo_host g 10.254.4.2
for mode in native generic; do
  if fpctl add-dp "$RUN"x "$RUN-f,type=afxdp,mode=$mode,mtu=9000" \
                          "$RUN-g,type=afxdp,mode=$mode,mtu=9000" 2> "$WORK/afxdp.err"; then
    two_way_flows "$RUN"x
    check "afxdp $mode: 9000-byte ping f -> g" in_host f "${JUMBO_PING[@]}" 10.254.4.2
    check "afxdp $mode: 9000-byte ping g -> f" in_host g "${JUMBO_PING[@]}" 10.254.4.1
    check "afxdp $mode: 1000-byte ping f -> g" in_host f ping -c 2 -i 0.2 -W 2 -q -s 972 10.254.4.2
    must fpctl del-dp "$RUN"x
  else
    echo "FAIL: afxdp $mode with mtu=9000 refused: $(cat "$WORK/afxdp.err")"
    FAILURES=$((FAILURES + 1))
  fi
done

# ---- runts on a pcap port: counted in rx_errors, never forwarded
must "$PY" - "$WORK/runts.pcap" <<'EOF'
import struct, sys
# 0..13-byte runts around an Ethernet header alone (14 bytes) and two full
# frames of IEEE's local experimental EtherType.
good = [bytes.fromhex("020000000002020000000001" "88b5"),
        bytes.fromhex("020000000002020000000001" "88b5") + bytes(range(46)),
        bytes.fromhex("ffffffffffff020000000001" "88b5") + bytes(range(100))]
frames = [bytes([0xee] * n) for n in range(7)] + good[:1] + \
         [bytes([0xee] * n) for n in range(7, 14)] + good[1:]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for frame in frames:
        f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
EOF
must fpctl add-dp "$RUN"p "$RUN-po,type=pcap,tx=$WORK/out.pcap"
must fpctl add-flow "$RUN"p 'in_port(2),eth(),eth_type(0x0600/0)' 1
must fpctl add-if "$RUN"p "$RUN-pi,type=pcap,rx=$WORK/runts.pcap"
pcap_done() {
  [ "$(port_counter "$RUN"p "$RUN-pi" rx packets)" = 3 ] &&
    [ "$(port_drops "$RUN"p "$RUN-pi" datapath_drop_rx_invalid_packet)" = 14 ]
}
check "pcap runts: 3 frames received, the 14 runts dropped as invalid against the port" \
  wait_until 10 pcap_done
check "pcap runts: and in the datapath's drops" \
  test "$(dp_drops "$RUN"p datapath_drop_rx_invalid_packet)" = 14
check "pcap runts: the eth() flow forwarded the 3 frames only" \
  test "$(flow_packets "$RUN"p 'in_port(2),eth()')" = 3
check "pcap runts: the tx file holds the 3 frames (14, 60 and 114 bytes)" \
  test "$(tcpdump -nn -r "$WORK/out.pcap" -e 2>/dev/null | sed -n 's/.*length \([0-9]*\):.*/\1/p' |
          tr '\n' ' ')" = "14 60 114 "
check "execute refuses a runt as the ports drop it" \
  grep -q "shorter than an Ethernet header" <(fpctl execute "$RUN"p 0011223344 1 --in-port 2 2>&1)

finish
