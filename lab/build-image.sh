#!/usr/bin/env bash
# Builds the lab guest: Debian bookworm minbase with a kernel that has rdma_rxe,
# nvmet(-rdma), nvme-rdma, null_blk and brd, plus the RDMA and NVMe user tools.
# LAB_SUITE=trixie builds Debian 13 instead (kernel 6.12, whose rxe runs its
# tasks on a workqueue rather than in the posting thread) in lab/cache-trixie/.
#
# Output (lab/cache/, never committed):
#   vmlinuz, initrd.img   booted directly by QEMU (-kernel/-initrd)
#   rootfs.img            raw ext4 root, opened with snapshot=on so runs never change it
#   recipe.sha256         hash of the files that define the image; a changed recipe rebuilds
#   rootfs-ceph.img       trixie only, on request: the same root plus Ceph (mon, mgr, osd, the
#                         rbd/rados/ceph tools, librbd), for lab tests that say "# lab-image: ceph"
#                         (lab/lib/ceph.sh starts a cluster in the guest). It has its own
#   recipe-ceph.sha256    so a cached plain image never passes for a Ceph one.
#
# Needs root (debootstrap, chroot). Usage: lab/build-image.sh [--force] [--with-ceph]
# --with-ceph (or LAB_IMAGE=ceph) also makes rootfs-ceph.img; without it only the plain
# image is checked, so the lab tests that do not need Ceph never pay for it.
set -euo pipefail
LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE="${LAB_SUITE:-bookworm}"
FORCE=0
case "${LAB_IMAGE:-plain}" in
  plain) WITH_CEPH=0 ;;
  ceph) WITH_CEPH=1 ;;
  *) echo "lab/build-image.sh: LAB_IMAGE must be plain or ceph, not '$LAB_IMAGE'" >&2; exit 2 ;;
esac
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --with-ceph) WITH_CEPH=1 ;;
    *) echo "usage: lab/build-image.sh [--force] [--with-ceph]" >&2; exit 2 ;;
  esac
done
case "$SUITE" in
  bookworm) CACHE="${LAB_CACHE:-$LAB_DIR/cache}"; LIBS=(libaio1 librdmacm1) ;;
  # trixie's 64-bit time_t transition renamed these packages (same ABI on amd64).
  # util-linux-extra: blkpr (util-linux 2.39+), the block layer's reservation ioctls (lab/tests/reservations.sh).
  trixie) CACHE="${LAB_CACHE:-$LAB_DIR/cache-trixie}"; LIBS=(libaio1t64 librdmacm1t64 util-linux-extra) ;;
  *) echo "lab/build-image.sh: LAB_SUITE must be bookworm or trixie, not '$SUITE'" >&2; exit 2 ;;
esac
# Ceph for the RBD backend's lab tests: trixie only (Reef 18.2, librbd 1.18; one
# suite is enough for a backend that does not depend on the kernel's rxe).
# Recommends stay out (as with debootstrap): no ceph-mds, chrony or dashboard.
CEPH_PACKAGES=(ceph-mon ceph-mgr ceph-osd ceph-common)
if [ "$WITH_CEPH" = 1 ] && [ "$SUITE" != trixie ]; then
  echo "lab/build-image.sh: the Ceph image is built for LAB_SUITE=trixie only, not '$SUITE'" >&2; exit 2
fi
# Everything the guest runs. rdma-core etc. for rxe; nvme-cli/fio for the
# initiator; e2fsprogs for the mkfs test; libaio/libnuma for our binaries.
PACKAGES=(linux-image-amd64 initramfs-tools kmod procps iproute2 util-linux e2fsprogs
  rdma-core ibverbs-providers ibverbs-utils rdmacm-utils perftest infiniband-diags
  nvme-cli fio "${LIBS[@]}" libnuma1 libibverbs1 coreutils findutils grep sed gawk
  dmsetup mount)

