import Backends

/// A lean memory block device for the benchmark: one allocation, a fixed
/// completion ring, completions produced by `flushSubmissions` and reaped
/// by `poll` (as an asynchronous device would), nothing allocated per I/O.
final class BenchMemoryDevice: BlockDevice {
    let name = "bench-mem"
    let blockSize: Int
    let blockCount: UInt64
    let uuid = DeviceUUID.random()
    let isReadOnly = false
    let hasVolatileWriteCache = false
    let requiredBufferAlignment = 1
    let storage: UnsafeMutableRawBufferPointer

    init(blockSize: Int, blockCount: UInt64) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        storage = .allocate(byteCount: blockSize * Int(blockCount), alignment: 4096)
        storage.initializeMemory(as: UInt8.self, repeating: 0xA5)
    }

    deinit { storage.deallocate() }

    func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        BenchMemoryChannel(device: self, queueDepth: queueDepth)
    }

    func close() {}
}

final class BenchMemoryChannel: BlockDeviceChannel {
    let device: BenchMemoryDevice
    let storage: UnsafeMutableRawBufferPointer
    let shift: Int
    @exclusivity(unchecked) var submitted: UnsafeMutableBufferPointer<BlockRequest>
    @exclusivity(unchecked) var completed: UnsafeMutableBufferPointer<BlockCompletion>
    @exclusivity(unchecked) var submittedCount = 0
    @exclusivity(unchecked) var completedCount = 0

    init(device: BenchMemoryDevice, queueDepth: Int) {
        self.device = device
        storage = device.storage
        shift = device.blockSize.trailingZeroBitCount
        submitted = .allocate(capacity: queueDepth)
        completed = .allocate(capacity: queueDepth)
    }

    deinit {
        submitted.deallocate()
        completed.deallocate()
    }

    var inFlight: Int { submittedCount + completedCount }
    var hasDeferredWork: Bool { false }
    var notificationFD: Int32 { -1 }
    func acknowledgeNotification() {}

    func submit(_ r: BlockRequest) -> BlockSubmitResult {
        guard inFlight < submitted.count else { return .busy }
        submitted[submittedCount] = r
        submittedCount += 1
        return .accepted
    }

    func flushSubmissions() {
        for i in 0..<submittedCount {
            let r = submitted[i]
            let start = Int(r.startingBlock) << shift
            let length = Int(r.blockCount) << shift
            switch r.operation {
            case .read:
                r.buffer.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: length)
            case .write:
                (storage.baseAddress! + start).copyMemory(from: r.buffer.baseAddress!, byteCount: length)
            case .writeZeroes, .deallocate:
                (storage.baseAddress! + start).initializeMemory(as: UInt8.self, repeating: 0, count: length)
            case .flush:
                break
            }
            completed[completedCount] = BlockCompletion(tag: r.tag, error: nil)
            completedCount += 1
        }
        submittedCount = 0
    }

    func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
        let n = min(maxCompletions, completedCount)
        for i in 0..<n { body(completed[i]) }
        if n < completedCount {
            for i in n..<completedCount { completed[i - n] = completed[i] }
        }
        completedCount -= n
        return n
    }

    func close() {
        flushSubmissions()
        completedCount = 0
    }
}
