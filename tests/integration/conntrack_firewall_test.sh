#!/usr/bin/env bash
# A stateful firewall written as Open vSwitch documents it (ovs-actions(7),
# the conntrack tutorial), on a flowpath bridge between an inside host a and
# an outside host b, with real ICMP, TCP and UDP:
#   - everything IP goes through ct(table=1) first (zone 0)
#   - from inside: +new is committed and switched, +est switched
#   - from outside: +new dropped, +est switched
#   - +rel switched, +inv dropped; ARP switched; anything else dropped
# Then the connections flowpath tracked are compared with what the kernel's
# own conntrack saw on host a for the same traffic (conntrack -L): the same
# connections, and the same TCP state names.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
command -v conntrack >/dev/null || { echo "FAIL: the conntrack tool is missing (scripts/install-deps.sh)"; exit 1; }
start_daemon

fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host a 10.247.0.1
add_bridge_host b 10.247.0.2
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
check "the rules print back with their ct actions" \
  grep -q 'actions=ct(commit),NORMAL' <(fpctl of dump-flows "$BR" --no-stats)

# The kernel of host a tracks its own connections too once a rule needs it.
printf 'table inet probe {\n  chain out {\n    type filter hook output priority 0;\n    ct state new counter accept\n  }\n}\n' > "$WORK/probe.nft"
must in_host a nft -f "$WORK/probe.nft"

# ---- ICMP
check "ping from inside is answered" in_host a ping -c 2 -i 0.2 -W 2 -q 10.247.0.2
check_not "ping from outside is dropped" in_host b ping -c 2 -i 0.2 -W 1 -q 10.247.0.1

# ---- TCP
tcp_listen b 8080
tcp_listen a 8081
check "TCP from inside connects" tcp_connects a 10.247.0.2 8080
check_not "TCP from outside does not" tcp_connects b 10.247.0.1 8081 1

# ---- UDP
udp_echo_start b
udp_echo_start a
check "UDP from inside is answered" test "$(udp_ask a 40053 10.247.0.2)" = hello
check "UDP from outside is not" test "$(udp_ask b 40054 10.247.0.1)" = timeout

# ---- ICMP related: b's kernel answers a UDP datagram to a closed port
# with port unreachable, which comes back in as +rel.
out=$(in_host a "$PY" -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40055)); s.settimeout(2)
s.connect(("10.247.0.2", 9)); s.send(b"x")
try: s.recv(10); print("answer")
except ConnectionRefusedError: print("refused")
except socket.timeout: print("timeout")')
check "an ICMP port unreachable comes back in as +rel ($out)" test "$out" = refused

# ---- what flowpath tracked
dump=$(fpctl dump-conntrack "$BR")
echo "$dump" | sed 's/^/  /'
check "the ping is tracked" grep -q '^icmp,orig=(src=10.247.0.1,dst=10.247.0.2,id=[0-9]*,type=8,code=0)' <<<"$dump"
check "the TCP connection is tracked, closed" \
  grep -q '^tcp,orig=(src=10.247.0.1,dst=10.247.0.2,sport=[0-9]*,dport=8080),.*protoinfo=(state=TIME_WAIT)' <<<"$dump"
check "the UDP exchange is tracked" grep -q '^udp,orig=(src=10.247.0.1,dst=10.247.0.2,sport=40053,dport=5353)' <<<"$dump"
check_not "nothing from outside was committed" grep -q '^[a-z]*,orig=(src=10.247.0.2' <<<"$dump"
flows=$(fpctl dump-flows "$BR")
check "the megaflows carry ct and recirc()" grep -Eq 'actions:ct(\([^)]*\))?,recirc\(0x' <<<"$flows"
check "recirculated megaflows match ct_state" grep -q 'ct_state(.*recirc_id(0x' <<<"$flows"

# ---- the kernel's view of the same traffic, on host a
kernel=$(in_host a conntrack -L 2>/dev/null)
echo "$kernel" | sed 's/^/  kernel: /'
check "the kernel saw the TCP connection in the same state" \
  grep -Eq '^tcp +6 [0-9]+ TIME_WAIT src=10.247.0.1 dst=10.247.0.2 sport=[0-9]+ dport=8080' <<<"$kernel"
check "... the UDP exchange" grep -Eq '^udp +17 [0-9]+ src=10.247.0.1 dst=10.247.0.2 sport=40053 dport=5353' <<<"$kernel"
check "... and the ping" grep -Eq '^icmp +1 [0-9]+ src=10.247.0.1 dst=10.247.0.2 type=8 code=0' <<<"$kernel"

# The same connections, one line each: "proto src dst port port" (ICMP: id type code).
ours_list() {
  sed -E 's/^([a-z0-9]+),orig=\(src=([^,]+),dst=([^,]+),(sport|id)=([0-9]+),(dport|type)=([0-9]+)(,code=([0-9]+))?\).*/\1 \2 \3 \5 \7 \9/' <<<"$dump" | sort
}
kernel_list() {
  awk '{p=$1; s=""; d=""; a=""; b=""; c="";
        for (i = 2; i <= NF; i++) {
          split($i, kv, "=");
          if (kv[1] == "src" && s == "") s = kv[2]; else if (kv[1] == "dst" && d == "") d = kv[2];
          else if ((kv[1] == "sport" || kv[1] == "id") && a == "") a = kv[2];
          else if ((kv[1] == "dport" || kv[1] == "type") && b == "") b = kv[2];
          else if (kv[1] == "code" && c == "") c = kv[2];
        }
        print p, s, d, a, b, c}' <<<"$kernel" | sed 's/ $//' | sort
}
check "flowpath and the kernel list the same connections" test "$(ours_list | sed 's/ $//')" = "$(kernel_list)"

finish
