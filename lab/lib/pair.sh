# Signalling between the two guests of lab/run-pair (sourced): files in the
# folder both see ($LAB_PAIR). Waits are for a condition, checked every 50 ms,
# and give up early when the peer has failed (failed.ROLE, left by guest-boot.sh).

# pair_signal NAME [TEXT]: tells the peer NAME happened (TEXT is its content).
pair_signal() { printf '%s\n' "${2:-}" >"$LAB_PAIR/$1.tmp" && mv "$LAB_PAIR/$1.tmp" "$LAB_PAIR/$1"; }

# pair_wait NAME SECONDS: returns 0 once the peer has signalled NAME; 1 after
# SECONDS or as soon as the peer has failed.
pair_wait() {
  local name="$1" limit="$2" i=0 f
  while [ $i -lt $((limit * 20)) ]; do
    [ -e "$LAB_PAIR/$name" ] && return 0
    pair_peer_failed && { echo "pair: the peer failed while we waited for $name" >&2; return 1; }
    sleep 0.05; i=$((i + 1))
  done
  echo "pair: no $name from the peer after ${limit}s" >&2
  return 1
}

# pair_read NAME: the TEXT the peer signalled with NAME.
pair_read() { cat "$LAB_PAIR/$1"; }

# pair_peer_failed: true once either guest's script has failed (failed.ROLE).
pair_peer_failed() {
  local f
  for f in "$LAB_PAIR"/failed.*; do [ -e "$f" ] && return 0; done
  return 1
}
