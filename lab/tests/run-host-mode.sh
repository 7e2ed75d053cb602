#!/usr/bin/env bash
# The README's first command on a host whose kernel has rdma_rxe (the lab
# guest is one): run.sh must take the host path (rxe-setup.sh --host, no
# guest) and reach nvmf-tgt with the kernel initiator. The build comes from
# the host (NVMF_SKIP_SETUP=1: the guest has no compiler and no network).
set -euo pipefail
rdma link delete rxe0          # make run.sh bring Soft-RoCE up itself
export RXE_STATE_DIR=/tmp/rxe-state
out=$(NVMF_SKIP_SETUP=1 ./run.sh 2>&1) || { echo "$out" | tail -30; echo "FAIL: run.sh in host mode"; exit 1; }
echo "$out" | grep -E "^== " 
echo "$out" | grep -q "== Soft-RoCE (host mode): device=rxe0 netdev=eth0" || { echo "FAIL: run.sh did not take the host path"; exit 1; }
echo "$out" | grep -q "SWIFTNVMF0000001" || { echo "FAIL: nvme list did not show our serial"; exit 1; }
echo "$out" | grep -q "err= 0" || { echo "FAIL: fio reported an error"; exit 1; }
echo "ok: run.sh in host mode: rxe-setup --host, nvmf-tgt embedded default, kernel initiator, verified fio"
./rxe-setup.sh --down
