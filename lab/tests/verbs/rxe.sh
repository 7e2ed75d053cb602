# Sourced by the Verbs lab scripts: makes sure a Soft-RoCE device exists and
# exports NVMF_LAB_DEVICE (its name) and NVMF_LAB_NETDEV (the netdev under it).
# Uses the project's ./rxe-setup.sh when present; otherwise sets rxe up itself.
# Never on lo: rdma_cm route resolution fails there (docs/softroce-lab.md).

verbs_lab_rxe() {
    # Inside lab/run the guest already has rxe0 on eth0 (LAB_RDMA_DEV, LAB_RDMA_IP).
    NVMF_LAB_DEVICE=${NVMF_LAB_DEVICE:-${LAB_RDMA_DEV:-}}
    NVMF_LAB_ADDRESS=${NVMF_LAB_ADDRESS:-${LAB_RDMA_IP:-}}
    export LD_LIBRARY_PATH=/opt/swift/usr/lib/swift/linux${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    if [ -n "${NVMF_LAB_DEVICE:-}" ] && [ -e "/sys/class/infiniband/$NVMF_LAB_DEVICE" ]; then
        :
    else
        if [ -x "$REPO/rxe-setup.sh" ] && "$REPO/rxe-setup.sh" >/dev/null 2>&1; then :; fi
        dev=$(ls /sys/class/infiniband 2>/dev/null | head -n 1)
        if [ -z "$dev" ]; then
            modprobe rdma_rxe 2>/dev/null || true
            modprobe rdma_ucm 2>/dev/null || true
            netdev=$(ip -o -4 addr show | awk '$2 != "lo" {print $2; exit}')
            [ -n "$netdev" ] || { echo "no RDMA device: run ./rxe-setup.sh (no IPv4 netdev for rxe)"; return 1; }
            rdma link add rxe0 type rxe netdev "$netdev" || return 1
            dev=rxe0
        fi
        NVMF_LAB_DEVICE=$dev
    fi
    NVMF_LAB_NETDEV=$(cat "/sys/class/infiniband/$NVMF_LAB_DEVICE/ports/1/gid_attrs/ndevs/0" 2>/dev/null ||
        ip -o -4 addr show | awk '$2 != "lo" {print $2; exit}')
    NVMF_LAB_ADDRESS=${NVMF_LAB_ADDRESS:-$(ip -o -4 addr show dev "$NVMF_LAB_NETDEV" | awk '{split($4, a, "/"); print a[1]; exit}')}
    export NVMF_LAB_DEVICE NVMF_LAB_NETDEV NVMF_LAB_ADDRESS
    # Registering memory needs more than the default 64 KiB memlock.
    ulimit -l unlimited 2>/dev/null || true
}
