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
./scripts/install-deps.sh all
echo "== building nvmf-tgt (release, static Swift stdlib)"
swift build -c release --static-swift-stdlib --product nvmf-tgt 2>&1 | tail -1
if modinfo rdma_rxe >/dev/null 2>&1 || [ -d /sys/module/rdma_rxe ]; then
  eval "$(./rxe-setup.sh --host | sed -n 's/^device=\([^ ]*\) netdev=\([^ ]*\) ip=\([^ ]*\).*/LAB_RDMA_DEV=\1 LAB_NETDEV=\2 LAB_RDMA_IP=\3/p')"
  export LAB_RDMA_DEV LAB_NETDEV LAB_RDMA_IP
  modprobe nvme_rdma
  exec lab/demo.sh
else
  ./rxe-setup.sh --lab
  exec lab/run lab/demo.sh
fi
