#!/usr/bin/env bash
# The target machine of the two-guest yardstick (perf/pair-yardstick.sh, via
# lab/run-pair): in ONE boot, serves the same RAM block device (brd) with each
# target in turn, round after round, while the host guest runs the fio suite
# through its kernel initiator (perf/guest/pair-host.sh).
#   perf/guest/pair-target.sh [NAME=VALUE...] [kernel] [nvmf-tgt]
# Knobs: YARDSTICK_ROUNDS, NVMF_TGT_MODE, NVMF_TGT_ARGS, NVMF_POLL_WINDOW_US,
# NVMF_POLL_IDLE, NVMF_POLL_PIN (the host half takes the fio knobs).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/guest-tools.sh"
. "$HERE/../lib/pair-cpu.sh"
. "$HERE/../../lab/lib/pair.sh"
: "${LAB_PAIR:?run me through lab/run-pair}"
TARGETS=()
for a in "$@"; do
  case "$a" in
    NVMF_POLL_WINDOW_US=* | NVMF_POLL_IDLE=* | NVMF_POLL_PIN=*) export "${a?}" ;;
    YARDSTICK_ROUNDS=* | NVMF_TGT_MODE=* | NVMF_TGT_ARGS=*) declare "${a?}" ;;
    *=*) ;;   # the host half's knobs
    *) TARGETS+=("$a") ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel)
modprobe brd rd_nr=1 rd_size=$((512 * 1024))   # /dev/ram0, 512 MiB of RAM
DEV=/dev/ram0
pair_signal target-info "$(nproc) $(uname -r)"
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"

for r in $(seq "${YARDSTICK_ROUNDS:-1}"); do
  for t in "${TARGETS[@]}"; do
    case "$t" in
      kernel)
        NQN=nqn.2026-11.io.nvmf-target:yardstick-kernel
        kernel_target_up "$NQN" "$DEV" "$LAB_RDMA_IP" 4420
        pair_signal "ready.kernel-r$r" "$NQN"
        pair_cpu_serve "kernel-r$r"
        kernel_target_down "$NQN"
        ;;
      nvmf-tgt)
        NQN=nqn.2026-11.io.nvmf-target:yardstick
        nvmf_tgt_aio_config "$NQN" "$DEV" "$LAB_RDMA_IP" /tmp/yardstick.json SWIFTNVMF0001
        # shellcheck disable=SC2086  # NVMF_TGT_ARGS is a list of words
        nvmf_tgt_start "$LAB_OUT/nvmf-tgt-r$r.log" "$LAB_RDMA_IP" "$BIN" --config /tmp/yardstick.json \
          --mode "${NVMF_TGT_MODE:-adaptive}" ${NVMF_TGT_ARGS:-}
        nvmf_tgt_idle_cpu "$TPID" "$LAB_OUT/nvmf-tgt-r$r.idle.cpu"
        pair_signal "idle.nvmf-tgt-r$r" "$(cat "$LAB_OUT/nvmf-tgt-r$r.idle.cpu")"
        pair_signal "ready.nvmf-tgt-r$r" "$NQN"
        pair_cpu_serve "nvmf-tgt-r$r" "$TPID"
        nvmf_tgt_stop "$TPID" "$LAB_OUT/nvmf-tgt-r$r.log"
        ;;
      *) echo "unknown target $t"; exit 2 ;;
    esac
  done
done
