/// Discovery log page (70h): a 1024-byte header then 1024-byte entries.
///
/// Header: 0 GENCTR u64, 8 NUMREC u64, 16 RECFMT u16. Entry `i` starts at
/// 1024 × (i + 1).
public enum DiscoveryLogPage {
    /// Header size, and the size of each entry.
    public static let recordSize = 1024

    /// Total bytes for `count` entries.
    public static func size(entries count: Int) -> Int { recordSize * (count + 1) }

    /// Writes the header and entries (the buffer is zero-filled first).
    public static func encode(
        generation: UInt64, entries: [DiscoveryLogEntry], into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        out.putLE64(generation, at: 0)
        out.putLE64(UInt64(entries.count), at: 8)
        out.putLE16(0, at: 16)
        for (i, e) in entries.enumerated() { e.encode(into: out, at: recordSize * (i + 1)) }
    }

    /// GENCTR of an encoded page.
    public static func generation(_ b: UnsafeRawBufferPointer) -> UInt64 { b.wireLE64(0) }
    /// NUMREC of an encoded page.
    public static func recordCount(_ b: UnsafeRawBufferPointer) -> UInt64 { b.wireLE64(8) }
}

/// One discovery log entry (1024 bytes).
public struct DiscoveryLogEntry: Hashable, Sendable {
    /// TRTYPE, offset 0 (1 RDMA, 3 TCP).
    public var transportType: UInt8
    /// ADRFAM, offset 1 (1 IPv4, 2 IPv6, 3 IB).
    public var addressFamily: UInt8
    /// SUBTYPE, offset 2 (2 NVM subsystem, 3 current discovery subsystem).
    public var subsystemType: UInt8
    /// TREQ, offset 3 (bits 1:0: 2 = secure channel not required).
    public var transportRequirements: UInt8
    /// PORTID, offset 4.
    public var portID: UInt16
    /// CNTLID, offset 6 (FFFFh: dynamic).
    public var controllerID: UInt16
    /// ASQSZ, offset 8 (admin queue size, ≥ 32).
    public var adminMaxSQSize: UInt16
    /// EFLAGS, offset 10.
    public var entryFlags: UInt16
    /// TRSVCID, offset 32, 32 bytes ASCII (e.g. "4420").
    public var transportServiceID: String
    /// SUBNQN, offset 256, 256 bytes.
    public var subsystemNQN: String
    /// TRADDR, offset 512, 256 bytes ASCII.
    public var transportAddress: String
    /// TSAS for RDMA, offset 768: QPTYPE (1 reliable connected), PRTYPE
    /// (1 not specified), CMS (1 RDMA_CM).
    public var rdmaQPType: UInt8 = 1
    public var rdmaProviderType: UInt8 = 1
    public var rdmaConnectionManagement: UInt8 = 1

    /// TRTYPE RDMA.
    public static let transportRDMA: UInt8 = 1
    /// SUBTYPE NVM subsystem.
    public static let subtypeNVM: UInt8 = 2
    /// SUBTYPE current discovery subsystem.
    public static let subtypeCurrentDiscovery: UInt8 = 3

    public init(
        transportType: UInt8, addressFamily: UInt8, subsystemType: UInt8,
        transportRequirements: UInt8 = 2,
        portID: UInt16, controllerID: UInt16 = 0xFFFF, adminMaxSQSize: UInt16 = 32,
        entryFlags: UInt16 = 0,
        transportServiceID: String, subsystemNQN: String, transportAddress: String
    ) {
        self.transportType = transportType
        self.addressFamily = addressFamily
        self.subsystemType = subsystemType
        self.transportRequirements = transportRequirements
        self.portID = portID
        self.controllerID = controllerID
        self.adminMaxSQSize = adminMaxSQSize
        self.entryFlags = entryFlags
        self.transportServiceID = transportServiceID
        self.subsystemNQN = subsystemNQN
        self.transportAddress = transportAddress
    }

    /// Writes the entry at byte offset `o` (NUL-padded strings).
    public func encode(into out: UnsafeMutableRawBufferPointer, at o: Int) {
        out.putByte(transportType, at: o)
        out.putByte(addressFamily, at: o + 1)
        out.putByte(subsystemType, at: o + 2)
        out.putByte(transportRequirements, at: o + 3)
        out.putLE16(portID, at: o + 4)
        out.putLE16(controllerID, at: o + 6)
        out.putLE16(adminMaxSQSize, at: o + 8)
        out.putLE16(entryFlags, at: o + 10)
        out.putString(transportServiceID, at: o + 32, width: 32, pad: 0)
        out.putString(subsystemNQN, at: o + 256, width: 256, pad: 0)
        out.putString(transportAddress, at: o + 512, width: 256, pad: 0)
        if transportType == DiscoveryLogEntry.transportRDMA {
            out.putByte(rdmaQPType, at: o + 768)
            out.putByte(rdmaProviderType, at: o + 769)
            out.putByte(rdmaConnectionManagement, at: o + 770)
        }
    }

    /// Decodes the entry at byte offset `o`.
    public init(decoding b: UnsafeRawBufferPointer, at o: Int) {
        transportType = b.wireByte(o)
        addressFamily = b.wireByte(o + 1)
        subsystemType = b.wireByte(o + 2)
        transportRequirements = b.wireByte(o + 3)
        portID = b.wireLE16(o + 4)
        controllerID = b.wireLE16(o + 6)
        adminMaxSQSize = b.wireLE16(o + 8)
        entryFlags = b.wireLE16(o + 10)
        transportServiceID = b.wireString(o + 32, width: 32)
        subsystemNQN = b.wireString(o + 256, width: 256)
        transportAddress = b.wireString(o + 512, width: 256)
        rdmaQPType = b.wireByte(o + 768)
        rdmaProviderType = b.wireByte(o + 769)
        rdmaConnectionManagement = b.wireByte(o + 770)
    }
}
