#!/usr/bin/env bash
# AioBlockDevice vs fio (ioengine=libaio, direct=1): 4 KiB randread/randwrite
# at queue depth 1 and 32, one thread, same 1 GiB file, each case twice.
# Prints the table and keeps a copy in $SCRATCH/aio-bench-table.md;
# perf/backends/RESULTS.md holds the medians of two runs of this script.
#
# usage: perf/backends/run.sh            (from the repository root)
#   FILE=/var/tmp/nvmf-aio-bench.img  backing file (real file system: O_DIRECT)
#   RUNTIME=10                        seconds per run
#   SCRATCH=.build-backends           swift build scratch path
set -euo pipefail
cd "$(dirname "$0")/../.."
FILE=${FILE:-/var/tmp/nvmf-aio-bench.img}
RUNTIME=${RUNTIME:-10}
SCRATCH=${SCRATCH:-.build-backends}
OUT="$SCRATCH/aio-bench-table.md"

swift build -c release --scratch-path "$SCRATCH" --product aio-bench >/dev/null
BENCH="$SCRATCH/release/aio-bench"

# A fully allocated file, so writes never allocate blocks and reads hit the disk.
if [ "$(stat -c %s "$FILE" 2>/dev/null || echo 0)" != $((1 << 30)) ]; then
  rm -f "$FILE"
  dd if=/dev/urandom of="$FILE" bs=1M count=1024 oflag=direct status=none
fi
sync

fio_run() { # rw qd -> "iops cpu_us_per_io"
  fio --name=b --filename="$FILE" --ioengine=libaio --direct=1 --rw="$1" --bs=4k \
      --iodepth="$2" --numjobs=1 --time_based --runtime="$RUNTIME" --norandommap \
      --randrepeat=0 --output-format=json 2>/dev/null |
    jq -r --arg rw "${1#rand}" '.jobs[0] as $j | ($j[$rw].total_ios) as $n |
      "\($j[$rw].iops | floor) \((($j.usr_cpu + $j.sys_cpu) / 100 * $j.job_runtime / 1000) / $n * 1e6 * 100 | round / 100)"'
}
bench_run() { # rw qd mode -> "iops cpu_us_per_io"
  "$BENCH" "$FILE" "$1" "$2" "$RUNTIME" "$3" |
    jq -r '"\(.iops) \(.cpu_us_per_io * 100 | round / 100)"'
}

{
  echo "Command: \`perf/backends/run.sh\` (RUNTIME=$RUNTIME s per run, FILE=$FILE, $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) CPUs shared with other jobs)"
  echo
  echo "IOPS, CPU µs per I/O (user+sys of the whole process / I/Os), and the IOPS ratio to fio of the same row."
  echo
  echo "| case | run | fio IOPS | fio µs/IO | block IOPS | µs/IO | ratio | eventfd IOPS | µs/IO | ratio | spin IOPS | µs/IO | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT"
for rw in randread randwrite; do
  for qd in 1 32; do
    for run in 1 2; do
      read -r fi fc < <(fio_run "$rw" "$qd")
      row="| $rw QD$qd | $run | $fi | $fc"
      for mode in block eventfd spin; do
        read -r i c < <(bench_run "$rw" "$qd" "$mode")
        row="$row | $i | $c | $(echo "scale=2; $i / $fi" | bc)"
      done
      echo "$row |" | tee -a "$OUT"
    done
  done
done
