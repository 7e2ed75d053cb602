import NVMfRPCClient
import Testing

/// Each subcommand's arguments against the method and params rpc.py (SPDK
/// 24.01) sends for them; the expected params are in rpc.py's member order,
/// as `rpc.py --dry-run` prints them.
@Suite struct SubcommandMappingTests {
    /// The call for `arguments`, with its params compact (order visible).
    func mapped(_ arguments: String...) throws -> (method: String, params: String, output: RPCCall.Output) {
        let c = try NVMfRPCTool.call(for: arguments)
        return (c.method, PythonJSON.dumps(c.paramsObject, indent: nil), c.output)
    }

    func refuses(_ arguments: String...) -> Bool {
        (try? NVMfRPCTool.call(for: arguments)) == nil
    }

    @Test func applicationMethods() throws {
        let version = try NVMfRPCTool.call(for: ["spdk_get_version"])
        #expect(version.method == "spdk_get_version")
        #expect(version.params == nil, "rpc.py calls it without params")
        #expect(version.output == .json)

        #expect(try mapped("rpc_get_methods") == ("rpc_get_methods", "{}", .dict))
        #expect(
            try mapped("rpc_get_methods", "-c", "--include-aliases")
                == ("rpc_get_methods", #"{"current": true, "include_aliases": true}"#, .dict))

        #expect(try mapped("save_config") == ("save_config", "{}", .config(indent: 2)))
        #expect(try mapped("save_config", "-i", "-1").output == .config(indent: -1), "negative: compact")
        #expect(try mapped("save_config", "--indent", "4").output == .config(indent: 4))

        let kill = try NVMfRPCTool.call(for: ["spdk_kill_instance", "SIGTERM"])
        #expect(kill.method == "spdk_kill_instance")
        #expect(PythonJSON.dumps(kill.paramsObject, indent: nil) == #"{"sig_name": "SIGTERM"}"#)
        #expect(kill.output == .nothing)
        #expect(kill.closeMeansSuccess, "the target may exit before it answers")
        #expect(refuses("spdk_kill_instance"))
    }

    @Test func mallocSizeIsMiBAndBecomesBlocks() throws {
        #expect(
            try mapped("bdev_malloc_create", "-b", "Malloc0", "64", "512")
                == ("bdev_malloc_create", #"{"num_blocks": 131072, "block_size": 512, "name": "Malloc0"}"#, .json))
        #expect(
            try mapped("bdev_malloc_create", "0.5", "4096", "--name", "M", "-u", "8a4c5a0e-2d8c-4f36-9a3f-5d1e0b7c6a11")
                == (
                    "bdev_malloc_create",
                    #"{"num_blocks": 128, "block_size": 4096, "name": "M", "uuid": "8a4c5a0e-2d8c-4f36-9a3f-5d1e0b7c6a11"}"#,
                    .json
                ))
        // Python's floor division: 1 MiB of 4096-byte blocks plus a fraction.
        #expect(try mapped("bdev_malloc_create", "1.001", "4096").params == #"{"num_blocks": 256, "block_size": 4096}"#)
        // Options rpc.py sends only when truthy, in its order.
        #expect(
            try mapped("bdev_malloc_create", "8", "512", "-p", "4096", "-o", "0", "-m", "8", "-i", "-t", "1", "-d")
                .params
                == #"{"num_blocks": 16384, "block_size": 512, "physical_block_size": 4096, "md_size": 8, "md_interleave": true, "dif_type": 1, "dif_is_head_of_md": true}"#
        )
        #expect(refuses("bdev_malloc_create", "8", "512", "-t", "4"), "dif type is one of 0...3")
        #expect(refuses("bdev_malloc_create", "8", "0"), "block size 0 would divide by zero")
        #expect(refuses("bdev_malloc_create", "8"), "block_size is required")
        #expect(refuses("bdev_malloc_create", "x", "512"), "total_size is a number")
    }

