#!/usr/bin/env bash
# Installs the Debian packages the project builds and tests with.
# Idempotent: packages already present are skipped without touching apt.
set -euo pipefail

BUILD_PKGS=(libibverbs-dev librdmacm-dev libaio-dev libnuma-dev pkg-config)
LAB_PKGS=(qemu-system-x86 qemu-utils debootstrap e2fsprogs iproute2 kmod)
TOOL_PKGS=(fio valgrind)

want=("${BUILD_PKGS[@]}")
case "${1:-all}" in
  build) ;;
  all) want+=("${LAB_PKGS[@]}" "${TOOL_PKGS[@]}") ;;
  *) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
