#!/usr/bin/env bash
# Grows the fuzz corpora kept in the repository: runs each libFuzzer target
# of a sanitizer build for SECONDS on its corpus, then merges into
# tests/fuzz/corpus/NAME only the new inputs that add coverage (-merge=1).
# A target that fails keeps its crash input in the work directory it prints.
#
# usage: tests/fuzz/grow_corpora.sh BUILD_DIR [SECONDS (default 60)] [NAME...]
#   e.g. tests/fuzz/grow_corpora.sh build-sanitize 300 fuzz_ovsdb
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for t in "$build"/tests/fuzz/fuzz_*; do [ -x "$t" ] && names+=("$(basename "$t")"); done
fi
failed=0
for name in "${names[@]}"; do
  target=$build/tests/fuzz/$name
  corpus=$root/tests/fuzz/corpus/$name
  work=$(mktemp -d)
  mkdir -p "$corpus" "$work/new"
  if (cd "$work" && "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work/new" "$corpus" > "$work/log" 2>&1); then
    before=$(find "$corpus" -type f | wc -l)
    (cd "$work" && "$target" -merge=1 "$corpus" "$work/new" > "$work/merge.log" 2>&1)
    echo "$name: $(grep -m1 -E '^stat::number_of_executed_units' "$work/log" | sed 's/.*: //') runs," \
         "corpus $before -> $(find "$corpus" -type f | wc -l)"
    rm -rf "$work"
  else
    tail -n 40 "$work/log"
    echo "$name: FAILED (crash input kept in $work)"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ]
