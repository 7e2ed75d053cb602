#!/usr/bin/env bash
# Device removal under load, in the lab guest: nvmf-tgt (embedded default)
# serves the kernel initiator, fio is running, and the Soft-RoCE device is
# deleted (`rdma link delete rxe0`). rxe cannot disassociate a user context,
# so the deletion completes only once the target has released every verbs
# object and CM id on the device; a target that holds one hangs it forever.
# Then the device is added back: the target must listen again by itself and
# serve a fresh connection with verified I/O. Every check prints "ok: ...".
#
# A second device (rxe1 on a dummy netdev) stays up throughout: librdmacm
# (rdma-core 44 and upstream) closes its own context of a removed device only
# when its device-list resync finds at least one device; with none left it
# returns ENODEV early and keeps the dead context, so the last device of a
# process that uses librdmacm cannot be deleted while the process runs. See
# docs/ARCHITECTURE.md, "Device removal".
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}" "${LAB_NETDEV:=eth0}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
[ -x "$BIN" ] || { echo "no $BIN: build it on the host with 'swift build -c release --static-swift-stdlib --product nvmf-tgt'"; exit 1; }
NQN=nqn.2026-11.io.nvmf-target:default
LOG=/tmp/devrm-tgt.log
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"; grep -v "debug" "$LOG" | tail -30 || true; dmesg | tail -20
  [ -n "${DEL:-}" ] && { echo "rdma link delete is in:"; cat "/proc/$DEL/stack" 2>/dev/null; ls -l "/proc/$TPID/fd" | grep infiniband; }
  kill -9 "$TPID" 2>/dev/null || true   # frees the device, so a blocked `rdma link delete` returns
  exit 1
}
uverbs_fds() { ls -l "/proc/$TPID/fd" 2>/dev/null | grep -c "/dev/infiniband/" || true; }
dead_uverbs_fds() { ls -l "/proc/$TPID/fd" 2>/dev/null | grep -c "/dev/infiniband/uverbs.*(deleted)" || true; }

ip link add devrm0 type dummy && ip link set devrm0 up && rdma link add rxe1 type rxe netdev devrm0 \
  || { echo "FAIL: cannot add the second rxe device"; exit 1; }

"$BIN" --listen-address "$LAB_RDMA_IP" --log-level debug >"$LOG" 2>&1 &
TPID=$!
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || fail "nvmf-tgt never listened"
for _ in $(seq 600); do grep -q "nvmf-tgt running" "$LOG" && break; sleep 0.05; done
DEV=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN") || fail "connect"
ok "connected $DEV; the target holds $(uverbs_fds) RDMA device file(s)"

# I/O in flight when the device goes (errors are expected: the path dies).
fio --name=load --filename="$DEV" --ioengine=libaio --direct=1 --rw=randrw --bs=4k --iodepth=32 \
  --time_based --runtime=60 --output=/dev/null >/tmp/devrm-fio.log 2>&1 &
FIO=$!
# Completed I/Os on the controller paths (a multipath head node keeps no counts).
host_ios() { cat /sys/class/nvme/nvme*/nvme*c*n*/stat 2>/dev/null | awk '{n += $1 + $5} END {print n + 0}'; }
for _ in $(seq 200); do
  [ "$(host_ios)" -gt 1000 ] && break
  sleep 0.1
done
ios=$(host_ios)
[ "$ios" -gt 1000 ] || { cat /tmp/devrm-fio.log; fail "fio is not doing I/O ($ios I/Os)"; }
ok "fio running ($ios I/Os so far)"

rdma link delete rxe0 &
DEL=$!
deadline=$((SECONDS + 60))
while kill -0 "$DEL" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "rdma link delete still blocked after 60 s: the target holds the device"
  sleep 0.2
done
wait "$DEL" || fail "rdma link delete failed"
ok "rdma link delete rxe0 completed in $((SECONDS + 60 - deadline)) s under load"
kill "$FIO" 2>/dev/null || true; wait "$FIO" 2>/dev/null || true
kill -0 "$TPID" 2>/dev/null || fail "nvmf-tgt died with the device"
[ "$(dead_uverbs_fds)" = 0 ] || fail "nvmf-tgt still has $(dead_uverbs_fds) file(s) of the deleted device open"
grep -q "RDMA device released" "$LOG" || fail "no 'RDMA device released' in the log"
ok "nvmf-tgt is alive and holds no file of the deleted device"
nvme disconnect -n "$NQN" >/dev/null 2>&1 || true   # the host may already have dropped it

rdma link add rxe0 type rxe netdev "$LAB_NETDEV" || fail "rdma link add"
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || fail "nvmf-tgt did not listen again on the new device"
# The id listens before the new device's data buffers are registered (seconds under TCG).
for _ in $(seq 600); do grep -q "listening again" "$LOG" && break; sleep 0.05; done
grep -q "listening again" "$LOG" || fail "no 'listening again' in the log"
ok "nvmf-tgt listens again on the re-added device"
DEV=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN") || fail "reconnect"
out=$(fio --name=v --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
  --size=32M --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 2>&1) || { echo "$out" | tail; fail "fio verify after re-add"; }
ok "reconnected as $DEV; crc32c write+verify of 32 MiB passed"
nvme disconnect -n "$NQN" >/dev/null
kill -INT "$TPID"
wait "$TPID" || fail "nvmf-tgt exited non-zero"
ok "nvmf-tgt stopped cleanly"
rdma link delete rxe1 && ip link delete devrm0
