#!/usr/bin/env bash
# A host that vanishes, on two machines (lab/run-pair; the host half is
# lib/host-vanishes.host.sh):
#   lib/host-vanishes.target.sh busy|idle
# nvmf-tgt (embedded default) serves the host guest's kernel initiator over a
# real link; then every frame on the host's link is dropped, so no DREQ, no
# keep-alive and no ACK arrives again (in one guest this cannot be staged:
# the host's rxe device would be the target's too). busy: fio is running;
# idle: nothing is but keep-alives. The keep-alive timer fires (4-6 s after
# the drop in 8 of 10 runs on 2026-12-02), unless a send of ours still in
# flight fails first and closes its queue (the other 2, trixie busy, within a
# second): either is right, and the check prints the reason the log gives. (A host that stays connected but silent, so that only the timer can
# tell, is RdmaTransportLabTests' silentHostIsTornDownByKeepAlive.) The target
# must tear the controller down by itself, free every queue pair and CM id it made
# for the host, stay up, and serve verified I/O to a new host: this guest's
# own kernel initiator over its rxe0. (The vanished host itself does not
# reconnect: after a link flap, a reconnect from it is refused on kernel 6.1
# whichever target it talks to; see docs/ARCHITECTURE.md.) Every check prints "ok: ...".
set -euo pipefail
PHASE="${1:?busy or idle}"
: "${LAB_PAIR:?run me through lab/run-pair}"
. lab/lib/wait-listen.sh
. lab/lib/pair.sh
. perf/lib/nvme-host.sh
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
[ -x "$BIN" ] || { echo "no $BIN: build it on the host with 'swift build -c release --static-swift-stdlib --product nvmf-tgt'"; exit 1; }
NQN=nqn.2026-11.io.nvmf-target:default
LOG="$LAB_OUT/nvmf-tgt.log"   # kept in lab/runs/ID/target/out
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; grep -v debug "$LOG" | tail -30 || true; dmesg | tail -10; exit 1; }
# count KIND: user-space RDMA resources of KIND (qp, cm_id) that belong to
# nvmf-tgt, the only user-space RDMA program here until this guest's own
# initiator connects (the pid shown is the creating thread's, so match any
# pid; kernel-owned ones have none).
count() { rdma resource show "$1" 2>/dev/null | grep -c " pid " || true; }

"$BIN" --listen-address "$LAB_RDMA_IP" ${NVMF_TEST_LOG_LEVEL:+--log-level "$NVMF_TEST_LOG_LEVEL"} >"$LOG" 2>&1 &
TPID=$!
wait_cm_listen "$LAB_RDMA_IP" 30 4420 || fail "nvmf-tgt never listened"
for _ in $(seq 600); do grep -q "nvmf-tgt running" "$LOG" && break; sleep 0.05; done
QP0=$(count qp) CM0=$(count cm_id)
ok "nvmf-tgt listening on $LAB_RDMA_IP: $QP0 queue pair(s), $CM0 CM id(s) with nothing connected"
pair_signal ready

pair_wait connected 300 || fail "the host never connected"
QP1=$(count qp) CM1=$(count cm_id)
[ "$QP1" -gt "$QP0" ] && [ "$CM1" -gt "$CM0" ] || fail "no queue pairs for the host ($QP1 QPs, $CM1 CM ids)"
ok "the host is connected: $QP1 queue pairs, $CM1 CM ids"
# Teardowns so far (the host's discovery controller has had one): the next
# one is the vanished host's.
torn0=$(grep -c "controller torn down" "$LOG" || true)
pair_wait vanished 120 || fail "the host never went away"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 60 ]; do [ "$(grep -c "controller torn down" "$LOG")" -gt "$torn0" ] && break; sleep 0.05; done
line=$(grep "controller torn down" "$LOG" | tail -n +$((torn0 + 1)) | head -1)
if [ -z "$line" ]; then
  for t in /proc/$TPID/task/*; do
    echo "thread $(cat "$t/comm"): state $(awk '{print $3, "utime", $14, "stime", $15}' "$t/stat") wchan $(cat "$t/wchan")"
    sed 's/^/    /' "$t/stack" 2>/dev/null | head -12
  done
  fail "no controller teardown 60 s after the host vanished"
fi
ok "$PHASE host: controller torn down $((SECONDS - t0)) s after it vanished: $(echo "$line" | grep -o 'reason=[^[]*')"
for _ in $(seq 1200); do
  [ "$(count qp)" = "$QP0" ] && [ "$(count cm_id)" = "$CM0" ] && break
  sleep 0.05
done
[ "$(count qp)" = "$QP0" ] || { rdma resource show qp; fail "$(count qp) queue pairs left, $QP0 before the host came"; }
[ "$(count cm_id)" = "$CM0" ] || { rdma resource show cm_id; fail "$(count cm_id) CM ids left, $CM0 before the host came"; }
kill -0 "$TPID" 2>/dev/null || fail "nvmf-tgt died"
ok "every queue pair and CM id of the vanished host freed ($QP0 QPs, $CM0 CM ids left); nvmf-tgt is up"
pair_signal freed

DEV=$(nvme_host_connect "$LAB_RDMA_IP" 4420 "$NQN") || fail "a new host cannot connect after the vanished one"
out=$(fio --name=v --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
  --size=32M --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 2>&1) || { echo "$out" | tail; fail "fio verify for the new host"; }
nvme disconnect -n "$NQN" >/dev/null
ok "a new host (this guest's initiator) connected as $DEV; crc32c write+verify of 32 MiB passed"
kill -INT "$TPID"
wait "$TPID" || fail "nvmf-tgt exited non-zero"
ok "nvmf-tgt stopped cleanly"
