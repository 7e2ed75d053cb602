#!/usr/bin/env bash
# Issue 13: the control plane under a connected kernel host, in one boot.
#
# nvmf-tgt starts from a config with subsystem A (a RAM namespace); the host
# connects and runs a crc32c-verifying fio on A's namespace 1 for the whole
# first part while nvmf-rpc (rpc.py's command line) changes things:
#   1. a namespace is hot-added (aio file) and shows up on the host within
#      5 s, takes verified I/O, is hot-removed, disappears, a read to its
#      NSID gets Invalid Namespace, and after bdev_aio_delete its file is no
#      longer open in the target;
#   2. get_controllers / get_qpairs / get_stats agree with the host;
#   3. RPC_CHANGES random changes (namespaces, hosts, listeners) on a second
#      subsystem; the fio on A sees no error, RSS comes back within 5 %;
#   4. remove_host disconnects the host and its reconnect is refused,
#      add_host lets it back; a runtime listener is discoverable and
#      connectable, and its removal closes its connection;
#   5. delete_subsystem with a host connected: its controller goes, A serves;
#   6. save_config, restart from it: the host reconnects to the same
#      namespace identifiers.
# Every check prints "ok: ..." or fails the run.
#
# One guest kernel is enough: nothing here depends on how rxe moves data.
# lab-suites: trixie
set -euo pipefail
: "${LAB_RDMA_IP:?run me through lab/run}"
. lab/lib/wait-listen.sh
. perf/lib/nvme-host.sh
. lab/lib/nvmf-tools.sh
IP=$LAB_RDMA_IP
A=nqn.2026-11.io.nvmf-target:rpc-a
B=nqn.2026-11.io.nvmf-target:rpc-b
HOSTNQN=$(cat /etc/nvme/hostnqn)
CHANGES=${RPC_CHANGES:-1000}
fail() { echo "FAIL: $*"; dmesg | tail -20; tail -40 /tmp/tgt.log; exit 1; }

