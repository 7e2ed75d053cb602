import Backends
import NVMe
import RBDBackend

/// One supported configuration call: SPDK's JSON-RPC method names and
/// parameters, decoded and validated before anything is created.
public enum ConfigCall: Equatable, Sendable {
    /// `bdev_malloc_create`: a RAM block device.
    case bdevMallocCreate(name: String, numBlocks: UInt64, blockSize: Int, uuid: DeviceUUID?)
    /// `bdev_aio_create`: a file or block device through libaio (O_DIRECT).
    case bdevAioCreate(name: String, filename: String, blockSize: Int, readOnly: Bool, uuid: DeviceUUID?)
    /// `bdev_rbd_register_cluster`: a librados connection devices share.
    case bdevRbdRegisterCluster(name: String, options: RBDClusterOptions)
    /// `bdev_rbd_create`: a Ceph RBD image through librbd.
    case bdevRbdCreate(RBDDeviceConfig)
    /// `bdev_null_create`: reads return zeroes, writes are discarded.
    case bdevNullCreate(name: String, numBlocks: UInt64, blockSize: Int, uuid: DeviceUUID?)
    /// `nvmf_create_transport`.
    case nvmfCreateTransport(TransportConfig)
    /// `nvmf_create_subsystem`.
    case nvmfCreateSubsystem(SubsystemConfig)
    /// `nvmf_subsystem_add_listener`; `anaState` (SPDK's `ana_state`) for every group of the listener.
    case nvmfSubsystemAddListener(nqn: String, listener: ListenerConfig, anaState: ANAState?)
    /// `nvmf_subsystem_listener_set_ana_state`: one group (`anagrpid`) or all.
    case nvmfSubsystemListenerSetANAState(nqn: String, listener: ListenerConfig, state: ANAState, groupID: UInt32?)
    /// `nvmf_subsystem_add_ns`.
    case nvmfSubsystemAddNamespace(nqn: String, namespace: NamespaceConfig)
    /// `nvmf_subsystem_add_host`.
    case nvmfSubsystemAddHost(nqn: String, host: String)

    /// The methods this target implements; anything else is refused by name.
    public static let supportedMethods = [
        "bdev_malloc_create", "bdev_aio_create", "bdev_null_create", "nvmf_create_transport",
        "nvmf_create_subsystem", "nvmf_subsystem_add_listener", "nvmf_subsystem_add_ns", "nvmf_subsystem_add_host",
        "nvmf_subsystem_listener_set_ana_state", "bdev_rbd_register_cluster", "bdev_rbd_create",
    ]

    /// ANA state names: SPDK's three, and the two it prints but does not
    /// take (persistent loss, change), which this target also sets.
    public static let anaStateNames: [(String, ANAState)] = [
        ("optimized", .optimized), ("non_optimized", .nonOptimized), ("inaccessible", .inaccessible),
        ("persistent_loss", .persistentLoss), ("change", .change),
    ]

    /// The name of `state` in SPDK's spelling.
    public static func name(of state: ANAState) -> String {
        anaStateNames.first { $0.1 == state }!.0
    }

    static func anaState(_ p: inout Params, _ key: String, required: Bool) throws(ConfigError) -> ANAState? {
        guard let name = required ? try p.requiredString(key) : try p.string(key) else { return nil }
        guard let state = anaStateNames.first(where: { $0.0 == name })?.1 else {
            throw ConfigError(
                path: "\(p.path).\(key)",
                message: "unknown ANA state \"\(name)\" (\(anaStateNames.map { $0.0 }.joined(separator: ", ")))")
        }
        return state
    }

    static func listenAddress(_ p: inout Params) throws(ConfigError) -> ListenerConfig {
        guard var a = try p.object("listen_address") else {
            throw ConfigError(path: "\(p.path).listen_address", message: "required")
        }
        let listener = try ListenerConfig(&a)
        try a.finish()
        return listener
    }

