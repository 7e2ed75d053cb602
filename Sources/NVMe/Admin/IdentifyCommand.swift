/// Identify (admin 06h) command fields.
///
/// CDW10 bits 7:0 CNS, 31:16 CNTID; CDW11 bits 15:0 CNSSID, 31:24 CSI.
/// The data is always 4096 bytes.
@frozen
public struct IdentifyCommand: Hashable, Sendable {
    /// The command this view reads.
    public var entry: SubmissionQueueEntry

    @inlinable public init(_ entry: SubmissionQueueEntry) { self.entry = entry }

    /// Builds an Identify SQE.
    public init(commandID: UInt16 = 0, cns: UInt8, namespaceID: UInt32 = 0, csi: UInt8 = 0) {
        var e = SubmissionQueueEntry(
            opcode: AdminOpcode.identify, commandID: commandID, namespaceID: namespaceID)
        e.dataPointer = .keyed(
            address: 0, length: UInt32(IdentifyCommand.dataSize), key: 0, invalidate: true)
        e.cdw10 = UInt32(cns)
        e.cdw11 = UInt32(csi) << 24
        entry = e
    }

    /// Bytes every Identify returns.
    public static let dataSize = 4096

    /// CNS.
    @inlinable public var cns: UInt8 { UInt8(truncatingIfNeeded: entry.cdw10) }
    /// CNTID.
    @inlinable public var controllerID: UInt16 { UInt16(truncatingIfNeeded: entry.cdw10 >> 16) }
    /// CSI.
    @inlinable public var commandSetIdentifier: UInt8 { UInt8(truncatingIfNeeded: entry.cdw11 >> 24) }
}

/// CNS values the target answers.
public enum IdentifyCNS {
    /// 00h Identify Namespace.
    public static let namespace: UInt8 = 0x00
    /// 01h Identify Controller.
    public static let controller: UInt8 = 0x01
    /// 02h Active Namespace ID list.
    public static let activeNamespaceList: UInt8 = 0x02
    /// 03h Namespace Identification Descriptor list.
    public static let namespaceDescriptors: UInt8 = 0x03
    /// 06h I/O Command Set specific Identify Controller.
    public static let commandSetController: UInt8 = 0x06
    /// 08h I/O Command Set independent Identify Namespace.
    public static let independentNamespace: UInt8 = 0x08
}
