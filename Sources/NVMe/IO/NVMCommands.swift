/// NVM I/O command fields: Read, Write, Compare, Write Zeroes (SLBA in
/// CDW10–11, CDW12 bits 15:0 NLB 0's based, bit 25 DEAC, bit 30 FUA).
@frozen
public struct ReadWriteCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds a Read/Write/Write Zeroes SQE; `blockCount` is 1's based.
    public init(
        opcode: UInt8, commandID: UInt16 = 0, namespaceID: UInt32, startingLBA: UInt64, blockCount: Int,
        forceUnitAccess: Bool = false, dataPointer: SGLDescriptor? = nil
    ) {
        var e = SubmissionQueueEntry(opcode: opcode, commandID: commandID, namespaceID: namespaceID)
        if let dp = dataPointer { e.dataPointer = dp }
        e.cdw10 = UInt32(truncatingIfNeeded: startingLBA)
        e.cdw11 = UInt32(truncatingIfNeeded: startingLBA >> 32)
        e.cdw12 =
            UInt32(truncatingIfNeeded: max(blockCount - 1, 0) & 0xFFFF) | (forceUnitAccess ? 1 << 30 : 0)
        entry = e
    }

    /// SLBA.
    @inlinable public var startingLBA: UInt64 { UInt64(entry.cdw10) | UInt64(entry.cdw11) << 32 }
    /// NLB converted to 1's based.
    @inlinable public var blockCount: UInt32 { (entry.cdw12 & 0xFFFF) + 1 }
    /// FUA.
    @inlinable public var forceUnitAccess: Bool { entry.cdw12 & (1 << 30) != 0 }
    /// DEAC (Write Zeroes).
    @inlinable public var deallocate: Bool { entry.cdw12 & (1 << 25) != 0 }
}

/// Dataset Management (09h): CDW10 bits 7:0 NR (ranges − 1); CDW11 bit 2 AD.
/// Data: NR+1 ranges of 16 bytes (attributes u32, NLB u32 1's based, SLBA u64).
@frozen
public struct DatasetManagementCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Number of ranges (1's based).
    @inlinable public var rangeCount: Int { Int(entry.cdw10 & 0xFF) + 1 }
    /// AD: deallocate the ranges.
    @inlinable public var deallocate: Bool { entry.cdw11 & 0x4 != 0 }

    /// Size of one range.
    public static let rangeSize = 16
}

/// One Dataset Management range, read from the data buffer.
@frozen
public struct DatasetManagementRange: Hashable, Sendable {
    /// Context attributes.
    public var attributes: UInt32
    /// Length in logical blocks (1's based; 0 means nothing).
    public var blockCount: UInt32
    /// Starting LBA.
    public var startingLBA: UInt64

    public init(attributes: UInt32 = 0, blockCount: UInt32, startingLBA: UInt64) {
        self.attributes = attributes
        self.blockCount = blockCount
        self.startingLBA = startingLBA
    }

    /// Reads range `index` from `data`; nil when the data is too short.
    @inlinable
    public init?(_ data: UnsafeRawBufferPointer, index: Int) {
        let o = index &* 16
        guard index >= 0, o <= data.count - 16 else { return nil }
        attributes = data.wireLE32(o)
        blockCount = data.wireLE32(o + 4)
        startingLBA = data.wireLE64(o + 8)
    }

    /// Reads range `index` from an I/O buffer's bytes.
    @inlinable
    public init?(_ data: UnsafeMutableRawBufferPointer, index: Int) {
        self.init(UnsafeRawBufferPointer(data), index: index)
    }

    /// Writes the range at index `index`.
    public func encode(into out: UnsafeMutableRawBufferPointer, index: Int) {
        out.putLE32(attributes, at: index * 16)
        out.putLE32(blockCount, at: index * 16 + 4)
        out.putLE64(startingLBA, at: index * 16 + 8)
    }
}
