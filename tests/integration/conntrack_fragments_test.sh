#!/usr/bin/env bash
# IP fragments through a stateful firewall (ct(commit) for what the inside
# starts, allow-established back), as Open vSwitch's userspace datapath
# passes them: flowpath holds the fragments reaching ct(), tracks the
# reassembled packet, and sends the fragments on with its ct_state.
#   - a ping of 4,000 bytes and a UDP datagram of 3,000 bytes (both larger
#     than the 1,500-byte MTU, so fragmented by the sender, and answered in
#     fragments) pass from inside, and not from outside; so does one of
#     60,000 bytes (41 fragments, more than a batch);
#   - with reassembly disabled the fragments are +inv and dropped;
#   - overlapping fragments (scapy) are dropped and counted;
#   - the ipf verbs refuse bad values and change nothing.
# Then the same firewall in the Linux kernel (nftables on a router
# namespace, which reassembles for conntrack too) gives the same outcomes.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
RUN=if11$$  # this test's names
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host a 10.249.0.1
add_bridge_host b 10.249.0.2
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

# A UDP echo server for large datagrams on port 5354 of HOST.
big_udp_echo_start() {
  in_host_bg "$1" "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5354))
while True:
    d, a = s.recvfrom(65535); s.sendto(d, a)'
  must wait_until 10 udp_listening "$1" 5354
}
# big_udp_ask HOST SRC-PORT DST SIZE: the size of the answer, or "timeout".
big_udp_ask() {
  in_host "$1" "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(sys.argv[1]))); s.settimeout(2)
s.sendto(b"x" * int(sys.argv[3]), (sys.argv[2], 5354))
try: print(len(s.recvfrom(65535)[0]))
except socket.timeout: print("timeout")' "$2" "$3" "$4"
}
drop_count() {
  fpctl show -s "$BR" | awk -v r="$1:" '/^  port [0-9]+:/ {exit} /^    [a-z_]+: [0-9]+$/ && $1 == r {n = $2} END {print n + 0}'
}
status_field() { fpctl --format json ipf-get-status "$BR" | "$PY" -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# ---- flowpath
check "a 4000-byte ping from inside is answered" in_host a ping -c 2 -i 0.2 -W 2 -q -s 4000 10.249.0.2
check_not "a 4000-byte ping from outside is dropped" in_host b ping -c 2 -i 0.2 -W 1 -q -s 4000 10.249.0.1
big_udp_echo_start b
big_udp_echo_start a
check "a 3000-byte UDP datagram from inside is answered whole" test "$(big_udp_ask a 40061 10.249.0.2 3000)" = 3000
check "a 3000-byte UDP datagram from outside is not" test "$(big_udp_ask b 40062 10.249.0.1 3000)" = timeout
# 41 fragments each way: more than a batch holds (the rest go on as a batch of their own).
check "a 60000-byte UDP datagram from inside is answered whole" test "$(big_udp_ask a 40063 10.249.0.2 60000)" = 60000

status=$(fpctl ipf-get-status "$BR")
echo "$status" | sed 's/^/  /'
check "fragments were held" test "$(status_field '["v4"]["accepted"]')" -ge 94
check "... and sent on after tracking" test "$(status_field '["v4"]["completed"]')" -ge 90
check "none is left held" test "$(status_field '["nfrags"]')" = 0

dump=$(fpctl dump-conntrack "$BR")
echo "$dump" | sed 's/^/  /'
check "the big ping is tracked (the reassembled packet)" \
  grep -q '^icmp,orig=(src=10.249.0.1,dst=10.249.0.2,id=[0-9]*,type=8,code=0)' <<<"$dump"
check "the big UDP datagrams are tracked with their ports" \
  grep -q '^udp,orig=(src=10.249.0.1,dst=10.249.0.2,sport=40061,dport=5354)' <<<"$dump"
check "... the 60000-byte one too" \
  grep -q '^udp,orig=(src=10.249.0.1,dst=10.249.0.2,sport=40063,dport=5354)' <<<"$dump"
check_not "nothing from outside was committed" grep -q '^[a-z]*,orig=(src=10.249.0.2' <<<"$dump"
flows=$(fpctl dump-flows "$BR")
grep -E 'frag=(first|later)' <<<"$flows" | sed 's/^/  /'
check "fragments have megaflows of their own (frag=first/later)" grep -Eq 'frag=(first|later)' <<<"$flows"

# ---- reassembly off: fragments are +inv, which the firewall drops
must fpctl ipf-set-disabled "$BR" v4
check "ipf-get-status says v4 is disabled" grep -q 'v4 enabled: 0' <(fpctl ipf-get-status "$BR")
check_not "with v4 reassembly disabled, the big ping fails" in_host a ping -c 1 -W 1 -q -s 4000 10.249.0.2
check "a small ping still passes" in_host a ping -c 1 -W 2 -q 10.249.0.2
must fpctl ipf-set-enabled "$BR" v4
check "re-enabled, the big ping passes again" in_host a ping -c 1 -W 2 -q -s 4000 10.249.0.2

# ---- overlapping fragments, crafted: dropped and counted
before=$(status_field '["v4"]["overlapped"]')
in_host a "$PY" -c '
from scapy.all import Ether, IP, UDP, Raw, sendp, get_if_hwaddr, conf
conf.verb = 0
dst_mac = "'"$(host_mac b)"'"
base = Ether(src=get_if_hwaddr("eth0"), dst=dst_mac) / IP(src="10.249.0.1", dst="10.249.0.2", id=4242, proto=17)
first = base.copy(); first[IP].flags = "MF"; first[IP].frag = 0
first = first / Raw(b"\x9c\x7d\x14\xfa\x09\xc4\x00\x00" + b"a" * 1392)
overlap = base.copy(); overlap[IP].flags = "MF"; overlap[IP].frag = 100
overlap = overlap / Raw(b"b" * 1400)
sendp([first, overlap], iface="eth0")'
check "the overlapping fragment is counted" wait_until 5 bash -c "[ \$(\"$BIN/fpctl\" --socket '$SOCK' --format json ipf-get-status '$BR' | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"v4\"][\"overlapped\"])') -gt $before ]"
check "... and dropped as datapath_drop_frag_overlap" test "$(drop_count datapath_drop_frag_overlap)" -ge 1
check "the first fragment waits for the rest (ipf-get-status -m lists it)" \
  grep -q 'ip_id=4242,.*num_fragments=1,state=first frag' <(fpctl ipf-get-status -m "$BR")

# ---- bad values change nothing
check_not "ipf-set-min-frag v4 100 is refused" fpctl ipf-set-min-frag "$BR" v4 100
check_not "ipf-set-max-nfrags 6000 is refused" fpctl ipf-set-max-nfrags "$BR" 6000
check_not "ipf-set-enabled v5 is refused" fpctl ipf-set-enabled "$BR" v5
check "... the settings are as they were" test "$(status_field '["v4"]["min_frag_size"]') $(status_field '["max_nfrags"]')" = "1200 1000"
must fpctl ipf-set-min-frag "$BR" v6 1300
must fpctl ipf-set-max-nfrags "$BR" 500
check "good values are set" test "$(status_field '["v6"]["min_frag_size"]') $(status_field '["max_nfrags"]')" = "1300 500"

# ---- the same firewall in the kernel: a router namespace r between a2 and b2
ROUTER=$RUN-r
must ip netns add "$ROUTER"; NAMESPACES+=("$ROUTER")
must ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
for h in a2 b2; do
  ns=$RUN-$h
  must ip netns add "$ns"; NAMESPACES+=("$ns")
  must ip link add "$RUN-r$h" netns "$ROUTER" type veth peer name eth0 netns "$ns"
  must ip -n "$ns" link set eth0 up
  must ip -n "$ns" link set lo up
  must ip -n "$ROUTER" link set "$RUN-r$h" up
done
must ip -n "$RUN-a2" addr add 10.249.1.1/24 dev eth0
must ip -n "$RUN-a2" route add default via 10.249.1.254
must ip -n "$RUN-b2" addr add 10.249.2.1/24 dev eth0
must ip -n "$RUN-b2" route add default via 10.249.2.254
must ip -n "$ROUTER" addr add 10.249.1.254/24 dev "$RUN-ra2"
must ip -n "$ROUTER" addr add 10.249.2.254/24 dev "$RUN-rb2"
cat > "$WORK/kernel.nft" <<EOF
table inet if11fw {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "$RUN-ra2" ct state new accept
  }
}
EOF
must ip netns exec "$ROUTER" nft -f "$WORK/kernel.nft"
big_udp_echo_start b2
big_udp_echo_start a2
check "kernel: a 4000-byte ping from inside is answered" in_host a2 ping -c 2 -i 0.2 -W 2 -q -s 4000 10.249.2.1
check_not "kernel: a 4000-byte ping from outside is dropped" in_host b2 ping -c 2 -i 0.2 -W 1 -q -s 4000 10.249.1.1
check "kernel: a 3000-byte UDP datagram from inside is answered whole" test "$(big_udp_ask a2 40061 10.249.2.1 3000)" = 3000
check "kernel: a 3000-byte UDP datagram from outside is not" test "$(big_udp_ask b2 40062 10.249.1.1 3000)" = timeout
kernel=$(ip netns exec "$ROUTER" conntrack -L 2>/dev/null)
echo "$kernel" | sed 's/^/  kernel: /'
check "kernel: the big UDP datagram is tracked with its ports too" \
  grep -Eq '^udp +17 [0-9]+ src=10.249.1.1 dst=10.249.2.1 sport=40061 dport=5354' <<<"$kernel"

finish
