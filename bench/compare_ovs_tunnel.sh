# shellcheck shell=bash
# Sourced by bench/compare-ovs.sh: the VXLAN profiles (vxlan_decap,
# vxlan_encap) of the comparison, both systems in Open vSwitch's native
# tunnelling model. Addresses come from bench/profiles/gen_tunnel_profiles.py
# (profiles/tunnel.conf).
#
# OVS: two netdev bridges in one datapath, as OVS's documentation lays out
# userspace tunnelling. br0 (the underlay) has the endpoint address on its
# LOCAL port (a tap inside OVS's private namespace; MAC TUNNEL_LOCAL_MAC),
# the route to the remote end (ovs/route/add) and the remote end's MAC
# preloaded (tnl/arp/set: there is no peer to answer ARP); br-int has the
# vxlan port (remote_ip, key) at OpenFlow port 3.
#   vxlan_decap: pcap port 1 on br0, in_port=1 -> LOCAL, which OVS turns into
#                tnl_pop; br-int: in_port=3 -> null port 100.
#   vxlan_encap: pcap port 1 on br-int, in_port=1 -> vxlan port 3, which OVS
#                turns into tnl_push; br0: in_port=LOCAL -> null port 100.
# flowpath-replay: the same datapath flows (the profile's flows file), the
# vxlan port as port 3, and for encap the same route, neighbour and MAC
# (bench/replay/replay_tunnels.h); it writes the first output frames to a
# capture that bench/tunnel_output_check.py checks byte by byte.

is_tunnel_profile() { case $1 in vxlan_decap|vxlan_encap) return 0;; esac; return 1; }

TUNNEL_PROFILES_WRITTEN=""
tunnel_generate_profiles() {
  [ -n "$TUNNEL_PROFILES_WRITTEN" ] && return 0
  TUNNEL_PROFILES_WRITTEN=1
  "$PY" "$REPO/bench/profiles/gen_tunnel_profiles.py" "$OUT/profiles" \
    > "$OUT/logs/gen_tunnel_profiles.log" 2>&1 \
    || die "bench/profiles/gen_tunnel_profiles.py failed; see $OUT/logs/gen_tunnel_profiles.log"
  [ -s "$OUT/profiles/tunnel.conf" ] || die "gen_tunnel_profiles.py did not write tunnel.conf"
  # shellcheck disable=SC1091
  . "$OUT/profiles/tunnel.conf"
}

# flowpath-replay's arguments beyond --pcap/--flows for PROFILE; the output
# sample goes to FILE.
tunnel_replay_args() {  # PROFILE FILE
  TUNNEL_REPLAY_ARGS=(--tunnel-port "$TUNNEL_PORT_NUMBER=vx0,type=vxlan,remote_ip=$TUNNEL_REMOTE_IP,key=$TUNNEL_VNI"
                      --write-output "$2" --write-output-frames 256)
  if [ "$1" = vxlan_encap ]; then
    TUNNEL_REPLAY_ARGS+=(--route "${TUNNEL_REMOTE_IP%.*}.0/24 null src=$TUNNEL_LOCAL_IP"
                         --neighbour "null $TUNNEL_REMOTE_IP $TUNNEL_REMOTE_MAC"
                         --port-mac "null=$TUNNEL_LOCAL_MAC")
  fi
}

# After a flowpath window: frames reached the null port, and the sample of
# them is what the profile must produce.
tunnel_check_flowpath_output() {  # PROFILE WINDOW_FILE SAMPLE
  local out
  out=$(sed -n 's/^null port: \([0-9]*\) packets.*/\1/p' "$2")
  if [ -z "$out" ] || [ "$out" -eq 0 ]; then
    die "flowpath sent nothing to the null port on $1 (see $2)"
  fi
  "$PY" "$REPO/bench/tunnel_output_check.py" "${1#vxlan_}" "$3" "$(profile_pcaps "$1")" \
    "$OUT/profiles/tunnel.conf" >> "$2" 2>&1 \
    || die "flowpath's output on $1 is not what it should be: $(tail -1 "$2")"
}

