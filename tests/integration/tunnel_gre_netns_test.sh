#!/usr/bin/env bash
# GRE between flowpath and Open vSwitch's userspace datapath (the kernel here
# has no gre/gretap device): a private Open vSwitch in a namespace of its
# own, in Open vSwitch's userspace-tunnelling layout, is the peer.
#
#   gr12-fp-N (flowpathd)                      gr12-ovs-N (ovs-vswitchd, netdev)
#   bridge gr12br: LOCAL 192.0.2.1/24          br-phy: LOCAL 192.0.2.2/24
#     gr12u1 (underlay, VLAN 0)  <--veth-->      gr12u2
#     gre0 gre remote_ip=192.0.2.2 key=flow      br-int: gre0 gre remote_ip=192.0.2.1
#          csum=true (tag=10)                            key=42 csum=true
#     gr12v1 (tag=10) -- vm1 10.3.1.1              gr12v2 -- vm2 10.3.1.2
#
# On flowpath OpenFlow picks the key: set_field:42->tun_id before output to
# the key=flow port, and a tun_id=42 match on what comes out of it (other
# keys are dropped). Shown: ping and an iperf3 TCP stream both ways; the
# megaflows (tnl_push of a GRE header, tnl_pop, the decapsulated key) on
# both sides; every GRE packet on the underlay read back byte by byte (C and
# K set, the key 42, protocol 0x6558, a GRE checksum that verifies).
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
command -v iperf3 >/dev/null || { echo "FAIL: iperf3 is not installed"; exit 1; }
command -v ovs-vswitchd >/dev/null || [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] ||
  { echo "FAIL: openvswitch-switch is not installed"; exit 1; }
PRIVATE_OVS=$(cd "$(dirname "$0")/../.." && pwd)/scripts/private-ovs.sh

FP=gr12-fp-$$ OVS=gr12-ovs-$$ VM1=gr12-vm1-$$ VM2=gr12-vm2-$$
B=gr12br
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
must ip link add gr12u1 netns "$FP" type veth peer name gr12u2 netns "$OVS"
must ip link add gr12v1 netns "$FP" type veth peer name eth0 netns "$VM1"
must ip link add gr12v2 netns "$OVS" type veth peer name eth0 netns "$VM2"
# Room for the outer headers (46 bytes: IPv4, GRE with checksum and key);
# Open vSwitch 3.1's AF_PACKET ports want whole checksums from the VM.
for vm in "$VM1:10.3.1.1" "$VM2:10.3.1.2"; do
  ns=${vm%%:*}
  must ip -n "$ns" addr add "${vm#*:}/24" dev eth0
  must ip -n "$ns" link set eth0 mtu 1400
  must ip netns exec "$ns" ethtool -K eth0 tx off
  must ip -n "$ns" link set eth0 up
done
for l in "$FP:gr12u1" "$FP:gr12v1" "$OVS:gr12u2" "$OVS:gr12v2"; do
  must ip -n "${l%%:*}" link set "${l#*:}" up
done
must ip netns exec "$OVS" ethtool -K gr12u2 tx off

# flowpath: one bridge for underlay and overlay (docs/tunnels.md).
DAEMON_NETNS=$FP start_daemon --no-state
must fpctl add-br $B
must ip -n "$FP" addr add 192.0.2.1/24 dev $B
must ip -n "$FP" link set $B up
must fpctl add-port $B gr12u1 trunks=0
must fpctl add-port $B gr12v1 tag=10
must fpctl add-port $B gre0 type=gre options:remote_ip=192.0.2.2 options:key=flow options:csum=true tag=10
fpctl show > "$WORK/show.txt"
grep gre0 "$WORK/show.txt"
check "show lists the gre port with its options" \
  grep -qE 'gre0 \(gre: csum=true, key=flow, .*remote_ip=192\.0\.2\.2, mtu=' "$WORK/show.txt"
# What a gre port does not take is refused, naming the option, and nothing is added.
for bad in "options:dst_port=4789" "options:key=4294967296" "options:seq=true"; do
  out=$(fpctl add-port $B grebad type=gre options:remote_ip=192.0.2.2 $bad 2>&1)
  echo "\$ fpctl add-port $B grebad type=gre options:remote_ip=192.0.2.2 $bad"; echo "$out"
  check "gre $bad is refused by name" sh -c "echo '$out' | grep -q 'gre port grebad: '"
