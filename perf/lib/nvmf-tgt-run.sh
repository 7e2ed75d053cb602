# Starting nvmf-tgt for a measurement and reading its idle CPU (sourced; needs
# lab/lib/wait-listen.sh and perf/lib/cpu.sh).

# nvmf_tgt_start LOG ADDR BIN ARGS...: starts BIN ARGS in the background with
# its output in LOG, sets TPID, and returns once the daemon has said it is
# running (the CM id listens before the data buffers are registered, which
# takes seconds of CPU under TCG). Fails if it never listens on ADDR:4420.
nvmf_tgt_start() {
  local log="$1" addr="$2"; shift 2
  # The poll-loop knobs of the measurements are daemon flags now (they were
  # environment variables read by the target until 2026-12-02).
  local knobs=()
  [ -n "${NVMF_POLL_WINDOW_US:-}" ] && knobs+=(--poll-window-us "$NVMF_POLL_WINDOW_US")
  [ -n "${NVMF_POLL_IDLE:-}" ] && knobs+=(--poll-idle "$NVMF_POLL_IDLE")
  [ -n "${NVMF_POLL_PIN:-}" ] && knobs+=(--pin-first-cpu "$NVMF_POLL_PIN")
  [ "${NVMF_POLL_SCHED:-}" = idle ] && knobs+=(--sched-idle)
  "$@" "${knobs[@]}" >"$log" 2>&1 &
  TPID=$!
  wait_cm_listen "$addr" 30 4420 || { echo "nvmf-tgt never listened"; cat "$log"; return 1; }
  for _ in $(seq 600); do grep -q "nvmf-tgt running" "$log" && return 0; sleep 0.05; done
  echo "nvmf-tgt listened but never said it was running"; cat "$log"; return 1
}

# nvmf_tgt_idle_cpu PID FILE: writes to FILE the CPU the target used over 5 s
# with nothing connected, as % of one vCPU (JSON).
nvmf_tgt_idle_cpu() {
  local pid="$1" file="$2" i0 i1 s0 s1
  i0=$(proc_cpu "$pid"); s0=$(date +%s%N)
  timeout 5 tail --pid="$pid" -f /dev/null || true   # waits 5 s unless the target dies
  i1=$(proc_cpu "$pid"); s1=$(date +%s%N)
  awk -v c=$((i1 - i0)) -v hz="$(getconf CLK_TCK)" -v ns=$((s1 - s0)) \
    'BEGIN { printf "{\"idle_cpu_pct_of_one_vcpu\": %.2f}\n", 100 * (c / hz) / (ns / 1e9) }' >"$file"
}

# nvmf_tgt_stop PID LOG: SIGINT, and fails if the daemon does not exit cleanly.
nvmf_tgt_stop() {
  kill -INT "$1"
  wait "$1" || { echo "nvmf-tgt exited non-zero"; tail "$2"; return 1; }
}
