#!/usr/bin/env bash
# Runs in the lab guest (via perf/ana-paths.sh): in ONE boot, one nvmf-tgt
# with ANA reporting and two listeners (two addresses of the rxe netdev), and
# the kernel host reading a RAM namespace through one path or through both
# paths optimized (native multipath, iopolicy round-robin), rounds A B B A.
#
#   perf/guest/ana-paths.sh ROUNDS RUNTIME
# Prints one line per run:
#   paths N round R iops X p50_us Y guest_cpu G
set -euo pipefail
. perf/lib/nvme-host.sh
. lab/lib/wait-listen.sh
ROUNDS="$1" RUNTIME="$2"
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
A_IP=$LAB_RDMA_IP
B_IP=${A_IP%.*}.202
NQN=nqn.2026-11.io.nvmf-target:ana-paths
OUT="${LAB_OUT:?run me through lab/run}/ana-paths"
mkdir -p "$OUT"
NETDEV=$(ip -o -4 addr show | awk -v ip="$A_IP" 'index($0, " " ip "/") {print $2; exit}')
ip addr add "$B_IP/24" dev "$NETDEV"
cat >/tmp/ana-paths.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":65536,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true,"ana_reporting":true}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"Malloc0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$A_IP","trsvcid":"4420"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$B_IP","trsvcid":"4420"}}}]}]}
JSON
"$BIN" --config /tmp/ana-paths.json >"$OUT/tgt.log" 2>&1 &
TPID=$!
trap 'nvme disconnect-all >/dev/null 2>&1 || true; kill -INT $TPID 2>/dev/null || true' EXIT
wait_cm_listen "$B_IP" 30 4420 || { echo "nvmf-tgt never listened"; exit 1; }
cpu_sample() { awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

run() { # PATHS ROUND
  local dev
  dev=$(nvme_host_connect "$A_IP" 4420 "$NQN")
  if [ "$1" = 2 ]; then
    nvme connect -t rdma -a "$B_IP" -s 4420 -n "$NQN" >/dev/null
    for s in /sys/class/nvme-subsystem/nvme-subsys*; do
      [ "$(cat "$s/subsysnqn")" = "$NQN" ] && echo round-robin >"$s/iopolicy"
    done
    for _ in $(seq 100); do [ "$(ls -d /sys/class/nvme/nvme*/nvme*c*n1 2>/dev/null | wc -l)" = 2 ] && break; sleep 0.1; done
  fi
  local b0 t0 b1 t1
  read -r b0 t0 < <(cpu_sample)
  fio --name=r --filename="$dev" --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" --ramp_time=1 \
    --rw=randread --bs=4k --iodepth=32 --output-format=json --output="$OUT/p$1-r$2.json"
  read -r b1 t1 < <(cpu_sample)
  nvme disconnect -n "$NQN" >/dev/null
  python3 - "$OUT/p$1-r$2.json" "$1" "$2" "$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN {printf "%.1f", 100*b/t}')" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); r = json.loads(t[t.index("{"):])["jobs"][0]["read"]
print(f"paths {sys.argv[2]} round {sys.argv[3]} iops {r['iops']:.0f} p50_us {r['clat_ns']['percentile']['50.000000']/1000:.0f} guest_cpu {sys.argv[4]}")
PY
}
echo "guest: $(uname -r), $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run 1 "$r"; run 2 "$r"; else run 2 "$r"; run 1 "$r"; fi
done
