import Backends
import NVMe

/// One namespace: one block device under one NSID of one subsystem.
///
/// Its identifiers (UUID, NGUID, EUI-64) are unique across the target: the
/// Linux host ignores a namespace whose IDs it has already seen.
public final class Namespace {
    /// NSID.
    public let namespaceID: UInt32
    /// The device behind it.
    public let device: any BlockDevice
    /// UUID (16 bytes, zero when none).
    public let uuid: [UInt8]
    /// NGUID (16 bytes, zero when none).
    public let nguid: [UInt8]
    /// EUI-64 (8 bytes, zero when none).
    public let eui64: [UInt8]
    /// True when writes are refused (the device's or the configuration's choice).
    public let isReadOnly: Bool
    /// ANAGRPID: the ANA group whose per-listener state applies to it.
    public let anaGroupID: UInt32
    /// Index of the namespace in the target and in every poll group's channel table.
    let globalIndex: Int
    /// Registrations and the reservation (control lock).
    let reservation = ReservationState()

    init(
        namespaceID: UInt32, device: any BlockDevice, uuid: [UInt8], nguid: [UInt8], eui64: [UInt8],
        readOnly: Bool, anaGroupID: UInt32, globalIndex: Int
    ) {
        self.namespaceID = namespaceID
        self.device = device
        self.uuid = uuid
        self.nguid = nguid
        self.eui64 = eui64
        self.isReadOnly = readOnly || device.isReadOnly
        self.anaGroupID = anaGroupID
        self.globalIndex = globalIndex
    }

    /// Logical block size in bytes.
    public var blockSize: Int { device.blockSize }
    /// Capacity in logical blocks.
    public var blockCount: UInt64 { device.blockCount }

    /// log2 of the block size (LBAF0.LBADS).
    var blockShift: UInt8 {
        var s: UInt8 = 0
        while (1 << Int(s)) < blockSize && s < 31 { s += 1 }
        return s
    }

    /// The I/O path's copy of what it needs, free of references, for a
    /// path whose ANA state for this namespace's group is `anaState`, for
    /// host `hostID` (its reservation access). Control lock held.
    func entry(anaState: ANAState, hostID: [UInt8]) -> NamespaceEntry {
        let access = reservation.access(hostID)
        return NamespaceEntry(
            present: true, readOnly: isReadOnly, volatileWriteCache: device.hasVolatileWriteCache,
            anaState: anaState, readConflict: !access.read, writeConflict: !access.write, blockShift: blockShift,
            blockCount: blockCount, channelIndex: globalIndex)
    }

    /// Identify Namespace (CNS 00h) for this namespace.
    func identifyData(namespaceID nsid: UInt32) -> IdentifyNamespaceData {
        var d = IdentifyNamespaceData()
        d.size = blockCount
        d.capacity = blockCount
        d.utilization = blockCount
        d.features = 0
        d.multiPathCapabilities = 1
        // Bits 2:0: deallocated blocks read as zeroes (001b) only where the
        // device guarantees it (a file's punched hole does; a block device's
        // discard may not: 000b, not reported). Bit 3: Write Zeroes takes
        // DEAC (it always writes zeroes, which DEAC allows).
        d.deallocateFeatures = device.deallocatedBlocksReadZero ? 0x09 : 0x08
        d.attributes = isReadOnly ? 1 : 0
        d.reservationCapabilities = reservationCapabilities(persistent: reservation.store != nil)
        d.enduranceGroupID = 0
        d.nguid = nguid
        d.eui64 = eui64
        d.lbaDataSizeShift = blockShift
        return d
    }
}

/// A namespace as an I/O queue sees it: plain values, no references, so the
/// I/O path reads it without retain/release.
struct NamespaceEntry: Sendable {
    var present: Bool
    var readOnly: Bool
    var volatileWriteCache: Bool
    /// This path's ANA state for the namespace: I/O runs only when optimized
    /// or non-optimized, and gets the path status otherwise.
    var anaState: ANAState
    /// The host's reads (Read) or writes (Write, Write Zeroes, Dataset
    /// Management, Flush) get Reservation Conflict.
    var readConflict: Bool
    var writeConflict: Bool
    var blockShift: UInt8
    var blockCount: UInt64
    var channelIndex: Int

    static let absent = NamespaceEntry(
        present: false, readOnly: true, volatileWriteCache: false, anaState: .optimized, readConflict: false,
        writeConflict: false, blockShift: 9, blockCount: 0, channelIndex: -1)
}
