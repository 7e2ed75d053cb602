#!/usr/bin/env bash
# The target half of perf/pair-profile.sh (via lab/run-pair): serves brd with
# the kernel target, then nvmf-tgt, and profiles this guest system-wide
# (perf record -a, cpu-clock) while the host guest's fio runs against each;
# prints the top symbols and the split by thread.
#   perf/guest/pair-profile-target.sh PERFKIT_DIR [FIO ARGS...]
set -uo pipefail
K="$1"; shift
export LD_LIBRARY_PATH="$K/lib"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/guest-tools.sh"
. "$HERE/../../lab/lib/pair.sh"
OUT="${LAB_OUT:?run me through lab/run-pair}"
modprobe brd rd_nr=1 rd_size=$((512 * 1024))
echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid

profile() { # LABEL: once the host says fio is past its ramp
  pair_wait "steady.$1" 120 || exit 1
  "$K/perf" record -a -e cpu-clock -F 499 -o "$OUT/$1.perf.data" -- sleep 6 >/dev/null 2>&1
  pair_signal "profiled.$1"
  echo "##### $1: top symbols (share of the target guest's vCPUs)"
  "$K/perf" report -i "$OUT/$1.perf.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null | grep "%" | head -30
  echo "##### $1: by thread"
  "$K/perf" report -i "$OUT/$1.perf.data" --no-children --sort comm --stdio 2>/dev/null | grep "%" | head -10
  pair_wait "done.$1" 120 || exit 1
}

NQN=nqn.2026-11.io.nvmf-target:profile-kernel
kernel_target_up "$NQN" /dev/ram0 "$LAB_RDMA_IP" 4420
pair_signal ready.kernel "$NQN"
profile kernel
kernel_target_down "$NQN"

NQN=nqn.2026-11.io.nvmf-target:profile
nvmf_tgt_aio_config "$NQN" /dev/ram0 "$LAB_RDMA_IP" /tmp/profile.json SWIFTNVMF0003
nvmf_tgt_start "$OUT/nvmf-tgt.log" "$LAB_RDMA_IP" .build/release/nvmf-tgt --config /tmp/profile.json ${NVMF_TGT_MODE:+--mode "$NVMF_TGT_MODE"} || exit 1
pair_signal ready.nvmf-tgt "$NQN"
profile nvmf-tgt
nvmf_tgt_stop "$TPID" "$OUT/nvmf-tgt.log"
