import Backends

/// `nvmf_create_subsystem` parameters.
public struct SubsystemConfig: Equatable, Sendable {
    public var nqn: String
    public var serialNumber: String = ""
    public var modelNumber: String = "Swift NVMe-oF target"
    public var allowAnyHost: Bool = false
    public var maxNamespaces: Int = 32
    public var minControllerID: Int = 1
    public var maxControllerID: Int = 0xFFEF
    /// `ana_reporting`: ANA groups and per-listener states are reported.
    public var anaReporting: Bool = false

    public init(nqn: String) { self.nqn = nqn }

    public init(_ p: inout Params) throws(ConfigError) {
        nqn = try p.requiredString("nqn")
        try p.targetName()
        if let s = try p.string("serial_number") {
            guard s.utf8.count <= 20, s.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                throw ConfigError(path: "\(p.path).serial_number", message: "at most 20 printable ASCII characters")
            }
            serialNumber = s
        }
        if let m = try p.string("model_number") {
            guard m.utf8.count <= 40, m.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                throw ConfigError(path: "\(p.path).model_number", message: "at most 40 printable ASCII characters")
            }
            modelNumber = m
        }
        allowAnyHost = try p.bool("allow_any_host") ?? false
        maxNamespaces = try p.integer("max_namespaces", in: 0...1024) ?? 32
        if maxNamespaces == 0 { maxNamespaces = 32 }  // SPDK: 0 means "default"
        minControllerID = try p.integer("min_cntlid", in: 1...0xFFEF) ?? 1
        maxControllerID = try p.integer("max_cntlid", in: 1...0xFFEF) ?? 0xFFEF
        guard minControllerID <= maxControllerID else {
            throw ConfigError(path: "\(p.path).min_cntlid", message: "must not exceed max_cntlid")
        }
        anaReporting = try p.bool("ana_reporting") ?? false
        try p.ignoreIfDefault("passthrough", default: .bool(false))
        try p.ignoreIfDefault("enable_nssr", default: .bool(false))
    }
}

/// A `listen_address` object.
public struct ListenerConfig: Equatable, Sendable {
    /// ADRFAM: 1 IPv4, 2 IPv6.
    public var addressFamily: UInt8
    public var address: String
    public var serviceID: String

    public init(addressFamily: UInt8 = 1, address: String, serviceID: String = "4420") {
        self.addressFamily = addressFamily
        self.address = address
        self.serviceID = serviceID
    }

    /// The port number of `serviceID`.
    public var port: UInt16 { UInt16(serviceID) ?? 4420 }

    public init(_ p: inout Params) throws(ConfigError) {
        let trtype = try p.requiredString("trtype")
        guard trtype.lowercased() == "rdma" else {
            throw ConfigError(path: "\(p.path).trtype", message: "only RDMA is supported, not \"\(trtype)\"")
        }
        address = try p.requiredString("traddr")
        let family = (try p.string("adrfam"))?.lowercased()
        switch family {
        case nil: addressFamily = address.contains(":") ? 2 : 1
        case "ipv4": addressFamily = 1
        case "ipv6": addressFamily = 2
        default: throw ConfigError(path: "\(p.path).adrfam", message: "must be IPv4 or IPv6, not \"\(family!)\"")
        }
        guard ListenerConfig.isAddress(address, family: addressFamily) else {
            throw ConfigError(
                path: "\(p.path).traddr", message: "not an IPv\(addressFamily == 1 ? 4 : 6) address: \"\(address)\"")
        }
        let svc = try p.string("trsvcid") ?? "4420"
        guard let port = UInt16(svc), port > 0 else {
            throw ConfigError(path: "\(p.path).trsvcid", message: "must be a port number 1...65535, not \"\(svc)\"")
        }
        serviceID = String(port)
    }

    static func isAddress(_ s: String, family: UInt8) -> Bool {
        if family == 1 {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
        }
        return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

/// A `namespace` object of `nvmf_subsystem_add_ns`.
public struct NamespaceConfig: Equatable, Sendable {
    public var bdevName: String
    public var namespaceID: UInt32?
    public var uuid: DeviceUUID?
    public var nguid: [UInt8]?
    public var eui64: [UInt8]?
    /// `anagrpid`; nil (or 0 in the file) is SPDK's default, the NSID.
    public var anaGroupID: UInt32?
    /// `ptpl_file`: where reservations persist through power loss.
    public var ptplFile: String?

    public init(bdevName: String, namespaceID: UInt32? = nil) {
        self.bdevName = bdevName
        self.namespaceID = namespaceID
    }

    public init(_ p: inout Params) throws(ConfigError) {
        bdevName = try p.requiredString("bdev_name")
        if let n = try p.integer("nsid", in: 0...0xFFFF_FFFE), n != 0 { namespaceID = UInt32(n) }
        uuid = try ConfigCall.uuidField(&p, "uuid")
        nguid = try NamespaceConfig.hexField(&p, "nguid", bytes: 16)
        eui64 = try NamespaceConfig.hexField(&p, "eui64", bytes: 8)
        // The subsystem checks the range (1...max_namespaces) when the namespace is added.
        if let g = try p.integer("anagrpid", in: 0...Int(UInt32.max)), g != 0 { anaGroupID = UInt32(g) }
        try p.ignoreIfDefault("no_auto_visible", default: .bool(false))
        if let f = try p.string("ptpl_file") {
            guard !f.isEmpty, !f.hasSuffix("/") else {
                throw ConfigError(path: "\(p.path).ptpl_file", message: "must name a file, not \"\(f)\"")
            }
            ptplFile = f
        }
    }

    static func hexField(_ p: inout Params, _ key: String, bytes: Int) throws(ConfigError) -> [UInt8]? {
        guard let s = try p.string(key) else { return nil }
        let hex = s.filter { $0 != "-" && $0 != ":" }
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex, let j = hex.index(i, offsetBy: 2, limitedBy: hex.endIndex),
            let b = UInt8(hex[i..<j], radix: 16)
        {
            out.append(b)
            i = j
        }
        guard i == hex.endIndex, out.count == bytes else {
            throw ConfigError(path: "\(p.path).\(key)", message: "must be \(bytes) bytes of hex, not \"\(s)\"")
        }
        return out
    }
}
