#!/usr/bin/env bash
# The host half of host-vanishes (see lib/host-vanishes.target.sh):
#   lib/host-vanishes.host.sh busy|idle
# Discovers and connects to the target guest, starts fio (busy) or not
# (idle), drops every frame on its link, and waits for the target to report
# that it freed our queues. Every check prints "ok: ...".
set -euo pipefail
PHASE="${1:?busy or idle}"
: "${LAB_PAIR:?run me through lab/run-pair}"
. lab/lib/pair.sh
. perf/lib/nvme-host.sh
NQN=nqn.2026-11.io.nvmf-target:default
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; dmesg | grep -v "requeuing I/O\|failing I/O" | tail -20; exit 1; }
host_ios() { cat /sys/class/nvme/nvme*/nvme*c*n*/stat 2>/dev/null | awk '{n += $1 + $5} END {print n + 0}'; }

pair_wait ready 180 || fail "the target never got ready"
out=$(nvme discover -t rdma -a "$LAB_PEER_IP" -s 4420) || fail "nvme discover: $out"
echo "$out" | grep -q "subnqn: *$NQN" || { echo "$out"; fail "discovery does not list $NQN"; }
ok "nvme discover over the link lists $NQN"
DEV=$(nvme_host_connect "$LAB_PEER_IP" 4420 "$NQN") || fail "connect"
ok "connected $DEV across the link"
pair_signal connected
if [ "$PHASE" = busy ]; then
  fio --name=load --filename="$DEV" --ioengine=libaio --direct=1 --rw=randrw --bs=4k --iodepth=32 \
    --time_based --runtime=600 --output=/dev/null >/tmp/vanish-fio.log 2>&1 &
  for _ in $(seq 300); do [ "$(host_ios)" -gt 1000 ] && break; sleep 0.1; done
  [ "$(host_ios)" -gt 1000 ] || { cat /tmp/vanish-fio.log; fail "fio is not doing I/O"; }
  ok "fio running ($(host_ios) I/Os so far)"
fi
# Vanish: every frame in or out of eth0 dropped by tc, so nothing of ours
# reaches the target and nothing of its reaches our rxe. (Taking the link
# down instead stops this guest consuming its receive ring, and the QEMU link
# then stalls the target guest itself for minutes on kernel 6.12.)
tc qdisc add dev "$LAB_NETDEV" ingress && tc filter add dev "$LAB_NETDEV" ingress matchall action drop \
  && tc qdisc add dev "$LAB_NETDEV" root handle 1: prio && tc filter add dev "$LAB_NETDEV" parent 1: matchall action drop \
  || fail "tc cannot drop the link's frames"
ok "every frame on $LAB_NETDEV dropped ($PHASE)"
pair_signal vanished
pair_wait freed 180 || fail "the target did not free the vanished host's queues"
ok "the target freed our queues"
# Stay down: the target guest checks a new host next, and exits when done.
