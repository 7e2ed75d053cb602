#!/usr/bin/env bash
# rxe-setup.sh's host mode, tested for real in the lab guest, whose kernel has
# rdma_rxe (this machine's does not). Starts by deleting the guest's own rxe0
# so the script has to do everything itself.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
S=./rxe-setup.sh
export RXE_STATE_DIR=/tmp/rxe-state
rdma link delete rxe0
modprobe -r rdma_rxe 2>/dev/null || true
links() { rdma link show 2>/dev/null | grep -c "rxe" || true; }

# Argument and privilege errors change nothing and say what is wrong.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $S --host 2>&1) && fail "non-root run succeeded"
echo "$out" | grep -q "must run as root" || fail "non-root message: $out"
ok "not root: '$out'"
out=$($S --host --netdev lo 2>&1) && fail "lo accepted"
echo "$out" | grep -q "refusing lo" || fail "lo message: $out"
ok "lo refused: '$out'"
out=$($S --host --netdev nope0 2>&1) && fail "missing interface accepted"
echo "$out" | grep -q "no such interface: nope0" || fail "missing interface message: $out"
ok "no such interface: '$out'"
mkdir -p /tmp/fakebin && printf '#!/bin/sh\nexit 1\n' >/tmp/fakebin/modprobe && chmod +x /tmp/fakebin/modprobe
out=$(PATH=/tmp/fakebin:$PATH $S --host 2>&1) && fail "run without the module succeeded"
echo "$out" | grep -q "rdma_rxe is missing" || fail "module-missing message: $out"
ok "module missing (modprobe failing): '$out'"
[ "$(links)" = 0 ] || fail "an error path left an rxe link behind"

# Default: the first up Ethernet interface with an address (eth0 here).
out=$($S --host)
echo "$out"
echo "$out" | grep -q "^device=rxe0 netdev=eth0 ip=10.0.2.15 gid=" || fail "unexpected report: $out"
ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE || fail "rxe0 not PORT_ACTIVE"
ok "default: rxe0 on eth0, PORT_ACTIVE"
out2=$($S --host)
[ "$out2" = "$out" ] || fail "second run reported differently: $out2"
[ "$(links)" = 1 ] || fail "second run made another link"
ok "idempotent: second run reuses rxe0"
$S --down
[ "$(links)" = 0 ] || fail "--down left a link"
ip link show eth0 | grep -q "state UP" || fail "--down touched eth0"
[ -d /sys/module/rdma_rxe ] && fail "--down left the module it loaded"
ok "--down removed the link and the module it loaded, eth0 untouched"

# No usable Ethernet interface: a dummy0 with a private address is made.
ip link set eth0 down
out=$($S --host)
echo "$out"
echo "$out" | grep -q "^device=rxe0 netdev=dummy0 ip=10.200.0.1 " || fail "dummy fallback report: $out"
ibv_devinfo -d rxe0 | grep -q PORT_ACTIVE || fail "rxe0 on dummy0 not PORT_ACTIVE"
ok "fallback: dummy0 10.200.0.1 with rxe0"
$S --down
[ -e /sys/class/net/dummy0 ] && fail "--down left dummy0"
[ "$(links)" = 0 ] || fail "--down left a link"
ok "--down removed dummy0 and its link"
ip link set eth0 up

# An explicit interface that exists.
ip link add veth-a type veth peer name veth-b
ip addr add 10.201.0.1/24 dev veth-a
ip link set veth-a up && ip link set veth-b up
out=$($S --host --netdev veth-a --name rxe9)
echo "$out" | grep -q "^device=rxe9 netdev=veth-a ip=10.201.0.1 " || fail "--netdev report: $out"
$S --down
ip link show veth-a >/dev/null 2>&1 || fail "--down removed an interface it did not make"
ok "--netdev veth-a --name rxe9; --down leaves veth-a (not ours) in place"
