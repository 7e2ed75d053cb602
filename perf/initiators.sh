#!/usr/bin/env bash
# Issue 16 benchmark: nvmf-perf (our user-space initiator, polling and in
# interrupt mode) against fio through the Linux kernel initiator, on the
# kernel target and on nvmf-tgt, 4k random reads at QD1 and QD32, in one lab
# boot with rounds interleaved (perf/guest/initiators.sh). Prints the median
# of each (target, initiator, job), the nvmf-perf ÷ fio ratios and each
# initiator's CPU per I/O; keeps the last round's plots in perf/results/.
#
#   perf/initiators.sh [ROUNDS] [RUNTIME]      (defaults 4, 8)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
swift build -c release --static-swift-stdlib --product nvmf-perf
LOG=$(mktemp)
LAB_KEEP=1 LAB_SUITE=${LAB_SUITE:-trixie} lab/run --timeout 3000 perf/guest/initiators.sh "${1:-4}" "${2:-8}" 2>&1 \
  | tee "$LOG" | grep -E '^target|^guest:|error|fail|FAIL' || true
RUN=$(grep -o 'lab/runs/[^/ ]*' "$LOG" | tail -1 || true)
[ -z "$RUN" ] && RUN="lab/runs/$(ls -t lab/runs | head -1)"
STAMP=$(date +%Y-%m-%d-%H%M)
for f in "$RUN"/out/initiators/*.nvmf-perf-poll.randread-4k-qd32.svg; do
  [ -e "$f" ] && cp "$f" "perf/results/$STAMP-$(basename "$f")"
done
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"target (\S+) initiator (\S+) job (\S+) round \d+ iops (\d+) p50_us ([\d.]+) cpu_us_per_io ([\d.]+)", line)
    if m:
        runs.setdefault((m[1], m[3], m[2]), []).append((int(m[4]), float(m[5]), float(m[6])))
med = lambda xs: statistics.median(xs)
print("| target | job | initiator | median IOPS (range) | median p50 µs | CPU µs per I/O | ÷ fio |")
print("|---|---|---|---|---|---|---|")
for (t, j, i), v in sorted(runs.items()):
    fio = runs.get((t, j, "fio"))
    ratio = f"{med(x[0] for x in v) / med(x[0] for x in fio):.2f}" if fio else ""
    print(f"| {t} | {j} | {i} | {med(x[0] for x in v):.0f} ({min(x[0] for x in v)}–{max(x[0] for x in v)}) | "
          f"{med(x[1] for x in v):.0f} | {med(x[2] for x in v):.1f} | {ratio} |")
PY
rm -f "$LOG"
