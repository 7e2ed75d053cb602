import NVMe

/// A transport address a subsystem can be reached at; the discovery log
/// reports one entry per (reachable subsystem, listener).
public struct ListenerAddress: Hashable, Sendable {
    /// TRTYPE (1 = RDMA).
    public var transportType: UInt8
    /// ADRFAM (1 = IPv4, 2 = IPv6).
    public var addressFamily: UInt8
    /// TRADDR, e.g. "192.168.6.68".
    public var address: String
    /// TRSVCID, e.g. "4420".
    public var serviceID: String
    /// PORTID reported in discovery entries.
    public var portID: UInt16

    public init(
        transportType: UInt8 = DiscoveryLogEntry.transportRDMA, addressFamily: UInt8 = 1, address: String,
        serviceID: String = "4420", portID: UInt16 = 1
    ) {
        self.transportType = transportType
        self.addressFamily = addressFamily
        self.address = address
        self.serviceID = serviceID
        self.portID = portID
    }
}

extension ListenerAddress {
    /// The same transport endpoint (TRTYPE, ADRFAM, TRADDR, TRSVCID), whatever PORTID each carries.
    public func isSameEndpoint(as other: ListenerAddress) -> Bool {
        transportType == other.transportType && addressFamily == other.addressFamily && address == other.address
            && serviceID == other.serviceID
    }

    /// The endpoint as a dictionary key (what `isSameEndpoint` compares).
    var endpointKey: String { "\(transportType)/\(addressFamily)/\(address)/\(serviceID)" }
}

/// A fabric the target drives: it listens where the target's listener
/// registry says (`NVMfTarget.attach`, `Subsystem.addListener`), and stops
/// when no subsystem uses an address any more. Compare SPDK's
/// `spdk_nvmf_transport_listen` / `stop_listen`.
public protocol Transport: AnyObject {
    /// TRTYPE of the addresses it serves (1 = RDMA).
    var transportType: UInt8 { get }
    /// Starts accepting connections at `address`.
    func listen(_ address: ListenerAddress) throws
    /// Stops accepting new connections at `address` (existing ones are the target's to close).
    func stopListening(_ address: ListenerAddress)
}

/// Errors of the control-path API (configuration, RPC).
public enum TargetError: Error, Hashable, Sendable {
    /// The NQN is malformed (length, prefix, date or domain).
    case invalidNQN(String)
    /// A subsystem with this NQN exists.
    case duplicateSubsystem(String)
    /// No subsystem has this NQN.
    case unknownSubsystem(String)
    /// The subsystem already has its maximum number of namespaces.
    case namespaceLimit
    /// NSID 0, FFFFFFFFh, above the subsystem's maximum, or in use.
    case invalidNamespaceID(UInt32)
    /// No namespace has this NSID.
    case unknownNamespace(UInt32)
    /// The UUID, NGUID or EUI-64 is already used by a namespace of this target.
    case duplicateIdentifier
    /// The controller ID range is empty or reaches into F000h…FFFFh.
    case invalidControllerIDRange
    /// The operation is not allowed in the subsystem's current state.
    case invalidState
    /// The target has no room for more namespaces or queues.
    case noResources
    /// A block device with this name is registered already.
    case duplicateDevice(String)
    /// No block device has this name.
    case unknownDevice(String)
    /// The device is held by a namespace (named by `by`).
    case deviceClaimed(String, by: String)
    /// The transport could not listen at the address (its message says why).
    case cannotListen(String)
    /// The subsystem has no listener at this address.
    case unknownListener(String)
    /// An ANA call on a subsystem created without ANA reporting (its NQN).
    case anaReportingDisabled(String)
    /// An ANA group ID outside 1...maxNamespaces.
    case invalidANAGroup(UInt32)
    /// The namespace's reservation file could not be read (the reason).
    case reservationStore(String)
}
