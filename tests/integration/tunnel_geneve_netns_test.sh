#!/usr/bin/env bash
# Geneve between flowpath and Open vSwitch's userspace datapath (the kernel
# here has no geneve device): a private Open vSwitch in a namespace of its
# own, in Open vSwitch's userspace-tunnelling layout, is the peer.
#
#   gn12-fp-N (flowpathd)                     gn12-ovs-N (ovs-vswitchd, netdev)
#   bridge gn12br: LOCAL 192.0.2.1/24         br-phy: LOCAL 192.0.2.2/24
#     gn12u1 (underlay, VLAN 0)  <--veth-->     gn12u2
#     gv geneve remote_ip=192.0.2.2 key=77    br-int: gv geneve remote_ip=192.0.2.1 key=77
#     gn12v1 (tag=10) -- vm1 10.2.1.1           gn12v2 -- vm2 10.2.1.2
#
# Open vSwitch puts a Geneve option (class 0x0102, type 0x80, 4 bytes) on
# what it sends (add-tlv-map, set_field:...->tun_metadata0); flowpath sends
# none. Shown: ping both ways, an iperf3 TCP stream, the option in
# flowpath's decapsulated key, and the outer headers byte by byte on the
# underlay (UDP 6081, VNI, O and C bits, options length, the option: its
# type 0x80 has the critical bit, so Open vSwitch sets C).
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
command -v iperf3 >/dev/null || { echo "FAIL: iperf3 is not installed"; exit 1; }
command -v ovs-vswitchd >/dev/null || [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] ||
  { echo "FAIL: openvswitch-switch is not installed"; exit 1; }
PRIVATE_OVS=$(cd "$(dirname "$0")/../.." && pwd)/scripts/private-ovs.sh

FP=gn12-fp-$$ OVS=gn12-ovs-$$ VM1=gn12-vm1-$$ VM2=gn12-vm2-$$
B=gn12br
OVSDIR=$WORK/ovs
OVS_STARTED=
stop_ovs() { [ -n "$OVS_STARTED" ] && "$PRIVATE_OVS" stop "$OVSDIR"; OVS_STARTED=; }
trap 'status=$?; stop_ovs; (exit $status); cleanup' EXIT

for ns in "$FP" "$OVS" "$VM1" "$VM2"; do
  ip netns add "$ns"; NAMESPACES+=("$ns")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
done
must ip link add gn12u1 netns "$FP" type veth peer name gn12u2 netns "$OVS"
must ip link add gn12v1 netns "$FP" type veth peer name eth0 netns "$VM1"
must ip link add gn12v2 netns "$OVS" type veth peer name eth0 netns "$VM2"
# Room for the outer headers (50 bytes and the option's 8); Open vSwitch
# 3.1's AF_PACKET ports want whole checksums from the VM.
for vm in "$VM1:10.2.1.1" "$VM2:10.2.1.2"; do
  ns=${vm%%:*}
  must ip -n "$ns" addr add "${vm#*:}/24" dev eth0
  must ip -n "$ns" link set eth0 mtu 1400
  must ip netns exec "$ns" ethtool -K eth0 tx off
  must ip -n "$ns" link set eth0 up
done
for l in "$FP:gn12u1" "$FP:gn12v1" "$OVS:gn12u2" "$OVS:gn12v2"; do
  must ip -n "${l%%:*}" link set "${l#*:}" up
done
must ip netns exec "$OVS" ethtool -K gn12u2 tx off

# flowpath: one bridge for underlay and overlay (docs/tunnels.md).
DAEMON_NETNS=$FP start_daemon --no-state
must fpctl add-br $B
must ip -n "$FP" addr add 192.0.2.1/24 dev $B
must ip -n "$FP" link set $B up
must fpctl add-port $B gn12u1 trunks=0
must fpctl add-port $B gn12v1 tag=10
must fpctl add-port $B gv type=geneve options:remote_ip=192.0.2.2 options:key=77 tag=10

