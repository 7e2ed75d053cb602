/// A device with no medium (SPDK's null bdev): reads return zeroes, writes
/// are discarded.
///
/// For measuring the target's own cost without any storage behind it.
/// Created by `bdev_null_create`.
public final class NullBlockDevice: BlockDevice {
    public let name: String
    public let blockSize: Int
    public let blockCount: UInt64
    public let uuid: DeviceUUID
    public var isReadOnly: Bool { false }
    public var hasVolatileWriteCache: Bool { false }
    public var requiredBufferAlignment: Int { 1 }

    /// - Parameters:
    ///   - name: the bdev name (`name` in `bdev_null_create`).
    ///   - blockCount: reported capacity in blocks (`num_blocks`); at least 1.
    ///   - blockSize: 512 to 65536 and a power of two (`block_size`).
    ///   - uuid: identity; a random UUID when `nil`.
    /// - Throws: `.setup` naming the field that is wrong.
    public init(
        name: String, blockCount: UInt64, blockSize: Int = 512, uuid: DeviceUUID? = nil
    ) throws(BlockDeviceError) {
        try checkBlockSize(blockSize, device: name)
        guard blockCount > 0 else {
            throw .setup("bdev_null_create \(name): num_blocks must be at least 1")
        }
        guard blockCount <= UInt64(Int.max) / UInt64(blockSize) else {
            throw .setup("bdev_null_create \(name): num_blocks × block_size overflows")
        }
        self.name = name
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.uuid = uuid ?? .random()
    }

    public func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        ImmediateChannel(
            owner: self,
            medium: NullMedium(blockSize: blockSize), blockSize: blockSize, capacity: blockCount,
            readOnly: false, alignment: 1, queueDepth: queueDepth)
    }

    public func close() {}
}

/// Zero-fills read buffers; everything else succeeds without effect.
struct NullMedium: ImmediateMedium {
    let blockSize: Int

    func perform(_ request: BlockRequest) -> BlockDeviceError? {
        if request.operation == .read {
            request.buffer.baseAddress!.initializeMemory(
                as: UInt8.self, repeating: 0, count: Int(request.blockCount) &* blockSize)
        }
        return nil
    }

    /// Nothing is stored, so nothing needs zeroing.
    func zero(byteOffset: Int, count: Int) {}

    var zeroingIsFree: Bool { true }
}
