#!/usr/bin/env bash
# The host machine of the two-guest yardstick (perf/pair-yardstick.sh, via
# lab/run-pair): for each round and target that the target guest serves
# (perf/guest/pair-target.sh), runs the fio suite through the kernel initiator
# against it and leaves the results in LAB_OUT/fio/rROUND/.
#   perf/guest/pair-host.sh [NAME=VALUE...] [kernel] [nvmf-tgt]
# Knobs: YARDSTICK_ROUNDS, YARDSTICK_RUNTIME, YARDSTICK_JOBS (the target half
# takes the nvmf-tgt knobs).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../../lab/lib/pair.sh"
: "${LAB_PAIR:?run me through lab/run-pair}"
TARGETS=()
for a in "$@"; do
  case "$a" in
    YARDSTICK_ROUNDS=* | YARDSTICK_RUNTIME=* | YARDSTICK_JOBS=*) declare "${a?}" ;;
    *=*) ;;   # the target half's knobs
    *) TARGETS+=("$a") ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(kernel)
pair_wait target-info 300
read -r tcpus trelease < <(pair_read target-info)

for r in $(seq "${YARDSTICK_ROUNDS:-1}"); do
  OUT="$LAB_OUT/fio/r$r"
  mkdir -p "$OUT"
  echo "$trelease" >"$OUT/kernel-release"
  echo "$tcpus" >"$OUT/guest-cpus"
  echo "two guests (lab/run-pair): target guest $tcpus vCPU(s), host guest $(nproc) vCPU(s), kernel $trelease on both, rxe on a QEMU stream link (Unix socket) between them; backing device brd /dev/ram0 (512 MiB) in the target guest; guest CPU % is the target guest's" >"$OUT/lab-shape"
  for t in "${TARGETS[@]}"; do
    pair_wait "ready.$t-r$r" 300
    if [ "$t" = nvmf-tgt ]; then pair_read "idle.$t-r$r" >"$OUT/nvmf-tgt.idle.cpu"; fi
    perf/lib/fio-suite.sh --addr "$LAB_PEER_IP" --nqn "$(pair_read "ready.$t-r$r")" --label "$t" --out "$OUT" \
      --runtime "${YARDSTICK_RUNTIME:-10}" --remote-cpu "$t-r$r" ${YARDSTICK_JOBS:+--jobs "$YARDSTICK_JOBS"}
    pair_signal "done.$t-r$r"
  done
done
