#!/usr/bin/env bash
# Issue 17: Ceph RBD images served through librbd, and a gateway group of two
# nvmf-tgt processes on them, with the kernel initiator, in one boot of the
# Ceph guest image (lab/lib/ceph.sh: one monitor, one manager, two memstore
# OSDs, pool "rbd" of size 2).
#   1. Refusals over RPC, in words: a monitor nobody answers (within
#      client_mount_timeout), a missing image, a missing pool, unregistering a
#      cluster in use.
#   2. Gateway group: processes A and B serve images img1 and img2 as NSIDs 1
#      and 2 of one subsystem (same NGUIDs and UUIDs, disjoint CNTLIDs), A
#      ANA-optimized for group 1 (img1) and B for group 2 (img2), each
#      non-optimized for the other's. The host connects both with native
#      multipath; a crc32c-verifying fio writes both namespaces; A is killed
#      with SIGKILL mid-write and the write goes on through B; A restarts, the
#      host reconnects, and the read-back of img1 runs through A again.
#   3. The whole cluster stopped (SIGSTOP) for longer than
#      rados_osd_op_timeout (8 s here, under nvmf-perf's 10 s stall
#      watchdog: the lab cluster marks a dead OSD down within 6 s) under load: nvmf-perf, on a path of its own,
#      gets Internal Path Error (retryable), both targets stay up, the
#      kernel host's fio ends with zero errors once the cluster is back, and
#      a verified nvmf-perf run passes again.
#   4. One OSD killed with SIGKILL mid-fio: zero fio errors.
#   5. A pattern written through the target is what `rbd export` reads back.
# Every check prints "ok: ..." or fails the run.
#
# lab-suites: trixie
# lab-image: ceph
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
. lab/lib/nvmf-tools.sh
. lab/lib/ceph.sh
PERF="${NVMF_PERF_BIN:-.build/release/nvmf-perf}"
[ -x "$PERF" ] || { echo "no $PERF: swift build -c release --static-swift-stdlib --product nvmf-perf"; exit 1; }
A_IP=$LAB_RDMA_IP
B_IP=${A_IP%.*}.202
NQN=nqn.2026-12.io.nvmf-target:rbd
fail() {
  echo "FAIL: $*"
  dmesg | grep -iE "nvme|rbd|ceph" | tail -15
  for f in /tmp/tgt1.log /tmp/tgt2.log; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
  for f in /tmp/perf-away.log /tmp/fio-away.log; do [ -f "$f" ] && { echo "--- $f"; grep -v '^\[ *[0-9]* s\]' "$f" | head -40; }; done
  ceph_save_logs
  exit 1
}
cleanup() {
  nvme disconnect-all >/dev/null 2>&1 || true
  kill -INT "${P1:-}" "${P2:-}" 2>/dev/null || true
  ceph_resume >/dev/null 2>&1 || true
}
trap cleanup EXIT

dmesg -n 8   # the host's nvme errors (status, LBA) reach the console log
NETDEV=$(ip -o -4 addr show | awk -v ip="$A_IP" 'index($0, " " ip "/") {print $2; exit}')
ip addr add "$B_IP/24" dev "$NETDEV"

t0=$(date +%s)
ceph_start 2 || fail "the Ceph cluster did not start"
for img in img1 img2; do
  # No exclusive-lock: both gateways open both images (docs/CEPH.md).
  rbd create "rbd/$img" --size 128M --image-feature layering || fail "rbd create $img"
done
ok "Ceph cluster up with two OSDs and images img1, img2 in $(( $(date +%s) - t0 )) s"

# --- the gateway group
gateway_config() { # N ADDRESS MIN_CNTLID MAX_CNTLID OPTIMIZED_GROUP OTHER_GROUP
  cat >"/tmp/gw$1.json" <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_rbd_register_cluster","params":{"name":"ceph","config_param":{"rados_osd_op_timeout":"8"}}},
  {"method":"bdev_rbd_create","params":{"name":"Rbd1","pool_name":"rbd","rbd_name":"img1","block_size":4096,
   "cluster_name":"ceph","uuid":"4bd00000-0000-4000-8000-000000000001"}},
  {"method":"bdev_rbd_create","params":{"name":"Rbd2","pool_name":"rbd","rbd_name":"img2","block_size":4096,
   "cluster_name":"ceph","uuid":"4bd00000-0000-4000-8000-000000000002"}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA","num_shared_buffers":511,"max_srq_depth":512}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SWIFTRBD0001",
   "ana_reporting":true,"min_cntlid":$3,"max_cntlid":$4}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Rbd1","nsid":1,"anagrpid":1,
   "nguid":"4BD00000000040008000000000000001","uuid":"4bd00000-0000-4000-8000-000000000001"}}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Rbd2","nsid":2,"anagrpid":2,
   "nguid":"4BD00000000040008000000000000002","uuid":"4bd00000-0000-4000-8000-000000000002"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$2","trsvcid":"4420"}}},
  {"method":"nvmf_subsystem_listener_set_ana_state","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$2","trsvcid":"4420"},
   "ana_state":"non_optimized","anagrpid":$6}}]}]}
