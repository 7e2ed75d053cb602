#!/usr/bin/env bash
# The standard fio jobs against one NVMe-oF/RDMA target, through the Linux
# kernel initiator. Reusable for any target: the kernel's nvmet, ours, SPDK.
#
#   perf/lib/fio-suite.sh --addr IP --nqn NQN --label NAME --out DIR
#                         [--port 4420] [--runtime 10] [--target-pid PID]
#                         [--jobs randread-4k-qd1,...,verify-crc32c] [--remote-cpu TAG]
#                         [--nvmf-perf BIN]
#
# Connects (`nvme connect -t rdma`), finds the namespace's block device, runs
#   randread-4k-qd1, randread-4k-qd32, randwrite-4k-qd32, seqread-128k-qd8
# (libaio, direct, RUNTIME s each), then a crc32c write+verify pass, and
# disconnects. --jobs runs only the named jobs (for quick experiments; the
# results of record run them all). For each job it writes DIR/NAME.JOB.json (fio's JSON) and
# DIR/NAME.JOB.cpu (guest CPU busy % over the job, and the target process's
# CPU seconds if --target-pid is given). Exit status is non-zero if any job
# failed or verification found a mismatch. With --remote-cpu TAG the target
# runs on the other guest of lab/run-pair: around each job this script asks
# that guest (perf/lib/pair-cpu.sh, serving TAG) for its CPU figures, so the .cpu file reports
# the target guest's busy % and the target process's CPU, plus this (host)
# guest's busy % as host_guest_cpu_busy_pct. With --nvmf-perf BIN each job also
# runs through our own user-space initiator (same pattern, size, depth and
# time) into DIR/NAME.JOB.nvmf-perf.json: the yardstick's second initiator.
set -euo pipefail
PORT=4420 RUNTIME=10 TPID="" JOBS="" REMOTE="" PERF=""
while [ $# -gt 0 ]; do
  case "$1" in
    --addr) ADDR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --nqn) NQN="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --runtime) RUNTIME="$2"; shift 2 ;;
    --target-pid) TPID="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --remote-cpu) REMOTE="$2"; shift 2 ;;
    --nvmf-perf) PERF="$2"; shift 2 ;;
    *) echo "fio-suite: unknown argument $1" >&2; exit 2 ;;
  esac
done
: "${ADDR:?--addr}" "${NQN:?--nqn}" "${LABEL:?--label}" "${OUT:?--out}"
mkdir -p "$OUT"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/nvme-host.sh"
. "$HERE/cpu.sh"
[ -n "$REMOTE" ] && . "$HERE/../../lab/lib/pair.sh"

DEV=$(nvme_host_connect "$ADDR" "$PORT" "$NQN")
echo "fio-suite[$LABEL]: connected $NQN at $ADDR:$PORT -> $DEV"
trap 'nvme_host_disconnect "$NQN" || true' EXIT

# wanted JOB: true when JOB is in --jobs (or --jobs was not given).
wanted() { [ -z "$JOBS" ] || [[ ",$JOBS," == *",$1,"* ]]; }

run_job() {
  local name="$1"; shift
  wanted "$name" || return 0
  local b0 t0 p0 b1 t1 p1
  if [ -n "$REMOTE" ]; then pair_signal "begin.$REMOTE.$name"; pair_wait "began.$REMOTE.$name" 60; fi
  read -r b0 t0 < <(cpu_sample); p0=$(proc_cpu "$TPID")
  fio --name="$name" --filename="$DEV" --ioengine=libaio --direct=1 --time_based \
    --runtime="$RUNTIME" --ramp_time=1 --group_reporting --output-format=json \
    --output="$OUT/$LABEL.$name.json" "$@"
  read -r b1 t1 < <(cpu_sample); p1=$(proc_cpu "$TPID")
  local hz; hz=$(getconf CLK_TCK)
  if [ -n "$REMOTE" ]; then
    pair_signal "end.$REMOTE.$name"; pair_wait "cpu.$REMOTE.$name" 60
    local tb tp
    read -r tb tp < <(pair_read "cpu.$REMOTE.$name")
    awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v tb="$tb" -v tp="$tp" -v r="$RUNTIME" \
      'BEGIN { printf "{\"guest_cpu_busy_pct\": %.1f, \"target_cpu_s\": %.2f, \"host_guest_cpu_busy_pct\": %.1f, \"wall_s\": %d}\n", tb, tp, (t ? 100*b/t : 0), r+1 }' \
      >"$OUT/$LABEL.$name.cpu"
  else
    awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v hz="$hz" -v r="$RUNTIME" \
      'BEGIN { printf "{\"guest_cpu_busy_pct\": %.1f, \"target_cpu_s\": %.2f, \"wall_s\": %d}\n", (t ? 100*b/t : 0), p/hz, r+1 }' \
      >"$OUT/$LABEL.$name.cpu"
  fi
  echo "fio-suite[$LABEL]: $name done ($(cat "$OUT/$LABEL.$name.cpu"))"
}

# perf_job NAME PATTERN SIZE DEPTH: the same job through nvmf-perf (when --nvmf-perf was given).
perf_job() {
  [ -n "$PERF" ] && wanted "$1" || return 0
  "$PERF" -r "trtype:RDMA traddr:$ADDR trsvcid:$PORT subnqn:$NQN" -w "$2" -o "$3" -q "$4" -t "$RUNTIME" \
    --no-progress --json "$OUT/$LABEL.$1.nvmf-perf.json" >/dev/null
  echo "fio-suite[$LABEL]: $1 through nvmf-perf done"
}

run_job randread-4k-qd1 --rw=randread --bs=4k --iodepth=1
perf_job randread-4k-qd1 randread 4k 1
run_job randread-4k-qd32 --rw=randread --bs=4k --iodepth=32
perf_job randread-4k-qd32 randread 4k 32
run_job randwrite-4k-qd32 --rw=randwrite --bs=4k --iodepth=32
perf_job randwrite-4k-qd32 randwrite 4k 32
run_job seqread-128k-qd8 --rw=read --bs=128k --iodepth=8
perf_job seqread-128k-qd8 read 128k 8

# Data integrity: write with crc32c headers, read back and verify every block.
wanted verify-crc32c || exit 0
SIZE=$(( $(blockdev --getsize64 "$DEV") < 268435456 ? $(blockdev --getsize64 "$DEV") : 268435456 ))
fio --name=verify-crc32c --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
  --iodepth=16 --size="$SIZE" --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --output-format=json \
  --output="$OUT/$LABEL.verify-crc32c.json"
echo "fio-suite[$LABEL]: crc32c write+verify over $SIZE bytes passed"
