#!/usr/bin/env bash
# OpenFlow on the wire: Debian's ovs-ofctl against flowpathd's management
# socket (RUNDIR/BRIDGE.mgmt), side by side with a private Open vSwitch
# (scripts/private-ovs.sh, in a namespace of its own) given the same
# commands. What ovs-ofctl prints must be the same for both, durations and
# counters aside:
#   - add-flow / mod-flows / del-flows (loose, strict, cookie, out_port)
#     and dump-flows in OpenFlow 1.0 (NXM), 1.3, 1.4 and 1.5
#   - errors: a rule naming a missing group; queue statistics (none)
#   - show, dump-ports, dump-tables run and describe the bridge's ports
#   - packet-out (1.0, 1.3, 1.5) reaches the host on the named port
#   - group mods (add, mod, insert/remove buckets, delete), group
#     descriptions and statistics; meter mods and meter statistics and
#     configuration; queue configuration; table mods; all as Open vSwitch
#     answers them, errors included
#   - bundles (--bundle add-flows, bundle FILE): atomic, a failing message
#     leaves the rules and groups as they were
#   - mod-port takes a port down and up; what flowpath refuses (loops of
#     groups, eviction, no-receive) is refused with the standard error
#   - a request flowpath does not handle is answered with an error
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
PRIVATE_OVS=$(cd "$(dirname "$0")/../../scripts" && pwd)/private-ovs.sh
command -v ovs-ofctl >/dev/null && command -v ovsdb-server >/dev/null &&
  [ -x /usr/lib/openvswitch-switch/ovs-vswitchd ] ||
  { echo "FAIL: needs openvswitch-switch (scripts/install-deps.sh)"; exit 1; }

start_daemon
must fpctl add-br "$BR"
add_bridge_host a 10.253.0.1
add_bridge_host b 10.253.0.2
MGMT=$WORK/$BR.mgmt
wait_until 10 test -S "$MGMT" || { echo "FAIL: no management socket $MGMT"; cat "$WORK/flowpathd.log"; exit 1; }

# The reference: a private Open vSwitch in its own namespace, one bridge.
OVS_NS=$RUN-ovs
ip netns add "$OVS_NS"; NAMESPACES+=("$OVS_NS")
OVS_DIR=$WORK/ovs
must bash "$PRIVATE_OVS" start "$OVS_DIR" "$OVS_NS" >/dev/null
for pid_file in "$OVS_DIR/vswitchd.pid" "$OVS_DIR/ovsdb.pid"; do
  BACKGROUND+=("$(cat "$pid_file")")
done
OBR=${RUN}ob
must ovs-vsctl --db=unix:"$OVS_DIR/db.sock" add-br "$OBR" -- set bridge "$OBR" datapath_type=netdev
wait_until 10 test -S "$OVS_DIR/$OBR.mgmt" || { echo "FAIL: Open vSwitch has no $OBR.mgmt"; exit 1; }

ofctl_fp() { OVS_RUNDIR=$WORK timeout 10 ovs-ofctl "$@" 2>&1; }
ofctl_ovs() { OVS_RUNDIR=$OVS_DIR timeout 10 ovs-ofctl "$@" 2>&1; }
# What may differ between two switches with the same rules: how long they
# have been there, the traffic they saw, and the order of rules of one
# table (Open vSwitch's follows its classifier's hashing).
normalize() {
  sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //; s/hard_age=[0-9]+, //;
          s/n_packets=[0-9]+, n_bytes=[0-9]+, //; s/packet_count=[0-9]+ byte_count=[0-9]+ //;
          s/duration=[0-9.]+s,//; s/packet_count=[0-9]+,byte_count=[0-9]+/COUNTS/g;
          s/packet_in_count:[0-9]+ byte_in_count:[0-9]+ duration:[0-9.]+s //;
          s/packet_count:[0-9]+ byte_count:[0-9]+/COUNTS/;
          s#talking to unix:[^ ]*#talking to MGMT#' |
    LC_ALL=C sort
}
# both ARGS... (BRIDGE is replaced by each switch's bridge): the same command
# against both; the outputs must be equal once normalized.
both() {
  local fp ovs
  fp=$(ofctl_fp "${@//BRIDGE/$BR}" | normalize)
  ovs=$(ofctl_ovs "${@//BRIDGE/$OBR}" | normalize)
  if [ "$fp" = "$ovs" ]; then
    echo "ok: same as Open vSwitch: ovs-ofctl $*"
  else
    echo "FAIL: ovs-ofctl $* differs from Open vSwitch"
    diff <(echo "$ovs") <(echo "$fp") | sed 's/^/    /'
    FAILURES=$((FAILURES + 1))
  fi
}
dump_all() {
  both dump-flows BRIDGE
  both -O OpenFlow13 dump-flows BRIDGE
  both -O OpenFlow14 dump-flows BRIDGE
  both -O OpenFlow15 dump-flows BRIDGE
}

