# Everything a guest-side perf script uses to serve and measure a target
# (sourced): the kernel target, nvmf-tgt's config and start/stop, CPU
# accounting, and the CM listen wait.
PERF_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$PERF_LIB/kernel-target.sh"
. "$PERF_LIB/nvmf-tgt-config.sh"
. "$PERF_LIB/cpu.sh"
. "$PERF_LIB/nvmf-tgt-run.sh"
. "$PERF_LIB/../../lab/lib/wait-listen.sh"
