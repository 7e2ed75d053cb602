#!/usr/bin/env bash
# Issue 12 fault test: the target dies under a verifying fio and comes back.
#
# nvmf-tgt serves a libaio namespace on a file (O_DIRECT, no write cache in
# the target). The kernel initiator connects with a controller-loss timeout,
# so it reconnects by itself. A sequential write with crc32c verify runs; in
# the middle the target is killed (SIGKILL, then in a second round SIGTERM)
# and started again. The host must reconnect, requeue what was in flight,
# and fio must finish its write and its read-back verify with zero errors:
# every write the target acknowledged is on the file, and every write it
# did not acknowledge is retried by the host.
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
[ -x "$BIN" ] || { echo "no $BIN: build it with 'swift build -c release --static-swift-stdlib --product nvmf-tgt'"; exit 1; }
IP=$LAB_RDMA_IP
NQN=nqn.2026-11.io.nvmf-target:restart
fail() { echo "FAIL: $*"; dmesg | tail -30; tail -30 /tmp/tgt.log; exit 1; }
ok() { echo "ok: $*"; }

truncate -s 192M /var/tmp/restart.img   # on the guest's ext4 root (tmpfs has no O_DIRECT)
cat >/tmp/restart.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_aio_create","params":{"name":"Aio0","filename":"/var/tmp/restart.img","block_size":4096}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SWIFTRESTART1"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Aio0",
    "uuid":"6d1f0a7e-1b2c-4d5e-8f90-a1b2c3d4e5f6"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON

TPID=""
start_target() {
  "$BIN" --config /tmp/restart.json >>/tmp/tgt.log 2>&1 &
  TPID=$!
  wait_cm_listen "$IP" 30 4420 || fail "nvmf-tgt never listened"
}
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; [ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null || true; }
trap cleanup EXIT

start_target
DEV=$(NVME_CONNECT_ARGS="--ctrl-loss-tmo=120 --reconnect-delay=1" nvme_host_connect "$IP" 4420 "$NQN") \
  || fail "connect $NQN"
ok "connected $DEV with ctrl-loss-tmo 120 s"
name=$(basename "$DEV")

# Sectors written to the namespace so far, from the block layer. With native
# multipath the head node (nvme0n1) counts nothing; its path (nvme0c0n1) does.
stat_file=/sys/block/$name/stat
for p in /sys/block/"${name%n*}"c*n"${name##*n}"/stat; do [ -e "$p" ] && stat_file=$p; done
written() { awk '{print $7}' "$stat_file"; }
echo "progress from $stat_file"

round=0
for sig in KILL TERM; do
  round=$((round + 1))
  offset=$(( (round - 1) * 96 ))M
  fio --name=restart --filename="$DEV" --rw=write --bs=64k --direct=1 --ioengine=libaio --iodepth=16 \
    --offset="$offset" --size=96M --verify=crc32c --do_verify=1 --verify_fatal=1 \
    --output=/tmp/fio-$round.log &
  FIO=$!
  # Wait for the write to be well under way (a third of it), not for time.
  start=$(written)
  for _ in $(seq 1 1200); do
    [ $(( $(written) - start )) -ge 65536 ] && break   # 32 MiB in 512-byte sectors
    kill -0 $FIO 2>/dev/null || break
    sleep 0.05
  done
  if ! kill -0 $FIO 2>/dev/null; then
    cat /tmp/fio-$round.log
    fail "round $round: fio finished before the target could be stopped"
  fi
  echo "round $round: SIG$sig to nvmf-tgt after $(( ($(written) - start) / 2048 )) MiB"
  kill -"$sig" "$TPID"
  wait "$TPID" || true
  start_target
  rc=0
  wait $FIO || rc=$?
  cat /tmp/fio-$round.log | grep -E "err=|WRITE:|READ:|verify" || true
  [ "$rc" = 0 ] || fail "round $round (SIG$sig): fio exit $rc"
  grep -q "err= 0" /tmp/fio-$round.log || fail "round $round (SIG$sig): fio reported errors"
  ok "SIG$sig mid-write: the host reconnected, 96 MiB written and read back verified, zero errors"
done
dmesg | grep -iE "nvme.*(reconnect|Successfully)" | tail -4 || true
nvme disconnect -n "$NQN" >/dev/null
kill -INT "$TPID"; wait "$TPID" && TPID="" || fail "nvmf-tgt did not stop cleanly"
ok "nvmf-tgt stopped cleanly"
