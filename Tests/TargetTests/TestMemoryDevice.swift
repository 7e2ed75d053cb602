import Backends

/// A test-only memory block device: storage in one allocation, completions
/// reaped by `poll` after `flushSubmissions` ran them (like a real async
/// device, nothing completes inside `submit`).
final class TestMemoryDevice: BlockDevice {
    let name: String
    let blockSize: Int
    let blockCount: UInt64
    let uuid: DeviceUUID
    let isReadOnly: Bool
    let hasVolatileWriteCache: Bool
    let deallocatedBlocksReadZero: Bool
    let requiredBufferAlignment = 1
    let storage: UnsafeMutableRawBufferPointer
    /// Operations seen, for tests that check what reached the device.
    var operations: [BlockOperation] = []
    var flushes = 0
    /// `close()` calls.
    var closes = 0

    init(
        name: String = "mem0", blockSize: Int = 512, blockCount: UInt64 = 4096, uuid: DeviceUUID = .random(),
        readOnly: Bool = false, volatileWriteCache: Bool = true, deallocatedBlocksReadZero: Bool = true
    ) {
        self.hasVolatileWriteCache = volatileWriteCache
        self.deallocatedBlocksReadZero = deallocatedBlocksReadZero
        self.name = name
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.uuid = uuid
        self.isReadOnly = readOnly
        storage = .allocate(byteCount: blockSize * Int(blockCount), alignment: 4096)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { storage.deallocate() }

    func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        TestMemoryChannel(device: self, queueDepth: queueDepth)
    }

    func close() { closes += 1 }

    func bytes(lba: UInt64, count: Int) -> [UInt8] {
        let start = Int(lba) * blockSize
        return Array(storage[start..<start + count * blockSize])
    }
}

final class TestMemoryChannel: BlockDeviceChannel {
    let device: TestMemoryDevice
    let queueDepth: Int
    var queued: [BlockRequest] = []
    var done: [BlockCompletion] = []

    init(device: TestMemoryDevice, queueDepth: Int) {
        self.device = device
        self.queueDepth = queueDepth
        queued.reserveCapacity(queueDepth)
        done.reserveCapacity(queueDepth)
    }

    var inFlight: Int { queued.count + done.count }
    var hasDeferredWork: Bool { false }
    var notificationFD: Int32 { -1 }
    func acknowledgeNotification() {}

    func submit(_ r: BlockRequest) -> BlockSubmitResult {
        guard inFlight < queueDepth else { return .busy }
        if r.operation != .flush {
            let (end, o) = r.startingBlock.addingReportingOverflow(UInt64(r.blockCount))
            guard !o, end <= device.blockCount else { return .failed(.outOfRange) }
        }
        if device.isReadOnly && r.operation != .read && r.operation != .flush { return .failed(.readOnly) }
        queued.append(r)
        return .accepted
    }

    func flushSubmissions() {
        for r in queued {
            device.operations.append(r.operation)
            let start = Int(r.startingBlock) * device.blockSize
            let length = Int(r.blockCount) * device.blockSize
            var error: BlockDeviceError? = nil
            switch r.operation {
            case .read:
                if r.buffer.count < length {
                    error = .shortTransfer
                    break
                }
                r.buffer.bytes.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: device.storage[start..<start + length]))
            case .write:
                if r.buffer.count < length {
                    error = .shortTransfer
                    break
                }
                UnsafeMutableRawBufferPointer(rebasing: device.storage[start..<start + length])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: r.buffer.bytes[0..<length]))
            case .writeZeroes, .deallocate:
                UnsafeMutableRawBufferPointer(rebasing: device.storage[start..<start + length])
                    .initializeMemory(as: UInt8.self, repeating: 0)
            case .flush:
                device.flushes += 1
            }
            done.append(BlockCompletion(tag: r.tag, error: error))
        }
        queued.removeAll(keepingCapacity: true)
    }

    func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
        let n = min(maxCompletions, done.count)
        for c in done.prefix(n) { body(c) }
        done.removeFirst(n)
        return n
    }

    func close() {
        flushSubmissions()
        done.removeAll()
    }
}
