/// Set Features (09h) / Get Features (0Ah) command fields.
///
/// CDW10: 7:0 FID, 10:8 SEL (Get), 31 SV (Set); CDW11: the value.
@frozen
public struct FeaturesCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds Set Features.
    public static func set(
        commandID: UInt16 = 0, featureID: UInt8, value: UInt32, save: Bool = false, namespaceID: UInt32 = 0
    ) -> FeaturesCommand {
        var e = SubmissionQueueEntry(opcode: AdminOpcode.setFeatures, commandID: commandID, namespaceID: namespaceID)
        e.cdw10 = UInt32(featureID) | (save ? 1 << 31 : 0)
        e.cdw11 = value
        return FeaturesCommand(e)
    }

    /// Builds Get Features; a data length > 0 adds a keyed SGL (Host Identifier).
    public static func get(
        commandID: UInt16 = 0, featureID: UInt8, select: UInt8 = 0, cdw11: UInt32 = 0,
        dataLength: Int = 0, namespaceID: UInt32 = 0
    ) -> FeaturesCommand {
        var e = SubmissionQueueEntry(opcode: AdminOpcode.getFeatures, commandID: commandID, namespaceID: namespaceID)
        e.cdw10 = UInt32(featureID) | UInt32(select & 7) << 8
        e.cdw11 = cdw11
        if dataLength > 0 {
            e.dataPointer = .keyed(address: 0, length: UInt32(dataLength), key: 0, invalidate: true)
        }
        return FeaturesCommand(e)
    }

    /// FID.
    @inlinable public var featureID: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10) }
    /// SEL (Get): 0 current, 1 default, 2 saved, 3 supported capabilities.
    @inlinable public var select: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10 >> 8) & 0x7 }
    /// SV (Set): save across resets; this target saves nothing.
    @inlinable public var save: Bool { entry.cdw10 & 0x8000_0000 != 0 }
    /// CDW11, the feature value.
    @inlinable public var value: UInt32 { entry.cdw11 }
}

/// Feature identifiers the target implements.
public enum FeatureID {
    /// 01h Arbitration (AB 2:0, LPW, MPW, HPW).
    public static let arbitration: UInt8 = 0x01
    /// 02h Power Management (PS 4:0, WH 7:5).
    public static let powerManagement: UInt8 = 0x02
    /// 04h Temperature Threshold (TMPTH 15:0 in kelvins, TMPSEL 19:16, THSEL 21:20).
    public static let temperatureThreshold: UInt8 = 0x04
    /// 05h Error Recovery (TLER 15:0, DULBE bit 16).
    public static let errorRecovery: UInt8 = 0x05
    /// 06h Volatile Write Cache (CDW11 bit 0 WCE).
    public static let volatileWriteCache: UInt8 = 0x06
    /// 07h Number of Queues (NSQR 15:0, NCQR 31:16, both 0's based).
    public static let numberOfQueues: UInt8 = 0x07
    /// 0Bh Asynchronous Event Configuration.
    public static let asyncEventConfiguration: UInt8 = 0x0B
    /// 0Fh Keep Alive Timer (KATO in ms).
    public static let keepAliveTimer: UInt8 = 0x0F
    /// 81h Host Identifier (CDW11 bit 0 EXHID: 128-bit).
    public static let hostIdentifier: UInt8 = 0x81
    /// 82h Reservation Notification Mask (per namespace; bits 1 to 3 mask
    /// registration preempted, reservation released, reservation preempted).
    public static let reservationNotificationMask: UInt8 = 0x82
    /// 83h Reservation Persistence (per namespace; bit 0 PTPL).
    public static let reservationPersistence: UInt8 = 0x83
}

/// Number of Queues encodings.
public enum NumberOfQueues {
    /// Result DW0: NSQA (15:0) and NCQA (31:16), 0's based, for `count` queues.
    @inlinable
    public static func result(allocated count: Int) -> UInt32 {
        let v = UInt32(UInt16(clamping: max(count - 1, 0)))
        return v | v << 16
    }
}

/// Asynchronous Event Configuration bits (feature 0Bh) and OAES.
public enum AsyncEventConfiguration {
    /// Bit 8: Namespace Attribute Notices.
    public static let namespaceAttribute: UInt32 = 1 << 8
    /// Bit 9: Firmware Activation Notices.
    public static let firmwareActivation: UInt32 = 1 << 9
    /// Bit 11: ANA Change Notices.
    public static let anaChange: UInt32 = 1 << 11
    /// Bit 31: Discovery Log Page Change Notification.
    public static let discoveryChange: UInt32 = 1 << 31
    /// Bits 7:0: SMART / Health critical warnings.
    public static let smartWarnings: UInt32 = 0xFF
}
