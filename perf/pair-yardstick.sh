#!/usr/bin/env bash
# The yardstick on two machines: a target guest and a host guest joined by
# their own link (lab/run-pair). In ONE boot of each, the kernel target
# (nvmet-rdma) and our nvmf-tgt serve the same brd device in the target guest,
# round after round, and the host guest's kernel initiator runs the same fio
# jobs against each (perf/lib/fio-suite.sh). Unlike perf/yardstick.sh (one
# guest, rxe looping back), each side's rxe packet work runs on its own
# guest's CPU, as on a real fabric.
#
#   perf/pair-yardstick.sh [kernel] [nvmf-tgt]     (default: both)
#
# Knobs (environment): YARDSTICK_ROUNDS (default 3), YARDSTICK_RUNTIME (s per
# fio job, default 10), YARDSTICK_JOBS, NVMF_TGT_MODE, NVMF_TGT_ARGS,
# NVMF_POLL_WINDOW_US, NVMF_POLL_IDLE, NVMF_POLL_PIN; LAB_TARGET_CPUS and
# LAB_HOST_CPUS (vCPUs per guest, default 1 each), LAB_SUITE.
# Results: perf/results/DATE-pair-yardstick.{json,md}: a table per round and
# the median ratio per job.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel nvmf-tgt)
for t in "${TARGETS[@]}"; do
  [ "$t" = nvmf-tgt ] && swift build -c release --static-swift-stdlib --product nvmf-tgt
done
KNOBS=("YARDSTICK_ROUNDS=${YARDSTICK_ROUNDS:-3}")
for k in YARDSTICK_RUNTIME YARDSTICK_JOBS NVMF_TGT_MODE NVMF_TGT_ARGS NVMF_POLL_WINDOW_US NVMF_POLL_IDLE NVMF_POLL_PIN; do
  [ -n "${!k:-}" ] && KNOBS+=("$k=${!k}")
done
LOG=$(mktemp)
rc=0
lab/run-pair --timeout 3600 perf/guest/pair-target.sh perf/guest/pair-host.sh "${KNOBS[@]}" "${TARGETS[@]}" 2>&1 | tee "$LOG" || rc=$?
RUN=$(grep -o 'lab/runs/[^ ]*-pair' "$LOG" | tail -1)
rm -f "$LOG"
[ "$rc" = 0 ] || { echo "perf/pair-yardstick.sh: the lab run failed (exit $rc)"; exit "$rc"; }
STAMP=$(date +%Y-%m-%d-%H%M)
python3 perf/summarize.py "$RUN/host/out/fio" "perf/results/$STAMP-pair-yardstick" \
  "LAB_TARGET_CPUS=${LAB_TARGET_CPUS:-1} LAB_HOST_CPUS=${LAB_HOST_CPUS:-1} ${KNOBS[*]} perf/pair-yardstick.sh ${TARGETS[*]}"
echo "perf/pair-yardstick.sh: wrote perf/results/$STAMP-pair-yardstick.{json,md}"
