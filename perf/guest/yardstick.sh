#!/usr/bin/env bash
# Runs in the lab guest (via perf/yardstick.sh): in ONE boot, serves the same
# RAM block device (brd) with each target in turn and runs the same fio suite
# through the same kernel initiator, and through nvmf-perf (our own
# user-space initiator) when it is built.
#   perf/guest/yardstick.sh [NAME=VALUE...] [kernel] [nvmf-tgt]     (default: kernel)
# NAME=VALUE knobs: YARDSTICK_RUNTIME, NVMF_TGT_MODE, NVMF_TGT_ARGS, NVMF_POLL_WINDOW_US, NVMF_POLL_IDLE, NVMF_POLL_PIN, YARDSTICK_JOBS.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/guest-tools.sh"
OUT="${LAB_OUT:?run me through lab/run}/fio"
# Knobs arrive as NAME=VALUE arguments (lab/run passes no environment).
TARGETS=()
for a in "$@"; do
  case "$a" in
    YARDSTICK_RUNTIME=* | NVMF_TGT_MODE=* | NVMF_TGT_ARGS=* |=* | NVMF_POLL_WINDOW_US=* | NVMF_POLL_IDLE=* | NVMF_POLL_PIN=* | YARDSTICK_JOBS=*) export "${a?}" ;;
    *) TARGETS+=("$a") ;;
  esac
done
RUNTIME="${YARDSTICK_RUNTIME:-10}"
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel)
mkdir -p "$OUT"
# The second initiator of the yardstick, when built (perf/yardstick.sh builds it).
PERF_ARGS=()
[ -x "${NVMF_PERF_BIN:-.build/release/nvmf-perf}" ] && PERF_ARGS=(--nvmf-perf "${NVMF_PERF_BIN:-.build/release/nvmf-perf}")

modprobe brd rd_nr=1 rd_size=$((512 * 1024))   # /dev/ram0, 512 MiB of RAM
DEV=/dev/ram0
uname -r >"$OUT/kernel-release"
nproc >"$OUT/guest-cpus"

for t in "${TARGETS[@]}"; do
  case "$t" in
    kernel)
      NQN=nqn.2026-11.io.nvmf-target:yardstick-kernel
      kernel_target_up "$NQN" "$DEV" "$LAB_RDMA_IP" 4420
      perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$NQN" --label kernel --out "$OUT" --runtime "$RUNTIME" ${YARDSTICK_JOBS:+--jobs "$YARDSTICK_JOBS"} "${PERF_ARGS[@]}"
      kernel_target_down "$NQN"
      ;;
    nvmf-tgt)
      NQN=nqn.2026-11.io.nvmf-target:yardstick
      BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
      MODE="${NVMF_TGT_MODE:-adaptive}"
      nvmf_tgt_aio_config "$NQN" "$DEV" "$LAB_RDMA_IP" /tmp/yardstick.json SWIFTNVMF0001
      # shellcheck disable=SC2086  # NVMF_TGT_ARGS is a list of words
      nvmf_tgt_start "$OUT/nvmf-tgt.log" "$LAB_RDMA_IP" "$BIN" --config /tmp/yardstick.json --mode "$MODE" ${NVMF_TGT_ARGS:-}
      nvmf_tgt_idle_cpu "$TPID" "$OUT/nvmf-tgt.idle.cpu"
      perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$NQN" --label nvmf-tgt --out "$OUT" --runtime "$RUNTIME" --target-pid "$TPID" ${YARDSTICK_JOBS:+--jobs "$YARDSTICK_JOBS"} "${PERF_ARGS[@]}"
      nvmf_tgt_stop "$TPID" "$OUT/nvmf-tgt.log"
      ;;
    *) echo "unknown target $t"; exit 2 ;;
  esac
done
