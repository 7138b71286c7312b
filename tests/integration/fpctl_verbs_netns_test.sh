#!/usr/bin/env bash
# Every fpctl verb end to end, in text and in --format json, against a private
# flowpathd in a namespace of its own (its routes are the test's):
#   - each verb runs in both forms (T and J below) and must succeed; a verb
#     that changes state runs once in each form and is checked by its effect
#     (a follow-up dump);
#   - the text carries the expected facts, and text and JSON agree on them;
#   - every JSON output is validated against its schema,
#     tests/schemas/fpctl/VERB.json (fpctl_verbs_check.py), the documented
#     JSON shapes (docs/control.md, "JSON output");
#   - `fpctl --list-verbs` names no verb this test did not run in both forms
#     and has no schema for: a new verb cannot come untested;
#   - one bad input per verb family exits non-zero with one "fpctl: ..."
#     line on stderr and nothing on stdout, in both forms.
set -uo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$HERE/../schemas/fpctl
. "$HERE/netns_lib.sh"

SW=$RUN-sw
DP=${RUN}dp
BR=${RUN}br
BRX=${RUN}bx  # the controller and fail-mode verbs' bridge
OUT=$WORK/verbs
mkdir -p "$OUT"
ip netns add "$SW"; NAMESPACES+=("$SW")
ip -n "$SW" link set lo up
add_switch_host a 10.249.0.1
add_switch_host b 10.249.0.2
add_switch_host c 10.249.0.3
# An underlay device with an address and routes for ovs/route/*.
must ip -n "$SW" link add "${RUN}u0" type veth peer name "${RUN}u1"
must ip -n "$SW" link set "${RUN}u1" up
must ip -n "$SW" link set "${RUN}u0" up
must ip -n "$SW" addr add 192.0.2.1/24 dev "${RUN}u0"
# (a log file, so that vlog/set has no note to give)
DAEMON_NETNS=$SW start_daemon --no-state --log-file "$WORK/flowpathd.file.log"

