# Polling instead of sleeping: a test waits for the condition it needs, for as
# long as it may take up to a limit, and never for a fixed time. Source it.

# wait_until SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds;
# returns 1 if it has not after SECONDS (whole seconds).
wait_until() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
  shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# listening NETNS PORT: is a TCP socket listening on PORT inside NETNS?
listening() {
  ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}
