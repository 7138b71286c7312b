#!/usr/bin/env bash
# SCTP through a stateful firewall, packet by packet (scapy: this kernel has
# no SCTP sockets), on a flowpath bridge and then in the Linux kernel
# (nftables on a router namespace), which must give the same verdicts:
#   - new from inside committed, new from outside dropped, +est passed both
#     ways, +inv dropped;
#   - an association's handshake, data and shutdown pass; packets with a
#     wrong verification tag, out of state or malformed do not; a
#     HEARTBEAT opens a secondary path that its HEARTBEAT ACK establishes.
# The connections flowpath lists (fpctl dump-conntrack) are compared with
# the kernel's (conntrack -L): the same associations in the same states.
set -uo pipefail
BIN=$1
HERE=$(dirname "$0")
. "$HERE/netns_lib.sh"
RUN=sc11$$  # this test's names
. "$HERE/slow_path_lib.sh"
command -v conntrack >/dev/null || { echo "FAIL: the conntrack tool is missing (scripts/install-deps.sh)"; exit 1; }
start_daemon

fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host a 10.246.0.1
add_bridge_host b 10.246.0.2
A=$RUN-a B=$RUN-b

cat > "$WORK/firewall.txt" <<EOF
table=0,priority=1,actions=drop
table=0,priority=10,arp,actions=NORMAL
table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)
table=1,priority=100,in_port=$A,ip,ct_state=+trk+new,actions=ct(commit),NORMAL
table=1,priority=100,in_port=$A,ip,ct_state=+trk+est,actions=NORMAL
table=1,priority=100,in_port=$B,ip,ct_state=+trk+new,actions=drop
table=1,priority=100,in_port=$B,ip,ct_state=+trk+est,actions=NORMAL
table=1,priority=90,ip,ct_state=+trk+rel,actions=NORMAL
table=1,priority=90,ip,ct_state=+trk+inv,actions=drop
EOF
must fpctl of del-flows "$BR"
must fpctl of add-flows "$BR" "$WORK/firewall.txt"

# What each packet of sctp_verdicts.py must meet.
cat > "$WORK/expected.txt" <<EOF
outside-init drop
init pass
init-again pass
init-ack-bad-vtag drop
init-ack pass
cookie-echo-bad-vtag drop
cookie-echo pass
cookie-ack pass
data-a pass
data-b pass
data-b-own-vtag drop
data-a-bad-vtag drop
abort-t-wrong drop
shutdown pass
shutdown-ack pass
shutdown-complete pass
init-nonzero-vtag drop
data-unknown drop
init-bundled drop
cookie-ack-ootb drop
heartbeat pass
init-in-heartbeat-sent drop
heartbeat-ack pass
data-after-heartbeat pass
EOF

# run_verdicts OUT LIST-COMMAND NS_A MAC_A IP_A NS_B MAC_B IP_B HOP_A HOP_B:
# the verdicts into OUT, and what LIST-COMMAND prints when the first
# association is established and at the end into OUT.established, OUT.end.
run_verdicts() {
  local out=$1 list=$2; shift 2
  coproc VERDICTS { "$PY" "$HERE/sctp_verdicts.py" "$@" 2>&1; }
  # bash unsets VERDICTS_PID once the coprocess is gone: keep it.
  local line pid=$VERDICTS_PID
  : > "$out"
  while IFS= read -r line <&"${VERDICTS[0]}"; do
    case "$line" in
      "-- established") $list > "$out.established"; echo >&"${VERDICTS[1]}" ;;
      "-- end") $list > "$out.end"; echo >&"${VERDICTS[1]}" ;;
      *) echo "$line" >> "$out" ;;
    esac
  done
  wait "$pid"
}
# "SPORT DPORT STATE" of each SCTP association the kernel lists.
kernel_associations() {
  ip netns exec "$ROUTER" conntrack -L -p sctp 2>/dev/null |
    sed -n 's/^sctp *132 [0-9]* \([A-Z_]*\) src=[^ ]* dst=[^ ]* sport=\([0-9]*\) dport=\([0-9]*\) .*/\2 \3 \1/p' | sort
}

# ---- flowpath
run_verdicts "$WORK/flowpath" "fpctl dump-conntrack $BR" "$A" "$(host_mac a)" 10.246.0.1 \
  "$B" "$(host_mac b)" 10.246.0.2 "$(host_mac b)" "$(host_mac a)"
