# A throwaway Ceph cluster inside the lab guest, for the RBD backend's tests.
# Sourced by lab scripts that run on the Ceph image ("# lab-image: ceph" makes
# lab/run boot lab/cache-trixie/rootfs-ceph.img; Debian 13's Ceph 18.2 Reef).
#
#   ceph_start [NOSDS]        one mon, one mgr (in the background, never waited
#                             for), NOSDS (default 2) memstore OSDs, pool "rbd"
#                             (size 2, min_size 1); returns once every OSD is up
#                             and every PG of "rbd" is active. Writes
#                             /etc/ceph/ceph.conf and the client.admin keyring,
#                             so rbd, rados, ceph and librbd find the cluster
#                             with default settings.
#   ceph_osd_kill N           SIGKILL osd.N (memstore: its copy is gone).
#   ceph_osd_start N [SECS]   a fresh, empty osd.N with the same id and uuid;
#                             waits until it is up, not until it has backfilled.
#   ceph_osd_stop N / ceph_osd_cont N   SIGSTOP / SIGCONT osd.N (a silent OSD).
#   ceph_wait_osd_down N SECS until the monitor has marked osd.N down (after
#                             ceph_osd_kill or ceph_osd_stop; prints how long).
#   ceph_wait_osd_up N SECS   until osd.N says it is up (active) in the osdmap.
#   ceph_wait_clean SECS      until every PG is active+clean (asks the mgr).
#   ceph_rbd_map POOL/IMAGE [OPTS]  krbd map without udev; prints /dev/rbdN.
#   ceph_rbd_unmap DEV        (both need "noudev": the guest has no udev).
#   ceph_pause / ceph_resume  SIGSTOP / SIGCONT every Ceph daemon at once: the
#                             cluster goes away and comes back.
#   ceph_stop                 SIGTERM (then SIGKILL) every daemon.
#   ceph_save_logs [DIR]      copies the daemons' logs (default $LAB_OUT/ceph).
#
# Everything lives in CEPH_LAB_DIR (/run/ceph-lab, a tmpfs): config, keys, mon
# store, OSD metadata, logs, pid files and admin sockets. The cluster listens
# on CEPH_LAB_ADDR (127.0.0.1: never leaves the guest and is not the rxe
# netdev, so tests that drop eth0's frames leave Ceph alone), msgr v2 and v1
# both (the kernel client, krbd, speaks v1 unless mapped with ms_mode=).
# Each step is bounded by a timeout; a function that fails says which step and
# returns 1 (it never exits the caller).

CEPH_LAB_DIR="${CEPH_LAB_DIR:-/run/ceph-lab}"
CEPH_LAB_ADDR="${CEPH_LAB_ADDR:-127.0.0.1}"

_ceph_now() { echo "${EPOCHREALTIME/,/.}"; }
_ceph_since() { awk -v a="$1" -v b="$(_ceph_now)" 'BEGIN { printf "%.1f", b - a }'; }
_ceph_err() { echo "ceph: $*" >&2; return 1; }

# A cephx secret as ceph-authtool makes it, without a process per key:
# base64 of (u16 type 1 = AES, u32 seconds, u32 nanoseconds, u16 length 16,
# 16 random bytes), little-endian.
_ceph_le() {  # _ceph_le VALUE BYTES: VALUE as BYTES little-endian bytes
  local v="$1" n="$2" i
  for ((i = 0; i < n; i++)); do printf "\\$(printf %03o $(( (v >> (8 * i)) & 255 )))"; done
}
_ceph_key() {
  { _ceph_le 1 2; _ceph_le "$(date +%s)" 4; _ceph_le 0 4; _ceph_le 16 2; head -c 16 /dev/urandom; } | base64 -w0
}

