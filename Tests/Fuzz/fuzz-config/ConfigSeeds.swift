import FuzzSupport

/// Seed inputs (`--write-seeds`; committed under Tests/Fuzz/corpus/fuzz-config,
/// next to a copy of examples/nvmf-tgt.json).
extension ConfigHarness {
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        let transport = #"{ "method": "nvmf_create_transport", "params": { "trtype": "RDMA" } }"#
        func file(bdev: [String], nvmf: [String]) -> String {
            """
            {"subsystems": [
              {"subsystem": "bdev", "config": [\(bdev.joined(separator: ",\n    "))]},
              {"subsystem": "nvmf", "config": [\(nvmf.joined(separator: ",\n    "))]}
            ]}

            """
        }
        func subsystem(_ extra: String = "") -> String {
            #"{ "method": "nvmf_create_subsystem", "params": { "nqn": "\#(nqn)", "allow_any_host": true\#(extra) } }"#
        }
        func namespace(_ bdev: String, _ extra: String = "") -> String {
            #"{ "method": "nvmf_subsystem_add_ns", "params": { "nqn": "\#(nqn)", "namespace": { "bdev_name": "\#(bdev)"\#(extra) } } }"#
        }
        func listener(_ family: String, _ address: String, _ port: String = "4420") -> String {
            #"{ "method": "nvmf_subsystem_add_listener", "params": { "nqn": "\#(nqn)", "listen_address": { "trtype": "RDMA", "adrfam": "\#(family)", "traddr": "\#(address)", "trsvcid": "\#(port)" } } }"#
        }
        let malloc =
            #"{ "method": "bdev_malloc_create", "params": { "name": "Malloc0", "num_blocks": 2048, "block_size": 512 } }"#
        let null =
            #"{ "method": "bdev_null_create", "params": { "name": "Null0", "num_blocks": 1048576, "block_size": 4096, "uuid": "6f2c3f4e-8d5b-4c1a-9e7f-0a1b2c3d4e5f" } }"#
        let aio =
            #"{ "method": "bdev_aio_create", "params": { "name": "Aio0", "filename": "fuzz-aio.img", "block_size": 512, "readonly": true } }"#
        let all: [(String, String)] = [
            (
                "malloc-one-subsystem",
                file(
                    bdev: [malloc], nvmf: [transport, subsystem(), namespace("Malloc0"), listener("IPv4", "10.0.2.15")])
            ),
            (
                "null-with-ids",
                file(
                    bdev: [null],
                    nvmf: [
                        transport,
                        subsystem(
                            #", "serial_number": "SPDK001", "model_number": "fuzz", "max_namespaces": 8, "min_cntlid": 5, "max_cntlid": 9"#
                        ),
                        namespace(
                            "Null0",
                            #", "nsid": 3, "nguid": "00112233-4455-6677-8899-aabbccddeeff", "eui64": "01:23:45:67:89:ab:cd:ef""#
                        ),
                        listener("IPv6", "fe80::1", "4421"),
                    ])
            ),
            (
                "aio-readonly",
                file(bdev: [aio, malloc], nvmf: [transport, subsystem(), namespace("Aio0"), namespace("Malloc0")])
            ),
            (
                "rbd-cluster-and-image",
                file(
                    bdev: [
                        #"{ "method": "bdev_rbd_register_cluster", "params": { "name": "ceph", "user_id": "admin", "config_param": { "mon_host": "10.0.0.1", "rados_osd_op_timeout": "15" }, "core_mask": "[0-1]" } }"#,
                        #"{ "method": "bdev_rbd_create", "params": { "name": "Rbd0", "pool_name": "rbd", "rbd_name": "img", "block_size": 4096, "cluster_name": "ceph", "read_only": false } }"#,
                    ], nvmf: [transport, subsystem(), namespace("Rbd0")])
            ),
            (
                "transport-options",
                file(
                    bdev: [],
                    nvmf: [
                        #"{ "method": "nvmf_create_transport", "params": { "trtype": "rdma", "max_queue_depth": 64, "max_aq_depth": 32, "max_io_qpairs_per_ctrlr": 4, "in_capsule_data_size": 8192, "max_io_size": 65536, "io_unit_size": 8192, "max_srq_depth": 1024, "no_srq": true, "num_shared_buffers": 511, "buf_cache_size": 4294967295, "acceptor_backlog": 10, "num_cqe": 256, "no_wr_batching": true, "abort_timeout_sec": 2, "zcopy": false } }"#
                    ])
            ),
            (
                "hosts-two-subsystems",
                file(
                    bdev: [malloc],
                    nvmf: [
                        transport,
                        #"{ "method": "nvmf_create_subsystem", "params": { "nqn": "nqn.2016-06.io.spdk:cnode2" } }"#,
                        #"{ "method": "nvmf_subsystem_add_host", "params": { "nqn": "nqn.2016-06.io.spdk:cnode2", "host": "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555" } }"#,
                        subsystem(), namespace("Malloc0"), listener("IPv4", "192.168.1.1"),
                        #"{ "method": "nvmf_subsystem_add_listener", "params": { "nqn": "nqn.2016-06.io.spdk:cnode2", "listen_address": { "trtype": "RDMA", "traddr": "192.168.1.1", "trsvcid": "4420" } } }"#,
                    ])
            ),
            (
                "numbers-as-strings",
                file(
                    bdev: [
                        #"{ "method": "bdev_malloc_create", "params": { "name": "M", "num_blocks": "16", "block_size": "4096", "md_size": 0, "dif_type": 0 } }"#
                    ], nvmf: [])
            ),
            ("empty", #"{"subsystems": []}"#),
        ]
        return all.map { ($0.0 + ".json", Array($0.1.utf8)) }
    }
}

@main enum Main {
    static func main() {
        harnessMain(name: "fuzz-config", seeds: ConfigHarness.seeds, run: { ConfigHarness.shared.run($0) })
    }
}
