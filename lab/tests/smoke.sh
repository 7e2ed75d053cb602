#!/usr/bin/env bash
# Lab smoke test: Soft-RoCE is usable in the guest. Runs via `lab/run`.
#   1. the rxe device's port is PORT_ACTIVE in ibv_devinfo;
#   2. a bounded rping (RDMA CM connect + SEND/RDMA traffic) runs over its address.
set -euo pipefail
: "${LAB_RDMA_DEV:?run me through lab/run}" "${LAB_RDMA_IP:?}"
fail() { echo "SMOKE FAIL: $*"; exit 1; }

info=$(ibv_devinfo -d "$LAB_RDMA_DEV")
echo "$info" | grep -E "hca_id|state|active_mtu|link_layer"
echo "$info" | grep -q "PORT_ACTIVE" || fail "$LAB_RDMA_DEV port is not PORT_ACTIVE"
echo "ok: $LAB_RDMA_DEV PORT_ACTIVE"

COUNT=20
timeout 60 rping -s -a "$LAB_RDMA_IP" -C "$COUNT" -v >/tmp/rping-server.log 2>&1 &
SPID=$!
# Wait (bounded) until the server's CM id is listening, then run the client once.
. "$(dirname "$0")/../lib/wait-listen.sh"
wait_cm_listen "$LAB_RDMA_IP" 30 || fail "rping server never listened: $(tail -3 /tmp/rping-server.log)"
ok=0
timeout 60 rping -c -a "$LAB_RDMA_IP" -C "$COUNT" -S 64 -v >/tmp/rping-client.log 2>&1 && ok=1
wait $SPID || fail "rping server failed: $(tail -3 /tmp/rping-server.log)"
[ $ok = 1 ] || fail "rping client failed: $(tail -3 /tmp/rping-client.log)"
lines=$(grep -c "ping data" /tmp/rping-client.log || true)
[ "$lines" -eq "$COUNT" ] || fail "expected $COUNT rping data lines, saw $lines"
echo "ok: rping $COUNT round trips over $LAB_RDMA_IP"
