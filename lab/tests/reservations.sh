#!/usr/bin/env bash
# Issue 15: persistent reservations with the kernel initiator, in one boot.
#
# nvmf-tgt serves one namespace with a ptpl_file. Two host identities
# (two `nvme connect` with their own --hostnqn and --hostid) are two
# controllers of the subsystem; nvme-cli sends the reservation commands and
# raw writes through each controller's own device:
#   1. both register; A takes each of the six types in turn and the Report
#      (extended) shows both registrants, A holding it, and the type;
#   2. under Write Exclusive, B's write gets Reservation Conflict, B's read
#      and A's write succeed;
#   3. B preempts A: A's write is refused, B's is not, the Report lists B only;
#   4. Persist Through Power Loss: nvmf-tgt is killed (SIGKILL) and started
#      again; the hosts reconnect and the Report shows the same holder and key;
#   5. release and clear;
#   6. the Linux block layer's own persistent-reservation ioctls (blkpr) on
#      the multipath device: register, reserve, preempt, release, clear.
# Every check prints "ok: ..." or fails the run.
#
# lab-suites: trixie
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. lab/lib/nvmf-tools.sh
IP=$LAB_RDMA_IP
NQN=nqn.2026-11.io.nvmf-target:resv
HOST_A=nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-4000-8000-00000000000a
HOST_B=nqn.2014-08.org.nvmexpress:uuid:bbbbbbbb-0000-4000-8000-00000000000b
ID_A=aaaaaaaa-0000-4000-8000-00000000000a
ID_B=bbbbbbbb-0000-4000-8000-00000000000b
fail() { echo "FAIL: $*"; dmesg | grep -iE "nvme" | tail -10; tail -20 /tmp/tgt.log; exit 1; }

rm -f /var/tmp/ptpl.json
cat >/tmp/resv.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":16384,"block_size":4096,
   "uuid":"2e5e0000-0000-4000-8000-000000000001"}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SWIFTRESV0001"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0","ptpl_file":"/var/tmp/ptpl.json"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON
TPID=""
start_target() {
  "$BIN" --config /tmp/resv.json >>/tmp/tgt.log 2>&1 &
  TPID=$!
  wait_cm_listen "$IP" 30 4420 || fail "nvmf-tgt never listened"
}
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; [ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null || true; }
trap cleanup EXIT
start_target

connect() { # HOSTNQN HOSTID
  nvme connect -t rdma -a "$IP" -s 4420 -n "$NQN" --hostnqn="$1" --hostid="$2" --ctrl-loss-tmo=60 --reconnect-delay=1 \
    >/dev/null || fail "connect as $1"
}
# The controller (/dev/nvmeN) of host identity $1.
ctrl_of() {
  local c
  for c in /sys/class/nvme/nvme*; do
    [ "$(cat "$c/hostnqn" 2>/dev/null)" = "$1" ] && [ "$(cat "$c/subsysnqn")" = "$NQN" ] && { echo "/dev/$(basename "$c")"; return 0; }
  done
  return 1
}
connect "$HOST_A" "$ID_A"
connect "$HOST_B" "$ID_B"
wait_for 10 ctrl_of "$HOST_B" >/dev/null || fail "no controller for host B"
A=$(ctrl_of "$HOST_A") B=$(ctrl_of "$HOST_B")
ok "two host identities on $NQN: A $A (cntlid $(cat /sys/class/nvme/"$(basename "$A")"/cntlid)), B $B"

# report DEVICE: "rtype regctl ptpls holder-key key..." from the extended Reservation Report.
report() {
  nvme resv-report "$1" --namespace-id=1 --numd=255 --eds --output-format=json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
regs = r.get("regctlext", [])
holder = [g["rkey"] for g in regs if g.get("rcsts")]
print(r["rtype"], r["regctl"], r["ptpls"], holder[0] if holder else "-", *[g["rkey"] for g in regs])'
}
block() { head -c 4096 /dev/urandom >/tmp/block; }
# write/read DEVICE: one 4 KiB block at LBA 8 through that controller (its host identity).
write_as() {
  nvme io-passthru "$1" --namespace-id=1 --opcode=0x01 --data-len=4096 --write --cdw10=8 --cdw12=0 \
    --input-file=/tmp/block >/tmp/io.out 2>&1
}
read_as() { nvme io-passthru "$1" --namespace-id=1 --opcode=0x02 --data-len=4096 --read --cdw10=8 --cdw12=0 >/tmp/io.out 2>&1; }
conflict() { ! "$@" && grep -qi "conflict" /tmp/io.out; }
block

# --- 1. register, each type
nvme resv-register "$A" --namespace-id=1 --nrkey=0xA1 --rrega=0 --cptpl=3 >/dev/null || fail "A register"
nvme resv-register "$B" --namespace-id=1 --nrkey=0xB2 --rrega=0 >/dev/null || fail "B register"
for t in 1 2 3 4 5 6; do
  nvme resv-acquire "$A" --namespace-id=1 --crkey=0xA1 --rtype=$t --racqa=0 >/dev/null || fail "A acquire type $t"
  read -r rtype regctl ptpls holder keys < <(report "$B")
  [ "$rtype" = $t ] && [ "$regctl" = 2 ] && [ "$holder" = 161 ] || fail "type $t: report says $rtype $regctl $ptpls $holder $keys"
  nvme resv-release "$A" --namespace-id=1 --crkey=0xA1 --rtype=$t --rrela=0 >/dev/null || fail "A release type $t"
