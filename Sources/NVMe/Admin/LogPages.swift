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

/// An Asymmetric Namespace Access state (ANA log 0Ch, group descriptor
/// byte 32): how a namespace may be reached through one controller.
@frozen
public enum ANAState: UInt8, Sendable, Hashable, CaseIterable {
    case optimized = 0x01
    case nonOptimized = 0x02
    case inaccessible = 0x03
    case persistentLoss = 0x04
    case change = 0x0F

    /// True when I/O to the namespace may be sent through this path.
    @inlinable public var isAccessible: Bool { self == .optimized || self == .nonOptimized }

    /// The path-related status a command that touches the namespace gets
    /// in this state, nil when it may run.
    @inlinable public var pathStatus: NVMeStatus? {
        switch self {
        case .optimized, .nonOptimized: return nil
        case .inaccessible: return .anaInaccessible
        case .persistentLoss: return .anaPersistentLoss
        case .change: return .anaTransition
        }
    }
}

/// ANACAP (Identify Controller byte 343) bits.
public enum ANACapabilities {
    public static let reportsOptimized: UInt8 = 1 << 0
    public static let reportsNonOptimized: UInt8 = 1 << 1
    public static let reportsInaccessible: UInt8 = 1 << 2
    public static let reportsPersistentLoss: UInt8 = 1 << 3
    public static let reportsChange: UInt8 = 1 << 4
    /// A namespace's ANAGRPID does not change while it is attached.
    public static let groupIDDoesNotChange: UInt8 = 1 << 6
}

/// Asymmetric Namespace Access log (0Ch): 16-byte header (CHGCNT u64,
/// NGRPS u16), then per group a 32-byte descriptor (ANAGRPID u32, NNSIDS
/// u32, CHGCNT u64, ANAS u8) followed by its NNSIDS NSIDs (u32 each).
public enum ANALog {
    /// One group descriptor.
    public struct Group: Hashable, Sendable {
        public var groupID: UInt32
        public var state: ANAState
        /// NSIDs in the group, ascending.
        public var namespaceIDs: [UInt32]
        /// The group's CHGCNT.
        public var changeCount: UInt64

        public init(groupID: UInt32, state: ANAState, namespaceIDs: [UInt32], changeCount: UInt64) {
            self.groupID = groupID
            self.state = state
            self.namespaceIDs = namespaceIDs
            self.changeCount = changeCount
        }
    }

    /// Bytes the log needs; `includeNamespaces` false is LSP bit 0 (RGO,
    /// Return Groups Only: descriptors with NNSIDS 0 and no NSID lists).
    public static func size(groups: [Group], includeNamespaces: Bool) -> Int {
        16 + groups.reduce(0) { $0 + 32 + (includeNamespaces ? 4 * $1.namespaceIDs.count : 0) }
    }

    public static func encode(
        changeCount: UInt64, groups: [Group], includeNamespaces: Bool, into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        out.putLE64(changeCount, at: 0)
        out.putLE16(UInt16(clamping: groups.count), at: 8)
        var at = 16
        for g in groups {
            out.putLE32(g.groupID, at: at)
            out.putLE32(includeNamespaces ? UInt32(g.namespaceIDs.count) : 0, at: at + 4)
            out.putLE64(g.changeCount, at: at + 8)
            out.putByte(g.state.rawValue, at: at + 16)
            at += 32
            if includeNamespaces {
                for id in g.namespaceIDs {
                    out.putLE32(id, at: at)
                    at += 4
                }
            }
        }
    }
}