# ---- rules, in every version
both del-flows BRIDGE
both add-flow BRIDGE "priority=100,ip,nw_dst=10.0.0.1,actions=drop"
both -O OpenFlow13 add-flow BRIDGE "table=1,cookie=0x5,priority=10,tcp,tp_dst=22,actions=output:1"
both -O OpenFlow15 add-flow BRIDGE \
  "priority=5,in_port=LOCAL,dl_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,actions=mod_vlan_vid:10,output:NORMAL"
both -O OpenFlow14 add-flow BRIDGE "cookie=0x7,priority=20,udp,nw_src=10.1.0.0/16,tp_src=53,actions=set_field:10.2.0.1->ip_dst,output:2"
both add-flow BRIDGE "table=2,priority=1,arp,arp_tpa=10.253.0.2,actions=resubmit(,3),output:1"
both add-flow BRIDGE "cookie=0x7,priority=30,reg0=0x5/0xff,actions=load:0x1->NXM_NX_REG1[],goto_table:4"
both -O OpenFlow13 add-flow BRIDGE "table=4,priority=40,ipv6,ipv6_dst=fe80::/10,actions=goto_table:5"
both add-flow BRIDGE "idle_timeout=60,hard_timeout=120,send_flow_rem,priority=50,dl_vlan=10,actions=strip_vlan,output:2"
dump_all
both dump-flows BRIDGE cookie=0x7/-1
both -O OpenFlow13 dump-flows BRIDGE table=1
both dump-flows BRIDGE ip
both dump-aggregate BRIDGE
both -O OpenFlow13 dump-aggregate BRIDGE

both mod-flows BRIDGE "cookie=0x7/-1,actions=output:3"
both -O OpenFlow13 mod-flows BRIDGE "priority=100,ip,nw_dst=10.0.0.1,actions=output:2"
both mod-flows --strict BRIDGE "priority=50,dl_vlan=10,actions=drop"
dump_all
both del-flows --strict BRIDGE "priority=100,ip,nw_dst=10.0.0.1"
both -O OpenFlow13 del-flows BRIDGE "cookie=0x5/-1"
both del-flows BRIDGE out_port=2
both -O OpenFlow15 del-flows BRIDGE table=4
dump_all
both del-flows BRIDGE
dump_all

# ---- errors as Open vSwitch gives them
both add-flow BRIDGE "priority=7,actions=group:5"
both -O OpenFlow13 add-flow BRIDGE "priority=7,actions=group:5"
both queue-stats BRIDGE
check "a request flowpath does not handle gets an error" \
  grep -q OFPBRC_BAD_STAT <(ofctl_fp dump-ipfix-bridge "$BR")
check "the connection stays usable after the error" \
  grep -q 'OFPST_FLOW reply' <(ofctl_fp -O OpenFlow13 dump-flows "$BR")

# ---- groups
both -O OpenFlow13 add-group BRIDGE "group_id=1,type=all,bucket=output:1,bucket=output:2"
both -O OpenFlow13 add-group BRIDGE "group_id=2,type=select,bucket=weight:3,output:1,bucket=weight:5,output:2"
both -O OpenFlow15 add-group BRIDGE "group_id=3,type=indirect,bucket=output:2"
both add-group BRIDGE "group_id=4,type=fast_failover,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2"
both -O OpenFlow13 add-group BRIDGE "group_id=1,type=all,bucket=output:1"
both -O OpenFlow13 mod-group BRIDGE "group_id=9,type=all,bucket=output:1"
both -O OpenFlow13 mod-group BRIDGE "group_id=3,type=indirect,bucket=output:1"
both -O OpenFlow15 insert-buckets BRIDGE "group_id=1,command_bucket_id=first,bucket=bucket_id:7,output:3"
both -O OpenFlow15 insert-buckets BRIDGE "group_id=1,command_bucket_id=last,bucket=bucket_id:7,output:4"
both -O OpenFlow15 remove-buckets BRIDGE "group_id=1,command_bucket_id=1"
both -O OpenFlow15 remove-buckets BRIDGE "group_id=1,command_bucket_id=55"
both -O OpenFlow13 add-flow BRIDGE "priority=5,ip,actions=group:1"
both -O OpenFlow13 add-flow BRIDGE "priority=6,arp,actions=group:3"
both dump-groups BRIDGE
both -O OpenFlow13 dump-groups BRIDGE
both -O OpenFlow15 dump-groups BRIDGE
both -O OpenFlow15 dump-groups BRIDGE 2
# Which bucket of a select or fast failover group took a packet is not
# counted: flowpath lists no bucket counters for them (docs/openflow.md).
stats=$(ofctl_fp -O OpenFlow13 dump-group-stats "$BR")
check "group stats: a select group has no bucket counters" \
  grep -qE '^ group_id=2,duration=[0-9.]+s,ref_count=0,packet_count=[0-9]+,byte_count=[0-9]+$' <<<"$stats"
