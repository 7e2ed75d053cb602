/// NVMe-oF RDMA CM private data (NVMe-oF RDMA transport binding; reference §1.2).

/// CONNECT REQUEST private data, 32 bytes, host to target.
@frozen
public struct RDMAConnectRequestPrivateData: Hashable, Sendable {
    /// RECFMT, offset 0 (must be 0).
    public var recordFormat: UInt16
    /// QID, offset 2 (0 = admin).
    public var queueID: UInt16
    /// HRQSIZE, offset 4: host receive queue size (1's based).
    public var hostReceiveQueueSize: UInt16
    /// HSQSIZE, offset 6: host send queue size (0's based).
    public var hostSendQueueSize: UInt16
    /// CNTLID, offset 8: advisory (0 = not supplied; older hosts).
    public var controllerID: UInt16

    public static let wireSize = 32

    public init(
        recordFormat: UInt16 = 0, queueID: UInt16, hostReceiveQueueSize: UInt16,
        hostSendQueueSize: UInt16,
        controllerID: UInt16 = 0
    ) {
        self.recordFormat = recordFormat
        self.queueID = queueID
        self.hostReceiveQueueSize = hostReceiveQueueSize
        self.hostSendQueueSize = hostSendQueueSize
        self.controllerID = controllerID
    }

    /// Decodes; nil when shorter than 32 bytes (reject with `.invalidLength`).
    public init?(decoding b: UnsafeRawBufferPointer) {
        guard b.count >= Self.wireSize else { return nil }
        recordFormat = b.wireLE16(0)
        queueID = b.wireLE16(2)
        hostReceiveQueueSize = b.wireLE16(4)
        hostSendQueueSize = b.wireLE16(6)
        controllerID = b.wireLE16(8)
    }

    /// Writes 32 bytes (reserved zero).
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putLE16(recordFormat, at: 0)
        out.putLE16(queueID, at: 2)
        out.putLE16(hostReceiveQueueSize, at: 4)
        out.putLE16(hostSendQueueSize, at: 6)
        out.putLE16(controllerID, at: 8)
    }
}

/// ACCEPT private data, 32 bytes, target to host.
@frozen
public struct RDMAAcceptPrivateData: Hashable, Sendable {
    /// RECFMT, offset 0.
    public var recordFormat: UInt16
    /// CRQSIZE, offset 2: the controller receive queue size.
    public var controllerReceiveQueueSize: UInt16

    public static let wireSize = 32

    public init(recordFormat: UInt16 = 0, controllerReceiveQueueSize: UInt16) {
        self.recordFormat = recordFormat
        self.controllerReceiveQueueSize = controllerReceiveQueueSize
    }

    public init?(decoding b: UnsafeRawBufferPointer) {
        guard b.count >= Self.wireSize else { return nil }
        recordFormat = b.wireLE16(0)
        controllerReceiveQueueSize = b.wireLE16(2)
    }

    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putLE16(recordFormat, at: 0)
        out.putLE16(controllerReceiveQueueSize, at: 2)
    }
}

/// REJECT private data, 4 bytes: RECFMT, STS.
@frozen
public struct RDMARejectPrivateData: Hashable, Sendable {
    /// RECFMT, offset 0.
    public var recordFormat: UInt16
    /// STS, offset 2.
    public var status: RDMARejectStatus

    public static let wireSize = 4

    public init(recordFormat: UInt16 = 0, status: RDMARejectStatus) {
        self.recordFormat = recordFormat
        self.status = status
    }

    public init?(decoding b: UnsafeRawBufferPointer) {
        guard b.count >= Self.wireSize else { return nil }
        recordFormat = b.wireLE16(0)
        status = RDMARejectStatus(rawValue: b.wireLE16(2))
    }

    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putLE16(recordFormat, at: 0)
        out.putLE16(status.rawValue, at: 2)
    }
}

/// NVMe-oF RDMA CM reject status codes.
@frozen
public struct RDMARejectStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1: private data length invalid.
    public static let invalidLength = RDMARejectStatus(rawValue: 1)
    /// 2: RECFMT invalid.
    public static let invalidRecordFormat = RDMARejectStatus(rawValue: 2)
    /// 3: QID invalid.
    public static let invalidQueueID = RDMARejectStatus(rawValue: 3)
    /// 4: HSQSIZE invalid.
    public static let invalidHostSendQueueSize = RDMARejectStatus(rawValue: 4)
    /// 5: HRQSIZE invalid.
    public static let invalidHostReceiveQueueSize = RDMARejectStatus(rawValue: 5)
    /// 6: no resources.
    public static let noResources = RDMARejectStatus(rawValue: 6)
    /// 7: IRD invalid.
    public static let invalidIRD = RDMARejectStatus(rawValue: 7)
    /// 8: ORD invalid.
    public static let invalidORD = RDMARejectStatus(rawValue: 8)
    /// 9: CNTLID invalid.
    public static let invalidControllerID = RDMARejectStatus(rawValue: 9)
}
