#!/bin/sh
# Verbs latency benchmark: Swift (verbs-perf) against perftest, same boot, same
# device, alternating runs. Results go to stdout and $OUT (default lab/runs/verbs-bench).
#
#   swift build -c release --scratch-path .build-verbs --product verbs-perf   # on the host
#   lab/run lab/tests/verbs/bench.sh [ITERATIONS] [ROUNDS]                     # in the guest
#
# perftest needs -F under TCG (no CPU frequency to read). Latencies are µs;
# the ratio compares t_typical (median), as perftest reports it.
set -eu
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
. "$REPO/lab/tests/verbs/rxe.sh"
verbs_lab_rxe
ITERATIONS=${1:-2000}
ROUNDS=${2:-3}
OUT=${OUT:-$REPO/lab/runs/verbs-bench}
PERF=${VERBS_PERF:-$REPO/.build-verbs/release/verbs-perf}
rm -rf "$OUT"
mkdir -p "$OUT"
ADDR=$NVMF_LAB_ADDRESS
DEV=$NVMF_LAB_DEVICE

# Waits until a server is ready: a TCP port listening (perftest) or a line in a log (verbs-perf).
wait_for_port() { n=0; until ss -ltn | grep -q ":$1 "; do n=$((n + 1)); [ $n -lt 300 ] || return 1; sleep 0.1; done; }
wait_for_line() { n=0; until grep -q "$2" "$1" 2>/dev/null; do n=$((n + 1)); [ $n -lt 300 ] || return 1; sleep 0.1; done; }
# Prints "t_typical t_avg" from a perftest-format table.
typical() { awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && NF >= 6 {print $5, $6; exit}' "$1"; }

perftest() { # tool tag round
    "$1" -F -d "$DEV" -s 64 -n "$ITERATIONS" >"$OUT/$2-$3-server.txt" 2>&1 &
    pid=$!
    wait_for_port 18515
    "$1" -F -d "$DEV" -s 64 -n "$ITERATIONS" "$ADDR" >"$OUT/$2-$3.txt" 2>&1
    wait $pid
}
swiftperf() { # test tag round
    rm -f "$OUT/$2-$3-server.txt"
    # --no-inline: perftest reports "Max inline data: 0" on rxe, so both send from registered memory.
    "$PERF" "$1" --server --no-inline --address "$ADDR" --iterations "$ITERATIONS" >"$OUT/$2-$3-server.txt" 2>&1 &
    pid=$!
    wait_for_line "$OUT/$2-$3-server.txt" listening
    "$PERF" "$1" --no-inline --address "$ADDR" --iterations "$ITERATIONS" >"$OUT/$2-$3.txt" 2>&1
    wait $pid
}

echo "device $DEV on $NVMF_LAB_NETDEV ($ADDR), $ITERATIONS iterations, $ROUNDS rounds, $(nproc) vCPUs, $(uname -r)"
round=1
while [ $round -le "$ROUNDS" ]; do
    # Alternate who goes first, so neither side always runs on a warmer (or more tired) guest.
    if [ $((round % 2)) -eq 1 ]; then
        perftest ib_send_lat ib_send_lat $round
        swiftperf send-lat swift_send_lat $round
        perftest ib_read_lat ib_read_lat $round
        swiftperf read-lat swift_read_lat $round
    else
        swiftperf send-lat swift_send_lat $round
        perftest ib_send_lat ib_send_lat $round
        swiftperf read-lat swift_read_lat $round
        perftest ib_read_lat ib_read_lat $round
    fi
    for pair in "ib_send_lat swift_send_lat" "ib_read_lat swift_read_lat"; do
        set -- $pair
        c=$(typical "$OUT/$1-$round.txt")
        s=$(typical "$OUT/$2-$round.txt")
        ratio=$(echo "$c $s" | awk '{ if ($1 > 0) printf "%.3f", $3 / $1; else print "n/a" }')
        echo "round $round: $1 typical/avg ${c:-?} us | $2 typical/avg ${s:-?} us | ratio (typical) $ratio"
    done
    round=$((round + 1))
done
# Median over rounds of each tool's t_typical, and their ratio.
median() { # tag
    for f in "$OUT/$1"-[0-9]*.txt; do
        case $f in *server*) ;; *) typical "$f" | cut -d' ' -f1 ;; esac
    done | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
for pair in "ib_send_lat swift_send_lat" "ib_read_lat swift_read_lat"; do
    set -- $pair
    c=$(median "$1")
    s=$(median "$2")
    echo "median of $ROUNDS rounds: $1 $c us, $2 $s us, ratio $(echo "$c $s" | awk '{printf "%.3f", $2 / $1}')"
done
