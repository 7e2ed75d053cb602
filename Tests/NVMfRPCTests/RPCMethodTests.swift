import Backends
import Logging
import NVMfConfig
import Target
import Testing

@testable import NVMfRPC

/// Runs requests against a fresh target, no socket, with one poll group
/// driven by its own thread (as a transport would) so that methods waiting
/// for the poll groups get their answer.
final class RPCHarness {
    let target = NVMfTarget()
    let methods: RPCMethods
    let group: PollGroup
    private let stop = CompletionFlag()
    private let pump: JoinableThread

    init() {
        methods = RPCMethods(target: target, state: AppliedConfiguration(), logger: Logger(label: "test.rpc"))
        let g = target.makePollGroup()
        group = g
        let stop = self.stop
        pump = JoinableThread {
            g.bindToCurrentThread()
            while !stop.isSet { g.poll() }
            g.shutdown()
        }
        pump.start()
    }

    deinit {
        stop.set()
        pump.join()
        target.closeAllDevices()
    }

    func call(_ method: String, _ params: [String: JSONValue]? = nil) -> Result<JSONValue, RPCError> {
        methods.run(RPCRequest(id: .number(1), method: method, params: params.map { .object($0) }))
    }

    func ok(_ method: String, _ params: [String: JSONValue]? = nil, sourceLocation: SourceLocation = #_sourceLocation)
        -> JSONValue?
    {
        switch call(method, params) {
        case .success(let v): return v
        case .failure(let e):
            Issue.record("\(method) failed: \(e)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func error(_ method: String, _ params: [String: JSONValue]? = nil) -> RPCError? {
        if case .failure(let e) = call(method, params) { return e }
        return nil
    }
}

@Suite(.serialized) struct RPCMethodTests {
    static let nqn = "nqn.2026-01.io.swift:rpc"

    func makeSubsystem(_ h: RPCHarness) {
        _ = h.ok(
            "bdev_malloc_create", ["name": .string("Malloc0"), "num_blocks": .number(1024), "block_size": .number(512)])
        _ = h.ok(
            "nvmf_create_subsystem",
            ["nqn": .string(Self.nqn), "allow_any_host": .bool(true), "serial_number": .string("SN1")])
    }

    @Test func aNamespaceAddedAndRemovedAtRuntimeReleasesItsBdev() throws {
        let h = RPCHarness()
        makeSubsystem(h)
        #expect(
            h.ok(
                "nvmf_subsystem_add_ns",
                ["nqn": .string(Self.nqn), "namespace": .object(["bdev_name": .string("Malloc0")])]) == .number(1))
        let bdevs = try #require(h.ok("bdev_get_bdevs", ["name": .string("Malloc0")]))
        guard case .array(let list) = bdevs, case .object(let b)? = list.first else {
            Issue.record("\(bdevs)")
            return
        }
        #expect(b["claimed"] == .bool(true) && b["product_name"] == .string("Malloc disk"))

        let refused = try #require(h.error("bdev_malloc_delete", ["name": .string("Malloc0")]))
        #expect(refused.code == -32602 && refused.message.contains("in use by \(Self.nqn) nsid 1"), "\(refused)")

        #expect(h.ok("nvmf_subsystem_remove_ns", ["nqn": .string(Self.nqn), "nsid": .number(1)]) == .bool(true))
        #expect(h.ok("bdev_malloc_delete", ["name": .string("Malloc0")]) == .bool(true))
        #expect(h.ok("bdev_get_bdevs") == .array([]))
        #expect(
            h.error("nvmf_subsystem_remove_ns", ["nqn": .string(Self.nqn), "nsid": .number(1)])?.message.contains(
                "no namespace 1") == true)
    }

    @Test func everyMethodNamesTheFieldItRefuses() throws {
        let h = RPCHarness()
        makeSubsystem(h)
        let cases: [(String, [String: JSONValue]?, String)] = [
            ("nvmf_subsystem_add_ns", ["nqn": .string(Self.nqn)], "namespace: required"),
            (
                "nvmf_subsystem_add_ns",
                ["nqn": .string(Self.nqn), "namespace": .object(["bdev_name": .string("nope")])],
                "no bdev named \"nope\""
            ),
            (
                "nvmf_subsystem_add_ns",
                ["nqn": .string("nqn.2026-01.io.swift:none"), "namespace": .object(["bdev_name": .string("Malloc0")])],
                "no subsystem"
            ),
            ("nvmf_subsystem_remove_ns", ["nqn": .string(Self.nqn)], "nsid: required"),
            ("nvmf_subsystem_remove_ns", ["nqn": .string(Self.nqn), "nsid": .string("x")], "nsid: must be an integer"),
            (
                "bdev_malloc_create", ["name": .string("M1"), "num_blocks": .number(-1), "block_size": .number(512)],
                "num_blocks"
            ),
            (
                "bdev_malloc_create",
                ["name": .string("M1"), "num_blocks": .number(8), "block_size": .number(512), "bogus": .bool(true)],
                "bogus"
            ),
            (
                "bdev_malloc_create",
                ["name": .string("Malloc0"), "num_blocks": .number(8), "block_size": .number(512)], "already exists"
            ),
            ("bdev_null_delete", ["name": .string("Malloc0")], "not a Null bdev"),
            ("nvmf_create_subsystem", ["nqn": .string("not-an-nqn")], "invalid NQN"),
            ("nvmf_create_subsystem", ["nqn": .string(Self.nqn)], "already exists"),
            ("nvmf_subsystem_add_host", ["nqn": .string(Self.nqn), "host": .string("bad host")], "invalid NQN"),
            (
                "nvmf_subsystem_remove_host", ["nqn": .string(Self.nqn), "host": .string("nqn.2014-08.org.x:h")],
                "not allowed"
            ),
            (
                "nvmf_subsystem_remove_listener",
                [
                    "nqn": .string(Self.nqn),
                    "listen_address": .object([
                        "trtype": .string("RDMA"), "traddr": .string("10.9.9.9"), "trsvcid": .string("4420"),
                        "adrfam": .string("IPv4"),
                    ]),
                ], "no listener"
            ),
            ("nvmf_subsystem_allow_any_host", ["nqn": .string(Self.nqn)], "allow_any_host: required"),
            ("nvmf_delete_subsystem", ["nqn": .string("nqn.2026-01.io.swift:none")], "no subsystem"),
            ("spdk_kill_instance", ["sig_name": .string("SIGNOPE")], "unknown signal"),
            ("rpc_get_methods", ["current": .string("yes")], "current: must be a boolean"),
            ("nvmf_get_subsystems", ["tgt_name": .string("other")], "one target"),
            (
                "nvmf_create_subsystem", ["nqn": .string("nqn.2026-01.io.swift:t2"), "tgt_name": .string("x")],
                "one target"
            ),
            ("nvmf_get_transports", ["trtype": .string("TCP")], "RDMA only"),
        ]
        for (method, params, words) in cases {
            let e = h.error(method, params)
            #expect(e != nil, "\(method) \(String(describing: params)) was accepted")
            #expect(e?.message.contains(words) == true, "\(method): \(e?.message ?? "-")")
        }
        #expect(h.error("no_such_method")?.code == -32601)
        #expect(h.error("nvmf_create_transport", ["trtype": .string("RDMA")])?.code == -1)
        #expect(h.target.subsystemNQNs == [Self.nqn], "no refused call left a subsystem behind")
        #expect(h.target.deviceNames == ["Malloc0"], "no refused call left a bdev behind")
    }

    @Test func hostsListenersAndTheSubsystemListReflectTheCalls() throws {
        let h = RPCHarness()
        makeSubsystem(h)
        let host = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
        _ = h.ok("nvmf_subsystem_allow_any_host", ["nqn": .string(Self.nqn), "allow_any_host": .bool(false)])
        _ = h.ok("nvmf_subsystem_add_host", ["nqn": .string(Self.nqn), "host": .string(host)])
        let address: JSONValue = .object([
            "trtype": .string("RDMA"), "adrfam": .string("IPv4"), "traddr": .string("10.0.0.7"),
            "trsvcid": .string("4420"),
        ])
        _ = h.ok("nvmf_subsystem_add_listener", ["nqn": .string(Self.nqn), "listen_address": address])
        let list = try #require(h.ok("nvmf_get_subsystems"))
        guard case .array(let subs) = list, subs.count == 2, case .object(let s) = subs[1] else {
            Issue.record("\(list)")
            return
        }
        #expect(s["nqn"] == .string(Self.nqn) && s["allow_any_host"] == .bool(false))
        #expect(s["hosts"] == .array([.object(["nqn": .string(host)])]))
        #expect(s["listen_addresses"] == .array([address]))
        #expect(s["serial_number"] == .string("SN1"))
        #expect(
            h.ok("nvmf_subsystem_get_listeners", ["nqn": .string(Self.nqn)]) == .array([.object(["address": address])]))
        _ = h.ok("nvmf_subsystem_remove_listener", ["nqn": .string(Self.nqn), "listen_address": address])
        #expect(h.ok("nvmf_subsystem_get_listeners", ["nqn": .string(Self.nqn)]) == .array([]))
        _ = h.ok("nvmf_subsystem_remove_host", ["nqn": .string(Self.nqn), "host": .string(host)])
        #expect(h.target.subsystem(nqn: Self.nqn)?.allowedHosts == [])
        #expect(h.ok("nvmf_delete_subsystem", ["nqn": .string(Self.nqn)]) == .bool(true))
        #expect(h.target.subsystemNQNs.isEmpty)
    }

