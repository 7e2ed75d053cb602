#!/usr/bin/env bash
# Continuous fuzzing, bounded: builds the libFuzzer harnesses (Tests/Fuzz/README.md)
# in release with -sanitize=fuzzer,address and runs each for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS_PER_HARNESS]
#
# Environment: FUZZ_HARNESSES (default: all four), FUZZ_OUT (run directory;
# default .build-fuzz/runs/DATE), FUZZ_JOBS (swift build -j, default 1),
# FUZZ_ARGS (extra libFuzzer flags for every harness).
# New corpus entries go to FUZZ_OUT/NAME/corpus, never to the committed
# Tests/Fuzz/corpus/NAME (merge good ones by hand with -merge=1).
# Exit status: 0 when no harness crashed, hung (-timeout=10), leaked or went
# over -rss_limit_mb=2048; otherwise 1, after naming each harness and its reproducer.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
read -r -a harnesses <<<"${FUZZ_HARNESSES:-fuzz-capsule fuzz-cm-private-data fuzz-config fuzz-rpc}"
read -r -a extra <<<"${FUZZ_ARGS:-}"
out=${FUZZ_OUT:-.build-fuzz/runs/$(date +%Y%m%d-%H%M%S)}
# -sanitize=fuzzer on every Swift module gives coverage everywhere; lld, because
# gold dies on SwiftPM's `--defsym main=…` next to libFuzzer; FUZZING selects
# the harnesses' libFuzzer main (Tests/Fuzz/FuzzSupport).
build=(-c release -j "${FUZZ_JOBS:-1}" --scratch-path .build-fuzz
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)

mkdir -p "$out"
for h in "${harnesses[@]}"; do
  echo "== build $h"
  rc=0
  swift build "${build[@]}" --product "$h" >"$out/build-$h.log" 2>&1 || rc=$?
  # The linker warns about every ASan check symbol it cannot export; only that is dropped.
  grep -v "Cannot export local symbol" "$out/build-$h.log" || true
  [ "$rc" -eq 0 ] || { echo "build of $h failed"; exit 2; }
done
bin=$(swift build "${build[@]}" --show-bin-path)

failed=()
for h in "${harnesses[@]}"; do
  dir=$out/$h
  mkdir -p "$dir/corpus" "$dir/artifacts"
  dict=()
  [ -f "Tests/Fuzz/$h.dict" ] && dict=(-dict="Tests/Fuzz/$h.dict")
  echo "== fuzz $h for ${seconds}s (log: $dir/log)"
  rc=0
  SWIFT_BACKTRACE=enable=no "$bin/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" "${extra[@]}" \
    "$dir/corpus" "Tests/Fuzz/corpus/$h" >"$dir/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  cov=$(grep -o 'inline 8-bit counters): [0-9]*' "$dir/log" | head -1 | grep -o '[0-9]*$' || true)
  echo "$h: ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-?} coverage counters, exit $rc"
  repro=$(sed -n 's/.*Test unit written to //p' "$dir/log")
  if [ "$rc" -ne 0 ] || [ -n "$repro" ]; then
    grep -m1 -E '^(==[0-9]+==ERROR|Fatal error|.*Fatal error:|SUMMARY)' "$dir/log" || true
    echo "FAILED $h: reproducer ${repro:-none written} (log $dir/log)"
    echo "  replay: SWIFT_BACKTRACE=enable=no $bin/$h ${repro:-FILE}"
    failed+=("$h")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzzing passed: ${harnesses[*]}"
