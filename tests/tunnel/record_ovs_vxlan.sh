#!/usr/bin/env bash
# Records what Open vSwitch's userspace datapath does with VXLAN, for the
# byte-for-byte expectations of tests/unit/datapath_tunnel_test.cc: its
# megaflows (tnl_push with the whole outer header, tnl_pop, the tunnel key of
# the decapsulated packet) and the encapsulated frame it sends.
# Layout as in Open vSwitch's own tunnel-push-pop tests: br0 (underlay, its
# internal port holds 192.0.2.1, dummy port p0), br-int with vm and vx0.
# Run as root with openvswitch-switch installed: tests/tunnel/record_ovs_vxlan.sh
set -euo pipefail
R=$(mktemp -d /tmp/record-ovs-vxlan.XXXXXX)
export OVS_RUNDIR=$R OVS_DBDIR=$R OVS_LOGDIR=$R OVS_SYSCONFDIR=$R OVS_PKGDATADIR=/usr/share/openvswitch
stop() {
  ovs-appctl -t "$R/vswitchd.ctl" exit >/dev/null 2>&1 || true
  ovs-appctl -t "$R/ovsdb.ctl" exit >/dev/null 2>&1 || true
  rm -rf "$R"
}
trap stop EXIT
ovsdb-tool create "$R/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$R/conf.db" --remote=punix:"$R/db.sock" --unixctl="$R/ovsdb.ctl" \
  --pidfile="$R/ovsdb.pid" --log-file="$R/ovsdb.log" --detach --no-chdir -vconsole:off
V="ovs-vsctl --db=unix:$R/db.sock"
$V --no-wait init
# Plain --enable-dummy (not =override): tunnel ports keep their own classes.
/usr/lib/openvswitch-switch/ovs-vswitchd --enable-dummy --disable-system --disable-system-route \
  unix:"$R/db.sock" --unixctl="$R/vswitchd.ctl" --pidfile="$R/vswitchd.pid" \
  --log-file="$R/vswitchd.log" --detach --no-chdir -vconsole:off
A="ovs-appctl -t $R/vswitchd.ctl"
$V add-br br0 -- set bridge br0 datapath_type=dummy other-config:hwaddr=02:00:00:00:01:01
$V add-port br0 p0 -- set Interface p0 type=dummy ofport_request=1 options:tx_pcap="$R/p0.pcap"
$V add-br br-int -- set bridge br-int datapath_type=dummy
$V add-port br-int vm -- set Interface vm type=dummy ofport_request=2
$V add-port br-int vx0 -- set Interface vx0 type=vxlan options:remote_ip=192.0.2.2 \
  options:key=42 ofport_request=3
$A netdev-dummy/ip4addr br0 192.0.2.1/24 >/dev/null
$A ovs/route/add 192.0.2.0/24 br0 >/dev/null
$A tnl/arp/set br0 192.0.2.2 02:00:00:00:02:02 >/dev/null
ovs-ofctl del-flows unix:"$R/br-int.mgmt"
ovs-ofctl add-flow unix:"$R/br-int.mgmt" in_port=2,actions=3
ovs-ofctl add-flow unix:"$R/br-int.mgmt" in_port=3,actions=2
# ICMP echo 10.1.1.1 -> 10.1.1.2 with payload "flowpath-vxlan", and the
# encapsulated reply as the peer would send it.
INNER=02000000000202000000000108004500002a00010000400164ce0a0101010a010102080035f900070001666c6f77706174682d76786c616e
OUTER=02000000010102000000020208004500005c000040004011b68dc0000202c00002019df712b5004800000800000000002a0002000000000102000000000208004500002a00010000400164ce0a0101020a010101080035f900070001666c6f77706174682d76786c616e
$A netdev-dummy/receive vm "$INNER"
$A netdev-dummy/receive p0 "$OUTER"
$A dpif/show
$A dpctl/dump-flows
echo "frames sent on p0:"
/usr/bin/python3 -c "
from scapy.all import rdpcap
for p in rdpcap('$R/p0.pcap'): print(bytes(p).hex())"
