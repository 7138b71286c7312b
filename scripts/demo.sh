#!/usr/bin/env bash
# Quick start, first command: install dependencies, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/tools/flowpath-demo
