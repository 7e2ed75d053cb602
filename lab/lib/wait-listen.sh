# wait_cm_listen IP SECONDS [PORT]: returns 0 once an RDMA CM id is listening on
# IP (and PORT if given), per `rdma resource show cm_id`; 1 after SECONDS.
# This waits for a condition, not for time: the check runs every 50 ms.
wait_cm_listen() {
  local ip="$1" limit="$2" port="${3:-}" i=0
  while [ $i -lt $((limit * 20)) ]; do
    if rdma resource show cm_id 2>/dev/null | grep "state LISTEN" | grep -q "src-addr ${ip}${port:+:$port}"; then
      return 0
    fi
    sleep 0.05; i=$((i + 1))
  done
  return 1
}
