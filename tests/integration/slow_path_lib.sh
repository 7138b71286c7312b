# Helpers for the slow path's namespace tests, on top of netns_lib.sh (source
# that first). A bridge's datapath has the bridge's name, so the datapath
# verbs (fpctl dump-flows BR) show its megaflows.

PY=/usr/bin/python3  # Debian's, with scapy; the first python3 on PATH may lack it

# The bridge's name: per run, so a leftover device of another run never collides.
BR=${RUN}br

# add_bridge_host NAME IP [SETTING...]: a namespace host whose veth is a port
# of $BR with the given add-port settings (tag=10, trunks=10,20, ...).
add_bridge_host() {
  local name=$1 ip=$2; shift 2
  add_host "$name" "$ip"
  fpctl add-port "$BR" "$RUN-$name" "$@" || { echo "FAIL: add-port $RUN-$name $*"; exit 1; }
}

megaflow_count() { fpctl dump-flows "$BR" | grep -c .; }

revalidation_rounds() { fpctl ofproto-stats | sed -n 's/^revalidation rounds: //p'; }

# wait_revalidation: returns once a whole revalidation round has run after
# the call (two rounds counted: the one in progress may have started before).
wait_revalidation() {
  local start; start=$(revalidation_rounds)
  for _ in $(seq 100); do
    [ "$(revalidation_rounds)" -ge $((start + 2)) ] && return 0
    sleep 0.05
  done
  echo "FAIL: no revalidation round within 5 s"; FAILURES=$((FAILURES + 1))
}

# rule_packets MATCH-SUBSTRING: n_packets of the first rule of $BR whose line contains it.
rule_packets() {
  fpctl of dump-flows "$BR" | grep -F -- "$1" | head -1 | sed -n 's/.* n_packets=\([0-9]*\),.*/\1/p'
}

# tcp_listen HOST PORT...: accepts (and closes) connections on the ports.
tcp_listen() {
  local host=$1; shift
  in_host_bg "$host" "$PY" -c '
import socket, sys, threading
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept(); c.close()
threads = [threading.Thread(target=serve, args=(int(p),), daemon=True) for p in sys.argv[1:]]
for t in threads: t.start()
for t in threads: t.join()
' "$@"
  local port
  for port in "$@"; do
    wait_until 10 listening "$RUN-$host" "$port" ||
      { echo "FAIL: nothing listens on $host:$port after 10 s"; exit 1; }
  done
}

# tcp_connects HOST IP PORT [TIMEOUT]: did a TCP connection get established?
tcp_connects() {
  in_host "$1" "$PY" -c '
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
' "$2" "$3" "${4:-2}" 2>/dev/null
}

# ping_within HOST IP SECONDS: single pings until one is answered; fails
# after SECONDS. Prints how long it took.
ping_within() {
  local host=$1 ip=$2 limit_ms=$(($3 * 1000)) start
  start=$(now_ms)
  while :; do
    if in_host "$host" ping -c 1 -W 0.3 -q "$ip" >/dev/null 2>&1; then
      echo "  answered after $(( $(now_ms) - start )) ms"
      return 0
    fi
    [ $(( $(now_ms) - start )) -gt "$limit_ms" ] && return 1
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
