# Kernel-initiator helpers shared by the perf and lab scripts (sourced).

# nvme_host_connect ADDR PORT NQN: connects over RDMA and prints the block
# device of the controller's first namespace (e.g. /dev/nvme0n1).
nvme_host_connect() {
  local addr="$1" port="$2" nqn="$3" c i
  # NVME_CONNECT_ARGS: extra options, e.g. --ctrl-loss-tmo=120 --reconnect-delay=1
  # shellcheck disable=SC2086
  nvme connect -t rdma -a "$addr" -s "$port" -n "$nqn" ${NVME_CONNECT_ARGS:-} >&2
  for i in $(seq 1 200); do            # namespace scan is asynchronous: wait for the node
    for c in /sys/class/nvme/nvme*; do
      [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$nqn" ] || continue
      for ns in "$c"/nvme*n*; do
        [ -e "$ns" ] || continue
        local dev="/dev/$(basename "$ns" | sed 's/c[0-9]*n/n/')"
        [ -b "$dev" ] && { echo "$dev"; return 0; }
      done
    done
    sleep 0.05
  done
  echo "nvme_host_connect: no namespace block device for $nqn" >&2
  return 1
}

# nvme_host_disconnect NQN
nvme_host_disconnect() { nvme disconnect -n "$1" >&2; }
