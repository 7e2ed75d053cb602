#!/usr/bin/env bash
# Where the guest's CPU goes: the kernel target and nvmf-tgt under the same fio
# job, profiled system-wide in one lab boot (perf/guest/profile.sh).
#   perf/profile.sh [FIO ARGS...]     default: --rw=read --bs=128k --iodepth=8
# Needs the host's `perf` (Debian: linux-perf, the same 6.1 tools as the
# guest kernel); it and its libraries are copied into .build-perfkit/ and run
# in the guest from the shared repository.
set -euo pipefail
cd "$(dirname "$0")/.."
. perf/lib/perfkit.sh
swift build -c release --static-swift-stdlib --product nvmf-tgt
lab/run --timeout 900 perf/guest/profile.sh "$KIT" "$@"