# The verb of an fpctl command line: "of X" and "odp X" are two words.
verb_of() { case $1 in of|odp) echo "$1 $2" ;; *) echo "$1" ;; esac; }
key_of() { local v; v=$(verb_of "$@"); v=${v// /_}; echo "${v//\//_}"; }

# T ARGS... / J ARGS...: runs fpctl ARGS in text / JSON form; it must exit 0
# with nothing on stderr. The output is kept as $OUT/KEY.text / KEY.json
# (KEY: the verb, "_" for " " and "/"), the last run of each form.
T() { run_form text "$@"; }
J() { run_form json "$@"; }
run_form() {
  local form=$1; shift
  local key; key=$(key_of "$@")
  local out=$OUT/$key.$form
  "$BIN/fpctl" --socket "$SOCK" --format "$form" "$@" > "$out.new" 2> "$out.err"
  local status=$?
  if [ "$status" -ne 0 ] || [ -s "$out.err" ]; then
    echo "FAIL: fpctl --format $form $* exited $status: $(head -3 "$out.err")"
    FAILURES=$((FAILURES + 1))
    return 1
  fi
  mv "$out.new" "$out"
  [ "$form" = json ] && keep_json "$key"
  return 0
}
# keep_json KEY: every JSON output is validated, not only the last of a verb.
SEQ=0
mkdir -p "$OUT/all"
keep_json() { SEQ=$((SEQ + 1)); cp "$OUT/$1.json" "$OUT/all/$1.$SEQ.json"; }
# jqv KEY FILTER: jq -r FILTER on the last JSON output of KEY's verb.
jqv() { jq -r "$2" "$OUT/$1.json"; }
# text_has KEY LINE...: each LINE is a whole line of KEY's text output.
text_has() {
  local key=$1; shift
  [ $# -gt 0 ] || return 1
  local line
  for line in "$@"; do
    grep -qxF -- "$line" "$OUT/$key.text" || { echo "  no line \"$line\" in $key's text"; return 1; }
  done
}
# agree KEY FILTER: every line jq -r FILTER prints from KEY's JSON is a line
# of its text (and there is at least one).
agree() {
  local lines
  mapfile -t lines < <(jqv "$1" "$2")
  [ "${#lines[@]}" -gt 0 ] || { echo "  $1: \"$2\" gives nothing"; return 1; }
  text_has "$1" "${lines[@]}"
}
# contains KEY FILTER: as agree, but each line is a part of a line.
contains() {
  local lines line
  mapfile -t lines < <(jqv "$1" "$2")
  [ "${#lines[@]}" -gt 0 ] || { echo "  $1: \"$2\" gives nothing"; return 1; }
  for line in "${lines[@]}"; do
    grep -qF -- "$line" "$OUT/$1.text" || { echo "  nothing like \"$line\" in $1's text"; return 1; }
  done
}
# same KEY FILTER: the text output is exactly what jq -r FILTER prints.
same() { diff <(jqv "$1" "$2") "$OUT/$1.text"; }
# jtrue KEY EXPRESSION: the JSON output satisfies EXPRESSION.
jtrue() { jq -e "$2" "$OUT/$1.json" > /dev/null; }
# now KEY EXPRESSION ARGS...: runs ARGS in JSON form, then jtrue.
now() { local key=$1 e=$2; shift 2; J "$@" && jtrue "$key" "$e"; }
# refuse STATUS REGEX ARGS...: fails in both forms with exit STATUS, one
# stderr line matching REGEX, and nothing on stdout.
refuse() {
  local want=$1 pattern=$2; shift 2
  local form status ok=0
  for form in text json; do
    "$BIN/fpctl" --socket "$SOCK" --format "$form" "$@" > "$OUT/refused.out" 2> "$OUT/refused.err" < /dev/null
    status=$?
    if [ "$status" -ne "$want" ] || [ "$(wc -l < "$OUT/refused.err")" -ne 1 ] ||
       ! grep -qE -- "$pattern" "$OUT/refused.err" || [ -s "$OUT/refused.out" ]; then
      echo "  --format $form $*: exit $status (want $want), stderr: $(head -3 "$OUT/refused.err"), stdout: $(head -c 200 "$OUT/refused.out")"
      ok=1
    fi
  done
  return $ok
}

# ---- odp: offline ----------------------------------------------------------
KEY='in_port(1),eth(src=00:00:00:00:00:01,dst=00:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)'
echo "$KEY" > "$WORK/keys"
echo 'in_port(1),eth_type(0x0800),ipv4(dst=10.0.0.0/255.0.0.0,frag=no)' > "$WORK/wc-keys"
echo 'push_vlan(vid=5,pcp=0),2,ct(commit,zone=3)' > "$WORK/actions"
for f in T J; do
  $f odp parse-keys < "$WORK/keys"
  $f odp parse-wc-keys < "$WORK/wc-keys"
  $f odp parse-actions < "$WORK/actions"
done
for v in parse-keys parse-wc-keys parse-actions; do
  check "odp $v: the text is each JSON entry's output" same "odp_$v" '.[].output'
done
check "odp parse-keys: the key, canonical" jtrue odp_parse-keys '.[0].output | startswith("skb_priority(0),") and contains(",in_port(1),") and endswith(",udp(src=1,dst=2)")' 
/usr/bin/python3 - "$WORK/one.pcap" <<'EOF'
import struct, sys
frame = bytes.fromhex("000000000002000000000001080045000020000100004011" "0000" "0a0000010a000002" "00010002000c0000" "61626364")
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
EOF
T odp extract --in-port 3 "$WORK/one.pcap"
J odp extract --in-port 3 "$WORK/one.pcap"
check "odp extract: text and JSON give the key" same odp_extract '.[]'
check "odp extract: the packet's in_port and addresses" \
  grep -q 'in_port(3),.*ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17' "$OUT/odp_extract.text"
check "odp: a missing capture is refused" refuse 1 '^fpctl: /nonexistent.pcap: ' odp extract /nonexistent.pcap

# ---- datapath verbs --------------------------------------------------------
must T add-dp "$DP" "$RUN-a"
J add-dp "${DP}2"
check "add-dp: JSON names the datapath" jtrue add-dp ".dp == \"${DP}2\""
T add-dp "${DP}3"
T dump-dps; J dump-dps
check "dump-dps: both datapaths, text and JSON agree" same dump-dps '.[] | "flowpath@" + .'
check "dump-dps: lists the new datapaths" text_has dump-dps "flowpath@$DP" "flowpath@${DP}2"
T del-dp "${DP}2"
J del-dp "${DP}3"
check "del-dp: both gone" now dump-dps "index(\"${DP}2\") == null and index(\"${DP}3\") == null" dump-dps
T add-if "$DP" "${RUN}t0,type=tap"
J add-if "$DP" "${RUN}t1,type=tap"
check "add-if: JSON gives the interface and its number" jtrue add-if ".[0].interface == \"${RUN}t1\" and .[0].port_no == 3"
T set-if "$DP" "${RUN}t0,type=tap,mtu=1400"
J set-if "$DP" "${RUN}t1,type=tap,mtu=1300"
T show -s "$DP"; J show "$DP"
check "show: the datapath and each port, text and JSON agree" \
  agree show '.[] | "flowpath@" + .name + ":", (.ports[] | "  port \(.port_no): \(.name) (\(.type): mtu=\(.mtu))")'
check "show: the flows and limits agree" agree show '.[0].stats | "  flows: \(.flows)", "  flow limit: \(.flow_limit) (set: \(.flow_limit_configured))  upcall rate: unlimited  emc: \(if .emc then "on" else "off" end)\(if .emc_insert_inv_prob == 0 then " (insert: never)" else " (insert: 1/\(.emc_insert_inv_prob))" end)  handlers: \(.handler_threads)"'
check "set-if: the MTUs set" jtrue show '[.[0].ports[] | select(.mtu == 1400 or .mtu == 1300)] | length == 2'
T del-if "$DP" "${RUN}t0"
J del-if "$DP" "${RUN}t1"
check "del-if: both ports gone" now show "[.[0].ports[].name] == [\"$DP\", \"$RUN-a\"]" show "$DP"
T add-if "$DP" "${RUN}t2,type=tap"  # port 2 from here on
T set-dp "$DP" --flow-limit 5000
J set-dp "$DP" --upcall-rate 0 --emc on
check "set-dp: JSON gives the settings" jtrue set-dp '.flow_limit == 5000 and .upcall_rate == 0 and .emc == true'
check "set-dp: the flow limit set" now show '.[0].stats.flow_limit_configured == 5000' show "$DP"
T set-threads --handler-threads 2
check "set-threads: the text gives the handler threads" grep -qx 'handler threads: 2' "$OUT/set-threads.text"
J set-threads --handler-threads 1
check "set-threads: JSON gives the handler threads and a CPU per forwarding thread" \
  jtrue set-threads '.handler_threads == 1 and (.forwarding_cpus | length) >= 1'

F1='in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)'
F2='in_port(1),eth(),eth_type(0x86dd),ipv6(frag=no)'
T add-flow "$DP" "$F1" 2
J add-flow "$DP" "$F2" 2
check "add-flow: JSON gives the ufid, created" jtrue add-flow '.created == true and (.ufid | startswith("ufid:"))'
UFID2=$(jqv add-flow .ufid)
T mod-flow "$DP" "$F1" 1
J mod-flow "$DP" "$F2" 1,2
check "mod-flow: JSON gives the previous counters" jtrue mod-flow '.created == false and .previous.packets == 0'
T get-flow "$DP" "$UFID2"; J get-flow "$DP" "$UFID2"
check "get-flow: text and JSON agree" agree get-flow '"\(.ufid), \(.flow), packets:\(.packets), bytes:\(.bytes), used:never, dp:ovs, actions:\(.actions)"'
check "get-flow: the actions mod-flow set" jtrue get-flow '.actions == "1,2"'
T dump-flows "$DP"; J dump-flows "$DP"
check "dump-flows: each flow, text and JSON agree" \
  same dump-flows '.[] | "\(.flow), packets:\(.packets), bytes:\(.bytes), used:never, actions:\(.actions)"'
check "dump-flows: both flows" jtrue dump-flows 'length == 2'
T del-flow "$DP" "$F1"
J del-flow "$DP" "$UFID2"
check "del-flow: JSON gives the flow deleted" jtrue del-flow '.actions == "1,2"'
check "del-flow: none left" now dump-flows 'length == 0' dump-flows "$DP"
T add-flow "$DP" "$F1" 2
T del-flows "$DP"
check "del-flows (text): none left" now dump-flows 'length == 0' dump-flows "$DP"
T add-flow "$DP" "$F2" 2
J del-flows "$DP"
check "del-flows (JSON): none left" now dump-flows 'length == 0' dump-flows "$DP"
# A UDP frame from host a's side, out of port 2.
FRAME=00000000000200000000000108004500001c00010000401166ce0a0000010a0000020001000200080000000000000000000000000000000000000000
T execute "$DP" "$FRAME" 2 --in-port 1
J execute "$DP" "$FRAME" 2 --in-port 1
check "execute: sent, nothing dropped" jtrue execute '.sent == 1 and .dropped == 0'
T pmd-stats-show; J pmd-stats-show
check "pmd-stats-show: each thread, text and JSON agree" \
  agree pmd-stats-show '.[] | if .id == null then "main thread:" elif .cpu == null then "pmd thread id \(.id) (not pinned):" else "pmd thread id \(.id) core_id \(.cpu):" end'
check "dpctl: a bad flow is refused" refuse 1 '^fpctl: .*bogus' add-flow "$DP" 'in_port(1),bogus(1)' 2
check "dpctl: an unknown datapath is refused" refuse 1 "^fpctl: .*nosuch" show nosuch

# ---- trace-packets ----------------------------------------------------------
# trace_one FORM: traces one packet received on port 1 (host a pings).
# (a static neighbour: every ping sends its packet, no ARP)
must ip -n "$RUN-a" neigh replace 10.249.0.2 lladdr 02:00:00:00:00:02 dev eth0
trace_one() {
  local form=$1 key=$OUT/trace-packets
  "$BIN/fpctl" --socket "$SOCK" --format "$form" trace-packets "$DP" "$RUN-a" -c 1 --timeout 20 \
    > "$key.$form" 2> "$key.$form.err" &
  local pid=$!
  wait_until 10 grep -q '^tracing' "$key.$form.err"
  # (no answer comes: the ping is left to end on its own)
  in_host_bg a ping -c 1 -W 1 10.249.0.2 > /dev/null 2>&1
  wait "$pid" || return 1
  [ "$form" = text ] || keep_json trace-packets
}
T add-flow "$DP" "$F2" 2
check "trace-packets (text)" trace_one text
check "trace-packets (JSON)" trace_one json
check "trace-packets: one record, received on port 1" \
  jtrue trace-packets 'length == 1 and .[0].in_port == 1 and (.[0].passes | length) >= 1'
check "trace-packets: text and JSON agree" \
  agree trace-packets '.[0] | "  pass 0: \(.passes[0].key)", "  result: sent \(.sent), upcalls \(.upcalls), dropped \(.dropped)" + (if (.drops | length) > 0 then " (" + ([.drops | to_entries[] | "\(.key) \(.value)"] | join(", ")) + ")" else "" end)'
check "trace-packets: an unknown datapath is refused" refuse 1 '^fpctl: .*nosuch' trace-packets nosuch -c 1 --timeout 1

# ---- conntrack and fragments -------------------------------------------------
# A UDP packet committed in zone 5 (and one in zone 0) gives entries to show.
must J execute "$DP" "$FRAME" 'ct(commit,zone=5),2' --in-port 1
must J execute "$DP" "$FRAME" 'ct(commit),2' --in-port 1
T dump-conntrack "$DP"; J dump-conntrack "$DP"
check "dump-conntrack: text and JSON agree" same dump-conntrack '.[].text'
check "dump-conntrack: the connection in zone 5" \
  grep -q 'udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2).*zone=5' "$OUT/dump-conntrack.text"
T ct-stats-show "$DP"; J ct-stats-show "$DP"
check "ct-stats-show: the totals agree" agree ct-stats-show '"    Total: \(.total)", "  UDP: \(.protocols.udp)"'
T ct-get-nconns "$DP"; J ct-get-nconns "$DP"
check "ct-get-nconns: 2, text and JSON" same ct-get-nconns '.nconns'
check "ct-get-nconns: 2 connections" jtrue ct-get-nconns '.nconns == 2'
T ct-set-maxconns "$DP" 1000
J ct-set-maxconns "$DP" 2000
T ct-get-maxconns "$DP"; J ct-get-maxconns "$DP"
check "ct-set-maxconns / ct-get-maxconns: 2000, text and JSON" same ct-get-maxconns '.maxconns'
check "ct-set-maxconns: the value set" jtrue ct-get-maxconns '.maxconns == 2000'
T ct-disable-tcp-seq-chk "$DP"
T ct-get-tcp-seq-chk "$DP"
check "ct-disable-tcp-seq-chk" text_has ct-get-tcp-seq-chk "TCP sequence checking: disabled"
T ct-enable-tcp-seq-chk "$DP"
J ct-disable-tcp-seq-chk "$DP"
check "ct-disable-tcp-seq-chk (JSON)" now ct-get-tcp-seq-chk '.enabled == false' ct-get-tcp-seq-chk "$DP"
J ct-enable-tcp-seq-chk "$DP"
check "ct-enable-tcp-seq-chk (JSON)" now ct-get-tcp-seq-chk '.enabled == true' ct-get-tcp-seq-chk "$DP"
T ct-set-limits "$DP" default=100 zone=5,limit=10
J ct-set-limits "$DP" zone=6,limit=20
T ct-get-limits "$DP" zone=5,6; J ct-get-limits "$DP" zone=5,6
check "ct-get-limits: text and JSON agree" same ct-get-limits '"default limit=\(.default)", (.zones[] | "zone=\(.zone),limit=\(.limit),count=\(.count)")'
check "ct-set-limits: the limits set, zone 5 counts its connection" \
  jtrue ct-get-limits '.default == 100 and .zones == [{"zone":5,"limit":10,"count":1},{"zone":6,"limit":20,"count":0}]'
T ct-del-limits "$DP" zone=5
J ct-del-limits "$DP" zone=6
check "ct-del-limits: both zones back to the default" \
  now ct-get-limits '[.zones[].limit] == [100, 100]' ct-get-limits "$DP" zone=5,6
T flush-conntrack "$DP" zone=5
check "flush-conntrack zone=5: one left" now ct-get-nconns '.nconns == 1' ct-get-nconns "$DP"
J flush-conntrack "$DP"
check "flush-conntrack: none left" now ct-get-nconns '.nconns == 0' ct-get-nconns "$DP"
check "conntrack: a bad maxconns is refused" refuse 2 '^fpctl: ct-set-maxconns: "many" is not a number' ct-set-maxconns "$DP" many
T ipf-set-enabled "$DP" v4
J ipf-set-enabled "$DP" v6
T ipf-set-disabled "$DP" v4
J ipf-set-disabled "$DP" v6
T ipf-set-min-frag "$DP" v4 1000
J ipf-set-min-frag "$DP" v6 1280
T ipf-set-max-nfrags "$DP" 500
J ipf-set-max-nfrags "$DP" 600
T ipf-get-status "$DP"; J ipf-get-status "$DP"
check "ipf: the settings made" \
  jtrue ipf-get-status '.v4.enabled == false and .v6.enabled == false and .max_nfrags == 600 and .v4.min_frag_size == 1000 and .v6.min_frag_size == 1280'
check "ipf-get-status: text and JSON agree" \
  agree ipf-get-status '"        max num frags (v4/v6): \(.max_nfrags)", "        min v4 frag size: \(.v4.min_frag_size)", "        min v6 frag size: \(.v6.min_frag_size)", "        v4 enabled: \(if .v4.enabled then 1 else 0 end)"'
check "ipf-set-enabled (text) says so" text_has ipf-set-enabled "ipf-set-enabled successful"
check "ipf: a bad family is refused" refuse 2 '^fpctl: ipf-set-enabled: "v5" is neither v4 nor v6' ipf-set-enabled "$DP" v5

# ---- bridges ---------------------------------------------------------------
T add-br "$BR"
J add-br "$BRX"
T add-br "${RUN}b2"; T add-br "${RUN}b3"
T del-br "${RUN}b2"
J del-br "${RUN}b3"
T list-br; J list-br
check "list-br: text and JSON agree" same list-br '. | sort[]'
check "add-br/del-br: the two bridges left" jtrue list-br "sort == [\"$BR\", \"$BRX\"]"
T br-exists "$BR"; J br-exists "$BR"
check "br-exists: true" jtrue br-exists '.exists == true'
missing_bridge_exits_2() {
  local form
  for form in text json; do
    "$BIN/fpctl" --socket "$SOCK" --format "$form" br-exists nosuch > "$OUT/missing.$form" 2>&1
    [ $? -eq 2 ] || return 1
  done
  [ ! -s "$OUT/missing.text" ] && [ "$(jq -c . "$OUT/missing.json")" = '{"exists":false}' ]
}
check "br-exists: a missing bridge exits 2 (JSON: exists false)" missing_bridge_exits_2
T add-port "$BR" "$RUN-b"
J add-port "$BR" "$RUN-c"
T add-port "$BR" "${RUN}i1" type=internal
T add-port "$BR" "${RUN}i2" type=internal
T del-port "$BR" "${RUN}i1"
J del-port "${RUN}i2"
T list-ports "$BR"; J list-ports "$BR"
check "list-ports: text and JSON agree" same list-ports 'sort[]'
check "add-port/del-port: the two ports left" jtrue list-ports "sort == [\"$RUN-b\", \"$RUN-c\"]"
T set-mac-table "$BR" size=1000
J set-mac-table "$BR" aging=120
T of show "$BR"; J of show "$BR"
check "set-mac-table: the size and aging set" jtrue of_show '.bridge.mac_table_size == 1000 and .bridge.mac_aging == 120'
check "of show: text and JSON agree" \
  agree of_show '"bridge \(.bridge.name): mac_table_size=\(.bridge.mac_table_size) mac_aging=\(.bridge.mac_aging)s max_idle=\(.bridge.max_idle_ms)ms", (.ports[] | " \(if .ofport == 4294967294 then "LOCAL" else .ofport end)(\(.name)): type=\(.type) dp_port=\(.dp_port)")'
PB=$(jqv of_show ".ports[] | select(.name == \"$RUN-b\") | .ofport")
PC=$(jqv of_show ".ports[] | select(.name == \"$RUN-c\") | .ofport")
T set-controller "$BRX" tcp:127.0.0.1:6653
J set-controller "$BRX" tcp:127.0.0.1:6654 tcp:127.0.0.1:6655
T get-controller "$BRX"; J get-controller "$BRX"
check "set-controller / get-controller: text and JSON agree" same get-controller '.targets | sort[]'
check "set-controller: the targets set" jtrue get-controller '.targets | sort == ["tcp:127.0.0.1:6654", "tcp:127.0.0.1:6655"]'
T del-controller "$BRX"
check "del-controller (text)" now get-controller '.targets == []' get-controller "$BRX"
T set-controller "$BRX" tcp:127.0.0.1:6653
J del-controller "$BRX"
check "del-controller (JSON)" now get-controller '.targets == []' get-controller "$BRX"
T set-fail-mode "$BRX" secure
T get-fail-mode "$BRX"
check "set-fail-mode (text)" text_has get-fail-mode secure
J set-fail-mode "$BRX" standalone
check "set-fail-mode (JSON)" now get-fail-mode '.fail_mode == "standalone"' get-fail-mode "$BRX"
T del-fail-mode "$BRX"
check "del-fail-mode (text)" now get-fail-mode '.fail_mode == null' get-fail-mode "$BRX"
T set-fail-mode "$BRX" secure
J del-fail-mode "$BRX"
check "del-fail-mode (JSON)" now get-fail-mode '.fail_mode == null' get-fail-mode "$BRX"
check "bridges: a port on no bridge is refused" refuse 1 '^fpctl: .*nosuch' add-port nosuch "$RUN-a"

# MAC learning: hosts b and c ping each other through NORMAL. (The bridge's
# own port may send at any time: only the hosts' entries are checked; a host
# may send again right after the flush (a neighbour probe), so an entry
# learned since, under a second old, is not one the flush left.)
must in_host b ping -c 1 -W 2 10.249.0.3 > /dev/null
T fdb-show "$BR"; J fdb-show "$BR"
check "fdb-show: both hosts learned" jtrue fdb-show "[.[].port] | contains([$PB, $PC])"
check "fdb-show: text and JSON agree (but the ages)" \
  contains fdb-show '.[] | "\(if .port == 4294967294 then "LOCAL" else .port end | tostring | (" " * (5 - length)) + .)  \(.vlan | tostring | (" " * (4 - length)) + .)  \(.mac)  "'
T fdb-flush "$BR"
check "fdb-flush (text) says so" text_has fdb-flush "table successfully flushed"
check "fdb-flush (text): the hosts forgotten" now fdb-show "all(.[]; (.port != $PB and .port != $PC) or .age_ms < 1000)" fdb-show "$BR"
must in_host b ping -c 1 -W 2 10.249.0.3 > /dev/null
J fdb-flush "$BR"
check "fdb-flush (JSON): the hosts forgotten" now fdb-show "all(.[]; (.port != $PB and .port != $PC) or .age_ms < 1000)" fdb-show "$BR"
T trace "$BR" "in_port=$PB,dl_src=00:00:00:00:0b:0b,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806"
J trace "$BR" "in_port=$PB,dl_src=00:00:00:00:0b:0b,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806"
check "trace: text and JSON agree" agree trace '"Megaflow: \(.megaflow)", "Datapath actions: \(.datapath_actions)", .lines[]'
T upcall/show; J upcall/show
check "upcall/show: each bridge, text and JSON agree" agree upcall_show '.[] | "flowpath@\(.bridge):", "  handlers      : \(.handler_threads)"'
T ofproto-stats; J ofproto-stats
check "ofproto-stats: text and JSON agree (stable counters)" \
  agree ofproto-stats '"install failures: \(.install_failures)", "flows deleted (changed): \(.flows_deleted_changed)"'

# ---- OpenFlow verbs ----------------------------------------------------------
T of add-flow "$BR" 'priority=100,ip,nw_dst=10.249.9.1,actions=drop'
J of add-flow "$BR" 'priority=100,ip,nw_dst=10.249.9.2,actions=drop'
check "of add-flow: JSON counts the rule" jtrue of_add-flow '.count == 1'
printf '# two rules\npriority=90,ip,nw_dst=10.249.9.3,actions=drop\n\npriority=90,ip,nw_dst=10.249.9.4,actions=drop\n' > "$WORK/rules"
T of add-flows "$BR" "$WORK/rules"
sed 's/10\.249\.9\./10.249.8./' "$WORK/rules" > "$WORK/rules2"
J of add-flows "$BR" "$WORK/rules2"
check "of add-flows: JSON counts the rules" jtrue of_add-flows '.count == 2'
T of mod-flows "$BR" 'ip,nw_dst=10.249.9.1,actions=output:'"$PB"
J of mod-flows "$BR" 'priority=100,ip,nw_dst=10.249.9.2,actions=output:'"$PC" --strict
T of del-flows "$BR" 'ip,nw_dst=10.249.9.3'
J of del-flows "$BR" 'priority=90,ip,nw_dst=10.249.8.3' --strict
T of dump-flows "$BR"; J of dump-flows "$BR"
check "of dump-flows: text and JSON agree" \
  contains of_dump-flows '.[] | "table=\(.table), n_packets=\(.packets), n_bytes=\(.bytes), ", " \(.match) actions=\(.actions)"'
check "of dump-flows: a line per rule" test "$(wc -l < "$OUT/of_dump-flows.text")" = "$(jqv of_dump-flows length)"
check "of dump-flows: what add/mod/del-flows left" \
  jtrue of_dump-flows "[.[] | select(.match | test(\"nw_dst=10.249.[89]\")) | .match + \" \" + .actions] | sort == [\"priority=100,ip,nw_dst=10.249.9.1 output:$PB\", \"priority=100,ip,nw_dst=10.249.9.2 output:$PC\", \"priority=90,ip,nw_dst=10.249.8.4 drop\", \"priority=90,ip,nw_dst=10.249.9.4 drop\"]"
T of add-group "$BR" "group_id=1,type=all,bucket=output:$PB"
J of add-group "$BR" "group_id=2,type=all,bucket=output:$PC"
T of add-group "$BR" "group_id=3,type=all,bucket=output:$PC"
T of mod-group "$BR" "group_id=1,type=all,bucket=output:$PC"
J of mod-group "$BR" "group_id=2,type=all,bucket=output:$PB"
T of del-groups "$BR" group_id=3
T of dump-groups "$BR"; J of dump-groups "$BR"
check "of dump-groups: text and JSON agree" same of_dump-groups '.[] | " " + .text'
check "of add/mod/del-groups: groups 1 and 2, modified" \
  jtrue of_dump-groups "[.[].text] == [\"group_id=1,type=all,bucket=bucket_id:0,actions=output:$PC\", \"group_id=2,type=all,bucket=bucket_id:0,actions=output:$PB\"]"
J of del-groups "$BR"
check "of del-groups (JSON): every group gone" now of_dump-groups 'length == 0' of dump-groups "$BR"
T of add-meter "$BR" 'meter=1,kbps,bands=type=drop,rate=1000'
J of add-meter "$BR" 'meter=2,pktps,bands=type=drop,rate=10'
T of add-meter "$BR" 'meter=3,pktps,bands=type=drop,rate=30'
T of del-meters "$BR" meter=3
T of dump-meters "$BR"; J of dump-meters "$BR"
check "of dump-meters: text and JSON agree" same of_dump-meters '.[]'
check "of add/del-meters: meters 1 and 2" jtrue of_dump-meters 'length == 2 and (.[0] | startswith("meter=1,kbps,")) and (.[1] | startswith("meter=2,pktps,"))'
J of del-meters "$BR"
check "of del-meters (JSON): every meter gone" now of_dump-meters 'length == 0' of dump-meters "$BR"
T of dump-ports "$BR"; J of dump-ports "$BR"
check "of dump-ports: text and JSON agree" \
  agree of_dump-ports '"OFPST_PORT reply: \(length) ports", (.[] | select(.ofport == '"$PB"') | "  port  \(.ofport): rx pkts=\(.stats.rx_packets), bytes=\(.stats.rx_bytes), drop=\(.stats.rx_dropped), errs=\(.stats.rx_errors), frame=?, over=?, crc=?")'
T of mod-port "$BR" "$RUN-b" down
check "of mod-port (text): down" now of_show ".ports[] | select(.name == \"$RUN-b\") | .admin_up == false" of show "$BR"
J of mod-port "$BR" "$PB" up
check "of mod-port (JSON): up" now of_show ".ports[] | select(.name == \"$RUN-b\") | .admin_up == true" of show "$BR"
# Packet-ins: what host c sends goes to the controller queue (a static
# neighbour: each ping sends its packet at once).
must ip -n "$RUN-c" neigh replace 10.249.0.99 lladdr 02:00:00:00:00:99 dev eth0
T of add-flow "$BR" "priority=200,in_port=$PC,actions=controller"
# take_packet_ins FORM: takes the queue; did it hold something?
take_packet_ins() {
  run_form "$1" of packet-ins "$BR" || return 1
  [ -s "$OUT/of_packet-ins.$1" ] && [ "$(cat "$OUT/of_packet-ins.$1")" != "[]" ]
}
in_host_bg c ping -c 1 -W 1 10.249.0.99 > /dev/null 2>&1
check "of packet-ins (text): the queued packets" wait_until 10 take_packet_ins text
in_host_bg c ping -c 1 -W 1 10.249.0.99 > /dev/null 2>&1
check "of packet-ins (JSON): the queued packets" wait_until 10 take_packet_ins json
check "of packet-ins: from port c, by the rule" jtrue of_packet-ins "all(.[]; .in_port == $PC and .reason == \"action\")"
check "of packet-ins: text as JSON" \
  grep -q "^packet_in in_port=$PC reason=action table_id=0 cookie=0x0 total_len=" "$OUT/of_packet-ins.text"
check "of: a bad rule is refused" refuse 1 '^fpctl: .*bogus' of add-flow "$BR" 'bogus=1,actions=drop'

# ---- tunnels: routes, neighbours ----------------------------------------------
T ovs/route/add 203.0.113.0/24 "${RUN}u0" 192.0.2.254
check "ovs/route/add (text) prints OK" text_has ovs_route_add OK
J ovs/route/add 198.51.100.0/24 "${RUN}u0" src=192.0.2.1
T ovs/route/show; J ovs/route/show
check "ovs/route/show: text and JSON agree" same ovs_route_show '"Route Table:", (.routes[] | .text)'
check "ovs/route/show: the user routes" text_has ovs_route_show \
  "User: 203.0.113.0/24 dev ${RUN}u0 GW 192.0.2.254 SRC 192.0.2.1" "User: 198.51.100.0/24 dev ${RUN}u0 SRC 192.0.2.1"
T ovs/route/lookup 203.0.113.9; J ovs/route/lookup 203.0.113.9
check "ovs/route/lookup: text and JSON agree" same ovs_route_lookup '"src \(.src)", "gateway \(.gw)", "dev \(.dev)"'
check "ovs/route/lookup: through the user route" jtrue ovs_route_lookup ".gw == \"192.0.2.254\" and .dev == \"${RUN}u0\""
T ovs/route/del 203.0.113.0/24
J ovs/route/del 198.51.100.0/24
check "ovs/route/del: the user routes gone" now ovs_route_show '[.routes[].text | select(startswith("User:"))] == []' ovs/route/show
for v in tnl/neigh/show tnl/arp/show; do
  T "$v"; J "$v"
  check "$v: text and JSON agree" same "${v//\//_}" '"IP                                            MAC                 Bridge", "==========================================================================", (.neighbours[] | "\(.ip)\(" " * (46 - (.ip | length)))\(.mac)   \(.dev)")'
done
for v in tnl/neigh/flush tnl/arp/flush; do
  T "$v"; J "$v"
  check "$v (text) prints OK" text_has "${v//\//_}" OK
done
check "tunnels: a route on no device is refused" refuse 1 '^fpctl: .*nosuchdev' ovs/route/add 203.0.113.0/24 nosuchdev

# ---- logging ----------------------------------------------------------------
T vlog/set conntrack:file:info
J vlog/set conntrack:file:dbg
T vlog/list; J vlog/list
check "vlog/list: text and JSON agree" same vlog_list '.text | rtrimstr("\n")'
check "vlog/set: the level set" grep -qE '^conntrack +[A-Z]+ +[A-Z]+ +DBG$' "$OUT/vlog_list.text"
check "vlog: a bad module is refused" refuse 1 '^fpctl: .*nosuchmodule' vlog/set nosuchmodule:dbg

# ---- replay (offline) ----------------------------------------------------------
printf 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 2\n' > "$WORK/replay.flows"
T replay --flows "$WORK/replay.flows" --in "1=$WORK/one.pcap" --out "$WORK/replay-text"
J replay --flows "$WORK/replay.flows" --in "1=$WORK/one.pcap" --out "$WORK/replay-json"
check "replay: the text form prints nothing, the results are in the files" \
  sh -c "test ! -s '$OUT/replay.text' && grep -q 'packets:1, bytes:46' '$WORK/replay-text/dump-flows.txt'"
check "replay: the JSON form prints counters.json" diff "$OUT/replay.json" "$WORK/replay-json/counters.json"
check "replay: the packet went out of port 2" jtrue replay '.[0].ports[] | select(.port_no == 2) | .stats.tx_packets == 1'
check "replay: a missing capture is refused" refuse 1 '^fpctl: replay: .*nonexistent' \
  replay --flows "$WORK/replay.flows" --in 1=/nonexistent.pcap --out "$WORK/replay-bad"

# ---- schemas and completeness -------------------------------------------------
"$BIN/fpctl" --list-verbs > "$WORK/verbs.txt"
check "fpctl --list-verbs lists verbs" grep -qx 'of dump-flows' "$WORK/verbs.txt"
check "every verb ran in both forms and its JSON matches its schema" \
  /usr/bin/python3 "$HERE/fpctl_verbs_check.py" "$SCHEMAS" "$OUT" "$WORK/verbs.txt"

finish
