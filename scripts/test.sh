#!/usr/bin/env bash
# Quick start, second command: install dependencies, build, run every test.
#   1. Release build (gcc, -Werror): unit and integration tests (ctest).
#   2. Sanitizer build (clang, AddressSanitizer + UBSan, LeakSanitizer at exit,
#      libFuzzer coverage): the same unit and integration tests again, then
#      each libFuzzer target for FUZZ_SECONDS (default 30) on its corpus.
# A test that skipped, whole or in part, fails the run unless it is on
# tests/skip-allowlist.txt (scripts/check-skips.py). SANITIZE=0 leaves out
# step 2; FUZZ_SECONDS=0 leaves out the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
scripts/install-deps.sh

# run_ctest BUILD_DIR: every test; fails on a failure or on a skip not allowed.
run_ctest() {
  local dir=$1 status=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --test-output-size-passed 1000000 \
     --output-junit "$root/$dir/junit.xml") || status=$?
  /usr/bin/python3 scripts/check-skips.py "$dir/junit.xml" tests/skip-allowlist.txt || status=1
  return "$status"
}
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

start=$(date +%s)
echo "== build (Release, -Werror)"
scripts/build.sh
echo "   built in $(elapsed "$start")"

step=$(date +%s)
echo "== unit and integration tests (Release)"
run_ctest build
echo "   tests ran in $(elapsed "$step")"

if [ "${SANITIZE:-1}" != 0 ]; then
  step=$(date +%s)
  echo "== build (clang, ASan + UBSan + LeakSanitizer, libFuzzer coverage)"
  # One build serves the tests and the fuzzers: the libraries carry the
  # fuzzers' coverage instrumentation, whose hooks the ASan runtime provides.
  san_dir=build-sanitize
  if [ ! -f "$san_dir/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$san_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DFLOWPATH_SANITIZE=ON -DFLOWPATH_FUZZ=ON -DFLOWPATH_TESTS=ON -DFLOWPATH_BENCH=OFF >/dev/null
  fi
  ninja -C "$san_dir" -j "$jobs"
  echo "   built in $(elapsed "$step")"

  step=$(date +%s)
  echo "== unit and integration tests (ASan + UBSan + LeakSanitizer)"
  # Any report aborts the process with a failing status; flowpathd's exit on
  # SIGTERM is checked by the integration tests, so a leak there fails them.
  export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_ctest "$san_dir"
  echo "   tests ran in $(elapsed "$step")"

  if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
    echo "== fuzz targets (ASan + UBSan, ${FUZZ_SECONDS:-30}s each)"
    fuzz_failed=0
    fuzz_passed=0
    for target in "$root/$san_dir"/tests/fuzz/fuzz_*; do
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
  fi
fi
echo "== all tests passed in $(elapsed "$start")"
