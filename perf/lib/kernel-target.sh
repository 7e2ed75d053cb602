# The Linux kernel target (nvmet + nvmet-rdma) through configfs (sourced).

NVMET=/sys/kernel/config/nvmet

# kernel_target_up NQN DEVICE ADDR PORT
kernel_target_up() {
  local nqn="$1" dev="$2" addr="$3" port="$4"
  modprobe nvmet_rdma
  mkdir "$NVMET/subsystems/$nqn"
  echo 1 >"$NVMET/subsystems/$nqn/attr_allow_any_host"
  mkdir "$NVMET/subsystems/$nqn/namespaces/1"
  echo "$dev" >"$NVMET/subsystems/$nqn/namespaces/1/device_path"
  echo 1 >"$NVMET/subsystems/$nqn/namespaces/1/enable"
  mkdir "$NVMET/ports/1"
  echo rdma >"$NVMET/ports/1/addr_trtype"
  echo ipv4 >"$NVMET/ports/1/addr_adrfam"
  echo "$addr" >"$NVMET/ports/1/addr_traddr"
  echo "$port" >"$NVMET/ports/1/addr_trsvcid"
  ln -s "$NVMET/subsystems/$nqn" "$NVMET/ports/1/subsystems/$nqn"
}

# kernel_target_down NQN: frees the port (4420) for the next target.
kernel_target_down() {
  local nqn="$1"
  rm -f "$NVMET/ports/1/subsystems/$nqn"
  rmdir "$NVMET/ports/1" 2>/dev/null || true
  echo 0 >"$NVMET/subsystems/$nqn/namespaces/1/enable" 2>/dev/null || true
  rmdir "$NVMET/subsystems/$nqn/namespaces/1" 2>/dev/null || true
  rmdir "$NVMET/subsystems/$nqn" 2>/dev/null || true
}
