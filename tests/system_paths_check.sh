#!/usr/bin/env bash
# No test may touch the system's flowpath state: the default control socket
# directory (/run/flowpath) and state directory (/var/lib/flowpath) belong to
# a flowpathd the host may be running. ctest runs `record` before every other
# test and `compare` after all of them (the fixture system_paths); compare
# fails if anything in those directories was created, removed or changed.
#
#   system_paths_check.sh record|compare FILE
set -euo pipefail
mode=${1:?usage: system_paths_check.sh record|compare FILE}
file=${2:?usage: system_paths_check.sh record|compare FILE}
paths=(/run/flowpath /var/lib/flowpath)

fingerprint() {
  local p
  for p in "${paths[@]}"; do
    if [ -e "$p" ] || [ -L "$p" ]; then
      # Type, size, owner, mode and modification time of everything inside,
      # the directory itself included (its time changes with any entry).
      find "$p" -printf '%p %y %s %U:%G %m %T@\n' | sort
    else
      echo "$p absent"
    fi
  done
}

case $mode in
  record) fingerprint > "$file" ;;
  compare)
    if ! diff -u "$file" <(fingerprint); then
      echo "FAIL: a test touched ${paths[*]} (above: - before the tests, + after);" \
           "tests must use their own --socket and --state-file"
      exit 1
    fi
    echo "ok: ${paths[*]} untouched by the tests" ;;
  *) echo "usage: system_paths_check.sh record|compare FILE"; exit 2 ;;
esac
