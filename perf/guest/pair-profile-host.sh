#!/usr/bin/env bash
# The host half of perf/pair-profile.sh: runs fio against each target the
# target guest serves and tells it when fio is past its ramp.
#   perf/guest/pair-profile-host.sh PERFKIT_DIR [FIO ARGS...]
set -uo pipefail
shift
FIO_ARGS=("$@"); [ ${#FIO_ARGS[@]} -gt 0 ] || FIO_ARGS=(--rw=read --bs=128k --iodepth=8)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../lib/nvme-host.sh"
. "$HERE/../../lab/lib/pair.sh"
for t in kernel nvmf-tgt; do
  pair_wait "ready.$t" 300 || exit 1
  NQN=$(pair_read "ready.$t")
  D=$(nvme_host_connect "$LAB_PEER_IP" 4420 "$NQN") || exit 1
  fio --name=p --filename="$D" --ioengine=libaio --direct=1 --time_based --runtime=30 --output-format=json \
    --output="$LAB_OUT/$t.fio.json" "${FIO_ARGS[@]}" &
  f=$!
  sleep 3   # fio's ramp: the profile covers the steady state only
  pair_signal "steady.$t"
  pair_wait "profiled.$t" 60 || exit 1
  kill -INT $f; wait $f
  echo "host: $t $(grep -o '"iops" : [0-9.]*' "$LAB_OUT/$t.fio.json" | head -1)"
  nvme_host_disconnect "$NQN"
  pair_signal "done.$t"
done
