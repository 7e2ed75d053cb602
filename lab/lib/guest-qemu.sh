# Starting one lab guest under QEMU (sourced by lab/run and lab/run-pair).

# lab_job_prepare JOB SCRIPT [ARGS...]: makes the job folder the guest mounts
# at /lab-job: guest-boot.sh, job.env (what to run) and an empty output.log.
# Extra job.env lines (GUEST_IP=..., PAIR=1) may be appended afterwards.
lab_job_prepare() {
  local job="$1" script="$2"; shift 2
  mkdir -p "$job/out"
  cp "$LAB_DIR/guest-boot.sh" "$job/guest-boot.sh"
  chmod +x "$job/guest-boot.sh"
  {
    printf 'REPO=%q\n' "$REPO"
    printf 'SCRIPT=%q\n' "$script"
    printf 'ARGS=('; for a in "$@"; do printf '%q ' "$a"; done; printf ')\n'
    printf 'HAVE_SWIFT=%q\n' "$([ -d /opt/swift ] && echo 1 || echo 0)"
  } >"$job/job.env"
  : >"$job/output.log"
}

# lab_accel: TCG unless KVM is present, allowed and asked for (LAB_KVM=on):
# where KVM is present but broken (e.g. kvm_pvm) the guest never reaches init.
lab_accel() {
  if [ -w /dev/kvm ] && [ "${LAB_KVM:-auto}" = on ]; then echo kvm; else echo "tcg,thread=multi"; fi
}

# lab_qemu_start JOB CPUS MEM TIMEOUT NETDEV_ARGS...: boots the cached image
# in the background (root snapshot=on, so every run starts clean) with the
# job folder, the repository and /opt/swift shared over 9p, and sets QPID.
# Any extra 9p shares come in LAB_EXTRA_SHARES (an array of QEMU arguments);
# LAB_ROOTFS names the root image in the cache (rootfs.img unless set).
lab_qemu_start() {
  local job="$1" cpus="$2" mem="$3" timeout="$4"; shift 4
  local shares=(-virtfs "local,path=$job,mount_tag=job,security_model=none,id=job"
    -virtfs "local,path=$REPO,mount_tag=repo,security_model=none,id=repo")
  [ -d /opt/swift ] && shares+=(-virtfs "local,path=/opt/swift,mount_tag=swift,security_model=none,readonly=on,id=swift")
  shares+=(${LAB_EXTRA_SHARES[@]+"${LAB_EXTRA_SHARES[@]}"})
  timeout "$timeout" qemu-system-x86_64 -accel "$(lab_accel)" -cpu max -smp "$cpus" -m "$mem" \
    -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rw rootfstype=ext4 init=/sbin/lab-init panic=-1 quiet" \
    -drive "file=$CACHE/${LAB_ROOTFS:-rootfs.img},format=raw,if=virtio,snapshot=on" \
    "$@" "${shares[@]}" \
    -display none -serial "file:$job/console.log" -monitor none -no-reboot &
  QPID=$!
}

# lab_job_result JOB QEMU_STATUS NAME: prints why a guest failed and returns
# the job's exit code (124 when QEMU was killed by the time limit). QEMU
# itself always exits 0, so the code travels through the job folder.
lab_job_result() {
  local job="$1" qrc="$2" name="$3" rc=1
  if [ "$qrc" = 124 ]; then
    echo "$name: guest killed at the time limit; console kept in $job/console.log" >&2
    rc=124
  elif [ -f "$job/exit-code" ]; then
    rc=$(cat "$job/exit-code")
  else
    echo "$name: the guest stopped without an exit code; console kept in $job/console.log" >&2
    tail -30 "$job/console.log" >&2 || true
  fi
  if [ "$rc" = 0 ] && [ "${LAB_KEEP:-0}" != 1 ]; then
    rm -f "$job/console.log" "$job/guest-boot.sh"
  else
    echo "$name: exit $rc; guest console: $job/console.log" >&2
  fi
  return "$rc"
}

# lab_job_never_started JOB QEMU_STATUS: true when the guest stopped before
# guest-boot.sh ran (no "started" mark, no exit code, not the time limit): the
# kernel died while booting, so the job never ran. Seen under TCG with several
# vCPUs on kernel 6.12: an int3 oops in early boot while the kernel patches its
# own text (sched_clock_cpu, 2.5 s in), once in about 150 boots here.
lab_job_never_started() {
  local job="$1" qrc="$2"
  [ "$qrc" != 124 ] && [ ! -f "$job/exit-code" ] && [ ! -f "$job/started" ]
}

# lab_cache_dir: the image folder for LAB_SUITE (bookworm unless trixie).
lab_cache_dir() {
  case "${LAB_SUITE:-bookworm}" in
    trixie) echo "${LAB_CACHE:-$LAB_DIR/cache-trixie}" ;;
    *) echo "${LAB_CACHE:-$LAB_DIR/cache}" ;;
  esac
}

# lab_image_kind SCRIPT: which root image SCRIPT boots: "ceph" when it has a
# "# lab-image: ceph" line (rootfs-ceph.img, trixie only), else "plain";
# LAB_IMAGE in the environment overrides the script.
lab_image_kind() {
  local kind="${LAB_IMAGE:-}"
  [ -n "$kind" ] || kind=$(sed -n 's/^# lab-image: *\([a-z]*\).*/\1/p' "$1" | head -1)
  echo "${kind:-plain}"
}
