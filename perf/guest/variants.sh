#!/usr/bin/env bash
# Runs in the lab guest (via perf/variants.sh): in ONE boot, the kernel target
# once, then nvmf-tgt under several variants (environment settings), round
# robin for ROUNDS rounds, each running the same fio job on the same brd
# device through the same kernel initiator. Comparing variants inside one
# boot removes most of the boot-to-boot and host-load noise of TCG.
#
#   perf/guest/variants.sh ROUNDS RUNTIME JOB "LABEL:NAME=VALUE,NAME=VALUE" ...
# JOB is one of perf/lib/fio-suite.sh's job names, or several, comma-separated.
# A LABEL that starts with "kernel" is another run of the kernel target under
# its settings (so a system setting is measured on both targets). Besides
# nvmf-tgt's environment, settings may be MODE=, CORES=, BIN=PATH (another
# nvmf-tgt build, e.g. an older commit's) and WQMASK=HEX (the unbound
# workqueues' cpumask, /sys/devices/virtual/workqueue/cpumask, for that run only)
# and RPCLOAD=N (N nvmf_get_stats calls a second through one nvmf-rpc during
# the fio run; the rate reached is printed as "rpcload LABEL round R: X/s").
# Prints one line per run:
#   variant LABEL round N job J iops X bw_mib_s Y p50_us Z target_cpu_s C guest_cpu G
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/guest-tools.sh"
OUT="${LAB_OUT:?run me through lab/run}/fio"
ROUNDS="$1" RUNTIME="$2" JOB="$3"; shift 3
mkdir -p "$OUT"
modprobe brd rd_nr=1 rd_size=$((512 * 1024))
DEV=/dev/ram0
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"

report() { # FILE_LABEL LABEL ROUND: one line per job of JOB (a comma list)
  local job
  for job in ${JOB//,/ }; do
    python3 - "$OUT/$1.$job.json" "$OUT/$1.$job.cpu" "$2" "$3" "$job" <<'PY'
import json, sys
t = open(sys.argv[1]).read(); j = json.loads(t[t.index("{"):])["jobs"][0]
s = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
c = json.load(open(sys.argv[2]))
print(f"variant {sys.argv[3]} round {sys.argv[4]} job {sys.argv[5]} iops {s['iops']:.0f} bw_mib_s {s['bw_bytes']/1048576:.1f} "
      f"p50_us {s['clat_ns']['percentile']['50.000000']/1000:.0f} target_cpu_s {c['target_cpu_s']} guest_cpu {c['guest_cpu_busy_pct']}")
PY
  done
}

WQ_CPUMASK=/sys/devices/virtual/workqueue/cpumask
WQ_DEFAULT=$(cat "$WQ_CPUMASK" 2>/dev/null || true)
# with_wqmask MASK: the unbound workqueues' cpumask for the next run ("" = default).
with_wqmask() {
  [ -w "$WQ_CPUMASK" ] || { [ -z "$1" ] && return 0; echo "no $WQ_CPUMASK"; exit 1; }
  echo "${1:-$WQ_DEFAULT}" >"$WQ_CPUMASK"
}

run_kernel() { # ROUND [LABEL [SETTINGS]]
  local nqn=nqn.2026-11.io.nvmf-target:variants-kernel label="${2:-kernel}" wqmask=""
  IFS=, read -r -a pairs <<<"${3:-}"
  for p in "${pairs[@]}"; do
    case "$p" in
      WQMASK=*) wqmask="${p#WQMASK=}" ;;
      ?*) echo "kernel variant $label: unsupported setting $p"; exit 2 ;;
    esac
  done
  with_wqmask "$wqmask"
  kernel_target_up "$nqn" "$DEV" "$LAB_RDMA_IP" 4420
  perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$nqn" --label "$label-$1" --out "$OUT" --runtime "$RUNTIME" --jobs "$JOB" >/dev/null
  kernel_target_down "$nqn"
  with_wqmask ""
  report "$label-$1" "$label" "$1"
}

