/// A block device the target exports as a namespace (SPDK's bdev, nvmet's
/// backing device).
///
/// The device itself is shared and configured on the control path; all I/O goes
/// through per-thread `BlockDeviceChannel`s (SPDK's io_channel), so the poll
/// group that owns a channel never takes a lock and never blocks.
public protocol BlockDevice: AnyObject {
    /// The name the configuration uses (`bdev_name` in SPDK's RPCs).
    var name: String { get }
    /// Logical block size in bytes (512 or 4096).
    var blockSize: Int { get }
    /// Capacity in logical blocks.
    var blockCount: UInt64 { get }
    /// Stable identity, used for the namespace's UUID/NGUID when none is configured.
    var uuid: DeviceUUID { get }
    /// True when writes, write zeroes and deallocate are refused.
    var isReadOnly: Bool { get }
    /// True when completed writes may sit in a volatile cache until a flush
    /// (the namespace then reports VWC and honours Flush and FUA).
    var hasVolatileWriteCache: Bool { get }
    /// Required alignment of `IOBuffer` start addresses and lengths (1 when any).
    var requiredBufferAlignment: Int { get }

    /// Opens an I/O channel for the calling thread.
    ///
    /// - Parameter queueDepth: the most operations in flight at once; `submit`
    ///   reports `.busy` beyond it.
    func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel

    /// Releases the device (closes files). Channels must be closed first.
    func close()

    /// True when deallocated blocks are guaranteed to read back as zeroes
    /// (the namespace may then report it in DLFEAT). Defaults to true.
    var deallocatedBlocksReadZero: Bool { get }
}

extension BlockDevice {
    public var deallocatedBlocksReadZero: Bool { true }
}

/// One thread's path to a block device.
///
/// Not thread-safe: only the thread that made it may use it. Nothing here
/// allocates per operation.
public protocol BlockDeviceChannel: AnyObject {
    /// Queues one operation. Nothing is guaranteed to reach the device until
    /// `flushSubmissions()` (implementations may batch into one syscall).
    ///
    /// - Returns: `.accepted`, `.busy` when the channel is at its queue depth
    ///   (retry after completions), or an immediate failure (bad range,
    ///   misaligned buffer, read-only) for which no completion will follow.
    func submit(_ request: BlockRequest) -> BlockSubmitResult

    /// Pushes queued operations to the device (one `io_submit` for libaio).
    func flushSubmissions()

    /// Reaps up to `maxCompletions` completed operations without blocking and
    /// hands each to `body`. Returns how many were reaped.
    func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int

    /// True while the channel has work that only its own `poll` advances
    /// (a RAM device zeroes a large range a chunk per call): the caller must
    /// keep polling, not sleep until a device event, or that work would move
    /// one chunk per timer tick.
    var hasDeferredWork: Bool { get }

    /// Operations submitted and not yet reaped.
    var inFlight: Int { get }

    /// A file descriptor that becomes readable when completions are waiting
    /// (an eventfd for libaio), for interrupt mode; -1 when the channel
    /// finishes work synchronously (in `submit` or `flushSubmissions`: the
    /// memory and null devices) and never needs waiting for: its completions
    /// are ready for the next `poll`, so poll again while `inFlight > 0`.
    var notificationFD: Int32 { get }

    /// Clears the readiness of `notificationFD` before the next `poll`.
    func acknowledgeNotification()

    /// Waits for every in-flight operation, then releases the channel.
    func close()
}

/// What to do, where, with which memory.
@frozen
public struct BlockRequest: Sendable {
    /// The operation.
    public var operation: BlockOperation
    /// First logical block.
    public var startingBlock: UInt64
    /// Number of logical blocks (1-based; 0 only for flush).
    public var blockCount: UInt32
    /// Data for read and write; `.empty` for the others.
    public var buffer: IOBuffer
    /// Force Unit Access: the write is durable when it completes.
    public var forceUnitAccess: Bool
    /// Caller's cookie, returned in the completion (the transport's slot id).
    public var tag: UInt64

    @inlinable
    public init(
        operation: BlockOperation, startingBlock: UInt64 = 0, blockCount: UInt32 = 0,
        buffer: IOBuffer = .empty, forceUnitAccess: Bool = false, tag: UInt64
    ) {
        self.operation = operation
        self.startingBlock = startingBlock
        self.blockCount = blockCount
        self.buffer = buffer
        self.forceUnitAccess = forceUnitAccess
        self.tag = tag
    }
}

