import NVMe

/// Where a controller is, in SPDK's transport ID string form, as `spdk_nvme_perf -r` takes it:
/// `trtype:RDMA adrfam:IPv4 traddr:10.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.example:disk1`.
///
/// Pairs are `key:value` or `key=value`, separated by spaces or tabs; keys are
/// case-insensitive. Besides SPDK's transport keys, `hostnqn` names this host and
/// `ns` selects one namespace, as in spdk_nvme_perf. Anything else is refused by
/// name, so a typo never silently measures the wrong thing.
public struct TransportID: Equatable, Sendable, CustomStringConvertible {
    /// Address family of `address`.
    public enum AddressFamily: String, Sendable {
        case ipv4 = "IPv4"
        case ipv6 = "IPv6"
    }

    public var addressFamily: AddressFamily
    /// TRADDR: the target's IP address.
    public var address: String
    /// TRSVCID: the port (4420 unless given).
    public var port: UInt16
    /// SUBNQN: the subsystem; the discovery NQN when absent.
    public var subsystemNQN: String
    /// HOSTNQN to connect as, when given.
    public var hostNQN: String?
    /// One namespace to use (`ns:`), or nil for every active namespace.
    public var namespaceID: UInt32?

    /// The well-known discovery subsystem.
    public static let discoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"

    public init(
        addressFamily: AddressFamily = .ipv4, address: String, port: UInt16 = 4420,
        subsystemNQN: String = TransportID.discoveryNQN, hostNQN: String? = nil, namespaceID: UInt32? = nil
    ) {
        self.addressFamily = addressFamily
        self.address = address
        self.port = port
        self.subsystemNQN = subsystemNQN
        self.hostNQN = hostNQN
        self.namespaceID = namespaceID
    }

    /// True when this names the discovery subsystem rather than an NVM subsystem.
    public var isDiscovery: Bool { subsystemNQN == Self.discoveryNQN }

    /// Parses SPDK's form; throws a `HostError` naming the key or value at fault.
    public init(parsing text: String) throws(HostError) {
        var transport: String?
        var family: AddressFamily?
        var address: String?
        var port: UInt16 = 4420
        var subsystem = Self.discoveryNQN
        var host: String?
        var namespace: UInt32?
        var seen = Set<String>()
        let pairs = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        guard !pairs.isEmpty else {
            throw HostError("transport ID: empty; expected e.g. 'trtype:RDMA traddr:10.0.0.1'")
        }
        for pair in pairs {
            guard let separator = pair.firstIndex(where: { $0 == ":" || $0 == "=" }) else {
                throw HostError("transport ID: '\(pair)' is not key:value")
            }
            let key = pair[..<separator].lowercased()
            let value = String(pair[pair.index(after: separator)...])
            guard !value.isEmpty else { throw HostError("transport ID: \(key) has no value") }
            guard seen.insert(key).inserted else { throw HostError("transport ID: \(key) given twice") }
            switch key {
            case "trtype":
                transport = value
            case "adrfam":
                switch value.lowercased() {
                case "ipv4": family = .ipv4
                case "ipv6": family = .ipv6
                default: throw HostError("transport ID: adrfam \(value) is not supported (IPv4 or IPv6)")
                }
            case "traddr":
                guard value.utf8.count < 256 else { throw HostError("transport ID: traddr longer than 255 bytes") }
                address = value
            case "trsvcid":
                guard let number = UInt16(value), number > 0 else {
                    throw HostError("transport ID: trsvcid \(value) is not a port number (1–65535)")
                }
                port = number
            case "subnqn":
                guard value.utf8.count <= ConnectData.maxNQNLength else {
                    throw HostError("transport ID: subnqn longer than \(ConnectData.maxNQNLength) bytes")
                }
                subsystem = value
            case "hostnqn":
                guard value.utf8.count <= ConnectData.maxNQNLength else {
                    throw HostError("transport ID: hostnqn longer than \(ConnectData.maxNQNLength) bytes")
                }
                host = value
            case "ns":
                guard let nsid = UInt32(value), nsid > 0, nsid != UInt32.max else {
                    throw HostError("transport ID: ns \(value) is not a namespace ID (1–4294967294)")
                }
                namespace = nsid
            default:
                throw HostError(
                    "transport ID: unknown key '\(key)' (known: trtype adrfam traddr trsvcid subnqn hostnqn ns)")
            }
        }
        guard let transport else { throw HostError("transport ID: trtype missing (nvmf-perf speaks trtype:RDMA)") }
        guard transport.lowercased() == "rdma" else {
            throw HostError("transport ID: trtype \(transport) is not supported; nvmf-perf speaks RDMA only")
        }
        guard let address else { throw HostError("transport ID: traddr missing") }
        let resolvedFamily = family ?? (address.contains(":") ? .ipv6 : .ipv4)
        guard SocketAddressCheck.isNumeric(address, family: resolvedFamily) else {
            throw HostError("transport ID: traddr \(address) is not a numeric \(resolvedFamily.rawValue) address")
        }
        self.init(
            addressFamily: resolvedFamily, address: address, port: port, subsystemNQN: subsystem, hostNQN: host,
            namespaceID: namespace)
    }

    /// SPDK's form again, keys in SPDK's order.
    public var description: String {
        var text =
            "trtype:RDMA adrfam:\(addressFamily.rawValue) traddr:\(address) trsvcid:\(port) subnqn:\(subsystemNQN)"
        if let hostNQN { text += " hostnqn:\(hostNQN)" }
        if let namespaceID { text += " ns:\(namespaceID)" }
        return text
    }
}