done
check "no refused port was added" sh -c "! fpctl show | grep -q grebad"
ofport() { fpctl of show $B | grep -oE "[0-9]+\($1\)" | head -1 | cut -d'(' -f1; }
VM_PORT=$(ofport gr12v1) GRE_PORT=$(ofport gre0)
[ -n "$VM_PORT" ] && [ -n "$GRE_PORT" ] || { echo "FAIL: no OpenFlow numbers for the ports"; fpctl of show $B; exit 1; }
must fpctl of add-flow $B "priority=100,in_port=$VM_PORT,actions=set_field:42->tun_id,output:$GRE_PORT"
must fpctl of add-flow $B "priority=100,in_port=$GRE_PORT,tun_id=42,actions=output:$VM_PORT"
must fpctl of add-flow $B "priority=90,in_port=$GRE_PORT,actions=drop"

# Open vSwitch: br-phy holds the endpoint address, br-int the tunnel.
OVS_STARTED=1
must "$PRIVATE_OVS" start "$OVSDIR" "$OVS" >/dev/null
vsctl() { ovs-vsctl --db=unix:"$OVSDIR/db.sock" "$@"; }
appctl() { ovs-appctl -t "$OVSDIR/vswitchd.ctl" "$@"; }
must vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev \
  -- add-port br-phy gr12u2
must vsctl add-br br-int -- set bridge br-int datapath_type=netdev \
  -- add-port br-int gr12v2 \
  -- add-port br-int gre0 -- set interface gre0 type=gre options:remote_ip=192.0.2.1 \
     options:key=42 options:csum=true
must ip -n "$OVS" addr add 192.0.2.2/24 dev br-phy
must ip -n "$OVS" link set br-phy up
must ip -n "$OVS" link set br-int up
wait_until 10 sh -c "ovs-vsctl --db=unix:$OVSDIR/db.sock get interface gre0 ofport | grep -qv -- '-1\|\\[\\]'"

# The underlay, as pcap, for the byte-level check.
# The first 4,000 GRE packets: the pings both ways and the streams' start
# (a whole iperf3 run is too many to read back within the test's time).
ip netns exec "$FP" tcpdump -U -c 4000 -i gr12u1 -n -w "$WORK/underlay.pcap" ip proto 47 2> "$WORK/pcap.err" &
PCAP_PID=$!
BACKGROUND+=("$PCAP_PID")
wait_until 10 grep -q 'listening on' "$WORK/pcap.err" || { echo "FAIL: tcpdump"; exit 1; }

# The first packets find no neighbour on either side; ping retries.
check "vm1 -> vm2 across GRE (flowpath -> Open vSwitch)" \
  wait_until 20 ip netns exec "$VM1" ping -c 1 -W 1 -q 10.3.1.2
check "vm1 -> vm2: 5 pings in a row" ip netns exec "$VM1" ping -c 5 -i 0.2 -W 2 -q 10.3.1.2
check "vm2 -> vm1: 5 pings in a row" ip netns exec "$VM2" ping -c 5 -i 0.2 -W 2 -q 10.3.1.1

for dir in "vm1 -> vm2:" "vm2 -> vm1:-R"; do
  ip netns exec "$VM2" iperf3 -s -1 -B 10.3.1.2 -p 5201 > "$WORK/iperf-server.txt" 2>&1 &
  BACKGROUND+=("$!")
  wait_until 10 listening "$VM2" 5201
  check "iperf3 TCP ${dir%%:*} across GRE" \
    sh -c "ip netns exec $VM1 iperf3 -c 10.3.1.2 -p 5201 -t 2 ${dir#*:} -J > $WORK/iperf.json"
  bits=$(/usr/bin/python3 -c "import json; print(int(json.load(open('$WORK/iperf.json'))['end']['sum_received']['bits_per_second']))" 2>/dev/null || echo 0)
  echo "iperf3 ${dir%%:*} through the GRE tunnel: $((bits / 1000000)) Mbit/s"
  check "iperf3 ${dir%%:*} moved data" test "$bits" -gt 0
done

# flowpath's megaflows: tnl_push of a GRE header (C and K, key 42), tnl_pop,
# the decapsulated packets' tunnel key.
fpctl dump-flows $B > "$WORK/flows.txt"
cat "$WORK/flows.txt"
check "a megaflow pushes a GRE header (C, K, key 42) and outputs on the underlay" \
  grep -qE 'tnl_push\(tnl_port\([0-9]+\),header\(size=46,type=3,eth\(dst=[0-9a-f:]+,src=[0-9a-f:]+,dl_type=0x0800\),ipv4\(src=192\.0\.2\.1,dst=192\.0\.2\.2,proto=47,tos=0,ttl=64,frag=0x4000\),gre\(\(flags=0xa000,proto=0x6558\),csum=0x0,key=0x2a\)\),out_port\(0\)\)' "$WORK/flows.txt"