check "group stats: an all group counts each bucket" \
  grep -qE '^ group_id=1,.*,ref_count=1,.*,bucket1:packet_count' <<<"$stats"
both -O OpenFlow13 del-groups BRIDGE group_id=2
both -O OpenFlow13 del-groups BRIDGE group_id=4
both -O OpenFlow13 dump-group-stats BRIDGE
both dump-group-stats BRIDGE
both -O OpenFlow15 dump-group-stats BRIDGE 3
features=$(ofctl_fp -O OpenFlow13 dump-group-features "$BR")
check "dump-group-features: every group type" grep -q 'Types:  0xf' <<<"$features"
check "dump-group-features: group actions listed" grep -q 'fast failover group:' <<<"$features"
# What flowpath refuses and Open vSwitch takes: groups that loop.
check "a group naming itself is refused" \
  grep -q OFPGMFC_LOOP <(ofctl_fp -O OpenFlow13 add-group "$BR" "group_id=8,type=all,bucket=group:8")
must ofctl_fp -O OpenFlow13 add-group "$BR" "group_id=8,type=all,bucket=group:3" >/dev/null
check "a chain of groups that would loop is refused" \
  grep -q OFPGMFC_LOOP <(ofctl_fp -O OpenFlow13 mod-group "$BR" "group_id=3,type=indirect,bucket=group:8")
check "the refused group is unchanged" \
  grep -q 'group_id=3,type=indirect,bucket=actions=output:1' <(ofctl_fp -O OpenFlow13 dump-groups "$BR")
must ofctl_fp -O OpenFlow13 del-groups "$BR" group_id=8 >/dev/null
# Deleting a group deletes the rules that use it.
both -O OpenFlow13 del-groups BRIDGE group_id=1
both -O OpenFlow13 dump-flows BRIDGE
both -O OpenFlow13 dump-groups BRIDGE
both -O OpenFlow13 del-groups BRIDGE
both -O OpenFlow13 dump-flows BRIDGE

# ---- meters
both -O OpenFlow13 add-meter BRIDGE "meter=1,pktps,burst,stats,bands=type=drop,rate=1000,burst_size=100"
both -O OpenFlow13 add-meter BRIDGE "meter=2,kbps,bands=type=drop,rate=5000"
both -O OpenFlow13 add-meter BRIDGE "meter=2,kbps,bands=type=drop,rate=5000"
both -O OpenFlow13 mod-meter BRIDGE "meter=3,kbps,bands=type=drop,rate=5000"
both -O OpenFlow13 mod-meter BRIDGE "meter=2,kbps,bands=type=drop,rate=6000"
both -O OpenFlow13 add-flow BRIDGE "priority=6,udp,actions=meter:1,output:2"
both -O OpenFlow13 dump-meters BRIDGE
both -O OpenFlow13 dump-meters BRIDGE meter=2
both -O OpenFlow13 meter-stats BRIDGE
both -O OpenFlow13 meter-stats BRIDGE meter=7
check "meter-features: drop bands, every flag" \
  grep -q 'capabilities: kbps pktps burst stats' <(ofctl_fp -O OpenFlow13 meter-features "$BR")
check "a dscp_remark band is refused" grep -q OFPMMFC_BAD_BAND \
  <(ofctl_fp -O OpenFlow13 add-meter "$BR" "meter=5,kbps,bands=type=dscp_remark,rate=100,prec_level=1")
both -O OpenFlow13 del-meter BRIDGE meter=1
both -O OpenFlow13 dump-flows BRIDGE
both -O OpenFlow13 del-meters BRIDGE
both -O OpenFlow13 dump-meters BRIDGE

# ---- tables and queues
both -O OpenFlow14 mod-table BRIDGE 0 noevict
both -O OpenFlow14 mod-table BRIDGE 0 novacancy
check "eviction is refused" grep -q OFPTMFC_BAD_CONFIG <(ofctl_fp -O OpenFlow14 mod-table "$BR" 0 evict)
check "dump-table-desc: no eviction, no vacancy events" \
  test "$(ofctl_fp -O OpenFlow14 dump-table-desc "$BR" | grep -c '^   eviction=off')" = 254
