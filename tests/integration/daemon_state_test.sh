#!/usr/bin/env bash
# Durable, exclusive state (issue 17): a change that cannot be saved is
# refused and undone; the state file belongs to one daemon (a second is
# refused, and removing the lock file does not let changes through); a
# temporary file left by a crash is removed at start; lock, run and state
# files are never opened through a planted symbolic link nor in a directory
# every user can write.
#
# The daemon runs in a namespace of its own, so its bridge's device is gone
# with the namespace.
set -uo pipefail
BIN=$1
. "$(dirname "$0")/netns_lib.sh"

SW=$RUN-sw
BR=${RUN}br
STATE=$WORK/state.toml
ip netns add "$SW"; NAMESPACES+=("$SW")
DAEMON_NETNS=$SW

# ---- A crash left a temporary file: removed at start.
echo "half a file" > "$STATE.tmp"
start_daemon --state-file "$STATE"
check "the stale temporary file is removed at start" test ! -e "$STATE.tmp"
check "... and the log says so" grep -q "removed $STATE.tmp, left by a save that a crash interrupted" "$WORK/flowpathd.log"
check "the lock file holds the daemon's pid" test "$(cat "$STATE.lock" 2>/dev/null)" = "$DAEMON_PID"

# ---- A second daemon on the same state file is refused before it serves.
out=$("$BIN/flowpathd" --socket "$WORK/second.sock" --state-file "$STATE" 2>&1)
status=$?
check "a second daemon on the state file exits 1" test "$status" -eq 1
check "... saying who holds it" grep -q "state file lock $STATE.lock is held by a running flowpathd (pid $DAEMON_PID)" <<<"$out"
check "... without taking a socket" test ! -e "$WORK/second.sock"

# ---- A change that cannot be saved is refused, and not made.
must fpctl add-br "$BR"
must fpctl of add-flow "$BR" "priority=50,ip,actions=drop"
mkdir -p "$STATE.tmp/blocker"
out=$(fpctl of add-flow "$BR" "priority=60,tcp,actions=drop" 2>&1)
status=$?
check "a rule that cannot be saved: exit 1" test "$status" -eq 1
check "... the error says it is undone and why" grep -q "the change is undone.*$STATE.tmp" <<<"$out"
check_not "... the rule is absent" grep -q "priority=60" <<<"$(fpctl of dump-flows "$BR")"
check "... the rule before it is still there" grep -q "priority=50" <<<"$(fpctl of dump-flows "$BR")"
check_not "a bridge delete that cannot be saved fails" fpctl del-br "$BR"
check "... and the bridge stays" grep -qx "$BR" <<<"$(fpctl list-br)"
rm -rf "$STATE.tmp"
must fpctl of add-flow "$BR" "priority=70,arp,actions=NORMAL"
check "saving works again: the file has what was acknowledged" grep -q "priority=70,arp" "$STATE"
check_not "... and nothing that was refused" grep -q "priority=60" "$STATE"

# ---- Removing the lock file: changes are refused, not written over another owner's.
rm -f "$STATE.lock"
out=$(fpctl of add-flow "$BR" "priority=80,udp,actions=drop" 2>&1)
status=$?
check "with its lock file removed, a change is refused (exit 1)" test "$status" -eq 1
check "... saying the lock was removed" grep -q "state file lock $STATE.lock was removed" <<<"$out"
check_not "... and the rule is absent" grep -q "priority=80" <<<"$(fpctl of dump-flows "$BR")"
stop_daemon
rm -f "$STATE.lock"

# ---- Symbolic links planted where flowpathd writes as root: refused, the
# target left alone.
echo precious > "$WORK/victim"
plant() {  # plant DESCRIPTION LINK FLOWPATHD-OPTION...
  local what=$1 link=$2; shift 2
  mkdir -p "$(dirname "$link")"
  ln -sf "$WORK/victim" "$link"
  out=$("$BIN/flowpathd" "$@" 2>&1)
  status=$?
  check "a link planted as the $what: refused (exit 1)" test "$status" -eq 1
  check "... with a clear message" grep -q "$link is a symbolic link; refusing to follow it" <<<"$out"
  check "... its target untouched" test "$(cat "$WORK/victim")" = precious
  rm -f "$link"
}
plant "state file lock" "$WORK/p1/state.toml.lock" --socket "$WORK/p1.sock" --state-file "$WORK/p1/state.toml"
plant "control socket lock" "$WORK/p2/x.sock.lock" --socket "$WORK/p2/x.sock" --no-state
plant "pidfile" "$WORK/p3/flowpathd.pid" --socket "$WORK/p3.sock" --no-state --pidfile "$WORK/p3/flowpathd.pid"

# ---- A directory every user can write is refused for lock and run files.
mkdir -p "$WORK/shared"; chmod 1777 "$WORK/shared"
out=$("$BIN/flowpathd" --socket "$WORK/s.sock" --state-file "$WORK/shared/state.toml" 2>&1)
check "a state file in a directory every user can write: refused" grep -q "directory $WORK/shared is writable by every user" <<<"$out"
out=$("$BIN/flowpathd" --socket "$WORK/shared/x.sock" --no-state 2>&1)
check "a socket in a directory every user can write: refused" grep -q "directory $WORK/shared is writable by every user" <<<"$out"
check "... nothing was created there" test -z "$(ls -A "$WORK/shared")"

finish
