#!/usr/bin/env bash
# Runs in the lab guest (via perf/profile.sh): system-wide CPU profile
# (perf record -a, cpu-clock) while fio runs one job against the kernel target
# and then against nvmf-tgt, on the same brd device; prints the top symbols
# and the split by thread (comm) for each.
#   perf/guest/profile.sh PERFKIT_DIR [FIO ARGS...]
set -uo pipefail
K="$1"; shift
FIO_ARGS=("$@"); [ ${#FIO_ARGS[@]} -gt 0 ] || FIO_ARGS=(--rw=read --bs=128k --iodepth=8)
export LD_LIBRARY_PATH="$K/lib"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/guest-tools.sh"
. "$HERE/../lib/nvme-host.sh"
OUT="${LAB_OUT:?run me through lab/run}"
modprobe brd rd_nr=1 rd_size=$((512 * 1024))
DEV=/dev/ram0
echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid

profile() { # LABEL BLOCKDEV
  fio --name=p --filename="$2" --ioengine=libaio --direct=1 --time_based --runtime=12 --output=/dev/null "${FIO_ARGS[@]}" &
  local f=$!
  sleep 3   # fio's ramp: the profile covers the steady state only
  "$K/perf" record -a -e cpu-clock -F 499 -o "$OUT/$1.perf.data" -- sleep 6 >/dev/null 2>&1
  wait $f
  echo "##### $1: top symbols (share of both vCPUs)"
  "$K/perf" report -i "$OUT/$1.perf.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null | grep "%" | head -25
  echo "##### $1: by thread"
  "$K/perf" report -i "$OUT/$1.perf.data" --no-children --sort comm --stdio 2>/dev/null | grep "%" | head -10
}

NQN=nqn.2026-11.io.nvmf-target:profile-kernel
kernel_target_up "$NQN" "$DEV" "$LAB_RDMA_IP" 4420
D=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN")
profile kernel "$D"
nvme_host_disconnect "$NQN"; kernel_target_down "$NQN"

NQN=nqn.2026-11.io.nvmf-target:profile
nvmf_tgt_aio_config "$NQN" "$DEV" "$LAB_RDMA_IP" /tmp/profile.json SWIFTNVMF0003
.build/release/nvmf-tgt --config /tmp/profile.json >"$OUT/nvmf-tgt.log" 2>&1 &
T=$!
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || { cat "$OUT/nvmf-tgt.log"; exit 1; }
for _ in $(seq 600); do grep -q "nvmf-tgt running" "$OUT/nvmf-tgt.log" && break; sleep 0.05; done
D=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN")
profile nvmf-tgt "$D"
nvme_host_disconnect "$NQN"; kill -INT $T; wait $T
