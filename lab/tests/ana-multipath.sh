#!/usr/bin/env bash
# Issue 14: ANA multipath with the kernel initiator's native multipath, in one boot.
#
# nvmf-tgt serves one subsystem with ANA reporting through two listeners
# (two addresses of the guest's rxe netdev); the host connects both paths.
#   1. nvme list-subsys / sysfs show both paths optimized; id-ctrl CMIC has
#      the ANA bit; nvme ana-log lists the group.
#   2. ANA_FLIPS times, during one crc32c-verifying fio on the multipath
#      device: path A inaccessible (the I/O moves to B, by the target's
#      per-queue counters), then A optimized and B non-optimized (the I/O
#      moves back to A), then B optimized again.
#   3. nvmf_subsystem_remove_listener of path A under the same fio: the I/O
#      goes on through B. fio ends with zero errors.
#   4. Two nvmf-tgt processes on one store (/dev/ram0 through
#      bdev_aio_create in both; same NQN, serial, NSID, NGUID, UUID;
#      disjoint CNTLID ranges; one listener and RPC socket each): the host
#      connects both paths; the first process is killed with SIGKILL in the
#      middle of a 120 MiB crc32c write, the write goes on through the second;
#      the first restarts and the host reconnects to it (ctrl-loss-tmo);
#      then fio reads back and verifies every block written.
# Every check prints "ok: ..." or fails the run.
#
# One guest kernel is enough: ANA is the host's nvme-core logic, not rxe's.
# lab-suites: trixie
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
. lab/lib/nvmf-tools.sh
A_IP=$LAB_RDMA_IP
B_IP=${A_IP%.*}.202
NQN=nqn.2026-11.io.nvmf-target:ana
FLIPS=${ANA_FLIPS:-12}
fail() { echo "FAIL: $*"; dmesg | grep -iE "nvme|ana" | tail -20; tail -30 /tmp/tgt.log; exit 1; }

[ "$(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)" = Y ] \
  || fail "the guest kernel's nvme_core has native multipath off; this test needs it"
NETDEV=$(ip -o -4 addr show | awk -v ip="$A_IP" 'index($0, " " ip "/") {print $2; exit}')
[ -n "$NETDEV" ] || fail "no netdev holds $A_IP"
ip addr add "$B_IP/24" dev "$NETDEV"

cat >/tmp/ana.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":32768,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SWIFTANA0001","ana_reporting":true}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$A_IP","trsvcid":"4420"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$B_IP","trsvcid":"4420"}}}]}]}
JSON

"$BIN" --config /tmp/ana.json >/tmp/tgt.log 2>&1 &
TPID=$!
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; kill -INT "$TPID" 2>/dev/null || true; }
trap cleanup EXIT
wait_cm_listen "$A_IP" 30 4420 || fail "nvmf-tgt never listened on $A_IP"
wait_cm_listen "$B_IP" 10 4420 || fail "nvmf-tgt never listened on $B_IP"

# The host's view of path $1's ANA state (its per-path namespace in sysfs).
host_state() { cat /sys/class/nvme/"$1"/nvme*c*n1/ana_state 2>/dev/null; }
host_state_is() { [ "$(host_state "$1")" = "$2" ]; }
# Commands the target's I/O queues of path $1 (a listener address) have run.
path_io() {
  rpc nvmf_subsystem_get_qpairs "$NQN" | python3 -c '
import json, sys
print(sum(q.get("completed_nvme_io", 0) for q in json.load(sys.stdin)
          if q["qid"] != 0 and q.get("listen_address", {}).get("traddr") == sys.argv[1]))' "$1"
}
# moves_to IP START: path IP ran 200 more commands than START (the I/O flows there).
moves_to() { [ "$(path_io "$1")" -ge $(($2 + 200)) ]; }
set_state() { rpc nvmf_subsystem_listener_set_ana_state "$NQN" -n "$2" -t rdma -a "$1" -s 4420 -f ipv4; }

