# CPU accounting shared by the perf scripts (sourced).

# cpu_sample: prints "busy total" jiffies of the whole guest (all CPUs, from
# /proc/stat; idle and iowait are not busy).
cpu_sample() { awk '/^cpu / {t=0; for(i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat; }

# proc_cpu PID: user+system clock ticks of process PID so far (0 without a PID).
proc_cpu() { [ -n "${1:-}" ] && awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
