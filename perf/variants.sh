#!/usr/bin/env bash
# A/B experiments in one lab boot: the kernel target and nvmf-tgt variants
# round robin on the same brd device and fio job (perf/guest/variants.sh).
#
#   perf/variants.sh ROUNDS RUNTIME JOB "LABEL:NAME=VALUE,..." ...
# NAME=VALUE pairs are environment for nvmf-tgt, except MODE= (--mode) and
# CORES= (--cores). Example, poll against adaptive mode, 3 rounds of 8 s:
#   perf/variants.sh 3 8 seqread-128k-qd8 "poll:MODE=poll" "adaptive:"
# Prints one line per run and a per-variant median ratio to the kernel target.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
LOG=$(mktemp)
lab/run --timeout 3000 perf/guest/variants.sh "$@" 2>&1 | tee "$LOG" | grep -E '^variant|^threads|error|fail' || true
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"variant (\S+) round (\d+) iops (\S+)", line)
    if m: runs.setdefault(m[1], {})[int(m[2])] = float(m[3])
kernel = runs.pop("kernel", {})
for label, by_round in runs.items():
    ratios = [v / kernel[r] for r, v in by_round.items() if kernel.get(r)]
    if ratios:
        print(f"{label}: median IOPS ratio to the kernel target {statistics.median(ratios):.2f} over {len(ratios)} rounds "
              f"({', '.join(f'{x:.2f}' for x in ratios)})")
PY
rm -f "$LOG"