# --- 1. two paths, both optimized
DEV=$(nvme_host_connect "$A_IP" 4420 "$NQN") || fail "connect path A"
nvme connect -t rdma -a "$B_IP" -s 4420 -n "$NQN" >/dev/null || fail "connect path B"
wait_for 10 ctrl_for "$B_IP" >/dev/null || fail "no host controller for path B"
CA=$(ctrl_for "$A_IP") CB=$(ctrl_for "$B_IP")
wait_for 10 host_state_is "$CA" optimized || fail "path A: $(host_state "$CA")"
wait_for 10 host_state_is "$CB" optimized || fail "path B: $(host_state "$CB")"
[ "$(ls -d /sys/class/nvme/"$CA"/nvme*c*n1 | wc -l)" = 1 ] || fail "path A has no per-path namespace"
nvme list-subsys "$DEV" >/tmp/list-subsys.txt 2>&1 || fail "nvme list-subsys: $(cat /tmp/list-subsys.txt)"
[ "$(grep -c "optimized" /tmp/list-subsys.txt)" = 2 ] || fail "list-subsys shows not two optimized paths: $(cat /tmp/list-subsys.txt)"
cmic=$(nvme id-ctrl "/dev/$CA" | awk '/^cmic/ {print $3}')
[ $((cmic & 8)) = 8 ] || fail "id-ctrl cmic $cmic lacks the ANA bit"
nvme ana-log "/dev/$CA" >/tmp/ana-log.txt || fail "nvme ana-log"
grep -qiE "optimized" /tmp/ana-log.txt || fail "ana-log: $(cat /tmp/ana-log.txt)"
cat /tmp/list-subsys.txt
ok "two paths ($CA via $A_IP, $CB via $B_IP) both optimized on $DEV; cmic $cmic; ana-log lists the group"

fio --name=ana --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=8 --size=64M \
  --verify=crc32c --verify_backlog=128 --verify_fatal=1 --time_based --runtime=3600 --output=/tmp/fio.log &
FIO=$!
a0=$(path_io "$A_IP")
wait_for 15 moves_to "$A_IP" "$a0" || fail "fio's I/O never reached path A"

# --- 2. flips
t0=$(date +%s)
for i in $(seq "$FLIPS"); do
  b0=$(path_io "$B_IP")
  set_state "$A_IP" inaccessible || fail "set A inaccessible (flip $i)"
  wait_for 10 host_state_is "$CA" inaccessible || fail "flip $i: host sees A $(host_state "$CA")"
  wait_for 10 moves_to "$B_IP" "$b0" || fail "flip $i: I/O did not move to B"
  a0=$(path_io "$A_IP")
  set_state "$A_IP" optimized || fail "set A optimized (flip $i)"
  set_state "$B_IP" non_optimized || fail "set B non_optimized (flip $i)"
  wait_for 10 host_state_is "$CB" non-optimized || fail "flip $i: host sees B $(host_state "$CB")"
  wait_for 10 moves_to "$A_IP" "$a0" || fail "flip $i: I/O did not move back to A"
  set_state "$B_IP" optimized || fail "set B optimized (flip $i)"
  kill -0 "$FIO" 2>/dev/null || fail "fio stopped during flip $i: $(tail -5 /tmp/fio.log)"
done
ok "$FLIPS flips in $(( $(date +%s) - t0 )) s: each time the I/O moved to B and back to A (target counters: A $(path_io "$A_IP"), B $(path_io "$B_IP"))"

# --- 3. a path removed under load
b0=$(path_io "$B_IP")
rpc nvmf_subsystem_remove_listener "$NQN" -t rdma -a "$A_IP" -s 4420 -f ipv4 || fail "remove_listener A"
wait_for 10 moves_to "$B_IP" "$b0" || fail "I/O did not go on through B after A was removed"
ok "path A removed under load; the I/O goes on through B"
kill -0 "$FIO" 2>/dev/null || fail "fio stopped: $(tail -5 /tmp/fio.log)"
kill -INT "$FIO"; wait "$FIO" || true
grep -q "err= 0" /tmp/fio.log && ! grep -qiE "verify.*(bad|fail)|crc32c.*(mismatch|wanted)" /tmp/fio.log \
  || fail "fio reported errors: $(grep -iE 'err=|verify' /tmp/fio.log | head)"
ok "the verifying fio saw zero errors through every flip and the removal"

# --- 4. two target processes, one store
nvme disconnect-all >/dev/null
kill -INT "$TPID"; wait "$TPID" || fail "nvmf-tgt did not stop cleanly"
modprobe brd rd_nr=1 rd_size=131072
SHARED=nqn.2026-11.io.nvmf-target:shared
shared_config() { # FILE ADDRESS MIN_CNTLID MAX_CNTLID
  cat >"$1" <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_aio_create","params":{"name":"Shared0","filename":"/dev/ram0","block_size":4096,
   "uuid":"5a1e0000-0000-4000-8000-000000000001"}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA","num_shared_buffers":511,"max_srq_depth":512}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$SHARED","allow_any_host":true,"serial_number":"SWIFTSHARED0001",
   "ana_reporting":true,"min_cntlid":$3,"max_cntlid":$4}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$SHARED","namespace":{"bdev_name":"Shared0","nsid":1,
   "nguid":"5A1E0000000040008000000000000001","uuid":"5a1e0000-0000-4000-8000-000000000001"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$SHARED","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$2","trsvcid":"4420"}}}]}]}
