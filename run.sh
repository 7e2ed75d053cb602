#!/usr/bin/env bash
# The main job (the README's first command), on a fresh machine:
#   installs what is needed, builds nvmf-tgt (release, static Swift stdlib),
#   brings Soft-RoCE up, starts nvmf-tgt with its embedded default (one 256 MiB
#   memory namespace, listener on the Soft-RoCE address, port 4420), connects the
#   kernel initiator, shows the namespace, runs a short verified fio, disconnects.
# Where the kernel has rdma_rxe this runs on the host; elsewhere (this kind of
# machine, containers, WSL) it runs in the lab guest (lab/).
set -euo pipefail
cd "$(dirname "$0")"
# NVMF_SKIP_SETUP=1 reuses an existing build (the lab test of host mode runs
# this script inside the guest, which has no compiler and no network).
if [ "${NVMF_SKIP_SETUP:-0}" != 1 ]; then
  ./scripts/install-deps.sh all
  echo "== building nvmf-tgt (release, static Swift stdlib)"
  swift build -c release --static-swift-stdlib --product nvmf-tgt 2>&1 | tail -1
fi
if modinfo rdma_rxe >/dev/null 2>&1 || [ -d /sys/module/rdma_rxe ]; then
  report=$(./rxe-setup.sh --host)
  echo "== Soft-RoCE (host mode): $report"
  eval "$(echo "$report" | sed -n 's/^device=\([^ ]*\) netdev=\([^ ]*\) ip=\([^ ]*\).*/LAB_RDMA_DEV=\1 LAB_NETDEV=\2 LAB_RDMA_IP=\3/p')"
  export LAB_RDMA_DEV LAB_NETDEV LAB_RDMA_IP
  ulimit -l unlimited
  modprobe nvme_rdma
  exec lab/demo.sh
else
  ./rxe-setup.sh --lab
  exec lab/run lab/demo.sh
fi
