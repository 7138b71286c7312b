#!/usr/bin/env bash
# flowpathd's Prometheus endpoint (--metrics) as Prometheus itself sees it.
# The daemon runs in a namespace of its own ($RUN-sw) with a bridge between
# two hosts, and serves metrics on that namespace's loopback:
#   - off without --metrics; a bad address or one in use is refused, named;
#   - only GET/HEAD /metrics is answered (404 elsewhere, 405 otherwise);
#   - promtool check metrics finds no problem in a scrape;
#   - counters move with traffic, and a drop rule's drops appear by reason;
#   - Debian's prometheus server, started here with its own data directory,
#     scrapes the endpoint, and its HTTP API returns a flowpath series.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"
for tool in promtool prometheus curl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deps.sh)"; exit 1; }
done

SW=$RUN-sw
BR=${RUN}br
A=10.246.0.1 B=10.246.0.2
METRICS_PORT=9464 PROMETHEUS_PORT=9090  # on $SW's own loopback: nothing else listens there
ip netns add "$SW"; NAMESPACES+=("$SW")
ip -n "$SW" link set lo up
add_switch_host a $A
add_switch_host b $B
in_sw() { ip netns exec "$SW" "$@"; }
scrape() { in_sw curl -sS --max-time 10 "http://127.0.0.1:$METRICS_PORT/metrics"; }
# value SCRAPE-FILE METRIC LABEL-SUBSTRING...: the sample's value (0 if absent).
value() {
  local file=$1 metric=$2; shift 2
  local line
  line=$(grep -E "^$metric(\{| )" "$file")
  for l in "$@"; do line=$(grep -F -- "$l" <<<"$line"); done
  [ -n "$line" ] && awk '{print $NF}' <<<"$line" | head -1 || echo 0
}

# ---- Bad addresses are refused before anything starts (usage error, exit 2).
out=$("$BIN/flowpathd" --socket "$WORK/bad.sock" --no-state --metrics localhost:9464 2>&1)
check "--metrics localhost:9464 is refused with exit 2" test $? -eq 2
check "... naming the address" grep -qF '"localhost" is not an IPv4 address' <<<"$out"
out=$("$BIN/flowpathd" --socket "$WORK/bad.sock" --no-state --metrics 70000 2>&1)
check "--metrics 70000: port out of range" grep -qF 'port "70000" is not a number from 1 to 65535' <<<"$out"

# ---- Off unless asked for.
DAEMON_NETNS=$SW
start_daemon
check_not "without --metrics nothing listens on the port" listening "$SW" "$METRICS_PORT"
stop_daemon

start_daemon --metrics "$METRICS_PORT"
check "the log says where metrics are served" \
  grep -qF "serving metrics on http://127.0.0.1:$METRICS_PORT/metrics" "$WORK/flowpathd.log"
check "listening on loopback only" \
  test "$(in_sw ss -Hltn "sport = :$METRICS_PORT" | awk '{print $4}')" = "127.0.0.1:$METRICS_PORT"
# (bounded: were it to start, it would serve until stopped)
out=$(in_sw timeout 20 "$BIN/flowpathd" --socket "$WORK/second.sock" --no-state \
        --metrics "$METRICS_PORT" 2>&1)
status=$?
check "a second daemon on the same metrics port fails (exit 1)" test "$status" -eq 1
check "... saying the address is in use" \
  grep -qF "metrics endpoint 127.0.0.1:$METRICS_PORT: cannot bind: Address already in use" <<<"$out"

must fpctl add-br "$BR"
must fpctl add-port "$BR" "$RUN-a"
must fpctl add-port "$BR" "$RUN-b"
# UDP to port 9 (discard) is dropped by a rule: the datapath counts it.
must fpctl of add-flow "$BR" "priority=100,udp,tp_dst=9,actions=drop"

