#!/usr/bin/env bash
# Quick start, first command: install dependencies, build, run the demo:
# the flow-key demo, then (as root) a switch between two namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/tools/flowpath-demo
echo
if [ "$(id -u)" -eq 0 ]; then
  BIN=$(pwd)/build/tools scripts/switch-demo.sh
else
  echo "(run as root for the switch demo: it creates namespaces and veth pairs)"
fi
