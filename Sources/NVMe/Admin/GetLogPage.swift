/// Get Log Page (admin 02h) command fields.
///
/// CDW10: 7:0 LID, 14:8 LSP, 15 RAE, 31:16 NUMDL; CDW11: 15:0 NUMDU, 31:16
/// LSI; CDW12/13: LPOL/LPOU (byte offset). Length = (NUMD + 1) × 4.
@frozen
public struct GetLogPageCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds a Get Log Page SQE for `length` bytes (a multiple of 4) at `offset`.
    public init(
        commandID: UInt16 = 0, logPageID: UInt8, namespaceID: UInt32 = 0, offset: UInt64 = 0,
        length: Int,
        retainAsyncEvent: Bool = false, specific: UInt8 = 0
    ) {
        var e = SubmissionQueueEntry(
            opcode: AdminOpcode.getLogPage, commandID: commandID, namespaceID: namespaceID)
        e.dataPointer = .keyed(address: 0, length: UInt32(length), key: 0, invalidate: true)
        let numd = UInt32(max(length / 4 - 1, 0))
        e.cdw10 =
            UInt32(logPageID) | UInt32(specific & 0x7F) << 8 | (retainAsyncEvent ? 1 << 15 : 0)
            | (numd & 0xFFFF) << 16
        e.cdw11 = numd >> 16
        e.cdw12 = UInt32(truncatingIfNeeded: offset)
        e.cdw13 = UInt32(truncatingIfNeeded: offset >> 32)
        entry = e
    }

    /// LID.
    @inlinable public var logPageID: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10) }
    /// LSP.
    @inlinable public var specificField: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10 >> 8) & 0x7F }
    /// RAE: keep the async event outstanding.
    @inlinable public var retainAsyncEvent: Bool { entry.cdw10 & 0x8000 != 0 }
    /// NUMD (0's based dwords), 32 bits from NUMDL and NUMDU.
    @inlinable public var numberOfDwords: UInt32 { entry.cdw10 >> 16 | (entry.cdw11 & 0xFFFF) << 16 }
    /// Bytes requested: (NUMD + 1) × 4 (computed in 64 bits: cannot overflow).
    @inlinable public var length: UInt64 { (UInt64(numberOfDwords) + 1) * 4 }
    /// LPO, byte offset into the log.
    @inlinable public var offset: UInt64 { UInt64(entry.cdw12) | UInt64(entry.cdw13) << 32 }
}

/// Log page identifiers the target serves.
public enum LogPageID {
    /// 01h Error Information.
    public static let errorInformation: UInt8 = 0x01
    /// 02h SMART / Health Information.
    public static let smartHealth: UInt8 = 0x02
    /// 03h Firmware Slot Information.
    public static let firmwareSlot: UInt8 = 0x03
    /// 04h Changed Namespace List.
    public static let changedNamespaceList: UInt8 = 0x04
    /// 05h Commands Supported and Effects.
    public static let commandEffects: UInt8 = 0x05
    /// 0Ch Asymmetric Namespace Access.
    public static let asymmetricNamespaceAccess: UInt8 = 0x0C
    /// 80h Reservation Notification.
    public static let reservationNotification: UInt8 = 0x80
    /// 70h Discovery.
    public static let discovery: UInt8 = 0x70
}
