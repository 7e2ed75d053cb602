/// Identify Namespace data (CNS 00h, 4096 bytes) for a namespace with one
/// LBA format and no metadata.
public struct IdentifyNamespaceData: Hashable, Sendable {
    /// NSZE, offset 0, in logical blocks.
    public var size: UInt64 = 0
    /// NCAP, offset 8 (0 makes the host treat the namespace as absent).
    public var capacity: UInt64 = 0
    /// NUSE, offset 16.
    public var utilization: UInt64 = 0
    /// NSFEAT, offset 24.
    public var features: UInt8 = 0
    /// NMIC, offset 30 (bit 0: may be attached to several controllers).
    public var multiPathCapabilities: UInt8 = 1
    /// RESCAP, offset 31 (bit 0 persist through power loss, bits 1 to 6 the
    /// six reservation types, bit 7 IEKEY as in NVMe 1.3).
    public var reservationCapabilities: UInt8 = 0
    /// DLFEAT, offset 33 (bits 2:0 = 001b deallocated reads as zero; bit 3 WZ DEAC).
    public var deallocateFeatures: UInt8 = 0
    /// ANAGRPID, offset 92.
    public var anaGroupID: UInt32 = 0
    /// NSATTR, offset 99 (bit 0: write protected).
    public var attributes: UInt8 = 0
    /// ENDGID, offset 102.
    public var enduranceGroupID: UInt16 = 0
    /// NGUID, offset 104, 16 bytes.
    public var nguid: [UInt8] = Array(repeating: 0, count: 16)
    /// EUI64, offset 120, 8 bytes.
    public var eui64: [UInt8] = Array(repeating: 0, count: 8)
    /// LBAF0.LBADS, offset 130: log2 of the block size.
    public var lbaDataSizeShift: UInt8 = 9

    public init() {}

    /// Encodes the 4096-byte structure (NLBAF = 0, FLBAS = 0, LBAF0.MS = 0).
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putLE64(size, at: 0)
        out.putLE64(capacity, at: 8)
        out.putLE64(utilization, at: 16)
        out.putByte(features, at: 24)
        out.putByte(multiPathCapabilities, at: 30)
        out.putByte(reservationCapabilities, at: 31)
        out.putByte(deallocateFeatures, at: 33)
        out.putLE32(anaGroupID, at: 92)
        out.putByte(attributes, at: 99)
        out.putLE16(enduranceGroupID, at: 102)
        out.putBytes(nguid.prefix(16), at: 104)
        out.putBytes(eui64.prefix(8), at: 120)
        out.putByte(lbaDataSizeShift, at: 130)
    }
}

/// I/O Command Set independent Identify Namespace (CNS 08h).
public struct IndependentIdentifyNamespaceData: Hashable, Sendable {
    /// NSFEAT, offset 0.
    public var features: UInt8 = 0
    /// NMIC, offset 1.
    public var multiPathCapabilities: UInt8 = 1
    /// ANAGRPID, offset 4.
    public var anaGroupID: UInt32 = 0
    /// NSATTR, offset 8.
    public var attributes: UInt8 = 0
    /// ENDGID, offset 12.
    public var enduranceGroupID: UInt16 = 0
    /// NSTAT, offset 14 (bit 0: namespace ready).
    public var status: UInt8 = 1

    public init() {}

    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putByte(features, at: 0)
        out.putByte(multiPathCapabilities, at: 1)
        out.putLE32(anaGroupID, at: 4)
        out.putByte(attributes, at: 8)
        out.putLE16(enduranceGroupID, at: 12)
        out.putByte(status, at: 14)
    }
}

/// Namespace lists: Active Namespace ID list (CNS 02h) and Changed
/// Namespace List log (04h), both up to 1024 ascending u32 NSIDs, zero-terminated.
public enum NamespaceList {
    /// Maximum entries in a 4096-byte list.
    public static let capacity = 1024

    /// Writes `ids` (already ascending) into the list, zero-filling the rest.
    /// More than 1024 ids write FFFFFFFFh as the first entry (the Changed
    /// Namespace List overflow marker).
    public static func encode(_ ids: [UInt32], into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        if ids.count > capacity {
            out.putLE32(0xFFFF_FFFF, at: 0)
            return
        }
        for (i, id) in ids.enumerated() { out.putLE32(id, at: i * 4) }
    }
}

/// Namespace Identification Descriptor list (CNS 03h).
public enum NamespaceDescriptorList {
    /// NIDT 1: EUI-64 (8 bytes).
    public static let eui64: UInt8 = 1
    /// NIDT 2: NGUID (16 bytes).
    public static let nguid: UInt8 = 2
    /// NIDT 3: UUID (16 bytes).
    public static let uuid: UInt8 = 3
    /// NIDT 4: Command Set Identifier (1 byte).
    public static let csi: UInt8 = 4

    /// Writes descriptors for the non-zero identifiers plus CSI 0 (NVM).
    /// Each is NIDT, NIDL, 2 reserved bytes, then NIDL bytes; the list ends
    /// at the first zero NIDT/NIDL (the zero-filled remainder).
    public static func encode(
        eui64 e: [UInt8], nguid n: [UInt8], uuid u: [UInt8], into out: UnsafeMutableRawBufferPointer
    ) {
        out.zeroFill()
        var o = 0
        func put(_ type: UInt8, _ value: [UInt8]) {
            out.putByte(type, at: o)
            out.putByte(UInt8(value.count), at: o + 1)
            out.putBytes(value, at: o + 4)
            o += 4 + value.count
        }
        if e.count == 8, e.contains(where: { $0 != 0 }) { put(eui64, e) }
        if n.count == 16, n.contains(where: { $0 != 0 }) { put(nguid, n) }
        if u.count == 16, u.contains(where: { $0 != 0 }) { put(uuid, u) }
        put(csi, [0])
    }
}
