#!/usr/bin/env bash
# VLANs of the NORMAL action on one bridge:
#   - access ports tag=10 (hosts p, q) and tag=20 (hosts r, s, and x, which
#     has an address in VLAN 10's subnet): pings within a VLAN work, across
#     VLANs they fail, and nothing of VLAN 10 reaches a VLAN 20 port
#   - a trunk port (trunks=10,20) to host t with VLAN subinterfaces reaches
#     both VLANs; on the trunk's veth the frames carry 802.1Q tags 10 and 20,
#     on access ports they carry none. (Where the kernel has no 802.1Q
#     devices, t is a scapy responder that answers ARP and ping on each VLAN
#     with tagged frames.)
#   - the MAC table keeps one entry per (VLAN, MAC)
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
. "$(dirname "$0")/slow_path_lib.sh"
start_daemon

fpctl add-br "$BR" || { echo "FAIL: add-br"; exit 1; }
add_bridge_host p 10.254.10.1 tag=10
add_bridge_host q 10.254.10.2 tag=10
add_bridge_host r 10.254.20.1 tag=20
add_bridge_host s 10.254.20.2 tag=20
add_bridge_host x 10.254.10.9 tag=20   # VLAN 20, VLAN 10's subnet

# The trunk host: untagged eth0 without an address; 10.254.10.100 on VLAN
# 10 and 10.254.20.100 on VLAN 20.
add_host t 10.254.99.1
in_host t ip addr flush dev eth0
# Tags stay in the frames (no VLAN offload) so tcpdump and the datapath see them.
in_host t ethtool -K eth0 rxvlan off txvlan off >/dev/null 2>&1
ethtool -K "$RUN-t" rxvlan off txvlan off >/dev/null 2>&1
if in_host t ip link add link eth0 name eth0.10 type vlan id 10 2>/dev/null; then
  in_host t ip link add link eth0 name eth0.20 type vlan id 20
  for vid in 10 20; do
    in_host t ip addr add "10.254.$vid.100/24" dev "eth0.$vid"
    in_host t ip link set "eth0.$vid" up
  done
else
  echo "note: no 802.1Q devices in this kernel; t is a scapy responder"
  cat > "$WORK/vlan_responder.py" <<'PYEOF'
# Answers ARP requests and pings for one address per VLAN, with tagged
# frames, on eth0: argv = ready-file, then VID=ADDRESS pairs.
import sys
from scapy.all import ARP, Dot1Q, Ether, ICMP, IP, get_if_hwaddr, sendp, sniff
ready, addresses = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
mac = get_if_hwaddr("eth0")
def answer(frame):
    if Dot1Q not in frame or frame[Ether].src == mac:
        return
    vid = str(frame[Dot1Q].vlan)
    ip = addresses.get(vid)
    if ip is None:
        return
    tag = Ether(src=mac, dst=frame[Ether].src) / Dot1Q(vlan=int(vid))
    if ARP in frame and frame[ARP].op == 1 and frame[ARP].pdst == ip:
        sendp(tag / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=frame[ARP].hwsrc, pdst=frame[ARP].psrc),
              iface="eth0", verbose=False)
    elif ICMP in frame and frame[ICMP].type == 8 and frame[IP].dst == ip:
        echo = frame[ICMP]
        sendp(tag / IP(src=ip, dst=frame[IP].src) /
              ICMP(type=0, id=echo.id, seq=echo.seq) / bytes(echo.payload),
              iface="eth0", verbose=False)
sniff(iface="eth0", prn=answer, store=False, started_callback=lambda: open(ready, "w").close())
PYEOF
  in_host_bg t "$PY" "$WORK/vlan_responder.py" "$WORK/responder.ready" 10=10.254.10.100 20=10.254.20.100
  for _ in $(seq 100); do [ -e "$WORK/responder.ready" ] && break; sleep 0.1; done
fi
fpctl add-port "$BR" "$RUN-t" trunks=10,20 || { echo "FAIL: add-port trunk"; exit 1; }

ports=$(fpctl --format json list-ports "$BR")
check "list-ports --format json lists six ports" \
  test "$("$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$ports")" = 6
show=$(fpctl of show "$BR")
check "of show: p is an access port of VLAN 10" \
  grep -q "vlan_mode:  access tag=10" <(grep -A3 "($RUN-p)" <<<"$show")
check "of show: t is a trunk of 10,20" \
  grep -q "vlan_mode:  trunk trunks=10,20" <(grep -A3 "($RUN-t)" <<<"$show")