JSON
}
gateway_config 1 "$A_IP" 1 999 1 2
gateway_config 2 "$B_IP" 1000 1999 2 1
start_gateway() { # N ADDRESS: starts gateway N, sets P<N>
  local s=$(date +%s)
  "$BIN" --config "/tmp/gw$1.json" -r "/var/tmp/gw$1.sock" --cores 1 >>"/tmp/tgt$1.log" 2>&1 &
  eval "P$1=$!"
  wait_cm_listen "$2" 60 4420 || fail "gateway $1 never listened on $2"
  ok "gateway $1 serves img1 and img2 through librbd on $2 (up in $(( $(date +%s) - s )) s)"
}
start_gateway 1 "$A_IP"
start_gateway 2 "$B_IP"
gw() { local n=$1; shift; "$RPC" -s "/var/tmp/gw$n.sock" "$@"; }

# --- 1. refusals in words
s=$(date +%s)
out=$(gw 1 bdev_rbd_register_cluster nowhere --config-param mon_host=10.0.2.99 --config-param auth_client_required=none 2>&1) \
  && fail "registering an unreachable cluster succeeded"
took=$(( $(date +%s) - s ))
[[ "$out" == *'Ceph cluster \"nowhere\": cannot connect'*'no monitor answered'* ]] || fail "unreachable monitor: $out"
[ "$took" -le 20 ] || fail "the unreachable monitor took $took s to report"
ok "unreachable monitor refused in $took s: $(echo "$out" | grep -o 'Ceph cluster.*' | tr -d '\\' | sed 's/"$//' | head -1)"
out=$(gw 1 bdev_rbd_create rbd nosuchimage 4096 -c ceph -b X 2>&1) && fail "a missing image was accepted"
[[ "$out" == *'image \"rbd/nosuchimage\": no such image'* ]] || fail "missing image: $out"
ok "missing image refused: $(echo "$out" | grep -o 'bdev_rbd_create X.*' | tr -d '\\"' | head -1)"
out=$(gw 1 bdev_rbd_create nosuchpool img1 4096 -c ceph -b X 2>&1) && fail "a missing pool was accepted"
[[ "$out" == *'pool \"nosuchpool\"'*'no such pool'* ]] || fail "missing pool: $out"
ok "missing pool refused"
out=$(gw 1 bdev_rbd_unregister_cluster ceph 2>&1) && fail "unregistered a cluster in use"
[[ "$out" == *'still used by 2 bdev'* ]] || fail "unregister in use: $out"
ok "unregistering the cluster in use refused: still used by 2 bdevs"
addr=$(gw 1 bdev_rbd_get_clusters_info -b ceph | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_address"])')
[ -n "$addr" ] || fail "no client address in bdev_rbd_get_clusters_info"
ok "gateway 1's librados client is $addr"

# --- 2. the host on both gateways
export NVME_CONNECT_ARGS="--ctrl-loss-tmo=120 --reconnect-delay=1"
nvme_host_connect "$A_IP" 4420 "$NQN" >/dev/null || fail "connect to gateway 1"
nvme connect -t rdma -a "$B_IP" -s 4420 -n "$NQN" $NVME_CONNECT_ARGS >/dev/null || fail "connect to gateway 2"
wait_for 10 ctrl_for "$B_IP" >/dev/null || fail "no host controller for gateway 2"
CA=$(ctrl_for "$A_IP") CB=$(ctrl_for "$B_IP")
head_for() { # NSID: the multipath block device of that namespace (the only subsystem here)
  local d
  for d in /sys/block/nvme*n*; do
    [[ $(basename "$d") == *c* ]] && continue
    [ "$(cat "$d/nsid" 2>/dev/null)" = "$1" ] && { echo "/dev/$(basename "$d")"; return 0; }
  done
  return 1
}
wait_for 10 head_for 2 >/dev/null || fail "namespace 2 never appeared"
D1=$(head_for 1) D2=$(head_for 2)
path_state() { # CTRL NSID
  local p
  for p in /sys/class/nvme/"$1"/nvme*c*n*; do
    [ "$(cat "$p/nsid" 2>/dev/null)" = "$2" ] && { cat "$p/ana_state"; return; }
  done
}
[ "$(path_state "$CA" 1)" = optimized ] && [ "$(path_state "$CB" 1)" = non-optimized ] \
  && [ "$(path_state "$CA" 2)" = non-optimized ] && [ "$(path_state "$CB" 2)" = optimized ] \
  || fail "ANA states: ns1 A=$(path_state "$CA" 1) B=$(path_state "$CB" 1), ns2 A=$(path_state "$CA" 2) B=$(path_state "$CB" 2)"
ok "host sees $D1 (img1) optimized through gateway 1 and $D2 (img2) optimized through gateway 2"
io_of() { gw "$1" nvmf_subsystem_get_qpairs "$NQN" | python3 -c '
import json, sys
print(sum(q.get("completed_nvme_io", 0) for q in json.load(sys.stdin) if q["qid"] != 0))'; }

fio_job() { # NAME DEVICE SIZE EXTRA...
  local name=$1 dev=$2 size=$3; shift 3
  echo --name="$name" --filename="$dev" --rw=write --bs=64k --direct=1 --ioengine=libaio --iodepth=8 \
    --size="$size" --verify=crc32c --verify_fatal=1 --randseed=17 "$@"
}
# shellcheck disable=SC2046
fio $(fio_job ns1 "$D1" 32M) --do_verify=0 $(fio_job ns2 "$D2" 32M) --do_verify=0 --output=/tmp/fio-gw.log &
FIO=$!
# Sectors written to a namespace through all its paths (nvmeXcYnZ for the head nvmeXnZ).
written() { cat /sys/block/nvme*c*n"${1##*n}"/stat 2>/dev/null | awk '{s += $7} END {print s + 0}'; }
w0=$(written "$D1")
underway() { [ $(($(written "$D1") - w0)) -ge 16384 ]; }  # 8 MiB of img1's 32
wait_for 120 underway || fail "the write never got under way"
kill -0 "$FIO" 2>/dev/null || fail "fio finished before gateway 1 could be killed"
before2=$(io_of 2)
kill -KILL "$P1"; wait "$P1" 2>/dev/null || true
ok "gateway 1 killed with SIGKILL mid-write"
moved() { [ "$(io_of 2)" -ge $((before2 + 200)) ]; }
wait_for 120 moved || fail "the write did not go on through gateway 2 ($(io_of 2) commands)"
ok "the write goes on through gateway 2 ($(io_of 2) commands) while gateway 1 is down"
start_gateway 1 "$A_IP"
live_again() { [ "$(cat /sys/class/nvme/"$CA"/state 2>/dev/null)" = live ]; }
wait_for 60 live_again || fail "the host did not reconnect to gateway 1 ($(cat /sys/class/nvme/"$CA"/state 2>/dev/null))"
rc=0; wait "$FIO" || rc=$?
[ "$rc" = 0 ] && [ "$(grep -c "err= 0" /tmp/fio-gw.log)" = 2 ] || fail "the write failed: $(grep -E 'err=' /tmp/fio-gw.log)"
ok "32 MiB written to each image across the kill: zero fio errors"
back() { [ "$(path_state "$CA" 1)" = optimized ]; }
wait_for 30 back || fail "ns1 is $(path_state "$CA" 1) through the restarted gateway 1"
a0=$(io_of 1)
# shellcheck disable=SC2046
fio $(fio_job ns1 "$D1" 32M) --verify_only --output=/tmp/fio-gw-verify.log || fail "read-back of img1: $(grep -iE 'err=|verify' /tmp/fio-gw-verify.log | head -3)"
[ "$(io_of 1)" -ge $((a0 + 400)) ] || fail "img1's read-back did not go through the restarted gateway 1 ($a0 -> $(io_of 1) commands)"
ok "gateway 1 took img1 back: its read-back (verified, zero errors) ran through gateway 1 ($(( $(io_of 1) - a0 )) commands)"

# --- 3. the cluster goes away and comes back (before any OSD is lost: a
# whole-cluster stop while osd.1 was already dead left the placement groups
# "laggy", waiting on read leases, for minutes after the resume)
PERF_TARGET="trtype:RDMA adrfam:IPv4 traddr:$A_IP trsvcid:4420 subnqn:$NQN"
"$PERF" -r "$PERF_TARGET" -q 4 -o 4096 -w randread -t 20 >/tmp/perf-away.log 2>&1 &
PP=$!
# shellcheck disable=SC2046
fio $(fio_job away "$D2" 16M --randseed=29) --output=/tmp/fio-away.log &
FIO=$!
wait_for 30 grep -q "IOPS" /tmp/perf-away.log || fail "nvmf-perf never started: $(tail -3 /tmp/perf-away.log)"
ceph_pause
s=$(date +%s)
echo "paused at $(date +%T)"
ok "every Ceph daemon stopped (SIGSTOP) under load"
prc=0; wait "$PP" || prc=$?
took=$(( $(date +%s) - s ))
grep -q "internal path error" /tmp/perf-away.log || fail "nvmf-perf did not see Internal Path Error: $(tail -5 /tmp/perf-away.log)"
[ "$prc" = 1 ] || fail "nvmf-perf exited $prc"
ok "after $took s nvmf-perf got: $(grep -o '[a-z]* at LBA.*internal path error' /tmp/perf-away.log | head -1)"
kill -0 "$P1" && kill -0 "$P2" || fail "a gateway died while the cluster was away"
ceph_resume
ok "Ceph daemons resumed; both gateways stayed up"
finished() { ! kill -0 "$FIO" 2>/dev/null; }
if ! wait_for 90 finished; then
  echo "--- fio still running 90 s after the resume; in flight per path:"
  for p in /sys/block/nvme*c*n*; do echo "$(basename "$p") $(cat "$p/inflight") $(cat "$p/ana_state")"; done
  for c in /sys/class/nvme/nvme*; do echo "$(basename "$c") $(cat "$c/state")"; done
  for n in 1 2; do echo "gateway $n qpairs:"; gw "$n" nvmf_subsystem_get_qpairs "$NQN" | tr -d ' \n' | head -c 600; echo; done
  timeout 30 ceph -s 2>&1 | head -20
  dmesg | grep -v "Connect rejected\|establishment failed\|econnect" | tail -25
  fail "the kernel host's fio did not finish after the cluster came back"
fi
rc=0; wait "$FIO" || rc=$?
[ "$rc" = 0 ] && grep -q "err= 0" /tmp/fio-away.log || fail "fio across the outage: $(grep -iE 'err=|verify' /tmp/fio-away.log | head -3)"
ok "the kernel host's fio rode out the outage: zero errors"
"$PERF" -r "$PERF_TARGET" -q 8 -o 4096 -w randrw -M 50 -t 5 --verify --io-range 2097152 >/tmp/perf-back.log 2>&1 \
  || fail "nvmf-perf after the outage: $(grep -v '^\[ *[0-9]* s\]' /tmp/perf-back.log | head -8)"
ok "gateway 1 serves again: a verified nvmf-perf run passed ($(grep -m1 -oE 'Total[^|]*' /tmp/perf-back.log | tr -s ' '))"

# --- 4. an OSD dies under load
# shellcheck disable=SC2046
fio $(fio_job osd "$D2" 24M --randseed=23) --output=/tmp/fio-osd.log &
FIO=$!
w0=$(written "$D2")
underway2() { [ $(( $(written "$D2") - w0 )) -ge 8192 ]; }
wait_for 120 underway2 || fail "the OSD-kill write never got under way"
ceph_osd_kill 1 || fail "could not kill osd.1"
ceph_wait_osd_down 1 60 || fail "the monitor never marked osd.1 down"
ok "osd.1 killed with SIGKILL mid-fio and marked down"
rc=0; wait "$FIO" || rc=$?
[ "$rc" = 0 ] && grep -q "err= 0" /tmp/fio-osd.log || fail "fio across the OSD kill: $(grep -iE 'err=|verify' /tmp/fio-osd.log | head -3)"
ok "24 MiB written and verified across the OSD's death: zero fio errors (osd.0 alone serves the pool)"

# --- 5. what rbd export reads is what the host wrote
head -c 32M /dev/urandom >/tmp/pattern || fail "cannot make the pattern"
dd if=/tmp/pattern of="$D1" bs=1M oflag=direct conv=fsync status=none || fail "dd to $D1"
want=$(md5sum </tmp/pattern | cut -d' ' -f1)
nvme disconnect -n "$NQN" >/dev/null || fail "nvme disconnect"
kill -INT "$P1" "$P2" || fail "a gateway was gone before the end"
rc1=0 rc2=0
wait "$P1" || rc1=$?
wait "$P2" || rc2=$?
P1= P2=
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || fail "the gateways did not stop cleanly (exit $rc1 and $rc2)"
# rbd export ends with EPIPE once head has its 32 MiB; a short or failed
# export shows as a different checksum.
got=$( (rbd export rbd/img1 - 2>/dev/null || true) | head -c 32M | md5sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "rbd export of img1 ($got) differs from what the host wrote ($want)"
ok "rbd export of img1 matches the 32 MiB the host wrote (md5 $want)"
ok "rbd.sh done in $(( $(date +%s) - t0 )) s"
