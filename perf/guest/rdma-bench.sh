#!/bin/sh
# fio through the kernel initiator: the kernel target (nvmet-rdma on a brd RAM
# disk) and then this transport (RAM namespace, RdmaTransportLabTests.BenchLabTests),
# in the same guest boot, same jobs. Prints "BENCH ..." lines for both.
#
#   swift build -c release --build-tests -Xswiftc -enable-testing     # on the host
#   lab/run perf/guest/rdma-bench.sh [MODE [TEST_BUNDLE [GROUPS]]]     # MODE: poll|interrupt|adaptive
#
# Without a MODE argument it exits 0
# at once: it is a benchmark, not a test.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
: "${LAB_RDMA_IP:?run me through lab/run}"
[ $# -ge 1 ] || { echo "rdma-bench: a benchmark; run it with a mode (poll|interrupt|adaptive)"; exit 0; }
MODE=$1
binary=${2:-$REPO/.build/release/nvmf-targetPackageTests.xctest}
[ -x "$binary" ] || { echo "rdma-bench: no release test bundle at $binary; skipped"; exit 0; }
export NVMF_LAB_DEVICE="${NVMF_LAB_DEVICE:-rxe0}" NVMF_LAB_ADDRESS="$LAB_RDMA_IP"
export LD_LIBRARY_PATH=/opt/swift/usr/lib/swift/linux
RUNTIME=${NVMF_RDMA_BENCH_RUNTIME:-10}
ulimit -l unlimited
NQN=nqn.2026-01.io.swift-nvmf:kernel-bench
. "$REPO/perf/lib/kernel-target.sh"

modprobe brd rd_nr=1 rd_size=65536
kernel_target_up "$NQN" /dev/ram0 "$LAB_RDMA_IP" 4420
nvme connect -t rdma -a "$LAB_RDMA_IP" -s 4420 -n "$NQN" >/dev/null
dev=""
for i in $(seq 100); do
  for d in /sys/class/nvme-subsystem/*; do
    [ "$(cat "$d/subsysnqn" 2>/dev/null)" = "$NQN" ] || continue
    for n in "$d"/nvme*n*; do [ -e "/dev/$(basename "$n")" ] && dev=/dev/$(basename "$n"); done
  done
  [ -n "$dev" ] && break
  sleep 0.1
done
[ -n "$dev" ] || { echo "rdma-bench: kernel target namespace never appeared"; exit 1; }
for job in "randread 4k 1" "randread 4k 32" "randwrite 4k 32" "read 128k 8"; do
  set -- $job
  out=$(fio --name=bench --filename="$dev" --direct=1 --ioengine=libaio --rw="$1" --bs="$2" --iodepth="$3" \
    --runtime="$RUNTIME" --time_based --minimal | tail -1)
  case "$1" in *read*) iops=$(echo "$out" | cut -d';' -f8); lat=$(echo "$out" | cut -d';' -f40) ;;
    *) iops=$(echo "$out" | cut -d';' -f49); lat=$(echo "$out" | cut -d';' -f81) ;; esac
  echo "BENCH kernel-nvmet $1-$2-qd$3: ${iops%.*} IOPS, mean latency ${lat%.*} us"
done
nvme disconnect -n "$NQN" >/dev/null
kernel_target_down "$NQN"

NVMF_RDMA_BENCH=1 NVMF_RDMA_BENCH_MODE=$MODE NVMF_RDMA_BENCH_GROUPS=${3:-2} NVMF_RDMA_BENCH_RUNTIME=$RUNTIME \
  "$binary" --testing-library swift-testing --filter BenchLabTests 2>&1 | grep -E "BENCH|✔|✘|passed|failed"
