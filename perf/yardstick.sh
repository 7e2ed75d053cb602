#!/usr/bin/env bash
# The yardstick: in one lab-guest boot, the kernel target (nvmet-rdma) and,
# when asked, our nvmf-tgt serve the same RAM block device to the same kernel
# initiator, and the same fio jobs run against each (perf/lib/fio-suite.sh),
# each job also through nvmf-perf, our own user-space initiator.
#
#   perf/yardstick.sh                 kernel target only
#   perf/yardstick.sh kernel nvmf-tgt both, same boot (builds nvmf-tgt, static stdlib)
#
# Knobs (environment, handed to the guest): YARDSTICK_RUNTIME (s per fio job,
# default 10), NVMF_TGT_MODE (poll|interrupt|adaptive), NVMF_TGT_ARGS (extra
# nvmf-tgt arguments, e.g. "--cores 2"), NVMF_POLL_WINDOW_US, NVMF_POLL_IDLE, NVMF_POLL_PIN, YARDSTICK_JOBS.
# Results: perf/results/DATE-yardstick.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel)
# nvmf-perf is the yardstick's second initiator: every job runs through fio and through it.
swift build -c release --static-swift-stdlib --product nvmf-perf
for t in "${TARGETS[@]}"; do
  if [ "$t" = nvmf-tgt ]; then
    swift build -c release --static-swift-stdlib --product nvmf-tgt
  fi
done
# lab/run passes no environment into the guest: the knobs travel as NAME=VALUE arguments.
KNOBS=()
for k in YARDSTICK_RUNTIME NVMF_TGT_MODE NVMF_TGT_ARGS NVMF_POLL_WINDOW_US NVMF_POLL_IDLE NVMF_POLL_PIN YARDSTICK_JOBS; do
  [ -n "${!k:-}" ] && KNOBS+=("$k=${!k}")
done
LOG=$(mktemp)
LAB_KEEP=1 lab/run --timeout 1200 perf/guest/yardstick.sh "${KNOBS[@]}" "${TARGETS[@]}" 2>&1 | tee "$LOG"
RUN=$(grep -o 'lab/runs/[^/ ]*' "$LOG" | tail -1 || true)
[ -z "$RUN" ] && RUN="lab/runs/$(ls -t lab/runs | head -1)"
rm -f "$LOG"
STAMP=$(date +%Y-%m-%d-%H%M)
python3 perf/summarize.py "$RUN/out/fio" "perf/results/$STAMP-yardstick" "${KNOBS[*]} perf/yardstick.sh ${TARGETS[*]}"
echo "perf/yardstick.sh: wrote perf/results/$STAMP-yardstick.{json,md}"
