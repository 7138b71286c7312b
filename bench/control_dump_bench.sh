#!/usr/bin/env bash
# The control plane at the limit of the flow table: a private flowpathd gets
# N datapath flows (default 200,000) through JSON-RPC batches, then prints
#  - how long `fpctl dump-flows` and `fpctl --format json dump-flows` take,
#    and fpctl's and the daemon's peak RSS;
#  - how long `fpctl show` takes while four dumps are pipelined on other
#    connections that are read slowly.
# Needs root (the datapath's local port is a TAP device). Run under
# flock /tmp/flowpath-bench.lock and say what else loaded the machine.
# Usage: bench/control_dump_bench.sh BUILD_DIR [N]
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [N]}" && pwd)
n=${2:-200000}
dir=$(mktemp -d)
dp="fpb$$"
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
sock=$dir/fp.sock
"$build/tools/flowpathd" --socket "$sock" --no-state --log-level warn 2>"$dir/log" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
export FLOWPATH_SOCKET=$sock
"$build/tools/fpctl" add-dp "$dp"

/usr/bin/python3 - "$sock" "$dp" "$n" <<'EOF'
import json, socket, sys
path, dp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rb")
batch = 1000
for start in range(0, n, batch):
    reqs = []
    for i in range(start, min(n, start + batch)):
        flow = "in_port(0),eth(),eth_type(0x0800),ipv4(src=10.%d.%d.%d)" % (i >> 16, (i >> 8) & 255, i & 255)
        reqs.append({"jsonrpc": "2.0", "id": i, "method": "flow.put",
                     "params": {"dp": dp, "flow": flow, "actions": "drop", "mode": "create", "clear": False}})
    s.sendall((json.dumps(reqs) + "\n").encode())
    for r in json.loads(f.readline()):
        if "error" in r:
            sys.exit("flow.put: %s" % r["error"]["message"])
EOF

# Wall time depends on the machine's load; the CPU times (fpctl's, and the
# daemon's over the same interval) do much less.
daemon_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$daemon/stat"; }
measure() {  # measure LABEL COMMAND...: wall time, CPU and peak RSS of COMMAND
  local label=$1; shift
  local before; before=$(daemon_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$dir/time" "$@" > "$dir/out"
  read -r secs kb user sys < "$dir/time"
  printf '%-30s %6.2f s wall, fpctl CPU %5.2f s, daemon CPU %5.2f s, fpctl peak RSS %6d KiB, %9d bytes\n' \
    "$label" "$secs" "$(awk "BEGIN {print $user + $sys}")" "$(awk "BEGIN {print $(daemon_cpu) - $before}")" "$kb" \
    "$(stat -c %s "$dir/out")"
}
rss() { awk '/VmRSS|VmHWM/ {printf "%s %s kB  ", $1, $2}' "/proc/$daemon/status"; echo; }
echo "flows: $("$build/tools/fpctl" dump-flows "$dp" | wc -l)"
echo -n "daemon before dumps: "; rss
measure "fpctl dump-flows" "$build/tools/fpctl" dump-flows "$dp"
measure "fpctl --format json dump-flows" "$build/tools/fpctl" --format json dump-flows "$dp"
echo -n "daemon after dumps:  "; rss

# show while 4 dumps are pipelined on connections read 64 KiB at a time.
/usr/bin/python3 - "$sock" "$dp" "$build/tools/fpctl" <<'EOF'
import json, socket, subprocess, sys, threading, time
path, dp, fpctl = sys.argv[1:4]
def slow_dumper():
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "flow.dump", "params": {"dp": dp}}) + "\n"
    s.sendall((req * 2).encode())
    got = 0
    while True:
        b = s.recv(65536)
        if not b: break
        got += b.count(b"\n")
        if got == 2: break
        time.sleep(0.001)
threads = [threading.Thread(target=slow_dumper) for _ in range(4)]
for t in threads: t.start()
time.sleep(0.2)
worst = 0.0
samples = []
while any(t.is_alive() for t in threads):
    t0 = time.monotonic()
    subprocess.run([fpctl, "show", dp], check=True, stdout=subprocess.DEVNULL)
    samples.append(time.monotonic() - t0)
for t in threads: t.join()
samples.sort()
print("fpctl show during 8 pipelined dumps: %d calls, median %.1f ms, max %.1f ms (process start included)"
      % (len(samples), 1000 * samples[len(samples) // 2], 1000 * samples[-1]))
EOF
echo -n "daemon at the end:   "; rss
