#!/usr/bin/env bash
# NAT with flowpath's connection tracker, written as Open vSwitch's NAT
# examples write it (ovs-actions(7) "ct", ovs-fields(7) ct_state snat/dnat),
# on one bridge with real TCP (iperf3 and short connections) and ping:
#   - SNAT: inside host a (10.248.1.1) reaches outside host b (10.248.2.2)
#     as 10.248.0.100: ct(commit,nat(src=10.248.0.100)) on the way out,
#     ct(nat) on every packet in zone 1, so replies are de-translated;
#   - DNAT: the virtual IP 10.248.9.9:80 is two backends c (10.248.3.1) and
#     d (10.248.3.2) on port 8080: ct(commit,nat(dst=10.248.3.1-10.248.3.2:8080,hash))
#     spreads connections over both; their replies come back from the VIP;
#   - new connections from outside are refused;
#   - a range of two ports takes two UDP flows; the third is dropped and
#     counted as datapath_drop_nat_exhausted.
# Hosts reach each other on one segment (static neighbours, one /16 route),
# so the bridge's rules alone decide what passes and as whom.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host a 10.248.1.1
add_bridge_host b 10.248.2.2
add_bridge_host c 10.248.3.1
add_bridge_host d 10.248.3.2
A=$RUN-a B=$RUN-b C=$RUN-c D=$RUN-d
for h in a b c d; do must in_host "$h" ip route add 10.248.0.0/16 dev eth0; done
MAC_A=$(host_mac a) MAC_B=$(host_mac b) MAC_C=$(host_mac c) MAC_D=$(host_mac d)
must in_host a ip neigh add 10.248.2.2 lladdr "$MAC_B" dev eth0
must in_host a ip neigh add 10.248.9.9 lladdr 02:00:00:00:09:09 dev eth0  # the VIP: table 2 sets the MAC
must in_host b ip neigh add 10.248.0.100 lladdr "$MAC_A" dev eth0          # the SNAT address
must in_host b ip neigh add 10.248.1.1 lladdr "$MAC_A" dev eth0            # for the refused attempt
must in_host c ip neigh add 10.248.1.1 lladdr "$MAC_A" dev eth0
must in_host d ip neigh add 10.248.1.1 lladdr "$MAC_A" dev eth0

cat > "$WORK/nat.txt" <<EOF2
table=0,priority=1,actions=drop
table=0,priority=10,arp,actions=NORMAL
table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1,zone=1,nat)
table=1,priority=100,in_port=$A,tcp,nw_dst=10.248.9.9,tp_dst=80,ct_state=+trk+new,actions=ct(commit,table=2,zone=1,nat(dst=10.248.3.1-10.248.3.2:8080,hash))
table=1,priority=95,in_port=$A,udp,tp_dst=9999,ct_state=+trk+new,actions=ct(commit,zone=1,nat(src=10.248.0.101:7000-7001)),NORMAL
table=1,priority=90,in_port=$A,ip,ct_state=+trk+new,actions=ct(commit,zone=1,nat(src=10.248.0.100)),NORMAL
table=1,priority=50,ip,ct_state=+trk+est,actions=goto_table:2
table=1,priority=50,ip,ct_state=+trk+rel,actions=goto_table:2
table=1,priority=1,actions=drop
table=2,priority=100,ip,nw_dst=10.248.3.1,actions=mod_dl_dst:$MAC_C,output:$C
table=2,priority=100,ip,nw_dst=10.248.3.2,actions=mod_dl_dst:$MAC_D,output:$D
table=2,priority=1,actions=NORMAL
EOF2
must fpctl of del-flows "$BR"
must fpctl of add-flows "$BR" "$WORK/nat.txt"
check "the NAT rules print back as ovs-ofctl prints them" \
  grep -q 'actions=ct(commit,table=2,zone=1,nat(dst=10.248.3.1-10.248.3.2:8080,hash))' \
  <(fpctl of dump-flows "$BR" --no-stats)