recipe_hash() {
  { cat "$LAB_DIR/build-image.sh"; echo "$SUITE"; } | sha256sum | cut -d' ' -f1
}
# The Ceph image's recipe differs from the plain one's, so neither image's
# stamp can vouch for the other.
ceph_recipe_hash() {
  { cat "$LAB_DIR/build-image.sh"; echo "$SUITE"; echo "${CEPH_PACKAGES[*]}"; } | sha256sum | cut -d' ' -f1
}
cache_fresh() {
  [ -f "$CACHE/recipe.sha256" ] && [ "$(cat "$CACHE/recipe.sha256")" = "$(recipe_hash)" ] \
    && [ -f "$CACHE/rootfs.img" ] && [ -f "$CACHE/vmlinuz" ] && [ -f "$CACHE/initrd.img" ] || return 1
  [ "$WITH_CEPH" = 0 ] && return 0
  [ -f "$CACHE/recipe-ceph.sha256" ] && [ "$(cat "$CACHE/recipe-ceph.sha256")" = "$(ceph_recipe_hash)" ] \
    && [ -f "$CACHE/rootfs-ceph.img" ]
}

if [ "$FORCE" = 0 ] && cache_fresh; then
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "lab/build-image.sh: building the guest needs root (debootstrap)" >&2; exit 1; }
# Two lab runs started at once must not build in the same tree: the second
# waits here, then finds the first one's image fresh.
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock 9
if [ "$FORCE" = 0 ] && cache_fresh; then
  exit 0
fi
for tool in debootstrap mke2fs qemu-system-x86_64; do
  command -v "$tool" >/dev/null || { echo "lab/build-image.sh: $tool missing; run scripts/install-deps.sh" >&2; exit 1; }
done

# The mirror comes from the host's own apt configuration: never hard-code one.
mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || { echo "lab/build-image.sh: no Debian mirror found in the host's apt sources" >&2; exit 1; }
  echo "$m"
}
MIRROR=$(mirror)

start=$(date +%s)
mkdir -p "$CACHE"
ROOT="$CACHE/rootfs"
# The Ceph step mounts /proc in the tree: never leave it mounted (a later
# rm -rf would walk into it), whether the build ends well or not.
umount_proc() { if mountpoint -q "$ROOT/proc"; then umount "$ROOT/proc"; fi; }
trap umount_proc EXIT
umount_proc
rm -rf --one-file-system "$ROOT" "$CACHE/rootfs.img.new" "$CACHE/rootfs-ceph.img.new"
# A Ceph image from an earlier build carries that build's kernel modules: it
# must not outlive the kernel it was made with.
rm -f "$CACHE/rootfs-ceph.img" "$CACHE/recipe-ceph.sha256"
mkdir -p "$ROOT"
echo "lab: debootstrap $SUITE from $MIRROR (about 90 s)"
# Keep the initrd small and bootable without udev: only the modules the root
# device needs, loaded explicitly.
mkdir -p "$ROOT/etc/initramfs-tools"
DEBOOTSTRAP_LOG="$CACHE/debootstrap.log"
if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$ROOT" "$MIRROR" >"$DEBOOTSTRAP_LOG" 2>&1; then
  echo "lab/build-image.sh: debootstrap failed; last lines of $DEBOOTSTRAP_LOG:" >&2
  tail -20 "$DEBOOTSTRAP_LOG" >&2
  exit 1
fi

cat >"$ROOT/etc/initramfs-tools/conf.d/lab.conf" <<'CONF'
MODULES=list
COMPRESS=gzip
CONF
printf '%s\n' virtio_pci virtio_blk ext4 >"$ROOT/etc/initramfs-tools/modules"
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)
chroot "$ROOT" update-initramfs -c -k "$KVER" >"$CACHE/initramfs.log" 2>&1 || {
  echo "lab/build-image.sh: update-initramfs failed; see $CACHE/initramfs.log" >&2; exit 1; }
cp "$ROOT/boot/vmlinuz-$KVER" "$CACHE/vmlinuz.new"
cp "$ROOT/boot/initrd.img-$KVER" "$CACHE/initrd.img.new"

# The guest's own init: mounts what the kernel did not, then hands over to the
# job runner that lab/run places in the shared job folder (so guest logic lives
# in the repository and changing it needs no rebuild).
cat >"$ROOT/sbin/lab-init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
for m in virtio_net 9pnet_virtio 9p; do modprobe $m 2>/dev/null; done
mkdir -p /lab-job
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job /lab-job && [ -x /lab-job/guest-boot.sh ]; then
  /lab-job/guest-boot.sh
else
  echo "lab-init: no job folder; powering off" > /dev/console