    @Test func statisticsComeFromEveryPollGroup() throws {
        let h = RPCHarness()
        let stats = try #require(h.ok("nvmf_get_stats"))
        guard case .object(let o) = stats, case .array(let groups)? = o["poll_groups"],
            case .object(let g)? = groups.first
        else {
            Issue.record("\(stats)")
            return
        }
        #expect(groups.count == 1)
        #expect(g["name"] == .string("nvmf_tgt_poll_group_0") && g["current_io_qpairs"] == .number(0))
    }

    @Test func saveConfigRoundTripsThroughTheStartupConfig() throws {
        let h = RPCHarness()
        makeSubsystem(h)
        _ = h.ok(
            "nvmf_subsystem_add_ns",
            ["nqn": .string(Self.nqn), "namespace": .object(["bdev_name": .string("Malloc0"), "nsid": .number(3)])])
        _ = h.ok(
            "nvmf_subsystem_add_listener",
            [
                "nqn": .string(Self.nqn),
                "listen_address": .object([
                    "trtype": .string("RDMA"), "adrfam": .string("IPv4"), "traddr": .string("10.0.0.7"),
                    "trsvcid": .string("4420"),
                ]),
            ])
        let saved = try #require(h.ok("save_config"))
        let file = try ConfigFile(json: saved.encoded)
        let again = NVMfTarget()
        _ = try file.apply(to: again, logger: Logger(label: "test.rpc"))
        let before = try #require(h.target.subsystem(nqn: Self.nqn))
        let after = try #require(again.subsystem(nqn: Self.nqn))
        #expect(after.namespaceInfos == before.namespaceInfos, "same NSIDs, bdevs, NGUIDs and UUIDs")
        #expect(after.serialNumber == before.serialNumber && after.modelNumber == before.modelNumber)
        #expect(after.listeners.map(\.address) == ["10.0.0.7"])
        #expect(again.device(named: "Malloc0")?.uuid == h.target.device(named: "Malloc0")?.uuid)
        again.closeAllDevices()
    }
}