# Open vSwitch: br-phy holds the endpoint address, br-int the tunnel.
OVS_STARTED=1
must "$PRIVATE_OVS" start "$OVSDIR" "$OVS" >/dev/null
vsctl() { ovs-vsctl --db=unix:"$OVSDIR/db.sock" "$@"; }
ofctl() { local br=$1; shift; ovs-ofctl -O OpenFlow13 "$@" "unix:$OVSDIR/$br.mgmt" 2>/dev/null || true; }
ofctl_do() { local cmd=$1 br=$2; shift 2; ovs-ofctl -O OpenFlow13 "$cmd" "unix:$OVSDIR/$br.mgmt" "$@"; }
appctl() { ovs-appctl -t "$OVSDIR/vswitchd.ctl" "$@"; }
must vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev \
  -- add-port br-phy gn12u2
must vsctl add-br br-int -- set bridge br-int datapath_type=netdev \
  -- add-port br-int gn12v2 \
  -- add-port br-int gv -- set interface gv type=geneve options:remote_ip=192.0.2.1 options:key=77
must ip -n "$OVS" addr add 192.0.2.2/24 dev br-phy
must ip -n "$OVS" link set br-phy up
must ip -n "$OVS" link set br-int up
wait_until 10 sh -c "ovs-vsctl --db=unix:$OVSDIR/db.sock get interface gv ofport | grep -qv -- '-1\|\\[\\]'"
must ofctl_do add-tlv-map br-int "{class=0x0102,type=0x80,len=4}->tun_metadata0"
must ofctl_do del-flows br-int
must ofctl_do add-flow br-int "priority=10,in_port=gn12v2,actions=set_field:0x1234abcd->tun_metadata0,output:gv"
must ofctl_do add-flow br-int "priority=10,in_port=gv,actions=output:gn12v2"

# The underlay, as pcap, for the byte-level check.
ip netns exec "$FP" tcpdump -U -i gn12u1 -n -w "$WORK/underlay.pcap" udp port 6081 2> "$WORK/pcap.err" &
PCAP_PID=$!
BACKGROUND+=("$PCAP_PID")
wait_until 10 grep -q 'listening on' "$WORK/pcap.err" || { echo "FAIL: tcpdump"; exit 1; }

# The first packets find no neighbour on either side; ping retries.
check "vm1 -> vm2 across Geneve (flowpath -> Open vSwitch)" \
  wait_until 20 ip netns exec "$VM1" ping -c 1 -W 1 -q 10.2.1.2
check "vm1 <-> vm2: 5 pings in a row" ip netns exec "$VM1" ping -c 5 -i 0.2 -W 2 -q 10.2.1.2
check "vm2 -> vm1: 3 pings" ip netns exec "$VM2" ping -c 3 -i 0.2 -W 2 -q 10.2.1.1

ip netns exec "$VM2" iperf3 -s -1 -B 10.2.1.2 -p 5201 > "$WORK/iperf-server.txt" 2>&1 &
BACKGROUND+=("$!")
wait_until 10 listening "$VM2" 5201
check "iperf3 TCP vm1 -> vm2 across Geneve" \
  sh -c "ip netns exec $VM1 iperf3 -c 10.2.1.2 -p 5201 -t 2 -J > $WORK/iperf.json"
bits=$(/usr/bin/python3 -c "import json; print(int(json.load(open('$WORK/iperf.json'))['end']['sum_received']['bits_per_second']))" 2>/dev/null || echo 0)
echo "iperf3 through the Geneve tunnel: $((bits / 1000000)) Mbit/s"
check "iperf3 moved data" test "$bits" -gt 0

# flowpath's megaflows: tnl_push of a Geneve header, tnl_pop, and the
# decapsulated packets' tunnel key (the option is in the key, not in the
# mask: nothing matches on it, as in Open vSwitch; datapath_tunnel_test
# matches one exactly).
fpctl dump-flows $B > "$WORK/flows.txt"
cat "$WORK/flows.txt"
check "a megaflow pushes a Geneve header (VNI 77, UDP 6081) and outputs on the underlay" \
  grep -qE 'tnl_push\(tnl_port\([0-9]+\),header\(size=50,type=5,eth\(dst=[0-9a-f:]+,src=[0-9a-f:]+,dl_type=0x0800\),ipv4\(src=192\.0\.2\.1,dst=192\.0\.2\.2,proto=17,tos=0,ttl=64,frag=0x4000\),udp\(src=0,dst=6081,csum=0x0\),geneve\(vni=0x4d\)\),out_port\(0\)\)' "$WORK/flows.txt"