    @Test func nullAndAioCreate() throws {
        #expect(
            try mapped("bdev_null_create", "Null0", "100", "4096")
                == ("bdev_null_create", #"{"name": "Null0", "num_blocks": 25600, "block_size": 4096}"#, .json))
        #expect(
            try mapped("bdev_null_create", "N", "1", "512", "-u", "u", "-p", "4096", "-m", "8", "-t", "1", "-d").params
                == #"{"name": "N", "num_blocks": 2048, "block_size": 512, "physical_block_size": 4096, "uuid": "u", "md_size": 8, "dif_type": 1, "dif_is_head_of_md": true}"#
        )
        #expect(refuses("bdev_null_create", "N", "1.5", "512"), "rpc.py takes an integer size here")
        #expect(
            refuses("bdev_null_create", "N", "1", "512", "-t", "1"), "rpc.py: --md-size must be > 0 with --dif-type")

        #expect(
            try mapped("bdev_aio_create", "/dev/sdb", "Aio0")
                == ("bdev_aio_create", #"{"name": "Aio0", "filename": "/dev/sdb"}"#, .json))
        #expect(
            try mapped("bdev_aio_create", "/tmp/f", "A", "4096", "-r").params
                == #"{"name": "A", "filename": "/tmp/f", "block_size": 4096, "readonly": true}"#)
    }

    @Test func bdevDeleteAndList() throws {
        for method in ["bdev_malloc_delete", "bdev_null_delete", "bdev_aio_delete"] {
            #expect(try mapped(method, "X") == (method, #"{"name": "X"}"#, .nothing))
            #expect(refuses(method))
        }
        #expect(try mapped("bdev_get_bdevs") == ("bdev_get_bdevs", "{}", .dict))
        #expect(try mapped("bdev_get_bdevs", "-b", "M", "-t", "100").params == #"{"name": "M", "timeout": 100}"#)
        #expect(try mapped("bdev_get_bdevs", "--name", "M", "--timeout-ms", "0").params == #"{"name": "M"}"#)
    }

