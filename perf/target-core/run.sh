#!/bin/sh
# Time and instructions per 4 KiB read command through the target core
# (plan + execute + backend submit + poll + completion routing) on a memory
# block device over the in-process transport. Results: RESULTS.md.
set -eu
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product target-core-bench
BIN="$SCRATCH/release/target-core-bench"

echo "== wall clock (2M commands each; noisy on a shared machine)"
for qd in 1 1 1 16; do "$BIN" 2000000 "$qd" 2>/dev/null; done

echo "== instructions per command (callgrind, difference of two runs)"
objcopy --strip-debug "$BIN" /tmp/target-core-bench.stripped
# Plain, then with ANA reporting on (the subsystem reports ANA and the
# queues come through a listener: every read passes the ANA state check),
# then writes without and with a Write Exclusive reservation held by the writer.
for variant in "" ana write write-resv; do
    for n in 20000 40000; do
        valgrind --tool=callgrind --callgrind-out-file=/tmp/target-core-bench.cg.$n \
            /tmp/target-core-bench.stripped $n 1 $variant >/dev/null 2>/tmp/target-core-bench.vg.$n
    done
    a=$(sed -n 's/.*Collected : //p' /tmp/target-core-bench.vg.20000)
    b=$(sed -n 's/.*Collected : //p' /tmp/target-core-bench.vg.40000)
    echo "instructions/command${variant:+ ($variant)}: $(( (b - a) / 20000 ))"
done
for n in 20000 40000; do
    printf 'malloc instructions in %s-command run: ' "$n"
    callgrind_annotate --threshold=100 /tmp/target-core-bench.cg.$n 2>/dev/null | awk '/malloc.c:malloc /{print $1}'
done
