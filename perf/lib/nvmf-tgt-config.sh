# The nvmf-tgt config the perf scripts serve (sourced): one subsystem, any
# host, one namespace on a block device through libaio, one RDMA listener.

# nvmf_tgt_aio_config NQN DEVICE ADDR FILE [SERIAL]: writes the SPDK-format JSON to FILE.
nvmf_tgt_aio_config() {
  local nqn="$1" dev="$2" addr="$3" file="$4" serial="${5:-SWIFTNVMF0001}"
  cat >"$file" <<JSON
{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_aio_create","params":{"name":"ram0","filename":"$dev","block_size":4096}}]},
 {"subsystem":"nvmf","config":[{"method":"nvmf_create_transport","params":{"trtype":"RDMA"}},
  {"method":"nvmf_create_subsystem","params":{"nqn":"$nqn","allow_any_host":true,"serial_number":"$serial"}},
  {"method":"nvmf_subsystem_add_ns","params":{"nqn":"$nqn","namespace":{"bdev_name":"ram0"}}},
  {"method":"nvmf_subsystem_add_listener","params":{"nqn":"$nqn","listen_address":{"trtype":"RDMA","adrfam":"IPv4","traddr":"$addr","trsvcid":"4420"}}}]}]}
JSON
}
