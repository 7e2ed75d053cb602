#!/usr/bin/env bash
# The host half of host-vanishes (see host-vanishes.target.sh): discovers and
# connects to the target guest, runs fio, then takes its Ethernet link down
# mid-I/O and waits for the target to free its queues; comes back, connects
# and goes down again while idle; comes back once more, connects afresh and
# runs a crc32c write+verify. Every check prints "ok: ...".
set -euo pipefail
: "${LAB_PAIR:?run me through lab/run-pair}"
. lab/lib/pair.sh
. perf/lib/nvme-host.sh
NQN=nqn.2026-11.io.nvmf-target:default
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; ip neigh; rdma link show; dmesg | grep -v "requeuing I/O\|failing I/O" | tail -20; exit 1; }

pair_wait ready 180 || fail "the target never got ready"
out=$(nvme discover -t rdma -a "$LAB_PEER_IP" -s 4420) || fail "nvme discover: $out"
echo "$out" | grep -q "subnqn: *$NQN" || { echo "$out"; fail "discovery does not list $NQN"; }
ok "nvme discover over the link lists $NQN"
host_ios() { cat /sys/class/nvme/nvme*/nvme*c*n*/stat 2>/dev/null | awk '{n += $1 + $5} END {print n + 0}'; }
# come_back: as a host that rebooted would: link up, the dead association
# dropped (its I/O fails), and a fresh rxe device. (Reconnecting on the same
# rxe0 after a link flap is not answered on kernel 6.1: the new connection's
# REP never completes on the host, whichever target it talks to; see
# docs/ARCHITECTURE.md, "A host that vanishes".)
come_back() {
  ip link set "$LAB_NETDEV" up
  nvme disconnect -n "$NQN" >/dev/null 2>&1 || true
  for _ in $(seq 300); do
    ls /sys/class/nvme/ 2>/dev/null | grep -q nvme || break
    sleep 0.1
  done
  ls /sys/class/nvme/ 2>/dev/null | grep -q nvme && fail "the old controller is still there 30 s after nvme disconnect"
  rdma link delete rxe0 && rdma link add rxe0 type rxe netdev "$LAB_NETDEV" || fail "cannot renew rxe0"
  # rxe adds the port's IPv4 GID from a workqueue: wait for it before connecting.
  local gid
  gid=$(printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x' ${LAB_RDMA_IP//./ })
  for _ in $(seq 200); do
    grep -qx "$gid" /sys/class/infiniband/rxe0/ports/1/gids/* 2>/dev/null && return 0
    sleep 0.05
  done
  fail "rxe0 has no GID for $LAB_RDMA_IP 10 s after it was added"
}

# Busy: fio runs when the link goes down.
DEV=$(nvme_host_connect "$LAB_PEER_IP" 4420 "$NQN") || fail "connect"
ok "connected $DEV across the link"
pair_signal connected.busy
fio --name=load --filename="$DEV" --ioengine=libaio --direct=1 --rw=randrw --bs=4k --iodepth=32 \
  --time_based --runtime=600 --output=/dev/null >/tmp/vanish-fio.log 2>&1 &
FIO=$!
for _ in $(seq 300); do [ "$(host_ios)" -gt 1000 ] && break; sleep 0.1; done
[ "$(host_ios)" -gt 1000 ] || { cat /tmp/vanish-fio.log; fail "fio is not doing I/O"; }
ok "fio running ($(host_ios) I/Os so far)"
ip link set "$LAB_NETDEV" down
ok "link down mid-I/O"
pair_signal vanished.busy
pair_wait freed.busy 180 || fail "the target did not free the vanished host's queues"
ok "the target freed our queues"
come_back
kill "$FIO" 2>/dev/null || true; wait "$FIO" 2>/dev/null || true

# Idle: connected, no I/O, link down: only keep-alive expiry can tell.
DEV=$(nvme_host_connect "$LAB_PEER_IP" 4420 "$NQN") || fail "second connect"
ok "connected $DEV again, idle"
pair_signal connected.idle
ip link set "$LAB_NETDEV" down
ok "link down while idle"
pair_signal vanished.idle
pair_wait freed.idle 180 || fail "the target did not free the idle host's queues"
ok "the target freed our queues"
come_back

DEV=$(nvme_host_connect "$LAB_PEER_IP" 4420 "$NQN") || fail "reconnect after the link came back"
out=$(fio --name=v --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
  --size=32M --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 2>&1) || { echo "$out" | tail; fail "fio verify after coming back"; }
ok "reconnected as $DEV; crc32c write+verify of 32 MiB passed"
nvme disconnect -n "$NQN" >/dev/null
pair_signal verified
