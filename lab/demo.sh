#!/usr/bin/env bash
# The demo the README's first command runs (in the lab guest, or on a host with
# rdma_rxe): nvmf-tgt with no config, reached by the Linux kernel initiator.
set -euo pipefail
: "${LAB_RDMA_IP:?needs LAB_RDMA_IP (run through ./run.sh)}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
BIN=.build/release/nvmf-tgt
LOG=$(mktemp)
"$BIN" --listen-address "$LAB_RDMA_IP" >"$LOG" 2>&1 &
TPID=$!
trap 'kill -INT $TPID 2>/dev/null; wait $TPID 2>/dev/null' EXIT
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || { echo "nvmf-tgt did not start:"; cat "$LOG"; exit 1; }
echo "== nvmf-tgt is listening on $LAB_RDMA_IP:4420 (rdma); its log:"
cat "$LOG"
echo "== nvme discover -t rdma -a $LAB_RDMA_IP"
nvme discover -t rdma -a "$LAB_RDMA_IP" -s 4420
NQN=$(nvme discover -t rdma -a "$LAB_RDMA_IP" -s 4420 | awk '/subnqn:/ && $2 !~ /discovery/ {print $2; exit}')
DEV=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN")
echo "== connected $NQN as $DEV"
nvme list
echo "== fio: 4k random write + crc32c verify, then 4k random read QD16 for 5 s"
fio --name=verify --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
  --size=64M --verify=crc32c --verify_state_save=0 --verify_fatal=1 | grep -E "write:|read:|err=" 
fio --name=randread --filename="$DEV" --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=16 \
  --time_based --runtime=5 | grep -E "read:|lat \(usec\): min|err="
nvme_host_disconnect "$NQN"
echo "== done: the kernel initiator used $DEV served by nvmf-tgt over Soft-RoCE"