sed 's/^/  flowpath: /' "$WORK/flowpath"
check "flowpath: every packet meets the expected verdict" diff -u "$WORK/expected.txt" "$WORK/flowpath"
sed 's/^/  established: /' "$WORK/flowpath.established"
sed 's/^/  end: /' "$WORK/flowpath.end"
check "the established association is listed with its state and tags" grep -qx \
  "sctp,orig=(src=10.246.0.1,dst=10.246.0.2,sport=5000,dport=6000),reply=(src=10.246.0.2,dst=10.246.0.1,sport=6000,dport=5000),protoinfo=(state=ESTABLISHED,vtag_orig=2289526357,vtag_reply=1144201745)" \
  "$WORK/flowpath.established"
grep '^sctp,' "$WORK/flowpath.established" | sed 's/^sctp,orig=(src=[^,]*,dst=[^,]*,sport=\([0-9]*\),dport=\([0-9]*\)).*protoinfo=(state=\([A-Z_]*\),.*/\1 \2 \3/' | sort > "$WORK/flowpath.established.states"
grep '^sctp,' "$WORK/flowpath.end" | sed 's/^sctp,orig=(src=[^,]*,dst=[^,]*,sport=\([0-9]*\),dport=\([0-9]*\)).*protoinfo=(state=\([A-Z_]*\),.*/\1 \2 \3/' | sort > "$WORK/flowpath.end.states"
check "at the end: the first association closed, the heartbeat's established" \
  test "$(tr '\n' ';' < "$WORK/flowpath.end.states")" = "5000 6000 CLOSED;5010 6010 ESTABLISHED;"
json=$(fpctl --format json dump-conntrack "$BR")
check "--format json gives the state and the tags' values" \
  "$PY" -c 'import json, sys
e = [c for c in json.loads(sys.argv[1]) if c["proto"] == "sctp" and c["orig"]["sport"] == 5010][0]
sys.exit(not (e["state"] == "ESTABLISHED" and e["vtag_orig"] == 0x55667788 and e["vtag_reply"] == 0x11223344))' "$json"

# ---- the same firewall in the kernel: a router namespace r between a2 and b2
ROUTER=$RUN-r
must ip netns add "$ROUTER"; NAMESPACES+=("$ROUTER")
must ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
for h in a2 b2; do
  ns=$RUN-$h
  must ip netns add "$ns"; NAMESPACES+=("$ns")
  must ip link add "$RUN-r$h" netns "$ROUTER" type veth peer name eth0 netns "$ns"
  must ip -n "$ns" link set eth0 up
  must ip -n "$ROUTER" link set "$RUN-r$h" up
done
must ip -n "$RUN-a2" addr add 10.246.1.1/24 dev eth0
must ip -n "$RUN-b2" addr add 10.246.2.1/24 dev eth0
must ip -n "$ROUTER" addr add 10.246.1.254/24 dev "$RUN-ra2"
must ip -n "$ROUTER" addr add 10.246.2.254/24 dev "$RUN-rb2"
cat > "$WORK/kernel.nft" <<EOF
table inet sc11fw {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "$RUN-ra2" ct state new accept
  }
}
EOF
must ip netns exec "$ROUTER" nft -f "$WORK/kernel.nft"
router_mac() { ip -n "$ROUTER" -o link show "$RUN-r$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
run_verdicts "$WORK/kernel" kernel_associations "$RUN-a2" "$(host_mac a2)" 10.246.1.1 \
  "$RUN-b2" "$(host_mac b2)" 10.246.2.1 "$(router_mac a2)" "$(router_mac b2)"
sed 's/^/  kernel: /' "$WORK/kernel"
check "kernel: every packet meets the expected verdict" diff -u "$WORK/expected.txt" "$WORK/kernel"
check "flowpath and the kernel give the same verdicts" diff -u "$WORK/kernel" "$WORK/flowpath"
sed 's/^/  kernel established: /' "$WORK/kernel.established"
sed 's/^/  kernel end: /' "$WORK/kernel.end"
check "conntrack -L lists the same associations in the same states (established)" \
  diff -u "$WORK/kernel.established" "$WORK/flowpath.established.states"
check "... and at the end" diff -u "$WORK/kernel.end" "$WORK/flowpath.end.states"

finish