# peer_server HOST PORT: answers each TCP connection with the address it
# came from and the host's name, then closes it.
peer_server() {
  local host=$1 port=$2
  in_host_bg "$host" "$PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
while True:
    c, peer = s.accept(); c.sendall((peer[0] + " " + sys.argv[2] + "\n").encode()); c.close()
' "$port" "$host"
  wait_until 10 listening "$RUN-$host" "$port" || { echo "FAIL: nothing listens on $host:$port"; exit 1; }
}
# ask HOST IP PORT COUNT: COUNT connections, one answer line each.
ask() {
  in_host "$1" "$PY" -c '
import socket, sys
for _ in range(int(sys.argv[3])):
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.recv(100)
        if not chunk: break
        data += chunk
    print(data.decode().strip()); c.close()
' "$2" "$3" "$4" 2>&1
}

# ---- SNAT
check "ping from inside is answered through SNAT" in_host a ping -c 3 -i 0.2 -W 2 -q 10.248.2.2
peer_server b 8000
out=$(ask a 10.248.2.2 8000 3)
echo "$out" | sed 's/^/  b says: /'
check "b sees the inside host's connections from 10.248.0.100" \
  test "$(echo "$out" | sort -u)" = "10.248.0.100 b"
in_host_bg b iperf3 -s -1 -p 5201
must wait_until 10 listening "$RUN-b" 5201
iperf=$(in_host a iperf3 -c 10.248.2.2 -p 5201 -n 4M -J 2>&1)
sent=$(echo "$iperf" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["end"]["sum_sent"]["bytes"] if "error" not in d else 0)' 2>/dev/null)
check "iperf3 through SNAT sends 4 MiB without error ($sent bytes)" test "${sent:-0}" -ge 4194304
# Bulk data both ways through the translation (TSO super-frames, partial
# checksums): b answers with the byte count and SHA-256 of what it got.
in_host_bg b "$PY" -c '
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8002)); s.listen(4)
while True:
    c, _ = s.accept(); h = hashlib.sha256(); n = 0
    while True:
        d = c.recv(65536)
        if not d: break
        h.update(d); n += len(d)
    c.sendall(("%d %s" % (n, h.hexdigest())).encode() + b"\n" + bytes(4 << 20)); c.close()
