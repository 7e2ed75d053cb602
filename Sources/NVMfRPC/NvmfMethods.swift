import NVMe
import NVMfConfig
import Target

// The nvmf_* methods: subsystems, listeners, namespaces, hosts, and what is
// connected. Creating calls share the startup config's decoder and applier.

extension RPCMethods {
    func registerNvmfMethods() {
        register("nvmf_create_transport") { m, p throws(RPCError) in
            _ = try m.required(&p, "trtype")
            throw .invalidState("the RDMA transport already exists (it is created at startup from the config)")
        }
        register("nvmf_get_transports") { m, p throws(RPCError) in
            if let t = try m.optionalString(&p, "trtype"), t.lowercased() != "rdma" {
                throw .invalidParams("\(p.path).trtype: no \"\(t)\" transport (this target has RDMA only)")
            }
            try m.targetName(&p)
            return .array([.object(Self.transportParams(m.state.transport))])
        }
        register("nvmf_create_subsystem") { m, p throws(RPCError) in
            _ = try m.applyConfigCall("nvmf_create_subsystem", &p)
            return .bool(true)
        }
        register("nvmf_delete_subsystem") { m, p throws(RPCError) in
            let nqn = try m.required(&p, "nqn")
            try m.targetName(&p)
            try m.waitForPollGroups { done throws(TargetError) in
                try m.target.removeSubsystem(nqn: nqn, onReleased: done)
            }
            return .bool(true)
        }
        register("nvmf_subsystem_add_listener") { m, p throws(RPCError) in
            _ = try m.applyConfigCall("nvmf_subsystem_add_listener", &p)
            return .bool(true)
        }
        register("nvmf_subsystem_listener_set_ana_state") { m, p throws(RPCError) in
            _ = try m.applyConfigCall("nvmf_subsystem_listener_set_ana_state", &p)
            return .bool(true)
        }
        register("nvmf_subsystem_remove_listener") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            let address = try m.listenAddress(&p)
            do throws(TargetError) { try s.removeListener(address) } catch { throw m.targetError(error) }
            return .bool(true)
        }
        register("nvmf_subsystem_add_ns") { m, p throws(RPCError) in
            guard case .namespace(let nsid) = try m.applyConfigCall("nvmf_subsystem_add_ns", &p) else {
                throw .internalError("no namespace was added")
            }
            return .int(nsid)
        }
        register("nvmf_subsystem_remove_ns") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            guard let nsid = try m.optionalInteger(&p, "nsid", in: 1...0xFFFF_FFFE) else {
                throw .invalidParams("\(p.path).nsid: required")
            }
            try m.waitForPollGroups { done throws(TargetError) in try s.removeNamespace(UInt32(nsid), onReleased: done)
            }
            return .bool(true)
        }
        register("nvmf_subsystem_add_host") { m, p throws(RPCError) in
            _ = try m.applyConfigCall("nvmf_subsystem_add_host", &p)
            return .bool(true)
        }
        register("nvmf_subsystem_remove_host") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            let host = try m.required(&p, "host")
            try m.targetName(&p)
            guard s.allowedHosts.contains(host) else {
                throw .invalidParams("\(p.path).host: \"\(host)\" is not allowed in \(s.nqn)")
            }
            s.removeHost(host)
            return .bool(true)
        }
        register("nvmf_subsystem_allow_any_host") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            guard let allow = try m.optionalBool(&p, "allow_any_host") else {
                throw .invalidParams("\(p.path).allow_any_host: required")
            }
            s.allowAnyHost = allow
            return .bool(true)
        }
        register("nvmf_get_subsystems") { m, p throws(RPCError) in
            try m.targetName(&p)
            let discovery: JSONValue = .object([
                "nqn": .string(m.target.discoveryNQN), "subtype": .string("Discovery"),
                "listen_addresses": .array(m.target.listenerAddresses.map(Self.addressJSON)),
                "allow_any_host": .bool(true), "hosts": .array([]),
            ])
            return .array([discovery] + m.target.subsystems.map(Self.subsystemJSON))
        }
        register("nvmf_subsystem_get_controllers") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            return .array(
                s.controllerInfos.map { c in
                    .object([
                        "cntlid": .int(c.controllerID), "hostnqn": .string(c.hostNQN),
                        "hostid": .string(Self.uuidString(c.hostID)), "num_io_qpairs": .int(c.ioQueueCount),
                    ])
                })
        }
        register("nvmf_subsystem_get_qpairs") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            return .array(
                s.queueInfos.map { q in
                    // completed_nvme_io (ours, not SPDK's): commands the queue has run, so a
                    // script can see which path carries the I/O.
                    var o: [String: JSONValue] = [
                        "cntlid": .int(q.controllerID), "qid": .int(q.queueID), "state": .string("active"),
                        "completed_nvme_io": .int(q.commands),
                    ]
                    if let l = q.listener { o["listen_address"] = Self.addressJSON(l) }
                    return .object(o)
                })
        }
        register("nvmf_subsystem_get_listeners") { m, p throws(RPCError) in
            let s = try m.subsystem(&p)
            try m.targetName(&p)
            return .array(
                s.listeners.map { l in
                    var o: [String: JSONValue] = ["address": Self.addressJSON(l)]
                    if let states = s.anaStates(listener: l) {
                        o["ana_states"] = .array(
                            states.enumerated().map { i, state in
                                .object(["ana_group": .int(i + 1), "ana_state": .string(ConfigCall.name(of: state))])
                            })
                    }
                    return .object(o)
                })
        }
    }

    /// A `listen_address` parameter as the target's listener (PORTID is not part of the endpoint).
    func listenAddress(_ p: inout Params) throws(RPCError) -> ListenerAddress {
        do throws(ConfigError) {
            guard var a = try p.object("listen_address") else {
                throw ConfigError(path: "\(p.path).listen_address", message: "required")
            }
            let l = try ListenerConfig(&a)
            try a.finish()
            return ListenerAddress(addressFamily: l.addressFamily, address: l.address, serviceID: l.serviceID)
        } catch {
            throw RPCError(error)
        }
    }

    static func addressJSON(_ l: ListenerAddress) -> JSONValue {
        .object([
            "trtype": .string(l.transportType == DiscoveryLogEntry.transportRDMA ? "RDMA" : "\(l.transportType)"),
            "adrfam": .string(l.addressFamily == 2 ? "IPv6" : "IPv4"), "traddr": .string(l.address),
            "trsvcid": .string(l.serviceID),
        ])
    }

    static func subsystemJSON(_ s: Subsystem) -> JSONValue {
        .object([
            "nqn": .string(s.nqn), "subtype": .string("NVMe"),
            "listen_addresses": .array(s.listeners.map(addressJSON)), "allow_any_host": .bool(s.allowAnyHost),
            "hosts": .array(s.allowedHosts.map { .object(["nqn": .string($0)]) }),
            "serial_number": .string(s.serialNumber), "model_number": .string(s.modelNumber),
            "max_namespaces": .int(s.maxNamespaces), "min_cntlid": .int(s.controllerIDRange.lowerBound),
            "max_cntlid": .int(s.controllerIDRange.upperBound), "ana_reporting": .bool(s.anaReporting),
            "namespaces": .array(
                s.namespaceInfos.map { n in
                    var o: [String: JSONValue] = [
                        "nsid": .int(n.namespaceID), "bdev_name": .string(n.deviceName), "name": .string(n.deviceName),
                        "nguid": .string(hex(n.nguid)), "uuid": .string(uuidString(n.uuid)),
                    ]
                    if s.anaReporting { o["anagrpid"] = .int(n.anaGroupID) }
                    return .object(o)
                }),
        ])
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
    }

    /// 8-4-4-4-12 lower-case hex.
    static func uuidString(_ b: [UInt8]) -> String {
        guard b.count == 16 else { return hex(b).lowercased() }
        let h = hex(b).lowercased()
        let c = Array(h)
        return [c[0..<8], c[8..<12], c[12..<16], c[16..<20], c[20..<32]].map { String($0) }.joined(separator: "-")
    }

    static func transportParams(_ t: TransportConfig) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "trtype": .string("RDMA"), "max_queue_depth": .int(t.maxQueueDepth),
            "max_aq_depth": .int(t.maxAdminQueueDepth),
            "max_io_qpairs_per_ctrlr": .int(t.maxIOQPairsPerController),
            "in_capsule_data_size": .int(t.inCapsuleDataSize), "max_io_size": .int(t.maxIOSize),
            "io_unit_size": .int(t.ioUnitSize), "max_srq_depth": .int(t.maxSRQDepth), "no_srq": .bool(t.noSRQ),
            "num_shared_buffers": .int(t.numSharedBuffers), "buf_cache_size": .int(t.bufCacheSize),
            "acceptor_backlog": .int(t.acceptorBacklog), "abort_timeout_sec": .int(1),
            "no_wr_batching": .bool(t.noWRBatching), "min_kato": .int(t.minKeepAliveTimeoutMS),
        ]
        if let n = t.numCQE { o["num_cqe"] = .int(n) }
        if let w = t.pollWindowMicroseconds { o["poll_window_us"] = .int(w) }
        if let i = t.pollIdle { o["poll_idle"] = .string(i) }
        if let c = t.pinFirstCPU { o["pin_first_cpu"] = .int(c) }
        if t.schedulingIdle { o["sched_idle"] = .bool(true) }
        return o
    }
}
