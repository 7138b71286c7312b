#!/usr/bin/env bash
# An ACL in front of host h: only ICMP and TCP port 22 reach it; everything
# else for h is dropped; other traffic (ARP, replies) is switched by NORMAL.
#   - the rules replace the default one in one atomic add-flows batch
#     (a batch with one bad line changes nothing)
#   - ping and TCP 22 work, TCP 80 (listening) does not
#   - a port scan of 1100 ports leaves a handful of megaflows (the TCP port
#     match is not made exact per port), and the drop rule's counter
#     grows by the scanned packets after a revalidation round
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

H=10.250.0.2
fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host a 10.250.0.1
add_bridge_host h $H
tcp_listen h 22 80

cat > "$WORK/acl.txt" <<EOF
# ACL for h: ssh and ping only
priority=100,tcp,nw_dst=$H,tp_dst=22,actions=NORMAL
priority=100,icmp,nw_dst=$H,actions=NORMAL

priority=90,ip,nw_dst=$H,actions=drop
priority=0,actions=NORMAL
EOF

# A batch with a bad line changes nothing.
{ cat "$WORK/acl.txt"; echo "priority=80,ip,nw_dst=$H,actions=frobnicate"; } > "$WORK/bad.txt"
out=$(fpctl of add-flows "$BR" "$WORK/bad.txt" 2>&1); status=$?
echo "  $out"
check "add-flows with a bad line fails (exit 1, got $status)" test "$status" = 1
check "... naming the file, its line 7 and the bad action" \
  test "$out" = "fpctl: $WORK/bad.txt:7: unknown action \"frobnicate\" (no rule was added)"
check "... and adds nothing" test "$(fpctl of dump-flows "$BR" | grep -c .)" = 1
out=$(printf '# one rule\n\nip,actions=frob\n' | fpctl of add-flows "$BR" - 2>&1)
check "add-flows names the line of stdin ($out)" \
  test "$out" = 'fpctl: stdin:3: unknown action "frob" (no rule was added)'

fpctl of del-flows "$BR"
check "del-flows leaves no rule" test -z "$(fpctl of dump-flows "$BR")"
check "add-flows from stdin" fpctl of add-flows "$BR" - < "$WORK/acl.txt"
rules=$(fpctl of dump-flows "$BR" --no-stats)
echo "$rules"
check "four rules" test "$(grep -c . <<<"$rules")" = 4
check "dump-flows --no-stats: the ssh rule as ovs-ofctl prints it" \
  grep -qx " priority=100,tcp,nw_dst=$H,tp_dst=22 actions=NORMAL" <<<"$rules"
check "dump-flows --no-stats: the drop rule" grep -qx " priority=90,ip,nw_dst=$H actions=drop" <<<"$rules"
check "dump-flows FILTER" test "$(fpctl of dump-flows "$BR" "tcp" | grep -c .)" = 1

check "ping a -> h (ICMP allowed)" in_host a ping -c 3 -i 0.2 -W 2 -q $H
check "TCP a -> h:22 (allowed)" tcp_connects a $H 22
check_not "TCP a -> h:80 (dropped, although h listens)" tcp_connects a $H 80 1
check "TCP h:22 still works after that" tcp_connects a $H 22

trace=$(fpctl trace "$BR" "in_port=1,dl_src=$(host_mac a),dl_dst=$(host_mac h),tcp,nw_src=10.250.0.1,nw_dst=$H,tp_src=40000,tp_dst=8080")
check "trace: TCP to port 8080 is dropped" grep -qx 'Datapath actions: drop' <<<"$trace"

# ---- a port scan
wait_revalidation
drops_before=$(rule_packets "priority=90,ip,nw_dst=$H actions=drop")
scan_ports=1-1100
if command -v nmap >/dev/null; then
  in_host a timeout 120 nmap -n -Pn -sS --max-retries 0 -T4 -p "$scan_ports" $H > "$WORK/nmap.txt" 2>&1
  grep -E '^(22|80)/tcp' "$WORK/nmap.txt" | sed 's/^/  /'
  check "nmap: 22 open" grep -Eq '^22/tcp +open' "$WORK/nmap.txt"
  # nmap lists the filtered ports (80 among them) as one count.
  check "nmap: the other 1099 ports filtered" grep -q 'Not shown: 1099 filtered' "$WORK/nmap.txt"
  check "nmap: no other port open" test "$(grep -Ec '^[0-9]+/tcp +open' "$WORK/nmap.txt")" = 1
else
  # A SYN to every port, from one source port, without waiting for answers.
  in_host a "$PY" -c "
from scapy.all import IP, TCP, send
send(IP(src='10.250.0.1', dst='$H') / TCP(sport=33333, dport=(1, 1100), flags='S'), verbose=False)"
fi
flows=$(megaflow_count)
fpctl dump-flows "$BR" | sed 's/^/  /' | head -40
check "megaflows after scanning 1100 ports: $flows (fewer than 60)" test "$flows" -lt 60
wait_revalidation
drops_after=$(rule_packets "priority=90,ip,nw_dst=$H actions=drop")
check "the drop rule counted every scanned port but 22 ($drops_before -> $drops_after, 1099 or more)" \
  test "$drops_after" -ge $((drops_before + 1099))

# ---- mod-flows and del-flows --strict
check "mod-flows --strict opens port 80" \
  fpctl of mod-flows "$BR" "priority=90,ip,nw_dst=$H,actions=NORMAL" --strict
check "TCP a -> h:80 after mod-flows (revalidated megaflows)" tcp_connects a $H 80
fpctl of del-flows "$BR" "priority=90,ip,nw_dst=$H" --strict
check "del-flows --strict removed one rule" test "$(fpctl of dump-flows "$BR" | grep -c .)" = 3
finish