/// The operations a namespace maps NVM commands onto.
@frozen
public enum BlockOperation: UInt8, Sendable {
    /// Read `blockCount` blocks into `buffer`.
    case read
    /// Write `blockCount` blocks from `buffer` (durably when FUA).
    case write
    /// Make every completed write durable.
    case flush
    /// Make the range read as zeroes.
    case writeZeroes
    /// Discard the range (Dataset Management, AD). Afterwards it reads as
    /// zeroes when the device's `deallocatedBlocksReadZero` is true (files,
    /// memory, null); on a block device discard is only a hint.
    case deallocate
}

@frozen
public enum BlockSubmitResult: Sendable, Equatable {
    /// Queued; a completion will follow.
    case accepted
    /// The channel is at its queue depth; try again after reaping completions.
    case busy
    /// Refused before reaching the device; no completion will follow.
    case failed(BlockDeviceError)
}

@frozen
public struct BlockCompletion: Sendable {
    /// The request's tag.
    public var tag: UInt64
    /// `nil` on success.
    public var error: BlockDeviceError?

    @inlinable
    public init(tag: UInt64, error: BlockDeviceError?) {
        self.tag = tag
        self.error = error
    }
}

/// Every way a block device operation or creation can fail. The target turns
/// each into an NVMe status in exactly one place.
public enum BlockDeviceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The range ends past the last block. NVMe: LBA Out of Range.
    case outOfRange
    /// Buffer address or length not aligned as the device requires. NVMe: Data Transfer Error.
    case misaligned
    /// The device moved fewer bytes than asked. NVMe: Data Transfer Error.
    case shortTransfer
    /// A read failed (EIO and friends). NVMe: Unrecovered Read Error.
    case readFailed(errno: Int32)
    /// A write, flush, write zeroes or deallocate failed. NVMe: Write Fault.
    case writeFailed(errno: Int32)
    /// The device is read-only. NVMe: Attempted Write to Read Only Range.
    case readOnly
    /// The storage behind the device cannot be reached from here for now (a
    /// network store timed out or fenced this client). NVMe: Internal Path
    /// Error, which a host retries, on another path when it has one.
    case unavailable(errno: Int32)
    /// Creation or open failed; the message names the path or field.
    case setup(String)

    public var description: String {
        switch self {
        case .outOfRange: return "LBA range out of bounds"
        case .misaligned: return "buffer not aligned as the device requires"
        case .shortTransfer: return "short transfer"
        case .readFailed(let e): return "read failed (errno \(e))"
        case .writeFailed(let e): return "write failed (errno \(e))"
        case .readOnly: return "device is read-only"
        case .unavailable(let e): return "storage unreachable (errno \(e))"
        case .setup(let m): return m
        }
    }
}

/// A 16-byte identifier (UUID layout), without Foundation.
@frozen
public struct DeviceUUID: Hashable, Sendable {
    public var bytes:
        (
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
        )

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        self.bytes = (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        )
    }

    /// All zero: "no identifier" in NVMe's NGUID/UUID fields.
    public static let zero = DeviceUUID(bytes: [UInt8](repeating: 0, count: 16))

    public var array: [UInt8] {
        withUnsafeBytes(of: bytes) { Array($0) }
    }

    /// A random version-4 UUID.
    public static func random() -> DeviceUUID {
        var g = SystemRandomNumberGenerator()
        var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return DeviceUUID(bytes: b)
    }

    /// Parses the canonical 8-4-4-4-12 text form.
    public init?(string: String) {
        let hex = string.filter { $0 != "-" }
        guard hex.count == 32 else { return nil }
        var out = [UInt8]()
        var it = hex.makeIterator()
        while let hi = it.next(), let lo = it.next() {
            guard let v = UInt8(String([hi, lo]), radix: 16) else { return nil }
            out.append(v)
        }
        self.init(bytes: out)
    }

    public static func == (a: DeviceUUID, b: DeviceUUID) -> Bool { a.array == b.array }
    public func hash(into h: inout Hasher) { h.combine(array) }
}

extension DeviceUUID: CustomStringConvertible {
    public var description: String {
        let h = array.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return h[0..<4].joined() + "-" + h[4..<6].joined() + "-" + h[6..<8].joined() + "-"
            + h[8..<10].joined() + "-" + h[10..<16].joined()
    }
}
