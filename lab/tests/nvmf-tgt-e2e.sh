#!/usr/bin/env bash
# End to end in the lab guest: nvmf-tgt (built on the host, release, static
# stdlib) serves a memory namespace and a libaio namespace on a file; the Linux
# kernel initiator discovers, connects with default options, inspects and does
# verified I/O; nvmf-perf runs as a second initiator beside it; a file system
# is made, filled and checked; bad connects fail the way the reference says. Every check prints "ok: ..." or fails the run.
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
[ -x "$BIN" ] || { echo "no $BIN: build it on the host with 'swift build -c release --static-swift-stdlib --product nvmf-tgt'"; exit 1; }
fail() { echo "FAIL: $*"; dmesg | tail -20; [ -f /tmp/tgt.log ] && tail -30 /tmp/tgt.log; exit 1; }
ok() { echo "ok: $*"; }

IP=$LAB_RDMA_IP
MEM_NQN=nqn.2026-11.io.nvmf-target:e2e-mem
AIO_NQN=nqn.2026-11.io.nvmf-target:e2e-aio
HIDDEN_NQN=nqn.2026-11.io.nvmf-target:e2e-hidden
PORT_NQN=nqn.2026-11.io.nvmf-target:e2e-port4421
HOSTNQN=$(cat /etc/nvme/hostnqn)
OTHER_HOST=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000bad
truncate -s 256M /var/tmp/aio.img     # on the guest's ext4 root (tmpfs has no O_DIRECT)

cat >/tmp/e2e.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":65536,"block_size":4096}},
  {"method":"bdev_aio_create","params":{"name":"Aio0","filename":"/var/tmp/aio.img","block_size":4096}},
  {"method":"bdev_null_create","params":{"name":"Null0","num_blocks":1024,"block_size":512}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$MEM_NQN","allow_any_host":true,"serial_number":"SWIFTE2E0001","model_number":"Swift NVMe-oF e2e"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$MEM_NQN","namespace":{"bdev_name":"Malloc0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$MEM_NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$AIO_NQN","allow_any_host":false,"serial_number":"SWIFTE2E0002"}},
  {"method":"nvmf_subsystem_add_host","params":{"nqn":"$AIO_NQN","host":"$HOSTNQN"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$AIO_NQN","namespace":{"bdev_name":"Aio0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$AIO_NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$HIDDEN_NQN","allow_any_host":false}},
  {"method":"nvmf_subsystem_add_host","params":{"nqn":"$HIDDEN_NQN","host":"$OTHER_HOST"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$HIDDEN_NQN","namespace":{"bdev_name":"Null0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$HIDDEN_NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$PORT_NQN","allow_any_host":true}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$PORT_NQN","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4421"}}}]}]}
JSON

"$BIN" --config /tmp/e2e.json --mode "${NVMF_TGT_MODE:-adaptive}" >/tmp/tgt.log 2>&1 &
TPID=$!
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; kill -INT $TPID 2>/dev/null || true; }
trap cleanup EXIT
wait_cm_listen "$IP" 30 4420 || fail "nvmf-tgt never listened"
wait_cm_listen "$IP" 10 4421 || fail "nvmf-tgt never listened on 4421"
ok "nvmf-tgt listening on $IP:4420 and :4421"

# --- discovery: exactly the two subsystems this host may reach
disc=$(nvme discover -t rdma -a "$IP" -s 4420) || fail "nvme discover failed"
echo "$disc" | grep -E "subnqn|trtype|traddr|trsvcid" | head -20
nsubs=$(echo "$disc" | grep -c "subtype: nvme subsystem" || true)
[ "$nsubs" = 3 ] || fail "discovery lists $nsubs NVM subsystems, expected 3"
echo "$disc" | grep -q "$MEM_NQN" && echo "$disc" | grep -q "$AIO_NQN" || fail "discovery misses a reachable subsystem"
echo "$disc" | grep -B1 "$PORT_NQN" | grep -qE "trsvcid: +4421" || fail "discovery misses $PORT_NQN at port 4421"
echo "$disc" | grep -q "$HIDDEN_NQN" && fail "discovery shows a subsystem this host may not reach"
ok "nvme discover lists exactly the 3 reachable subsystems"

