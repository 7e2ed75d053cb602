import NVMfHost

/// A namespace the run drives, as the report names it.
public struct NamespaceTarget: Sendable {
    /// Position in the report's namespace list.
    public var index: Int
    public var namespaceID: UInt32
    public var blockSize: Int
    /// Blocks the run may touch, from LBA 0 (the namespace, or `--io-range`).
    public var rangeBlocks: UInt64
    public var name: String
}

/// One I/O queue and what it is doing: the namespace, the I/O generator and each
/// slot's command (when it was sent, where, which direction).
///
/// Owned by one worker thread while the run goes; everything is allocated before.
final class QueueJob {
    let queue: RdmaHostQueue
    let target: NamespaceTarget
    var generator: IOGenerator
    /// Slots this job keeps busy (`-q`, or the granted depth if smaller).
    let queueDepth: Int
    let blocksPerIO: Int
    let submittedAt: UnsafeMutablePointer<UInt64>
    let slotLBA: UnsafeMutablePointer<UInt64>
    let slotIsRead: UnsafeMutablePointer<Bool>
    /// Ticks of the last completion, for the stall check.
    var lastProgress: UInt64 = 0
    /// The finite pass has handed out its last I/O.
    var exhausted = false

    init(queue: RdmaHostQueue, target: NamespaceTarget, generator: IOGenerator, queueDepth: Int, ioSize: Int) {
        self.queue = queue
        self.target = target
        self.generator = generator
        self.queueDepth = min(queueDepth, queue.depth)
        blocksPerIO = max(ioSize / target.blockSize, 1)
        submittedAt = .allocate(capacity: queue.depth)
        submittedAt.initialize(repeating: 0, count: queue.depth)
        slotLBA = .allocate(capacity: queue.depth)
        slotLBA.initialize(repeating: 0, count: queue.depth)
        slotIsRead = .allocate(capacity: queue.depth)
        slotIsRead.initialize(repeating: false, count: queue.depth)
    }

    deinit {
        submittedAt.deallocate()
        slotLBA.deallocate()
        slotIsRead.deallocate()
    }
}
