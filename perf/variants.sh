#!/usr/bin/env bash
# A/B experiments in one lab boot: the kernel target and nvmf-tgt variants
# round robin on the same brd device and fio job (perf/guest/variants.sh).
#
#   perf/variants.sh ROUNDS RUNTIME JOB "LABEL:NAME=VALUE,..." ...
# JOB may be several fio-suite jobs, comma-separated. NAME=VALUE pairs are
# environment for nvmf-tgt, except MODE= (--mode), CORES= (--cores), BIN=
# (another build) and WQMASK= (see perf/guest/variants.sh). Example, poll
# against adaptive mode, 3 rounds of 8 s:
#   perf/variants.sh 3 8 seqread-128k-qd8 "poll:MODE=poll" "adaptive:"
# Prints one line per run and per variant the median IOPS and p50 ratios to
# the kernel target of the same round. A variant labelled kernel... is the
# kernel target under other system settings (WQMASK=, see perf/guest/variants.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
swift build -c release --static-swift-stdlib --product nvmf-rpc
LOG=$(mktemp)
lab/run --timeout 3000 perf/guest/variants.sh "$@" 2>&1 | tee "$LOG" | grep -E '^variant|^threads|^rpcload|^rpcclient|^guest:|error|fail' || true
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"variant (\S+) round (\d+) job (\S+) iops (\S+) bw_mib_s \S+ p50_us (\S+)", line)
    if m: runs.setdefault((m[3], m[1]), {})[int(m[2])] = (float(m[4]), float(m[5]))
for (job, label), by_round in sorted(runs.items()):
    if label == "kernel": continue
    kernel = runs.get((job, "kernel"), {})
    pairs = [(v[0] / kernel[r][0], v[1] / kernel[r][1]) for r, v in by_round.items() if kernel.get(r) and kernel[r][1]]
    if pairs:
        iops = [p[0] for p in pairs]; p50 = [p[1] for p in pairs]
        print(f"{job} {label}: median IOPS ratio to the kernel target {statistics.median(iops):.2f} "
              f"({', '.join(f'{x:.2f}' for x in iops)}), p50 ratio {statistics.median(p50):.2f} "
              f"({', '.join(f'{x:.2f}' for x in p50)}) over {len(pairs)} rounds")
PY
rm -f "$LOG"
