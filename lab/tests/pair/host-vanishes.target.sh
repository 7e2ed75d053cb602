#!/usr/bin/env bash
# A host that vanishes mid-I/O, on two machines (lab/run-pair; the host half
# is host-vanishes.host.sh). nvmf-tgt (embedded default) serves the host
# guest's kernel initiator over a real link; while fio runs, the host's
# Ethernet link goes down, so no DREQ, no keep-alive and no ACK ever arrives
# again (in one guest this cannot be staged: deleting the host's rxe device
# deletes the target's too). The target must tear the controller down by
# itself (the transport's unanswered sends or keep-alive expiry when busy;
# keep-alive expiry alone when the host vanishes idle: both are staged), free
# every queue pair and CM id it made for the host, stay up, and serve the
# host again when it comes back. Every check prints "ok: ...".
set -euo pipefail
: "${LAB_PAIR:?run me through lab/run-pair}"
. lab/lib/wait-listen.sh
. lab/lib/pair.sh
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
[ -x "$BIN" ] || { echo "no $BIN: build it on the host with 'swift build -c release --static-swift-stdlib --product nvmf-tgt'"; exit 1; }
LOG=/tmp/vanish-tgt.log
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; grep -v debug "$LOG" | tail -30 || true; ip neigh; dmesg | tail -10; exit 1; }
# count KIND: user-space RDMA resources of KIND (qp, cm_id): in this guest
# only nvmf-tgt makes any (the pid shown is the creating thread's, so match
# any pid; kernel-owned ones have none).
count() { rdma resource show "$1" 2>/dev/null | grep -c " pid " || true; }

"$BIN" --listen-address "$LAB_RDMA_IP" >"$LOG" 2>&1 &
TPID=$!
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || fail "nvmf-tgt never listened"
for _ in $(seq 600); do grep -q "nvmf-tgt running" "$LOG" && break; sleep 0.05; done
QP0=$(count qp) CM0=$(count cm_id)
ok "nvmf-tgt listening on $LAB_RDMA_IP: $QP0 queue pair(s), $CM0 CM id(s) with nothing connected"
pair_signal ready

# Twice: first with fio running (the transport sees its sends go unanswered),
# then with the host idle (only the keep-alive timer can notice).
for phase in busy idle; do
  pair_wait "connected.$phase" 300 || fail "the host never connected ($phase)"
  QP1=$(count qp) CM1=$(count cm_id)
  [ "$QP1" -gt "$QP0" ] && [ "$CM1" -gt "$CM0" ] || fail "no queue pairs for the host ($QP1 QPs, $CM1 CM ids)"
  ok "the host is connected: $QP1 queue pairs, $CM1 CM ids"
  torn0=$(grep -c "controller torn down" "$LOG" || true)
  pair_wait "vanished.$phase" 120 || fail "the host never went away ($phase)"
  t0=$SECONDS
  for _ in $(seq 1800); do [ "$(grep -c "controller torn down" "$LOG")" -gt "$torn0" ] && break; sleep 0.05; done
  line=$(grep "controller torn down" "$LOG" | tail -n +$((torn0 + 1)) | grep -v discovery | tail -1)
  [ -n "$line" ] || fail "no controller teardown 90 s after the host vanished ($phase)"
  ok "$phase host: controller torn down $((SECONDS - t0)) s after it vanished: $(echo "$line" | grep -o 'reason=[^[]*')"
  if [ "$phase" = idle ]; then
    echo "$line" | grep -q "reason=keep-alive timeout" || fail "an idle host's controller must go by keep-alive expiry"
  fi
  for _ in $(seq 1200); do
    [ "$(count qp)" = "$QP0" ] && [ "$(count cm_id)" = "$CM0" ] && break
    sleep 0.05
  done
  [ "$(count qp)" = "$QP0" ] || { rdma resource show qp; fail "$(count qp) queue pairs left, $QP0 before the host came"; }
  [ "$(count cm_id)" = "$CM0" ] || { rdma resource show cm_id; fail "$(count cm_id) CM ids left, $CM0 before the host came"; }
  kill -0 "$TPID" 2>/dev/null || fail "nvmf-tgt died"
  ok "every queue pair and CM id of the vanished host freed ($QP0 QPs, $CM0 CM ids left); nvmf-tgt is up"
  pair_signal "freed.$phase"
done

pair_wait verified 300 || fail "the host's last connection failed"
ok "the host came back and its verified I/O passed"
kill -INT "$TPID"
wait "$TPID" || fail "nvmf-tgt exited non-zero"
ok "nvmf-tgt stopped cleanly"
