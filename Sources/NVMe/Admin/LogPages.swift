/// One Error Information log entry (log 01h; 64 bytes each, newest first).
public struct ErrorLogEntry: Hashable, Sendable {
    /// Error Count, offset 0: a unique, increasing number (0 = empty entry).
    public var errorCount: UInt64
    /// SQID, offset 8.
    public var submissionQueueID: UInt16
    /// CID, offset 10.
    public var commandID: UInt16
    /// Status Field, offset 12 (CQE STATUS word, phase bit 0).
    public var statusField: UInt16
    /// Parameter Error Location, offset 14 (FFFFh = none).
    public var parameterErrorLocation: UInt16
    /// LBA, offset 16.
    public var lba: UInt64
    /// NSID, offset 24.
    public var namespaceID: UInt32

    public static let wireSize = 64

    public init(
        errorCount: UInt64, submissionQueueID: UInt16, commandID: UInt16, statusField: UInt16,
        parameterErrorLocation: UInt16, lba: UInt64 = 0, namespaceID: UInt32 = 0
    ) {
        self.errorCount = errorCount
        self.submissionQueueID = submissionQueueID
        self.commandID = commandID
        self.statusField = statusField
        self.parameterErrorLocation = parameterErrorLocation
        self.lba = lba
        self.namespaceID = namespaceID
    }

    /// Writes the entry at `offset`.
    public func encode(into out: UnsafeMutableRawBufferPointer, at o: Int) {
        out.putLE64(errorCount, at: o)
        out.putLE16(submissionQueueID, at: o + 8)
        out.putLE16(commandID, at: o + 10)
        out.putLE16(statusField, at: o + 12)
        out.putLE16(parameterErrorLocation, at: o + 14)
        out.putLE64(lba, at: o + 16)
        out.putLE32(namespaceID, at: o + 24)
    }
}

/// SMART / Health Information (log 02h, 512 bytes).
public struct SMARTHealthLog: Hashable, Sendable {
    /// Critical Warning, offset 0.
    public var criticalWarning: UInt8 = 0
    /// Composite Temperature in kelvin, offset 1.
    public var temperature: UInt16 = 273 + 25
    /// Available Spare %, offset 3.
    public var availableSpare: UInt8 = 100
    /// Available Spare Threshold %, offset 4.
    public var availableSpareThreshold: UInt8 = 10
    /// Percentage Used, offset 5.
    public var percentageUsed: UInt8 = 0
    /// Data Units Read, offset 32 (thousands of 512-byte units, rounded up).
    public var dataUnitsRead: UInt64 = 0
    /// Data Units Written, offset 48.
    public var dataUnitsWritten: UInt64 = 0
    /// Host Read Commands, offset 64.
    public var hostReadCommands: UInt64 = 0
    /// Host Write Commands, offset 80.
    public var hostWriteCommands: UInt64 = 0
    /// Power On Hours, offset 128.
    public var powerOnHours: UInt64 = 0

    public static let wireSize = 512

    public init() {}

    /// Data units (1000 × 512 bytes, rounded up) for a byte count.
    @inlinable
    public static func dataUnits(bytes: UInt64) -> UInt64 {
        let sectors = bytes / 512
        return sectors / 1000 + (sectors % 1000 == 0 ? 0 : 1)
    }

    /// Encodes the 512-byte page (16-byte counters: high halves zero).
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putByte(criticalWarning, at: 0)
        out.putLE16(temperature, at: 1)
        out.putByte(availableSpare, at: 3)
        out.putByte(availableSpareThreshold, at: 4)
        out.putByte(percentageUsed, at: 5)
        out.putLE64(dataUnitsRead, at: 32)
        out.putLE64(dataUnitsWritten, at: 48)
        out.putLE64(hostReadCommands, at: 64)
        out.putLE64(hostWriteCommands, at: 80)
        out.putLE64(powerOnHours, at: 128)
    }
}

/// Firmware Slot Information (log 03h, 512 bytes): AFI at 0, FRS1..7 at 8.
public enum FirmwareSlotLog {
    public static let wireSize = 512

    /// Writes a log with slot 1 active and holding `revision`.
    public static func encode(revision: String, into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putByte(0x01, at: 0)
        out.putString(revision, at: 8, width: 8, pad: 0x20)
    }
}

/// Commands Supported and Effects (log 05h, 4096 bytes): ACS[256] u32 at 0,
/// IOCS[256] u32 at 1024.
public enum CommandEffectsLog {
    public static let wireSize = 4096
    /// CSUPP, bit 0: the command is supported.
    public static let supported: UInt32 = 1 << 0
    /// LBCC, bit 1: the command may change logical block content.
    public static let changesContent: UInt32 = 1 << 1

    /// Writes the log from (opcode, effects) pairs for each command set.
    public static func encode(
        admin: [(UInt8, UInt32)], io: [(UInt8, UInt32)], into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        for (op, fx) in admin { out.putLE32(fx, at: Int(op) * 4) }
        for (op, fx) in io { out.putLE32(fx, at: 1024 + Int(op) * 4) }
    }
}

/// Asymmetric Namespace Access log (0Ch): 16-byte header (CHGCNT u64,
/// NGRPS u16), then per group 32 bytes (GRPID u32, NNSIDS u32, CHGCNT u64,
/// STATE u8) followed by NNSIDS u32 NSIDs.
public enum ANALog {
    /// ANA state 01h: optimized.
    public static let optimized: UInt8 = 0x01

    /// Bytes the log needs for one group of `namespaceCount` NSIDs.
    public static func size(namespaceCount: Int, includeNamespaces: Bool) -> Int {
        16 + 32 + (includeNamespaces ? 4 * namespaceCount : 0)
    }

    /// Writes a log with one optimized group (ID 1) holding `namespaceIDs`;
    /// `includeNamespaces` false is LSP bit 0 (RGO, groups only).
    public static func encode(
        changeCount: UInt64, namespaceIDs: [UInt32], includeNamespaces: Bool,
        into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        out.putLE64(changeCount, at: 0)
        out.putLE16(1, at: 8)
        out.putLE32(1, at: 16)
        out.putLE32(includeNamespaces ? UInt32(namespaceIDs.count) : 0, at: 20)
        out.putLE64(changeCount, at: 24)
        out.putByte(optimized, at: 32)
        if includeNamespaces {
            for (i, id) in namespaceIDs.enumerated() { out.putLE32(id, at: 48 + 4 * i) }
        }
    }
}