    @Test func createTransportSendsEveryFlag() throws {
        #expect(
            try mapped("nvmf_create_transport", "-t", "RDMA", "-u", "8192")
                == (
                    "nvmf_create_transport",
                    #"{"trtype": "RDMA", "io_unit_size": 8192, "zcopy": false, "no_srq": false, "c2h_success": true, "dif_insert_or_strip": false, "no_wr_batching": false, "disable_mappable_bar0": false, "disable_adaptive_irq": false, "disable_shadow_doorbells": false}"#,
                    .nothing
                ))
        let all = try mapped(
            "nvmf_create_transport", "--trtype", "rdma", "-g", "t", "-q", "256", "-m", "8", "-c", "0", "-i", "131072",
            "-a", "64", "-n", "8191", "-b", "16", "-z", "-d", "256", "-s", "1024", "-r", "-o", "-f", "-y", "1", "-l",
            "50", "-x", "2", "-w", "-e", "4", "-M", "-I", "-S", "--acceptor-poll-rate", "100"
        ).params
        #expect(
            all
                == #"{"trtype": "rdma", "tgt_name": "t", "max_queue_depth": 256, "max_io_qpairs_per_ctrlr": 8, "in_capsule_data_size": 0, "max_io_size": 131072, "max_aq_depth": 64, "num_shared_buffers": 8191, "buf_cache_size": 16, "zcopy": true, "num_cqe": 256, "max_srq_depth": 1024, "no_srq": true, "c2h_success": false, "dif_insert_or_strip": true, "sock_priority": 1, "acceptor_backlog": 50, "abort_timeout_sec": 2, "no_wr_batching": true, "control_msg_num": 4, "disable_mappable_bar0": true, "disable_adaptive_irq": true, "disable_shadow_doorbells": true, "acceptor_poll_rate": 100}"#
        )
        #expect(refuses("nvmf_create_transport"), "-t/--trtype is required")
        #expect(try mapped("nvmf_get_transports") == ("nvmf_get_transports", "{}", .dict))
        #expect(
            try mapped("nvmf_get_transports", "--trtype", "RDMA", "-t", "tg").params
                == #"{"tgt_name": "tg", "trtype": "RDMA"}"#)
    }

    @Test func subsystemLifecycle() throws {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        #expect(
            try mapped("nvmf_create_subsystem", nqn, "-a", "-s", "SPDK00000000000001", "-d", "Model")
                == (
                    "nvmf_create_subsystem",
                    #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "serial_number": "SPDK00000000000001", "model_number": "Model", "allow_any_host": true}"#,
                    .nothing
                ))
        #expect(
            try mapped(
                "nvmf_create_subsystem", nqn, "-t", "tg", "-m", "0", "-r", "-i", "5", "-I", "9", "--max-discard-size",
                "0", "--max-write-zeroes-size", "4"
            ).params
                == #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "max_namespaces": 0, "tgt_name": "tg", "ana_reporting": true, "min_cntlid": 5, "max_cntlid": 9, "max_discard_size_kib": 0, "max_write_zeroes_size_kib": 4}"#
        )
        #expect(
            try mapped("nvmf_create_subsystem", nqn, "--min_cntlid", "2", "--max_cntlid=3").params
                == #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "min_cntlid": 2, "max_cntlid": 3}"#,
            "rpc.py's underscore spellings")
        #expect(
            try mapped("nvmf_delete_subsystem", nqn, "--tgt_name", "tg")
                == ("nvmf_delete_subsystem", #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "tgt_name": "tg"}"#, .nothing))
        #expect(try mapped("nvmf_get_subsystems") == ("nvmf_get_subsystems", "{}", .dict))
        #expect(try mapped("nvmf_get_subsystems", nqn, "-t", "tg").params == #"{"tgt_name": "tg", "nqn": "\#(nqn)"}"#)
        #expect(try mapped("nvmf_get_stats") == ("nvmf_get_stats", "{}", .dict))
        #expect(try mapped("nvmf_get_stats", "-t", "tg").params == #"{"tgt_name": "tg"}"#)
    }

    @Test func listenersGroupTheAddress() throws {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        #expect(
            try mapped("nvmf_subsystem_add_listener", nqn, "-t", "rdma", "-a", "192.168.1.10", "-s", "4420")
                == (
                    "nvmf_subsystem_add_listener",
                    #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "secure_channel": false, "listen_address": {"trtype": "rdma", "traddr": "192.168.1.10", "trsvcid": "4420"}}"#,
                    .nothing
                ))
        #expect(
            try mapped(
                "nvmf_subsystem_add_listener", "discovery", "--trtype", "RDMA", "--traddr", "fe80::1", "-f", "ipv6",
                "-p", "tg", "-k", "-n", "optimized"
            ).params
                == #"{"nqn": "nqn.2014-08.org.nvmexpress.discovery", "tgt_name": "tg", "secure_channel": true, "ana_state": "optimized", "listen_address": {"trtype": "RDMA", "traddr": "fe80::1", "adrfam": "ipv6"}}"#
        )
        #expect(refuses("nvmf_subsystem_add_listener", nqn, "-t", "rdma"), "-a/--traddr is required")
        #expect(
            try mapped(
                "nvmf_subsystem_remove_listener", nqn, "-t", "rdma", "-a", "10.0.0.1", "-s", "4420", "-f", "ipv4")
                == (
                    "nvmf_subsystem_remove_listener",
                    #"{"nqn": "nqn.2016-06.io.spdk:cnode1", "listen_address": {"trtype": "rdma", "traddr": "10.0.0.1", "trsvcid": "4420", "adrfam": "ipv4"}}"#,
                    .nothing
                ))
        #expect(
            try mapped("nvmf_subsystem_remove_listener", "discovery", "-t", "rdma", "-a", "10.0.0.1", "-p", "tg").params
                == #"{"nqn": "nqn.2014-08.org.nvmexpress.discovery", "listen_address": {"trtype": "rdma", "traddr": "10.0.0.1"}, "tgt_name": "tg"}"#
        )
    }

    @Test func namespaces() throws {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        #expect(
            try mapped("nvmf_subsystem_add_ns", nqn, "Malloc0")
                == (
                    "nvmf_subsystem_add_ns", #"{"nqn": "\#(nqn)", "namespace": {"bdev_name": "Malloc0"}}"#, .nothing
                ))
        #expect(
            try mapped(
                "nvmf_subsystem_add_ns", nqn, "M", "-n", "3", "-g", "00112233445566778899AABBCCDDEEFF", "-e",
                "0011223344556677", "-u", "u", "-a", "3", "-p", "/tmp/ptpl", "-t", "tg"
            ).params
                == #"{"nqn": "\#(nqn)", "namespace": {"bdev_name": "M", "ptpl_file": "/tmp/ptpl", "nsid": 3, "nguid": "00112233445566778899AABBCCDDEEFF", "eui64": "0011223344556677", "uuid": "u", "anagrpid": 3}, "tgt_name": "tg"}"#
        )
        #expect(
            try mapped("nvmf_subsystem_add_ns", nqn, "M", "-n", "0").params
                == #"{"nqn": "\#(nqn)", "namespace": {"bdev_name": "M"}}"#, "nsid 0 means any, and is not sent")
        #expect(
            try mapped("nvmf_subsystem_remove_ns", nqn, "2")
                == ("nvmf_subsystem_remove_ns", #"{"nqn": "\#(nqn)", "nsid": 2}"#, .nothing))
        #expect(refuses("nvmf_subsystem_remove_ns", nqn, "two"))
    }

    @Test func hosts() throws {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        let host = "nqn.2014-08.org.nvmexpress:uuid:1"
        #expect(
            try mapped("nvmf_subsystem_add_host", nqn, host)
                == ("nvmf_subsystem_add_host", #"{"nqn": "\#(nqn)", "host": "\#(host)"}"#, .nothing))
        #expect(
            try mapped("nvmf_subsystem_add_host", nqn, host, "-t", "tg", "--psk", "/k").params
                == #"{"nqn": "\#(nqn)", "host": "\#(host)", "tgt_name": "tg", "psk": "/k"}"#)
        #expect(
            try mapped("nvmf_subsystem_remove_host", nqn, host, "-t", "tg")
                == (
                    "nvmf_subsystem_remove_host", #"{"nqn": "\#(nqn)", "host": "\#(host)", "tgt_name": "tg"}"#, .nothing
                ))
        #expect(
            try mapped("nvmf_subsystem_allow_any_host", nqn)
                == ("nvmf_subsystem_allow_any_host", #"{"nqn": "\#(nqn)", "allow_any_host": true}"#, .nothing))
        #expect(try mapped("nvmf_subsystem_allow_any_host", nqn, "-e").params.contains(#""allow_any_host": true"#))
        #expect(try mapped("nvmf_subsystem_allow_any_host", nqn, "-d").params.contains(#""allow_any_host": false"#))
        #expect(
            try mapped("nvmf_subsystem_allow_any_host", nqn, "-e", "--disable", "-t", "tg").params
                == #"{"nqn": "\#(nqn)", "allow_any_host": false, "tgt_name": "tg"}"#, "as in rpc.py, -d wins")
    }

    @Test func subsystemQueriesPrintTheAnswer() throws {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        for method in ["nvmf_subsystem_get_controllers", "nvmf_subsystem_get_qpairs", "nvmf_subsystem_get_listeners"] {
            #expect(try mapped(method, nqn) == (method, #"{"nqn": "\#(nqn)"}"#, .dict))
            #expect(try mapped(method, nqn, "--tgt-name", "tg").params == #"{"nqn": "\#(nqn)", "tgt_name": "tg"}"#)
            #expect(refuses(method))
        }
    }

    @Test func unknownMethodsAndOptionsAreRefused() {
        #expect(refuses("bdev_lvol_create", "x"))
        #expect(refuses("bdev_get_bdevs", "--bogus"))
    }
}
