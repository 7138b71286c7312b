#!/usr/bin/env bash
# The differential suite against a private Open vSwitch (docs/differential.md):
#   tests/differential/run.sh FPCTL [differential.py options]
# Default: DIFFERENTIAL_CASES (500) cases of seed DIFFERENTIAL_SEED (14), the
# bounded run ctest's differential_netns makes. Long run:
#   tests/differential/run.sh build/tools/fpctl --seed 1 --cases 10000
# Root is needed only to install openvswitch-switch when it is missing; the
# run itself uses no namespace, no kernel module and no system service. The
# private ovs-vswitchd and ovsdb-server are stopped on every exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fpctl=${1:?usage: run.sh FPCTL [differential.py options]}
shift

if [ ! -x /usr/lib/openvswitch-switch/ovs-vswitchd ] || ! command -v ovsdb-server >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "run.sh: Debian's openvswitch-switch is missing; install it (root) and run again" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    openvswitch-switch >/dev/null
fi

work=$(mktemp -d /tmp/flowpath-differential.XXXXXX)
rundir=$work/ovs
cleanup() {
  # ovs-vswitchd's exit waits for its revalidators, which the suite pauses.
  if [ -S "$rundir/vswitchd.ctl" ]; then
    ovs-appctl --timeout=5 -t "$rundir/vswitchd.ctl" revalidator/resume >/dev/null 2>&1 || true
  fi
  timeout 30 bash "$here/../../scripts/private-ovs.sh" stop "$rundir" >/dev/null 2>&1 || true
  for pidfile in "$rundir/vswitchd.pid" "$rundir/ovsdb.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

args=("$@")
if ! printf '%s\n' "${args[@]}" | grep -qx -- '--seed'; then
  args+=(--seed "${DIFFERENTIAL_SEED:-14}")
fi
if ! printf '%s\n' "${args[@]}" | grep -qxE -- '--cases|--case'; then
  args+=(--cases "${DIFFERENTIAL_CASES:-500}")
fi
/usr/bin/python3 "$here/differential.py" --fpctl "$fpctl" --ovs-rundir "$rundir" "${args[@]}"
