#!/usr/bin/env bash
# `cmake --install` into a temporary prefix installs the binaries, the
# systemd unit (Type=notify, pointing at the installed flowpathd) and both
# man pages, which man can render.
set -uo pipefail
BUILD=$1
PREFIX=$(mktemp -d)
trap 'rm -rf "$PREFIX"' EXIT
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
cmake --install "$BUILD" --prefix "$PREFIX" > "$PREFIX.log" 2>&1 ||
  { echo "FAIL: cmake --install"; cat "$PREFIX.log"; rm -f "$PREFIX.log"; exit 1; }
rm -f "$PREFIX.log"
check "sbin/flowpathd is installed and runs" "$PREFIX/sbin/flowpathd" --version
check "bin/fpctl is installed and runs" "$PREFIX/bin/fpctl" --version
unit=$PREFIX/lib/systemd/system/flowpathd.service
check "the systemd unit is installed" test -f "$unit"
check "... Type=notify" grep -qx 'Type=notify' "$unit"
check "... ExecStart runs the installed flowpathd" grep -qE '^ExecStart=/[^ ]*/sbin/flowpathd( |$)' "$unit"
check "... no placeholder left" bash -c "! grep -q @ '$unit'"
# systemd-analyze verify: the unit's syntax. It also wants the binary at the
# configured prefix and the man pages in man's path, which a temporary prefix
# cannot give; those two complaints are left out.
unit_problems() {
  systemd-analyze verify "$unit" 2>&1 |
    grep -vE "Command .*/sbin/flowpathd is not executable|Command 'man (flowpathd|fpctl)\(8\)' failed"
}
problems=$(unit_problems)
check "... systemd-analyze verify finds nothing else wrong${problems:+: $problems}" test -z "$problems"
for page in flowpathd fpctl; do
  man8=$PREFIX/share/man/man8/$page.8
  check "man page $page(8) is installed" test -f "$man8"
  warnings=$(MANWIDTH=80 man --warnings -l "$man8" 2>&1 >/dev/null)
  check "... and renders without warnings${warnings:+: $warnings}" test -z "$warnings"
done
exit $fail