start_capture "$WORK/trunk.txt" -i "$RUN-t" -nn -e -c 400 vlan
trunk_dump=$CAPTURE_PID
start_capture "$WORK/access.txt" -i "$RUN-p" -nn -e -c 400
access_dump=$CAPTURE_PID

# ---- within a VLAN
check "VLAN 10: p -> q" in_host p ping -c 2 -i 0.2 -W 2 -q 10.254.10.2
check "VLAN 20: r -> s" in_host r ping -c 2 -i 0.2 -W 2 -q 10.254.20.2

# ---- across VLANs: x is on VLAN 10's subnet but in VLAN 20
x_rx() { fpctl --format json of dump-ports "$BR" "$RUN-x" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["tx_packets"])'; }
x_before=$(x_rx)
check_not "isolation: p cannot reach x" in_host p ping -c 2 -i 0.2 -W 1 -q 10.254.10.9
check_not "isolation: x cannot reach q" in_host x ping -c 2 -i 0.2 -W 1 -q 10.254.10.2
x_after=$(x_rx)
# x's own ARP requests never come back to it; nothing of VLAN 10 may reach it.
check "isolation: the bridge sent x nothing while p tried ($x_before -> $x_after)" \
  test "$x_before" = "$x_after"

# ---- the trunk reaches both VLANs
check "trunk: p -> t (VLAN 10)" in_host p ping -c 2 -i 0.2 -W 2 -q 10.254.10.100
check "trunk: q -> t (VLAN 10)" in_host q ping -c 2 -i 0.2 -W 2 -q 10.254.10.100
check "trunk: r -> t (VLAN 20)" in_host r ping -c 2 -i 0.2 -W 2 -q 10.254.20.100
check "trunk: s -> t (VLAN 20)" in_host s ping -c 2 -i 0.2 -W 2 -q 10.254.20.100
check_not "trunk: x cannot reach t's VLAN 10 address" in_host x ping -c 2 -i 0.2 -W 1 -q 10.254.10.100

# Every ping above was answered, so its frames have crossed the trunk; the
# capture prints them line by line.
wait_until 10 test "$(grep -c 'ICMP echo' "$WORK/trunk.txt")" -ge 12
kill "$trunk_dump" "$access_dump" 2>/dev/null
wait "$trunk_dump" "$access_dump" 2>/dev/null
check "the trunk carries 802.1Q vlan 10" grep -q "vlan 10," "$WORK/trunk.txt"
check "the trunk carries 802.1Q vlan 20" grep -q "vlan 20," "$WORK/trunk.txt"
check "the trunk carried ICMP of both VLANs" \
  test "$(grep -c 'ICMP echo' "$WORK/trunk.txt")" -ge 12
check "p's access port saw traffic" grep -q "ICMP echo" "$WORK/access.txt"
check_not "p's access port saw no 802.1Q tag" grep -q "802.1Q" "$WORK/access.txt"

fdb=$(fpctl fdb-show "$BR")
echo "$fdb" | sed 's/^/  /'
check "fdb: t's MAC learned in VLAN 10 on the trunk (port 6)" grep -Eq "^ +6 +10  $(host_mac t) " <<<"$fdb"
check "fdb: t's MAC learned in VLAN 20 on the trunk (port 6)" grep -Eq "^ +6 +20  $(host_mac t) " <<<"$fdb"
check "fdb: p's MAC learned in VLAN 10 on port 1" grep -Eq "^ +1 +10  $(host_mac p) " <<<"$fdb"

trace=$(fpctl trace "$BR" "in_port=1,dl_src=$(host_mac p),dl_dst=ff:ff:ff:ff:ff:ff,arp")
echo "$trace" | sed 's/^/  /'
# The output ports of the actions, without what is in parentheses.
outputs=$(sed -n 's/^Datapath actions: //p' <<<"$trace" | sed 's/([^)]*)//g' | tr ',' '\n' | grep -x '[0-9]*' | sort -n | tr '\n' ' ')
check "trace: a broadcast from p is tagged 10 for the trunk" grep -q 'push_vlan(vid=10,' <<<"$trace"
check "trace: ... and reaches q (2) and the trunk (6), no VLAN 20 port (outputs: $outputs)" \
  bash -c "[[ ' $outputs' == *' 2 '* && ' $outputs' == *' 6 '* && ' $outputs' != *' 3 '* && ' $outputs' != *' 4 '* && ' $outputs' != *' 5 '* ]]"
finish
