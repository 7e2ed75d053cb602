/// A parsed SPDK JSON configuration file (`nvmf_tgt --json FILE`):
/// `{"subsystems": [{"subsystem": "bdev", "config": [{"method", "params"}…]}, …]}`.
///
/// Every call is decoded and validated before anything is created, so a bad
/// file changes nothing and its error names the method and field.
public struct ConfigFile: Equatable, Sendable {
    /// A decoded call and where it came from.
    public struct Entry: Equatable, Sendable {
        public var call: ConfigCall
        /// JSON path, e.g. `subsystems[1].config[0]`, for apply-time errors.
        public var path: String
    }

    /// The calls in file order (SPDK order: bdevs before nvmf).
    public var entries: [Entry]
    /// SPDK's own tuning calls that were skipped ("path (method)"); `apply`
    /// logs one warning for each.
    public var skippedCalls: [String] = []

    public init(entries: [Entry]) { self.entries = entries }

    /// Calls a default SPDK `save_config` writes for parts of SPDK this
    /// target has no counterpart for (its buffer pools, sockets, accel
    /// framework, scheduler, other bdev modules, nvmf target limits). A file
    /// SPDK wrote must start us, so these are skipped with a warning each;
    /// every other unknown method is refused.
    public static let spdkTuningMethods: Set<String> = [
        "iobuf_set_options", "sock_set_default_impl", "sock_impl_set_options", "accel_set_options",
        "bdev_set_options", "bdev_raid_set_options", "bdev_iscsi_set_options", "bdev_nvme_set_options",
        "bdev_nvme_set_hotplug", "bdev_wait_for_examine", "framework_set_scheduler", "nvmf_set_max_subsystems",
        "nvmf_set_crdt", "nvmf_set_config",
    ]

    /// Parses and validates a configuration file's bytes.
    public init(json bytes: [UInt8]) throws(ConfigError) {
        guard case .object(let root) = try JSONValue.parse(bytes) else {
            throw ConfigError(path: "", message: "the top level must be an object with a \"subsystems\" array")
        }
        if let extra = root.keys.sorted().first(where: { $0 != "subsystems" }) {
            throw ConfigError(path: extra, message: "unknown top-level field")
        }
        guard case .array(let subsystems) = root["subsystems"] ?? .null else {
            throw ConfigError(path: "subsystems", message: "required, an array")
        }
        var entries: [Entry] = []
        var skipped: [String] = []
        for (i, s) in subsystems.enumerated() {
            let sp = "subsystems[\(i)]"
            guard case .object(let sub) = s else { throw ConfigError(path: sp, message: "must be an object") }
            guard case .string(let name) = sub["subsystem"] ?? .null else {
                throw ConfigError(path: "\(sp).subsystem", message: "required, a string")
            }
            if let extra = sub.keys.sorted().first(where: { $0 != "subsystem" && $0 != "config" }) {
                throw ConfigError(path: "\(sp).\(extra)", message: "unknown field")
            }
            let config: [JSONValue]
            switch sub["config"] ?? .null {
            case .null: config = []
            case .array(let a): config = a
            case let v: throw ConfigError(path: "\(sp).config", message: "must be an array, not \(v.kind)")
            }
            for (j, c) in config.enumerated() {
                let cp = "\(sp).config[\(j)]"
                guard case .object(let callObject) = c else {
                    throw ConfigError(path: cp, message: "must be an object")
                }
                guard case .string(let method) = callObject["method"] ?? .null else {
                    throw ConfigError(path: "\(cp).method", message: "required, a string")
                }
                if let extra = callObject.keys.sorted().first(where: { $0 != "method" && $0 != "params" }) {
                    throw ConfigError(path: "\(cp).\(extra)", message: "unknown field")
                }
                if Self.spdkTuningMethods.contains(method) {
                    skipped.append("\(cp) (\(method))")
                    continue
                }
                let call = try ConfigCall.decode(method: method, params: callObject["params"], path: cp)
                try Self.check(call, belongsTo: name, path: cp, method: method)
                entries.append(Entry(call: call, path: "\(cp) (\(method))"))
            }
        }
        self.entries = entries
        self.skippedCalls = skipped
    }

    /// SPDK groups methods by subsystem; a call in the wrong group is almost
    /// certainly a hand-editing mistake, so say so rather than guess.
    static func check(_ call: ConfigCall, belongsTo subsystem: String, path: String, method: String) throws(ConfigError)
    {
        let expected: String
        switch call {
        case .bdevMallocCreate, .bdevAioCreate, .bdevNullCreate, .bdevRbdRegisterCluster, .bdevRbdCreate:
            expected = "bdev"
        default: expected = "nvmf"
        }
        guard subsystem == expected else {
            throw ConfigError(
                path: path, message: "\(method) belongs in the \"\(expected)\" subsystem, not \"\(subsystem)\"")
        }
    }

    /// The embedded default: one 256 MiB RAM namespace, open to any host,
    /// listening on `address:port`. Used when nvmf-tgt runs with no config.
    public static func embeddedDefault(address: String, port: UInt16 = 4420) -> ConfigFile {
        var subsystem = SubsystemConfig(nqn: defaultSubsystemNQN)
        subsystem.serialNumber = "SWIFTNVMF0000001"
        subsystem.allowAnyHost = true
        let family: UInt8 = address.contains(":") ? 2 : 1
        let calls: [ConfigCall] = [
            .bdevMallocCreate(name: "Malloc0", numBlocks: 65536, blockSize: 4096, uuid: nil),
            .nvmfCreateTransport(TransportConfig()),
            .nvmfCreateSubsystem(subsystem),
            .nvmfSubsystemAddNamespace(nqn: defaultSubsystemNQN, namespace: NamespaceConfig(bdevName: "Malloc0")),
            .nvmfSubsystemAddListener(
                nqn: defaultSubsystemNQN,
                listener: ListenerConfig(addressFamily: family, address: address, serviceID: String(port)),
                anaState: nil),
        ]
        return ConfigFile(entries: calls.enumerated().map { Entry(call: $1, path: "embedded default[\($0)]") })
    }

    /// The NQN of the embedded default's subsystem.
    public static let defaultSubsystemNQN = "nqn.2026-11.io.nvmf-target:default"
}