    /// Decodes one `{method, params}` call.
    ///
    /// - Parameter path: where the call sits in the file, for error messages.
    public static func decode(method: String, params: JSONValue?, path: String) throws(ConfigError) -> ConfigCall {
        var p = try Params(params, path: "\(path) (\(method)).params")
        let call: ConfigCall
        switch method {
        case "bdev_malloc_create":
            // SPDK names a nameless malloc bdev MallocN; we require the name so
            // that nvmf_subsystem_add_ns can refer to it unambiguously.
            let (name, blocks, blockSize, uuid) = try sizedDevice(&p)
            try p.ignoreIfDefault("md_interleave", default: .bool(false))
            _ = try p.integer("optimal_io_boundary", in: 0...Int(UInt32.max))
            _ = try p.integer("physical_block_size", in: 0...65536)
            _ = try p.integer("numa_id", in: -1...1024)
            call = .bdevMallocCreate(name: name, numBlocks: blocks, blockSize: blockSize, uuid: uuid)
        case "bdev_aio_create":
            let name = try p.requiredString("name")
            let filename = try p.requiredString("filename")
            let blockSize = try p.integer("block_size", in: 0...65536) ?? 0
            let readOnly = try p.bool("readonly") ?? false
            let uuid = try uuidField(&p, "uuid")
            _ = try p.bool("fallocate")
            try p.ignoreIfDefault("nowait", default: .bool(false))
            call = .bdevAioCreate(name: name, filename: filename, blockSize: blockSize, readOnly: readOnly, uuid: uuid)
        case "bdev_rbd_register_cluster":
            call = try rbdRegisterCluster(&p)
        case "bdev_rbd_create":
            call = try rbdCreate(&p)
        case "bdev_null_create":
            let (name, blocks, blockSize, uuid) = try sizedDevice(&p)
            call = .bdevNullCreate(name: name, numBlocks: blocks, blockSize: blockSize, uuid: uuid)
        case "nvmf_create_transport":
            call = .nvmfCreateTransport(try TransportConfig(&p))
        case "nvmf_create_subsystem":
            call = .nvmfCreateSubsystem(try SubsystemConfig(&p))
        case "nvmf_subsystem_add_listener":
            let nqn = try p.requiredString("nqn")
            try p.targetName()
            let listener = try listenAddress(&p)
            try p.ignoreIfDefault("secure_channel", default: .bool(false))
            let state = try anaState(&p, "ana_state", required: false)
            call = .nvmfSubsystemAddListener(nqn: nqn, listener: listener, anaState: state)
        case "nvmf_subsystem_listener_set_ana_state":
            let nqn = try p.requiredString("nqn")
            try p.targetName()
            let listener = try listenAddress(&p)
            let state = try anaState(&p, "ana_state", required: true)!
            let group = try p.integer("anagrpid", in: 1...Int(UInt32.max)).map { UInt32($0) }
            call = .nvmfSubsystemListenerSetANAState(nqn: nqn, listener: listener, state: state, groupID: group)
        case "nvmf_subsystem_add_ns":
            let nqn = try p.requiredString("nqn")
            try p.targetName()
            guard var n = try p.object("namespace") else {
                throw ConfigError(path: "\(p.path).namespace", message: "required")
            }
            let ns = try NamespaceConfig(&n)
            try n.finish()
            call = .nvmfSubsystemAddNamespace(nqn: nqn, namespace: ns)
        case "nvmf_subsystem_add_host":
            let nqn = try p.requiredString("nqn")
            let host = try p.requiredString("host")
            try p.targetName()
            for key in ["psk", "dhchap_key", "dhchap_ctrlr_key"] where try p.string(key) != nil {
                throw ConfigError(
                    path: "\(p.path).\(key)", message: "authentication keys are not supported by this target")
            }
            call = .nvmfSubsystemAddHost(nqn: nqn, host: host)
        default:
            throw ConfigError(
                path: path,
                message:
                    "method \"\(method)\" is not supported (supported: \(supportedMethods.joined(separator: ", ")))")
        }
        try p.finish()
        return call
    }

    /// The fields `bdev_malloc_create` and `bdev_null_create` share; metadata
    /// and protection information are refused unless off.
    static func sizedDevice(_ p: inout Params) throws(ConfigError) -> (String, UInt64, Int, DeviceUUID?) {
        let name = try p.requiredString("name")
        let blockSize = try p.requiredInteger("block_size", in: 512...65536)
        let blocks = try p.requiredInteger("num_blocks", in: 1...Int.max)
        let uuid = try uuidField(&p, "uuid")
        try p.ignoreIfDefault("md_size", default: .number(0))
        try p.ignoreIfDefault("dif_type", default: .number(0))
        return (name, UInt64(blocks), blockSize, uuid)
    }

    static func uuidField(_ p: inout Params, _ key: String) throws(ConfigError) -> DeviceUUID? {
        guard let s = try p.string(key) else { return nil }
        guard let u = DeviceUUID(string: s) else {
            throw ConfigError(path: "\(p.path).\(key)", message: "not a UUID: \"\(s)\"")
        }
        return u
    }
}
