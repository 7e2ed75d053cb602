/// Reservation types (RTYPE), as the Reservation Acquire and Release
/// commands and the Reservation Report name them.
@frozen
public enum ReservationType: UInt8, Sendable, Hashable, CaseIterable {
    case writeExclusive = 1
    case exclusiveAccess = 2
    case writeExclusiveRegistrantsOnly = 3
    case exclusiveAccessRegistrantsOnly = 4
    case writeExclusiveAllRegistrants = 5
    case exclusiveAccessAllRegistrants = 6

    /// Every registrant holds the reservation (types 5 and 6).
    @inlinable public var allRegistrantsHold: Bool {
        self == .writeExclusiveAllRegistrants || self == .exclusiveAccessAllRegistrants
    }

    /// Registrants that do not hold it may write (types 3 to 6).
    @inlinable public var registrantsMayWrite: Bool { rawValue >= 3 }

    /// Only registrants may read (the Exclusive Access types 2, 4, 6);
    /// for type 2 only the holder.
    @inlinable public var isExclusiveAccess: Bool { rawValue % 2 == 0 }

    /// What a host may do under this reservation: (read, write).
    ///
    /// The access table of the spec (Command Behavior in the Presence of a
    /// Reservation): the holder may do everything; a registrant may write
    /// under the Registrants Only and All Registrants types and read unless
    /// the type is Exclusive Access; a host that is not registered may read
    /// only under the Write Exclusive types.
    @inlinable
    public func access(isHolder: Bool, isRegistrant: Bool) -> (read: Bool, write: Bool) {
        if isHolder || (isRegistrant && allRegistrantsHold) { return (true, true) }
        if isRegistrant {
            return (read: self != .exclusiveAccess, write: registrantsMayWrite)
        }
        return (read: !isExclusiveAccess, write: false)
    }
}

/// Reservation Register (0Dh): CDW10 bits 2:0 RREGA, bit 3 IEKEY, bits
/// 31:30 CPTPL. Data: CRKEY (u64), NRKEY (u64).
@frozen
public struct ReservationRegisterCommand: Hashable, Sendable {
    public enum Action: UInt8, Sendable {
        case register = 0
        case unregister = 1
        case replace = 2
    }
    /// CPTPL: what to do with Persist Through Power Loss.
    public enum PersistChange: UInt8, Sendable {
        case noChange = 0
        case clear = 2
        case set = 3
    }

    public var entry: SubmissionQueueEntry
    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// RREGA, nil for a reserved value.
    @inlinable public var action: Action? { Action(rawValue: UInt8(truncatingIfNeeded: entry.cdw10 & 0x7)) }
    /// IEKEY: ignore the current key (register's replace, unregister).
    @inlinable public var ignoreExistingKey: Bool { entry.cdw10 & 0x8 != 0 }
    /// CPTPL, nil for the reserved value 1.
    @inlinable public var persistChange: PersistChange? { PersistChange(rawValue: UInt8(entry.cdw10 >> 30)) }
    /// Bytes of data the command carries.
    public static let dataSize = 16
}

/// Reservation Acquire (11h): CDW10 bits 2:0 RACQA, bit 3 IEKEY, bits 15:8
/// RTYPE. Data: CRKEY (u64), PRKEY (u64).
@frozen
public struct ReservationAcquireCommand: Hashable, Sendable {
    public enum Action: UInt8, Sendable {
        case acquire = 0
        case preempt = 1
        case preemptAndAbort = 2
    }

    public var entry: SubmissionQueueEntry
    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    @inlinable public var action: Action? { Action(rawValue: UInt8(truncatingIfNeeded: entry.cdw10 & 0x7)) }
    @inlinable public var ignoreExistingKey: Bool { entry.cdw10 & 0x8 != 0 }
    /// RTYPE, nil for 0 or a reserved value.
    @inlinable public var type: ReservationType? {
        ReservationType(rawValue: UInt8(truncatingIfNeeded: entry.cdw10 >> 8))
    }
    public static let dataSize = 16
}

/// Reservation Release (15h): CDW10 bits 2:0 RRELA, bit 3 IEKEY, bits 15:8
/// RTYPE. Data: CRKEY (u64).
@frozen
public struct ReservationReleaseCommand: Hashable, Sendable {
    public enum Action: UInt8, Sendable {
        case release = 0
        case clear = 1
    }

