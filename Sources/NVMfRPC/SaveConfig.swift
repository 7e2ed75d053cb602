import Backends
import NVMfConfig
import RBDBackend
import Target

// save_config: the running configuration in SPDK's file format, which
// `nvmf-tgt --config` reads back (the same names, identifiers and serials).

extension RPCMethods {
    func registerSaveConfig() {
        register("save_config") { m, _ throws(RPCError) in m.savedConfiguration() }
    }

    /// `{"subsystems": [bdev, nvmf]}` as SPDK writes it.
    public func savedConfiguration() -> JSONValue {
        var bdevs: [JSONValue] = []
        // Clusters before the devices that name them, as SPDK writes them.
        for c in state.rbdClusters.all {
            bdevs.append(
                .object(["method": .string("bdev_rbd_register_cluster"), "params": .object(Self.clusterParams(c))]))
        }
        for info in target.deviceInfos {
            let d = info.device
            let call: (String, [String: JSONValue])
            switch d {
            case let rbd as RBDBlockDevice:
                var p: [String: JSONValue] = [
                    "name": .string(d.name), "pool_name": .string(rbd.poolName), "rbd_name": .string(rbd.imageName),
                    "block_size": .int(d.blockSize), "uuid": .string("\(d.uuid)"), "read_only": .bool(rbd.isReadOnly),
                ]
                if rbd.ownsCluster {
                    if let user = rbd.cluster.options.userID { p["user_id"] = .string(user) }
                    if let config = rbd.privateConfig, !config.isEmpty {
                        p["config"] = .object(
                            Dictionary(uniqueKeysWithValues: config.map { ($0.key, JSONValue.string($0.value)) }))
                    }
                } else {
                    p["cluster_name"] = .string(rbd.cluster.name)
                }
                call = ("bdev_rbd_create", p)
            case let aio as AioBlockDevice:
                call = (
                    "bdev_aio_create",
                    [
                        "name": .string(d.name), "filename": .string(aio.path), "block_size": .int(d.blockSize),
                        "readonly": .bool(aio.isReadOnly), "uuid": .string("\(d.uuid)"),
                    ]
                )
            case is NullBlockDevice:
                call = (
                    "bdev_null_create",
                    [
                        "name": .string(d.name), "num_blocks": .int(d.blockCount), "block_size": .int(d.blockSize),
                        "uuid": .string("\(d.uuid)"),
                    ]
                )
            default:
                call = (
                    "bdev_malloc_create",
                    [
                        "name": .string(d.name), "num_blocks": .int(d.blockCount), "block_size": .int(d.blockSize),
                        "uuid": .string("\(d.uuid)"),
                    ]
                )
            }
            bdevs.append(.object(["method": .string(call.0), "params": .object(call.1)]))
        }
        var nvmf: [JSONValue] = [
            .object([
                "method": .string("nvmf_create_transport"), "params": .object(Self.transportParams(state.transport)),
            ])
        ]
        for s in target.subsystems {
            nvmf.append(
                .object([
                    "method": .string("nvmf_create_subsystem"),
                    "params": .object([
                        "nqn": .string(s.nqn), "serial_number": .string(s.serialNumber),
                        "model_number": .string(s.modelNumber), "allow_any_host": .bool(s.allowAnyHost),
                        "max_namespaces": .int(s.maxNamespaces), "min_cntlid": .int(s.controllerIDRange.lowerBound),
                        "max_cntlid": .int(s.controllerIDRange.upperBound), "ana_reporting": .bool(s.anaReporting),
                    ]),
                ]))
            for l in s.listeners {
                nvmf.append(
                    .object([
                        "method": .string("nvmf_subsystem_add_listener"),
                        "params": .object(["nqn": .string(s.nqn), "listen_address": Self.addressJSON(l)]),
                    ]))
                // SPDK's save_config leaves ANA states out; ours keeps them, one
                // call per group that is not optimized (SPDK's rpc accepts these calls).
                for (i, state) in (s.anaStates(listener: l) ?? []).enumerated() where state != .optimized {
                    nvmf.append(
                        .object([
                            "method": .string("nvmf_subsystem_listener_set_ana_state"),
                            "params": .object([
                                "nqn": .string(s.nqn), "listen_address": Self.addressJSON(l),
                                "ana_state": .string(ConfigCall.name(of: state)), "anagrpid": .int(i + 1),
                            ]),
                        ]))
                }
            }
            for h in s.allowedHosts {
                nvmf.append(
                    .object([
                        "method": .string("nvmf_subsystem_add_host"),
                        "params": .object(["nqn": .string(s.nqn), "host": .string(h)]),
                    ]))
            }
            for n in s.namespaceInfos {
                var ns: [String: JSONValue] = [
                    "nsid": .int(n.namespaceID), "bdev_name": .string(n.deviceName),
                    "nguid": .string(Self.hex(n.nguid)), "uuid": .string(Self.uuidString(n.uuid)),
                ]
                if n.eui64.contains(where: { $0 != 0 }) { ns["eui64"] = .string(Self.hex(n.eui64)) }
                if s.anaReporting { ns["anagrpid"] = .int(n.anaGroupID) }
                if let f = n.reservationFile { ns["ptpl_file"] = .string(f) }
                nvmf.append(
                    .object([
                        "method": .string("nvmf_subsystem_add_ns"),
                        "params": .object(["nqn": .string(s.nqn), "namespace": .object(ns)]),
                    ]))
            }
        }
        return .object([
            "subsystems": .array([
                .object(["subsystem": .string("bdev"), "config": .array(bdevs)]),
                .object(["subsystem": .string("nvmf"), "config": .array(nvmf)]),
            ])
        ])
    }
}

extension RPCMethods {
    /// `bdev_rbd_register_cluster`'s params for a registered cluster (also
    /// `bdev_rbd_get_clusters_info`'s answer, with the client address).
    static func clusterParams(_ c: RBDCluster) -> [String: JSONValue] {
        var p: [String: JSONValue] = ["name": .string(c.name)]
        let o = c.options
        if let user = o.userID { p["user_id"] = .string(user) }
        if !o.configParams.isEmpty {
            p["config_param"] = .object(
                Dictionary(uniqueKeysWithValues: o.configParams.map { ($0.key, JSONValue.string($0.value)) }))
        }
        if let f = o.configFile { p["config_file"] = .string(f) }
        if let k = o.keyFile { p["key_file"] = .string(k) }
        if let m = o.coreMask { p["core_mask"] = .string("0x" + String(m, radix: 16)) }
        return p
    }
}
