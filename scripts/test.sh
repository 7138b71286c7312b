#!/usr/bin/env bash
# Quick start, second command: install dependencies, build, run every test:
# unit and integration tests (ctest), then each libFuzzer target for a bounded
# time under AddressSanitizer + UBSan. FUZZ_SECONDS (default 30) per target.
# A test that skipped, whole or in part, fails the run unless it is on
# tests/skip-allowlist.txt (scripts/check-skips.py).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh

# run_ctest BUILD_DIR: every test; fails on a failure or on a skip not allowed.
run_ctest() {
  local dir=$1 status=0
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --test-output-size-passed 1000000 \
     --output-junit "$root/$dir/junit.xml") || status=$?
  /usr/bin/python3 scripts/check-skips.py "$dir/junit.xml" tests/skip-allowlist.txt || status=1
  return "$status"
}

echo "== build (Release, -Werror)"
scripts/build.sh

echo "== unit and integration tests"
run_ctest build

echo "== fuzz targets (clang, ASan+UBSan, ${FUZZ_SECONDS:-30}s each)"
fuzz_dir=build-fuzz
if [ ! -f "$fuzz_dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFLOWPATH_FUZZ=ON -DFLOWPATH_SANITIZE=ON -DFLOWPATH_TESTS=OFF -DFLOWPATH_BENCH=OFF >/dev/null
fi
ninja -C "$fuzz_dir" -j "$(nproc)" fuzzers
fuzz_failed=0
fuzz_passed=0
for target in "$root/$fuzz_dir"/tests/fuzz/fuzz_*; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="$root/tests/fuzz/corpus/$name"
  work=$(mktemp -d)
  seeds=()
  [ -d "$corpus" ] && seeds+=("$corpus")
  echo "-- $name"
  if (cd "$work" && "$target" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work" "${seeds[@]}" > "$work/log" 2>&1); then
    grep -E "^stat::number_of_executed_units" "$work/log" || true
    fuzz_passed=$((fuzz_passed + 1))
  else
    tail -n 60 "$work/log"
    echo "FAILED: $name (crash input kept in $work)"
    fuzz_failed=$((fuzz_failed + 1))
    continue
  fi
  rm -rf "$work"
done
echo "fuzz: $fuzz_passed passed, $fuzz_failed failed"
[ "$fuzz_failed" -eq 0 ]
