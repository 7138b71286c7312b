#!/usr/bin/env bash
# The tools' command lines, without a daemon: --version on both; an unknown
# fpctl verb (at the top or under `of`/`odp`) says `unknown command "X"` and
# exits 2, as does any other usage error; --help exits 0.
set -uo pipefail
BIN=$1
fail=0
expect() {  # expect DESCRIPTION EXPECTED-STATUS STDERR-REGEX COMMAND...
  local what=$1 want=$2 pattern=$3; shift 3
  local err status
  err=$("$@" 2>&1 >/dev/null)
  status=$?
  if [ "$status" -ne "$want" ]; then
    echo "FAIL: $what: exit $status, not $want ($err)"; fail=1
  elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" <<<"$err"; then
    echo "FAIL: $what: stderr does not match /$pattern/: $err"; fail=1
  else
    echo "ok: $what"
  fi
}
version=$(sed -n 's/^project(flowpath VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")
[ -n "$version" ] || { echo "FAIL: no version in CMakeLists.txt"; exit 1; }
for tool in flowpathd fpctl; do
  out=$("$BIN/$tool" --version)
  if [ "$?" -eq 0 ] && [ "$out" = "$tool (flowpath) $version" ]; then
    echo "ok: $tool --version: $out"
  else
    echo "FAIL: $tool --version printed '$out'"; fail=1
  fi
done
expect "unknown verb" 2 '^fpctl: unknown command "frobnicate"' "$BIN/fpctl" frobnicate
expect "unknown verb after options" 2 'unknown command "frobnicate"' \
  "$BIN/fpctl" --socket /nonexistent --format json frobnicate
expect "unknown of verb" 2 'unknown command "of frob"' "$BIN/fpctl" of frob
expect "unknown odp verb" 2 'unknown command "odp frob"' "$BIN/fpctl" odp frob
expect "no verb at all" 2 'no command given' "$BIN/fpctl"
expect "an unknown option" 2 'nosuch' "$BIN/fpctl" --nosuch list-br
expect "a bad --format" 2 'format' "$BIN/fpctl" --format yaml list-br
expect "fpctl --help" 0 '' "$BIN/fpctl" --help
expect "flowpathd: an unknown option" 2 'nosuch' "$BIN/flowpathd" --nosuch
expect "flowpathd: a bad --log-level" 2 'log-level' "$BIN/flowpathd" --log-level loud
expect "flowpathd: a bad --verbose module" 2 \
  '^flowpathd: --verbose "datapth:dbg": "datapth" is no module or destination \(modules: common,' \
  "$BIN/flowpathd" --verbose datapth:dbg
expect "flowpathd: a bad -v level" 2 '"loud" is no destination or level' "$BIN/flowpathd" -v vport:loud
expect "fpctl vlog/set without a setting" 2 'vlog/set MODULE' "$BIN/fpctl" vlog/set
exit $fail
