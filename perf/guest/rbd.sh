#!/usr/bin/env bash
# Runs in the Ceph lab guest (via perf/rbd.sh): in ONE boot, one cluster and
# one image, the Linux kernel target on krbd (/dev/rbd0) and nvmf-tgt on
# librbd (bdev_rbd_create) take turns serving it to the kernel initiator;
# fio runs four jobs against each. Targets alternate A B / B A by round; the
# image is mapped by krbd only while the kernel target serves it, so the two
# never pass its exclusive lock back and forth.
#
#   perf/guest/rbd.sh ROUNDS RUNTIME [--profile PERFKIT_DIR] [NVMF_TGT_ARGS...]
# Prints one line per run:
#   target T job J round R iops X p50_us Y cpu_us_per_io Z
# With --profile (perf/rbd.sh --profile), no rounds: each target serves one
# 4k randread QD32 run while `perf record -a` samples both vCPUs in its steady
# state, and the split by thread, by library and by symbol is printed.
# CPU per I/O is the whole guest's busy time (targets, krbd, librbd, the
# OSDs, fio) over the run's I/Os: the cluster's share is the same for both.
set -euo pipefail
. perf/lib/nvme-host.sh
. perf/lib/kernel-target.sh
. perf/lib/cpu.sh
. lab/lib/wait-listen.sh
. lab/lib/ceph.sh
ROUNDS="$1" RUNTIME="$2"
shift 2
KIT=""
if [ "${1:-}" = --profile ]; then KIT="$2"; shift 2; fi
TGT_ARGS=("$@")   # e.g. --mode interrupt
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
IP=$LAB_RDMA_IP
OUT="${LAB_OUT:?run me through lab/run}/rbd"
mkdir -p "$OUT"
echo "guest: $(uname -r), $(nproc) CPUs, nvmf-tgt ${TGT_ARGS[*]:-(defaults)}"
ceph_start 2
rbd create rbd/bench --size 256M
# Every object written once, so reads reach the OSDs' data rather than
# "no such object".
DEV=$(ceph_rbd_map rbd/bench)
dd if=/dev/urandom of="$DEV" bs=4M count=64 oflag=direct status=none
ceph_rbd_unmap "$DEV"
echo "guest: cluster up, image filled"

run_job() { # TARGET JOB ROUND DEV RW BS DEPTH
  local f="$OUT/$1.$2.r$3.json" c0 c1
  c0=$(cpu_sample)
  fio --name="$2" --filename="$4" --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" --ramp_time=1 \
    --rw="$5" --bs="$6" --iodepth="$7" --output-format=json --output="$f"
  c1=$(cpu_sample)
  python3 - "$f" "$1" "$2" "$3" "$c0" "$c1" <<'PY'
import json, os, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])["jobs"][0]
d = j["read"] if j["read"]["total_ios"] else j["write"]
b0, _ = map(int, sys.argv[5].split()); b1, _ = map(int, sys.argv[6].split())
busy_us = (b1 - b0) * 1e6 / os.sysconf("SC_CLK_TCK")
ios = d["total_ios"]  # each job moves data one way
print(f"target {sys.argv[2]} job {sys.argv[3]} round {sys.argv[4]} iops {d['iops']:.0f} "
      f"p50_us {d['clat_ns']['percentile']['50.000000']/1000:.1f} cpu_us_per_io {busy_us / max(ios, 1):.1f}")
PY
}

target_up() { # kernel|nvmf-tgt -> sets NQN (and TPID, RBD_DEV)
  if [ "$1" = kernel ]; then
    NQN=nqn.2026-12.io.nvmet:rbd
    RBD_DEV=$(ceph_rbd_map rbd/bench)
    kernel_target_up "$NQN" "$RBD_DEV" "$IP" 4420
  else
    NQN=nqn.2026-12.io.nvmf-target:rbd
    cat >/tmp/rbd-bench.json <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
  {"method":"bdev_rbd_register_cluster","params":{"name":"ceph"}},
  {"method":"bdev_rbd_create","params":{"name":"Rbd0","pool_name":"rbd","rbd_name":"bench","block_size":4096,"cluster_name":"ceph"}}]},
 {"subsystem":"nvmf","config":[{"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"serial_number":"SWIFTRBD0001"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Rbd0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON
    "$BIN" --config /tmp/rbd-bench.json ${TGT_ARGS[@]+"${TGT_ARGS[@]}"} >>"$OUT/tgt.log" 2>&1 &
    TPID=$!
  fi
  wait_cm_listen "$IP" 60 4420
}

target_down() {
  if [ "$1" = kernel ]; then
    kernel_target_down "$NQN"
    ceph_rbd_unmap "$RBD_DEV"
  else
    kill -INT "$TPID"; wait "$TPID"
  fi
}

# The host's perf runs through the host's own loader and libraries: the guest's
# newer libc would not load the host's libc (perf/lib/perfkit.sh).
perf_kit() { "$KIT/lib/ld-linux-x86-64.so.2" --library-path "$KIT/lib" "$KIT/perf" "$@"; }

profile() { # TARGET DEV
  local data="$OUT/$1.perf.data" f
  # The same 10 s of QD1 reads the rounds start with: straight after the
  # image fill the cluster is still settling, and QD32 there ran at a third
  # of its rate with the guest mostly idle, which is not what the rounds see.
  fio --name=warm --filename="$2" --ioengine=libaio --direct=1 --time_based --runtime=10 \
    --rw=randread --bs=4k --iodepth=1 --output=/dev/null
  fio --name=p --filename="$2" --ioengine=libaio --direct=1 --time_based --runtime=14 \
    --rw=randread --bs=4k --iodepth=32 --output="$OUT/$1.profile-fio.txt" &
  f=$!
  sleep 4   # fio's ramp and librbd's first reads: the profile covers the steady state only
  perf_kit record -a -e cpu-clock -F 499 -o "$data" -- sleep 8 >/dev/null 2>&1
  wait "$f"
  echo "guest: $1: $(grep -o 'IOPS=[^,]*' "$OUT/$1.profile-fio.txt" | head -1)"
  echo "##### $1: by thread (share of both vCPUs)"
  report_top "$data" comm 14
  echo "##### $1: by binary or library"
  report_top "$data" dso 14
  echo "##### $1: top symbols"
  report_top "$data" comm,dso,sym 30
}

report_top() { # PERF_DATA SORT_KEYS LINES (head closes the pipe early: not a failure)
  perf_kit report -i "$1" --no-children --stdio --sort "$2" 2>/dev/null | grep "%" | head -"$3" || true
}

if [ -n "$KIT" ]; then
  echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid
  for t in kernel nvmf-tgt; do
    target_up "$t"
    DEV=$(nvme_host_connect "$IP" 4420 "$NQN")
    profile "$t" "$DEV"
    nvme_host_disconnect "$NQN"
    target_down "$t"
  done
  exit 0
fi

for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then targets="kernel nvmf-tgt"; else targets="nvmf-tgt kernel"; fi
  for t in $targets; do
    target_up "$t"
    DEV=$(nvme_host_connect "$IP" 4420 "$NQN")
    run_job "$t" randread-4k-qd1 "$r" "$DEV" randread 4k 1
    run_job "$t" randread-4k-qd32 "$r" "$DEV" randread 4k 32
    run_job "$t" randwrite-4k-qd32 "$r" "$DEV" randwrite 4k 32
    run_job "$t" read-128k-qd8 "$r" "$DEV" read 128k 8
    nvme_host_disconnect "$NQN"
    target_down "$t"
  done
done