code() { in_sw curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "GET / is 404" test "$(code "http://127.0.0.1:$METRICS_PORT/")" = 404
check "POST /metrics is 405" test "$(code -X POST -d x "http://127.0.0.1:$METRICS_PORT/metrics")" = 405
check "HEAD /metrics is 200" test "$(code -I "http://127.0.0.1:$METRICS_PORT/metrics")" = 200

must scrape > "$WORK/before.prom"
check "ping a -> b through the bridge" in_host a ping -c 5 -i 0.2 -W 2 -q $B
for i in 1 2 3; do in_host a bash -c "echo drop-me-$i > /dev/udp/$B/9"; done
# The drops are counted by the forwarding thread as the datagrams pass.
dropped() {
  scrape > "$WORK/after.prom"
  test "$(value "$WORK/after.prom" flowpath_datapath_dropped_packets_total "datapath=\"$BR\"" \
          'reason="datapath_drop_no_output"')" -ge 3
}
# The slow path translates a drop rule into an empty action list.
check "3 datagrams dropped by the rule appear under reason datapath_drop_no_output" \
  wait_until 10 dropped
grep -E '^flowpath_datapath_dropped_packets_total.* [1-9]' "$WORK/after.prom" | sed 's/^/  /'

# promtool: the format and Prometheus' naming conventions.
lint=$(promtool check metrics < "$WORK/after.prom" 2>&1)
status=$?
check "promtool check metrics accepts the scrape with no problem" \
  test "$status" -eq 0 -a -z "$lint"
[ -n "$lint" ] && echo "$lint" | head -20

moved() {  # METRIC LABEL...: the value grew between the two scrapes
  local before after
  before=$(value "$WORK/before.prom" "$@"); after=$(value "$WORK/after.prom" "$@")
  echo "  $1 ${*:2}: $before -> $after"
  [ "$after" -gt "$before" ]
}
check "port a's received packets moved" moved flowpath_port_receive_packets_total "port=\"$RUN-a\""
check "port b's sent bytes moved" moved flowpath_port_transmit_bytes_total "port=\"$RUN-b\""
check "the datapath's hits or misses moved" bash -c "
  [ \$(( $(value "$WORK/after.prom" flowpath_datapath_hits_total "datapath=\"$BR\"") +
         $(value "$WORK/after.prom" flowpath_datapath_misses_total "datapath=\"$BR\"") )) -gt \
    \$(( $(value "$WORK/before.prom" flowpath_datapath_hits_total "datapath=\"$BR\"") +
         $(value "$WORK/before.prom" flowpath_datapath_misses_total "datapath=\"$BR\"") )) ]"
check "the slow path handled upcalls" moved flowpath_upcalls_handled_total
check "the forwarding thread received batches" moved flowpath_thread_received_batches_total 'thread="0"'
check "megaflows are installed" test "$(value "$WORK/after.prom" flowpath_datapath_flows "datapath=\"$BR\"")" -ge 1
# The JSON-RPC and /metrics read the same counters.
json_hits=$(fpctl show "$BR" | sed -n 's/.*lookups: hit:\([0-9]*\).*/\1/p')
scrape > "$WORK/again.prom"
check "hits agree with fpctl show (hit:$json_hits)" \
  test "$(value "$WORK/again.prom" flowpath_datapath_hits_total "datapath=\"$BR\"")" -ge "$json_hits"

# ---- Prometheus scrapes it.
cat > "$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: flowpath
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
YAML
check "promtool check config accepts the scrape configuration" \
  promtool check config "$WORK/prometheus.yml" >/dev/null
ip netns exec "$SW" prometheus --config.file="$WORK/prometheus.yml" \
  --storage.tsdb.path="$WORK/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" > "$WORK/prometheus.log" 2>&1 &
BACKGROUND+=("$!")
query() {
  in_sw curl -sS --max-time 5 --get "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" \
    --data-urlencode "query=$1"
}
series_found() {
  query "flowpath_port_receive_packets_total{port=\"$RUN-a\"}" > "$WORK/query.json" 2>/dev/null &&
    grep -q "\"datapath\":\"$BR\"" "$WORK/query.json"
}
check "Prometheus' HTTP API returns flowpath_port_receive_packets_total of port a" \
  wait_until 60 series_found
sed 's/^/  /' "$WORK/query.json"; echo
check "... and the target is up" bash -c "
  curl() { ip netns exec $SW curl \"\$@\"; }
  curl -sS --get http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query --data-urlencode 'query=up{job=\"flowpath\"}' |
    grep -q '\"value\":\[[0-9.]*,\"1\"\]'"
if [ "$FAILURES" -ne 0 ]; then
  echo "--- prometheus log"; tail -20 "$WORK/prometheus.log"
fi

stop_daemon
echo "$FAILURES failure(s)"
[ "$FAILURES" -eq 0 ]
