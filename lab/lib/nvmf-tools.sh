# The release nvmf-tgt and nvmf-rpc for lab tests, and the helpers the
# control-plane tests share (sourced, after `set -euo pipefail`).
#   BIN, RPC    the binaries (NVMF_TGT_BIN, NVMF_RPC_BIN override them)
#   rpc ARGS    runs nvmf-rpc
#   ok TEXT     prints "ok: TEXT"
#   ctrl_for ADDRESS  the host controller (nvmeN) of subsystem $NQN at ADDRESS
#   wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it
#               succeeds (an event with a deadline, not a sleep)
BIN="${NVMF_TGT_BIN:-.build/release/nvmf-tgt}"
RPC="${NVMF_RPC_BIN:-.build/release/nvmf-rpc}"
for b in "$BIN" "$RPC"; do
  [ -x "$b" ] || { echo "no $b: build it with 'swift build -c release --static-swift-stdlib --product $(basename "$b")'"; exit 1; }
done
rpc() { "$RPC" "$@"; }
ok() { echo "ok: $*"; }
wait_for() { local n=$(($1 * 10)); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
ctrl_for() {
  local c
  for c in /sys/class/nvme/nvme*; do
    [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$NQN" ] && grep -q "traddr=$1," "$c/address" && { basename "$c"; return 0; }
  done
  return 1
}