# --- bad connects
nvme connect -t rdma -a "$IP" -s 4420 -n nqn.2026-11.io.nvmf-target:nope 2>/dev/null && fail "connect to an unknown NQN succeeded"
dmesg | tail -5 | grep -qi "invalid.*param\|subsysnqn" || fail "unknown NQN: no Invalid Parameters in dmesg"
ok "connect to an unknown NQN refused (Invalid Parameters, subsysnqn)"
nvme connect -t rdma -a "$IP" -s 4420 -n "$HIDDEN_NQN" 2>/dev/null && fail "connect from a host not allowed succeeded"
dmesg | tail -5 | grep -qi "invalid host\|not allowed\|host" || fail "host not allowed: no Invalid Host in dmesg"
ok "connect from a host not allowed refused (Invalid Host)"
nvme connect -t rdma -a "$IP" -s 4420 -n "$PORT_NQN" 2>/dev/null && fail "connect to $PORT_NQN through 4420, not its listener, succeeded"
grep -q "has no listener at $IP port 4420" /tmp/tgt.log || fail "no listener refusal in the target log"
nvme connect -t rdma -a "$IP" -s 4421 -n "$PORT_NQN" >/dev/null || fail "connect to $PORT_NQN through its own listener (4421) failed"
nvme disconnect -n "$PORT_NQN" >/dev/null || fail "disconnect $PORT_NQN"
ok "a subsystem is reachable only through its own listener (4420 refused, 4421 connected)"

# --- connect with default options, inspect
MEM_DEV=$(nvme_host_connect "$IP" 4420 "$MEM_NQN") || fail "connect $MEM_NQN"
AIO_DEV=$(nvme_host_connect "$IP" 4420 "$AIO_NQN") || fail "connect $AIO_NQN"
ok "connected: $MEM_DEV (memory), $AIO_DEV (aio file)"
nvme list | tee /tmp/list
grep "$MEM_DEV" /tmp/list | grep -q "SWIFTE2E0001" || fail "nvme list: serial missing"
grep "$MEM_DEV" /tmp/list | grep -q "Swift NVMe-oF e2e" || fail "nvme list: model missing"
ok "nvme list shows our serial and model"
CTRL=${MEM_DEV%n*}
idc=$(nvme id-ctrl "$CTRL")
echo "$idc" | grep -E "^(sn|mn|cntlid|mdts|sgls|ioccsz|kas|subnqn|cmic|oncs|vwc) " || true
echo "$idc" | grep -q "subnqn *: $MEM_NQN" || fail "id-ctrl subnqn"
echo "$idc" | grep -Eq "^kas +: [1-9]" || fail "id-ctrl kas is 0"
ok "nvme id-ctrl answers (sn, mn, subnqn, kas)"
ids=$(nvme id-ns "$MEM_DEV")
echo "$ids" | grep -E "^(nsze|ncap|nuse|lbaf)" | head -4
echo "$ids" | grep -Eq "^nsze +: 0x10000" || fail "id-ns nsze is not 65536 blocks"
ok "nvme id-ns: nsze 65536 x 4 KiB"
nvme smart-log "$CTRL" | head -8 || fail "smart-log"
nvme error-log "$CTRL" -e 1 >/dev/null || fail "error-log"
nvme get-feature "$CTRL" -f 7 | grep -q "Current value" || fail "get-feature 7 (number of queues)"
nvme get-feature "$CTRL" -f 0x0b >/dev/null || fail "get-feature 0x0b (async event config)"
ok "smart-log, error-log, get-feature answer"