fi
sync
echo o > /proc/sysrq-trigger
sleep 10
INIT
chmod +x "$ROOT/sbin/lab-init"
echo lab >"$ROOT/etc/hostname"
mkdir -p "$ROOT/etc/nvme"

# Prune what the guest never uses: docs, locales, and kernel drivers for
# hardware QEMU does not emulate (keeps the image and mke2fs fast).
prune_userland() {
  rm -rf "$ROOT"/usr/share/{doc,man,info,locale}/* "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
}
prune_userland
KMOD="$ROOT/lib/modules/$KVER/kernel"
rm -rf "$KMOD"/drivers/{gpu,media,net/wireless,net/ethernet,bluetooth,staging,iio,hid,input/joystick,input/touchscreen,sound,usb,infiniband/hw,scsi/qla2xxx,scsi/lpfc,scsi/mpt3sas,isdn,mmc,thunderbolt,platform/x86,hwmon,watchdog,mtd,comedi} \
  "$KMOD"/sound "$KMOD"/net/{wireless,mac80211,bluetooth} 2>/dev/null || true
chroot "$ROOT" depmod "$KVER"
# Our binaries are built on the host against libaio.so.1; trixie renamed the
# soname to libaio.so.1t64 with the same amd64 ABI.
if [ ! -e "$ROOT/usr/lib/x86_64-linux-gnu/libaio.so.1" ] && [ -e "$ROOT/usr/lib/x86_64-linux-gnu/libaio.so.1t64" ]; then
  ln -s libaio.so.1t64 "$ROOT/usr/lib/x86_64-linux-gnu/libaio.so.1"
fi
rm -rf "$ROOT/boot"/*

SIZE_MB=$(( $(du -sm "$ROOT" | cut -f1) + 700 ))
mke2fs -q -t ext4 -L labroot -d "$ROOT" "$CACHE/rootfs.img.new" "${SIZE_MB}M"
mv "$CACHE/rootfs.img.new" "$CACHE/rootfs.img"
mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
mv "$CACHE/initrd.img.new" "$CACHE/initrd.img"
recipe_hash >"$CACHE/recipe.sha256"
echo "lab: guest image built in $(( $(date +%s) - start )) s (kernel $KVER, root ${SIZE_MB} MB)"

# The Ceph image: the same tree plus the Ceph packages, so it costs only the
# extra install and boots the same kernel and initrd. apt in the chroot
# reaches the mirror debootstrap wrote into its sources.list.
if [ "$WITH_CEPH" = 1 ]; then
  cstart=$(date +%s)
  echo "lab: installing ${CEPH_PACKAGES[*]} for rootfs-ceph.img (about 30 s)"
  # Nothing may start in the build host's namespaces: the guest starts its
  # daemons itself (lab/lib/ceph.sh), and it has no init system to do it.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"   # apt names the mirror; the guest itself never resolves
  mount -t proc proc "$ROOT/proc"                # some maintainer scripts read /proc
  CEPH_LOG="$CACHE/ceph-install.log"
  if ! { chroot "$ROOT" apt-get update \
         && chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${CEPH_PACKAGES[@]}"; } \
       >"$CEPH_LOG" 2>&1; then
    echo "lab/build-image.sh: installing Ceph failed (the plain image is fine); last lines of $CEPH_LOG:" >&2
    tail -20 "$CEPH_LOG" >&2
    exit 1
  fi
  umount_proc
  rm -f "$ROOT/usr/sbin/policy-rc.d"
  # Maintainer scripts (lvm2, cryptsetup) may have made an initrd: the guest
  # boots the one copied out above.
  rm -rf "$ROOT/boot"/*
  prune_userland
  CEPH_SIZE_MB=$(( $(du -sm "$ROOT" | cut -f1) + 700 ))
  mke2fs -q -t ext4 -L labroot -d "$ROOT" "$CACHE/rootfs-ceph.img.new" "${CEPH_SIZE_MB}M"
  mv "$CACHE/rootfs-ceph.img.new" "$CACHE/rootfs-ceph.img"
  ceph_recipe_hash >"$CACHE/recipe-ceph.sha256"
  echo "lab: ceph image built in $(( $(date +%s) - cstart )) s more ($(chroot "$ROOT" dpkg-query -W -f '${Version}' ceph-osd), root ${CEPH_SIZE_MB} MB)"
fi
rm -rf --one-file-system "$ROOT"
