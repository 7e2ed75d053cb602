#!/bin/bash
# Runs inside the lab guest as PID 1's child (lab-init): mounts the shares,
# brings Soft-RoCE up, runs the job, and leaves its exit code in /lab-job.
# Copied into each run's job folder by lab/run.
. /lab-job/job.env
exec >/lab-job/output.log 2>&1
: >/lab-job/started   # the kernel came up: lab/run retries only boots that never got here
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp   # before the shares: the repository may live under /tmp
mkdir -p "$REPO" /opt/swift
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose repo "$REPO" || { echo "guest: cannot mount the repository"; echo 90 >/lab-job/exit-code; exit; }
[ "$HAVE_SWIFT" = 1 ] && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro swift /opt/swift
ulimit -l unlimited
ip link set lo up
ip link set eth0 up
# GUEST_IP and PAIR come from job.env: lab/run-pair gives its two guests their
# own addresses on a link between them and a shared folder for signalling.
IP="${GUEST_IP:-10.0.2.15}"
ip addr add "$IP/24" dev eth0
if [ "${PAIR:-0}" = 1 ]; then
  mkdir -p /lab-pair && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 pair /lab-pair \
    || { echo "guest: cannot mount the pair folder"; echo 92 >/lab-job/exit-code; exit; }
  export LAB_PAIR=/lab-pair LAB_PEER_IP="$PEER_IP" LAB_ROLE="$ROLE"
fi
for m in rdma_rxe rdma_ucm ib_uverbs rdma_cm ib_umad nvme_fabrics nvme_rdma nvmet nvmet_rdma configfs; do
  modprobe "$m" 2>/dev/null || echo "guest: modprobe $m failed"
done
export LAB_GUEST=1 LAB_NETDEV=eth0 LAB_RDMA_IP="$IP" LAB_RDMA_DEV=rxe0 NVMF_LAB_DEVICE=rxe0 LAB_OUT=/lab-job/out
rdma link add rxe0 type rxe netdev eth0 || { echo "guest: rdma link add failed"; echo 91 >/lab-job/exit-code; exit; }
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
cd "$REPO"
rc=0
bash "$SCRIPT" "${ARGS[@]}" || rc=$?
# A failed side tells its peer at once, so the peer stops waiting for it.
if [ "${PAIR:-0}" = 1 ] && [ "$rc" != 0 ]; then echo "$rc" >"/lab-pair/failed.$ROLE"; fi
echo "$rc" >/lab-job/exit-code
sync
umount "$REPO" 2>/dev/null
