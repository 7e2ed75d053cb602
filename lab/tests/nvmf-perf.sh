#!/usr/bin/env bash
# lab-suites: trixie
# nvmf-perf, our own initiator, in one guest: --verify (4k and 128k, QD1 and
# QD128, mixed reads and writes) against nvmf-tgt and then against the Linux
# kernel target, both on a RAM disk; discover; --json and --plot from a real
# run; the command line's refusals in words; and a target killed mid-run,
# which must end the run with its figures and a non-zero exit, not a hang.
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. lab/lib/nvmf-tools.sh
. perf/lib/kernel-target.sh
PERF="${NVMF_PERF_BIN:-.build/release/nvmf-perf}"
[ -x "$PERF" ] || { echo "no $PERF: build it with 'swift build -c release --static-swift-stdlib --product nvmf-perf'"; exit 1; }
IP=$LAB_RDMA_IP
NQN=nqn.2026-12.io.nvmf-target:perf
KNQN=nqn.2026-12.io.nvmet:perf
fail() { echo "FAIL: $*"; [ -f /tmp/tgt.log ] && tail -20 /tmp/tgt.log; exit 1; }
modprobe brd rd_nr=1 rd_size=$((256 * 1024))   # /dev/ram0, 256 MiB

cat >/tmp/perf.json <<JSON
{"subsystems":[{"subsystem":"bdev","config":[
  {"method":"bdev_aio_create","params":{"name":"ram0","filename":"/dev/ram0","block_size":4096}},
  {"method":"bdev_null_create","params":{"name":"Null0","num_blocks":64,"block_size":512}}]},
 {"subsystem":"nvmf","config":[{"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN","allow_any_host":true}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN","namespace":{"bdev_name":"ram0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN-tiny","allow_any_host":true}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$NQN-tiny","namespace":{"bdev_name":"Null0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN-tiny","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$NQN-closed","allow_any_host":false}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$NQN-closed","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON
"$BIN" --config /tmp/perf.json >/tmp/tgt.log 2>&1 &
TPID=$!
trap 'kill -INT $TPID 2>/dev/null || true; kernel_target_down $KNQN 2>/dev/null || true' EXIT
wait_cm_listen "$IP" 30 4420 || fail "nvmf-tgt never listened"
wait_for 30 grep -q "nvmf-tgt running" /tmp/tgt.log || fail "nvmf-tgt never said it was running"

# verify_matrix NAME SUBNQN: 4k and 128k at QD1 and QD128, randrw 50/50, each
# run writing the pattern over 64 MiB, mixing for 2 s, reading all of it back.
verify_matrix() {
  local name="$1" subnqn="$2" bs qd out
  for bs in 4k 128k; do
    for qd in 1 128; do
      out=$("$PERF" -r "trtype:RDMA traddr:$IP trsvcid:4420 subnqn:$subnqn" -w randrw -M 50 -o $bs -q $qd -t 2 \
        --verify --io-range 64m --no-progress --json /tmp/v.json 2>&1) || { echo "$out"; fail "$name: verify bs=$bs qd=$qd"; }
      python3 - "$bs" "$qd" <<'PY' || fail "$name: verify bs=$bs qd=$qd: figures"
import json, sys
r = json.load(open("/tmp/v.json"))
t = r["total"]
assert r["error"] is None, r["error"]
assert t["mismatches"] == 0 and t["errors"] == 0, t
assert t["ios"] > 0, t
print(f"  bs={sys.argv[1]:>4} qd={sys.argv[2]:>3}: {t['ios']} I/Os, {t['iops']:.0f} IOPS, p99 {t['latency_us']['p99']:.0f} us, 0 mismatches")
PY
    done
  done
}

verify_matrix nvmf-tgt "$NQN"
ok "nvmf-perf --verify against nvmf-tgt: 4k and 128k x QD1 and QD128, zero mismatches"

# --- discover, --json and --plot from a real run, -LL
out=$("$PERF" discover -r "trtype:RDMA traddr:$IP trsvcid:4420") || fail "discover"
echo "$out" | grep -q "subnqn:  $NQN$" || { echo "$out"; fail "discover does not list $NQN"; }
echo "$out" | grep -q "$NQN-closed" && fail "discover lists a subsystem this host may not reach"
ok "nvmf-perf discover lists the reachable subsystems"
"$PERF" -r "trtype:RDMA traddr:$IP trsvcid:4420 subnqn:$NQN" -w randread -o 4k -q 32 -t 3 -LL \
  --json "$LAB_OUT/nvmf-perf.json" --plot "$LAB_OUT/nvmf-perf.svg" >/tmp/ll.txt || fail "-LL run"
grep -q "99.9999%" /tmp/ll.txt && grep -q "Latency histogram" /tmp/ll.txt || { cat /tmp/ll.txt; fail "-LL: no percentiles or histogram"; }
python3 -c "
import json, xml.dom.minidom
r = json.load(open('$LAB_OUT/nvmf-perf.json'))
assert r['total']['ios'] > 0 and len(r['intervals']) >= 2, r['intervals']
d = xml.dom.minidom.parse('$LAB_OUT/nvmf-perf.svg')
assert len(d.getElementsByTagName('polyline')) >= 3
" || fail "--json/--plot output"
ok "-LL percentiles and histogram, --json with per-second intervals, --plot SVG with curves"

# --- the command line's refusals: a message naming the problem, exit non-zero, no hang
refused() {  # refused WORDS ARGS...: the run must fail within 30 s saying WORDS
  local words="$1"; shift
  local out rc=0
  out=$(timeout 30 "$PERF" "$@" -t 1 --no-progress 2>&1) || rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "$out"; fail "'$*' exited $rc"; }
  echo "$out" | grep -qF -- "$words" || { echo "$out"; fail "'$*' does not say '$words'"; }
}
refused "trtype TCP is not supported" -r "trtype:TCP traddr:$IP"
refused "unknown key 'traddress'" -r "trtype:RDMA traddress:$IP"
refused "SUBNQN (no such subsystem" -r "trtype:RDMA traddr:$IP subnqn:$NQN-none"
refused "invalid host" -r "trtype:RDMA traddr:$IP subnqn:$NQN-closed"
refused "nothing listens" -r "trtype:RDMA traddr:$IP trsvcid:4999 subnqn:$NQN"
refused "less than one I/O" -r "trtype:RDMA traddr:$IP subnqn:$NQN-tiny" -o 64k
refused "exceeds the controller's maximum transfer" -r "trtype:RDMA traddr:$IP subnqn:$NQN" -o 16m
refused "-q 0" -r "trtype:RDMA traddr:$IP subnqn:$NQN" -q 0
ok "refused in words: TCP, unknown key, unknown subsystem, host not allowed, no listener, namespace smaller than the I/O, I/O over MDTS, -q 0"

# --- the target killed mid-run: figures so far, an error, exit 1, well before -t
start=$(date +%s)
"$PERF" -r "trtype:RDMA traddr:$IP trsvcid:4420 subnqn:$NQN" -w randread -q 32 -t 60 >/tmp/killed.txt 2>/tmp/killed.err &
PPID_=$!
wait_for 30 grep -q "IOPS" /tmp/killed.err || fail "no progress line before the kill"
kill -9 $TPID
rc=0; wait $PPID_ || rc=$?
took=$(( $(date +%s) - start ))
cat /tmp/killed.err | tail -3
[ $rc -eq 1 ] || fail "after the target was killed nvmf-perf exited $rc, expected 1"
[ $took -lt 45 ] || fail "nvmf-perf took $took s to notice the target was gone"
grep -q "run ended early" /tmp/killed.err || fail "no 'run ended early' message"
grep -q "^Total" /tmp/killed.txt || fail "no figures printed after the target went away"
ok "target killed mid-run: nvmf-perf ended after ${took} s with the figures so far and exit 1"

# --- the same verify matrix against the Linux kernel target on the same RAM disk
trap 'kernel_target_down $KNQN 2>/dev/null || true' EXIT
kernel_target_up "$KNQN" /dev/ram0 "$IP" 4420
wait_cm_listen "$IP" 30 4420 || fail "the kernel target never listened"
verify_matrix nvmet "$KNQN"
ok "nvmf-perf --verify against the kernel target: 4k and 128k x QD1 and QD128, zero mismatches"
kernel_target_down "$KNQN"
