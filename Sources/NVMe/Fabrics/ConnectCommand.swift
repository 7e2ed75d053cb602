/// Fabrics Connect (OPC 7Fh, FCTYPE 01h): the SQE fields, read from a
/// `SubmissionQueueEntry` without copies.
///
/// SQE layout: 40–41 RECFMT, 42–43 QID, 44–45 SQSIZE (0's based), 46 CATTR,
/// 48–51 KATO (ms).
@frozen
public struct ConnectCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    /// SQE byte offsets, for Connect Invalid Parameters' IPO.
    public enum Offset {
        public static let recordFormat = 40
        public static let queueID = 42
        public static let submissionQueueSize = 44
        public static let connectAttributes = 46
        public static let keepAliveTimeout = 48
    }

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds a Connect SQE with a keyed SGL for the 1024-byte data.
    public init(
        commandID: UInt16 = 0, queueID: UInt16, submissionQueueSize: UInt16, keepAliveTimeout: UInt32,
        connectAttributes: UInt8 = 0, recordFormat: UInt16 = 0,
        dataPointer: SGLDescriptor = .keyed(address: 0, length: 1024, key: 0, invalidate: false)
    ) {
        var e = SubmissionQueueEntry(
            opcode: FabricsCommandType.opcode, commandID: commandID,
            namespaceID: UInt32(FabricsCommandType.connect))
        e.dataPointer = dataPointer
        e.cdw10 = UInt32(recordFormat) | UInt32(queueID) << 16
        e.cdw11 = UInt32(submissionQueueSize) | UInt32(connectAttributes) << 16
        e.cdw12 = keepAliveTimeout
        entry = e
    }

    /// RECFMT: must be 0.
    @inlinable public var recordFormat: UInt16 { UInt16(truncatingIfNeeded: entry.cdw10) }
    /// QID: 0 selects the admin queue.
    @inlinable public var queueID: UInt16 { UInt16(truncatingIfNeeded: entry.cdw10 >> 16) }
    /// SQSIZE, 0's based exactly as on the wire.
    @inlinable public var submissionQueueSize: UInt16 { UInt16(truncatingIfNeeded: entry.cdw11) }
    /// CATTR (bit 2: disable SQ flow control).
    @inlinable public var connectAttributes: UInt8 { UInt8(truncatingIfNeeded: entry.cdw11 >> 16) }
    /// KATO in milliseconds.
    @inlinable public var keepAliveTimeout: UInt32 { entry.cdw12 }
    /// 1's based depth; the only place the conversion happens.
    @inlinable public var queueDepth: Int { Int(submissionQueueSize) + 1 }
    /// True when CATTR bit 2 asks to disable SQ flow control (SQHD = FFFFh).
    @inlinable public var disablesSQFlowControl: Bool { connectAttributes & 0x04 != 0 }
}

/// The 1024-byte Connect data: HOSTID, CNTLID, SUBNQN, HOSTNQN.
///
/// Decoding allocates the NQN strings: Connect is control path.
public struct ConnectData: Hashable, Sendable {
    /// HOSTID, bytes 0–15.
    public var hostID: [UInt8]
    /// CNTLID, bytes 16–17: FFFFh asks for a dynamic controller (admin queue).
    public var controllerID: UInt16
    /// SUBNQN, bytes 256–511.
    public var subsystemNQN: String
    /// HOSTNQN, bytes 512–767.
    public var hostNQN: String

    /// Size on the wire.
    public static let wireSize = 1024
    /// "Dynamic controller" CNTLID.
    public static let dynamicControllerID: UInt16 = 0xFFFF
    /// Longest NQN the 256-byte fields may carry (NUL excluded).
    public static let maxNQNLength = 223

    /// Data byte offsets, for Connect Invalid Parameters' IPO (with IATTR bit 0).
    public enum Offset {
        public static let hostID = 0
        public static let controllerID = 16
        public static let subsystemNQN = 256
        public static let hostNQN = 512
    }

    public init(hostID: [UInt8], controllerID: UInt16, subsystemNQN: String, hostNQN: String) {
        self.hostID = hostID
        self.controllerID = controllerID
        self.subsystemNQN = subsystemNQN
        self.hostNQN = hostNQN
    }

    /// Decodes the data; nil when fewer than 1024 bytes are present.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= ConnectData.wireSize else { return nil }
        hostID = Array(bytes[0..<16])
        controllerID = bytes.wireLE16(16)
        subsystemNQN = bytes.wireString(256, width: 256)
        hostNQN = bytes.wireString(512, width: 256)
    }

    /// Decodes the data from a (mutable) I/O buffer's bytes.
    public init?(decoding bytes: UnsafeMutableRawBufferPointer) {
        self.init(decoding: UnsafeRawBufferPointer(bytes))
    }

    /// `isTerminated` over a (mutable) I/O buffer's bytes.
    public static func isTerminated(_ bytes: UnsafeMutableRawBufferPointer, field offset: Int) -> Bool {
        isTerminated(UnsafeRawBufferPointer(bytes), field: offset)
    }

    /// True when the NQN field at `offset` has a NUL within its 256 bytes and
    /// the string fits the 223-byte NQN limit.
    public static func isTerminated(_ bytes: UnsafeRawBufferPointer, field offset: Int) -> Bool {
        guard bytes.count >= offset + 256 else { return false }
        for i in 0...ConnectData.maxNQNLength where bytes.wireByte(offset + i) == 0 { return true }
        return false
    }

    /// Writes the 1024 wire bytes (reserved fields zeroed).
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putBytes(hostID.prefix(16), at: 0)
        out.putLE16(controllerID, at: 16)
        out.putString(subsystemNQN, at: 256, width: 256, pad: 0)
        out.putString(hostNQN, at: 512, width: 256, pad: 0)
    }

    /// The 1024 wire bytes.
    public var encoded: [UInt8] {
        var out = [UInt8](repeating: 0, count: ConnectData.wireSize)
        out.withUnsafeMutableBytes { encode(into: $0) }
        return out
    }
}

/// Connect completion DW0 encodings.
public enum ConnectResponse {
    /// Success DW0: CNTLID in bits 15:0 (ATR/ASCR clear: no authentication).
    @inlinable
    public static func success(controllerID: UInt16) -> UInt32 { UInt32(controllerID) }

    /// Invalid Parameters DW0: IPO (bits 15:0) | IATTR (bits 23:16; bit 0 set
    /// when the offset is into the Connect data rather than the SQE).
    @inlinable
    public static func invalidParameter(offset: Int, inData: Bool) -> UInt32 {
        UInt32(truncatingIfNeeded: offset & 0xFFFF) | (inData ? 1 << 16 : 0)
    }
}
