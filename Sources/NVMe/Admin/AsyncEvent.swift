/// Asynchronous Event Request completion DW0.
///
/// Bits 2:0 event type, 15:8 event information, 23:16 the log page the host
/// reads to clear the event.
@frozen
public struct AsyncEvent: Hashable, Sendable {
    /// Event type, bits 2:0 (0 error, 1 SMART, 2 notice, 6 I/O command set, 7 vendor).
    public var type: UInt8
    /// Event information, bits 15:8.
    public var information: UInt8
    /// Associated log page, bits 23:16.
    public var logPageID: UInt8

    @inlinable
    public init(type: UInt8, information: UInt8, logPageID: UInt8) {
        self.type = type
        self.information = information
        self.logPageID = logPageID
    }

    /// Reads a completion DW0.
    @inlinable
    public init(dword0: UInt32) {
        type = UInt8(truncatingIfNeeded: dword0) & 0x7
        information = UInt8(truncatingIfNeeded: dword0 >> 8)
        logPageID = UInt8(truncatingIfNeeded: dword0 >> 16)
    }

    /// The completion DW0.
    @inlinable
    public var dword0: UInt32 {
        UInt32(type & 0x7) | UInt32(information) << 8 | UInt32(logPageID) << 16
    }

    /// Notice type.
    public static let noticeType: UInt8 = 2
    /// Namespace Attribute Changed: notice, info 00h, log 04h.
    public static let namespaceAttributeChanged = AsyncEvent(
        type: 2, information: 0x00, logPageID: 0x04)
    /// ANA Change: notice, info 03h, log 0Ch.
    public static let anaChange = AsyncEvent(type: 2, information: 0x03, logPageID: 0x0C)
    /// Reservation Log Page Available: I/O command specific (6), info 00h, log 80h.
    public static let reservationLogAvailable = AsyncEvent(type: 6, information: 0x00, logPageID: 0x80)
    /// Discovery Log Page Change: notice, info F0h, log 70h.
    public static let discoveryLogChanged = AsyncEvent(type: 2, information: 0xF0, logPageID: 0x70)
}