    public var entry: SubmissionQueueEntry
    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    @inlinable public var action: Action? { Action(rawValue: UInt8(truncatingIfNeeded: entry.cdw10 & 0x7)) }
    @inlinable public var ignoreExistingKey: Bool { entry.cdw10 & 0x8 != 0 }
    /// RTYPE as sent (0 is allowed for Clear).
    @inlinable public var typeValue: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10 >> 8) }
    public static let dataSize = 8
}

/// Reservation Report (0Eh): CDW10 NUMD (0's based dwords), CDW11 bit 0 EDS
/// (extended data structure: 128-bit host identifiers).
@frozen
public struct ReservationReportCommand: Hashable, Sendable {
    public var entry: SubmissionQueueEntry
    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Bytes the host asked for: (NUMD + 1) × 4.
    @inlinable public var length: Int { (Int(entry.cdw10) + 1) * 4 }
    @inlinable public var extendedData: Bool { entry.cdw11 & 1 != 0 }
}

/// The Reservation Status data structure a Reservation Report returns.
///
/// Header: GEN u32 at 0, RTYPE u8 at 4, REGCTL u16 at 5, PTPLS u8 at 9
/// (24 bytes; 64 in the extended form). Then one entry per registered
/// controller: 24 bytes (CNTLID u16, RCSTS u8 at 2, HOSTID 8 bytes at 8,
/// RKEY u64 at 16) or, extended, 64 bytes (CNTLID, RCSTS, RKEY at 8, HOSTID
/// 16 bytes at 16).
public enum ReservationStatus {
    public struct Registrant: Hashable, Sendable {
        public var controllerID: UInt16
        public var holdsReservation: Bool
        public var hostID: [UInt8]
        public var key: UInt64

        public init(controllerID: UInt16, holdsReservation: Bool, hostID: [UInt8], key: UInt64) {
            self.controllerID = controllerID
            self.holdsReservation = holdsReservation
            self.hostID = hostID
            self.key = key
        }
    }

    public static func size(registrants: Int, extended: Bool) -> Int {
        extended ? 64 + 64 * registrants : 24 + 24 * registrants
    }

    public static func encode(
        generation: UInt32, type: ReservationType?, persistThroughPowerLoss: Bool, registrants: [Registrant],
        extended: Bool, into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        out.putLE32(generation, at: 0)
        out.putByte(type?.rawValue ?? 0, at: 4)
        out.putLE16(UInt16(clamping: registrants.count), at: 5)
        out.putByte(persistThroughPowerLoss ? 1 : 0, at: 9)
        var at = extended ? 64 : 24
        for r in registrants {
            out.putLE16(r.controllerID, at: at)
            out.putByte(r.holdsReservation ? 1 : 0, at: at + 2)
            if extended {
                out.putLE64(r.key, at: at + 8)
                out.putBytes(r.hostID.prefix(16), at: at + 16)
                at += 64
            } else {
                out.putBytes(r.hostID.prefix(8), at: at + 8)
                out.putLE64(r.key, at: at + 16)
                at += 24
            }
        }
    }
}

/// The Reservation Notification log page (80h): 64 bytes, one notice.
public enum ReservationNotificationLog {
    public static let wireSize = 64

    /// Log page types.
    public enum NoticeType: UInt8, Sendable {
        case empty = 0
        case registrationPreempted = 1
        case reservationReleased = 2
        case reservationPreempted = 3
    }

    /// - Parameters:
    ///   - count: the log page count (increments per notice, never 0 for a real one).
    ///   - available: notices still queued after this one (at most 255).
    public static func encode(
        count: UInt64, type: NoticeType, available: Int, namespaceID: UInt32, into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        out.putLE64(count, at: 0)
        out.putByte(type.rawValue, at: 8)
        out.putByte(UInt8(clamping: available), at: 9)
        out.putLE32(namespaceID, at: 12)
    }
}

/// The keys a Reservation Register, Acquire or Release carries: the first
/// (CRKEY) at byte 0, the second (NRKEY or PRKEY) at byte 8. A short buffer
/// reads as zeroes; callers check its length first.
public enum ReservationKeys {
    public static func decode(_ data: UnsafeRawBufferPointer) -> (current: UInt64, other: UInt64) {
        (data.wireLE64(0), data.wireLE64(8))
    }
}