# --- verified I/O: crc32c write+verify, several block sizes, QD 1 and 128, 2 jobs
for dev in "$MEM_DEV" "$AIO_DEV"; do
  for bs in 4k 128k 1M; do
    for qd in 1 128; do
      out=$(fio --name=v --filename="$dev" --ioengine=libaio --direct=1 --rw=randwrite --bs=$bs --iodepth=$qd \
        --numjobs=2 --offset_increment=64M --size=16M --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 \
        --group_reporting 2>&1) || { echo "$out" | tail -20; fail "fio verify $dev bs=$bs qd=$qd"; }
      echo "$out" | grep -q "verify: bad\|crc32c: verify failed" && fail "fio found mismatches $dev bs=$bs qd=$qd"
    done
  done
  ok "fio crc32c write+verify on $dev: bs 4k/128k/1M x QD 1/128 x 2 jobs, zero mismatches"
done

# --- a second initiator beside the kernel one: nvmf-perf writes and checks its
# pattern on the memory namespace while the kernel host reads it with fio, and
# the kernel host then reads nvmf-perf's blocks back (LBA and seed in each).
PERF="${NVMF_PERF_BIN:-.build/release/nvmf-perf}"
if [ -x "$PERF" ]; then
  fio --name=r --filename="$MEM_DEV" --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=8 \
    --time_based --runtime=6 --output=/tmp/fio-beside.txt &
  FIO=$!
  "$PERF" -r "trtype:RDMA traddr:$IP trsvcid:4420 subnqn:$MEM_NQN" -w randrw -o 4k -q 16 -t 3 --verify \
    --io-range 16m --seed 4242 --no-progress >/tmp/perf-beside.txt 2>&1 || { cat /tmp/perf-beside.txt; fail "nvmf-perf beside the kernel host"; }
  wait $FIO || { cat /tmp/fio-beside.txt; fail "kernel fio beside nvmf-perf"; }
  # Block 1000 (4 KiB blocks): bytes 0-7 its LBA, 8-15 the seed, little-endian.
  got=$(dd if="$MEM_DEV" bs=4096 skip=1000 count=1 iflag=direct status=none | od -An -tu8 -N16 | tr -s ' ')
  [ "$got" = " 1000 4242" ] || fail "the kernel host reads '$got' where nvmf-perf wrote LBA 1000 seed 4242"
  ok "nvmf-perf --verify (randrw) beside the kernel host's fio on one namespace; the kernel host reads its blocks back"
else
  fail "no $PERF: build it with 'swift build -c release --static-swift-stdlib --product nvmf-perf'"
fi

# --- file system: mkfs.ext4, mount, copy, checksum back after a remount
mkfs.ext4 -q -F "$AIO_DEV" || fail "mkfs.ext4"
mkdir -p /mnt/e2e && mount "$AIO_DEV" /mnt/e2e
mkdir -p /mnt/e2e/data
for i in 1 2 3 4; do head -c $((i * 3 * 1048576 + 12345)) /dev/urandom >/tmp/f$i; cp /tmp/f$i /mnt/e2e/data/; done
cp -r /usr/lib/x86_64-linux-gnu/libibverbs* /mnt/e2e/data/ 2>/dev/null || true
(cd /tmp && sha256sum f1 f2 f3 f4) >/tmp/sums
umount /mnt/e2e && echo 3 >/proc/sys/vm/drop_caches
mount "$AIO_DEV" /mnt/e2e
(cd /mnt/e2e/data && sha256sum -c /tmp/sums) || fail "file checksums differ after remount"
umount /mnt/e2e
ok "mkfs.ext4, mount, copy 4 files, remount, checksums match"

nvme_host_disconnect "$MEM_NQN"; nvme_host_disconnect "$AIO_NQN"
ok "disconnected"
kill -INT $TPID; wait $TPID || fail "nvmf-tgt exited non-zero on SIGINT"
trap - EXIT
grep -q "stopped" /tmp/tgt.log || fail "nvmf-tgt did not log a clean stop"
ok "nvmf-tgt stopped cleanly on SIGINT"