# _ceph_pid NAME: the live pid of daemon NAME (mon.a, mgr.x, osd.0), or fails.
_ceph_pid() {
  local f="$CEPH_LAB_DIR/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  # A zombie is not alive, though kill -0 says so.
  [ -r "/proc/$pid/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" && echo "$pid"
}
_ceph_daemons() {  # names of the daemons that have pid files
  local f
  for f in "$CEPH_LAB_DIR"/*.pid; do [ -e "$f" ] && basename "$f" .pid; done
}

# _ceph_wait_log FILE PATTERN SECS [FROM_LINE]: until PATTERN appears in FILE
# (after line FROM_LINE); the daemons' own logs are the cheapest status there
# is (every `ceph` command is a Python start-up, seconds under TCG).
_ceph_wait_log() {
  local file="$1" pat="$2" secs="$3" from="${4:-0}" end
  end=$(( SECONDS + secs ))
  while [ "$SECONDS" -lt "$end" ]; do
    [ -f "$file" ] && tail -n +"$(( from + 1 ))" "$file" | grep -q -- "$pat" && return 0
    sleep 0.2
  done
  return 1
}
# _ceph_run SECS WHAT LOG CMD...: CMD bounded by SECS, its output in LOG; on
# failure says whether it timed out or failed, with LOG's last lines.
_ceph_run() {
  local secs="$1" what="$2" log="$3" rc=0
  shift 3
  timeout "$secs" "$@" >>"$log" 2>&1 || rc=$?
  case "$rc" in
    0) return 0 ;;
    124) _ceph_err "$what: timed out after $secs s; $log ends: $(tail -3 "$log" 2>/dev/null)" ;;
    *) _ceph_err "$what: failed (exit $rc); $log ends: $(tail -3 "$log" 2>/dev/null)" ;;
  esac
}
_ceph_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

_ceph_write_conf() {
  local fsid="$1" d="$CEPH_LAB_DIR" a="$CEPH_LAB_ADDR"
  cat >"$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = [v2:$a:3300,v1:$a:6789]
public_addr = $a
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
# Clients' admin sockets too (the default /var/run/ceph does not exist).
run_dir = $d
# Read at mon --mkfs: the default CRUSH rule spreads copies over OSDs, not
# hosts (one host here), and the mgr enables no modules beyond the always-on.
osd_crush_chooseleaf_type = 0
mgr_initial_modules = ""
osd_pool_default_size = 2
osd_pool_default_min_size = 1
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
mon_allow_pool_delete = true
mon_data_avail_crit = 1
mon_data_avail_warn = 2
# A dead OSD is marked down within seconds. SIGKILL: its peer's reconnect is
# refused and it reports an immediate failure (osd_fast_fail_on_connection_refused).
# A silent one (stopped, or a dropped link): no heartbeat reply for the
# grace, and one reporter is enough on a one-host cluster.
osd_heartbeat_interval = 1
osd_heartbeat_grace = 5
mon_osd_min_down_reporters = 1
mon_osd_reporter_subtree_level = osd
mon_osd_adjust_heartbeat_grace = false

[mon]
mon_data = $d/mon.\$id
log_file = $d/\$name.log
pid_file = $d/\$name.pid
mon_cluster_log_file = $d/cluster.log

[mgr]
mgr_data = $d/mgr.\$id
keyring = $d/keyring
log_file = $d/\$name.log
pid_file = $d/\$name.pid

[osd]
# Debian's default is relative (lib/x86_64-linux-gnu/rados-classes), so it
# depends on the daemon's working directory: without cls_rbd, rbd create
# fails with EOPNOTSUPP.
osd_class_dir = /usr/lib/x86_64-linux-gnu/rados-classes
# An OSD puts itself into CRUSH under its host name at start, and the guest
# has none ("(none)": the mon refuses it with EINVAL and the OSD exits).
crush_location = root=default host=lab
osd_objectstore = memstore
memstore_device_bytes = 1G
# Objects live in the OSD's heap (each OSD holds a whole copy), so memory is
# the budget. With the defaults, 4 KiB random writes on a 256 MiB image took
# each OSD past 1.1 GiB: the PG log keeps up to 10000 entries per PG, and
# memstore's bufferlist objects fragment. Pages (64 KiB) and a short log keep
# it at ~600 MiB RSS per OSD for a fully written 256 MiB image (measured in
# the guest, steady under 4 KiB random writes).
memstore_page_set = true
osd_min_pg_log_entries = 100
osd_max_pg_log_entries = 500
osd_target_pg_log_entries_per_osd = 4000
osd_pg_log_dups_tracked = 500
osd_pg_log_trim_min = 50
osd_data = $d/osd.\$id
keyring = $d/keyring
log_file = $d/\$name.log
pid_file = $d/\$name.pid
CONF
}

_ceph_write_keyring() {
  local nosds="$1" d="$CEPH_LAB_DIR" i admin
  admin=$(_ceph_key)
  # mon --mkfs imports every entity of this keyring: no `ceph auth` calls later.
  {
    printf '[mon.]\n\tkey = %s\n\tcaps mon = "allow *"\n' "$(_ceph_key)"
    printf '[client.admin]\n\tkey = %s\n\tcaps mon = "allow *"\n\tcaps osd = "allow *"\n\tcaps mgr = "allow *"\n\tcaps mds = "allow *"\n' "$admin"
    printf '[mgr.x]\n\tkey = %s\n\tcaps mon = "allow profile mgr"\n\tcaps osd = "allow *"\n\tcaps mds = "allow *"\n' "$(_ceph_key)"
    for ((i = 0; i < nosds; i++)); do
      printf '[osd.%d]\n\tkey = %s\n\tcaps mon = "allow profile osd"\n\tcaps mgr = "allow profile osd"\n\tcaps osd = "allow *"\n' "$i" "$(_ceph_key)"
    done
  } >"$d/keyring"
  chmod 600 "$d/keyring"
  printf '[client.admin]\n\tkey = %s\n' "$admin" >/etc/ceph/ceph.client.admin.keyring
  chmod 600 /etc/ceph/ceph.client.admin.keyring
}

# _ceph_osd_mkfs N: an empty memstore for osd.N (its uuid is in osd.N.uuid).
_ceph_osd_mkfs() {
  local n="$1" d="$CEPH_LAB_DIR"
  rm -rf "$d/osd.$n" && mkdir -p "$d/osd.$n"
  _ceph_run 60 "osd.$n mkfs" "$d/osd.$n.mkfs.log" \
    ceph-osd -c "$d/ceph.conf" -i "$n" --mkfs --osd-uuid "$(cat "$d/osd.$n.uuid")"
}

# _ceph_osd_launch N: starts osd.N; the command returns once the daemon has
# initialised and forked (errors before that are in osd.N.log).
_ceph_osd_launch() {
  local n="$1" d="$CEPH_LAB_DIR"
  _ceph_run 60 "osd.$n start" "$d/osd.$n.log" ceph-osd -c "$d/ceph.conf" -i "$n"
}

ceph_start() {
  local nosds="${1:-2}" d="$CEPH_LAB_DIR" t0 t i fsid pids rc out
  t0=$(_ceph_now)
  [ -z "$(for n in $(_ceph_daemons); do _ceph_pid "$n"; done)" ] \
    || { _ceph_err "ceph_start: a cluster is already running in $d (ceph_stop first)"; return 1; }
  mkdir -p "$d" /etc/ceph
  mountpoint -q "$d" || mount -t tmpfs -o mode=0755 ceph-lab "$d" || { _ceph_err "ceph_start: cannot mount a tmpfs on $d"; return 1; }
  rm -rf "${d:?}"/*
  fsid=$(cat /proc/sys/kernel/random/uuid)
  _ceph_write_conf "$fsid"
  cp "$d/ceph.conf" /etc/ceph/ceph.conf
  _ceph_write_keyring "$nosds"

  # Monitor: the map holds both protocols (v1 for krbd's default ms_mode).
  _ceph_run 30 "ceph_start: monmaptool" "$d/monmap.log" monmaptool --create --clobber --fsid "$fsid" \
    --addv a "[v2:$CEPH_LAB_ADDR:3300,v1:$CEPH_LAB_ADDR:6789]" "$d/monmap" || return 1
  _ceph_run 60 "ceph_start: mon mkfs" "$d/mon.a.mkfs.log" \
    ceph-mon -c "$d/ceph.conf" -i a --mkfs --monmap "$d/monmap" --keyring "$d/keyring" || return 1
  _ceph_run 60 "ceph_start: mon start" "$d/mon.a.log" ceph-mon -c "$d/ceph.conf" -i a || return 1
  echo "ceph: mon up at $(_ceph_since "$t0") s"

  # OSD ids and the pool in one `ceph` process (it reads commands from stdin),
  # while the OSD stores are made beside it.
  pids=()
  for ((i = 0; i < nosds; i++)); do
    cat /proc/sys/kernel/random/uuid >"$d/osd.$i.uuid"
    _ceph_osd_mkfs "$i" & pids+=($!)
  done
  {
    for ((i = 0; i < nosds; i++)); do echo "osd new $(cat "$d/osd.$i.uuid") $i"; done
    echo "osd pool create rbd 8 8 replicated"
    echo "osd pool application enable rbd rbd"
  } >"$d/setup.cmds"
  rc=0
  _ceph_run 120 "ceph_start: ceph (osd new, pool create)" "$d/setup.log" \
    ceph -c "$d/ceph.conf" --connect-timeout 60 <"$d/setup.cmds" || rc=1
  for t in "${pids[@]}"; do wait "$t" || rc=1; done
  # In stdin mode `ceph` goes on after a failed command and exits 0.
  if grep -q '^Error' "$d/setup.log"; then _ceph_err "ceph_start: $(grep '^Error' "$d/setup.log" | head -3)"; rc=1; fi
  [ "$rc" = 0 ] || return 1
  echo "ceph: osd ids, pool rbd, osd stores at $(_ceph_since "$t0") s"

  pids=()
  for ((i = 0; i < nosds; i++)); do _ceph_osd_launch "$i" & pids+=($!); done
  rc=0
  for t in "${pids[@]}"; do wait "$t" || rc=1; done
  [ "$rc" = 0 ] || return 1
  # The mgr is not on the data path (RBD I/O, rbd create/map/export and pool
  # commands work without it); it only serves statistics (ceph -s, pg stat).
  # Its start costs CPU seconds under TCG: niced, never waited for. On Debian's
  # Reef every always-on Python module (balancer, pg_autoscaler, rbd_support,
  # ...) fails to load ("PyO3 modules do not yet support subinterpreters";
  # health MGR_MODULE_DEPENDENCY), so nothing moves PGs behind a test's back.
  mkdir -p "$d/mgr.x"
  # (In a subshell, so it is no job of the caller's: a bare `wait` does not wait for it.)
  ( _ceph_run 60 "ceph_start: mgr start (going on without it)" "$d/mgr.x.log" nice -n 10 ceph-mgr -c "$d/ceph.conf" -i x & )

  for ((i = 0; i < nosds; i++)); do
    ceph_wait_osd_up "$i" 120 || return 1
  done
  echo "ceph: $nosds osds up at $(_ceph_since "$t0") s"
  # Listing a pool visits every PG and waits while one is not active.
  out=$(timeout 120 rados -p rbd ls 2>&1) \
    || { _ceph_err "ceph_start: pool rbd not active within 120 s: $out"; return 1; }
  echo "ceph: cluster ready in $(_ceph_since "$t0") s ($nosds osds on $CEPH_LAB_ADDR, fsid $fsid)"
}

# ceph_wait_osd_up N SECS: osd.N logs this when it sees itself up in the map.
ceph_wait_osd_up() {
  local n="$1" secs="${2:-60}"
  _ceph_wait_log "$CEPH_LAB_DIR/osd.$n.log" "state: booting -> active" "$secs" "$(cat "$CEPH_LAB_DIR/osd.$n.logmark" 2>/dev/null || echo 0)" \
    || _ceph_err "osd.$n not up within $secs s: $(tail -3 "$CEPH_LAB_DIR/osd.$n.log" 2>/dev/null)"
}

ceph_osd_kill() {
  local n="$1" pid
  pid=$(_ceph_pid "osd.$n") || { _ceph_err "ceph_osd_kill: osd.$n is not running"; return 1; }
  # The monitor's log position: ceph_wait_osd_down looks only past it.
  _ceph_lines "$CEPH_LAB_DIR/mon.a.log" >"$CEPH_LAB_DIR/osd.$n.downmark"
  kill -KILL "$pid"
  rm -f "$CEPH_LAB_DIR/osd.$n.pid"
}

# ceph_osd_stop N / ceph_osd_cont N: SIGSTOP / SIGCONT osd.N, an OSD that
# falls silent (hung, or cut off) rather than dies: its peer reports it after
# osd_heartbeat_grace. Continued, it finds itself marked down, rejoins and
# catches up from its peer (its objects survived).
ceph_osd_stop() {
  local n="$1" pid
  pid=$(_ceph_pid "osd.$n") || { _ceph_err "ceph_osd_stop: osd.$n is not running"; return 1; }
  _ceph_lines "$CEPH_LAB_DIR/mon.a.log" >"$CEPH_LAB_DIR/osd.$n.downmark"
  kill -STOP "$pid"
}
ceph_osd_cont() {
  local n="$1" pid
  pid=$(_ceph_pid "osd.$n") || { _ceph_err "ceph_osd_cont: osd.$n is not running"; return 1; }
  kill -CONT "$pid"
}

# ceph_wait_osd_down N SECS: until the monitor marks osd.N down (read from its
# log: "osd.N failed" / "marked itself down" / "marked down").
ceph_wait_osd_down() {
  local n="$1" secs="${2:-30}" t0
  t0=$(_ceph_now)
  _ceph_wait_log "$CEPH_LAB_DIR/mon.a.log" "osd\.$n \(failed\|marked itself down\|marked down\)" "$secs" \
    "$(cat "$CEPH_LAB_DIR/osd.$n.downmark" 2>/dev/null || echo 0)" \
    || { _ceph_err "osd.$n not marked down within $secs s"; return 1; }
  echo "ceph: osd.$n marked down (waited $(_ceph_since "$t0") s)"
}

# ceph_osd_start N [SECS]: memstore keeps its objects in the OSD's heap, so a
# killed OSD has nothing to come back with: this makes an empty store with the
# same id and uuid and starts it; it rejoins and is backfilled by its peers
# (ceph_wait_clean waits for that).
ceph_osd_start() {
  local n="$1" secs="${2:-120}" d="$CEPH_LAB_DIR"
  _ceph_pid "osd.$n" >/dev/null && { _ceph_err "ceph_osd_start: osd.$n is running"; return 1; }
  [ -f "$d/osd.$n.uuid" ] || { _ceph_err "ceph_osd_start: osd.$n was never created"; return 1; }
  _ceph_osd_mkfs "$n" || return 1
  _ceph_lines "$d/osd.$n.log" >"$d/osd.$n.logmark"
  _ceph_osd_launch "$n" || return 1
  ceph_wait_osd_up "$n" "$secs"
}

# ceph_wait_clean SECS: every PG active+clean (PG states live in the mgr, so
# this waits for it too, and each poll is a `ceph` process).
ceph_wait_clean() {
  local secs="${1:-120}" end out
  end=$(( SECONDS + secs ))
  while [ "$SECONDS" -lt "$end" ]; do
    out=$(timeout 30 ceph --connect-timeout 10 pg stat 2>&1) || true
    # "N pgs: N active+clean; ..." with nothing else listed.
    if [[ "$out" =~ ^([0-9]+)\ pgs:\ ([0-9]+)\ active\+clean\; ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; then
      echo "ceph: $out"; return 0
    fi
    sleep 2
  done
  _ceph_err "PGs not all active+clean within $secs s: $out"
}

# ceph_rbd_map POOL/IMAGE [OPTIONS]: maps the image with krbd and prints the
# device (/dev/rbdN). The guest has no udev: "noudev" makes the rbd tool take
# the device from sysfs instead of waiting for udev's event (devtmpfs makes
# the node). OPTIONS are more -o options, e.g. ms_mode=crc for msgr v2.
ceph_rbd_map() {
  local spec="$1" opts="noudev${2:+,$2}" dev
  modprobe rbd || { _ceph_err "ceph_rbd_map: modprobe rbd failed"; return 1; }
  dev=$(timeout 60 rbd map "$spec" -o "$opts") || { _ceph_err "ceph_rbd_map: rbd map $spec -o $opts failed or timed out (60 s)"; return 1; }
  echo "$dev"
}
# ceph_rbd_unmap DEV: without noudev here too, `rbd unmap` waits forever for udev.
ceph_rbd_unmap() {
  timeout 60 rbd unmap -o noudev "$1" || { _ceph_err "ceph_rbd_unmap: rbd unmap $1 failed or timed out (60 s)"; return 1; }
}

ceph_pause() {
  local n pid
  for n in $(_ceph_daemons); do pid=$(_ceph_pid "$n") && kill -STOP "$pid"; done
  return 0
}
ceph_resume() {
  local n pid
  for n in $(_ceph_daemons); do pid=$(_ceph_pid "$n") && kill -CONT "$pid"; done
  return 0
}

ceph_stop() {
  local n pid pids=() end
  for n in $(_ceph_daemons); do pid=$(_ceph_pid "$n") && pids+=("$pid"); done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -CONT "${pids[@]}" 2>/dev/null
  kill -TERM "${pids[@]}" 2>/dev/null
  end=$(( SECONDS + 15 ))
  for pid in "${pids[@]}"; do
    while [ -d "/proc/$pid" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
    [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
  done
  rm -f "$CEPH_LAB_DIR"/*.pid
  return 0
}

ceph_save_logs() {
  local dir="${1:-${LAB_OUT:-/tmp}/ceph}"
  mkdir -p "$dir" && cp "$CEPH_LAB_DIR"/*.log "$CEPH_LAB_DIR/ceph.conf" "$dir"/ 2>/dev/null
  return 0
}