both -O OpenFlow13 queue-get-config BRIDGE
both -O OpenFlow14 queue-get-config BRIDGE
both -O OpenFlow13 queue-get-config BRIDGE 9

# ---- bundles: all or nothing
printf 'priority=10,ip,actions=drop\npriority=11,arp,actions=output:1\n' > "$WORK/flows.txt"
both --bundle add-flows BRIDGE "$WORK/flows.txt"
both -O OpenFlow13 --bundle add-flows BRIDGE "$WORK/flows.txt"
printf '%s\n' 'group add group_id=5,type=all,bucket=output:1' 'flow add priority=12,tcp,actions=group:5' \
  'flow delete_strict priority=10,ip' > "$WORK/bundle.txt"
both bundle BRIDGE "$WORK/bundle.txt"
dump_all
both -O OpenFlow15 dump-groups BRIDGE
# The second message fails: the first is not applied either.
printf '%s\n' 'flow add priority=13,udp,actions=drop' 'flow add priority=14,actions=group:77' > "$WORK/bad1.txt"
both -O OpenFlow14 bundle BRIDGE "$WORK/bad1.txt"
# A group mod fails after a flow delete and a group delete: both come back.
printf '%s\n' 'flow delete' 'group delete group_id=5' 'group add group_id=6,type=all,bucket=output:1' \
  'group add group_id=6,type=all,bucket=output:2' > "$WORK/bad2.txt"
both -O OpenFlow14 bundle BRIDGE "$WORK/bad2.txt"
dump_all
both -O OpenFlow15 dump-groups BRIDGE
both del-flows BRIDGE
both -O OpenFlow13 del-groups BRIDGE

# ---- port mods
port_config() {  # port_config PORT_NAME: the config line ovs-ofctl show prints for it
  ofctl_fp show "$BR" | sed -n "/($1):/,/config:/s/^ *config: *//p"
}
must ofctl_fp mod-port "$BR" "$RUN-a" down >/dev/null
check "mod-port down: the port is down" grep -q PORT_DOWN <<<"$(port_config "$RUN-a")"
must ofctl_fp -O OpenFlow13 mod-port "$BR" "$RUN-a" up >/dev/null
check "mod-port up: the port is up" test "$(port_config "$RUN-a")" = 0
check "mod-port flood (as it is) is accepted" test -z "$(ofctl_fp mod-port "$BR" "$RUN-a" flood)"
check "mod-port no-receive is refused" \
  grep -q OFPPMFC_BAD_CONFIG <(ofctl_fp -O OpenFlow13 mod-port "$BR" "$RUN-a" no-receive)

# ---- the bridge as ovs-ofctl sees it
port_a_mac=$(ip -o link show "$RUN-a" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
for v in OpenFlow10 OpenFlow13 OpenFlow15; do
  show=$(ofctl_fp -O $v show "$BR")
  check "show ($v): port 1 is host a" grep -q "^ 1($RUN-a): addr:$port_a_mac" <<<"$show"
  check "show ($v): LOCAL is the bridge" grep -q "^ LOCAL($BR): addr:" <<<"$show"
  check "dump-ports ($v): both hosts' ports" \
    test "$(ofctl_fp -O $v dump-ports "$BR" | grep -cE '^  port +[12]: rx pkts=')" = 2
  check "dump-tables ($v): table 0 has its rule" \
    grep -qE '^  table 0( \("table0"\))?:' <(ofctl_fp -O $v dump-tables "$BR")
done

# ---- packet-out: a frame to port 2 reaches host b
must ofctl_fp add-flow "$BR" "priority=0,actions=NORMAL" >/dev/null
for v in OpenFlow10 OpenFlow13 OpenFlow15; do
  capture=$WORK/capture-$v
  in_host_bg b tcpdump -l -i eth0 -n -e ether proto 0x88b5 > "$capture" 2> "$capture.err"
  wait_until 10 grep -q 'listening on' "$capture.err" || { echo "FAIL: tcpdump in host b"; exit 1; }
  frame=ffffffffffff0200000000aa88b5$(printf '%02x' {0..45})
  out=$(ofctl_fp -O $v packet-out "$BR" "in_port=controller packet=$frame actions=output:2")
  check "packet-out ($v) accepted" test -z "$out"
  check "packet-out ($v) reaches host b" wait_until 5 grep -q '0x88b5' "$capture"
done

finish
