/// Identify Controller data (CNS 01h, 4096 bytes): the values a fabrics
/// target reports, and their encoder.
///
/// Offsets follow the NVMe base specification; see the reference §1.8 for
/// which ones the Linux host checks (CNTLID, KAS, SGLS, IOCCSZ, ICDOFF, …).
public struct IdentifyControllerData: Hashable, Sendable {
    /// VID, offset 0.
    public var vendorID: UInt16 = 0
    /// SSVID, offset 2.
    public var subsystemVendorID: UInt16 = 0
    /// SN, offset 4, 20 bytes, space-padded ASCII.
    public var serialNumber: String = ""
    /// MN, offset 24, 40 bytes.
    public var modelNumber: String = ""
    /// FR, offset 64, 8 bytes.
    public var firmwareRevision: String = ""
    /// RAB, offset 72.
    public var recommendedArbitrationBurst: UInt8 = 6
    /// CMIC, offset 76 (bit 1: more than one controller per subsystem).
    public var multiPathCapabilities: UInt8 = 0
    /// MDTS, offset 77 (2^n × 4 KiB; 0 = unlimited).
    public var maximumDataTransferSize: UInt8 = 0
    /// CNTLID, offset 78.
    public var controllerID: UInt16 = 0
    /// VER, offset 80.
    public var version: UInt32 = 0
    /// OAES, offset 92.
    public var asyncEventsSupported: UInt32 = 0
    /// CTRATT, offset 96.
    public var controllerAttributes: UInt32 = 0
    /// CNTRLTYPE, offset 111 (1 I/O, 2 discovery).
    public var controllerType: UInt8 = 1
    /// OACS, offset 256.
    public var optionalAdminCommands: UInt16 = 0
    /// ACL, offset 258 (0's based).
    public var abortCommandLimit: UInt8 = 3
    /// AERL, offset 259 (0's based).
    public var asyncEventRequestLimit: UInt8 = 3
    /// FRMW, offset 260.
    public var firmwareUpdates: UInt8 = 0x03
    /// LPA, offset 261 (bit 1: Commands Supported and Effects log).
    public var logPageAttributes: UInt8 = 0
    /// ELPE, offset 262 (0's based).
    public var errorLogPageEntries: UInt8 = 127
    /// KAS, offset 320 (100 ms units).
    public var keepAliveSupport: UInt16 = 0
    /// ANATT, offset 342: seconds a group may stay in the change state.
    public var anaTransitionTime: UInt8 = 0
    /// ANACAP, offset 343 (`ANACapabilities`).
    public var anaCapabilities: UInt8 = 0
    /// ANAGRPMAX, offset 344: the largest ANA group ID.
    public var anaGroupMax: UInt32 = 0
    /// NANAGRPID, offset 348: how many ANA group IDs the subsystem supports.
    public var numberOfANAGroupIDs: UInt32 = 0
    /// SQES, offset 512.
    public var submissionQueueEntrySize: UInt8 = 0x66
    /// CQES, offset 513.
    public var completionQueueEntrySize: UInt8 = 0x44
    /// MAXCMD, offset 514.
    public var maximumOutstandingCommands: UInt16 = 0
    /// NN, offset 516.
    public var numberOfNamespaces: UInt32 = 0
    /// ONCS, offset 520 (bit 2 DSM, bit 3 Write Zeroes).
    public var optionalNVMCommands: UInt16 = 0
    /// VWC, offset 525.
    public var volatileWriteCache: UInt8 = 0
    /// SGLS, offset 536.
    public var sglSupport: UInt32 = 0
    /// MNAN, offset 540.
    public var maximumAllowedNamespaces: UInt32 = 0
    /// SUBNQN, offset 768, 256 bytes, NUL-padded.
    public var subsystemNQN: String = ""
    /// IOCCSZ, offset 1792 (16-byte units, SQE included).
    public var ioQueueCommandCapsuleSize: UInt32 = 0
    /// IORCSZ, offset 1796 (16-byte units).
    public var ioQueueResponseCapsuleSize: UInt32 = 0
    /// ICDOFF, offset 1800 (must be 0 for Linux).
    public var inCapsuleDataOffset: UInt16 = 0
    /// FCATT, offset 1802 (bit 0: static controller model).
    public var fabricsControllerAttributes: UInt8 = 0
    /// MSDBD, offset 1803.
    public var maximumSGLDataBlockDescriptors: UInt8 = 1
    /// DCTYPE, offset 1806 (discovery controllers).
    public var discoveryControllerType: UInt8 = 0

    public init() {}

    /// Offsets of the fields the Linux host checks (tests and error locations).
    public enum Offset {
        public static let vendorID = 0, serialNumber = 4, modelNumber = 24, firmwareRevision = 64
        public static let multiPathCapabilities = 76, maximumDataTransferSize = 77, controllerID = 78
        public static let version = 80, asyncEventsSupported = 92, controllerAttributes = 96
        public static let controllerType = 111, abortCommandLimit = 258, asyncEventRequestLimit = 259
        public static let logPageAttributes = 261, errorLogPageEntries = 262, keepAliveSupport = 320
        public static let anaTransitionTime = 342, anaCapabilities = 343, anaGroupMax = 344
        public static let numberOfANAGroupIDs = 348
        public static let submissionQueueEntrySize = 512, completionQueueEntrySize = 513
        public static let maximumOutstandingCommands = 514, numberOfNamespaces = 516
        public static let optionalNVMCommands = 520, volatileWriteCache = 525, sglSupport = 536
        public static let maximumAllowedNamespaces = 540, subsystemNQN = 768
        public static let ioQueueCommandCapsuleSize = 1792, ioQueueResponseCapsuleSize = 1796
        public static let inCapsuleDataOffset = 1800, fabricsControllerAttributes = 1802
        public static let maximumSGLDataBlockDescriptors = 1803, discoveryControllerType = 1806
    }

