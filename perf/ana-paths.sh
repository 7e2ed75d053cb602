#!/usr/bin/env bash
# Issue 14 benchmark: 4k random reads (QD32) through one path against two
# ANA-optimized paths (the kernel host's native multipath, round-robin), one
# nvmf-tgt, rounds alternating A B / B A in one lab boot (perf/guest/ana-paths.sh).
#
#   perf/ana-paths.sh [ROUNDS] [RUNTIME]      (defaults 6, 8)
# Prints each run and the medians; the figures of record are in perf/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
LOG=$(mktemp)
LAB_SUITE=${LAB_SUITE:-trixie} lab/run --timeout 3000 perf/guest/ana-paths.sh "${1:-6}" "${2:-8}" 2>&1 | tee "$LOG" \
  | grep -E '^paths|^guest:|error|fail' || true
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"paths (\d) round \d+ iops (\d+) p50_us (\d+)", line)
    if m: runs.setdefault(m[1], []).append((int(m[2]), int(m[3])))
for p, v in sorted(runs.items()):
    print(f"{p} path(s): median IOPS {statistics.median(x[0] for x in v):.0f}, median p50 {statistics.median(x[1] for x in v):.0f} us ({len(v)} runs)")
PY
