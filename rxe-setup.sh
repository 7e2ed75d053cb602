#!/usr/bin/env bash
# Brings Soft-RoCE (rdma_rxe) up wherever this runs.
#
# Host mode (the kernel has rdma_rxe): loads it, binds an rxe device to a
# network interface and prints the device, GID and IP address to use.
#   sudo ./rxe-setup.sh [--netdev IFACE] [--name rxe0]
#   sudo ./rxe-setup.sh --down            removes only what this script made
# Default interface: the first up, non-loopback Ethernet interface; if there is
# none, a dummy0 with a private address (10.200.0.1/24) is made.
# rxe on lo is refused: rdma_cm does not work over it.
#
# Lab mode (the kernel has no rdma_rxe, e.g. containers, many cloud VMs, WSL):
# builds and caches the QEMU lab guest whose kernel has it (lab/), and says
# how to run things in it. `--lab` forces lab mode, `--host` forces host mode.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${RXE_STATE_DIR:-/run/nvmf-rxe-setup}"
NAME=rxe0
NETDEV=""
ACTION=up
MODE=auto

die() { echo "rxe-setup: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --netdev) NETDEV="${2:?--netdev needs an interface}"; shift 2 ;;
    --name) NAME="${2:?--name needs a device name}"; shift 2 ;;
    --down) ACTION=down; shift ;;
    --lab) MODE=lab; shift ;;
    --host) MODE=host; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

kernel_has_rxe() {
  [ -d /sys/module/rdma_rxe ] && return 0
  modinfo rdma_rxe >/dev/null 2>&1
}

lab_mode() {
  "$HERE/scripts/install-deps.sh" all
  local t0=$(date +%s)
  "$HERE/lab/build-image.sh"
  echo "rxe-setup: lab mode: this kernel ($(uname -r)) has no rdma_rxe; the lab guest is ready ($(( $(date +%s) - t0 )) s)."
  echo "  Run a script in a fresh guest with Soft-RoCE up:   lab/run SCRIPT [ARGS...]"
  echo "  In the guest: device \$LAB_RDMA_DEV (rxe0) on eth0, address \$LAB_RDMA_IP (10.0.2.15)."
}

host_down() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  [ -f "$STATE_DIR/made" ] || { echo "rxe-setup: nothing to remove"; return 0; }
  while read -r kind what; do
    case "$kind" in
      link) rdma link delete "$what" 2>/dev/null && echo "rxe-setup: removed rdma link $what" ;;
      dummy) ip link delete "$what" 2>/dev/null && echo "rxe-setup: removed $what" ;;
      module) modprobe -r rdma_rxe 2>/dev/null && echo "rxe-setup: unloaded rdma_rxe" ;;
    esac
  done < <(tac "$STATE_DIR/made")
  rm -f "$STATE_DIR/made"
}

pick_netdev() {
  local d
  for d in /sys/class/net/*; do
    d=$(basename "$d")
    [ "$d" = lo ] && continue
    [ "$(cat /sys/class/net/$d/type 2>/dev/null)" = 1 ] || continue     # ARPHRD_ETHER
    [ -d "/sys/class/net/$d/bridge" ] && continue
    ip -o link show "$d" | grep -q "state UP" || continue
    ip -o -4 addr show dev "$d" | grep -q inet || continue
    echo "$d"; return 0
  done
  return 1
}

host_up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (modprobe, rdma link add)"
  command -v rdma >/dev/null || die "the 'rdma' tool (iproute2) is missing: apt-get install iproute2"
  # Check the arguments before changing anything.
  if [ -n "$NETDEV" ]; then
    [ "$NETDEV" = lo ] && die "refusing lo: rdma_cm does not work over rxe on loopback; pick an Ethernet, veth or dummy interface"
    [ -e "/sys/class/net/$NETDEV" ] || die "no such interface: $NETDEV"
  fi
  mkdir -p "$STATE_DIR"; touch "$STATE_DIR/made"
  if [ ! -d /sys/module/rdma_rxe ]; then
    modprobe rdma_rxe 2>/dev/null || die "kernel module rdma_rxe is missing on $(uname -r); use lab mode: $0 --lab"
    echo "module rdma_rxe" >>"$STATE_DIR/made"
  fi
  modprobe rdma_ucm 2>/dev/null || true
  if [ -z "$NETDEV" ]; then
    NETDEV=$(pick_netdev) || {
      NETDEV=dummy0
      if [ ! -e /sys/class/net/dummy0 ]; then
        # numdummies=0: the module must not make its own dummy0 behind our back.
        modprobe dummy numdummies=0 2>/dev/null || true
        [ -e /sys/class/net/dummy0 ] || ip link add dummy0 type dummy || die "cannot create dummy0"
        echo "dummy dummy0" >>"$STATE_DIR/made"
        ip addr add 10.200.0.1/24 dev dummy0
      elif ! ip -o -4 addr show dev dummy0 | grep -q inet; then
        die "dummy0 exists (not made by this script) without an IPv4 address; give it one or pass --netdev"
      fi
    }
  fi
  ip link set "$NETDEV" up
  local existing
  existing=$(rdma link show 2>/dev/null | awk -v n="$NETDEV" '$0 ~ "netdev "n"( |$)" {split($2,a,"/"); print a[1]; exit}')
  if [ -n "$existing" ]; then
    NAME=$existing
  else
    rdma link add "$NAME" type rxe netdev "$NETDEV" || die "rdma link add $NAME on $NETDEV failed"
    echo "link $NAME" >>"$STATE_DIR/made"
  fi
  local ip gid
  ip=$(ip -o -4 addr show dev "$NETDEV" | awk '{split($4,a,"/"); print a[1]; exit}')
  gid=$(cat "/sys/class/infiniband/$NAME/ports/1/gids/1" 2>/dev/null || cat "/sys/class/infiniband/$NAME/ports/1/gids/0" 2>/dev/null || echo unknown)
  echo "device=$NAME netdev=$NETDEV ip=${ip:-none} gid=$gid"
}

if [ "$ACTION" = down ]; then host_down; exit 0; fi
case "$MODE" in
  host) host_up ;;
  lab) lab_mode ;;
  auto) if kernel_has_rxe; then host_up; else lab_mode; fi ;;
esac