check "a megaflow pops Geneve from Open vSwitch" grep -qE 'udp\(dst=6081\).* actions:tnl_pop\([0-9]+\)' "$WORK/flows.txt"
check "the decapsulated packets' megaflow matches VNI 77 from Open vSwitch's endpoint" \
  grep -qE 'tunnel\(tun_id=0x4d,src=192\.0\.2\.2,dst=192\.0\.2\.1,.*flags\(' "$WORK/flows.txt"
appctl dpctl/dump-flows > "$WORK/ovs-flows.txt" 2>&1
cat "$WORK/ovs-flows.txt"
check "Open vSwitch pops flowpath's Geneve packets" grep -q 'tnl_pop(' "$WORK/ovs-flows.txt"
check "Open vSwitch's key for them: VNI 77 from 192.0.2.1, no options" \
  grep -qE 'tunnel\(tun_id=0x4d,src=192\.0\.2\.1,dst=192\.0\.2\.2,.*flags\(' "$WORK/ovs-flows.txt"

# The outer headers, byte by byte.
kill -INT "$PCAP_PID" 2>/dev/null
wait "$PCAP_PID" 2>/dev/null
/usr/bin/python3 - "$WORK/underlay.pcap" > "$WORK/wire.txt" 2>&1 <<'PY'
import struct, sys
from scapy.all import rdpcap, IP, UDP
sent = got = 0
for p in rdpcap(sys.argv[1]):
    if UDP not in p or p[UDP].dport != 6081:
        continue
    g = bytes(p[UDP].payload)
    ver, opt_len = g[0] >> 6, (g[0] & 0x3f) * 4
    oam, crit = g[1] >> 7, (g[1] >> 6) & 1
    proto = struct.unpack("!H", g[2:4])[0]
    vni = int.from_bytes(g[4:7], "big")
    opts = g[8:8 + opt_len]
    src = p[IP].src
    print(f"{src} > {p[IP].dst} udp {p[UDP].sport}->{p[UDP].dport} ver={ver} oam={oam} crit={crit} "
          f"proto={proto:#06x} vni={vni} opt_len={opt_len} opts={opts.hex()} df={int(p[IP].flags.DF)}")
    ok = ver == 0 and oam == 0 and proto == 0x6558 and vni == 77 and g[7] == 0
    ok = ok and 32768 <= p[UDP].sport <= 65535
    if src == "192.0.2.1":  # flowpath: no options, DF as df_default=true
        ok = ok and opt_len == 0 and crit == 0 and p[IP].flags.DF
        sent += ok
    else:  # Open vSwitch: one option, class 0x0102 type 0x80, 4 bytes of data;
        # the type's high bit makes it critical, so C is set
        ok = ok and opt_len == 8 and crit == 1 and opts == bytes.fromhex("0102800112 34abcd".replace(" ", ""))
        got += ok
    if not ok:
        print("BAD")
print(f"flowpath->ovs ok {sent} ovs->flowpath ok {got}")
PY
head -4 "$WORK/wire.txt"; tail -1 "$WORK/wire.txt"
check "every Geneve packet on the wire has the expected outer headers" sh -c "! grep -q BAD $WORK/wire.txt"
check "flowpath sent Geneve (VNI 77, no options, O=0 C=0) to 6081" \
  grep -qE 'flowpath->ovs ok [1-9]' "$WORK/wire.txt"
check "Open vSwitch sent Geneve with its option (8 bytes, C=1: type 0x80 is critical) to 6081" \
  grep -qE 'ovs->flowpath ok [1-9]' "$WORK/wire.txt"

stop_ovs
finish
