#!/usr/bin/env bash
# The datapath's ct() action with real traffic, driven by datapath flows
# only (no slow path): a stateful firewall between an inside host a (port
# 1) and an outside host b (port 2).
#   - from inside: ct(commit,zone=7) then out to b
#   - from outside: ct(zone=7),recirc(1); after recirculation +est and +rel
#     go in, anything else has no flow and is dropped (no slow path)
# Checked with ping, TCP (nc) and UDP both ways; then the operator verbs:
# dump-conntrack (-s, -m, zone=), ct-stats-show, ct-get/set-maxconns,
# ct-get-nconns, limits, tcp-seq-chk, flush-conntrack (tuple, zone), their
# JSON, and that ct(nat) is refused with its reason.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
start_daemon

add_host a 10.248.0.1; add_host b 10.248.0.2
DP="$RUN"c
fpctl add-dp "$DP" "$RUN-a" "$RUN-b"
sysctl -qw "net.ipv6.conf.$DP.disable_ipv6=1" 2>/dev/null
must fpctl add-flow "$DP" 'recirc_id(0),in_port(1),eth(),eth_type(0x0806),arp()' 2
must fpctl add-flow "$DP" 'recirc_id(0),in_port(2),eth(),eth_type(0x0806),arp()' 1
must fpctl add-flow "$DP" 'recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()' 'ct(commit,zone=7),2'
must fpctl add-flow "$DP" 'recirc_id(0),in_port(2),eth(),eth_type(0x0800),ipv4()' 'ct(zone=7),recirc(1)'
must fpctl add-flow "$DP" 'recirc_id(1),in_port(2),ct_state(+est-rel+trk),eth(),eth_type(0x0800),ipv4()' 1
must fpctl add-flow "$DP" 'recirc_id(1),in_port(2),ct_state(-est+rel+trk),eth(),eth_type(0x0800),ipv4()' 1

# ---- ICMP
check "ping from inside is answered (+est back in)" in_host a ping -c 2 -i 0.2 -W 2 -q 10.248.0.2
check_not "ping from outside is refused (+new has no flow)" in_host b ping -c 2 -i 0.2 -W 1 -q 10.248.0.1
dump=$(fpctl dump-conntrack "$DP")
check "dump-conntrack lists the ping as ovs-dpctl does" \
  grep -Eq '^icmp,orig=\(src=10\.248\.0\.1,dst=10\.248\.0\.2,id=[0-9]+,type=8,code=0\),reply=\(src=10\.248\.0\.2,dst=10\.248\.0\.1,id=[0-9]+,type=0,code=0\),zone=7$' <<<"$dump"
check_not "... and nothing from outside" grep -q '^icmp,orig=(src=10.248.0.2' <<<"$dump"

# ---- TCP
in_host_bg b nc -l -k -p 8080 >/dev/null
must wait_until 10 listening "$RUN-b" 8080
check "TCP connect from inside succeeds" in_host a nc -z -w 3 10.248.0.2 8080
in_host_bg a nc -l -k -p 8081 >/dev/null
must wait_until 10 listening "$RUN-a" 8081
check_not "TCP connect from outside fails" in_host b nc -z -w 2 10.248.0.1 8081
tcp_line() { fpctl dump-conntrack "$DP" | grep '^tcp,orig=(src=10.248.0.1,dst=10.248.0.2,sport=[0-9]*,dport=8080)'; }
tcp_closed() { tcp_line | grep -q 'protoinfo=(state=TIME_WAIT)'; }
check "dump-conntrack shows the TCP connection closed (TIME_WAIT)" wait_until 5 tcp_closed

# ---- UDP: a query out, the answer back in; an unasked datagram stays out.
udp_echo_start b
udp_echo_start a
check "UDP from inside is answered" test "$(udp_ask a 40053 10.248.0.2)" = hello
check "UDP from outside is not" test "$(udp_ask b 40054 10.248.0.1)" = timeout
udp=$(fpctl dump-conntrack -s "$DP" | grep '^udp,orig=(src=10.248.0.1,dst=10.248.0.2,sport=40053,dport=5353')
check "dump-conntrack -s: the UDP connection with counters both ways" \
  grep -q 'sport=40053,dport=5353,packets=1,bytes=[0-9]*),reply=(src=10.248.0.2,dst=10.248.0.1,sport=5353,dport=40053,packets=1,bytes=' <<<"$udp"
