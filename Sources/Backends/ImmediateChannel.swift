/// What a RAM-speed device does to its medium for one validated request.
///
/// Implemented by small structs (memory, null) so `ImmediateChannel` is
/// specialised per device and the per-operation call is static.
protocol ImmediateMedium {
    /// Carries out a read, write or flush that already passed validation; `nil` on success.
    func perform(_ request: BlockRequest) -> BlockDeviceError?
    /// Makes `count` bytes at `byteOffset` read as zeroes (Write Zeroes,
    /// deallocate); the range was validated. Called a chunk at a time.
    func zero(byteOffset: Int, count: Int)
    /// True when `zero` does nothing (a null device): no need to chunk it.
    var zeroingIsFree: Bool { get }
}

/// The channel of devices whose operations finish at once (memory, null).
///
/// Reads, writes and flushes happen in `submit` (bounded by MDTS); Write
/// Zeroes and deallocate, whose size the host chooses up to gigabytes per
/// command, are zeroed a chunk per `poll` (`ZeroingQueue`). A completion
/// waits in a ring until the next `poll`, so the caller sees the same submit → flush → poll sequence as
/// with libaio and its completion path runs from the poll loop, never from
/// inside `submit`. Because nothing is ever left to wait for,
/// `notificationFD` is -1: an interrupt-mode loop polls again straight away
/// while `inFlight > 0` instead of sleeping.
final class ImmediateChannel<Medium: ImmediateMedium>: BlockDeviceChannel {
    @usableFromInline let medium: Medium
    /// Keeps the device (and the memory `medium` points into) alive while
    /// the channel exists.
    let owner: AnyObject
    @usableFromInline let blockSize: Int
    @usableFromInline let capacity: UInt64
    @usableFromInline let readOnly: Bool
    @usableFromInline let alignment: Int
    @usableFromInline let queueDepth: Int
    @usableFromInline var completions: CompletionRing
    var zeroing: ZeroingQueue
    @usableFromInline var isClosed = false

    init(
        owner: AnyObject, medium: Medium, blockSize: Int, capacity: UInt64, readOnly: Bool, alignment: Int,
        queueDepth: Int
    ) {
        self.owner = owner
        self.medium = medium
        self.blockSize = blockSize
        self.capacity = capacity
        self.readOnly = readOnly
        self.alignment = alignment
        self.queueDepth = max(queueDepth, 1)
        self.completions = CompletionRing(capacity: self.queueDepth)
        self.zeroing = ZeroingQueue(capacity: self.queueDepth)
    }

    deinit {
        completions.deallocate()
        zeroing.deallocate()
    }

    var inFlight: Int { completions.count &+ zeroing.count }

    var hasDeferredWork: Bool { zeroing.count > 0 }
    var notificationFD: Int32 { -1 }

    func submit(_ request: BlockRequest) -> BlockSubmitResult {
        if let error = request.validationError(
            blockSize: blockSize, capacity: capacity, readOnly: readOnly, alignment: alignment)
        {
            return .failed(error)
        }
        if completions.count &+ zeroing.count >= queueDepth { return .busy }
        switch request.operation {
        case .writeZeroes, .deallocate:
            // Validated: startingBlock + blockCount ≤ capacity, whose byte size fits an Int.
            let offset = Int(truncatingIfNeeded: request.startingBlock) &* blockSize
            let length = Int(request.blockCount) &* blockSize
            if medium.zeroingIsFree || length <= ZeroingQueue.chunkSize {
                medium.zero(byteOffset: offset, count: length)
                completions.append(BlockCompletion(tag: request.tag, error: nil))
            } else {
                zeroing.append(ZeroingQueue.Job(tag: request.tag, offset: offset, remaining: length))
            }
        case .read, .write, .flush:
            completions.append(BlockCompletion(tag: request.tag, error: medium.perform(request)))
        }
        return .accepted
    }

    func flushSubmissions() {}

    func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
        // One chunk of zeroing per poll, whatever the commands asked for.
        if zeroing.count > 0, let tag = zeroing.advance({ medium.zero(byteOffset: $0, count: $1) }) {
            completions.append(BlockCompletion(tag: tag, error: nil))
        }
        var reaped = 0
        while reaped < maxCompletions, let completion = completions.removeFirst() {
            body(completion)
            reaped &+= 1
        }
        return reaped
    }

    func acknowledgeNotification() {}

    func close() {
        // Nothing is pending on any medium; completions not yet reaped are dropped
        // with the channel, as the caller asked to close it.
        isClosed = true
        zeroing.removeAll()
    }
}
