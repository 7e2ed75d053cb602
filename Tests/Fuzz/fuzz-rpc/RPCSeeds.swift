import FuzzSupport

/// Seed inputs (`--write-seeds`; committed under Tests/Fuzz/corpus/fuzz-rpc):
/// request streams as rpc.py and runbooks send them, back to back.
extension RPCHarness {
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let nqn = "nqn.2016-06.io.spdk:cnode1"
        var id = 0
        func call(_ method: String, _ params: String? = nil) -> String {
            id += 1
            let p = params.map { #", "params": \#($0)"# } ?? ""
            return #"{"jsonrpc": "2.0", "method": "\#(method)", "id": \#(id)\#(p)}"#
        }
        let listen = #"{"trtype": "RDMA", "adrfam": "IPv4", "traddr": "10.0.0.1", "trsvcid": "4420"}"#
        let all: [(String, [String])] = [
            (
                "runbook",
                [
                    call("bdev_malloc_create", #"{"name": "Malloc0", "num_blocks": 2048, "block_size": 512}"#),
                    call(
                        "nvmf_create_subsystem",
                        #"{"nqn": "\#(nqn)", "allow_any_host": true, "serial_number": "SPDK01"}"#),
                    call(
                        "nvmf_subsystem_add_ns",
                        #"{"nqn": "\#(nqn)", "namespace": {"bdev_name": "Malloc0", "nsid": 2}}"#),
                    call("nvmf_subsystem_add_listener", #"{"nqn": "\#(nqn)", "listen_address": \#(listen)}"#),
                    call(
                        "nvmf_subsystem_add_host", #"{"nqn": "\#(nqn)", "host": "nqn.2014-08.org.nvmexpress:uuid:1"}"#),
                    call("nvmf_get_subsystems"), call("bdev_get_bdevs"), call("save_config"),
                ]
            ),
            (
                "teardown",
                [
                    call("bdev_null_create", #"{"name": "Null0", "num_blocks": 1024, "block_size": 4096}"#),
                    call("bdev_aio_create", #"{"name": "Aio0", "filename": "fuzz-aio.img", "block_size": 512}"#),
                    call("nvmf_create_subsystem", #"{"nqn": "\#(nqn)"}"#),
                    call("nvmf_subsystem_add_ns", #"{"nqn": "\#(nqn)", "namespace": {"bdev_name": "Aio0"}}"#),
                    call("bdev_aio_delete", #"{"name": "Aio0"}"#),
                    call("nvmf_subsystem_remove_ns", #"{"nqn": "\#(nqn)", "nsid": 1}"#),
                    call("nvmf_subsystem_remove_listener", #"{"nqn": "\#(nqn)", "listen_address": \#(listen)}"#),
                    call("nvmf_subsystem_allow_any_host", #"{"nqn": "\#(nqn)", "allow_any_host": false}"#),
                    call("nvmf_delete_subsystem", #"{"nqn": "\#(nqn)"}"#),
                    call("bdev_aio_delete", #"{"name": "Aio0"}"#),
                    call("nvmf_get_stats"), call("nvmf_subsystem_get_qpairs", #"{"nqn": "\#(nqn)"}"#),
                ]
            ),
            (
                "odd",
                [
                    #"{"jsonrpc": "2.0", "method": "spdk_get_version"}"#, "[1, 2]",
                    #"{"jsonrpc": "1.0", "method": "x", "id": "a"}"#, call("rpc_get_methods", "{}"),
                    call("nope"), #"{"jsonrpc": "2.0", "method": "save_config", "id": {"x": 1}}"#,
                ]
            ),
        ]
        return all.map { ($0.0 + ".json", Array($0.1.joined(separator: "\n").utf8)) }
    }
}

@main enum Main {
    static func main() {
        harnessMain(name: "fuzz-rpc", seeds: RPCHarness.seeds, run: { RPCHarness.shared.run($0) })
    }
}
