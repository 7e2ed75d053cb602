#!/usr/bin/env bash
# Runs in the lab guest (via perf/yardstick.sh): in ONE boot, serves the same
# RAM block device (brd) with each target in turn and runs the same fio suite
# through the same kernel initiator.
#   perf/guest/yardstick.sh [NAME=VALUE...] [kernel] [nvmf-tgt]     (default: kernel)
# NAME=VALUE knobs: YARDSTICK_RUNTIME, NVMF_TGT_MODE, NVMF_TGT_ARGS, NVMF_AIO_SUBMIT_BATCH, NVMF_POLL_WINDOW_US, NVMF_POLL_IDLE, NVMF_POLL_PIN, YARDSTICK_JOBS.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/kernel-target.sh"
. "$HERE/../lib/nvmf-tgt-config.sh"
. "$HERE/../../lab/lib/wait-listen.sh"
OUT="${LAB_OUT:?run me through lab/run}/fio"
# Knobs arrive as NAME=VALUE arguments (lab/run passes no environment).
TARGETS=()
for a in "$@"; do
  case "$a" in
    YARDSTICK_RUNTIME=* | NVMF_TGT_MODE=* | NVMF_TGT_ARGS=* | NVMF_AIO_SUBMIT_BATCH=* | NVMF_POLL_WINDOW_US=* | NVMF_POLL_IDLE=* | NVMF_POLL_PIN=* | YARDSTICK_JOBS=*) export "${a?}" ;;
    *) TARGETS+=("$a") ;;
  esac
done
RUNTIME="${YARDSTICK_RUNTIME:-10}"
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel)
mkdir -p "$OUT"

modprobe brd rd_nr=1 rd_size=$((512 * 1024))   # /dev/ram0, 512 MiB of RAM
DEV=/dev/ram0
uname -r >"$OUT/kernel-release"
nproc >"$OUT/guest-cpus"

for t in "${TARGETS[@]}"; do
  case "$t" in
    kernel)
      NQN=nqn.2026-11.io.nvmf-target:yardstick-kernel
      kernel_target_up "$NQN" "$DEV" "$LAB_RDMA_IP" 4420
      perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$NQN" --label kernel --out "$OUT" --runtime "$RUNTIME" ${YARDSTICK_JOBS:+--jobs "$YARDSTICK_JOBS"}
      kernel_target_down "$NQN"
      ;;
    nvmf-tgt)
      NQN=nqn.2026-11.io.nvmf-target:yardstick
      BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
      MODE="${NVMF_TGT_MODE:-adaptive}"
      nvmf_tgt_aio_config "$NQN" "$DEV" "$LAB_RDMA_IP" /tmp/yardstick.json SWIFTNVMF0001
      # shellcheck disable=SC2086  # NVMF_TGT_ARGS is a list of words
      "$BIN" --config /tmp/yardstick.json --mode "$MODE" ${NVMF_TGT_ARGS:-} >"$OUT/nvmf-tgt.log" 2>&1 &
      TPID=$!
      wait_cm_listen "$LAB_RDMA_IP" 30 4420 || { echo "nvmf-tgt never listened"; cat "$OUT/nvmf-tgt.log"; exit 1; }
      # The CM id listens before the data buffers are registered (seconds of
      # CPU): the idle figure starts once the daemon says it is running.
      for _ in $(seq 600); do grep -q "nvmf-tgt running" "$OUT/nvmf-tgt.log" && break; sleep 0.05; done
      # Idle CPU of the target over 5 s with nothing connected.
      i0=$(awk '{print $14+$15}' /proc/$TPID/stat); s0=$(date +%s%N)
      timeout 5 tail --pid=$TPID -f /dev/null || true   # waits 5 s unless the target dies
      i1=$(awk '{print $14+$15}' /proc/$TPID/stat); s1=$(date +%s%N)
      awk -v c=$((i1 - i0)) -v hz="$(getconf CLK_TCK)" -v ns=$((s1 - s0)) \
        'BEGIN { printf "{\"idle_cpu_pct_of_one_vcpu\": %.2f}\n", 100 * (c / hz) / (ns / 1e9) }' >"$OUT/nvmf-tgt.idle.cpu"
      perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$NQN" --label nvmf-tgt --out "$OUT" --runtime "$RUNTIME" --target-pid "$TPID" ${YARDSTICK_JOBS:+--jobs "$YARDSTICK_JOBS"}
      kill -INT "$TPID"; wait "$TPID" || { echo "nvmf-tgt exited non-zero"; tail "$OUT/nvmf-tgt.log"; exit 1; }
      ;;
    *) echo "unknown target $t"; exit 2 ;;
  esac
done
