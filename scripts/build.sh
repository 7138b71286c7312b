#!/usr/bin/env bash
# Configures and builds flowpath into ./build (Release, warnings as errors).
# BUILD_DIR and extra cmake arguments may be given: scripts/build.sh -DFOO=ON
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLOWPATH_WERROR=ON "$@"
fi
ninja -C "$build_dir" -j "$jobs"