done
ok "A acquired and released each of the six types; B's report showed both registrants, A holding (ptpls $ptpls)"

# --- 2. Write Exclusive
nvme resv-acquire "$A" --namespace-id=1 --crkey=0xA1 --rtype=1 --racqa=0 >/dev/null || fail "A acquire WE"
conflict write_as "$B" || fail "B's write under A's Write Exclusive: $(cat /tmp/io.out)"
read_as "$B" || fail "B's read under Write Exclusive: $(cat /tmp/io.out)"
write_as "$A" || fail "A's write: $(cat /tmp/io.out)"
ok "Write Exclusive: B's write got Reservation Conflict, B's read and A's write passed"

# --- 3. B preempts A
nvme resv-acquire "$B" --namespace-id=1 --crkey=0xB2 --prkey=0xA1 --rtype=1 --racqa=1 >/dev/null || fail "B preempt"
conflict write_as "$A" || fail "A's write after the preempt: $(cat /tmp/io.out)"
write_as "$B" || fail "B's write after the preempt: $(cat /tmp/io.out)"
read -r rtype regctl ptpls holder keys < <(report "$A")
[ "$rtype" = 1 ] && [ "$regctl" = 1 ] && [ "$holder" = 178 ] || fail "after preempt: $rtype $regctl $ptpls $holder $keys"
ok "B preempted A: A's writes refused, B's pass, only B registered"

# --- 4. persist through power loss
[ "$ptpls" = 1 ] || fail "PTPLS is $ptpls after register with CPTPL 3"
kill -KILL "$TPID"; wait "$TPID" 2>/dev/null || true
start_target
live() { [ "$(cat /sys/class/nvme/"$(basename "$1")"/state)" = live ]; }
wait_for 30 live "$A" && wait_for 30 live "$B" || fail "the hosts did not reconnect"
read -r rtype regctl ptpls holder keys < <(report "$A")
[ "$rtype" = 1 ] && [ "$regctl" = 1 ] && [ "$holder" = 178 ] && [ "$ptpls" = 1 ] \
  || fail "after the restart: $rtype $regctl $ptpls $holder $keys ($(cat /var/tmp/ptpl.json))"
conflict write_as "$A" || fail "A's write after the restart: $(cat /tmp/io.out)"
ok "SIGKILL and restart: the same holder (key 0xB2), type and PTPL; A is still fenced"

# --- 5. release, clear
nvme resv-release "$B" --namespace-id=1 --crkey=0xB2 --rtype=1 --rrela=0 >/dev/null || fail "B release"
write_as "$A" || fail "A's write after the release: $(cat /tmp/io.out)"
nvme resv-register "$A" --namespace-id=1 --nrkey=0xA3 --rrega=0 >/dev/null || fail "A registers again"
nvme resv-release "$B" --namespace-id=1 --crkey=0xB2 --rrela=1 >/dev/null || fail "B clear"
read -r rtype regctl ptpls holder keys < <(report "$A")
[ "$rtype" = 0 ] && [ "$regctl" = 0 ] || fail "after clear: $rtype $regctl"
ok "release let A write again; clear removed every registration"

# --- 6. the block layer's PR ioctls (blkpr) on the multipath device
nvme disconnect -d "$(basename "$B")" >/dev/null
DEV=/dev/$(basename "$(ls -d /sys/class/nvme/"$(basename "$A")"/nvme*c*n1)" | sed 's/c[0-9]*n/n/')
[ -b "$DEV" ] || fail "no block device for A ($DEV)"
if ! command -v blkpr >/dev/null; then fail "blkpr is missing from the guest image (util-linux 2.39+)"; fi
blkpr -c register -k 0x1111 "$DEV" || fail "blkpr register"
blkpr -c reserve -k 0x1111 -t write-exclusive "$DEV" || fail "blkpr reserve"
read -r rtype regctl ptpls holder keys < <(report "$A")
[ "$rtype" = 1 ] && [ "$holder" = 4369 ] || fail "after blkpr reserve: $rtype $regctl $holder"
blkpr -c preempt -K 0x1111 -k 0x1111 -t exclusive-access "$DEV" || fail "blkpr preempt (type change)"
[ "$(report "$A" | cut -d' ' -f1)" = 2 ] || fail "blkpr preempt did not change the type: $(report "$A")"
blkpr -c release -k 0x1111 -t exclusive-access "$DEV" || fail "blkpr release"
blkpr -c clear -k 0x1111 "$DEV" || fail "blkpr clear"
[ "$(report "$A" | cut -d' ' -f1-2)" = "0 0" ] || fail "after blkpr clear: $(report "$A")"
ok "blkpr register, reserve, preempt, release and clear through the kernel's NVMe pr_ops"
