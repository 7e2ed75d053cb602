/// The 16-byte completion queue entry (the whole response capsule on RDMA).
///
/// The target fills `dword0`, `dword1` and `status`; the transport fills
/// `submissionQueueHead`, `submissionQueueID` and `commandID`.
@frozen
public struct CompletionQueueEntry: Hashable, Sendable {
    /// DW0: command-specific result (Connect: CNTLID; Property Get: low half).
    public var dword0: UInt32
    /// DW1: command-specific result (Property Get: high half).
    public var dword1: UInt32
    /// SQHD, bytes 8–9.
    public var submissionQueueHead: UInt16
    /// SQID, bytes 10–11.
    public var submissionQueueID: UInt16
    /// CID, bytes 12–13: the command's CID, unchanged.
    public var commandID: UInt16
    /// STATUS, bytes 14–15: phase (bit 0, 0 on fabrics), SC, SCT, CRD, M, DNR.
    public var status: UInt16

    /// Size on the wire.
    public static let wireSize = 16

    @inlinable
    public init(
        dword0: UInt32 = 0, dword1: UInt32 = 0, submissionQueueHead: UInt16 = 0,
        submissionQueueID: UInt16 = 0, commandID: UInt16 = 0, status: UInt16 = 0
    ) {
        self.dword0 = dword0
        self.dword1 = dword1
        self.submissionQueueHead = submissionQueueHead
        self.submissionQueueID = submissionQueueID
        self.commandID = commandID
        self.status = status
    }

    /// Reads a CQE from 16 bytes of wire memory (any alignment).
    @inlinable
    public init(bytes p: UnsafeRawPointer) {
        dword0 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        dword1 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        submissionQueueHead = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        submissionQueueID = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        commandID = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        status = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
    }

    /// Writes the 16 wire bytes.
    @inlinable
    public func write(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: dword0.littleEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: dword1.littleEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: submissionQueueHead.littleEndian, toByteOffset: 8, as: UInt16.self)
        p.storeBytes(of: submissionQueueID.littleEndian, toByteOffset: 10, as: UInt16.self)
        p.storeBytes(of: commandID.littleEndian, toByteOffset: 12, as: UInt16.self)
        p.storeBytes(of: status.littleEndian, toByteOffset: 14, as: UInt16.self)
    }

    /// The 16 wire bytes as an array (tests, control path).
    public var encoded: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        out.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
        return out
    }

    /// The status as an `NVMeStatus`.
    @inlinable public var nvmeStatus: NVMeStatus { NVMeStatus(rawValue: status) }
}
