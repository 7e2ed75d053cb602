#!/usr/bin/env bash
# Runs in the lab guest (via perf/resv-write.sh): in ONE boot, one nvmf-tgt
# and the kernel host writing 4 KiB at QD32 with and without a Write
# Exclusive reservation held by the writing host, rounds A B / B A.
#
#   perf/guest/resv-write.sh ROUNDS RUNTIME
# Prints one line per run:
#   reservation none|held round R iops X p50_us Y
set -euo pipefail
. perf/lib/nvme-host.sh
. lab/lib/wait-listen.sh
ROUNDS="$1" RUNTIME="$2"
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
IP=$LAB_RDMA_IP
NQN=nqn.2026-11.io.nvmf-target:resv-write
OUT="${LAB_OUT:?run me through lab/run}/resv-write"
mkdir -p "$OUT"
cat >/tmp/resv-write.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":65536,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON
"$BIN" --config /tmp/resv-write.json >"$OUT/tgt.log" 2>&1 &
TPID=$!
trap 'nvme disconnect-all >/dev/null 2>&1 || true; kill -INT $TPID 2>/dev/null || true' EXIT
wait_cm_listen "$IP" 30 4420 || { echo "nvmf-tgt never listened"; exit 1; }
DEV=$(nvme_host_connect "$IP" 4420 "$NQN")
# The one controller: reservation commands go through its device, as the host's.
CTRL=/dev/$(ls /sys/class/nvme | head -1)

run() { # none|held ROUND
  if [ "$1" = held ]; then
    nvme resv-register "$CTRL" --namespace-id=1 --nrkey=0x77 --rrega=0 >/dev/null
    nvme resv-acquire "$CTRL" --namespace-id=1 --crkey=0x77 --rtype=1 --racqa=0 >/dev/null
  fi
  fio --name=w --filename="$DEV" --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" --ramp_time=1 \
    --rw=randwrite --bs=4k --iodepth=32 --output-format=json --output="$OUT/$1-r$2.json"
  if [ "$1" = held ]; then
    nvme resv-release "$CTRL" --namespace-id=1 --crkey=0x77 --rtype=1 --rrela=1 >/dev/null  # clear
  fi
  python3 - "$OUT/$1-r$2.json" "$1" "$2" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); w = json.loads(t[t.index("{"):])["jobs"][0]["write"]
print(f"reservation {sys.argv[2]} round {sys.argv[3]} iops {w['iops']:.0f} p50_us {w['clat_ns']['percentile']['50.000000']/1000:.0f}")
PY
}
echo "guest: $(uname -r), $(nproc) CPUs; reservations through $CTRL"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run none "$r"; run held "$r"; else run held "$r"; run none "$r"; fi
done