run_variant() { # SPEC ROUND
  local label="${1%%:*}" settings="${1#*:}" nqn=nqn.2026-11.io.nvmf-target:variants
  [ "$settings" = "$1" ] && settings=""
  if [[ "$label" == kernel* ]]; then run_kernel "$2" "$label" "$settings"; return; fi
  nvmf_tgt_aio_config "$nqn" "$DEV" "$LAB_RDMA_IP" /tmp/variants.json SWIFTNVMF0002
  local args=() mode=adaptive wqmask="" bin="$BIN" rpcload=""
  IFS=, read -r -a pairs <<<"$settings"
  for p in "${pairs[@]}"; do
    case "$p" in
      MODE=*) mode="${p#MODE=}" ;;
      WQMASK=*) wqmask="${p#WQMASK=}" ;;
      BIN=*) bin="${p#BIN=}" ;;
      CORES=*) args+=(--cores "${p#CORES=}") ;;
      RPCLOAD=*) rpcload="${p#RPCLOAD=}" ;;
      # The poll-loop knobs are daemon flags (environment variables before 2026-12-02).
      NVMF_POLL_WINDOW_US=*) args+=(--poll-window-us "${p#*=}") ;;
      NVMF_POLL_IDLE=*) args+=(--poll-idle "${p#*=}") ;;
      NVMF_POLL_PIN=*) args+=(--pin-first-cpu "${p#*=}") ;;
      NVMF_POLL_SCHED=idle) args+=(--sched-idle) ;;
      ?*) args+=("$p") ;;
    esac
  done
  local envs=()
  for a in "${args[@]}"; do [[ "$a" == *=* ]] && envs+=("$a"); done
  local flags=()
  for a in "${args[@]}"; do [[ "$a" != *=* ]] && flags+=("$a"); done
  with_wqmask "$wqmask"
  nvmf_tgt_start "$OUT/$label-$2.log" "$LAB_RDMA_IP" env "${envs[@]}" "$bin" --config /tmp/variants.json --mode "$mode" "${flags[@]}"
  local tpid=$TPID rl=""
  if [ -n "$rpcload" ]; then
    # One client, one request every 1/N s, paced by bash's builtin read -t on
    # a descriptor that never has data: no process per request (a `sleep`
    # per request cost more CPU in the 2-vCPU guest than the RPCs did, and
    # reached only 16/s). The rate reached is measured from the answers.
    local gap t0
    gap=$(awk -v n="$rpcload" 'BEGIN { printf "%.4f", 1 / n }')
    t0=$(date +%s%N)
    # The client (pacing loop and nvmf-rpc) runs at nice 19, as the target's
    # RPC thread does: this measures what serving the calls costs the data
    # path, not what a client sharing the 2 vCPUs at full priority costs.
    (renice -n 19 -p "$BASHPID" >/dev/null; exec 3<> <(:)
      while :; do echo nvmf_get_stats; read -r -t "$gap" -u 3 _ || true; done \
      | .build/release/nvmf-rpc >"$OUT/$label-$2.rpc" 2>&1) &
    rl=$!
  fi
  perf/lib/fio-suite.sh --addr "$LAB_RDMA_IP" --nqn "$nqn" --label "$label-$2" --out "$OUT" --runtime "$RUNTIME" \
    --target-pid "$tpid" --jobs "$JOB" >/dev/null
  if [ -n "$rl" ]; then
    local client_cpu
    client_cpu=$(for p in $(pgrep -f 'release/nvmf-rpc$'); do awk '{print $14 + $15}' "/proc/$p/stat"; done \
      | awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.2f", s / hz}')
    echo "rpcclient $label round $2: nvmf-rpc used $client_cpu s CPU"
    pkill -P "$rl" 2>/dev/null || true; kill "$rl" 2>/dev/null || true; wait "$rl" 2>/dev/null || true
    local calls
    calls=$(grep -c '"tick_rate"' "$OUT/$label-$2.rpc" || true)
    echo "rpcload $label round $2: $(awk -v c="$calls" -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.0f", c / (ns / 1e9) }')/s ($calls calls)"
  fi
  # CPU seconds per thread (poll group, send offload, CM, main) over the whole run.
  local threads=""
  for t in /proc/$tpid/task/*; do
    threads+="$(tr -d ' ' <"$t/comm")=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "$t/stat") "
  done
  nvmf_tgt_stop "$tpid" "$OUT/$label-$2.log"
  with_wqmask ""
  report "$label-$2" "$label" "$2"
  echo "threads $label round $2: $threads"
}

echo "guest: $(uname -r), $(nproc) CPUs, L3 shared by $(cat /sys/devices/system/cpu/cpu0/cache/index3/shared_cpu_list 2>/dev/null || echo '?'), rxe_wq scope $(cat /sys/devices/virtual/workqueue/rxe_wq/affinity_scope 2>/dev/null || echo '-'), default wq cpumask ${WQ_DEFAULT:--}"
for r in $(seq "$ROUNDS"); do
  run_kernel "$r"
  for spec in "$@"; do run_variant "$spec" "$r"; done
done
