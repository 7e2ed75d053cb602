#!/usr/bin/env bash
# Issue 15 benchmark: 4k random writes (QD32) from the kernel host with and
# without a Write Exclusive reservation it holds, one nvmf-tgt, rounds
# alternating in one lab boot (perf/guest/resv-write.sh).
#
#   perf/resv-write.sh [ROUNDS] [RUNTIME]      (defaults 6, 8)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
LOG=$(mktemp)
LAB_SUITE=${LAB_SUITE:-trixie} lab/run --timeout 3000 perf/guest/resv-write.sh "${1:-6}" "${2:-8}" 2>&1 | tee "$LOG" \
  | grep -E '^reservation|^guest:|error|fail' || true
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"reservation (\S+) round \d+ iops (\d+) p50_us (\d+)", line)
    if m: runs.setdefault(m[1], []).append((int(m[2]), int(m[3])))
for k, v in sorted(runs.items()):
    print(f"{k}: median IOPS {statistics.median(x[0] for x in v):.0f} ({min(x[0] for x in v)}-{max(x[0] for x in v)}), median p50 {statistics.median(x[1] for x in v):.0f} us ({len(v)} runs)")
PY