check "a megaflow pops GRE from Open vSwitch" \
  grep -qE 'ipv4\(src=192\.0\.2\.2,dst=192\.0\.2\.1,proto=47,frag=no\).* actions:tnl_pop\([0-9]+\)' "$WORK/flows.txt"
check "the decapsulated packets' megaflow matches key 42 and the csum flag from Open vSwitch's endpoint" \
  grep -qE 'tunnel\(tun_id=0x2a,src=192\.0\.2\.2,dst=192\.0\.2\.1,flags\(-df\+csum\+key\)\)' "$WORK/flows.txt"
appctl dpctl/dump-flows > "$WORK/ovs-flows.txt" 2>&1
cat "$WORK/ovs-flows.txt"
check "Open vSwitch pushes the same GRE header towards flowpath" \
  grep -qE 'tnl_push\(tnl_port\([0-9]+\),header\(size=46,type=3,eth\(dst=[0-9a-f:]+,src=[0-9a-f:]+,dl_type=0x0800\),ipv4\(src=192\.0\.2\.2,dst=192\.0\.2\.1,proto=47,tos=0,ttl=64,frag=0x4000\),gre\(\(flags=0xa000,proto=0x6558\),csum=0x0,key=0x2a\)\)' "$WORK/ovs-flows.txt"
check "Open vSwitch pops flowpath's GRE packets: key 42 from 192.0.2.1, csum" \
  grep -qE 'tunnel\(tun_id=0x2a,src=192\.0\.2\.1,dst=192\.0\.2\.2,flags\(-df\+csum\+key\)\)' "$WORK/ovs-flows.txt"
# Open vSwitch's tnl_push, parsed and printed by flowpath, byte for byte.
ovs_push=$(grep -oE 'tnl_push\(.*out_port\([0-9]+\)\)' "$WORK/ovs-flows.txt" | head -1)
echo "$ovs_push" | "$BIN/fpctl" odp parse-actions > "$WORK/ovs-push-back.txt" 2>&1
check "Open vSwitch's tnl_push of GRE goes through flowpath's parser and printer unchanged" \
  sh -c "[ -n '$ovs_push' ] && [ \"\$(cat $WORK/ovs-push-back.txt)\" = '$ovs_push' ]"

# The outer headers, byte by byte.
kill -INT "$PCAP_PID" 2>/dev/null
wait "$PCAP_PID" 2>/dev/null
/usr/bin/python3 - "$WORK/underlay.pcap" > "$WORK/wire.txt" 2>&1 <<'PY'
# A plain pcap reader (Ethernet, untagged IPv4): scapy is too slow for this many.
import struct, sys

def fold(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

raw = open(sys.argv[1], "rb").read()
endian = "<" if raw[:4] == b"\xd4\xc3\xb2\xa1" else ">"
at, sent, got = 24, 0, 0
while at + 16 <= len(raw):
    caplen = struct.unpack(endian + "I", raw[at + 8:at + 12])[0]
    frame = raw[at + 16:at + 16 + caplen]
    at += 16 + caplen
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 47:
        continue
    ip = frame[14:]
    ihl = (ip[0] & 0xf) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    df = bool(struct.unpack("!H", ip[6:8])[0] & 0x4000)
    src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    g = ip[ihl:total]
    flags, proto = struct.unpack("!HH", g[:4])
    csum_ok = fold(g) == 0xffff
    key = struct.unpack("!I", g[8:12])[0]
    print(f"{src} > {dst} gre flags={flags:#06x} proto={proto:#06x} csum={g[4:6].hex()} "
          f"csum_ok={csum_ok} key={key} df={int(df)} len={len(g)}")
    ok = flags == 0xa000 and proto == 0x6558 and key == 42 and csum_ok and df
    if src == "192.0.2.1":
        sent += ok
    else:
        got += ok
    if not ok:
        print("BAD")
print(f"flowpath->ovs ok {sent} ovs->flowpath ok {got}")
PY
head -4 "$WORK/wire.txt"; tail -1 "$WORK/wire.txt"
check "every GRE packet on the wire has the expected headers and a checksum that verifies" \
  sh -c "! grep -q BAD $WORK/wire.txt"
check "flowpath sent GRE (C, K, key 42, 0x6558)" grep -qE 'flowpath->ovs ok [1-9]' "$WORK/wire.txt"
check "Open vSwitch sent GRE (C, K, key 42, 0x6558)" grep -qE 'ovs->flowpath ok [1-9]' "$WORK/wire.txt"

stop_ovs
finish
