/// Fabrics Property Get (FCTYPE 04h) and Property Set (FCTYPE 00h).
///
/// SQE: 40 ATTRIB (bits 2:0 size: 0 = 4 bytes, 1 = 8 bytes), 44–47 OFST,
/// 48–55 VALUE (Set). The Get result travels in CQE DW0–DW1.
@frozen
public struct PropertyCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds a Property Get.
    public static func get(commandID: UInt16 = 0, offset: UInt32, eightBytes: Bool) -> PropertyCommand {
        var e = SubmissionQueueEntry(
            opcode: FabricsCommandType.opcode, commandID: commandID,
            namespaceID: UInt32(FabricsCommandType.propertyGet))
        e.cdw10 = eightBytes ? 1 : 0
        e.cdw11 = offset
        return PropertyCommand(e)
    }

    /// Builds a Property Set.
    public static func set(commandID: UInt16 = 0, offset: UInt32, value: UInt64, eightBytes: Bool)
        -> PropertyCommand
    {
        var e = SubmissionQueueEntry(
            opcode: FabricsCommandType.opcode, commandID: commandID,
            namespaceID: UInt32(FabricsCommandType.propertySet))
        e.cdw10 = eightBytes ? 1 : 0
        e.cdw11 = offset
        e.cdw12 = UInt32(truncatingIfNeeded: value)
        e.cdw13 = UInt32(truncatingIfNeeded: value >> 32)
        return PropertyCommand(e)
    }

    /// True for Property Get.
    @inlinable public var isGet: Bool { entry.fabricsCommandType == FabricsCommandType.propertyGet }
    /// ATTRIB size field (bits 2:0): 0 = 4 bytes, 1 = 8 bytes, others reserved.
    @inlinable public var sizeField: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10) & 0x7 }
    /// OFST.
    @inlinable public var offset: UInt32 { entry.cdw11 }
    /// VALUE (Set).
    @inlinable public var value: UInt64 { UInt64(entry.cdw12) | UInt64(entry.cdw13) << 32 }
}

/// Bit fields of CAP, CC and CSTS the target uses.
public enum ControllerRegisters {
    /// Builds CAP: MQES (0's based), CQR = 1, TO (500 ms units), CSS = NVM
    /// (bit 37), MPSMIN = MPSMAX = 0 (4 KiB pages).
    @inlinable
    public static func capabilities(maxQueueEntries: Int, timeout500ms: UInt8) -> UInt64 {
        let mqes = UInt64(UInt16(clamping: max(maxQueueEntries - 1, 1)))
        return mqes | 1 << 16 | UInt64(timeout500ms) << 24 | 1 << 37
    }

    /// VS value for major.minor.tertiary.
    @inlinable
    public static func version(major: UInt16, minor: UInt8, tertiary: UInt8 = 0) -> UInt32 {
        UInt32(major) << 16 | UInt32(minor) << 8 | UInt32(tertiary)
    }

    // CC fields.
    /// CC.EN, bit 0.
    @inlinable public static func enable(_ cc: UInt32) -> Bool { cc & 1 != 0 }
    /// CC.CSS, bits 6:4.
    @inlinable public static func commandSetSelected(_ cc: UInt32) -> UInt32 { (cc >> 4) & 0x7 }
    /// CC.MPS, bits 10:7.
    @inlinable public static func memoryPageSize(_ cc: UInt32) -> UInt32 { (cc >> 7) & 0xF }
    /// CC.AMS, bits 13:11.
    @inlinable public static func arbitrationMechanism(_ cc: UInt32) -> UInt32 { (cc >> 11) & 0x7 }
    /// CC.SHN, bits 15:14.
    @inlinable public static func shutdownNotification(_ cc: UInt32) -> UInt32 { (cc >> 14) & 0x3 }
    /// CC.IOSQES, bits 19:16 (log2; must be 6).
    @inlinable public static func ioSubmissionQueueEntrySize(_ cc: UInt32) -> UInt32 {
        (cc >> 16) & 0xF
    }
    /// CC.IOCQES, bits 23:20 (log2; must be 4).
    @inlinable public static func ioCompletionQueueEntrySize(_ cc: UInt32) -> UInt32 {
        (cc >> 20) & 0xF
    }

    // CSTS fields.
    /// CSTS.RDY, bit 0.
    public static let ready: UInt32 = 1 << 0
    /// CSTS.CFS, bit 1.
    public static let fatalStatus: UInt32 = 1 << 1
    /// CSTS.SHST = 10b (shutdown complete), bits 3:2.
    public static let shutdownComplete: UInt32 = 2 << 2
    /// CSTS.SHST mask.
    public static let shutdownStatusMask: UInt32 = 3 << 2
}
