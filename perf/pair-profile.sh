#!/usr/bin/env bash
# Where the target machine's CPU goes on two guests (lab/run-pair): the kernel
# target and nvmf-tgt under the same fio job from the host guest, profiled
# system-wide in the target guest (perf/guest/pair-profile-target.sh).
#   perf/pair-profile.sh [FIO ARGS...]     default: --rw=read --bs=128k --iodepth=8
# NVMF_TGT_MODE=interrupt|poll|adaptive picks nvmf-tgt's mode. Needs the
# host's perf, as perf/profile.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
. perf/lib/perfkit.sh
swift build -c release --static-swift-stdlib --product nvmf-tgt
lab/run-pair --timeout 900 perf/guest/pair-profile-target.sh perf/guest/pair-profile-host.sh "$KIT" "$@"
