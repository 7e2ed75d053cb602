#!/usr/bin/env bash
# Issue 17 benchmark: nvmf-tgt serving a Ceph RBD image through librbd
# against the Linux kernel target serving the same image through krbd
# (/dev/rbd0), in one boot of the Ceph lab guest, same cluster, same image,
# rounds interleaved (perf/guest/rbd.sh). Prints the medians per (target,
# job), the ratio ours ÷ kernel, and CPU per I/O.
#
#   perf/rbd.sh [ROUNDS] [RUNTIME] [NVMF_TGT_ARGS...]   (defaults 3, 10)
#   perf/rbd.sh --profile [NVMF_TGT_ARGS...]
# e.g. perf/rbd.sh 3 10 --mode interrupt
# --profile: where the guest's CPU goes under 4k randread QD32, each target
# once, sampled system-wide (needs the host's perf, as perf/profile.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product nvmf-tgt
if [ "${1:-}" = --profile ]; then
  shift
  . perf/lib/perfkit.sh
  exec env LAB_SUITE=trixie LAB_IMAGE=ceph lab/run --timeout 1800 --mem 4096 perf/guest/rbd.sh 0 0 --profile "$KIT" "$@"
fi
LOG=$(mktemp)
LAB_SUITE=trixie LAB_IMAGE=ceph lab/run --timeout 5400 --mem 4096 perf/guest/rbd.sh "${1:-3}" "${2:-10}" "${@:3}" 2>&1 \
  | tee "$LOG" | grep -E '^target|^guest:|error|fail|FAIL' || true
python3 - "$LOG" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"target (\S+) job (\S+) round \d+ iops (\d+) p50_us ([\d.]+) cpu_us_per_io ([\d.]+)", line)
    if m:
        runs.setdefault((m[2], m[1]), []).append((int(m[3]), float(m[4]), float(m[5])))
med = statistics.median
print("| job | target | median IOPS (range) | median p50 µs | guest CPU µs per I/O | ours ÷ kernel IOPS |")
print("|---|---|---|---|---|---|")
for (j, t), v in sorted(runs.items()):
    k = runs.get((j, "kernel"))
    ratio = f"{med(x[0] for x in v) / med(x[0] for x in k):.2f}" if k and t != "kernel" else ""
    print(f"| {j} | {t} | {med(x[0] for x in v):.0f} ({min(x[0] for x in v)}–{max(x[0] for x in v)}) | "
          f"{med(x[1] for x in v):.0f} | {med(x[2] for x in v):.1f} | {ratio} |")
PY
rm -f "$LOG"
