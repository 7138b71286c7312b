#!/usr/bin/env bash
# `fpctl replay` as an unprivileged user (nobody, no groups): no daemon, no
# device, no socket. Captures made with scapy go through datapath flows and
# through a bridge with NORMAL; the ports' output captures are compared
# byte for byte with the frames scapy says the actions make, and the trace,
# flows.result, dump-flows, --batch, --mtu and bad input are checked.
# Root is needed only to become nobody (exit 77 without it).
set -euo pipefail
fpctl=$1
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "SKIPPED: needs root to run fpctl replay as nobody"
  exit 77
fi
work=$(mktemp -d /tmp/replay-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The binary, copied where nobody can reach it whatever the build tree's modes.
install -m 755 "$fpctl" "$work/fpctl"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

/usr/bin/python3 "$here/gen_replay_pcaps.py" "$work"
chown -R nobody:nogroup "$work"
out=$work/out

# ---- Datapath flows: one bad line, a push_vlan, a drop, a miss.
cat > "$work/flows.txt" <<'EOF'
# UDP from port 1 gets VLAN 10 on port 2; TCP from port 2 goes to 1 and 3.
in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no),udp() push_vlan(vid=10,pcp=0),2

in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp() 1,3
in_port(1),eth(),eth_type(0x0800),ipv4(proto=17 2
in_port(3),eth(),eth_type(0x0800),ipv4(frag=no) drop
EOF
as_nobody "$work/fpctl" replay --flows "$work/flows.txt" --in 1=$work/in1.pcap --in 2=$work/in2.pcap \
  --in 3=$work/in3.pcap --ports 1,2,3,4 --out "$out" || fail "fpctl replay exited $?"
[[ $(stat -c %U "$out/trace.txt") == nobody ]] || fail "results not written by nobody"

expected_result=$'2: ok\n4: ok\n5: error: '
[[ $(head -c ${#expected_result} "$out/flows.result") == "$expected_result" ]] ||
  fail "flows.result: $(cat "$out/flows.result")"
[[ $(wc -l < "$out/flows.result") == 4 ]] || fail "flows.result: $(cat "$out/flows.result")"
grep -q '^6: ok$' "$out/flows.result" || fail "flows.result: line 6: $(cat "$out/flows.result")"

for n in 0 1 2 3 4; do [[ -f $out/port-$n.pcap ]] || fail "no port-$n.pcap"; done
/usr/bin/python3 "$here/gen_replay_pcaps.py" --check "$work" "$out" flows || fail "output frames"

# The trace: 7 input packets in capture-time order, what each hit.
[[ $(wc -l < "$out/trace.txt") == 7 ]] || fail "trace: $(cat "$out/trace.txt")"
sed -n 1p "$out/trace.txt" | grep -q '^1 in_port 1 recirc_id(0),in_port(1),eth(.*udp(src=1000,dst=2000); hit ufid:[0-9a-f-]* actions:push_vlan(vid=10,pcp=0),2; output 2:1$' ||
  fail "trace line 1: $(sed -n 1p "$out/trace.txt")"
sed -n 2p "$out/trace.txt" | grep -q '^2 in_port 2 .*tcp(src=80,dst=1234).*; hit ufid:.* actions:1,3; output 1:1 3:1$' ||
  fail "trace line 2: $(sed -n 2p "$out/trace.txt")"
sed -n 3p "$out/trace.txt" | grep -q '^3 in_port 3 .*src=10.0.0.3.*; hit ufid:.* actions:drop; output none' ||
  fail "trace line 3: $(sed -n 3p "$out/trace.txt")"
grep -q '^4 in_port 1 .*icmp.*; miss; output none; drop (datapath_drop_upcall_no_handler)$' "$out/trace.txt" ||
  fail "trace: no miss for packet 4: $(cat "$out/trace.txt")"
grep -q '^7 in_port 1; drop (datapath_drop_rx_invalid_packet)$' "$out/trace.txt" ||
  fail "trace: the runt: $(cat "$out/trace.txt")"

# The dump: statistics of what was replayed.
grep -q '^recirc_id(0),in_port(1),eth(),eth_type(0x0800),ipv4(proto=17,frag=no), packets:3, bytes:366, used:' "$out/dump-flows.txt" ||
  fail "dump-flows: $(cat "$out/dump-flows.txt")"
[[ $(wc -l < "$out/dump-flows.txt") == 3 ]] || fail "dump-flows: $(cat "$out/dump-flows.txt")"
/usr/bin/python3 - "$out/counters.json" <<'EOF' || fail "counters.json"
import json, sys
dp = json.load(open(sys.argv[1]))[0]
ports = {p["port_no"]: p for p in dp["ports"]}
assert dp["stats"]["hit"] == 5 and dp["stats"]["missed"] == 1, dp["stats"]
assert ports[2]["stats"]["tx_packets"] == 3, ports[2]
assert ports[1]["stats"]["rx_packets"] == 4, ports[1]
assert ports[1]["drops"]["datapath_drop_rx_invalid_packet"] == 1, ports[1]
EOF

# The same run again gives the same captures (timestamps included).
as_nobody "$work/fpctl" replay --flows "$work/flows.txt" --in 1=$work/in1.pcap --in 2=$work/in2.pcap \
  --in 3=$work/in3.pcap --ports 1,2,3,4 --out "$work/again" || fail "second run"
for n in 0 1 2 3 4; do cmp "$out/port-$n.pcap" "$work/again/port-$n.pcap" || fail "port-$n.pcap differs"; done

# ---- --batch 4: the same frames out, the trace says which batch.
as_nobody "$work/fpctl" replay --flows "$work/flows.txt" --in 1=$work/in1.pcap --in 2=$work/in2.pcap \
  --in 3=$work/in3.pcap --ports 1,2,3,4 --out "$work/batch" --batch 4 || fail "--batch 4"
/usr/bin/python3 "$here/gen_replay_pcaps.py" --check "$work" "$work/batch" flows bytes-only ||
  fail "--batch output frames"
grep -q '^7 in_port 1; drop (datapath_drop_rx_invalid_packet); batch 4-7; output 2:2; drop (' "$work/batch/trace.txt" || fail "--batch trace: $(cat "$work/batch/trace.txt")"

# ---- --mtu: a port's MTU keeps larger frames from it.
as_nobody "$work/fpctl" replay --flows "$work/flows.txt" --in 1=$work/in1.pcap --mtu 2=100 \
  --out "$work/mtu" || fail "--mtu"
grep -q '^4 in_port 1 .*; output none; drop (datapath_drop_mtu_exceeded)$' "$work/mtu/trace.txt" ||
  fail "--mtu trace: $(cat "$work/mtu/trace.txt")"

# ---- --bridge with NORMAL: a flood, then learning.
echo 'actions=NORMAL' > "$work/normal.rules"
as_nobody "$work/fpctl" replay --bridge "$work/normal.rules" --in 1=$work/learn1.pcap \
  --in 2=$work/learn2.pcap --ports 3 --out "$work/bridge" || fail "--bridge"
sed -n 1p "$work/bridge/trace.txt" | grep -q '; miss; slow path installed ufid:.*; output 0:1 2:1 3:1$' ||
  fail "bridge trace line 1: $(cat "$work/bridge/trace.txt")"
sed -n 2p "$work/bridge/trace.txt" | grep -q '; miss; slow path installed ufid:.* actions:1; output 1:1$' ||
  fail "bridge trace line 2: $(cat "$work/bridge/trace.txt")"
sed -n 3p "$work/bridge/trace.txt" | grep -q '; hit ufid:.* actions:2; output 2:1$' ||
  fail "bridge trace line 3 (learned): $(cat "$work/bridge/trace.txt")"
/usr/bin/python3 "$here/gen_replay_pcaps.py" --check "$work" "$work/bridge" bridge || fail "bridge output frames"

# ---- --vlan-limit: a flow with two VLAN tags is refused under Open vSwitch's
# default (1) and accepted with --vlan-limit 0, as Open vSwitch's datapath does.
qinq='in_port(1),eth(),eth_type(0x88a8),vlan(vid=5,pcp=0),encap(eth_type(0x8100),vlan(vid=7,pcp=0),encap(eth_type(0x0800),ipv4(frag=no))) 2'
echo "$qinq" > "$work/qinq.txt"
for limit in default 0; do
  args=(); [ "$limit" = default ] || args=(--vlan-limit "$limit")
  as_nobody "$work/fpctl" replay --flows "$work/qinq.txt" --in 1=$work/in1.pcap "${args[@]}" \
    --out "$work/vlan-$limit" >/dev/null 2>&1 || fail "replay --vlan-limit $limit did not run"
done
grep -q '^1: error: .*vlan' "$work/vlan-default/flows.result" ||
  fail "two tags under the default vlan-limit: $(cat "$work/vlan-default/flows.result")"
grep -qx '1: ok' "$work/vlan-0/flows.result" ||
  fail "two tags under --vlan-limit 0: $(cat "$work/vlan-0/flows.result")"

# ---- Bad input: precise errors.
expect_error() {
  local pattern=$1; shift
  local message
  if message=$(as_nobody "$work/fpctl" "$@" 2>&1); then fail "accepted: $*"; fi
  grep -q -- "$pattern" <<< "$message" || fail "for $*: expected \"$pattern\", got: $message"
}
expect_error "cannot read rx file" replay --flows "$work/flows.txt" --in 1=$work/missing.pcap --out "$work/e1"
expect_error "has link type RAW, expected EN10MB" replay --flows "$work/flows.txt" \
  --in 1=$work/raw.pcap --out "$work/e2"
expect_error 'is not a port number' replay --flows "$work/flows.txt" --in x=$work/in1.pcap --out "$work/e3"
expect_error 'vlan-limit' replay --flows "$work/flows.txt" --in 1=$work/in1.pcap \
  --vlan-limit 9999 --out "$work/e4"
expect_error 'port 1 is given two captures' replay --flows "$work/flows.txt" --in 1=$work/in1.pcap \
  --in 1=$work/in2.pcap --out "$work/e5"
expect_error 'mtu' replay --flows "$work/flows.txt" --in 1=$work/in1.pcap --mtu 1=20 --out "$work/e6"
echo "ok: fpctl replay as nobody: flows, trace, dump, batch, mtu, bridge with NORMAL, bad input"
