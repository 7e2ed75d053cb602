import Backends

/// A RAM block device for lab tests: the test checks what the kernel
/// initiator wrote by reading `storage` directly. Completions are reaped by
/// `poll` after `flushSubmissions` ran them, like an asynchronous device.
final class LabMemoryDevice: BlockDevice {
    let name = "labmem0"
    let blockSize: Int
    let blockCount: UInt64
    let uuid = DeviceUUID.random()
    let isReadOnly = false
    let hasVolatileWriteCache = false
    let requiredBufferAlignment = 1
    let storage: UnsafeMutableRawBufferPointer

    init(blockSize: Int = 512, blockCount: UInt64) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        storage = .allocate(byteCount: blockSize * Int(blockCount), alignment: 4096)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { storage.deallocate() }

    func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        LabMemoryChannel(device: self, queueDepth: queueDepth)
    }

    func close() {}

    func bytes(offset: Int, count: Int) -> [UInt8] { Array(storage[offset..<offset + count]) }
}

final class LabMemoryChannel: BlockDeviceChannel {
    let device: LabMemoryDevice
    let queueDepth: Int
    var queued: [BlockRequest] = []
    var done: [BlockCompletion] = []

    init(device: LabMemoryDevice, queueDepth: Int) {
        self.device = device
        self.queueDepth = queueDepth
        queued.reserveCapacity(queueDepth)
        done.reserveCapacity(queueDepth)
    }

    var inFlight: Int { queued.count + done.count }
    var notificationFD: Int32 { -1 }
    func acknowledgeNotification() {}

    func submit(_ r: BlockRequest) -> BlockSubmitResult {
        guard inFlight < queueDepth else { return .busy }
        if r.operation != .flush {
            let (end, o) = r.startingBlock.addingReportingOverflow(UInt64(r.blockCount))
            guard !o, end <= device.blockCount else { return .failed(.outOfRange) }
        }
        queued.append(r)
        return .accepted
    }

    func flushSubmissions() {
        for r in queued {
            let start = Int(r.startingBlock) * device.blockSize
            let length = Int(r.blockCount) * device.blockSize
            var error: BlockDeviceError? = nil
            switch r.operation {
            case .read:
                if r.buffer.count < length {
                    error = .shortTransfer
                } else {
                    r.buffer.bytes.copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: device.storage[start..<start + length]))
                }
            case .write:
                if r.buffer.count < length {
                    error = .shortTransfer
                } else {
                    UnsafeMutableRawBufferPointer(rebasing: device.storage[start..<start + length])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: r.buffer.bytes[0..<length]))
                }
            case .writeZeroes, .deallocate:
                UnsafeMutableRawBufferPointer(rebasing: device.storage[start..<start + length])
                    .initializeMemory(as: UInt8.self, repeating: 0)
            case .flush:
                break
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
