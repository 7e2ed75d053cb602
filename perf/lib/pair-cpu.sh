# The target guest's half of a two-guest measurement (sourced; needs
# lab/lib/pair.sh and perf/lib/cpu.sh). fio runs on the host guest
# (perf/lib/fio-suite.sh --remote-cpu), which cannot see this guest's CPU; it
# signals begin.TAG.JOB and end.TAG.JOB around each fio job, and this side
# answers with began.TAG.JOB and cpu.TAG.JOB ("BUSY_PCT TARGET_CPU_S": this
# guest's busy % over the job and the target process's CPU seconds).

# pair_cpu_serve TAG [PID]: answers until the host signals done.TAG.
pair_cpu_serve() {
  local label="$1" pid="${2:-}" f job b0 t0 p0 b1 t1 p1 hz
  hz=$(getconf CLK_TCK)
  while [ ! -e "$LAB_PAIR/done.$label" ]; do
    for f in "$LAB_PAIR/begin.$label".*; do
      [ -e "$f" ] || continue
      case "$f" in *.tmp) continue ;; esac
      job="${f##*/begin."$label".}"
      read -r b0 t0 < <(cpu_sample); p0=$(proc_cpu "$pid")
      rm -f "$f"
      pair_signal "began.$label.$job"
      pair_wait "end.$label.$job" 900 || return 1
      read -r b1 t1 < <(cpu_sample); p1=$(proc_cpu "$pid")
      pair_signal "cpu.$label.$job" "$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v hz="$hz" \
        'BEGIN { printf "%.1f %.2f", (t ? 100*b/t : 0), p/hz }')"
    done
    pair_peer_failed && { echo "pair-cpu: the host guest failed" >&2; return 1; }
    sleep 0.05
  done
}
