# The host's perf and its libraries, copied where the lab guest can run them
# (sourced by perf/profile.sh and perf/pair-profile.sh; the guest sees the
# repository at the same path). Sets KIT.
command -v perf >/dev/null || { echo "$0: needs perf on the host (apt-get install linux-perf)"; exit 2; }
KIT="$PWD/.build-perfkit"
mkdir -p "$KIT/lib"
cp "$(command -v perf)" "$KIT/perf"
for l in $(ldd "$(command -v perf)" | awk '/=>/ {print $3}'); do cp -L "$l" "$KIT/lib/"; done
# The host's loader too: a guest of a newer Debian (trixie) must run perf with
# the libc it was built against, through this loader (see perf/guest/rbd.sh).
cp -L /lib64/ld-linux-x86-64.so.2 "$KIT/lib/"
