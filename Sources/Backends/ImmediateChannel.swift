/// What a RAM-speed device does to its medium for one validated request.
///
/// Implemented by small structs (memory, null) so `ImmediateChannel` is
/// specialised per device and the per-operation call is static.
protocol ImmediateMedium {
    /// Carries out a request that already passed validation; `nil` on success.
    func perform(_ request: BlockRequest) -> BlockDeviceError?
}

/// The channel of devices whose operations finish at once (memory, null).
///
/// The work happens in `submit`; the completion waits in a ring until the
/// next `poll`, so the caller sees the same submit → flush → poll sequence as
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
    }

    deinit { completions.deallocate() }

    var inFlight: Int { completions.count }
    var notificationFD: Int32 { -1 }

    func submit(_ request: BlockRequest) -> BlockSubmitResult {
        if let error = request.validationError(
            blockSize: blockSize, capacity: capacity, readOnly: readOnly, alignment: alignment)
        {
            return .failed(error)
        }
        if completions.count >= queueDepth { return .busy }
        completions.append(BlockCompletion(tag: request.tag, error: medium.perform(request)))
        return .accepted
    }

    func flushSubmissions() {}

    func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
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
    }
}
