#!/usr/bin/env bash
# Bad input never crashes flowpathd and never changes its state: malformed
# flow strings, actions to missing ports, unknown datapaths, garbage on the
# control socket, oversized and runt frames (injected and from the wire).
# Each gets a precise error; `show` and `dump-flows` are the same afterwards.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
start_daemon
add_host a 10.253.0.1; add_host b 10.253.0.2
DP="$RUN"bad
fpctl add-dp "$DP" "$RUN-a" "$RUN-b"
fpctl add-flow "$DP" 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
fpctl add-flow "$DP" 'in_port(1),eth(),eth_type(0x0806),arp()' 2
fpctl add-flow "$DP" 'in_port(2),eth(),eth_type(0x0806),arp()' 1

# The configuration: flows (without their counters), ports, datapaths.
snapshot() {
  fpctl dump-flows -m "$DP" | sed 's/, packets:.*, actions:/, actions:/'
  fpctl show "$DP" | grep -v -e lookups -e masks
  fpctl dump-dps
}
before=$(snapshot)

# expect_error DESCRIPTION EXPECTED-SUBSTRING fpctl-args...
expect_error() {
  local what=$1 want=$2; shift 2
  local out status
  out=$(fpctl "$@" 2>&1); status=$?
  if [ $status -ne 0 ] && [[ "$out" == *"$want"* ]] && [ "$(echo "$out" | wc -l)" -eq 1 ]; then
    echo "ok: $what: $out"
  else
    echo "FAIL: $what (exit $status): $out"; FAILURES=$((FAILURES + 1))
  fi
}

expect_error "malformed flow: unknown attribute" "column 12" add-flow "$DP" 'in_port(1),ethx()' 2
expect_error "malformed flow: bad address" "10.0.0.256" add-flow "$DP" 'in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.256)' 2
expect_error "malformed flow: unbalanced" "column" add-flow "$DP" 'in_port(1),eth(' 2
expect_error "malformed actions" "frobnicate" add-flow "$DP" 'in_port(2),eth(),eth_type(0x0800),ipv4()' 'frobnicate(3)'
expect_error "actions to a missing port" "port 9, which datapath $DP does not have" \
  add-flow "$DP" 'in_port(2),eth(),eth_type(0x0800),ipv4()' 9
expect_error "actions to a missing port, nested" "port 7, which datapath $DP does not have" \
  add-flow "$DP" 'in_port(2),eth(),eth_type(0x0800),ipv4()' '1,clone(7)'
expect_error "duplicate flow" "already exists" add-flow "$DP" 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
expect_error "unknown datapath" "datapath nosuchdp does not exist" dump-flows nosuchdp
expect_error "unknown datapath (add-flow)" "datapath nosuchdp does not exist" add-flow nosuchdp 'in_port(1),eth(),eth_type(0x0800),ipv4()' 2
expect_error "unknown interface" "interface ${RUN}zz does not exist" add-if "$DP" "${RUN}zz"
expect_error "interface already attached" "already port 1 of datapath $DP" add-if "$DP" "$RUN-a"
expect_error "unknown port type" "type" add-if "$DP" "$RUN-a,type=bogus"
expect_error "unknown ufid" "has no flow" get-flow "$DP" ufid:00000000-0000-0000-0000-000000000001
expect_error "malformed ufid" "ufid" get-flow "$DP" ufid:zz
expect_error "9000-byte frame" "larger than any port of $DP carries (1522 bytes" \
  execute "$DP" "$(printf '00%.0s' $(seq 9000))" 2
expect_error "13-byte frame" "shorter than an Ethernet header" execute "$DP" "$(printf '00%.0s' $(seq 13))" 2
expect_error "odd hex" "odd number of hex digits" execute "$DP" abc 2

# Garbage on the control socket: a parse error reply, the connection and the
# daemon survive, and a valid request on the same connection still works.
reply=$(/usr/bin/python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"\x00\xff{not json\n" + b'{"jsonrpc":"2.0","id":1,"method":"dp.list"}\n')
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
lines = [json.loads(l) for l in data.decode().splitlines()]
print(lines[0]["error"]["code"], lines[0]["error"]["message"], "|", len(lines[1]["result"]))
PY
)
check "garbage JSON gets a parse error and the next request works ($reply)" \
  test "${reply%%|*}" = "-32700 parse error: the request is not valid JSON "

# A 14-byte frame (header only) is a valid, if minimal, packet.
check "14-byte frame executes" fpctl execute "$DP" "$(printf 'ff%.0s' $(seq 6))000000000001ffff" 2

# From the wire: a 9000-byte frame arrives on port 1, whose interface was
# raised to MTU 9000 (the port follows it, from the rtnetlink event), for
# port 2, which carries 1500: it is dropped and counted
# (datapath_drop_mtu_exceeded) and the daemon carries on.
mtu_drops() {
  fpctl --format json show "$DP" | /usr/bin/python3 -c '
import json, sys
print(sum(p["drops"].get("datapath_drop_mtu_exceeded", 0) for p in json.load(sys.stdin)[0]["ports"]))'
}
ip link set "$RUN-a" mtu 9000; ip -n "$RUN-a" link set eth0 mtu 9000
in_host a ping -c 1 -W 1 -s 8972 -M do 10.253.0.2 >/dev/null 2>&1
mtu_dropped() { [ "$(mtu_drops)" -ge 1 ]; }
wait_until 5 mtu_dropped
check "9000-byte frame from the wire counted as dropped ($(mtu_drops))" mtu_dropped

port1_mtu() { fpctl show "$DP" | grep -q "port 1: $RUN-a (afpacket: mtu=9000)"; }
wait_until 5 port1_mtu
check "port 1 follows its interface's new MTU (9000)" port1_mtu
# Apart from that MTU, which the interface changed, nothing changed.
after=$(snapshot | sed "s/port 1: $RUN-a (afpacket: mtu=9000)/port 1: $RUN-a (afpacket: mtu=1500)/")
check "state unchanged by all of the above" test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") >&2
check "daemon still running" kill -0 "$DAEMON_PID"
finish