cat >/tmp/rpc.json <<JSON
{"subsystems":[
 {"subsystem":"bdev","config":[
  {"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":32768,"block_size":4096}}]},
 {"subsystem":"nvmf","config":[
  {"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$A","allow_any_host":false,"serial_number":"SWIFTRPC0001"}},
  {"method":"nvmf_subsystem_add_host","params":{"nqn":"$A","host":"$HOSTNQN"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$A","namespace":{"bdev_name":"Malloc0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$A","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$IP","trsvcid":"4420"}}}]}]}
JSON

TPID=""
start_target() {
  "$BIN" --config "$1" >>/tmp/tgt.log 2>&1 &
  TPID=$!
  wait_cm_listen "$IP" 30 4420 || fail "nvmf-tgt never listened"
  wait_for 10 test -S /var/tmp/spdk.sock || fail "no RPC socket"
}
cleanup() { nvme disconnect-all >/dev/null 2>&1 || true; [ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null || true; }
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$TPID/status"; }
# not_live /dev/nvmeN: the controller is gone, or the host lost it and is
# reconnecting (a host whose path went away retries until ctrl-loss-tmo).
not_live() { [ ! -e "$1" ] || [ "$(cat "/sys/class/nvme/$(basename "$1")/state" 2>/dev/null)" != live ]; }
# json_count KEY VALUE TEXT: how many `"KEY": VALUE` lines nvmf-rpc printed.
json_count() { printf '%s\n' "$3" | grep -cE "\"$1\": *$2,?\$" || true; }

start_target /tmp/rpc.json
DEV=$(nvme_host_connect "$IP" 4420 "$A") || fail "connect $A"
CTRL=${DEV%n*}
CNAME=$(basename "$CTRL")
ok "connected $DEV"

fio --name=a --filename="$DEV" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=8 --size=64M \
  --verify=crc32c --verify_backlog=128 --verify_fatal=1 --time_based --runtime=3600 --output=/tmp/fio-a.log &
FIO=$!
wait_for 10 grep -q . /proc/$FIO/status || fail "fio did not start"

# --- 1. hot namespace
truncate -s 64M /var/tmp/hot.img
[ "$(rpc bdev_aio_create /var/tmp/hot.img Hot0 4096)" = Hot0 ] || fail "bdev_aio_create"
rpc nvmf_subsystem_add_ns "$A" Hot0 || fail "nvmf_subsystem_add_ns"
rpc nvmf_get_subsystems | grep -q '"bdev_name": "Hot0"' || fail "nvmf_get_subsystems lacks Hot0"
t0=$(date +%s%N)
wait_for 5 test -b "${CTRL}n2" || fail "${CTRL}n2 did not appear within 5 s"
ok "hot-added namespace 2 appeared on the host after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
fio --name=hot --filename="${CTRL}n2" --ioengine=libaio --direct=1 --rw=write --bs=128k --iodepth=4 --size=16M \
  --verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/fio-hot.log || fail "verified I/O on the hot namespace"
ok "verified I/O on ${CTRL}n2"
ls -l "/proc/$TPID/fd" | grep -q hot.img || fail "the target does not have hot.img open"
[ "$(rpc bdev_aio_delete Hot0 2>&1 || true)" != "" ] || fail "bdev_aio_delete of a claimed bdev said nothing"
rpc bdev_aio_delete Hot0 >/dev/null 2>&1 && fail "a claimed bdev was deleted"
ok "bdev_aio_delete of a bdev in use is refused"
rpc nvmf_subsystem_remove_ns "$A" 2 || fail "remove_ns"
wait_for 5 test ! -b "${CTRL}n2" || fail "${CTRL}n2 still there 5 s after remove_ns"
# The Linux host will not send an I/O command to a namespace it no longer
# has (its ioctl checks the NSID), so a read to NSID 2 is a unit test
# (removingANamespaceWaitsForItsInFlightIOThenClosesTheChannel: Invalid
# Namespace); here the target must no longer list it as active.
nvme list-ns "$CTRL" | grep -qE ":0x2\$" && fail "list-ns still lists NSID 2: $(nvme list-ns "$CTRL")"
nsze=$(nvme id-ns "$CTRL" -n 2 2>/dev/null | awk '/^nsze/ {print $3}')
[ "${nsze:-0}" = 0 ] || fail "Identify Namespace 2 still reports nsze $nsze"
ok "namespace 2 gone from the host and inactive on the target"
rpc bdev_aio_delete Hot0 || fail "bdev_aio_delete after remove_ns"
ls -l "/proc/$TPID/fd" | grep -q hot.img && fail "hot.img still open in the target after bdev_aio_delete"
ok "after bdev_aio_delete the file is closed in the target"

# --- 2. what the target reports agrees with the host
ctrls=$(rpc nvmf_subsystem_get_controllers "$A")
cntlid=$(cat "/sys/class/nvme/$CNAME/cntlid")
[ "$(json_count cntlid "$cntlid" "$ctrls")" = 1 ] || fail "get_controllers lacks cntlid $cntlid: $ctrls"
echo "$ctrls" | grep -q "\"hostnqn\": \"$HOSTNQN\"" || fail "get_controllers hostnqn: $ctrls"
ioq=$(printf '%s\n' "$ctrls" | awk -F': ' '/"num_io_qpairs"/ {gsub(/[ ,]/, "", $2); print $2}')
qpairs=$(rpc nvmf_subsystem_get_qpairs "$A")
[ "$(json_count qid '[0-9]+' "$qpairs")" = $((ioq + 1)) ] || fail "get_qpairs: $qpairs (expected $ioq I/O + admin)"
stats=$(rpc nvmf_get_stats)
cur_io=$(printf '%s\n' "$stats" | awk -F': ' '/"current_io_qpairs"/ {gsub(/[ ,]/, "", $2); s += $2} END {print s}')
[ "$cur_io" = "$ioq" ] || fail "nvmf_get_stats current_io_qpairs $cur_io, controller has $ioq"
ok "get_controllers, get_qpairs and get_stats agree: cntlid $cntlid, $ioq I/O queues"

# --- 3. random runtime changes on subsystem B while A verifies
rpc nvmf_create_subsystem "$B" -s SWIFTRPC0002 || fail "create $B"
for i in 0 1 2 3; do rpc bdev_malloc_create -b "M$i" 4 4096 >/dev/null || fail "bdev_malloc_create M$i"; done
rss0=$(rss_kb)
# Each change toggles one of 4 namespaces, 4 hosts or 4 listeners of B, so
# every one is valid; they go through one nvmf-rpc process reading a script
# on stdin (rpc.py's mode), which stops at the first failure. In the TCG
# guest, starting the static binary once per change cost 0.4 s.
RANDOM=13
ns=(0 0 0 0); hosts=(0 0 0 0); ports=(0 0 0 0)
: >/tmp/changes.txt
for _ in $(seq "$CHANGES"); do
  i=$((RANDOM % 4))
  case $((RANDOM % 3)) in
    0) if [ "${ns[i]}" = 0 ]; then echo "nvmf_subsystem_add_ns $B M$i -n $((i + 1))"; ns[i]=1
       else echo "nvmf_subsystem_remove_ns $B $((i + 1))"; ns[i]=0; fi ;;
    1) h="nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000000$i"
       if [ "${hosts[i]}" = 0 ]; then echo "nvmf_subsystem_add_host $B $h"; hosts[i]=1
       else echo "nvmf_subsystem_remove_host $B $h"; hosts[i]=0; fi ;;
    2) if [ "${ports[i]}" = 0 ]; then echo "nvmf_subsystem_add_listener $B -t rdma -a $IP -s $((4430 + i)) -f ipv4"; ports[i]=1
       else echo "nvmf_subsystem_remove_listener $B -t rdma -a $IP -s $((4430 + i)) -f ipv4"; ports[i]=0; fi ;;
  esac
done >>/tmp/changes.txt
t0=$(date +%s)
rpc </tmp/changes.txt >/tmp/changes.out 2>&1 || fail "a runtime change failed: $(tail -15 /tmp/changes.out)"
kill -0 "$TPID" 2>/dev/null || fail "the target died during the changes"
secs=$(( $(date +%s) - t0 ))
rpc nvmf_delete_subsystem "$B" || fail "delete $B"
for i in 0 1 2 3; do rpc bdev_malloc_delete "M$i" || fail "bdev_malloc_delete M$i after deleting $B"; done
rss1=$(rss_kb)
[ $((rss1 * 100)) -le $((rss0 * 105)) ] || fail "RSS grew from $rss0 kB to $rss1 kB over $CHANGES changes"
[ "$(rpc bdev_get_bdevs | grep -c '"name"')" = 1 ] || fail "bdevs left behind: $(rpc bdev_get_bdevs)"
ok "$CHANGES random changes on $B in $secs s; RSS $rss0 -> $rss1 kB; only Malloc0 left"
kill -0 $FIO 2>/dev/null || fail "fio on $A stopped early: $(tail -5 /tmp/fio-a.log)"
# Interrupted, fio exits non-zero; its summary says whether any I/O or verify failed.
kill -INT $FIO; wait $FIO || true
grep -q "err= 0" /tmp/fio-a.log && ! grep -qiE "verify.*(bad|fail)|crc32c.*(mismatch|wanted)" /tmp/fio-a.log \
  || fail "fio on $A reported errors: $(grep -iE 'err=|verify' /tmp/fio-a.log | head)"
ok "the verifying fio on $A saw zero errors through all of it"

# --- 4. hosts and listeners at runtime
rpc nvmf_subsystem_remove_host "$A" "$HOSTNQN" || fail "remove_host"
# The host loses the controller, its own reconnect gets Invalid Host (DNR)
# and it gives the controller up.
wait_for 20 test ! -e "$CTRL" || fail "the host's controller survived remove_host ($(cat /sys/class/nvme/$CNAME/state))"
nvme connect -t rdma -a "$IP" -s 4420 -n "$A" >/dev/null 2>&1 && fail "reconnect after remove_host succeeded"
grep -q "is not allowed in $A" /tmp/tgt.log || fail "no Invalid Host refusal logged"
ok "remove_host disconnected the host and its reconnect got Invalid Host"
rpc nvmf_subsystem_add_host "$A" "$HOSTNQN" || fail "add_host"
rpc nvmf_subsystem_add_listener "$A" -t rdma -a "$IP" -s 4421 -f ipv4 || fail "add_listener 4421"
wait_cm_listen "$IP" 10 4421 || fail "no listener on 4421"
nvme discover -t rdma -a "$IP" -s 4420 | grep -B1 "$A" | grep -qE "trsvcid: +4421" || fail "discovery lacks 4421"
DEV=$(nvme_host_connect "$IP" 4421 "$A") || fail "connect through the runtime listener"
CTRL=${DEV%n*}
ok "add_host lets the host back; a runtime listener is discovered and connected: $DEV via 4421"
rpc nvmf_subsystem_remove_listener "$A" -t rdma -a "$IP" -s 4421 -f ipv4 || fail "remove_listener"
wait_for 10 not_live "$CTRL" || fail "the connection through 4421 survived remove_listener"
nvme disconnect -d "$(basename "$CTRL")" >/dev/null 2>&1 || true  # it would retry 4421 until ctrl-loss-tmo
nvme discover -t rdma -a "$IP" -s 4420 | grep -qE "trsvcid: +4421" && fail "discovery still lists 4421"
ok "remove_listener closed its connection and discovery dropped it"

# --- 5. delete a subsystem with a host connected
rpc nvmf_create_subsystem "$B" -a -s SWIFTRPC0002 || fail "create $B again"
rpc bdev_malloc_create -b M9 8 4096 >/dev/null || fail "bdev M9"
rpc nvmf_subsystem_add_ns "$B" M9 >/dev/null || fail "ns on $B"
rpc nvmf_subsystem_add_listener "$B" -t rdma -a "$IP" -s 4420 -f ipv4 || fail "listener of $B"
DEVB=$(nvme_host_connect "$IP" 4420 "$B") || fail "connect $B"
DEV=$(nvme_host_connect "$IP" 4420 "$A") || fail "reconnect $A"
rpc nvmf_delete_subsystem "$B" || fail "delete_subsystem with a host connected"
wait_for 10 not_live "${DEVB%n*}" || fail "$B's controller survived delete_subsystem"
nvme disconnect -n "$B" >/dev/null 2>&1 || true
fio --name=after --filename="$DEV" --ioengine=libaio --direct=1 --rw=randrw --bs=4k --size=8M --verify=crc32c \
  --do_verify=1 --verify_fatal=1 >/dev/null || fail "$A stopped serving after $B was deleted"
ok "delete_subsystem took $B's controller; $A still serves verified I/O"

# --- 6. save_config and restart from it
nguid0=$(nvme id-ns "$DEV" | awk '/^nguid/ {print $3}')
rpc save_config >/tmp/saved.json || fail "save_config"
nvme disconnect -n "$A" >/dev/null
kill -INT "$TPID"; wait "$TPID" || fail "nvmf-tgt did not stop cleanly"
TPID=""
[ ! -e /var/tmp/spdk.sock ] || fail "the RPC socket was left behind"
start_target /tmp/saved.json
DEV=$(nvme_host_connect "$IP" 4420 "$A") || fail "reconnect after restart from save_config"
nguid1=$(nvme id-ns "$DEV" | awk '/^nguid/ {print $3}')
[ -n "$nguid0" ] && [ "$nguid0" = "$nguid1" ] || fail "NGUID changed across save_config: $nguid0 -> $nguid1"
nvme list | grep "$DEV" | grep -q SWIFTRPC0001 || fail "serial changed across save_config"
ok "restarted from save_config: same NGUID $nguid1 and serial"
nvme disconnect -n "$A" >/dev/null
rpc spdk_kill_instance SIGTERM || fail "spdk_kill_instance"
wait "$TPID" || fail "nvmf-tgt did not exit cleanly on spdk_kill_instance"
TPID=""
ok "spdk_kill_instance stopped the target"
