import Glibc

/// A RAM disk (SPDK's malloc bdev): one page-aligned anonymous mapping.
///
/// The whole device is a single `mmap` so that the RDMA layer can register
/// it once (`storage`) and later serve reads straight from it with RDMA WRITE,
/// skipping the copy this channel makes into the caller's buffer. Pages come
/// from the kernel zero-filled, so a fresh device reads as zeroes. Writes
/// finish in RAM, so there is no volatile write cache and flush is a no-op.
/// Created by `bdev_malloc_create`.
public final class MemoryBlockDevice: BlockDevice {
    public let name: String
    public let blockSize: Int
    public let blockCount: UInt64
    public let uuid: DeviceUUID
    public var isReadOnly: Bool { false }
    public var hasVolatileWriteCache: Bool { false }
    /// Any address works for `memcpy`; 1 means no constraint.
    public var requiredBufferAlignment: Int { 1 }

    /// The device's bytes: page-aligned, `blockCount × blockSize` long. Stays
    /// valid until `close()`. For registering with the RDMA layer.
    public let storage: UnsafeMutableRawBufferPointer
    /// Start of `storage` (page-aligned).
    public var baseAddress: UnsafeMutableRawPointer { storage.baseAddress! }
    /// Length of `storage` in bytes.
    public var byteCount: Int { storage.count }

    private var isClosed = false

    /// Allocates a zero-filled RAM device.
    ///
    /// - Parameters:
    ///   - name: the bdev name (`name` in `bdev_malloc_create`).
    ///   - blockCount: capacity in blocks (`num_blocks`); at least 1.
    ///   - blockSize: 512 to 65536 and a power of two (`block_size`).
    ///   - uuid: identity; a random UUID when `nil`.
    /// - Throws: `.setup` naming the field that is wrong, or when the mapping fails.
    public init(
        name: String, blockCount: UInt64, blockSize: Int = 512, uuid: DeviceUUID? = nil
    ) throws(BlockDeviceError) {
        try checkBlockSize(blockSize, device: name)
        guard blockCount > 0 else {
            throw .setup("bdev_malloc_create \(name): num_blocks must be at least 1")
        }
        let (bytes, overflow) = blockCount.multipliedReportingOverflow(by: UInt64(blockSize))
        guard !overflow, bytes <= UInt64(Int.max) else {
            throw .setup("bdev_malloc_create \(name): num_blocks × block_size overflows")
        }
        // The mapping is lazy: a device larger than the memory there is
        // would be created and then get the daemon OOM-killed when a host
        // fills it. SPDK's malloc bdev allocates up front and fails at once;
        // this refuses at once instead of committing the memory.
        if let available = Self.availableMemoryBytes(), bytes > available {
            throw .setup(
                "bdev_malloc_create \(name): num_blocks × block_size is \(bytes) bytes, more than the \(available) bytes of memory available"
            )
        }
        let length = Int(bytes)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw .setup(
                "bdev_malloc_create \(name): cannot map \(length) bytes: \(String(cString: strerror(errno)))"
            )
        }
        self.name = name
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.uuid = uuid ?? .random()
        self.storage = UnsafeMutableRawBufferPointer(start: address, count: length)
    }

    deinit { close() }

    /// MemAvailable from /proc/meminfo, or nil where it cannot be read.
    public static func availableMemoryBytes() -> UInt64? {
        guard let f = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            guard text.hasPrefix("MemAvailable:") else { continue }
            let kb = text.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return kb.map { $0 &* 1024 }
        }
        return nil
    }

    /// The bytes of a block range inside `storage`, for zero-copy reads by the
    /// RDMA layer; `nil` when the range is out of bounds.
    public func storageBuffer(startingBlock: UInt64, blockCount count: UInt32) -> IOBuffer? {
        guard count > 0, startingBlock < blockCount, UInt64(count) <= blockCount &- startingBlock else {
            return nil
        }
        let offset = Int(startingBlock) &* blockSize
        return IOBuffer(baseAddress: baseAddress + offset, count: Int(count) &* blockSize)
    }

    public func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        guard !isClosed else { throw .setup("bdev \(name) is closed") }
        return ImmediateChannel(
            owner: self,
            medium: MemoryMedium(base: baseAddress, blockSize: blockSize),
            blockSize: blockSize, capacity: blockCount, readOnly: false, alignment: 1,
            queueDepth: queueDepth)
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        munmap(storage.baseAddress, storage.count)
    }
}

/// Reads and writes copy between the caller's buffer and the mapping.
struct MemoryMedium: ImmediateMedium {
    let base: UnsafeMutableRawPointer
    let blockSize: Int

    func perform(_ request: BlockRequest) -> BlockDeviceError? {
        let offset = Int(request.startingBlock) &* blockSize
        let length = Int(request.blockCount) &* blockSize
        switch request.operation {
        case .read:
            request.buffer.baseAddress!.copyMemory(from: base + offset, byteCount: length)
        case .write:
            (base + offset).copyMemory(from: request.buffer.baseAddress!, byteCount: length)
        case .writeZeroes, .deallocate:
            zero(byteOffset: offset, count: length)
        case .flush:
            break
        }
        return nil
    }

    func zero(byteOffset: Int, count: Int) {
        memset(base + byteOffset, 0, count)
    }

    var zeroingIsFree: Bool { false }
}

/// Refuses block sizes a namespace cannot report (LBA data size is a power of two ≥ 512).
func checkBlockSize(_ blockSize: Int, device: String) throws(BlockDeviceError) {
    guard blockSize >= 512, blockSize <= 65536, blockSize & (blockSize - 1) == 0 else {
        throw .setup("bdev \(device): block_size \(blockSize) must be a power of two from 512 to 65536")
    }
}