# shellcheck disable=SC2034  # read by compare-ovs.sh's out_port_tx
OVS_OUT_BRIDGE=br0
ovs_tunnel_topology() {  # PROFILE LOG
  local in_bridge out_bridge pcap error
  pcap=$(profile_pcaps "$1")
  if [ "$1" = vxlan_decap ]; then in_bridge=br0 out_bridge=br-int; else in_bridge=br-int out_bridge=br0; fi
  # shellcheck disable=SC2034  # read by compare-ovs.sh's out_port_tx
  OVS_OUT_BRIDGE=$out_bridge
  VSCTL add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure \
    "other-config:hwaddr=\"$TUNNEL_LOCAL_MAC\"" \
    -- add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=secure \
    -- add-port br-int vxlan0 -- set Interface vxlan0 type=vxlan ofport_request=3 \
       "options:remote_ip=$TUNNEL_REMOTE_IP" "options:key=$TUNNEL_VNI" \
    || die "ovs-vsctl: creating br0, br-int and vxlan0 failed; see $RUN/ovs-vswitchd.log"
  VSCTL add-port "$out_bridge" out0 -- set Interface out0 type=dpdk \
    "options:dpdk-devargs=net_null0,no-rx=1" ofport_request=100 \
    || die "ovs-vsctl add-port out0 (net_null) failed"
  VSCTL add-port "$in_bridge" in1 -- set Interface in1 type=dpdk \
    "options:dpdk-devargs=net_pcap1,rx_pcap=$pcap,infinite_rx=1" ofport_request=1 \
    || die "ovs-vsctl add-port in1 ($pcap) failed"
  for port in in1 out0 vxlan0; do
    error=$(VSCTL get Interface "$port" error)
    [ "$error" = "[]" ] || die "OVS port $port: $error"
  done
  # The endpoint address on br0's tap, in OVS's namespace.
  nsenter -t "$VS_PID" -n ip addr add "$TUNNEL_LOCAL_IP/24" dev br0 \
    || die "cannot put $TUNNEL_LOCAL_IP on br0 in OVS's namespace"
  nsenter -t "$VS_PID" -n ip link set br0 up || die "cannot bring br0 up in OVS's namespace"
  appctl ovs/route/add "${TUNNEL_REMOTE_IP%.*}.0/24" br0 > "$2.route-add" 2>&1 \
    || die "ovs-appctl ovs/route/add failed: $(cat "$2.route-add")"
  appctl tnl/arp/set br0 "$TUNNEL_REMOTE_IP" "$TUNNEL_REMOTE_MAC" > "$2.arp-set" 2>&1 \
    || die "ovs-appctl tnl/arp/set failed: $(cat "$2.arp-set")"
  if [ "$1" = vxlan_decap ]; then
    ovs-ofctl add-flow br0 "priority=10,in_port=1,actions=LOCAL" \
      && ovs-ofctl add-flow br-int "priority=10,in_port=3,actions=output:100"
  else
    ovs-ofctl add-flow br-int "priority=10,in_port=1,actions=output:3" \
      && ovs-ofctl add-flow br0 "priority=10,in_port=LOCAL,actions=output:100"
  fi > "$2.add-flows" 2>&1 || die "ovs-ofctl add-flow failed: $(head -3 "$2.add-flows")"
}

# OVS's datapath flows must be native tunnelling's: tnl_pop on decap,
# tnl_push on encap. Prints them.
tunnel_check_ovs_flows() {  # PROFILE DPFLOWS_FILE
  local action=tnl_push
  [ "$1" = vxlan_decap ] && action=tnl_pop
  grep -q "actions:$action(" "$2" \
    || die "OVS's datapath flows on $1 hold no $action (see $2): $(head -5 "$2")"
  note "OVS datapath flows ($1):"
  sed 's/^/    /' "$2" >&2
}
