#!/usr/bin/env bash
# Runs in the lab guest (via perf/initiators.sh): in ONE boot, the kernel
# target and nvmf-tgt in turn serve the same RAM disk, and four initiators
# drive each with the same jobs: fio through the kernel initiator, nvmf-perf
# polling (yielding when idle, its default), nvmf-perf spinning
# (--poll-idle spin), nvmf-perf in interrupt mode. Targets alternate A B / B A by round,
# initiators rotate within a round.
#
#   perf/guest/initiators.sh ROUNDS RUNTIME
# Prints one line per run:
#   target T initiator I job J round R iops X p50_us Y cpu_us_per_io Z
set -euo pipefail
. perf/lib/nvme-host.sh
. perf/lib/kernel-target.sh
. perf/lib/nvmf-tgt-config.sh
. lab/lib/wait-listen.sh
ROUNDS="$1" RUNTIME="$2"
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
PERF="${NVMF_PERF_BIN:-.build/release/nvmf-perf}"
IP=$LAB_RDMA_IP
OUT="${LAB_OUT:?run me through lab/run}/initiators"
mkdir -p "$OUT"
modprobe brd rd_nr=1 rd_size=$((512 * 1024))   # /dev/ram0, 512 MiB
echo "guest: $(uname -r), $(nproc) CPUs"

fio_job() { # TARGET JOB ROUND DEV DEPTH
  local f="$OUT/$1.fio.$2.r$3.json"
  fio --name="$2" --filename="$4" --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" --ramp_time=1 \
    --rw=randread --bs=4k --iodepth="$5" --output-format=json --output="$f"
  python3 - "$f" "$1" "$2" "$3" "$RUNTIME" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])["jobs"][0]; r = j["read"]
cpu = (j["usr_cpu"] + j["sys_cpu"]) / 100 * float(sys.argv[5])
print(f"target {sys.argv[2]} initiator fio job {sys.argv[3]} round {sys.argv[4]} iops {r['iops']:.0f} "
      f"p50_us {r['clat_ns']['percentile']['50.000000']/1000:.1f} cpu_us_per_io {cpu * 1e6 / max(r['total_ios'], 1):.1f}")
PY
}

perf_job() { # TARGET JOB ROUND NQN DEPTH MODE(poll|spin|interrupt)
  local f="$OUT/$1.nvmf-perf-$6.$2.r$3.json" extra=()
  [ "$6" = interrupt ] && extra+=(--interrupt)
  [ "$6" = spin ] && extra+=(--poll-idle spin)
  # The last round's runs keep their plot, for perf/RESULTS.md.
  [ "$3" = "$ROUNDS" ] && extra+=(--plot "$OUT/$1.nvmf-perf-$6.$2.svg")
  "$PERF" -r "trtype:RDMA traddr:$IP trsvcid:4420 subnqn:$4" -w randread -o 4096 -q "$5" -t "$RUNTIME" \
    --no-progress --json "$f" "${extra[@]}" >/dev/null
  python3 - "$f" "$1" "$2" "$3" "$6" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["total"]
print(f"target {sys.argv[2]} initiator nvmf-perf-{sys.argv[5]} job {sys.argv[3]} round {sys.argv[4]} iops {t['iops']:.0f} "
      f"p50_us {t['latency_us']['p50']:.1f} cpu_us_per_io {r['cpu_us_per_io']:.1f}")
PY
}

target_up() { # kernel|nvmf-tgt -> sets NQN (and TPID)
  if [ "$1" = kernel ]; then
    NQN=nqn.2026-12.io.nvmet:initiators
    kernel_target_up "$NQN" /dev/ram0 "$IP" 4420
    wait_cm_listen "$IP" 30 4420
  else
    NQN=nqn.2026-12.io.nvmf-target:initiators
    nvmf_tgt_aio_config "$NQN" /dev/ram0 "$IP" /tmp/initiators.json
    "$BIN" --config /tmp/initiators.json >"$OUT/tgt.log" 2>&1 &
    TPID=$!
    wait_cm_listen "$IP" 30 4420
    for _ in $(seq 600); do grep -q "nvmf-tgt running" "$OUT/tgt.log" && break; sleep 0.05; done
  fi
}

target_down() {
  if [ "$1" = kernel ]; then kernel_target_down "$NQN"; else kill -INT "$TPID"; wait "$TPID"; fi
}

for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then targets="kernel nvmf-tgt"; else targets="nvmf-tgt kernel"; fi
  for t in $targets; do
    target_up "$t"
    DEV=$(nvme_host_connect "$IP" 4420 "$NQN")
    for job in randread-4k-qd1 randread-4k-qd32; do
      depth=${job##*qd}
      # Rotate who goes first, so no initiator always runs on a warmer or colder target.
      case $(( (r + depth) % 4 )) in
        0) order="fio poll spin interrupt" ;;
        1) order="poll spin interrupt fio" ;;
        2) order="spin interrupt fio poll" ;;
        *) order="interrupt fio poll spin" ;;
      esac
      for i in $order; do
        if [ "$i" = fio ]; then fio_job "$t" "$job" "$r" "$DEV" "$depth"; else perf_job "$t" "$job" "$r" "$NQN" "$depth" "$i"; fi
      done
    done
    nvme_host_disconnect "$NQN"
    target_down "$t"
  done
done
