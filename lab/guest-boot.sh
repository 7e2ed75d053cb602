#!/bin/bash
# Runs inside the lab guest as PID 1's child (lab-init): mounts the shares,
# brings Soft-RoCE up, runs the job, and leaves its exit code in /lab-job.
# Copied into each run's job folder by lab/run.
. /lab-job/job.env
exec >/lab-job/output.log 2>&1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
mkdir -p "$REPO" /opt/swift /tmp
mount -t tmpfs tmpfs /tmp
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose repo "$REPO" || { echo "guest: cannot mount the repository"; echo 90 >/lab-job/exit-code; exit; }
[ "$HAVE_SWIFT" = 1 ] && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro swift /opt/swift
ulimit -l unlimited
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
for m in rdma_rxe rdma_ucm ib_uverbs rdma_cm ib_umad nvme_fabrics nvme_rdma nvmet nvmet_rdma configfs; do
  modprobe "$m" 2>/dev/null || echo "guest: modprobe $m failed"
done
export LAB_GUEST=1 LAB_NETDEV=eth0 LAB_RDMA_IP=10.0.2.15 LAB_RDMA_DEV=rxe0 NVMF_LAB_DEVICE=rxe0 LAB_OUT=/lab-job/out
rdma link add rxe0 type rxe netdev eth0 || { echo "guest: rdma link add failed"; echo 91 >/lab-job/exit-code; exit; }
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
cd "$REPO"
rc=0
bash "$SCRIPT" "${ARGS[@]}" || rc=$?
echo "$rc" >/lab-job/exit-code
sync
umount "$REPO" 2>/dev/null