JSON
}
shared_config /tmp/shared1.json "$A_IP" 1 999
shared_config /tmp/shared2.json "$B_IP" 1000 1999
start_shared() { # N ADDRESS: starts process N, sets P<N>
  # One poll group each and small buffer pools: two targets share the
  # guest's 2 vCPUs and its memory, and a killed one's verbs resources are
  # torn down by the kernel's rxe, which is slow under TCG.
  "$BIN" --config "/tmp/shared$1.json" -r "/var/tmp/tgt$1.sock" --cores 1 >>"/tmp/tgt$1.log" 2>&1 &
  eval "P$1=$!"
  wait_cm_listen "$2" 30 4420 || fail "process $1 never listened on $2"
}
start_shared 1 "$A_IP"
start_shared 2 "$B_IP"
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; kill -INT "${P1:-}" "${P2:-}" 2>/dev/null || true; }
NQN=$SHARED
DEV=$(NVME_CONNECT_ARGS="--ctrl-loss-tmo=120 --reconnect-delay=1" nvme_host_connect "$A_IP" 4420 "$SHARED") \
  || fail "connect process 1"
nvme connect -t rdma -a "$B_IP" -s 4420 -n "$SHARED" --ctrl-loss-tmo=120 --reconnect-delay=1 >/dev/null \
  || fail "connect process 2"
wait_for 10 ctrl_for "$B_IP" >/dev/null || fail "no host controller for process 2"
CA=$(ctrl_for "$A_IP") CB=$(ctrl_for "$B_IP")
[ "$(cat /sys/class/nvme/"$CA"/cntlid)" -lt 1000 ] && [ "$(cat /sys/class/nvme/"$CB"/cntlid)" -ge 1000 ] \
  || fail "CNTLIDs $(cat /sys/class/nvme/"$CA"/cntlid) and $(cat /sys/class/nvme/"$CB"/cntlid) are not from the two ranges"
ok "one subsystem, two processes: $CA (cntlid $(cat /sys/class/nvme/"$CA"/cntlid)) and $CB (cntlid $(cat /sys/class/nvme/"$CB"/cntlid)) under $DEV"
io_of() { "$RPC" -s "/var/tmp/tgt$1.sock" nvmf_subsystem_get_qpairs "$SHARED" | python3 -c '
import json, sys
print(sum(q.get("completed_nvme_io", 0) for q in json.load(sys.stdin) if q["qid"] != 0))'; }
JOB=(--name=shared --filename="$DEV" --rw=write --bs=64k --direct=1 --ioengine=libaio --iodepth=16 --size=120M
  --verify=crc32c --verify_fatal=1 --randseed=77)
fio "${JOB[@]}" --do_verify=0 --output=/tmp/fio-shared.log &
FIO=$!
# A third of the write under way on some path, then process 1 goes (SIGKILL).
# Sectors written through both paths so far, from the host's block layer
# (read locally: an RPC per check is too slow under TCG to catch the write early).
written() { cat /sys/block/nvme*c*n1/stat 2>/dev/null | awk '{s += $7} END {print s + 0}'; }
w0=$(written)
underway() { [ $(($(written) - w0)) -ge 32768 ]; }  # 16 MiB of the 120
wait_for 60 underway || fail "the write never got under way"
kill -0 "$FIO" 2>/dev/null || fail "fio finished before process 1 could be killed"
before2=$(io_of 2)
kill -KILL "$P1"; wait "$P1" 2>/dev/null || true
ok "process 1 killed with SIGKILL mid-write (process 2 had run $before2 commands)"
moved() { [ "$(io_of 2)" -ge $((before2 + 100)) ]; }
# The host notices the dead path (its RDMA connection errors, or keep-alive)
# and fails the write's commands over; under TCG that has taken up to tens of seconds.
if ! wait_for 120 moved; then
  dmesg | tail -30
  tail -20 /tmp/tgt2.log
  fail "the write did not go on through process 2 ($(io_of 2) commands in 120 s)"
fi
ok "the write goes on through process 2 ($(io_of 2) commands) while process 1 is down"
start_shared 1 "$A_IP"
live_again() { [ "$(cat /sys/class/nvme/"$CA"/state 2>/dev/null)" = live ]; }
wait_for 30 live_again || fail "the host did not reconnect to the restarted process 1 ($(cat /sys/class/nvme/"$CA"/state 2>/dev/null))"
ok "process 1 restarted; the host reconnected to it ($CA live)"
rc=0; wait "$FIO" || rc=$?
[ "$rc" = 0 ] && grep -q "err= 0" /tmp/fio-shared.log || fail "the write failed: $(grep -E 'err=' /tmp/fio-shared.log)"
fio "${JOB[@]}" --verify_only --output=/tmp/fio-verify.log || fail "read-back verify: $(grep -iE 'err=|verify' /tmp/fio-verify.log | head)"
grep -q "err= 0" /tmp/fio-verify.log || fail "read-back verify reported errors"
ok "120 MiB written across the kill and read back verified through both processes: zero errors (process 2 ran $(io_of 2) commands)"