/// Issue 14: ANA through the RPC socket and the config file.
@Suite(.serialized) struct RPCANATests {
    static let nqn = "nqn.2026-01.io.swift:ana"

    static func address(_ ip: String) -> JSONValue {
        .object(["trtype": .string("RDMA"), "traddr": .string(ip), "trsvcid": .string("4420")])
    }

    @Test func listenerStatesAreSetReportedAndSaved() throws {
        let h = RPCHarness()
        _ = h.ok(
            "bdev_malloc_create", ["name": .string("M0"), "num_blocks": .number(1024), "block_size": .number(512)])
        _ = h.ok(
            "bdev_malloc_create", ["name": .string("M1"), "num_blocks": .number(1024), "block_size": .number(512)])
        _ = h.ok(
            "nvmf_create_subsystem",
            ["nqn": .string(Self.nqn), "ana_reporting": .bool(true), "max_namespaces": .number(4)])
        let nqn = JSONValue.string(Self.nqn)
        _ = h.ok("nvmf_subsystem_add_ns", ["nqn": nqn, "namespace": .object(["bdev_name": .string("M0")])])
        _ = h.ok(
            "nvmf_subsystem_add_ns",
            ["nqn": nqn, "namespace": .object(["bdev_name": .string("M1"), "anagrpid": .number(1)])])
        _ = h.ok("nvmf_subsystem_add_listener", ["nqn": nqn, "listen_address": Self.address("10.0.0.1")])
        _ = h.ok(
            "nvmf_subsystem_add_listener",
            ["nqn": nqn, "listen_address": Self.address("10.0.0.2"), "ana_state": .string("non_optimized")])
        #expect(
            h.ok(
                "nvmf_subsystem_listener_set_ana_state",
                [
                    "nqn": nqn, "listen_address": Self.address("10.0.0.1"), "ana_state": .string("inaccessible"),
                    "anagrpid": .number(3),
                ]) == .bool(true))
        let listeners = try #require(h.ok("nvmf_subsystem_get_listeners", ["nqn": nqn]))
        guard case .array(let list) = listeners, list.count == 2, case .object(let first) = list[0],
            case .array(let states)? = first["ana_states"], case .object(let second) = list[1],
            case .array(let secondStates)? = second["ana_states"]
        else {
            Issue.record("\(listeners)")
            return
        }
        #expect(states.count == 4, "one entry per group 1...max_namespaces, as SPDK")
        #expect(states[2] == .object(["ana_group": .number(3), "ana_state": .string("inaccessible")]))
        #expect(states[0] == .object(["ana_group": .number(1), "ana_state": .string("optimized")]))
        #expect(
            secondStates.allSatisfy {
                if case .object(let o) = $0 { return o["ana_state"] == .string("non_optimized") }
                return false
            })

        // save_config keeps reporting, groups and states; a target started from it has them.
        let saved = try #require(h.ok("save_config"))
        let again = NVMfTarget()
        _ = try ConfigFile(json: saved.encoded).apply(to: again, logger: Logger(label: "test.rpc"))
        let s = try #require(again.subsystem(nqn: Self.nqn))
        #expect(s.anaReporting)
        #expect(s.namespaceInfos.map(\.anaGroupID) == [1, 1])
        #expect(
            s.anaStates(listener: ListenerAddress(address: "10.0.0.1")) == [
                .optimized, .optimized, .inaccessible, .optimized,
            ])
        #expect(
            s.anaStates(listener: ListenerAddress(address: "10.0.0.2")) == Array(repeating: .nonOptimized, count: 4))
        again.closeAllDevices()
    }

    @Test func badANACallsAreRefusedByName() throws {
        let h = RPCHarness()
        _ = h.ok("nvmf_create_subsystem", ["nqn": .string(Self.nqn), "ana_reporting": .bool(true)])
        _ = h.ok("nvmf_create_subsystem", ["nqn": .string(Self.nqn + "-plain")])
        let nqn = JSONValue.string(Self.nqn)
        _ = h.ok("nvmf_subsystem_add_listener", ["nqn": nqn, "listen_address": Self.address("10.0.0.1")])
        _ = h.ok(
            "nvmf_subsystem_add_listener",
            ["nqn": .string(Self.nqn + "-plain"), "listen_address": Self.address("10.0.0.1")])
        let set = "nvmf_subsystem_listener_set_ana_state"
        let cases: [([String: JSONValue], String)] = [
            (
                ["nqn": nqn, "listen_address": Self.address("10.0.0.1"), "ana_state": .string("sleepy")],
                "ana_state: unknown ANA state \"sleepy\""
            ),
            (["nqn": nqn, "listen_address": Self.address("10.0.0.1")], "ana_state: required"),
            (
                ["nqn": nqn, "listen_address": Self.address("10.0.0.9"), "ana_state": .string("inaccessible")],
                "no listener at 10.0.0.9 port 4420"
            ),
            (
                [
                    "nqn": nqn, "listen_address": Self.address("10.0.0.1"), "ana_state": .string("inaccessible"),
                    "anagrpid": .number(33),
                ],
                "anagrpid 33 is outside 1...max_namespaces"
            ),
            (
                [
                    "nqn": .string(Self.nqn + "-plain"), "listen_address": Self.address("10.0.0.1"),
                    "ana_state": .string("inaccessible"),
                ],
                "was created without ana_reporting"
            ),
            (
                [
                    "nqn": .string("nqn.2026-01.io.swift:none"), "listen_address": Self.address("10.0.0.1"),
                    "ana_state": .string("optimized"),
                ],
                "no subsystem"
            ),
        ]
        for (params, fragment) in cases {
            let e = h.error(set, params)
            #expect(e?.code == -32602 && e?.message.contains(fragment) == true, "\(params): \(String(describing: e))")
        }
        let addNonOptimized = h.error(
            "nvmf_subsystem_add_listener",
            [
                "nqn": .string(Self.nqn + "-plain"), "listen_address": Self.address("10.0.0.3"),
                "ana_state": .string("inaccessible"),
            ])
        #expect(addNonOptimized?.message.contains("without ana_reporting") == true)
        #expect(h.target.subsystem(nqn: Self.nqn + "-plain")?.listeners.count == 1, "nothing half made")
    }
}

@Suite struct RPCDispatchTests {
    @Test func malformedInputGetsJSONRPCErrors() {
        let h = RPCHarness()
        let parse = h.methods.handle(Array("{\"jsonrpc\":".utf8))
        #expect(
            parse
                == RPCResponse.error(
                    id: .null,
                    .parseError("not valid JSON (at byte 11: a value was expected, found the end of the text)")))
        let batch = h.methods.handle(Array("[{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\",\"id\":1}]".utf8))
        if case .object(let o)? = batch, case .object(let e)? = o["error"] {
            #expect(e["code"] == .number(-32600))
        } else {
            Issue.record("\(String(describing: batch))")
        }
        #expect(
            h.methods.handle(Array("{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\"}".utf8)) == nil,
            "a notification gets no answer")
        let version = h.methods.handle(Array("{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\",\"id\":\"v\"}".utf8))
        if case .object(let o)? = version, case .object(let r)? = o["result"] {
            #expect(o["id"] == .string("v"))
            #expect((r["version"].map { "\($0)" } ?? "").contains("SPDK v24.01"))
        } else {
            Issue.record("\(String(describing: version))")
        }
    }
}