'
must wait_until 10 listening "$RUN-b" 8002
bulk=$(in_host a "$PY" -c '
import hashlib, os, socket
data = os.urandom(8 << 20)
c = socket.create_connection(("10.248.2.2", 8002), timeout=10); c.sendall(data); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d: break
    got += d
line, _, rest = got.partition(b"\n")
ok = line.decode() == "%d %s" % (len(data), hashlib.sha256(data).hexdigest()) and rest == bytes(4 << 20)
print("intact" if ok else "damaged: " + line.decode() + " and %d bytes back" % len(rest))' 2>&1)
check "8 MiB out and 4 MiB back through SNAT arrive intact ($bulk)" test "$bulk" = intact
snat_flows=$(fpctl dump-flows "$BR")  # before they idle out
peer_server a 8001
check_not "a new connection from outside to the inside host is refused" tcp_connects b 10.248.1.1 8001 1

# ---- DNAT to two backends
peer_server c 8080
peer_server d 8080
start_capture "$WORK/a.txt" -n -i "$A" tcp
out=$(ask a 10.248.9.9 80 24)
dnat_flows=$(fpctl dump-flows "$BR")
echo "$out" | sort | uniq -c | sed 's/^/  /'
check "the VIP answers every connection" test "$(echo "$out" | grep -c ' [cd]$')" -eq 24
check "backend c took some connections" grep -q '^10.248.1.1 c$' <<<"$out"
check "backend d took some connections" grep -q '^10.248.1.1 d$' <<<"$out"
vip_replies() { grep -q '10\.248\.9\.9\.80 > 10\.248\.1\.1\.' "$WORK/a.txt"; }
check "replies reach the client from the VIP" wait_until 5 vip_replies
check_not "... never from a backend's own address" grep -Eq '10\.248\.3\.[12]\.[0-9]+ > 10\.248\.1\.1' "$WORK/a.txt"

# ---- what flowpath tracked
dump=$(fpctl dump-conntrack "$BR")
echo "$dump" | sed 's/^/  /'
check "the ping is listed with its translated reply" \
  grep -q '^icmp,orig=(src=10.248.1.1,dst=10.248.2.2,id=[0-9]*,type=8,code=0),reply=(src=10.248.2.2,dst=10.248.0.100,id=[0-9]*,type=0,code=0),zone=1' <<<"$dump"
check "SNAT'd TCP: the reply goes to 10.248.0.100" \
  grep -Eq '^tcp,orig=\(src=10.248.1.1,dst=10.248.2.2,sport=[0-9]+,dport=8000\),reply=\(src=10.248.2.2,dst=10.248.0.100,sport=8000,dport=[0-9]+\),zone=1' <<<"$dump"
check "DNAT'd TCP: the reply comes from a backend's 8080" \
  grep -Eq '^tcp,orig=\(src=10.248.1.1,dst=10.248.9.9,sport=[0-9]+,dport=80\),reply=\(src=10.248.3.[12],dst=10.248.1.1,sport=8080,dport=[0-9]+\),zone=1' <<<"$dump"
check_not "nothing from outside was committed" grep -q '^[a-z]*,orig=(src=10.248.2.2' <<<"$dump"
check "the megaflows carry ct(...,nat(src=10.248.0.100))" grep -q 'ct(commit,zone=1,nat(src=10.248.0.100))' <<<"$snat_flows"
check "... and ct(zone=1,nat),recirc()" grep -Eq 'ct\(zone=1,nat\),recirc\(0x' <<<"$snat_flows"
check "... and ct(commit,zone=1,nat(dst=...,hash)),recirc()" \
  grep -Eq 'ct\(commit,zone=1,nat\(dst=10\.248\.3\.1-10\.248\.3\.2:8080,hash\)\),recirc\(0x' <<<"$dnat_flows"
flows=$dnat_flows
check "recirculated megaflows match the backends' addresses the datapath wrote" \
  grep -Eq 'recirc_id\(0x[0-9a-f]+\),.*ipv4\(dst=10\.248\.3\.[12][,)].*actions:set\(eth\(dst=' <<<"$flows"

# ---- a range of two ports: the third flow finds no tuple and is dropped
drop_count() {
  fpctl show -s "$BR" | awk -v r="$1:" '/^  port [0-9]+:/ {exit} /^    [a-z_]+: [0-9]+$/ && $1 == r {n = $2} END {print n + 0}'
}
check "nothing dropped for the range so far" test "$(drop_count datapath_drop_nat_exhausted)" = 0
start_capture "$WORK/b.txt" -n -i "$B" udp port 9999
for port in 40001 40002 40003; do
  in_host a "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(sys.argv[1])))
s.sendto(b"x", ("10.248.2.2", 9999))' "$port"
done
nat_drops_are() { test "$(drop_count datapath_drop_nat_exhausted)" = "$1"; }
b_got_from_ports() { test "$(grep -Eo '10\.248\.0\.101\.700[01] >' "$WORK/b.txt" | sort -u | wc -l)" = "$1"; }
check "the third flow is counted as datapath_drop_nat_exhausted" wait_until 5 nat_drops_are 1
check "b received two of them, from 10.248.0.101 ports 7000 and 7001" wait_until 5 b_got_from_ports 2
udp=$(fpctl dump-conntrack "$BR" | grep 'dport=9999')
echo "$udp" | sed 's/^/  /'
check "two UDP connections hold the range" test "$(grep -c 'dst=10.248.0.101,sport=9999,dport=700[01])' <<<"$udp")" = 2

finish
