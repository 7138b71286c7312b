#!/usr/bin/env bash
# Copied, with thanks, from the shared peer scripts of flowpath's test setup
# (/work/shared/peers/private-ovs.sh); tests/openflow/capture_sessions.py and
# bench/rules-vs-ovs.sh use it.
# A private Open vSwitch (Debian's openvswitch-switch, 3.1) for tests that need the real thing as
# a peer or as a reference: its own database, run and log directory, optionally inside a network
# namespace; never the system service, no kernel module (userspace "netdev" datapath only).
#
#   private-ovs.sh start RUNDIR [NETNS]   # ovsdb-server + ovs-vswitchd, then prints the env to use
#   private-ovs.sh stop RUNDIR
#
# After start:  export OVS_RUNDIR=RUNDIR, then
#   ovs-vsctl --db=unix:RUNDIR/db.sock add-br br0 -- set bridge br0 datapath_type=netdev
#   ovs-ofctl dump-flows br0          (RUNDIR/br0.mgmt)
#   ovs-appctl -t RUNDIR/vswitchd.ctl dpctl/dump-flows
# Bridges must say datapath_type=netdev. Ports: system interfaces (veths) by name, or
# type=dummy ports with options:rx_pcap=/tx_pcap= for offline runs (start with DUMMY=1, which
# adds --enable-dummy=override), injected with `ovs-appctl netdev-dummy/receive PORT HEX`.
# Tunnels (vxlan, geneve, gre) work in userspace: put the underlay interface on a bridge, give
# that bridge's internal port the endpoint address, add the tunnel port to another bridge.
# Note: /usr/sbin/ovs-vswitchd may be the DPDK build (an alternative); this uses the plain one.
set -euo pipefail
cmd=${1:?start|stop}; R=${2:?RUNDIR}; NS=${3:-}
in_ns() { if [ -n "$NS" ]; then ip netns exec "$NS" "$@"; else "$@"; fi; }
case $cmd in
start)
  command -v ovsdb-server >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openvswitch-switch >/dev/null
  mkdir -p "$R"
  export OVS_RUNDIR=$R OVS_DBDIR=$R OVS_LOGDIR=$R OVS_SYSCONFDIR=$R OVS_PKGDATADIR=/usr/share/openvswitch
  [ -f "$R/conf.db" ] || ovsdb-tool create "$R/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  in_ns ovsdb-server "$R/conf.db" --remote=punix:"$R/db.sock" --unixctl="$R/ovsdb.ctl" \
    --pidfile="$R/ovsdb.pid" --log-file="$R/ovsdb.log" --detach --no-chdir -vconsole:off
  ovs-vsctl --db=unix:"$R/db.sock" --no-wait init
  dummy=(); [ -n "${DUMMY:-}" ] && dummy=(--enable-dummy=override --disable-system --disable-system-route)
  in_ns /usr/lib/openvswitch-switch/ovs-vswitchd "${dummy[@]}" unix:"$R/db.sock" --unixctl="$R/vswitchd.ctl" \
    --pidfile="$R/vswitchd.pid" --log-file="$R/vswitchd.log" --detach --no-chdir -vconsole:off
  echo "export OVS_RUNDIR=$R"
  ;;
stop)
  [ -S "$R/vswitchd.ctl" ] && ovs-appctl -t "$R/vswitchd.ctl" exit >/dev/null 2>&1 || true
  [ -S "$R/ovsdb.ctl" ] && ovs-appctl -t "$R/ovsdb.ctl" exit >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop RUNDIR [NETNS]" >&2; exit 2;;
esac