check "... a start time and a timeout" grep -Eq ',start=[0-9T:.-]+,zone=7,timeout=[0-9]+$' <<<"$udp"

# ---- -m, zone filter, JSON
check "dump-conntrack -m prints ids" grep -Eq ',id=[0-9]+' <(fpctl dump-conntrack -m "$DP")
check "zone=7 keeps them" test "$(fpctl dump-conntrack "$DP" zone=7 | wc -l)" -ge 3
check "zone=8 has none" test "$(fpctl dump-conntrack "$DP" zone=8 | wc -l)" -eq 0
json=$(fpctl --format json dump-conntrack "$DP")
check "JSON dump: same count as text" test "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$json")" -eq "$(fpctl dump-conntrack "$DP" | wc -l)"

# ---- stats and limits
stats=$(fpctl ct-stats-show -m "$DP")
check "ct-stats-show: total and per protocol" bash -c "grep -Eq '^    Total: [0-9]+' <<<'$stats' && grep -q '^  TCP: ' <<<'$stats' && grep -q '^  ICMP: ' <<<'$stats'"
check "ct-stats-show -m: TCP states" grep -q 'TIME_WAIT\]=' <<<"$stats"
check "ct-get-maxconns: Open vSwitch's default" test "$(fpctl ct-get-maxconns "$DP")" = 3000000
check "ct-set-maxconns" test "$(fpctl ct-set-maxconns "$DP" 1000)" = "setting maxconns successful"
check "... ct-get-maxconns" test "$(fpctl ct-get-maxconns "$DP")" = 1000
check "ct-get-nconns counts" test "$(fpctl ct-get-nconns "$DP")" -ge 3
must fpctl ct-set-limits "$DP" default=100 zone=7,limit=50
check "ct-get-limits" test "$(fpctl ct-get-limits "$DP")" = "$(printf 'default limit=100\nzone=7,limit=50,count=%s' "$(fpctl ct-get-nconns "$DP")")"
must fpctl ct-del-limits "$DP" zone=7
check "ct-del-limits: zone 7 back to the default" grep -q '^zone=7,limit=100,' <(fpctl ct-get-limits "$DP" zone=7)
check_not "ct-set-limits refuses nonsense" fpctl ct-set-limits "$DP" zone=x,limit=1
check "tcp-seq-chk is on by default" test "$(fpctl ct-get-tcp-seq-chk "$DP")" = "TCP sequence checking: enabled"
must fpctl ct-disable-tcp-seq-chk "$DP"
check "ct-disable-tcp-seq-chk" test "$(fpctl ct-get-tcp-seq-chk "$DP")" = "TCP sequence checking: disabled"

# ---- flush
before=$(fpctl ct-get-nconns "$DP")
must fpctl flush-conntrack "$DP" 'ct_nw_src=10.248.0.1,ct_nw_proto=6,ct_tp_dst=8080'
check "flush-conntrack with a tuple removes the TCP connections only" \
  test "$(fpctl dump-conntrack "$DP" | grep -c '^tcp,.*dport=8080')" -eq 0
check "... and keeps the others" test "$(fpctl ct-get-nconns "$DP")" -gt 0 -a "$(fpctl ct-get-nconns "$DP")" -lt "$before"
check_not "flush-conntrack refuses an unknown field" fpctl flush-conntrack "$DP" 'nw_src=1.2.3.4'
must fpctl flush-conntrack "$DP" zone=7
check "flush-conntrack zone=7 empties the table" test "$(fpctl ct-get-nconns "$DP")" = 0
check_not "with the table empty, ping from outside is still refused" in_host b ping -c 1 -W 1 -q 10.248.0.1

# ---- what is not supported is refused, with the reason
# (NAT works: conntrack_nat_test.sh; a backwards range is still refused.)
err=$(fpctl add-flow "$DP" 'recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4()' 'ct(commit,nat(src=10.0.0.2-10.0.0.1))' 2>&1)
check "ct(nat) with a backwards range is refused ($err)" grep -q 'range ends below its start' <<<"$err"
err=$(fpctl add-flow "$DP" 'recirc_id(0),in_port(1),eth(),eth_type(0x86dd),ipv6()' 'ct(commit,helper=ftp)' 2>&1)
check "ct(helper) is refused" grep -q 'helper (ALG) is not supported yet' <<<"$err"

finish