    /// SGLS for a keyed-SGL fabrics target: bits 1:0 = 01b (SGLs supported),
    /// bit 2 keyed data block, bit 20 (offset addressing, i.e. in-capsule
    /// data) only when the transport accepts in-capsule data.
    @inlinable
    public static func sglSupport(inCapsuleDataSize: Int) -> UInt32 {
        0x0000_0005 | (inCapsuleDataSize > 0 ? 1 << 20 : 0)
    }

    /// MDTS for a largest transfer of `maxTransferSize` bytes with 4 KiB pages
    /// (log2, rounded down; 0 means unlimited so never returned for a limit).
    @inlinable
    public static func mdts(maxTransferSize: Int) -> UInt8 {
        var pages = max(maxTransferSize / 4096, 1)
        var shift: UInt8 = 0
        while pages > 1 {
            pages >>= 1
            shift += 1
        }
        return shift
    }

    /// Encodes the 4096-byte structure (the buffer is zero-filled first).
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        out.zeroFill()
        out.putLE16(vendorID, at: 0)
        out.putLE16(subsystemVendorID, at: 2)
        out.putString(serialNumber, at: 4, width: 20, pad: 0x20)
        out.putString(modelNumber, at: 24, width: 40, pad: 0x20)
        out.putString(firmwareRevision, at: 64, width: 8, pad: 0x20)
        out.putByte(recommendedArbitrationBurst, at: 72)
        out.putByte(multiPathCapabilities, at: 76)
        out.putByte(maximumDataTransferSize, at: 77)
        out.putLE16(controllerID, at: 78)
        out.putLE32(version, at: 80)
        out.putLE32(asyncEventsSupported, at: 92)
        out.putLE32(controllerAttributes, at: 96)
        out.putByte(controllerType, at: 111)
        out.putLE16(optionalAdminCommands, at: 256)
        out.putByte(abortCommandLimit, at: 258)
        out.putByte(asyncEventRequestLimit, at: 259)
        out.putByte(firmwareUpdates, at: 260)
        out.putByte(logPageAttributes, at: 261)
        out.putByte(errorLogPageEntries, at: 262)
        out.putLE16(keepAliveSupport, at: 320)
        out.putByte(anaTransitionTime, at: 342)
        out.putByte(anaCapabilities, at: 343)
        out.putLE32(anaGroupMax, at: 344)
        out.putLE32(numberOfANAGroupIDs, at: 348)
        out.putByte(submissionQueueEntrySize, at: 512)
        out.putByte(completionQueueEntrySize, at: 513)
        out.putLE16(maximumOutstandingCommands, at: 514)
        out.putLE32(numberOfNamespaces, at: 516)
        out.putLE16(optionalNVMCommands, at: 520)
        out.putByte(volatileWriteCache, at: 525)
        out.putLE32(sglSupport, at: 536)
        out.putLE32(maximumAllowedNamespaces, at: 540)
        out.putString(subsystemNQN, at: 768, width: 256, pad: 0)
        out.putLE32(ioQueueCommandCapsuleSize, at: 1792)
        out.putLE32(ioQueueResponseCapsuleSize, at: 1796)
        out.putLE16(inCapsuleDataOffset, at: 1800)
        out.putByte(fabricsControllerAttributes, at: 1802)
        out.putByte(maximumSGLDataBlockDescriptors, at: 1803)
        out.putByte(discoveryControllerType, at: 1806)
        // PSD0: a single power state; MP (centiwatts) nonzero so tools don't divide by zero.
        out.putLE16(900, at: 2048)
    }

    /// Decodes the fields above from a 4096-byte structure.
    public init(decoding b: UnsafeRawBufferPointer) {
        vendorID = b.wireLE16(0)
        subsystemVendorID = b.wireLE16(2)
        serialNumber = Self.trimmed(b.wireString(4, width: 20))
        modelNumber = Self.trimmed(b.wireString(24, width: 40))
        firmwareRevision = Self.trimmed(b.wireString(64, width: 8))
        recommendedArbitrationBurst = b.wireByte(72)
        multiPathCapabilities = b.wireByte(76)
        maximumDataTransferSize = b.wireByte(77)
        controllerID = b.wireLE16(78)
        version = b.wireLE32(80)
        asyncEventsSupported = b.wireLE32(92)
        controllerAttributes = b.wireLE32(96)
        controllerType = b.wireByte(111)
        optionalAdminCommands = b.wireLE16(256)
        abortCommandLimit = b.wireByte(258)
        asyncEventRequestLimit = b.wireByte(259)
        firmwareUpdates = b.wireByte(260)
        logPageAttributes = b.wireByte(261)
        errorLogPageEntries = b.wireByte(262)
        keepAliveSupport = b.wireLE16(320)
        submissionQueueEntrySize = b.wireByte(512)
        completionQueueEntrySize = b.wireByte(513)
        maximumOutstandingCommands = b.wireLE16(514)
        numberOfNamespaces = b.wireLE32(516)
        optionalNVMCommands = b.wireLE16(520)
        volatileWriteCache = b.wireByte(525)
        sglSupport = b.wireLE32(536)
        maximumAllowedNamespaces = b.wireLE32(540)
        subsystemNQN = b.wireString(768, width: 256)
        ioQueueCommandCapsuleSize = b.wireLE32(1792)
        ioQueueResponseCapsuleSize = b.wireLE32(1796)
        inCapsuleDataOffset = b.wireLE16(1800)
        fabricsControllerAttributes = b.wireByte(1802)
        maximumSGLDataBlockDescriptors = b.wireByte(1803)
        discoveryControllerType = b.wireByte(1806)
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }
}
